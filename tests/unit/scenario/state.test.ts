/**
 * RunState.fingerprint() keeps, across calls, the sorted result names and each
 * result's text. These tests compare it after every mutation with a direct
 * computation of the same text (results by name, holds, mdev pins), so a stale
 * cache entry (a result replaced, a name added, a hold released) shows up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../../src/scenario/ast.js';
import type { StepResult } from '../../../src/scenario/state.js';
import { RunState, valueKey } from '../../../src/scenario/state.js';
import type { ThreadId } from '../../../src/sched/index.js';

/** The fingerprint computed from scratch: parts joined with ';'. */
function direct(rs: RunState): string {
  const parts: string[] = [rs.progress.join(',')];
  const names = [...rs.results.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const k of names) {
    const r = rs.results.get(k) as StepResult;
    parts.push(`${k}=${valueKey(r.value)}${Object.keys(r.outputs).length > 0 ? valueKey(r.outputs) : ''}`);
  }
  parts.push(rs.holds.map((h) => `${h.result}:${h.pfns.join('.')}`).join('|'));
  parts.push([...rs.mdevPins.entries()].sort().map(([k, n]) => `${k}=${n}`).join('|'));
  return parts.join(';');
}

type Op =
  | { readonly kind: 'set'; readonly name: string; readonly value: Value; readonly pages: readonly number[] | null }
  | { readonly kind: 'progress'; readonly thread: number; readonly step: number }
  | { readonly kind: 'hold'; readonly name: string; readonly pfns: readonly number[] }
  | { readonly kind: 'release'; readonly index: number }
  | { readonly kind: 'mdev'; readonly key: string; readonly n: number };

const name = fc.constantFrom('a', 'b', 'r1', 'r10', 'r2', 'B', 'pin', 'x_y');
const value: fc.Arbitrary<Value> = fc.oneof(fc.integer({ min: -30, max: 1 << 20 }), fc.bigInt({ min: -5n, max: 1n << 40n }), fc.boolean(), fc.constant(null), fc.string({ maxLength: 4 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), name, value, pages: fc.option(fc.array(fc.nat(64), { maxLength: 4 }), { nil: null }) }),
  fc.record({ kind: fc.constant('progress' as const), thread: fc.nat(2), step: fc.nat(6) }),
  fc.record({ kind: fc.constant('hold' as const), name, pfns: fc.array(fc.nat(64), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('release' as const), index: fc.nat(3) }),
  fc.record({ kind: fc.constant('mdev' as const), key: fc.constantFrom('d@0x1000', 'd@0x2000', 'e@0'), n: fc.nat(3) }),
);

function apply(rs: RunState, o: Op): void {
  switch (o.kind) {
    case 'set':
      // A fresh result object each time, as a step stores its own (a name may be stored again).
      rs.results.set(o.name, { value: o.value, outputs: o.pages === null ? {} : { pages: o.pages } });
      break;
    case 'progress':
      rs.progress[o.thread] = o.step;
      break;
    case 'hold':
      rs.holds.push({ result: o.name, pfns: o.pfns, kind: 'pin', longterm: true, thread: 0 as ThreadId });
      break;
    case 'release':
      if (o.index < rs.holds.length) rs.holds.splice(o.index, 1);
      break;
    case 'mdev':
      rs.mdevPins.set(o.key, o.n);
      break;
  }
}

describe('RunState.fingerprint', () => {
  it('matches the text computed from scratch after every change (cached result texts never go stale)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const rs = new RunState(3);
        expect(rs.fingerprint()).toBe(direct(rs));
        for (const o of ops) {
          apply(rs, o);
          expect(rs.fingerprint()).toBe(direct(rs));
          expect(rs.fingerprint()).toBe(direct(rs));
        }
      }),
      { seed: 20261124, numRuns: 300 },
    );
  });

  it('tells apart a result replaced under the same name', () => {
    const rs = new RunState(1);
    rs.results.set('r', { value: 1, outputs: { pages: [5] } });
    const before = rs.fingerprint();
    rs.results.set('r', { value: 1, outputs: { pages: [6] } });
    expect(rs.fingerprint()).not.toBe(before);
    expect(rs.fingerprint()).toBe('0;r=1{pages:[6]};;');
  });

  it('orders results by name whatever the order they were stored in', () => {
    const a = new RunState(2);
    const b = new RunState(2);
    a.results.set('y', { value: 2n, outputs: {} });
    a.results.set('x', { value: -14, outputs: {} });
    a.fingerprint();
    b.results.set('x', { value: -14, outputs: {} });
    b.results.set('y', { value: 2n, outputs: {} });
    expect(a.fingerprint()).toBe(b.fingerprint());
    expect(a.fingerprint()).toBe('0,0;x=-14;y=2n;;');
  });
});
