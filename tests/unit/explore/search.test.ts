/** The DFS as a search object (issue 11 item 8): slicing, interruption, the default bound. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SCHEDULES, DfsSearch, explore } from '../../../src/explore/index.js';
import { abbaSpec, independentSpec, lostUpdateSpec, raceSpec, target } from './targets.js';

describe('DfsSearch', () => {
  it('stepping it by hand gives what explore() gives, for every policy', () => {
    const cases = [
      { spec: raceSpec(false, 3), opts: {} },
      { spec: lostUpdateSpec(3), opts: { noCache: true } },
      { spec: abbaSpec(), opts: { preemptionBound: 1 } },
      { spec: independentSpec(3, 3, true), opts: { por: true } },
    ];
    for (const { spec, opts } of cases) {
      const whole = explore(target(spec), opts);
      const s = new DfsSearch(target(spec), opts);
      let runs = 0;
      while (s.step()) runs++;
      expect(s.done).toBe(true);
      expect(runs + 1).toBe(whole.schedules);
      const r = s.result();
      expect({ ...r, counterexamples: null, counterexample: null }).toEqual({ ...whole, counterexamples: null, counterexample: null });
      expect(Object.keys(r.counterexamples)).toEqual(Object.keys(whole.counterexamples));
    }
  });

  it('interrupted: the results so far, bounded by interrupted, never complete', () => {
    const full = explore(target(lostUpdateSpec(3)));
    expect(full.complete).toBe(true);
    const s = new DfsSearch(target(lostUpdateSpec(3)), {});
    for (let i = 0; i < 5; i++) s.step();
    s.interrupt();
    expect(s.step()).toBe(false);
    const r = s.result();
    expect(r.schedules).toBe(5);
    expect(r.complete).toBe(false);
    expect(r.bounded).toEqual(['interrupted']);
    expect(r.schedules).toBeLessThan(full.schedules);
  });

  it('the default bound is 100,000 schedules and is reported in limits; Infinity lifts it', () => {
    expect(DEFAULT_MAX_SCHEDULES).toBe(100_000);
    expect(explore(target(raceSpec(false))).limits).toEqual({ maxSchedules: 100_000, preemptionBound: null });
    expect(explore(target(raceSpec(false)), { maxSchedules: Infinity, preemptionBound: 2 }).limits).toEqual({ maxSchedules: null, preemptionBound: 2 });
    const b = explore(target(lostUpdateSpec(3)), { maxSchedules: 4 });
    expect(b.schedules).toBe(4);
    expect(b.bounded).toEqual(['max-schedules']);
    expect(b.limits.maxSchedules).toBe(4);
  });
});
