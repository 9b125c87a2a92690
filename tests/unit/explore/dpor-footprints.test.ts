/**
 * The dependence relation DPOR prunes by (src/explore/dpor.ts independent/isVisible): two
 * steps are independent only when neither writes an object the other reads or writes, where
 * an object covers its parts (`p1` covers `p1.3` and `p1.3.7`, not `p12`). A relation that
 * calls two dependent steps independent makes DPOR skip orderings: every case here is one
 * such error a mutant of the code would make.
 */
import { describe, expect, it } from 'vitest';
import { independent, isVisible } from '../../../src/explore/dpor.js';

describe('independent', () => {
  it('an unknown footprint (null) depends on everything', () => {
    expect(independent(null, ['r:a'])).toBe(false);
    expect(independent(['r:a'], null)).toBe(false);
    expect(independent(null, null)).toBe(false);
  });

  it('two reads commute; a write conflicts with a read or write of the same object, either side', () => {
    expect(independent(['r:a'], ['r:a'])).toBe(true);
    expect(independent(['w:a'], ['r:a'])).toBe(false);
    expect(independent(['r:a'], ['w:a'])).toBe(false);
    expect(independent(['w:a'], ['w:a'])).toBe(false);
    expect(independent(['w:a'], ['w:b'])).toBe(true);
    expect(independent(['w:a'], ['r:b'])).toBe(true);
    expect(independent([], ['w:a'])).toBe(true);
  });

  it('an object covers its parts after a dot, both ways, and nothing that only shares a prefix', () => {
    expect(independent(['w:p1'], ['r:p1.3'])).toBe(false);
    expect(independent(['r:p1.3'], ['w:p1'])).toBe(false);
    expect(independent(['w:p1.3'], ['r:p1'])).toBe(false);
    expect(independent(['w:p1.3.7'], ['r:p1.3'])).toBe(false);
    expect(independent(['w:p1'], ['r:p12'])).toBe(true);
    expect(independent(['w:p12'], ['r:p1'])).toBe(true);
    expect(independent(['w:p1.3'], ['r:p1.4'])).toBe(true);
    expect(independent(['w:p1.3'], ['r:p1.30'])).toBe(true);
    expect(independent(['w:ab'], ['r:ac'])).toBe(true);
    expect(independent(['w:ab'], ['r:ba'])).toBe(true);
  });

  it('looks at every entry of both footprints', () => {
    expect(independent(['r:a', 'w:b'], ['r:c', 'r:b'])).toBe(false);
    expect(independent(['r:c', 'r:b'], ['r:a', 'w:b'])).toBe(false);
    expect(independent(['r:a', 'r:b'], ['r:c', 'w:d'])).toBe(true);
  });
});

describe('isVisible', () => {
  it('per-object invariants see no step; an unknown footprint is visible; only writes of observed objects are', () => {
    expect(isVisible(['w:a'], 'per-object')).toBe(false);
    expect(isVisible(null, 'per-object')).toBe(false);
    expect(isVisible(null, ['a'])).toBe(true);
    expect(isVisible(null, [])).toBe(true);
    expect(isVisible(['r:a'], null)).toBe(false);
    expect(isVisible(['r:a', 'w:b'], null)).toBe(true);
    expect(isVisible(['w:b'], ['a'])).toBe(false);
    expect(isVisible(['r:a', 'w:b'], ['b'])).toBe(true);
    expect(isVisible(['r:b'], ['b'])).toBe(false);
    expect(isVisible([], null)).toBe(false);
  });
});
