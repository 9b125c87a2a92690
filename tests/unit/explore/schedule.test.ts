import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../../src/sched/index.js';
import { formatSchedule, parseSchedule } from '../../../src/explore/schedule.js';
import type { ScheduleItem } from '../../../src/explore/schedule.js';

const item: fc.Arbitrary<ScheduleItem> = fc.oneof(
  fc.integer({ min: 0, max: 12 }).map((t) => ({ kind: 'thread' as const, thread: t as ThreadId })),
  fc.integer({ min: 0, max: 4 }).map((i) => ({ kind: 'data' as const, index: i })),
);

describe('schedule strings', () => {
  it('are run-length encoded', () => {
    const t = (n: number): ScheduleItem => ({ kind: 'thread', thread: n as ThreadId });
    const c = (i: number): ScheduleItem => ({ kind: 'data', index: i });
    expect(formatSchedule([t(0), t(0), t(0), t(1), c(1), c(1), t(0)])).toBe('T0*3 T1 c1*2 T0');
    expect(formatSchedule([t(2)], true)).toBe('T2 ...');
    expect(formatSchedule([], true)).toBe('...');
    expect(formatSchedule([])).toBe('');
  });

  it('round-trip through parse', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), fc.boolean(), (items, open) => {
        const text = formatSchedule(items, open);
        const p = parseSchedule(text);
        expect(p.ok).toBe(true);
        if (!p.ok) return;
        expect(p.schedule.items).toEqual(items);
        expect(p.schedule.open).toBe(open);
        expect(formatSchedule(p.schedule.items, p.schedule.open)).toBe(text);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('name the column of a bad token', () => {
    expect(parseSchedule('T0 T1 X3')).toEqual({ ok: false, error: "bad token 'X3': expected T<thread>[*count], c<option>[*count] or a final '...'", column: 7 });
    expect(parseSchedule('T0 ... T1')).toMatchObject({ ok: false, column: 8 });
    expect(parseSchedule('T0*0')).toMatchObject({ ok: false, column: 1, error: "bad count in 'T0*0'" });
    expect(parseSchedule('  T1*2   c0  ')).toEqual({ ok: true, schedule: { items: [{ kind: 'thread', thread: 1 }, { kind: 'thread', thread: 1 }, { kind: 'data', index: 0 }], open: false } });
  });
});
