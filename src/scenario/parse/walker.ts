/**
 * Scenario parsing (entry: src/scenario/parse.ts) — the machinery: the node walker, its
 * positioned errors and name table, and the small helpers every part uses.
 */
import type { LineCounter, Node as YNode, Pair, YAMLMap } from 'yaml';
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { ArgValue, NameKind, Pos, Scenario, ScenarioError } from '../ast.js';
import { PAGE_SIZE } from '../ast.js';

export type ParseResult =
  | { readonly ok: true; readonly scenario: Scenario }
  | { readonly ok: false; readonly errors: readonly ScenarioError[] };

export const NOWHERE: Pos = { line: 1, col: 1, offset: 0 };

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

export function mean(word: string, candidates: readonly string[]): string {
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

export class Walker {
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

export function describe(node: unknown): string {
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
