/**
 * The replay chooser names where a run left its schedule, and the seeded PRNG behind
 * `--strategy random`/`pct` gives the same numbers in every pinlab version (a seed printed
 * in a report must replay the same search).
 */
import { describe, expect, it } from 'vitest';
import { Prng, RandomChooser, ReplayChooser } from '../../../src/explore/choosers.js';
import { parseSchedule } from '../../../src/explore/schedule.js';
import type { Schedule } from '../../../src/explore/schedule.js';
import { ScheduleDivergence } from '../../../src/sched/index.js';
import type { ThreadId } from '../../../src/sched/index.js';

function sched(text: string): Schedule {
  const p = parseSchedule(text);
  if (!p.ok) throw new Error(p.error);
  return p.schedule;
}
const T = (n: number): ThreadId => n as ThreadId;
const ts = (...n: number[]): ThreadId[] => n.map(T);
const ctx = (choiceIndex: number, step: number) => ({ choiceIndex, step, last: null, lastEnabled: false });

function divergence(f: () => unknown): ScheduleDivergence {
  try {
    f();
  } catch (e) {
    if (e instanceof ScheduleDivergence) return e;
    throw e;
  }
  throw new Error('no divergence');
}

describe('ReplayChooser', () => {
  it('follows thread and data items and counts what is left', () => {
    const c = new ReplayChooser(sched('T1 c2 T0'));
    expect(c.open).toBe(false);
    expect(c.remaining).toBe(3);
    expect(c.pickThread(ts(0, 1), ctx(0, 0))).toBe(1);
    expect(c.pickData('x', 3, T(1), ctx(1, 0))).toBe(2);
    expect(c.remaining).toBe(1);
    expect(c.pickThread(ts(0), ctx(2, 1))).toBe(0);
    expect(c.remaining).toBe(0);
  });

  it('an open schedule continues by default after its items; a closed one diverges, naming the step and the threads', () => {
    const open = new ReplayChooser(sched('T1 ...'));
    expect(open.open).toBe(true);
    expect(open.pickThread(ts(0, 1), ctx(0, 0))).toBe(1);
    expect(open.pickThread(ts(0, 2), ctx(1, 1))).toBe(0);
    expect(open.pickData('x', 4, T(0), ctx(2, 1))).toBe(0);
    const closed = new ReplayChooser(sched('T1'));
    closed.pickThread(ts(1), ctx(0, 0));
    const e = divergence(() => closed.pickThread(ts(0, 2), ctx(1, 5)));
    expect([e.choiceIndex, e.step]).toEqual([1, 5]);
    expect(e.message).toBe("replay diverged at step 5: the schedule ended but threads T0, T2 can run (end it with '...' to continue by default)");
    expect(divergence(() => closed.pickData('lock', 2, T(3), ctx(1, 6))).message).toBe(
      "replay diverged at step 6: the schedule ended but T3 makes the choice lock (end it with '...' to continue by default)");
  });

  it('names a data item where a thread is picked, a thread item where data is chosen, a thread not enabled, an index out of range', () => {
    expect(divergence(() => new ReplayChooser(sched('c1')).pickThread(ts(0, 1), ctx(4, 2))).message).toBe(
      'replay diverged at step 2 (choice 5): the schedule has data choice c1, but the run must pick a thread among T0, T1');
    expect(divergence(() => new ReplayChooser(sched('T0')).pickData('fail', 2, T(1), ctx(0, 3))).message).toBe(
      'replay diverged at step 3 (choice 1): the schedule picks T0, but T1 makes the data choice fail');
    expect(divergence(() => new ReplayChooser(sched('T2')).pickThread(ts(0, 1), ctx(1, 0))).message).toBe(
      'replay diverged at step 0 (choice 2): T2 is not enabled; enabled: T0, T1');
    expect(divergence(() => new ReplayChooser(sched('c2')).pickData('fail', 2, T(0), ctx(2, 7))).message).toBe(
      'replay diverged at step 7 (choice 3): c2 is out of range for fail, which has 2 options');
    const last = new ReplayChooser(sched('c1'));
    expect(last.pickData('fail', 2, T(0), ctx(0, 0))).toBe(1);
  });
});

describe('Prng (mulberry32)', () => {
  it('gives the same sequence for a seed in every version (values from an independent implementation)', () => {
    const draw = (seed: number) => {
      const r = new Prng(seed);
      return Array.from({ length: 8 }, () => r.below(1000));
    };
    expect(draw(42)).toEqual([601, 448, 852, 669, 174, 526, 273, 624]);
    expect(draw(0)).toEqual([266, 0, 223, 146, 467, 545, 615, 648]);
  });

  it('RandomChooser draws threads and options from it', () => {
    const a = new RandomChooser(42);
    const r = new Prng(42);
    expect(a.pickThread(ts(3, 5, 7, 9))).toBe(ts(3, 5, 7, 9)[r.below(4)]);
    expect(a.pickData('x', 6)).toBe(r.below(6));
  });
});
