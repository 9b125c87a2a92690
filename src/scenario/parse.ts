/**
 * Scenario files: YAML text → validated `Scenario` (ast.ts) or positioned errors.
 *
 * The YAML document is walked node by node so every message names the line and
 * column of the offending key or value (`file:line:col: message`). Checks, in order:
 * YAML syntax; shape (unknown keys, wrong types, missing keys); the operation
 * catalogue (unknown operations, arguments, flag names); profiles and patches (via
 * resolveProfile); invariant ids and verdicts; then names: duplicates and references
 * to undefined processes, files, devices, results. Nothing in here throws on any
 * input: a JS exception escaping `parseScenario` is a pinlab bug (a fuzz test checks).
 */
import type { Node as YNode, Pair, YAMLMap } from 'yaml';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { INVARIANT_IDS, VERDICTS, isInvariantId } from '../check/ids.js';
import type { InvariantId, Verdict } from '../check/ids.js';
import { errnoByName } from '../linux/include/uapi/linux/errno.js';
import * as mman from '../linux/include/uapi/asm-generic/mman.js';
import { resolveProfile } from '../profiles/index.js';
import { parseSchedule } from '../explore/schedule.js';
import type {
  ArgValue, ContainerSetup, DeviceDriver, DeviceSetup, Expected, FileSetup, FilesystemSetup, MappingSetup, MemorySetup, NameKind,
  Condition, Observation, OutcomeCondition, PmemRegion, Pos, Probe, ProcessSetup, ProfileExpect, Scenario, ScenarioError, Setup, Step, ThreadDecl, ValuePath,
  Value, ZoneName,
} from './ast.js';
import { PAGE_SIZE } from './ast.js';
import type { ArgSpec, ArgType } from './ops.js';
import { CAP_NAMES, MAP_NAMES, OPS, OP_NAMES, PROBES, PROBE_KINDS, PROT_NAMES, RLIMIT_NAMES } from './ops.js';

export type ParseResult =
  | { readonly ok: true; readonly scenario: Scenario }
  | { readonly ok: false; readonly errors: readonly ScenarioError[] };

const NOWHERE: Pos = { line: 1, col: 1, offset: 0 };

/** Closest candidate by edit distance, for "did you mean" (only if reasonably close). */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 4)) ? best : null;
}

function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 10;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

function mean(word: string, candidates: readonly string[]): string {
  const d = didYouMean(word, candidates);
  return d === null ? '' : `; did you mean '${d}'?`;
}

/** A reference recorded during the walk, checked once every name is known. */
interface PendingRef {
  readonly name: string;
  readonly field: string | null;
  readonly at: Pos;
  /** What the context accepts. */
  readonly accept: readonly NameKind[];
  readonly what: string;
}

interface Def {
  readonly kind: NameKind;
  readonly at: Pos;
  /** Output fields a result carries (`pages`), or the fields a mapping has. */
  readonly fields: readonly string[];
}

class Walker {
  readonly errors: ScenarioError[] = [];
  readonly defs = new Map<string, Def>();
  readonly refs: PendingRef[] = [];

  constructor(readonly file: string, private readonly lc: LineCounter) {}

  pos(node: YNode | Pair | null | undefined): Pos {
    if (node === null || node === undefined) return NOWHERE;
    const n = isPair(node) ? (node.key as YNode | null) : node;
    const range = n !== null && n !== undefined ? (n as { range?: [number, number, number] | null }).range : null;
    if (range === null || range === undefined) return NOWHERE;
    return this.posAt(range[0]);
  }

  posAt(offset: number): Pos {
    const lp = this.lc.linePos(offset);
    return { line: lp.line, col: lp.col, offset };
  }

  err(at: Pos, message: string): void {
    this.errors.push({ file: this.file, at, message });
  }

  define(name: string, kind: NameKind, at: Pos, fields: readonly string[] = []): void {
    const prev = this.defs.get(name);
    if (prev !== undefined) {
      this.err(at, `'${name}' is already defined as a ${prev.kind} at line ${prev.at.line}; every name is defined once per scenario`);
      return;
    }
    this.defs.set(name, { kind, at, fields });
  }

  ref(name: string, field: string | null, at: Pos, accept: readonly NameKind[], what: string): void {
    this.refs.push({ name, field, at, accept, what });
  }

  // ---- shape helpers ------------------------------------------------------------------------

  /** The entries of a mapping, checking keys against `allowed` and `required`. */
  map(node: YNode | null, where: string, allowed: readonly string[], required: readonly string[] = []): Map<string, { key: YNode; value: YNode | null; at: Pos }> | null {
    const out = new Map<string, { key: YNode; value: YNode | null; at: Pos }>();
    if (!isMap(node)) {
      this.err(this.pos(node), `${where}: expected a mapping, found ${describe(node)}`);
      return null;
    }
    for (const pair of (node as YAMLMap<unknown, unknown>).items) {
      const key = pair.key as YNode | null;
      const kat = this.pos(key);
      if (!isScalar(key) || typeof key.value !== 'string') {
        this.err(kat, `${where}: keys must be plain names, found ${describe(key)}`);
        continue;
      }
      const k = key.value;
      if (!allowed.includes(k)) {
        this.err(kat, `unknown key '${k}' in ${where}; expected one of: ${allowed.join(', ')}${mean(k, allowed)}`);
        continue;
      }
      out.set(k, { key, value: (pair.value as YNode | null) ?? null, at: kat });
    }
    for (const r of required) {
      if (!out.has(r)) this.err(this.pos(node), `${where}: missing required key '${r}'`);
    }
    return out;
  }

  /** An optional list: [] when the key is absent. */
  optSeq(entry: { value: YNode | null } | undefined, where: string): YNode[] {
    if (entry === undefined) return [];
    return this.seq(entry.value, where) ?? [];
  }

  seq(node: YNode | null, where: string): YNode[] | null {
    if (!isSeq(node)) {
      this.err(this.pos(node), `${where}: expected a list, found ${describe(node)}`);
      return null;
    }
    return node.items as YNode[];
  }

  str(node: YNode | null, where: string): string | null {
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    this.err(this.pos(node), `${where}: expected a string, found ${describe(node)}`);
    return null;
  }

  /** A name (identifier) that may be written bare or with a leading `$`. */
  ident(node: YNode | null, where: string): string | null {
    const s = this.str(node, where);
    if (s === null) return null;
    const name = s.startsWith('$') ? s.slice(1) : s;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
      this.err(this.pos(node), `${where}: '${s}' is not a valid name (letters, digits, '_' and '-', starting with a letter)`);
      return null;
    }
    return name;
  }

  bool(node: YNode | null, where: string): boolean | null {
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.err(this.pos(node), `${where}: expected true or false, found ${describe(node)}`);
    return null;
  }

  /** A plain integer (no references). */
  plainInt(node: YNode | null, where: string, min = 0n, max = 1n << 64n): bigint | null {
    const v = this.intExpr(node, where, false);
    if (v === null) return null;
    if (v.kind !== 'int') {
      this.err(v.at, `${where}: expected a constant here, not a reference`);
      return null;
    }
    if (v.value < min || v.value > max) {
      this.err(v.at, `${where}: ${v.value} is out of range [${min}, ${max}]`);
      return null;
    }
    return v.value;
  }

  smallInt(node: YNode | null, where: string, min: number, max: number): number | null {
    const v = this.plainInt(node, where, BigInt(min), BigInt(max));
    return v === null ? null : Number(v);
  }

  /** An integer expression: integer, size string, `$ref`, `$ref.field`, sums. */
  intExpr(node: YNode | null, where: string, allowRefs = true): ArgValue | null {
    const at = this.pos(node);
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'bigint') return { kind: 'int', value: v, at };
      if (typeof v === 'number') {
        if (Number.isSafeInteger(v)) return { kind: 'int', value: BigInt(v), at };
        this.err(at, `${where}: expected an integer, found ${v}`);
        return null;
      }
      if (typeof v === 'string') return this.exprString(v, at, where, allowRefs);
    }
    this.err(at, `${where}: expected an integer or size, found ${describe(node)}`);
    return null;
  }

  exprString(src: string, at: Pos, where: string, allowRefs: boolean): ArgValue | null {
    const terms: { sign: 1 | -1; term: ArgValue }[] = [];
    let i = 0;
    let sign: 1 | -1 = 1;
    const s = src;
    const skip = (): void => {
      while (i < s.length && s[i] === ' ') i++;
    };
    skip();
    if (s[i] === '-') {
      sign = -1;
      i++;
      skip();
    }
    for (;;) {
      const tat: Pos = { line: at.line, col: at.col + i, offset: at.offset + i };
      const rest = s.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^\$([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?/.exec(rest)) !== null) {
        if (!allowRefs) {
          this.err(tat, `${where}: references are not allowed here`);
          return null;
        }
        terms.push({ sign, term: { kind: 'ref', name: m[1], field: m[2] ?? null, at: tat } });
      } else if ((m = /^(0x[0-9a-fA-F]+|\d+)(?:\s*(pages?|KiB|MiB|GiB|TiB|K|M|G|T)\b)?/.exec(rest)) !== null) {
        let v = BigInt(m[1]);
        const unit = m[2];
        if (unit !== undefined) v *= unitBytes(unit);
        terms.push({ sign, term: { kind: 'int', value: v, at: tat } });
      } else {
        this.err(tat, `${where}: cannot read '${rest.length > 0 ? rest : src}' as an integer expression (integer, size like '2 pages' or '4K', $name, and + or -)`);
        return null;
      }
      i += m[0].length;
      skip();
      if (i >= s.length) break;
      if (s[i] === '+' || s[i] === '-') {
        sign = s[i] === '+' ? 1 : -1;
        i++;
        skip();
        continue;
      }
      this.err({ line: at.line, col: at.col + i, offset: at.offset + i }, `${where}: unexpected '${s.slice(i)}' in integer expression '${src}'`);
      return null;
    }
    if (terms.length === 1 && terms[0].sign === 1) return terms[0].term;
    if (terms.every((t) => t.term.kind === 'int')) {
      let v = 0n;
      for (const t of terms) v += BigInt(t.sign) * (t.term as { value: bigint }).value;
      return { kind: 'int', value: v, at };
    }
    return { kind: 'sum', terms, at };
  }

  /** Flag names of one family (`A|B`, a list, or an integer). */
  flags(node: YNode | null, where: string, names: readonly string[], family: string): ArgValue | null {
    const at = this.pos(node);
    if (isScalar(node) && (typeof node.value === 'bigint' || typeof node.value === 'number')) return this.intExpr(node, where, false);
    let parts: { name: string; at: Pos }[] = [];
    if (isScalar(node) && typeof node.value === 'string') {
      let off = 0;
      for (const raw of node.value.split('|')) {
        const lead = raw.length - raw.trimStart().length;
        parts.push({ name: raw.trim(), at: { line: at.line, col: at.col + off + lead, offset: at.offset + off + lead } });
        off += raw.length + 1;
      }
    } else if (isSeq(node)) {
      parts = (node.items as YNode[]).map((it) => ({ name: isScalar(it) && typeof it.value === 'string' ? it.value : '', at: this.pos(it) }));
    } else {
      this.err(at, `${where}: expected ${family}* flag names ('A|B' or a list) or an integer, found ${describe(node)}`);
      return null;
    }
    const out: string[] = [];
    let bad = false;
    for (const p of parts) {
      if (p.name === '0' && parts.length === 1) return { kind: 'int', value: 0n, at };
      if (!names.includes(p.name)) {
        this.err(p.at, `${where}: unknown flag '${p.name}' (expected ${family}* names)${mean(p.name, names)}`);
        bad = true;
        continue;
      }
      out.push(p.name);
    }
    return bad ? null : { kind: 'flags', names: out, at };
  }
}

function unitBytes(u: string): bigint {
  switch (u) {
    case 'page':
    case 'pages':
      return BigInt(PAGE_SIZE);
    case 'K':
    case 'KiB':
      return 1024n;
    case 'M':
    case 'MiB':
      return 1024n * 1024n;
    case 'G':
    case 'GiB':
      return 1024n * 1024n * 1024n;
    default:
      return 1024n * 1024n * 1024n * 1024n;
  }
}

function describe(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return 'an alias';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
    if (typeof v === 'bigint' || typeof v === 'number') return `the number ${v}`;
    return 'a scalar';
  }
  return 'an unexpected node';
}

// ---- the scenario walk --------------------------------------------------------------------------

const TOP_KEYS = ['format', 'question', 'refs', 'tags', 'setup', 'threads', 'observe', 'expect', 'schedule', 'explore'];

/** Parse and validate a scenario. `file` is used in messages only. */
export function parseScenario(text: string, file: string): ParseResult {
  const lc = new LineCounter();
  const w = new Walker(file, lc);
  try {
    return parseInner(text, file, lc, w);
  } catch (e) {
    // A pinlab bug; keep the contract (no throw) but say what happened.
    w.err(NOWHERE, `internal error while reading the scenario (a pinlab bug): ${e instanceof Error ? e.message : String(e)}`);
    return { ok: false, errors: w.errors };
  }
}

function parseInner(text: string, file: string, lc: LineCounter, w: Walker): ParseResult {
  const doc = parseDocument(text, { lineCounter: lc, intAsBigInt: true, prettyErrors: false, uniqueKeys: true, merge: false, strict: true });
  for (const e of doc.errors) {
    const msg = e.message.split('\n')[0];
    w.err(w.posAt(e.pos[0]), `YAML: ${msg}`);
  }
  if (w.errors.length > 0) return { ok: false, errors: w.errors };
  let aliasSeen = false;
  const root = doc.contents as YNode | null;
  findAliases(root, (n) => {
    if (!aliasSeen) w.err(w.pos(n), 'YAML aliases (*name) are not supported in scenarios; write the value out');
    aliasSeen = true;
  });
  if (aliasSeen) return { ok: false, errors: w.errors };

  const top = w.map(root, 'the scenario', TOP_KEYS, ['question', 'threads', 'expect']);
  if (top === null) return { ok: false, errors: w.errors };

  const fmt = top.get('format');
  if (fmt !== undefined) {
    const v = w.plainInt(fmt.value, 'format', 0n, 1000n);
    if (v !== null && v !== 1n) w.err(w.pos(fmt.value), `format: version ${v} is not supported (this pinlab reads format 1)`);
  }
  const question = top.get('question') === undefined ? '' : w.str(top.get('question')?.value ?? null, 'question') ?? '';
  const refs = strList(w, top.get('refs')?.value, 'refs');
  const tags = strList(w, top.get('tags')?.value, 'tags');

  const setup = parseSetup(w, top.get('setup')?.value ?? null, top.get('setup') !== undefined);
  const threadsNode = top.get('threads');
  const threads = threadsNode === undefined ? [] : parseThreads(w, threadsNode.value);
  const observe = top.get('observe') === undefined ? [] : parseObserve(w, top.get('observe')?.value ?? null);
  const expectNode = top.get('expect');
  const expect = expectNode === undefined ? [] : parseExpect(w, expectNode.value);

  let schedule: string | null = null;
  const sch = top.get('schedule');
  if (sch !== undefined) {
    schedule = w.str(sch.value, 'schedule');
    if (schedule !== null) {
      const p = parseSchedule(schedule);
      if (!p.ok) {
        const at = w.pos(sch.value);
        w.err({ line: at.line, col: at.col + p.column - 1, offset: at.offset + p.column - 1 }, `schedule: ${p.error}`);
      } else {
        for (const it of p.schedule.items) {
          if (it.kind === 'thread' && it.thread >= threads.length) {
            w.err(w.pos(sch.value), `schedule: T${it.thread} does not exist (the scenario has ${threads.length} thread${threads.length === 1 ? '' : 's'})`);
            break;
          }
        }
      }
    }
  }
  let preemptionBound: number | null = null;
  let maxSchedules: number | null = null;
  const ex = top.get('explore');
  if (ex !== undefined) {
    const m = w.map(ex.value, 'explore', ['preemption_bound', 'max_schedules']);
    if (m !== null) {
      const pb = m.get('preemption_bound');
      if (pb !== undefined) preemptionBound = w.smallInt(pb.value, 'explore.preemption_bound', 0, 1000);
      const ms = m.get('max_schedules');
      if (ms !== undefined) maxSchedules = w.smallInt(ms.value, 'explore.max_schedules', 1, 1_000_000_000);
    }
  }

  if (threadsNode !== undefined && threads.length === 0 && isSeq(threadsNode.value) && threadsNode.value.items.length === 0) {
    w.err(w.pos(threadsNode.value), 'threads: a scenario needs at least one thread');
  }
  if (expectNode !== undefined && expect.length === 0 && isMap(expectNode.value) && expectNode.value.items.length === 0) {
    w.err(w.pos(expectNode.value), 'expect: declare the result for at least one profile');
  }

  checkRefs(w, threads);
  if (w.errors.length > 0) return { ok: false, errors: sortErrors(w.errors) };
  return {
    ok: true,
    scenario: { file, format: 1, question, refs, tags, setup, threads, observe, expect, schedule, explore: { preemptionBound, maxSchedules } },
  };
}

function sortErrors(es: ScenarioError[]): ScenarioError[] {
  return es.slice().sort((a, b) => a.at.offset - b.at.offset);
}

function findAliases(node: unknown, found: (n: YNode) => void): void {
  if (node === null || node === undefined) return;
  if (isAlias(node)) {
    found(node);
    return;
  }
  if (isMap(node)) {
    for (const p of node.items) {
      findAliases(p.key, found);
      findAliases(p.value, found);
    }
  } else if (isSeq(node)) {
    for (const it of node.items) findAliases(it, found);
  }
}

function strList(w: Walker, node: YNode | null | undefined, where: string): string[] {
  if (node === undefined || node === null) return [];
  const items = w.seq(node, where);
  if (items === null) return [];
  const out: string[] = [];
  for (const it of items) {
    // `- c4237f8b1f4f "mm: fix ..."` unquoted reads as a one-key mapping: accept it as text.
    if (isMap(it) && it.items.length === 1 && isScalar(it.items[0].key) && (isScalar(it.items[0].value) || it.items[0].value === null)) {
      const k = (it.items[0].key as { value: unknown }).value;
      const v = (it.items[0].value as { value: unknown } | null)?.value ?? '';
      out.push(`${String(k)}: ${String(v)}`);
      continue;
    }
    const s = w.str(it, `${where}[]`);
    if (s !== null) out.push(s);
  }
  return out;
}

// ---- setup ---------------------------------------------------------------------------------------

const MB = 1024n * 1024n;

function parseSetup(w: Walker, node: YNode | null, present: boolean): Setup {
  const setup: { memory: MemorySetup; filesystems: FilesystemSetup[]; files: FileSetup[]; processes: ProcessSetup[]; devices: DeviceSetup[]; vfio: { dmaEntryLimit: number; containers: ContainerSetup[] } } = {
    memory: { zones: { DMA32: 16n * MB, Normal: 64n * MB, Movable: 0n }, cma: 0n, hugepages: 0, hugepages1g: 0, pmem: [] },
    filesystems: [],
    files: [],
    processes: [],
    devices: [],
    vfio: { dmaEntryLimit: 65535, containers: [] },
  };
  if (!present) return setup;
  const m = w.map(node, 'setup', ['memory', 'filesystems', 'files', 'processes', 'devices', 'vfio']);
  if (m === null) return setup;

  const mem = m.get('memory');
  if (mem !== undefined) setup.memory = parseMemory(w, mem.value, setup.memory);

  for (const it of w.optSeq(m.get('filesystems'), 'setup.filesystems')) {
    const f = w.map(it, 'a file system', ['mount', 'type', 'dax', 'device'], ['mount', 'type']);
    if (f === null) continue;
    const mount = w.str(f.get('mount')?.value ?? null, 'mount');
    const type = enumOf(w, f.get('type')?.value ?? null, 'type', ['ext4', 'tmpfs', 'hugetlbfs'] as const);
    const dax = f.get('dax') === undefined ? false : w.bool(f.get('dax')?.value ?? null, 'dax') ?? false;
    let device: string | null = null;
    if (f.get('device') !== undefined) {
      device = w.ident(f.get('device')?.value ?? null, 'device');
      if (device !== null && !setup.memory.pmem.some((p) => p.name === device)) {
        w.err(w.pos(f.get('device')?.value ?? null), `device: '${device}' is not a pmem region of setup.memory.pmem${mean(device, setup.memory.pmem.map((p) => p.name))}`);
      } else if (device !== null && setup.memory.pmem.find((p) => p.name === device)?.mode !== 'fsdax') {
        w.err(w.pos(f.get('device')?.value ?? null), `device: pmem region '${device}' is in devdax mode; a DAX file system needs an fsdax region`);
      }
    }
    if (dax && device === null && f.get('device') === undefined) w.err(w.pos(it), 'a DAX file system needs `device:` naming an fsdax pmem region');
    if (dax && type !== null && type !== 'ext4') w.err(w.pos(f.get('dax')?.value ?? null), `dax: only ext4 is modelled with -o dax (found ${type})`);
    if (mount !== null && !mount.startsWith('/')) w.err(w.pos(f.get('mount')?.value ?? null), `mount: '${mount}' must be an absolute path`);
    if (mount !== null && setup.filesystems.some((x) => x.mount === mount)) w.err(w.pos(f.get('mount')?.value ?? null), `mount: '${mount}' is mounted twice`);
    if (mount !== null && type !== null) setup.filesystems.push({ mount, type, dax, device, at: w.pos(it) });
  }

  for (const it of w.optSeq(m.get('files'), 'setup.files')) {
    const f = w.map(it, 'a file', ['path', 'size', 'name', 'cached'], ['path', 'size']);
    if (f === null) continue;
    const pnode = f.get('path')?.value ?? null;
    const path = w.str(pnode, 'path');
    const size = w.plainInt(f.get('size')?.value ?? null, 'size', 0n, 1n << 50n);
    let name: string | null = null;
    if (f.get('name') !== undefined) {
      name = w.ident(f.get('name')?.value ?? null, 'name');
      if (name !== null) w.define(name, 'file', w.pos(f.get('name')?.value ?? null));
    }
    let cached: number[] | null = null;
    if (f.get('cached') !== undefined) {
      cached = [];
      for (const c of w.optSeq(f.get('cached'), 'cached')) {
        const v = w.smallInt(c, 'cached[]', 0, 1 << 30);
        if (v !== null) cached.push(v);
      }
    }
    if (path !== null) {
      const fs = setup.filesystems.filter((x) => path.startsWith(x.mount.endsWith('/') ? x.mount : x.mount + '/'));
      if (fs.length === 0) w.err(w.pos(pnode), `path: '${path}' is not under any mount of setup.filesystems (${setup.filesystems.map((x) => x.mount).join(', ') || 'none declared'})`);
      if (setup.files.some((x) => x.path === path)) w.err(w.pos(pnode), `path: file '${path}' is declared twice`);
    }
    if (path !== null && !w.defs.has(path)) w.defs.set(path, { kind: 'file', at: w.pos(pnode), fields: [] });
    if (path !== null && size !== null) setup.files.push({ path, name, size, cached, at: w.pos(it) });
  }

  for (const it of w.optSeq(m.get('devices'), 'setup.devices')) {
    const d = w.map(it, 'a device', ['name', 'kind', 'iommu_group', 'driver', 'bar'], ['name', 'kind']);
    if (d === null) continue;
    const name = w.ident(d.get('name')?.value ?? null, 'name');
    const kind = enumOf(w, d.get('kind')?.value ?? null, 'kind', ['edu', 'mdev'] as const);
    const grp = d.get('iommu_group') === undefined ? setup.devices.length + 1 : w.smallInt(d.get('iommu_group')?.value ?? null, 'iommu_group', 0, 1 << 20);
    const dnode = d.get('driver')?.value ?? null;
    let driver: DeviceDriver | null = kind === 'mdev' ? 'vfio-mdev' : 'vfio-pci';
    if (dnode !== null) {
      driver = enumOf(w, dnode, 'driver', ['vfio-pci', 'pci-stub', 'kernel'] as const);
      if (kind === 'mdev') w.err(w.pos(dnode), `driver: an mdev is always bound to its vendor driver (give 'driver' only to an edu)`);
    }
    const bnode = d.get('bar')?.value ?? null;
    let bar: bigint | null = null;
    if (bnode !== null) {
      bar = w.plainInt(bnode, 'bar', 1n, 1n << 40n);
      if (bar !== null && bar % BigInt(PAGE_SIZE) !== 0n) {
        w.err(w.pos(bnode), `bar: ${bar} bytes is not a multiple of 4K`);
        bar = null;
      } else if (kind !== 'edu' || driver !== 'vfio-pci') {
        w.err(w.pos(bnode), `bar: only an edu bound to vfio-pci has a BAR the scenario can map`);
      }
    }
    if (name !== null) w.define(name, 'device', w.pos(d.get('name')?.value ?? null));
    if (name !== null && kind !== null && grp !== null && driver !== null) setup.devices.push({ name, kind, iommuGroup: grp, driver, bar, at: w.pos(it) });
  }

  for (const it of w.optSeq(m.get('processes'), 'setup.processes')) {
    const p = parseProcess(w, it, setup.files);
    if (p !== null) setup.processes.push(p);
  }

  const vfio = m.get('vfio');
  if (vfio !== undefined) {
    const v = w.map(vfio.value, 'setup.vfio', ['dma_entry_limit', 'containers']);
    if (v !== null) {
      if (v.get('dma_entry_limit') !== undefined) setup.vfio.dmaEntryLimit = w.smallInt(v.get('dma_entry_limit')?.value ?? null, 'dma_entry_limit', 0, 0xffffffff) ?? 65535;
      for (const it of w.optSeq(v.get('containers'), 'setup.vfio.containers')) {
        const c = w.map(it, 'a container', ['name', 'process', 'iommu', 'groups'], ['name', 'process']);
        if (c === null) continue;
        const name = w.ident(c.get('name')?.value ?? null, 'name');
        const pnode = c.get('process')?.value ?? null;
        const process = w.ident(pnode, 'process');
        if (process !== null) w.ref(process, null, w.pos(pnode), ['process'], 'process');
        const iommu = c.get('iommu') === undefined ? 'VFIO_TYPE1v2_IOMMU' : enumOf(w, c.get('iommu')?.value ?? null, 'iommu', ['VFIO_TYPE1_IOMMU', 'VFIO_TYPE1v2_IOMMU'] as const);
        const groups: string[] = [];
        for (const g of w.optSeq(c.get('groups'), 'groups')) {
          const gname = w.ident(g, 'groups[]');
          if (gname !== null) {
            w.ref(gname, null, w.pos(g), ['device'], 'device');
            const dev = setup.devices.find((x) => x.name === gname);
            if (dev !== undefined && dev.driver !== 'vfio-pci' && dev.driver !== 'vfio-mdev') {
              w.err(w.pos(g), `groups: device '${gname}' is bound to ${dev.driver}, not vfio-pci: it is no VFIO device (open its group in a step to see what VFIO says)`);
            }
            groups.push(gname);
          }
        }
        if (name !== null) w.define(name, 'container', w.pos(c.get('name')?.value ?? null));
        if (name !== null && process !== null && iommu !== null) setup.vfio.containers.push({ name, process, iommu, groups, at: w.pos(it) });
      }
    }
  }
  return setup;
}

function parseMemory(w: Walker, node: YNode | null, dflt: MemorySetup): MemorySetup {
  const m = w.map(node, 'setup.memory', ['zones', 'cma', 'hugepages', 'pmem']);
  if (m === null) return dflt;
  const zones: Record<ZoneName, bigint> = { ...dflt.zones };
  const z = m.get('zones');
  if (z !== undefined) {
    const zm = w.map(z.value, 'setup.memory.zones', ['DMA32', 'Normal', 'Movable']);
    for (const [k, e] of zm ?? []) {
      const v = w.plainInt(e.value, `zones.${k}`, 0n, 1n << 46n);
      if (v !== null && v % (2n * MB) !== 0n) w.err(w.pos(e.value), `zones.${k}: ${v} bytes is not a multiple of 2M (the model lays memory out in 2 MiB blocks)`);
      else if (v !== null) zones[k as ZoneName] = v;
    }
  }
  let cma = 0n;
  if (m.get('cma') !== undefined) cma = w.plainInt(m.get('cma')?.value ?? null, 'cma', 0n, 1n << 44n) ?? 0n;
  if (cma % (2n * MB) !== 0n) w.err(w.pos(m.get('cma')?.value ?? null), `cma: ${cma} bytes is not a multiple of 2M`);
  if (cma > zones.Normal) w.err(w.pos(m.get('cma')?.value ?? null), `cma: ${cma} bytes of CMA do not fit in ZONE_NORMAL (${zones.Normal} bytes)`);
  memoryLayoutProblems(w, m.get('zones')?.value ?? node, m.get('cma')?.value ?? null, zones, cma);
  // hugepages: N (the 2 MiB pool, /proc/sys/vm/nr_hugepages) or one pool per size, as
  // /sys/kernel/mm/hugepages/hugepages-{2048,1048576}kB/nr_hugepages has them: { 2M: N, 1G: M }.
  let hugepages = 0;
  let hugepages1g = 0;
  const hp = m.get('hugepages')?.value ?? null;
  if (hp !== null && isMap(hp)) {
    for (const [k, e] of w.map(hp, 'setup.memory.hugepages', ['2M', '1G']) ?? []) {
      const n = Number(w.plainInt(e.value, `hugepages.${k}`, 0n, 1n << 20n) ?? 0n);
      if (k === '2M') hugepages = n;
      else hugepages1g = n;
    }
  } else if (m.get('hugepages') !== undefined) hugepages = Number(w.plainInt(hp, 'hugepages', 0n, 1n << 20n) ?? 0n);
  const pmem: PmemRegion[] = [];
  for (const it of w.optSeq(m.get('pmem'), 'setup.memory.pmem')) {
    const p = w.map(it, 'a pmem region', ['name', 'size', 'mode'], ['name', 'size', 'mode']);
    if (p === null) continue;
    const name = w.ident(p.get('name')?.value ?? null, 'name');
    const size = w.plainInt(p.get('size')?.value ?? null, 'size', 1n, 1n << 44n);
    if (size !== null && size % (2n * MB) !== 0n) w.err(w.pos(p.get('size')?.value ?? null), `size: ${size} bytes is not a multiple of 2M`);
    const mode = enumOf(w, p.get('mode')?.value ?? null, 'mode', ['fsdax', 'devdax'] as const);
    if (name !== null) w.define(name, 'device', w.pos(p.get('name')?.value ?? null));
    if (name !== null && size !== null && mode !== null) pmem.push({ name, size, mode, at: w.pos(it) });
  }
  return { zones, cma, hugepages, hugepages1g, pmem };
}

/**
 * Layouts no real kernel boots with, refused with the reason (the model's Machine needs some
 * DMA32 or Normal RAM outside CMA for the zero page and the kernel's own allocations):
 * - no DMA32 or Normal RAM at all: movablecore= never makes all memory ZONE_MOVABLE. The kernel
 *   sizes kernelcore as total - movablecore, and a kernelcore of 0 means no ZONE_MOVABLE at all
 *   (find_zone_movable_pfns_for_nodes: mm/page_alloc.c in 5.4 and 6.1, mm/mm_init.c in 6.12);
 * - all of ZONE_NORMAL CMA with no DMA32: CMA is reserved from memblock at boot
 *   (cma_declare_contiguous_nid, mm/cma.c), which cannot hand out all of memory; the reservation
 *   fails ("Failed to reserve") and the kernel boots without that area.
 * ZONE_DMA32 ends at 4 GiB (it starts at 16 MiB in the model's layout).
 */
function memoryLayoutProblems(w: Walker, zonesNode: YNode | null, cmaNode: YNode | null, zones: Readonly<Record<ZoneName, bigint>>, cma: bigint): void {
  const dma32Max = 4n * 1024n * MB - 16n * MB;
  if (zones.DMA32 > dma32Max) w.err(w.pos(zonesNode), `zones.DMA32: ${zones.DMA32} bytes do not fit below 4 GiB (ZONE_DMA32 is 16 MiB to 4 GiB here: at most ${dma32Max} bytes); put the rest in Normal`);
  if (zones.DMA32 > 0n || zones.Normal - cma > 0n || cma > zones.Normal) return;
  if (cma > 0n) {
    w.err(w.pos(cmaNode), `cma: all of ZONE_NORMAL is CMA and there is no DMA32, so nothing is left for the kernel's own allocations; a real kernel reserves CMA from memblock at boot (cma_declare_contiguous_nid, mm/cma.c), which cannot take all of memory: the reservation fails and the kernel boots without it. Leave some Normal or DMA32 memory outside CMA`);
  } else {
    w.err(w.pos(zonesNode), `setup.memory.zones: no DMA32 or Normal memory; a real kernel never puts all of memory in ZONE_MOVABLE: movablecore= leaves kernelcore = total - movablecore, and with none left there is no ZONE_MOVABLE at all (find_zone_movable_pfns_for_nodes: mm/page_alloc.c 5.4/6.1, mm/mm_init.c 6.12). Give DMA32 or Normal some memory`);
  }
}

function enumOf<T extends string>(w: Walker, node: YNode | null, where: string, values: readonly T[]): T | null {
  const s = w.str(node, where);
  if (s === null) return null;
  if ((values as readonly string[]).includes(s)) return s as T;
  w.err(w.pos(node), `${where}: '${s}' is not one of ${values.join(', ')}${mean(s, values)}`);
  return null;
}

function parseProcess(w: Walker, node: YNode, files: readonly FileSetup[]): ProcessSetup | null {
  const p = w.map(node, 'a process', ['name', 'uid', 'caps', 'rlimits', 'comm', 'mappings'], ['name']);
  if (p === null) return null;
  const nameNode = p.get('name')?.value ?? null;
  const name = w.ident(nameNode, 'name');
  if (name !== null) w.define(name, 'process', w.pos(nameNode));
  const uid = p.get('uid') === undefined ? 0 : w.smallInt(p.get('uid')?.value ?? null, 'uid', 0, 0xfffffffe) ?? 0;
  let caps: string[] = uid === 0 ? [...CAP_NAMES] : [];
  const capsNode = p.get('caps');
  if (capsNode !== undefined) {
    if (isScalar(capsNode.value) && capsNode.value.value === 'all') caps = [...CAP_NAMES];
    else caps = capList(w, capsNode.value, 'caps') ?? [];
  }
  const rlimits: Record<string, { cur: bigint | null; max: bigint | null }> = {};
  const rl = p.get('rlimits');
  if (rl !== undefined) {
    for (const [k, e] of w.map(rl.value, 'rlimits', RLIMIT_NAMES) ?? []) {
      if (isMap(e.value)) {
        const lm = w.map(e.value, k, ['cur', 'max'], ['cur']);
        const cur = rlimitValue(w, lm?.get('cur')?.value ?? null, `${k}.cur`);
        const max = lm?.get('max') === undefined ? cur : rlimitValue(w, lm.get('max')?.value ?? null, `${k}.max`);
        if (cur !== undefined && max !== undefined) {
          if (cur !== null && (max === null ? false : cur > max)) w.err(e.at, `${k}: cur ${cur} exceeds max ${max}`);
          rlimits[k] = { cur, max };
        }
      } else {
        const v = rlimitValue(w, e.value, k);
        if (v !== undefined) rlimits[k] = { cur: v, max: v };
      }
    }
  }
  const comm = p.get('comm') === undefined ? name ?? '' : w.str(p.get('comm')?.value ?? null, 'comm') ?? '';
  const mappings: MappingSetup[] = [];
  for (const it of w.optSeq(p.get('mappings'), 'mappings')) {
    const mp = parseMapping(w, it, files);
    if (mp !== null) mappings.push(mp);
  }
  return name === null ? null : { name, uid, caps, rlimits, comm, mappings, at: w.pos(node) };
}

function rlimitValue(w: Walker, node: YNode | null, where: string): bigint | null | undefined {
  if (isScalar(node) && (node.value === 'unlimited' || node.value === 'RLIM_INFINITY')) return null;
  const v = w.plainInt(node, where, 0n, (1n << 64n) - 1n);
  return v === null ? undefined : v;
}

function capList(w: Walker, node: YNode | null, where: string): string[] | null {
  const items = w.seq(node, where);
  if (items === null) return null;
  const out: string[] = [];
  for (const it of items) {
    const s = w.str(it, `${where}[]`);
    if (s === null) continue;
    if (!(CAP_NAMES as readonly string[]).includes(s)) w.err(w.pos(it), `${where}: unknown capability '${s}' (modelled: ${CAP_NAMES.join(', ')})${mean(s, CAP_NAMES)}`);
    else out.push(s);
  }
  return out;
}

function parseMapping(w: Walker, node: YNode, files: readonly FileSetup[]): MappingSetup | null {
  const m = w.map(node, 'a mapping', ['name', 'addr', 'length', 'prot', 'flags', 'file', 'offset', 'populate'], ['name', 'length', 'prot', 'flags']);
  if (m === null) return null;
  const nameNode = m.get('name')?.value ?? null;
  const name = w.ident(nameNode, 'name');
  if (name !== null) w.define(name, 'mapping', w.pos(nameNode), ['end', 'length']);
  const addr = m.get('addr') === undefined ? 0n : w.plainInt(m.get('addr')?.value ?? null, 'addr', 0n, (1n << 64n) - 1n);
  const length = w.plainInt(m.get('length')?.value ?? null, 'length', 0n, 1n << 50n);
  const prot = flagNames(w, w.flags(m.get('prot')?.value ?? null, 'prot', PROT_NAMES, 'PROT_'), 'prot', PROT_NAMES);
  const flags = flagNames(w, w.flags(m.get('flags')?.value ?? null, 'flags', MAP_NAMES, 'MAP_'), 'flags', MAP_NAMES);
  let file: string | null = null;
  const fnode = m.get('file')?.value ?? null;
  if (m.get('file') !== undefined) {
    file = w.str(fnode, 'file');
    if (file !== null) {
      const fname = file.startsWith('$') ? file.slice(1) : null;
      const found = files.find((f) => f.path === file || (fname !== null && f.name === fname));
      if (found === undefined && !file.startsWith('/dev/')) w.err(w.pos(fnode), `file: '${file}' is not declared in setup.files${mean(file, files.map((f) => f.path))}`);
      else if (found !== undefined) file = found.path;
    }
  }
  const offset = m.get('offset') === undefined ? 0n : w.plainInt(m.get('offset')?.value ?? null, 'offset', 0n, 1n << 60n);
  const populate = m.get('populate') === undefined ? false : w.bool(m.get('populate')?.value ?? null, 'populate') ?? false;
  if (flags !== null && file === null && !flags.includes('MAP_ANONYMOUS')) w.err(w.pos(node), 'a mapping without `file:` must have MAP_ANONYMOUS in flags');
  if (name === null || addr === null || length === null || prot === null || flags === null || offset === null) return null;
  return { name, addr, length, prot, flags, file, offset, populate, at: w.pos(node) };
}

/**
 * A set-up mapping's prot/flags as names. An integer (documented as valid) is decomposed into the
 * family's names, wider fields first (MAP_SHARED_VALIDATE before MAP_SHARED, MAP_HUGE_1GB as a whole);
 * bits no modelled name covers are a positioned error, never dropped.
 */
function flagNames(w: Walker, v: ArgValue | null, where: string, names: readonly string[]): string[] | null {
  if (v === null) return null;
  if (v.kind === 'flags') return [...v.names];
  if (v.kind !== 'int') return null;
  if (v.value < 0n || v.value > 0xffffffffn) {
    w.err(v.at, `${where}: ${v.value} is not a 32-bit flags value`);
    return null;
  }
  const table = names
    .map((n) => ({ n, x: BigInt((mman as Readonly<Record<string, unknown>>)[n] as number) }))
    .filter((e) => e.x !== 0n)
    .sort((a, b) => popcount(b.x) - popcount(a.x));
  let left = v.value;
  const out: string[] = [];
  for (const e of table) {
    if ((left & e.x) === e.x) {
      out.push(e.n);
      left &= ~e.x;
    }
  }
  if (left !== 0n) {
    w.err(v.at, `${where}: 0x${v.value.toString(16)} has bits 0x${left.toString(16)} that no modelled name covers (${names.join(', ')}); write the flags as names`);
    return null;
  }
  return out;
}

function popcount(x: bigint): number {
  let n = 0;
  for (let y = x; y > 0n; y >>= 1n) n += Number(y & 1n);
  return n;
}

// ---- threads ---------------------------------------------------------------------------------------

/** The most threads a scenario may declare (measured: 256 threads explore 100 schedules in ~19 s; 2,000 did not finish 20 in 300 s). */
export const MAX_THREADS = 256;

function parseThreads(w: Walker, node: YNode | null): ThreadDecl[] {
  const out: ThreadDecl[] = [];
  const items = w.seq(node, 'threads');
  if (items === null) return out;
  if (items.length > MAX_THREADS) {
    w.err(w.pos(items[MAX_THREADS]), `threads: ${items.length} threads; a scenario has at most ${MAX_THREADS} (every scheduling step looks at every thread, so runs and explorations grow with the square of the count)`);
    return out;
  }
  const names: string[] = [];
  items.forEach((it, index) => {
    const m = w.map(it, `thread T${index}`, ['name', 'process', 'kthread', 'steps'], ['steps']);
    if (m === null) return;
    let name = `T${index}`;
    if (m.get('name') !== undefined) {
      const n = w.ident(m.get('name')?.value ?? null, 'name');
      if (n !== null) {
        if (names.includes(n)) w.err(w.pos(m.get('name')?.value ?? null), `thread name '${n}' is used twice`);
        name = n;
      }
    }
    names.push(name);
    let process: string | null = null;
    const pn = m.get('process');
    const kt = m.get('kthread');
    if (pn !== undefined && kt !== undefined) w.err(kt.at, `thread ${name}: give either process: or kthread: true, not both`);
    if (pn !== undefined) {
      process = w.ident(pn.value, 'process');
      if (process !== null) w.ref(process, null, w.pos(pn.value), ['process'], 'process');
    } else if (kt !== undefined) {
      const b = w.bool(kt.value, 'kthread');
      if (b === false) w.err(w.pos(kt.value), `thread ${name}: kthread: false means nothing; give process: instead`);
    } else {
      w.err(w.pos(it), `thread ${name}: missing 'process:' (the process it runs as) or 'kthread: true'`);
    }
    const steps: Step[] = [];
    const sitems = w.seq(m.get('steps')?.value ?? null, `thread ${name}: steps`);
    if (m.get('steps') !== undefined && sitems !== null) {
      let exitAt: Pos | null = null;
      for (const s of sitems) {
        const st = parseStep(w, s);
        // do_exit() does not return: a step after `exit` could never run.
        if (exitAt !== null) w.err(st?.at ?? w.pos(s), `thread ${name}: this step comes after 'exit' (line ${exitAt.line}), which ends the thread (do_exit() does not return), so it could never run; move it before the exit or into another thread`);
        if (st !== null && st.op === 'exit' && exitAt === null) exitAt = st.at;
        if (st !== null) steps.push(st);
      }
    }
    out.push({ index, name, process, steps, at: w.pos(it) });
  });
  return out;
}

function parseStep(w: Walker, node: YNode): Step | null {
  if (!isMap(node)) {
    w.err(w.pos(node), `a step must be a mapping '<operation>: { args }', found ${describe(node)}`);
    return null;
  }
  let opPair: Pair | null = null;
  let asName: string | null = null;
  let after: string | null = null;
  let bad = false;
  for (const pair of node.items) {
    const key = pair.key as YNode | null;
    if (!isScalar(key) || typeof key.value !== 'string') {
      w.err(w.pos(key), `a step's keys must be names, found ${describe(key)}`);
      bad = true;
      continue;
    }
    const k = key.value;
    if (k === 'as') {
      asName = w.ident((pair.value as YNode | null) ?? null, 'as');
      if (asName !== null) {
        // Defined below once the op is known (fields depend on it).
      }
    } else if (k === 'after') {
      after = w.ident((pair.value as YNode | null) ?? null, 'after');
      if (after !== null) w.ref(after, null, w.pos(pair.value as YNode), ['result'], 'after');
    } else if (opPair !== null) {
      w.err(w.pos(key), `a step has exactly one operation; found '${(opPair.key as { value: string }).value}' and '${k}' (start a new '- ' item for the second)`);
      bad = true;
    } else {
      opPair = pair as Pair;
    }
  }
  if (opPair === null) {
    if (!bad) w.err(w.pos(node), `a step needs an operation (one of: ${OP_NAMES.slice(0, 8).join(', ')}, ...)`);
    return null;
  }
  const keyNode = opPair.key as YNode;
  const opName = (keyNode as unknown as { value: string }).value;
  const at = w.pos(keyNode);
  const spec = OPS.get(opName);
  if (spec === undefined) {
    w.err(at, `unknown operation '${opName}'${mean(opName, OP_NAMES)}`);
    return null;
  }
  const argsNode = (opPair.value as YNode | null) ?? null;
  let probe: Probe | null = null;
  const args: Record<string, ArgValue> = {};
  if (spec.cls === 'observe') {
    probe = parseProbe(w, argsNode, 'observe');
    if (probe === null) return null;
  } else {
    const isEmpty = argsNode === null || (isScalar(argsNode) && argsNode.value === null);
    const m = isEmpty && spec.args.every((a) => a.dflt !== undefined) ? new Map() : w.map(argsNode, `${opName} arguments`, spec.args.map((a) => a.name), spec.args.filter((a) => a.dflt === undefined).map((a) => a.name));
    if (m === null) return null;
    for (const a of spec.args) {
      const e = m.get(a.name);
      if (e === undefined) {
        if (a.dflt !== undefined) args[a.name] = defaultArg(a, at);
        continue;
      }
      const v = parseArg(w, a, e.value, opName);
      if (v !== null) args[a.name] = v;
      else bad = true;
    }
  }
  if (asName !== null) w.define(asName, 'result', at, spec.outputs ?? []);
  if (bad) return null;
  return { op: opName, cls: spec.cls, args, probe, as: asName, after, at };
}

function defaultArg(a: ArgSpec, at: Pos): ArgValue {
  const d = a.dflt;
  if (d === null || d === undefined) return { kind: 'null', at };
  if (typeof d === 'boolean') return { kind: 'bool', value: d, at };
  if (typeof d === 'number') return { kind: 'int', value: BigInt(d), at };
  if (a.type.kind === 'flags' || a.type.kind === 'enum') return { kind: 'flags', names: d.split('|'), at };
  return { kind: 'str', value: d, at };
}

function parseArg(w: Walker, a: ArgSpec, node: YNode | null, op: string): ArgValue | null {
  const where = `${op}.${a.name}`;
  const at = w.pos(node);
  const t: ArgType = a.type;
  switch (t.kind) {
    case 'int': {
      const v = w.intExpr(node, where);
      if (v !== null) noteRefs(w, v, where);
      return v;
    }
    case 'flags':
      return w.flags(node, where, t.names, t.family);
    case 'enum': {
      if (isScalar(node) && (typeof node.value === 'bigint' || typeof node.value === 'number')) return w.intExpr(node, where, false);
      const s = w.str(node, where);
      if (s === null) return null;
      if (!t.names.includes(s)) {
        w.err(at, `${where}: unknown value '${s}' (expected one of ${t.names.join(', ')})${mean(s, t.names)}`);
        return null;
      }
      return { kind: 'flags', names: [s], at };
    }
    case 'process': {
      const s = w.ident(node, where);
      if (s === null) return null;
      w.ref(s, null, at, ['process'], where);
      return { kind: 'str', value: s, at };
    }
    case 'new-process': {
      const s = w.ident(node, where);
      if (s === null) return null;
      w.define(s, 'process', at);
      return { kind: 'str', value: s, at };
    }
    case 'device': {
      const s = w.ident(node, where);
      if (s === null) return null;
      w.ref(s, null, at, ['device'], where);
      return { kind: 'str', value: s, at };
    }
    case 'thread': {
      const s = w.ident(node, where);
      if (s === null) return null;
      w.ref(s, null, at, ['thread'], where);
      return { kind: 'str', value: s, at };
    }
    case 'path': {
      const s = w.str(node, where);
      if (s === null) return null;
      if (s.startsWith('$')) {
        w.ref(s.slice(1), null, at, ['file'], where);
      } else if (s.startsWith('/proc/')) {
        // /proc/self/mem or /proc/<process>/mem (fs/proc/base.ts).
        const m = /^\/proc\/([A-Za-z_][A-Za-z0-9_-]*)\/mem$/.exec(s);
        if (m === null) w.err(at, `${where}: the only /proc paths are /proc/self/mem and /proc/<process>/mem, found '${s}'`);
        else if (m[1] !== 'self') w.ref(m[1], null, at, ['process'], where);
      } else if (!s.startsWith('/dev/')) {
        w.ref(s, null, at, ['file'], where);
      }
      return { kind: 'str', value: s, at };
    }
    case 'bool': {
      const b = w.bool(node, where);
      return b === null ? null : { kind: 'bool', value: b, at };
    }
    case 'string':
    case 'content': {
      const s = w.str(node, where);
      return s === null ? null : { kind: 'str', value: s, at };
    }
    case 'pages': {
      const s = w.str(node, where);
      if (s === null) return null;
      const m = /^\$([A-Za-z_][A-Za-z0-9_-]*)\.pages$/.exec(s);
      if (m === null) {
        w.err(at, `${where}: expected '$<result>.pages' (the pages a GUP step returned), found '${s}'`);
        return null;
      }
      w.ref(m[1], 'pages', at, ['result'], where);
      return { kind: 'ref', name: m[1], field: 'pages', at };
    }
    case 'iovecs': {
      const items = w.seq(node, where);
      if (items === null) return null;
      const out: ArgValue[] = [];
      for (const it of items) {
        const m = w.map(it, `${where}[]`, ['base', 'len'], ['base', 'len']);
        if (m === null) return null;
        const base = w.intExpr(m.get('base')?.value ?? null, `${where}[].base`);
        const len = w.intExpr(m.get('len')?.value ?? null, `${where}[].len`);
        if (base === null || len === null) return null;
        noteRefs(w, base, where);
        noteRefs(w, len, where);
        out.push({ kind: 'map', entries: { base, len }, at: w.pos(it) });
      }
      return { kind: 'list', items: out, at };
    }
    case 'caps': {
      const l = capList(w, node, where);
      return l === null ? null : { kind: 'flags', names: l, at };
    }
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** Record the `$refs` inside an integer expression (they must name values). */
function noteRefs(w: Walker, v: ArgValue, where: string): void {
  if (v.kind === 'ref') w.ref(v.name, v.field, v.at, ['result', 'mapping', 'container'], where);
  else if (v.kind === 'sum') for (const t of v.terms) noteRefs(w, t.term, where);
}

// ---- observe -----------------------------------------------------------------------------------------

function parseObserve(w: Walker, node: YNode | null): Observation[] {
  const out: Observation[] = [];
  if (!isMap(node)) {
    w.err(w.pos(node), `observe: expected a mapping of names to probes, found ${describe(node)}`);
    return out;
  }
  for (const pair of node.items) {
    const key = pair.key as YNode | null;
    const name = w.ident(key, 'observe');
    if (name === null) continue;
    const at = w.pos(key);
    const probe = parseProbe(w, (pair.value as YNode | null) ?? null, `observe.${name}`);
    w.define(name, 'observation', at);
    if (probe !== null) out.push({ name, probe, at });
  }
  return out;
}

function parseProbe(w: Walker, node: YNode | null, where: string): Probe | null {
  if (!isMap(node) || node.items.length !== 1) {
    w.err(w.pos(node), `${where}: expected one probe '{ <kind>: ... }' (kinds: ${PROBE_KINDS.join(', ')}), found ${isMap(node) ? `${node.items.length} keys` : describe(node)}`);
    return null;
  }
  const pair = node.items[0];
  const key = pair.key as YNode | null;
  const at = w.pos(key);
  if (!isScalar(key) || typeof key.value !== 'string') {
    w.err(at, `${where}: a probe kind must be a name`);
    return null;
  }
  const kind = key.value;
  const spec = PROBES.get(kind);
  if (spec === undefined) {
    w.err(at, `${where}: unknown probe '${kind}' (kinds: ${PROBE_KINDS.join(', ')})${mean(kind, PROBE_KINDS)}`);
    return null;
  }
  const val = (pair.value as YNode | null) ?? null;
  switch (spec.shape) {
    case 'point': {
      const m = w.map(val, `${where}.${kind}`, ['process', 'addr'], ['process', 'addr']);
      if (m === null) return null;
      const pnode = m.get('process')?.value ?? null;
      const process = w.ident(pnode, 'process');
      const addr = w.intExpr(m.get('addr')?.value ?? null, 'addr');
      if (process === null || addr === null) return null;
      w.ref(process, null, w.pos(pnode), ['process'], 'process');
      noteRefs(w, addr, `${where}.${kind}.addr`);
      return { kind: kind as 'frame', process, addr, at };
    }
    case 'process': {
      const process = w.ident(val, `${where}.${kind}`);
      if (process === null) return null;
      w.ref(process, null, w.pos(val), ['process'], `${where}.${kind}`);
      return { kind: kind as 'locked_vm', process, at };
    }
    case 'iommu': {
      const m = w.map(val, `${where}.iommu`, ['container', 'iova'], ['container', 'iova']);
      if (m === null) return null;
      const container = w.intExpr(m.get('container')?.value ?? null, 'container');
      const iova = w.intExpr(m.get('iova')?.value ?? null, 'iova');
      if (container === null || iova === null) return null;
      noteRefs(w, container, `${where}.iommu.container`);
      noteRefs(w, iova, `${where}.iommu.iova`);
      return { kind: 'iommu', container, iova, at };
    }
    case 'path': {
      const path = w.str(val, `${where}.file_size`);
      if (path === null) return null;
      w.ref(path.startsWith('$') ? path.slice(1) : path, null, w.pos(val), ['file'], `${where}.file_size`);
      return { kind: 'file_size', path, at };
    }
    case 'thread': {
      const s = w.ident(val, `${where}.thread`);
      if (s === null) return null;
      w.ref(s, null, w.pos(val), ['thread'], `${where}.thread`);
      return { kind: 'thread', thread: s, at };
    }
  }
}

// ---- expect ---------------------------------------------------------------------------------------------

function parseExpect(w: Walker, node: YNode | null): ProfileExpect[] {
  const out: ProfileExpect[] = [];
  if (!isMap(node)) {
    w.err(w.pos(node), `expect: expected a mapping of profiles to results, found ${describe(node)}`);
    return out;
  }
  const seen = new Set<string>();
  for (const pair of node.items) {
    const key = pair.key as YNode | null;
    const at = w.pos(key);
    if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number' && typeof key.value !== 'bigint')) {
      w.err(at, `expect: a key must be a profile name, found ${describe(key)}`);
      continue;
    }
    const spec = String(key.value);
    const r = resolveProfile(spec);
    if (!r.ok) {
      w.err(at, r.error.message);
      continue;
    }
    if (seen.has(r.profile.name)) {
      w.err(at, `expect: profile '${spec}' (${r.profile.name}) is declared twice`);
      continue;
    }
    seen.add(r.profile.name);
    const m = w.map((pair.value as YNode | null) ?? null, `expect.${spec}`, ['values', 'invariants', 'warnings', 'bugs', 'exists', 'forall']);
    if (m === null) continue;
    const values = new Map<string, Expected>();
    const vnode = m.get('values');
    if (vnode !== undefined) {
      if (!isMap(vnode.value)) w.err(w.pos(vnode.value), `expect.${spec}.values: expected a mapping of result names to values, found ${describe(vnode.value)}`);
      else {
        for (const vp of vnode.value.items) {
          const kat = w.pos(vp.key as YNode);
          const kraw = w.str((vp.key as YNode | null) ?? null, `expect.${spec}.values`);
          if (kraw === null) continue;
          const km = /^([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$/.exec(kraw);
          if (km === null) {
            w.err(kat, `expect.${spec}.values: '${kraw}' is not a result name (name or name.field)`);
            continue;
          }
          const k = kraw;
          w.ref(km[1], km[2] ?? null, kat, ['result', 'observation'], `expect.${spec}.values`);
          const e = parseExpected(w, (vp.value as YNode | null) ?? null, `expect.${spec}.values.${k}`);
          if (e !== null) values.set(k, e);
        }
      }
    }
    const invariants = new Map<InvariantId, { verdict: Verdict; at: Pos }>();
    const inode = m.get('invariants');
    if (inode !== undefined) {
      for (const [k, e] of w.map(inode.value, `expect.${spec}.invariants`, INVARIANT_IDS) ?? []) {
        if (!isInvariantId(k)) continue;
        const v = w.str(e.value, `${k}`);
        if (v === null) continue;
        const vv = v.toLowerCase();
        if (!(VERDICTS as readonly string[]).includes(vv)) {
          w.err(w.pos(e.value), `${k}: '${v}' is not a verdict (never, sometimes, always)${mean(v, VERDICTS)}`);
          continue;
        }
        invariants.set(k, { verdict: vv as Verdict, at: w.pos(e.value) });
      }
    }
    const warnings = strList(w, m.get('warnings')?.value, `expect.${spec}.warnings`);
    const bugs = strList(w, m.get('bugs')?.value, `expect.${spec}.bugs`);
    const outcomes: OutcomeCondition[] = [];
    for (const kind of ['exists', 'forall'] as const) {
      const c = m.get(kind);
      if (c !== undefined) {
        const oc = parseOutcomeCondition(w, c.value, kind, `expect.${spec}.${kind}`, c.at);
        if (oc !== null) outcomes.push(oc);
      }
    }
    out.push({ spec, profile: r.profile, values, invariants, warnings, bugs, outcomes, at });
  }
  return out;
}

/**
 * An `exists:`/`forall:` condition: a mapping of value paths to matchers (all must
 * hold), or a list of such mappings (one of them must hold).
 */
function parseOutcomeCondition(w: Walker, node: YNode | null, kind: 'exists' | 'forall', where: string, at: Pos): OutcomeCondition | null {
  if (isSeq(node)) {
    const any: Condition[] = [];
    (node.items as YNode[]).forEach((it, i) => {
      const c = parseCondition(w, it, `${where}[${i}]`);
      if (c !== null) any.push(c);
    });
    if (node.items.length === 0) w.err(w.pos(node), `${where}: expected at least one condition`);
    return any.length === node.items.length && any.length > 0 ? { kind, any, at } : null;
  }
  const c = parseCondition(w, node, where);
  return c === null ? null : { kind, any: [c], at };
}

const VALUE_PATH = /^([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?((?:\[[0-9]+\])*)$/;

/** One conjunction: `{ r: 4, r.pages[0]: $f0, r.pages[3]: { ne: $f0 } }`. */
function parseCondition(w: Walker, node: YNode | null, where: string): Condition | null {
  const at = w.pos(node);
  if (!isMap(node)) {
    w.err(at, `${where}: expected a mapping of result names to matchers (or a list of such mappings), found ${describe(node)}`);
    return null;
  }
  if (node.items.length === 0) {
    w.err(at, `${where}: expected at least one result name`);
    return null;
  }
  const terms: { path: ValuePath; expected: Expected; at: Pos }[] = [];
  let ok = true;
  for (const p of node.items) {
    const kat = w.pos(p.key as YNode);
    const kraw = w.str((p.key as YNode | null) ?? null, where);
    if (kraw === null) {
      ok = false;
      continue;
    }
    const km = VALUE_PATH.exec(kraw);
    if (km === null) {
      w.err(kat, `${where}: '${kraw}' is not a value path (name, name.field, optionally with indices: r.pages[0])`);
      ok = false;
      continue;
    }
    w.ref(km[1], km[2] ?? null, kat, ['result', 'observation'], where);
    const index = [...km[3].matchAll(/\[([0-9]+)\]/g)].map((x) => Number(x[1]));
    const e = parseExpected(w, (p.value as YNode | null) ?? null, `${where}.${kraw}`, true);
    if (e === null) {
      ok = false;
      continue;
    }
    terms.push({ path: { name: km[1], field: km[2] ?? null, index, text: kraw }, expected: e, at: kat });
  }
  if (!ok) return null;
  // Every variable used in a comparison or `oneof` must be bound where a value equals it.
  const bound = new Set<string>();
  for (const t of terms) for (const v of binders(t.expected)) bound.add(v);
  for (const t of terms) {
    for (const u of compared(t.expected, false)) {
      if (!bound.has(u.name)) w.err(u.at, `${where}.${t.path.text}: $${u.name} is compared but never bound (bind it with '<path>: $${u.name}' in the same condition)`);
    }
  }
  return { terms, at };
}

/** Variables in binding positions of a matcher (the whole matcher, or list items). */
export function binders(e: Expected): string[] {
  if (e.kind === 'var') return [e.name];
  if (e.kind === 'list') return e.items.flatMap(binders);
  return [];
}

/** Variables used in comparisons (`ne`, `lt`, ...) or `oneof`. */
function compared(e: Expected, inCmp: boolean): { name: string; at: Pos }[] {
  switch (e.kind) {
    case 'var':
      return inCmp ? [{ name: e.name, at: e.at }] : [];
    case 'list':
      return e.items.flatMap((i) => compared(i, inCmp));
    case 'cmp':
      return compared(e.rhs, true);
    case 'oneof':
      return e.items.flatMap((i) => compared(i, true));
    default:
      return [];
  }
}

function parseExpected(w: Walker, node: YNode | null, where: string, vars = false): Expected | null {
  const at = w.pos(node);
  if (node === null) return { kind: 'lit', value: null, at };
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return { kind: 'lit', value: null, at };
    if (typeof v === 'boolean') return { kind: 'lit', value: v, at };
    if (typeof v === 'bigint') return { kind: 'lit', value: normInt(v), at };
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) {
        w.err(at, `${where}: expected an integer, found ${v}`);
        return null;
      }
      return { kind: 'lit', value: v, at };
    }
    if (typeof v === 'string') {
      if (/^-E[A-Z0-9]+$/.test(v)) {
        const n = errnoByName(v);
        if (n === undefined) {
          w.err(at, `${where}: unknown errno '${v}'`);
          return null;
        }
        return { kind: 'lit', value: n, at };
      }
      const m = /^\$([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$/.exec(v);
      if (m !== null && vars && m[2] === undefined && !w.defs.has(m[1])) return { kind: 'var', name: m[1], at };
      if (m !== null) {
        w.ref(m[1], m[2] ?? null, at, ['result', 'observation', 'mapping'], where);
        return { kind: 'ref', name: m[1], field: m[2] ?? null, at };
      }
      if (v.startsWith('$') || /^[0-9]/.test(v)) {
        const e = w.exprString(v, at, where, false);
        if (e === null) return null;
        if (e.kind === 'int') return { kind: 'lit', value: normInt(e.value), at };
        return null;
      }
      return { kind: 'lit', value: v, at };
    }
  }
  if (isSeq(node)) {
    const items: Expected[] = [];
    for (const it of node.items as YNode[]) {
      const e = parseExpected(w, it, `${where}[]`, vars);
      if (e === null) return null;
      items.push(e);
    }
    return { kind: 'list', items, at };
  }
  if (isMap(node)) {
    const ops = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'oneof'];
    const m = w.map(node, `${where} (a matcher)`, ops);
    if (m === null) return null;
    if (m.size !== 1) {
      w.err(at, `${where}: a matcher has exactly one of ${ops.join(', ')}`);
      return null;
    }
    const [[op, e]] = [...m.entries()];
    if (op === 'oneof') {
      const items = w.seq(e.value, `${where}.oneof`);
      if (items === null) return null;
      const out: Expected[] = [];
      for (const it of items) {
        const x = parseExpected(w, it, `${where}.oneof[]`, vars);
        if (x === null) return null;
        out.push(x);
      }
      return { kind: 'oneof', items: out, at };
    }
    const rhs = parseExpected(w, e.value, `${where}.${op}`, vars);
    if (rhs !== null && op !== 'eq' && op !== 'ne' && rhs.kind !== 'ref' && rhs.kind !== 'var' && !(rhs.kind === 'lit' && (typeof rhs.value === 'number' || typeof rhs.value === 'bigint'))) {
      w.err(rhs.at, `${where}.${op}: ${op} compares integers; found ${rhs.kind === 'lit' ? describeValue(rhs.value) : `a ${rhs.kind}`}`);
      return null;
    }
    return rhs === null ? null : { kind: 'cmp', op: op as 'eq', rhs, at };
  }
  w.err(at, `${where}: cannot read ${describe(node)} as an expected value`);
  return null;
}

function describeValue(v: Value): string {
  if (typeof v === 'string') return `the string '${v}'`;
  return v === null ? 'null' : `${typeof v} ${String(v)}`;
}

function normInt(v: bigint): Value {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// ---- references -----------------------------------------------------------------------------------------

function checkRefs(w: Walker, threads: readonly ThreadDecl[]): void {
  threads.forEach((t) => {
    if (!w.defs.has(t.name)) w.defs.set(t.name, { kind: 'thread', at: t.at, fields: [] });
    const tn = `T${t.index}`;
    if (!w.defs.has(tn)) w.defs.set(tn, { kind: 'thread', at: t.at, fields: [] });
  });
  const defined = [...w.defs.keys()].filter((k) => w.defs.get(k)?.kind !== 'thread');
  for (const r of w.refs) {
    const d = w.defs.get(r.name);
    if (d === undefined) {
      const kinds = r.accept.join(' or ');
      w.err(r.at, `${r.what}: '${r.name}' is not defined (expected a ${kinds}; defined names: ${defined.join(', ') || 'none'})${mean(r.name, defined)}`);
      continue;
    }
    if (!r.accept.includes(d.kind)) {
      w.err(r.at, `${r.what}: '${r.name}' is a ${d.kind} (line ${d.at.line}), but a ${r.accept.join(' or ')} is expected here`);
      continue;
    }
    if (r.field !== null && !d.fields.includes(r.field)) {
      w.err(r.at, `${r.what}: '${r.name}' has no field '${r.field}'${d.fields.length > 0 ? ` (fields: ${d.fields.join(', ')})` : ''}`);
    }
  }
}

