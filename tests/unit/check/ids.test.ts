/** The invariant names and verdicts of src/check/ids.ts, as scenario files and reports spell them. */
import { describe, expect, it } from 'vitest';
import { INVARIANT_IDS, VERDICTS, isInvariantId } from '../../../src/check/ids.js';
import { INVARIANTS } from '../../../src/check/invariants.js';

describe('invariant ids', () => {
  it('accepts every declared name and nothing else', () => {
    for (const id of INVARIANT_IDS) expect(isInvariantId(id)).toBe(true);
    for (const s of ['', 'Deadlock', 'deadlock ', 'no-longterm-pin', 'pin-balance', 'never']) expect(isInvariantId(s)).toBe(false);
  });

  it('names each invariant once, and each has a checker entry', () => {
    expect(new Set(INVARIANT_IDS).size).toBe(INVARIANT_IDS.length);
    const checked = new Set(INVARIANTS.map((i) => i.id));
    for (const id of INVARIANT_IDS) expect(checked.has(id), id).toBe(true);
  });

  it('orders the verdicts from none to every schedule', () => {
    expect(VERDICTS).toEqual(['never', 'sometimes', 'always']);
  });
});
