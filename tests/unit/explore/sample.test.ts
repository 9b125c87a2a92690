/**
 * The sampling searches (src/explore/sample.ts, `--strategy random|pct`): what a sample
 * reports beside its verdicts: outcomes of the runs that finished, the bounds that stopped
 * it, the counterexample it keeps per invariant, progress, and PCT's priorities.
 */
import { describe, expect, it } from 'vitest';
import { SamplingSearch, explore } from '../../../src/explore/explore.js';
import type { Progress } from '../../../src/explore/progress.js';
import { PctChooser } from '../../../src/explore/sample.js';
import { replaySchedule } from '../../../src/explore/replay.js';
import type { PickContext, ThreadId } from '../../../src/sched/index.js';
import { point } from '../../../src/sched/index.js';
import { lostUpdateSpec, stuckSpec, target } from './targets.js';
import type { Spec } from './targets.js';

/** One thread that never ends. */
const forever = (): Spec => ({
  vars: { n: 0 },
  threads: [
    function* (w) {
      for (;;) {
        w.v.n++;
        yield* point('loop.c:tick');
      }
    },
  ],
  final: { never: () => false },
});

describe('sampling searches', () => {
  for (const strategy of ['random', 'pct'] as const) {
    it(`${strategy}: outcomes come from runs in which every thread finished, never from a deadlocked run`, () => {
      const r = explore(target(stuckSpec()), { strategy, maxSchedules: 200, seed: 5 });
      expect(r.verdicts.deadlock).toBe('sometimes');
      expect(r.outcomes.map((o) => o.values)).toEqual([{ a: 1, b: 1, c: 1, g: 1 }]);
      // Its schedule replays to those values.
      const rep = replaySchedule(target(stuckSpec()), r.outcomes[0].schedule);
      expect(rep.result?.status).toBe('done');
    });
  }

  it('a run that hits the step bound says so; one that does not, does not', () => {
    const b = explore(target(forever()), { strategy: 'random', maxSchedules: 3, maxSteps: 50 });
    expect(b.bounded).toEqual(['sampling', 'step-bound']);
    expect(b.outcomes).toEqual([]);
    const ok = explore(target(lostUpdateSpec()), { strategy: 'random', maxSchedules: 3, maxSteps: 50 });
    expect(ok.bounded).toEqual(['sampling']);
  });

  it('verdicts: never / sometimes / always over the runs sampled, with the limits and steps counted', () => {
    const r = explore(target(lostUpdateSpec()), { strategy: 'random', maxSchedules: 100, seed: 2 });
    expect(r.complete).toBe(false);
    expect(r.schedules).toBe(100);
    expect(r.paths).toBe(100);
    expect(r.limits).toEqual({ maxSchedules: 100, preemptionBound: null });
    expect(r.reduction).toBe('none');
    expect(r.inexact).toEqual([]);
    expect(r.verdicts['no-lost-update']).toBe('sometimes');
    expect(r.verdicts['counter-positive']).toBe('never');
    expect(r.verdicts.deadlock).toBe('never');
    // Every run of the two increments takes the same number of steps (4 points + 2 ends at most).
    expect(r.steps).toBeGreaterThanOrEqual(100 * 4);
    const all = explore(target({ ...lostUpdateSpec(), final: { broken: () => true } }), { strategy: 'random', maxSchedules: 20 });
    expect(all.verdicts.broken).toBe('always');
  });

  it('keeps, per invariant, the witness with the fewest preemptions (then steps), verified and replayable', () => {
    const r = explore(target(lostUpdateSpec(3)), { strategy: 'random', maxSchedules: 300, seed: 9 });
    const cx = r.counterexamples['no-lost-update'];
    expect(cx.verified).toBe(true);
    // A lost update of three increments needs one preemption at least (a read, a switch, ...).
    expect(cx.preemptions).toBe(1);
    expect(r.counterexample).toEqual(cx);
    const rep = replaySchedule(target(lostUpdateSpec(3)), cx.schedule);
    expect(rep.violations.some((v) => v.invariant === 'no-lost-update')).toBe(true);
    // The kept witness has the fewest steps among the 1-preemption witnesses of every seed's sample.
    for (const seed of [1, 3, 4]) {
      const o = explore(target(lostUpdateSpec(3)), { strategy: 'random', maxSchedules: 300, seed }).counterexamples['no-lost-update'];
      expect(o.preemptions).toBe(1);
      expect(o.steps).toBeGreaterThanOrEqual(cx.steps - 2);
    }
  });

  it('the same seed gives the same result; another seed another sample', () => {
    const a = explore(target(lostUpdateSpec(3)), { strategy: 'random', maxSchedules: 30, seed: 11 });
    const b = explore(target(lostUpdateSpec(3)), { strategy: 'random', maxSchedules: 30, seed: 11 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const schedules = new Set<string>();
    const counted: Spec = { ...lostUpdateSpec(3), outcome: (w) => ({ c: w.v.c }) };
    for (const seed of [1, 2, 3, 4, 5, 6]) schedules.add(explore(target(counted), { strategy: 'random', maxSchedules: 1, seed }).outcomes[0].schedule);
    expect(schedules.size).toBeGreaterThan(1);
  });

  it('progress every N runs and once at the end; interrupt() bounds the result', () => {
    const seen: Progress[] = [];
    const s = new SamplingSearch(target(lostUpdateSpec()), { maxSchedules: 12, progressEvery: 5, onProgress: (p) => seen.push(p) }, 'random');
    let steps = 0;
    while (s.step()) steps++;
    expect(steps).toBe(11);
    expect(s.done).toBe(true);
    expect(s.step()).toBe(false);
    s.interrupt(); // after the last run: nothing was cut short
    const r = s.result();
    expect(r.bounded).toEqual(['sampling']);
    expect(seen.map((p) => [p.schedules, p.done])).toEqual([
      [5, false],
      [10, false],
      [12, true],
    ]);
    expect(seen[2].violated).toEqual(['no-lost-update']);
    const cut = new SamplingSearch(target(lostUpdateSpec()), { maxSchedules: 12 }, 'random');
    cut.step();
    cut.interrupt();
    expect(cut.done).toBe(true);
    expect(cut.step()).toBe(false);
    const cr = cut.result();
    expect(cr.schedules).toBe(1);
    expect(cr.bounded).toEqual(['sampling', 'interrupted']);
  });
});

describe('PctChooser', () => {
  const ctx = (step: number, last: number | null, lastEnabled = true): PickContext => ({ step, last: last as ThreadId | null, lastEnabled }) as PickContext;

  it('depth 1: no change point, the same highest-priority thread runs while enabled', () => {
    const c = new PctChooser(7, 1, 10);
    const en = [0, 1, 2] as ThreadId[];
    const first = c.pickThread(en, ctx(0, null));
    for (let step = 1; step < 10; step++) expect(c.pickThread(en, ctx(step, first))).toBe(first);
    // Once it is not enabled, another thread runs.
    expect(c.pickThread(en.filter((t) => t !== first), ctx(10, first, false))).not.toBe(first);
  });

  it('depth d: d-1 change points at distinct steps; the thread running at one drops below every other thread', () => {
    // Two change points over a run estimated at 2 steps: one at step 0 (no thread ran yet: it
    // lowers nobody) and one at step 1, whatever the random draws.
    for (let seed = 1; seed <= 20; seed++) {
      const c = new PctChooser(seed, 3, 2);
      const en = [0, 1, 2] as ThreadId[];
      const a = c.pickThread(en, ctx(0, null));
      // At step 1 the change point lowers the thread that ran step 0.
      const b = c.pickThread(en, ctx(1, a));
      expect(b).not.toBe(a);
      // No change point after it: b keeps running.
      expect(c.pickThread(en, ctx(2, b))).toBe(b);
      expect(c.pickThread(en, ctx(3, b))).toBe(b);
    }
  });

  it('ties never happen: the first enabled thread does not win by position', () => {
    let notFirst = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const c = new PctChooser(seed, 1, 5);
      if (c.pickThread([0, 1, 2, 3] as ThreadId[], ctx(0, null)) !== 0) notFirst++;
    }
    expect(notFirst).toBeGreaterThan(10);
  });
});
