/**
 * Scenario parsing (entry: src/scenario/parse.ts) — `expect`: per-profile values, conditions and invariant verdicts.
 */
import type { Node as YNode } from 'yaml';
import { isMap, isScalar, isSeq } from 'yaml';
import { INVARIANT_IDS, VERDICTS, isInvariantId } from '../../check/ids.js';
import type { InvariantId, Verdict } from '../../check/ids.js';
import { errnoByName } from '../../linux/include/uapi/linux/errno.js';
import { resolveProfile } from '../../profiles/index.js';
import type { Expected, Condition, OutcomeCondition, Pos, ProfileExpect, ValuePath, Value } from '../ast.js';
import { strList } from './scenario.js';
import type { Walker} from './walker.js';
import { describe, mean } from './walker.js';

export function parseExpect(w: Walker, node: YNode | null): ProfileExpect[] {
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
