// Comparison of one case's values from the real kernel and from the model.
//
// Both sides are normalised the same way before comparing:
// - errno results become names (`-EINVAL`);
// - resources (fds, addresses, pids) become `ok` or the errno;
// - pfns are not comparable across machines, so frames become `F1`, `F2`, ... in order of
//   first appearance (the case's pattern of "same page / different page" is compared);
//   memory block numbers likewise become `B1`, `B2`, ...;
// - zones: the guest (2 GiB, below 4 GiB) has DMA/DMA32 where the model has DMA32/Normal,
//   so the kernel zones compare as `kernel`; `Movable` and `Device` compare as such.
import type { Expected } from '../scenario/ast.js';
import { ERRNO_NAMES, type PlanItem } from './translate.js';
import type { RawValue } from './guestlog.js';

export function errnoName(n: number): string {
  const name = ERRNO_NAMES[-n];
  return name === undefined ? String(n) : `-${name}`;
}

export function normalizeZone(z: string): string {
  if (z === 'DMA' || z === 'DMA32' || z === 'Normal') return 'kernel';
  return z;
}

function asNumber(v: RawValue): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return null;
}

/** Normalise the values of one side of a case (see the header). */
export function normalize(plan: readonly PlanItem[], values: ReadonlyMap<string, RawValue>): Map<string, string> {
  const out = new Map<string, string>();
  const frames = new Map<string, string>();
  const blocks = new Map<string, string>();
  for (const item of plan) {
    if (!values.has(item.name)) {
      out.set(item.name, '(missing)');
      continue;
    }
    const v = values.get(item.name) as RawValue;
    if (v === null) {
      out.set(item.name, 'null');
      continue;
    }
    const n = asNumber(v);
    switch (item.kind) {
      case 'frame':
      case 'block': {
        // an errno, or the identity label of the pfn / block number (F1, F2, ... / B1, B2, ...)
        if (n !== null && n < 0) {
          out.set(item.name, errnoName(n));
          break;
        }
        const ids = item.kind === 'frame' ? frames : blocks;
        const key = String(v);
        if (!ids.has(key)) ids.set(key, `${item.kind === 'frame' ? 'F' : 'B'}${ids.size + 1}`);
        out.set(item.name, ids.get(key) as string);
        break;
      }
      case 'zone':
        out.set(item.name, typeof v === 'string' ? normalizeZone(v) : String(v));
        break;
      case 'kvzones':
        out.set(item.name, typeof v === 'string' ? v.split(/[ ,]+/).filter((z) => z !== '').map(normalizeZone).join(' ') : n !== null && n < 0 ? errnoName(n) : String(v));
        break;
      case 'okerr':
        out.set(item.name, v === 'ok' || (n !== null && n >= 0) ? 'ok' : n !== null ? errnoName(n) : String(v));
        break;
      case 'tag':
      case 'kvtag':
        // The model's '' is a zero-filled page; the guest reads byte 0 back as `zero`.
        out.set(item.name, n !== null && n < 0 ? errnoName(n) : v === '' ? 'zero' : String(v));
        break;
      default:
        out.set(item.name, n === null ? String(v) : n < 0 ? errnoName(n) : String(n));
    }
  }
  return out;
}

export interface Diff {
  readonly name: string;
  readonly real: string;
  readonly model: string;
}

/** Compare normalised values: every planned name must agree. */
export function compareValues(plan: readonly PlanItem[], real: ReadonlyMap<string, RawValue>, model: ReadonlyMap<string, RawValue>): Diff[] {
  const r = normalize(plan, real);
  const m = normalize(plan, model);
  const diffs: Diff[] = [];
  for (const item of plan) {
    const a = r.get(item.name) ?? '(missing)';
    const b = m.get(item.name) ?? '(missing)';
    if (a !== b) diffs.push({ name: item.name, real: a, model: b });
  }
  return diffs;
}

// ---- the scenario's declared values (expect.<profile>.values) against the real kernel ----------

/** The comparable form of one value for the declaration check (zones and errnos normalised). */
function declForm(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v < 0n ? errnoName(Number(v)) : v.toString();
  if (typeof v === 'number') return v < 0 ? errnoName(v) : String(v);
  if (typeof v === 'string') return normalizeZone(v);
  return JSON.stringify(v);
}

/**
 * Check the real values against the scenario's declared values for a profile. Returns the
 * disagreements (empty if the declaration holds). A declared name the guest did not produce
 * (e.g. a field such as `$r.pages`) is skipped: only what both have is judged.
 */
export function checkDeclared(
  declared: ReadonlyMap<string, Expected>, plan: readonly PlanItem[], values: ReadonlyMap<string, RawValue>,
): Diff[] {
  const kinds = new Map(plan.map((p) => [p.name, p.kind]));
  const diffs: Diff[] = [];
  const valueOf = (name: string): RawValue | undefined => values.get(name);
  // resources (fds, addresses) compare as "ok"
  const shown = (name: string, v: RawValue): string => {
    const k = kinds.get(name);
    if (k === 'okerr') return v === 'ok' ? 'ok' : declForm(v);
    return declForm(v);
  };
  const evalExp = (e: Expected, name: string, actual: RawValue): boolean | null => {
    switch (e.kind) {
      case 'lit': {
        if (kinds.get(name) === 'okerr' && typeof e.value === 'number' && e.value >= 0) return actual === 'ok' || declForm(actual) === declForm(e.value);
        // A declared '' is the model's zero-filled page, which the guest reads back as `zero`.
        if ((kinds.get(name) === 'tag' || kinds.get(name) === 'kvtag') && e.value === '') return actual === '' || actual === 'zero';
        return declForm(actual) === declForm(e.value);
      }
      case 'ref': {
        if (e.field !== null) return null;
        const other = valueOf(e.name);
        if (other === undefined) return null;
        return declForm(actual) === declForm(other);
      }
      case 'cmp': {
        const rhs = e.rhs.kind === 'lit' ? e.rhs.value : e.rhs.kind === 'ref' && e.rhs.field === null ? valueOf(e.rhs.name) : undefined;
        if (rhs === undefined) return null;
        const eq = declForm(actual) === declForm(rhs as RawValue);
        if (e.op === 'eq') return eq;
        if (e.op === 'ne') return !eq;
        const a = typeof actual === 'bigint' ? Number(actual) : actual;
        const b = typeof rhs === 'bigint' ? Number(rhs) : rhs;
        if (typeof a !== 'number' || typeof b !== 'number') return null;
        return e.op === 'lt' ? a < b : e.op === 'le' ? a <= b : e.op === 'gt' ? a > b : a >= b;
      }
      case 'oneof': {
        const rs = e.items.map((x) => evalExp(x, name, actual));
        if (rs.some((x) => x === true)) return true;
        return rs.every((x) => x === false) ? false : null;
      }
      default:
        return null;
    }
  };
  const describe = (e: Expected): string => {
    switch (e.kind) {
      case 'lit': return declForm(e.value);
      case 'ref': return `$${e.name}${e.field ? `.${e.field}` : ''}`;
      case 'cmp': return `${e.op} ${describe(e.rhs)}`;
      case 'oneof': return `oneof [${e.items.map(describe).join(', ')}]`;
      default: return '(list)';
    }
  };
  for (const [name, e] of declared) {
    const actual = valueOf(name);
    if (actual === undefined) continue;
    const ok = evalExp(e, name, actual);
    if (ok === false) diffs.push({ name, real: shown(name, actual), model: `declared ${describe(e)}` });
  }
  return diffs;
}
