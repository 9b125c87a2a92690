/**
 * Sampling strategies: seeded random runs, and PCT (probabilistic concurrency
 * testing, Burckhardt et al., ASPLOS 2010): every thread gets a random priority, the
 * highest-priority enabled thread runs, and at d - 1 random steps the running thread
 * drops below all others. A bug of depth d is found by one run with probability at
 * least 1 / (n * k^(d-1)) for n threads and k steps.
 *
 * Each run is independent and reproducible from (seed, run number). Verdicts are
 * never complete; the counterexample is the sampled run with the fewest preemptions,
 * then the fewest steps, cut at the violating step.
 */
import type { Chooser, PickContext, ThreadId } from '../sched/index.js';
import { DefaultChooser } from '../sched/index.js';
import { Prng, RandomChooser } from './choosers.js';
import { Observer } from './observe.js';
import { OutcomeSet, noteOutcome } from './outcomes.js';
import { verifyCounterexample } from './replay.js';
import { formatSchedule } from './schedule.js';
import type { Counterexample, ExploreOptions, ExploreResult, ExploreRun, ExploreTarget, Verdict } from './types.js';
import { invariantIds } from './types.js';

/**
 * PCT's chooser. Priorities: initial ones are d + a random rank (all distinct); the
 * i-th change point (i = 1 .. d-1) lowers the thread running at that step to i.
 */
export class PctChooser implements Chooser {
  private readonly rng: Prng;
  private readonly prio = new Map<number, number>();
  /** Change points as [step, new priority], by step; applied at the first decision at or after the step. */
  private readonly changes: [number, number][] = [];
  private next = 0;

  /** `depth` d ≥ 1; `steps` an estimate k of the run length. */
  constructor(seed: number, private readonly depth: number, steps: number) {
    this.rng = new Prng(seed);
    const k = Math.max(1, steps);
    const taken = new Set<number>();
    for (let i = 1; i < depth; i++) {
      let at = this.rng.below(k);
      while (taken.has(at) && taken.size < k) at = (at + 1) % k;
      taken.add(at);
      this.changes.push([at, i]);
    }
    this.changes.sort((a, b) => a[0] - b[0]);
  }

  private priority(t: number): number {
    let p = this.prio.get(t);
    if (p === undefined) {
      // Distinct random ranks above all change-point priorities.
      p = this.depth + this.rng.below(1 << 30) + t / 1024;
      this.prio.set(t, p);
    }
    return p;
  }

  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    // The thread that ran the step at a change point drops to that point's priority.
    while (this.next < this.changes.length && this.changes[this.next][0] <= ctx.step) {
      if (ctx.last !== null) this.prio.set(ctx.last, this.changes[this.next][1]);
      this.next++;
    }
    let best = enabled[0];
    let bp = this.priority(best);
    for (let i = 1; i < enabled.length; i++) {
      const p = this.priority(enabled[i]);
      if (p > bp) {
        best = enabled[i];
        bp = p;
      }
    }
    return best;
  }

  pickData(_label: string, n: number): number {
    return this.rng.below(n);
  }
}

/** Wraps a chooser and counts preemptions (switching away from a runnable last thread). */
class Counting implements Chooser {
  pre = 0;
  constructor(private readonly inner: Chooser) {}
  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    const t = this.inner.pickThread(enabled, ctx);
    if (ctx.last !== null && ctx.lastEnabled && t !== ctx.last) this.pre++;
    return t;
  }
  pickData(label: string, n: number, thread: ThreadId, ctx: PickContext): number {
    return this.inner.pickData(label, n, thread, ctx);
  }
}

interface Witness {
  readonly pre: number;
  readonly steps: number;
  readonly choices: number;
  readonly atEnd: boolean;
  readonly run: number;
}

export function exploreSampling(target: ExploreTarget, opts: ExploreOptions, strategy: 'random' | 'pct'): ExploreResult {
  const invs = invariantIds(target);
  const runs = Math.max(1, opts.maxSchedules ?? 1000);
  const seed = opts.seed ?? 1;
  const maxSteps = opts.maxSteps ?? 100_000;
  const every = opts.progressEvery ?? 1000;
  const depth = opts.pctDepth ?? 3;
  let estimate = 1;
  if (strategy === 'pct') {
    const probe = target.start({ chooser: new DefaultChooser(), trace: false, maxSteps });
    estimate = probe.sched.run().steps;
  }
  const hits = new Map<string, number>();
  const best = new Map<string, Witness & { schedule: string }>();
  let steps = 0;
  let stepBound = false;
  const outcomes = new OutcomeSet();
  for (let i = 0; i < runs; i++) {
    const runSeed = (seed + Math.imul(i, 0x9e3779b1)) >>> 0;
    const inner: Chooser = strategy === 'pct' ? new PctChooser(runSeed, depth, estimate) : new RandomChooser(runSeed);
    const chooser = new Counting(inner);
    const first = new Map<string, Witness>();
    let run: ExploreRun | null = null;
    let obs: Observer | null = null;
    const note = (vs: readonly string[], atEnd: boolean): void => {
      const r = run as ExploreRun;
      for (const v of vs) {
        if (!first.has(v)) first.set(v, { pre: chooser.pre, steps: r.sched.stepCount, choices: r.sched.choices.length, atEnd, run: i });
      }
    };
    run = target.start({
      chooser,
      trace: false,
      maxSteps,
      afterStep: () => {
        note((obs as Observer).step(), false);
        return false;
      },
    });
    obs = new Observer(run);
    note(run.check(), false);
    const res = run.sched.run();
    if (res.status === 'done') noteOutcome(outcomes, run, res, -1);
    if (res.status === 'step-bound') stepBound = true;
    note(obs.end(res), true);
    steps += res.steps;
    for (const [inv, w] of first) {
      hits.set(inv, (hits.get(inv) ?? 0) + 1);
      const b = best.get(inv);
      if (b === undefined || w.pre < b.pre || (w.pre === b.pre && w.steps < b.steps)) {
        best.set(inv, { ...w, schedule: formatSchedule(res.choices.slice(0, w.choices), true) });
      }
    }
    if (opts.onProgress !== undefined && (i + 1) % every === 0) {
      opts.onProgress({ schedules: i + 1, states: 0, edges: 0, steps, violated: [...hits.keys()], done: false });
    }
  }
  const verdicts: Record<string, Verdict> = {};
  const counterexamples: Record<string, Counterexample> = {};
  let firstCx: Counterexample | null = null;
  for (const inv of invs) {
    const h = hits.get(inv) ?? 0;
    verdicts[inv] = h === 0 ? 'never' : h === runs ? 'always' : 'sometimes';
    const b = best.get(inv);
    if (b === undefined) continue;
    const cx: Counterexample = {
      invariant: inv,
      schedule: b.schedule,
      preemptions: b.pre,
      steps: b.steps,
      verified: verifyCounterexample(target, b.schedule, inv, b.steps, b.atEnd, maxSteps),
    };
    counterexamples[inv] = cx;
    if (firstCx === null) firstCx = cx;
  }
  if (opts.onProgress !== undefined) opts.onProgress({ schedules: runs, states: 0, edges: 0, steps, violated: [...hits.keys()], done: true });
  return {
    strategy,
    complete: false,
    bounded: stepBound ? ['sampling', 'step-bound'] : ['sampling'],
    limits: { maxSchedules: runs, preemptionBound: null },
    schedules: runs,
    states: 0,
    edges: 0,
    paths: runs,
    steps,
    verdicts,
    counterexamples,
    counterexample: firstCx,
    invariants: invs,
    reduction: 'none',
    inexact: [],
    audit: null,
    selfLoops: 0,
    outcomes: outcomes.list(),
    outcomeDisagreements: 0,
  };
}
