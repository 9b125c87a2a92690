/**
 * Scenario parsing (entry: src/scenario/parse.ts) — `threads`: each step and its arguments, checked against the op table (ops.ts).
 */
import type { Node as YNode, Pair } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type { ArgValue, Pos, Probe, Step, ThreadDecl } from '../ast.js';
import type { ArgSpec, ArgType } from '../ops.js';
import { OPS, OP_NAMES } from '../ops.js';
import { parseProbe } from './observe.js';
import { capList } from './setup.js';
import type { Walker} from './walker.js';
import { describe, mean } from './walker.js';

/** The most threads a scenario may declare (measured: 256 threads explore 100 schedules in ~19 s; 2,000 did not finish 20 in 300 s). */
export const MAX_THREADS = 256;

export function parseThreads(w: Walker, node: YNode | null): ThreadDecl[] {
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
        // /proc/self/{mem,cmdline} or /proc/<process>/{mem,cmdline} (fs/proc/base.ts, fs/proc/cmdline.ts).
        const m = /^\/proc\/([A-Za-z_][A-Za-z0-9_-]*)\/(?:mem|cmdline)$/.exec(s);
        if (m === null) w.err(at, `${where}: the only /proc paths are /proc/self/mem, /proc/<process>/mem, /proc/self/cmdline and /proc/<process>/cmdline, found '${s}'`);
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
export function noteRefs(w: Walker, v: ArgValue, where: string): void {
  if (v.kind === 'ref') w.ref(v.name, v.field, v.at, ['result', 'mapping', 'container'], where);
  else if (v.kind === 'sum') for (const t of v.terms) noteRefs(w, t.term, where);
}
