/**
 * Tests added for StrykerJS mutants that survived in src/explore/schedule.ts and
 * src/explore/failnth.ts (npm run mutation): token anchoring, repetition bounds,
 * unsafe integers, the message for tokens after '...', and the failable count of a
 * bounded fail-nth campaign.
 */
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../src/explore/schedule.js';
import { failNth } from '../../src/explore/failnth.js';

function error(s: string): string | null {
  const p = parseSchedule(s);
  return p.ok ? null : p.error;
}

describe('schedule strings: edges', () => {
  it('a token is exactly T<n> or c<n> with an optional *<reps>: nothing before or after', () => {
    expect(error('xT1')).not.toBeNull();
    expect(error('T1x')).not.toBeNull();
    expect(error('T1*3x')).not.toBeNull();
    expect(error('T1*12')).toBeNull();
    const p = parseSchedule('T1*12 c0');
    expect(p.ok && p.schedule.items.length).toBe(13);
  });

  it('repetitions are bounded at 10,000,000 and thread numbers must be safe integers', () => {
    expect(error('T0*10000001')).not.toBeNull();
    expect(error('T0*0')).not.toBeNull();
    expect(error('T99999999999999999999')).not.toBeNull();
    expect(error('T1*99999999999999999999')).not.toBeNull();
  });

  it("says that '...' must be last", () => {
    expect(error('T0 ... T1')).toContain("'...' must be the last token");
  });
});

describe('failNth bounded', () => {
  it('reports the failable calls of the last run when the bound stops it', () => {
    const ctx = { choiceIndex: 0, step: 0, last: null, lastEnabled: false };
    const r = failNth((c) => {
      for (let i = 0; i < 5; i++) c.pickData('mm/mmap.c:mmap_region:vm_area_alloc', 2, 0 as never, ctx);
      return null;
    }, 2);
    expect(r.complete).toBe(false);
    expect(r.failable).toBe(5);
  });
});
