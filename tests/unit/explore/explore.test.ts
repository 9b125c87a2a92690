import { describe, expect, it } from 'vitest';
import { PctChooser, explore, replaySchedule, terminalProgress, verifyCounterexample } from '../../../src/explore/index.js';
import type { Progress } from '../../../src/explore/index.js';
import { Sched, choose, point } from '../../../src/sched/index.js';
import type { World } from './targets.js';
import { abbaSpec, choiceSpec, independentSpec, lostUpdateSpec, raceSpec, target } from './targets.js';

/** n! / prod(k_i!) */
function multinomial(parts: readonly number[]): number {
  const f = (n: number): number => (n <= 1 ? 1 : n * f(n - 1));
  return f(parts.reduce((a, b) => a + b, 0)) / parts.reduce((a, b) => a * f(b), 1);
}

describe('DFS: verdicts and completeness', () => {
  it('a racy check-then-act: sometimes, complete, minimal counterexample with 1 preemption in 6 steps', () => {
    const t = target(raceSpec(false));
    const r = explore(t);
    expect(r.complete).toBe(true);
    expect(r.bounded).toEqual([]);
    expect(r.verdicts['single-winner']).toBe('sometimes');
    expect(r.verdicts.deadlock).toBe('never');
    expect(r.verdicts['lock-held-at-exit']).toBe('never');
    const cx = r.counterexamples['single-winner'];
    expect(cx).toBeDefined();
    expect(cx.preemptions).toBe(1);
    expect(cx.steps).toBe(6);
    expect(cx.verified).toBe(true);
    expect(r.counterexample).toEqual(cx);
    // The replay shows the violation at that step, and replays byte for byte.
    const a = replaySchedule(t, cx.schedule);
    const b = replaySchedule(t, cx.schedule);
    expect(a.ok).toBe(true);
    expect(a.violations).toContainEqual({ invariant: 'single-winner', step: 6 });
    expect(JSON.stringify(a.trace)).toBe(JSON.stringify(b.trace));
    expect(a.schedule).toBe(b.schedule);
  });

  it('the same under a mutex: never, complete', () => {
    const r = explore(target(raceSpec(true, 3)));
    expect(r.complete).toBe(true);
    expect(r.verdicts['single-winner']).toBe('never');
    expect(r.counterexample).toBeNull();
    expect(r.verdicts.deadlock).toBe('never');
  });

  it('an ABBA inversion: deadlock sometimes, reached with one preemption', () => {
    const t = target(abbaSpec());
    const r = explore(t);
    expect(r.complete).toBe(true);
    expect(r.verdicts.deadlock).toBe('sometimes');
    const cx = r.counterexamples.deadlock;
    expect(cx.preemptions).toBe(1);
    expect(cx.steps).toBe(8);
    expect(cx.verified).toBe(true);
    const rep = replaySchedule(t, cx.schedule);
    expect(rep.result?.status).toBe('deadlock');
    expect(rep.violations).toContainEqual({ invariant: 'deadlock', step: 'end' });
  });

  it('lost updates: sometimes; a final invariant nobody breaks: never; one every run breaks: always', () => {
    const r = explore(target(lostUpdateSpec(3)));
    expect(r.complete).toBe(true);
    expect(r.verdicts['no-lost-update']).toBe('sometimes');
    expect(r.verdicts['counter-positive']).toBe('never');

    const leak = target({
      vars: {},
      mutexes: ['m'],
      threads: [
        function* (w) {
          yield* w.m.m.lock(w.s, 'leak.c:a:mutex_lock');
          yield* point('leak.c:a:held');
        },
        function* () {
          yield* point('leak.c:b:p');
        },
      ],
    });
    const r2 = explore(leak);
    expect(r2.complete).toBe(true);
    expect(r2.verdicts['lock-held-at-exit']).toBe('always');
    expect(r2.counterexamples['lock-held-at-exit'].preemptions).toBe(0);
    expect(r2.counterexamples['lock-held-at-exit'].verified).toBe(true);
  });

  it('a data choice is explored like a thread choice and named in the schedule', () => {
    const t = target(choiceSpec());
    const r = explore(t);
    expect(r.complete).toBe(true);
    expect(r.verdicts['x-not-2']).toBe('sometimes');
    const cx = r.counterexamples['x-not-2'];
    expect(cx.schedule).toMatch(/c2/);
    expect(cx.preemptions).toBe(0);
    expect(cx.verified).toBe(true);
  });

  it('independent threads: the cache keeps one state per combination of positions and counts every schedule', () => {
    const spec = independentSpec(3, 2); // 3 steps per thread: start->p0, p0->p1, p1->exit
    const cached = explore(target(spec));
    expect(cached.complete).toBe(true);
    expect(cached.states).toBe(4 ** 3);
    expect(cached.paths).toBe(multinomial([3, 3, 3]));
    const plain = explore(target(spec), { noCache: true });
    expect(plain.complete).toBe(true);
    expect(plain.schedules).toBe(multinomial([3, 3, 3]));
    expect(plain.paths).toBe(plain.schedules);
    expect(cached.schedules).toBeLessThan(plain.schedules / 5);
    // Caching does not change verdicts.
    const r1 = explore(target(lostUpdateSpec(3)));
    const r2 = explore(target(lostUpdateSpec(3)), { noCache: true });
    expect(r2.verdicts).toEqual(r1.verdicts);
    expect(r2.paths).toBe(r1.paths);
    expect(r2.counterexamples['no-lost-update'].preemptions).toBe(r1.counterexamples['no-lost-update'].preemptions);
    expect(r2.counterexamples['no-lost-update'].steps).toBe(r1.counterexamples['no-lost-update'].steps);
  });

  it('a spin loop makes a cycle: the search still ends, complete, with infinitely many paths', () => {
    const t = target({
      vars: { flag: 0 },
      threads: [
        function* (w) {
          while (w.v.flag === 0) yield* point('spin.c:waiter:loop');
        },
        function* (w) {
          yield* point('spin.c:setter:before');
          w.v.flag = 1;
        },
      ],
      final: { never: () => false },
    });
    const r = explore(t, { maxSteps: 1000 });
    expect(r.complete).toBe(true);
    expect(r.paths).toBe(Infinity);
    expect(r.verdicts.never).toBe('never');
  });
});

describe('DFS: fingerprint audit', () => {
  it('passes a sound fingerprint and catches one that forgets a value read before a point', () => {
    const sound = explore(target(lostUpdateSpec(2)), { auditCuts: 50 });
    expect(sound.audit?.checked).toBeGreaterThan(0);
    expect(sound.audit?.problems).toEqual([]);
    const unsound = target({
      vars: { c: 0 },
      threads: [0, 1].map(() =>
        function* (w: World) {
          const seen = w.v.c;
          yield* point('inc.c:inc:after-read'); // `seen` not declared: states merge wrongly
          w.v.c = seen + 1;
        },
      ),
      final: { 'no-lost-update': (w) => w.v.c !== 2 },
    });
    const r = explore(unsound, { auditCuts: 50 });
    expect(r.audit?.problems.length).toBeGreaterThan(0);
    expect(r.audit?.problems[0]).toMatch(/not a step of the graph|never saw|has no end/);
    expect(explore(unsound).audit).toBeNull();
  });
});

describe('DFS: sleep sets', () => {
  it('independent threads: every state, far fewer runs', () => {
    const plain = explore(target(independentSpec(3, 6, true)), { reduction: 'none' });
    const por = explore(target(independentSpec(3, 6, true)), { por: true });
    expect(por.reduction).toBe('sleep-sets');
    expect(por.complete).toBe(true);
    expect(por.states).toBe(plain.states);
    expect(por.states).toBe(8 ** 3); // start, p0..p5, exit per thread
    expect(por.schedules * 4).toBeLessThan(plain.schedules);
  });

  it('without footprints, or with a preemption bound, nothing is reduced', () => {
    const a = explore(target(independentSpec(3, 3, false)), { por: true });
    const b = explore(target(independentSpec(3, 3, false)));
    expect(a.schedules).toBe(b.schedules);
    expect(a.edges).toBe(b.edges);
    const c = explore(target(independentSpec(3, 3, true)), { por: true, preemptionBound: 2 });
    expect(c.reduction).toBe('none');
  });

  it('the racy check-then-act keeps its verdict and a verified counterexample', () => {
    const spec = { ...raceSpec(false, 3), footprints: true };
    const t = target({
      ...spec,
      threads: spec.threads.map(() =>
        function* (w: World) {
          yield* point('race.c:racer:check');
          w.touch('r:x');
          if (w.v.x === 0) {
            yield* point('race.c:racer:window');
            w.touch('w:x');
            w.touch('w:winners');
            w.v.x = 1;
            w.v.winners++;
          }
        },
      ),
    });
    const plain = explore(t, { reduction: 'none' });
    const por = explore(t, { por: true });
    expect(por.verdicts).toEqual(plain.verdicts);
    expect(por.states).toBe(plain.states);
    expect(por.counterexamples['single-winner'].verified).toBe(true);
  });
});

describe('DFS: infinite runs and fairness', () => {
  const spinner = function* (w: World) {
    const c = yield* choose('spin.c:t:pick', [0, 1]);
    if (c === 1) {
      w.v.bad = 1;
      return;
    }
    for (;;) yield* point('spin.c:t:loop');
  };
  it('a fair loop that never violates makes the verdict sometimes', () => {
    const r = explore(target({ vars: { bad: 0 }, threads: [spinner], state: { bad: (w) => w.v.bad === 1 } }));
    expect(r.complete).toBe(true);
    expect(r.verdicts.bad).toBe('sometimes');
  });
  it('a loop that starves a runnable thread is not a run: always', () => {
    const r = explore(
      target({
        vars: { bad: 0 },
        threads: [
          spinner,
          function* (w: World) {
            yield* point('spin.c:other:p');
            w.v.bad = 1;
          },
        ],
        state: { bad: (w) => w.v.bad === 1 },
      }),
    );
    expect(r.complete).toBe(true);
    expect(r.paths).toBe(Infinity);
    expect(r.verdicts.bad).toBe('always');
  });
});

describe('DFS: bounds', () => {
  it('a preemption bound of 0 misses the race and says the search was bounded; 1 finds it', () => {
    const t = target(raceSpec(false));
    const r0 = explore(t, { preemptionBound: 0 });
    expect(r0.complete).toBe(false);
    expect(r0.bounded).toContain('preemption-bound');
    expect(r0.verdicts['single-winner']).toBe('never');
    const r1 = explore(t, { preemptionBound: 1 });
    expect(r1.verdicts['single-winner']).toBe('sometimes');
    expect(r1.counterexamples['single-winner'].preemptions).toBe(1);
    expect(r1.counterexamples['single-winner'].verified).toBe(true);
  });

  it('max-schedules stops early and says so', () => {
    const r = explore(target(independentSpec(3, 3)), { maxSchedules: 5 });
    expect(r.schedules).toBe(5);
    expect(r.complete).toBe(false);
    expect(r.bounded).toEqual(['max-schedules']);
  });

  it('degenerate inputs: no threads, max-schedules 0', () => {
    const empty = explore(target({ vars: {}, threads: [], final: { nope: () => false } }));
    expect(empty).toMatchObject({ complete: true, schedules: 1, states: 1, paths: 1, counterexample: null });
    expect(empty.verdicts.nope).toBe('never');
    const r = explore(target(raceSpec(false)), { maxSchedules: 0 });
    expect(r.schedules).toBe(1);
    expect(r.complete).toBe(false);
    const s = explore(target(raceSpec(false)), { strategy: 'random', maxSchedules: 0 });
    expect(s.schedules).toBe(1);
  });

  it('the step bound makes a search incomplete', () => {
    const t = target({
      vars: { n: 0 },
      threads: [
        function* (w) {
          for (;;) {
            w.v.n++;
            yield* point('count.c:loop:tick');
          }
        },
      ],
    });
    const r = explore(t, { maxSteps: 50 });
    expect(r.complete).toBe(false);
    expect(r.bounded).toEqual(['step-bound']);
  });
});

describe('sampling strategies', () => {
  for (const strategy of ['random', 'pct'] as const) {
    it(`${strategy}: finds the race with a verified counterexample, never complete`, () => {
      const t = target(raceSpec(false, 3));
      const r = explore(t, { strategy, maxSchedules: 300, seed: 42 });
      expect(r.complete).toBe(false);
      expect(r.bounded).toContain('sampling');
      expect(r.schedules).toBe(300);
      expect(r.verdicts['single-winner']).toBe('sometimes');
      const cx = r.counterexamples['single-winner'];
      expect(cx.verified).toBe(true);
      expect(replaySchedule(t, cx.schedule).violations).toContainEqual({ invariant: 'single-winner', step: cx.steps });
      // Same seed, same answer.
      expect(explore(t, { strategy, maxSchedules: 300, seed: 42 })).toEqual(r);
      const locked = explore(target(raceSpec(true, 3)), { strategy, maxSchedules: 100, seed: 42 });
      expect(locked.verdicts['single-winner']).toBe('never');
    });
  }
});

describe('replay and progress', () => {
  it('replaySchedule reports bad strings, divergence and unused items without throwing', () => {
    const t = target(raceSpec(false));
    expect(replaySchedule(t, 'T0 x1').error).toMatch(/^bad schedule at column 4:/);
    const d = replaySchedule(t, 'T7 ...');
    expect(d.ok).toBe(false);
    expect(d.error).toMatch(/T7 is not enabled/);
    const extra = replaySchedule(t, 'T0*9');
    expect(extra.ok).toBe(false);
    expect(extra.error).toMatch(/unused|diverged/);
  });

  it('replaySchedule: a bad string returns nothing of a run; the trace is on unless turned off; maxSteps bounds the run', () => {
    const t = target(raceSpec(false));
    expect(replaySchedule(t, 'T0 x1')).toEqual({ ok: false, error: expect.stringMatching(/^bad schedule/), result: null, trace: null, violations: [], schedule: '' });
    const cx = explore(t).counterexamples['single-winner'];
    const traced = replaySchedule(t, cx.schedule);
    expect(traced.trace?.length).toBeGreaterThan(0);
    expect(replaySchedule(t, cx.schedule, { trace: false }).trace ?? []).toHaveLength(0);
    const cut = replaySchedule(t, cx.schedule, { maxSteps: 3 });
    expect(cut.ok).toBe(false);
    expect(cut.result?.status).toBe('step-bound');
    expect(cut.error).toMatch(/step-bound/);
    expect(cut.violations).not.toContainEqual({ invariant: 'single-winner', step: cx.steps });
  });

  it('verifyCounterexample holds only for the invariant, the step (or the end) and a run within maxSteps', () => {
    const t = target(raceSpec(false));
    const cx = explore(t).counterexamples['single-winner'];
    expect(verifyCounterexample(t, cx.schedule, 'single-winner', cx.steps, false, 1000)).toBe(true);
    expect(verifyCounterexample(t, cx.schedule, 'single-winner', cx.steps - 1, false, 1000)).toBe(false);
    expect(verifyCounterexample(t, cx.schedule, 'single-winner', cx.steps, true, 1000)).toBe(false);
    expect(verifyCounterexample(t, cx.schedule, 'deadlock', cx.steps, false, 1000)).toBe(false);
    expect(verifyCounterexample(t, cx.schedule, 'single-winner', cx.steps, false, 3)).toBe(false);
    expect(verifyCounterexample(t, 'T0 x1', 'single-winner', cx.steps, false, 1000)).toBe(false);
    const abba = target(abbaSpec());
    const dl = explore(abba).counterexamples.deadlock;
    expect(verifyCounterexample(abba, dl.schedule, 'deadlock', dl.steps, true, 1000)).toBe(true);
    expect(verifyCounterexample(abba, dl.schedule, 'deadlock', dl.steps, false, 1000)).toBe(false);
  });

  it('progress is reported every N runs and at the end; quiet unless a terminal', () => {
    const seen: Progress[] = [];
    const r = explore(target(independentSpec(3, 2)), { onProgress: (p) => seen.push(p), progressEvery: 10 });
    expect(seen.length).toBe(Math.floor(r.schedules / 10) + 1);
    expect(seen[seen.length - 1]).toMatchObject({ done: true, schedules: r.schedules, states: r.states });
    expect(terminalProgress({ isTTY: false, write: () => true })).toBeUndefined();
    const out: string[] = [];
    const fn = terminalProgress({ isTTY: true, write: (s: string) => out.push(s) });
    fn?.({ schedules: 3, states: 2, edges: 4, steps: 9, violated: ['deadlock'], done: false });
    expect(out.join('')).toContain('3 schedules, 2 states, 4 steps, violated: deadlock');
    // Nothing violated: no "violated" part; the last call clears the line it wrote.
    out.length = 0;
    fn?.({ schedules: 5, states: 4, edges: 7, steps: 12, violated: [], done: false });
    expect(out).toEqual(['\r\u001b[2Kexplore: 5 schedules, 4 states, 7 steps']);
    out.length = 0;
    fn?.({ schedules: 6, states: 4, edges: 8, steps: 13, violated: [], done: true });
    expect(out).toEqual(['\r\u001b[2Kexplore: 6 schedules, 4 states, 8 steps', '\r\u001b[2K']);
  });
});

describe('PctChooser', () => {
  it('depth 1 (no change point) never preempts, so it misses a race that depth 2 finds', () => {
    // Depth 1 never finds the race (it needs one preemption); depth 2 does.
    const t = target(raceSpec(false, 2));
    expect(explore(t, { strategy: 'pct', pctDepth: 1, maxSchedules: 200, seed: 3 }).verdicts['single-winner']).toBe('never');
    const d2 = explore(t, { strategy: 'pct', pctDepth: 2, maxSchedules: 200, seed: 3 });
    expect(d2.verdicts['single-winner']).toBe('sometimes');
    expect(d2.counterexamples['single-winner'].preemptions).toBe(1);
  });

  it('a PCT run with depth 1 has no preemptions', () => {
    const chooser = new PctChooser(5, 1, 10);
    const s = new Sched({ chooser });
    const order: number[] = [];
    for (let i = 0; i < 3; i++) {
      s.spawn(`t${i}`, function* (tid) {
        for (let k = 0; k < 3; k++) {
          order.push(tid);
          yield* point('pct.c:t:p');
        }
      });
    }
    expect(s.run().status).toBe('done');
    // Each thread's three steps are contiguous.
    const runs = order.filter((t, i) => i === 0 || order[i - 1] !== t);
    expect(runs.length).toBe(3);
  });
});
