/**
 * The incremental checker's page-range helpers (src/check/ranges.ts) against a set of pages:
 * dropRange deletes exactly the keys in [lo, hi) whichever of its two loops it takes (the map
 * smaller or larger than the range), and mergeRanges returns sorted, disjoint, non-touching
 * [lo, hi) pairs that cover exactly the pages of its input's non-empty pairs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dropRange, markBytes, markPages, mergeRanges } from '../../../src/check/ranges.js';

const pagesOf = (r: readonly number[]): Set<number> => {
  const s = new Set<number>();
  for (let i = 0; i < r.length; i += 2) for (let k = r[i]; k < r[i + 1]; k++) s.add(k);
  return s;
};

describe('dropRange', () => {
  it('deletes the keys in [lo, hi) and only those, on both of its paths', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { maxLength: 40 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 }), (keys, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const m = new Map<number, unknown>(keys.map((k) => [k, k]));
        dropRange(m, lo, hi);
        expect([...m.keys()].sort((x, y) => x - y)).toEqual(keys.filter((k) => k < lo || k >= hi).sort((x, y) => x - y));
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('takes the per-key loop for a small map and the per-page loop for a wide one', () => {
    const small = new Map<number, unknown>([[3, 0], [9, 0], [1_000_000, 0]]);
    dropRange(small, 0, 1_000_000);
    expect([...small.keys()]).toEqual([1_000_000]);
    const wide = new Map<number, unknown>(Array.from({ length: 10 }, (_, k) => [k, 0] as [number, unknown]));
    dropRange(wide, 2, 5);
    expect([...wide.keys()]).toEqual([0, 1, 5, 6, 7, 8, 9]);
    const empty = new Map<number, unknown>();
    dropRange(empty, 0, 4);
    expect(empty.size).toBe(0);
  });
});

describe('mergeRanges', () => {
  it('covers exactly the input pages with sorted, disjoint, non-adjacent pairs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 })), { maxLength: 12 }), (pairs) => {
        const flat = pairs.flat();
        const out = mergeRanges(flat);
        expect(out.length % 2).toBe(0);
        for (let i = 0; i < out.length; i += 2) {
          expect(out[i]).toBeLessThan(out[i + 1]);
          if (i > 0) expect(out[i]).toBeGreaterThan(out[i - 1]);
        }
        expect([...pagesOf(out)].sort((x, y) => x - y)).toEqual([...pagesOf(flat)].sort((x, y) => x - y));
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  it('merges touching and overlapping pairs, drops empty and inverted ones', () => {
    expect(mergeRanges([5, 8, 0, 2, 2, 3, 7, 12, 20, 20, 30, 25])).toEqual([0, 3, 5, 12]);
    expect(mergeRanges([])).toEqual([]);
    expect(mergeRanges([4, 10, 5, 6])).toEqual([4, 10]);
  });
});

describe('markPages / markBytes', () => {
  it('clamp to the mapping, skip empty ranges, and extend a touching last range', () => {
    const d: number[] = [];
    markPages(d, 10, -3, 2);
    markPages(d, 10, 2, 4);
    markPages(d, 10, 8, 40);
    markPages(d, 10, 12, 14);
    markPages(d, 10, 5, 5);
    expect(d).toEqual([0, 4, 8, 10]);
  });

  it('turn a byte range into the pages it touches, relative to the base', () => {
    const d: number[] = [];
    markBytes(d, 16, 0x10000, 0x10000 + 4096 + 1, 0x10000 + 3 * 4096 - 1, 4096);
    expect(d).toEqual([1, 3]);
    markBytes(d, 16, 0x10000, 0, 0x10000, 4096);
    expect(d).toEqual([1, 3]);
  });
});
