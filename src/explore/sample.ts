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

/**
 * A sampling search one run at a time: `step()` runs the next sampled run (false once
 * all are done or the search was interrupted), `interrupt()` stops it, and `result()`
 * reports the runs done so far (bounded by `interrupted` when stopped early). The CLI
 * runs it in slices so that Ctrl-C is seen, as it does with DfsSearch.
 */
export class SamplingSearch {
  private readonly invs: readonly string[];
  private readonly runs: number;
  private readonly seed: number;
  private readonly maxSteps: number;
  private readonly every: number;
  private readonly depth: number;
  private readonly estimate: number;
  private readonly hits = new Map<string, number>();
  private readonly best = new Map<string, Witness & { schedule: string }>();
  private readonly outcomes = new OutcomeSet();
  private steps = 0;
  private stepBound = false;
  private interrupted = false;
  /** Runs done so far. */
  private i = 0;

  constructor(
    private readonly target: ExploreTarget,
    private readonly opts: ExploreOptions,
    private readonly strategy: 'random' | 'pct',
  ) {
    this.invs = invariantIds(target);
    this.runs = Math.max(1, opts.maxSchedules ?? 1000);
    this.seed = opts.seed ?? 1;
    this.maxSteps = opts.maxSteps ?? 100_000;
    this.every = opts.progressEvery ?? 1000;
    this.depth = opts.pctDepth ?? 3;
    let estimate = 1;
    if (strategy === 'pct') {
      const probe = target.start({ chooser: new DefaultChooser(), trace: false, maxSteps: this.maxSteps });
      estimate = probe.sched.run().steps;
    }
    this.estimate = estimate;
  }

  /** True once every run is done or the search was interrupted. */
  get done(): boolean {
    return this.interrupted || this.i >= this.runs;
  }

  /** Stop the search; `result()` reports it as bounded by `interrupted`. */
  interrupt(): void {
    if (this.i < this.runs) this.interrupted = true;
  }

  /** Run one sampled run; false when there is nothing left to run. */
  step(): boolean {
    if (this.done) return false;
    const i = this.i;
    const runSeed = (this.seed + Math.imul(i, 0x9e3779b1)) >>> 0;
    const inner: Chooser = this.strategy === 'pct' ? new PctChooser(runSeed, this.depth, this.estimate) : new RandomChooser(runSeed);
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
    run = this.target.start({
      chooser,
      trace: false,
      maxSteps: this.maxSteps,
      afterStep: () => {
        note((obs as Observer).step(), false);
        return false;
      },
    });
    obs = new Observer(run);
    note(run.check(), false);
    const res = run.sched.run();
    if (res.status === 'done') noteOutcome(this.outcomes, run, res, -1);
    if (res.status === 'step-bound') this.stepBound = true;
    note(obs.end(res), true);
    this.steps += res.steps;
    for (const [inv, w] of first) {
      this.hits.set(inv, (this.hits.get(inv) ?? 0) + 1);
      const b = this.best.get(inv);
      if (b === undefined || w.pre < b.pre || (w.pre === b.pre && w.steps < b.steps)) {
        this.best.set(inv, { ...w, schedule: formatSchedule(res.choices.slice(0, w.choices), true) });
      }
    }
    this.i = i + 1;
    if (this.opts.onProgress !== undefined && this.i % this.every === 0) {
      this.opts.onProgress({ schedules: this.i, states: 0, edges: 0, steps: this.steps, violated: [...this.hits.keys()], done: false });
    }
    return !this.done;
  }

  /** The verdicts over the runs done so far. */
  result(): ExploreResult {
    const done = this.i;
    const verdicts: Record<string, Verdict> = {};
    const counterexamples: Record<string, Counterexample> = {};
    let firstCx: Counterexample | null = null;
    for (const inv of this.invs) {
      const h = this.hits.get(inv) ?? 0;
      verdicts[inv] = h === 0 ? 'never' : h === done ? 'always' : 'sometimes';
      const b = this.best.get(inv);
      if (b === undefined) continue;
      const cx: Counterexample = {
        invariant: inv,
        schedule: b.schedule,
        preemptions: b.pre,
        steps: b.steps,
        verified: verifyCounterexample(this.target, b.schedule, inv, b.steps, b.atEnd, this.maxSteps),
      };
      counterexamples[inv] = cx;
      if (firstCx === null) firstCx = cx;
    }
    if (this.opts.onProgress !== undefined) this.opts.onProgress({ schedules: done, states: 0, edges: 0, steps: this.steps, violated: [...this.hits.keys()], done: true });
    const bounded: ExploreResult['bounded'][number][] = ['sampling'];
    if (this.stepBound) bounded.push('step-bound');
    if (this.interrupted) bounded.push('interrupted');
    return {
      strategy: this.strategy,
      complete: false,
      bounded,
      limits: { maxSchedules: this.runs, preemptionBound: null },
      schedules: done,
      states: 0,
      edges: 0,
      paths: done,
      steps: this.steps,
      verdicts,
      counterexamples,
      counterexample: firstCx,
      invariants: this.invs,
      reduction: 'none',
      cache: 'history',
      inexact: [],
      audit: null,
      selfLoops: 0,
      outcomes: this.outcomes.list(),
      outcomeDisagreements: 0,
    };
  }
}

export function exploreSampling(target: ExploreTarget, opts: ExploreOptions, strategy: 'random' | 'pct'): ExploreResult {
  const search = new SamplingSearch(target, opts, strategy);
  while (search.step()) {
    // the next sampled run
  }
  return search.result();
}
