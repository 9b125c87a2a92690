/**
 * Exhaustive depth-first search by re-execution, with state caching and an optional
 * preemption bound (see explore.ts for the contract and the results).
 *
 * Organised as P's strategies are: one search object (`DfsSearch`: the decision
 * path, the runs, the state graph, the results) and one policy per mode, which alone
 * decides when a run is cut and which options backtracking may take:
 *
 *   NoCachePolicy           every run goes to its end (the reference search)
 *   StateCachePolicy        cut at a state seen before (the default)
 *   PreemptionBoundPolicy   at most k preemptions; the cache keys on budget and last thread
 *   SleepSetPolicy          sleep sets over the steps' footprints, with or without the cache
 *
 * The search runs one schedule per `step()`, so a caller can slice it (the CLI yields to
 * the event loop between slices to honour Ctrl-C) and `interrupt()` it: `result()` then
 * reports what was found so far as a bounded (`interrupted`) search.
 *
 * The search keeps the decision path of the current run: one frame per real choice
 * (a thread pick among two or more enabled threads, or a data choice), with its
 * options in exploration order and the option taken. A run replays the frames of the
 * prefix, then extends the path with new frames taking option 0. For thread picks
 * option 0 is the thread that ran last (no preemption), the others follow in id order.
 * After a run, the deepest frame with an untried option (within the preemption
 * bound) is advanced and the path cut after it; the next run replays up to it.
 *
 * While replaying, the hook does nothing but count; once past the prefix, each step
 * computes the state key (target fingerprint + thread positions), records the step
 * in the state graph and, when the state was seen before, stops the run: everything
 * after it was or is being explored from its first visit (DFS explores a state's
 * whole future before leaving it). With a preemption bound the future depends on
 * the preemptions left and the last thread, so the cache keys on both and re-enters
 * a state reached with more budget than before.
 */
import type { Chooser, PickContext, RunResult, Sched, SchedOptions, ThreadId } from '../sched/index.js';
import { ScheduleDivergence } from '../sched/index.js';
import { ReplayChooser } from './choosers.js';
import { formatSchedule, parseSchedule } from './schedule.js';
import { END, StateGraph, countPaths, decodeItems, hasCycle, minimalPaths, verdictOf } from './graph.js';
import { Observer } from './observe.js';
import { OutcomeSet, noteOutcome } from './outcomes.js';
import { verifyCounterexample } from './replay.js';
import type { Counterexample, ExploreOptions, ExploreResult, ExploreRun, ExploreTarget, Reduction, Verdict } from './types.js';
import { invariantIds } from './types.js';
import type { Footprint, PickFrame } from './dpor.js';
import type { Observes } from './dpor.js';
import { DporTrace, independent, isVisible } from './dpor.js';
import { ThreadHistories } from './history.js';
import type { Whole } from './history.js';
/** A sleep set: sleeping threads and the footprint of the step each would take. */
type Sleep = ReadonlyMap<number, Footprint>;
const AWAKE: Sleep = new Map();

interface Frame extends PickFrame {
  readonly kind: 'thread' | 'data';
  /** Thread ids (thread picks) or option indices (data), in exploration order. */
  readonly options: readonly number[];
  pos: number;
  /** The state the step containing this decision started from. */
  readonly node: number;
  /** Preemptions spent before this decision. */
  readonly pre: number;
  /** Thread picks: the thread that ran last if it is still enabled (picking another preempts), else -1. */
  readonly last: number;
  /** Thread picks: every enabled thread (`options` leaves out sleeping ones). */
  readonly enabled: readonly number[];
  /** Sleep sets: the sleep set of the step's start state. */
  readonly sleep: Sleep;
  /** Sleep sets, thread picks: footprint of each option's step explored so far (all its data variants). */
  readonly fps: Footprint[] | null;
  /** DPOR: index (in the run) of the step this decision belongs to. */
  readonly ev: number;
}

const NO_BACKTRACK: Set<number> = new Set();

/** The explorer's chooser: replays the prefix of `path`, then extends it. */
class DfsChooser implements Chooser {
  /** Decisions made in this run so far. */
  di = 0;
  /** Preemptions spent in this run so far. */
  pre = 0;
  /**
   * The state the current step started from. Known while replaying only at the last
   * replayed decision (its frame remembers it); maintained by the hook after that.
   */
  cur = 0;
  /** Sleep set of the current step's start state (sleep sets only). */
  sleep: Sleep = AWAKE;
  /** Set when every enabled thread slept: the run was cut there (sleep sets only). */
  sleepCut = false;
  /** Index (in the run) of the step being executed. */
  ev = 0;

  constructor(
    private readonly path: Frame[],
    private readonly prefixLen: number,
    private readonly por: boolean,
    private readonly dpor: boolean,
  ) {}

  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    const i = this.di++;
    let f: Frame;
    if (i < this.prefixLen) {
      f = this.path[i];
      if (f.kind !== 'thread' || !sameThreads(f.enabled, enabled)) {
        throw new Error(`pinlab bug: the explore target is not deterministic: decision ${i + 1} offers threads ${enabled.join(',')}, earlier ${f.kind} ${f.enabled.join(',')}`);
      }
      if (i === this.prefixLen - 1) {
        this.cur = f.node;
        this.sleep = f.sleep;
      }
    } else {
      const last = ctx.last !== null && ctx.lastEnabled ? (ctx.last as number) : -1;
      let options: number[] = last >= 0 ? [last, ...enabled.filter((t) => t !== last)] : [...enabled];
      if (this.sleep.size > 0) options = options.filter((t) => !this.sleep.has(t));
      if (options.length === 0) {
        this.sleepCut = true;
        throw new ScheduleDivergence(i, ctx.step, 'explore: all enabled threads sleep');
      }
      f = { kind: 'thread', options, pos: 0, node: this.cur, pre: this.pre, last, enabled: [...enabled], sleep: this.sleep, fps: this.por ? [] : null, ev: this.ev, backtrack: this.dpor ? new Set([options[0]]) : NO_BACKTRACK, full: !this.dpor };
      this.path.push(f);
    }
    if (f.last >= 0 && f.options[f.pos] !== f.last) this.pre++;
    return f.options[f.pos] as ThreadId;
  }

  pickData(label: string, n: number): number {
    const i = this.di++;
    let f: Frame;
    if (i < this.prefixLen) {
      f = this.path[i];
      if (f.kind !== 'data' || f.options.length !== n) {
        throw new Error(`pinlab bug: the explore target is not deterministic: decision ${i + 1} is the ${n}-way data choice ${label}, earlier ${f.kind} ${f.options.join(',')}`);
      }
      if (i === this.prefixLen - 1) {
        this.cur = f.node;
        this.sleep = f.sleep;
      }
    } else {
      const options: number[] = [];
      for (let k = 0; k < n; k++) options.push(k);
      f = { kind: 'data', options, pos: 0, node: this.cur, pre: this.pre, last: -1, enabled: [], sleep: this.sleep, fps: null, ev: this.ev, backtrack: NO_BACKTRACK, full: true };
      this.path.push(f);
    }
    return f.options[f.pos];
  }
}

/** Do two lists of thread ids hold the same threads (same length, each of `b` in `a`)? */
function sameThreads(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (const t of b) if (!a.includes(t)) return false;
  return true;
}

function encode(f: Frame): number {
  const o = f.options[f.pos];
  return f.kind === 'thread' ? o : -o - 1;
}

function union(a: Footprint | undefined, b: Footprint): Footprint {
  if (a === undefined) return b;
  if (a === null || b === null) return null;
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

/** What a policy sees of a step that reached new territory (past the replayed prefix). */
interface StepInfo {
  /** The state key reached, its node, and whether the node is new. */
  readonly key: string;
  readonly id: number;
  readonly fresh: boolean;
  /** The thread that ran the step. */
  readonly thread: number;
  /** The first decision the step consumed, or null (only one thread could run, no data choice). */
  readonly first: Frame | null;
  /** The step's footprint (policies with `footprints` only; else null). */
  readonly fb: Footprint;
  readonly chooser: DfsChooser;
  readonly sched: Sched;
}

/** One search mode: when to cut a run, and which options backtracking may take. */
interface SearchPolicy {
  /** The graph must drop duplicate edges (a state may be expanded more than once). */
  readonly dedupe: boolean;
  /** Read each step's footprint (sleep sets). */
  readonly footprints: boolean;
  /** After a step into new territory: true cuts the run here. */
  afterStep(s: StepInfo): boolean;
  /** Backtracking: the first option index >= `next` of frame `f` that may be explored (options.length: none). */
  nextOption(f: Frame, next: number): number;
}

/** The reference search: no cache, every run goes to its end. */
class NoCachePolicy implements SearchPolicy {
  readonly dedupe = true;
  readonly footprints = false;
  afterStep(): boolean {
    return false;
  }
  nextOption(_f: Frame, next: number): number {
    return next;
  }
}

/**
 * The default: a run is cut at a state seen before (DFS explores a state's whole future
 * before leaving it, so the first visit covers it). Keeps cut points for the audit.
 */
class StateCachePolicy implements SearchPolicy {
  readonly dedupe = false;
  readonly footprints = false;
  readonly audits: { schedule: string; step: number }[] = [];
  constructor(private readonly auditCuts: number) {}
  afterStep(s: StepInfo): boolean {
    if (!s.fresh && this.audits.length < this.auditCuts) this.audits.push({ schedule: formatSchedule(s.sched.choices, true), step: s.sched.stepCount });
    return !s.fresh;
  }
  nextOption(_f: Frame, next: number): number {
    return next;
  }
}

/**
 * At most `bound` preemptions per run. With the cache, the future of a state depends on
 * the budget left and the last thread, so a state is re-entered when reached with more
 * budget than before.
 */
class PreemptionBoundPolicy implements SearchPolicy {
  readonly dedupe = true;
  readonly footprints = false;
  /** Least preemptions a (state, last thread) was entered with. */
  private readonly budget = new Map<string, number>();
  /** Some option was skipped for the bound. */
  hit = false;
  constructor(
    private readonly bound: number,
    private readonly cache: boolean,
  ) {}
  afterStep(s: StepInfo): boolean {
    if (!this.cache) return false;
    const bkey = `${s.key}\u0005${s.thread}`;
    const spent = this.budget.get(bkey);
    if (spent !== undefined && spent <= s.chooser.pre) return true;
    this.budget.set(bkey, s.chooser.pre);
    return false;
  }
  nextOption(f: Frame, next: number): number {
    while (next < f.options.length && f.last >= 0 && f.options[next] !== f.last && f.pre + 1 > this.bound) {
      this.hit = true;
      next++;
    }
    return next;
  }
}

/**
 * Sleep sets (Godefroid) over the steps' footprints: after exploring thread a from a
 * state, the branch that runs b first keeps a asleep until a step that conflicts with
 * a's footprint. With the cache, a state revisited with a smaller sleep set explores
 * the threads that slept on every earlier visit and are awake now.
 */
class SleepSetPolicy implements SearchPolicy {
  readonly dedupe = true;
  readonly footprints = true;
  /** Per state: the threads asleep on every visit so far. */
  private readonly stored: (Set<number> | undefined)[] = [new Set()];
  constructor(
    private readonly cache: boolean,
    private readonly indep: (a: Footprint, b: Footprint) => boolean = independent,
  ) {}
  /** The run goes on (or stops) relying on what an earlier visit of its state explored. */
  protected reliedOnCache(_s: StepInfo): void {}
  afterStep(s: StepInfo): boolean {
    const { chooser, first, fb, thread, id } = s;
    const indep = this.indep;
    // The successor's sleep set: the sleepers of the start state and the siblings
    // explored before this step, minus those this step does not commute with.
    let base: Sleep = chooser.sleep;
    let siblings: Map<number, Footprint> | null = null;
    if (first !== null) {
      base = first.sleep;
      if (first.kind === 'thread' && first.fps !== null) {
        first.fps[first.pos] = union(first.fps[first.pos], fb);
        siblings = new Map();
        for (let j = 0; j < first.pos; j++) siblings.set(first.options[j], first.fps[j] ?? null);
      }
    }
    const next = new Map<number, Footprint>();
    for (const [t, fp] of base) if (t !== thread && indep(fp, fb)) next.set(t, fp);
    if (siblings !== null) for (const [t, fp] of siblings) if (t !== thread && indep(fp, fb)) next.set(t, fp);
    if (!this.cache) {
      chooser.sleep = next;
      return false;
    }
    const had = this.stored[id];
    if (s.fresh || had === undefined) {
      this.stored[id] = new Set(next.keys());
      chooser.sleep = next;
      return false;
    }
    let covered = true;
    for (const t of had) if (!next.has(t)) covered = false;
    if (covered) {
      this.reliedOnCache(s);
      return true;
    }
    // Explore from here only the threads that slept on every earlier visit and
    // are awake now; the others sleep for one step (unknown footprint).
    const keep = new Set<number>();
    for (const t of had) if (next.has(t)) keep.add(t);
    this.stored[id] = keep;
    const eff = new Map(next);
    const n = s.sched.views().length;
    for (let t = 0; t < n; t++) if (!had.has(t) && !eff.has(t)) eff.set(t, null);
    chooser.sleep = eff;
    this.reliedOnCache(s);
    return false;
  }
  nextOption(_f: Frame, next: number): number {
    return next;
  }
}

/**
 * Source-set DPOR with sleep sets (dpor.ts): a thread pick explores its backtrack set
 * only, which race detection grows. With the cache, a run that relies on an earlier
 * visit of a state with a future (cut there, or some threads kept asleep for it)
 * expands every thread pick of the run fully: races with that future cannot be seen
 * (dpor.ts, after Yang et al.).
 */
class DporPolicy extends SleepSetPolicy {
  readonly trace: DporTrace;
  constructor(
    cache: boolean,
    observes: Observes,
    private readonly path: readonly Frame[],
    private readonly g: () => StateGraph,
  ) {
    const vis = (fp: Footprint): boolean => isVisible(fp, observes);
    super(cache, (a, b) => independent(a, b) && !(vis(a) && vis(b)));
    this.trace = new DporTrace(observes);
  }
  protected override reliedOnCache(s: StepInfo): void {
    if (this.g().terminal[s.id]) return; // a final state: no future to race with
    for (let k = 0; k < s.chooser.di; k++) {
      const f = this.path[k];
      if (f.kind === 'thread') f.full = true;
    }
  }
  override nextOption(f: Frame, next: number): number {
    if (f.full) return next;
    while (next < f.options.length && !f.backtrack.has(f.options[next])) next++;
    return next;
  }
}

/** The search mode the options ask for. */
function policyFor(opts: ExploreOptions, target: ExploreTarget, path: readonly Frame[], g: () => StateGraph): SearchPolicy {
  const cache = opts.noCache !== true;
  if (opts.preemptionBound !== undefined) return new PreemptionBoundPolicy(opts.preemptionBound, cache);
  const reduction = reductionFor(opts, target);
  if (reduction === 'sleep-sets') return new SleepSetPolicy(cache);
  if (reduction === 'dpor') return new DporPolicy(cache, target.observes ?? null, path, g);
  return cache ? new StateCachePolicy(opts.auditCuts ?? 0) : new NoCachePolicy();
}

/**
 * The reduction a search runs with: the one asked for (`reduction`, or `por: true` for
 * sleep sets), else DPOR for a target whose runs report footprints, else none. None
 * with a preemption bound.
 */
export function reductionFor(opts: ExploreOptions, target: ExploreTarget): Reduction {
  if (opts.preemptionBound !== undefined) return 'none';
  if (opts.reduction !== undefined) return opts.reduction;
  if (opts.por === true) return 'sleep-sets';
  return target.footprints === true ? 'dpor' : 'none';
}

/** The schedules a DFS runs at most unless told otherwise (`maxSchedules`). */
export const DEFAULT_MAX_SCHEDULES = 100_000;

/** The exhaustive search as an object: `step()` runs one schedule; `result()` at any time. */
export class DfsSearch {
  private readonly invs: string[];
  private readonly maxSchedules: number;
  private readonly maxSteps: number;
  private readonly every: number;
  private readonly policy: SearchPolicy;
  private readonly g: StateGraph;
  private readonly violated = new Set<string>();
  private readonly bounded = new Set<'max-schedules' | 'step-bound' | 'interrupted'>();
  private readonly outcomes = new OutcomeSet();
  private readonly path: Frame[] = [];
  /** DPOR: the steps of the current run (kept across runs up to the replayed prefix). */
  private readonly dpor: DporTrace | null;
  /** Each thread's history since it was last fully described: part of the state key (history.ts). */
  private readonly hist = new ThreadHistories();
  /** The current run has reached its first step past the replayed prefix (the histories were loaded). */
  private entered = false;
  /** `cache: 'positions'`: no histories in the key (the old, unsound key; docs/explorer.md). */
  private readonly positionsOnly: boolean;
  /** Ask the runs for their steps' footprints (the reduction, or the history key, uses them). */
  private readonly footprints: boolean;
  private prefixLen = 0;
  private schedules = 0;
  private totalSteps = 0;
  private over = false;

  // Per-run state the after-step hook reads (PERF: one hook for the whole search, not a closure per run).
  /** Decision index at which the current step started. */
  private stepStart = 0;
  private run: ExploreRun | null = null;
  private obs: Observer | null = null;
  private chooser: DfsChooser | null = null;
  private readonly hook = (): boolean => this.afterStep();
  /** The current step's thread had its whole state in view at this world and decision index (Sched.noteWhole). */
  private wholeWorld = -1;
  private wholeAt = 0;
  private readonly wholeHook = (): void => {
    const chooser = this.chooser as DfsChooser;
    // Also while replaying (the step that ends the prefix may have passed such an instant
    // before its fresh part): one fingerprint per instant, so a state has one key.
    this.wholeWorld = this.hist.now((this.run as ExploreRun).sched, (this.run as ExploreRun).fingerprint());
    this.wholeAt = chooser.di;
  };

  constructor(
    private readonly target: ExploreTarget,
    private readonly opts: ExploreOptions,
  ) {
    this.invs = invariantIds(target);
    this.maxSchedules = Math.max(1, opts.maxSchedules ?? DEFAULT_MAX_SCHEDULES);
    this.maxSteps = opts.maxSteps ?? 100_000;
    this.every = opts.progressEvery ?? 1000;
    this.policy = policyFor(opts, target, this.path, () => this.g);
    this.positionsOnly = (opts.cache ?? target.cache ?? 'positions') === 'positions';
    // The history key also uses the footprints: a step's input (ExploreRun.stepInput) stands for its world.
    this.footprints = this.policy.footprints || (!this.positionsOnly && target.footprints === true);
    this.g = new StateGraph(this.policy.dedupe);
    this.dpor = this.policy instanceof DporPolicy ? this.policy.trace : null;
  }

  /** True once the search is over (complete, bounded or interrupted). */
  get done(): boolean {
    return this.over;
  }

  /** Runs executed so far. */
  get runs(): number {
    return this.schedules;
  }

  /** Stop the search; `result()` reports it as bounded by `interrupted`. */
  interrupt(): void {
    if (this.over) return;
    this.over = true;
    this.bounded.add('interrupted');
  }

  private afterStep(): boolean {
    const chooser = this.chooser as DfsChooser;
    const r = this.run as ExploreRun;
    const o = this.obs as Observer;
    // While replaying, footprints are not used: a target only needs to see the steps from
    // the one before the last replayed decision on (its footprint compares with the state before).
    const fb: Footprint = this.footprints && r.footprint !== undefined && chooser.di + 1 >= this.prefixLen ? r.footprint() : null;
    if (chooser.di < this.prefixLen) {
      this.stepStart = chooser.di;
      this.wholeWorld = -1;
      chooser.ev++;
      o.skip();
      return false;
    }
    const { g, path, hist } = this;
    const s = r.sched;
    const items: number[] = [];
    for (let k = this.stepStart; k < chooser.di; k++) items.push(encode(path[k]));
    const thread = s.lastRan as number;
    const cur = chooser.cur;
    if (!this.entered) {
      hist.enter(cur);
      this.entered = true;
    }
    const fp = r.fingerprint();
    let whole: Whole | null = null;
    if (this.wholeWorld >= 0) {
      whole = { world: this.wholeWorld, items: items.slice(Math.max(0, this.wholeAt - this.stepStart)) };
      this.wholeWorld = -1;
    }
    const key = stateKey(fp, s, this.positionsOnly ? '' : hist.step(s, thread, items, fp, whole, this.footprints ? (r.stepInput?.() ?? null) : null));
    const vs = o.step();
    const { id, fresh } = g.node(key);
    hist.record(id);
    const first = this.stepStart < chooser.di ? path[this.stepStart] : null;
    if (first !== null && first.kind === 'thread' && g.enabled[cur] === null) g.enabled[cur] = first.enabled;
    g.addEdge(cur, id, thread, items, vs);
    for (const v of vs) this.violated.add(v);
    chooser.cur = id;
    this.stepStart = chooser.di;
    const dpor = this.dpor;
    if (dpor !== null) {
      if (dpor.length !== chooser.ev) throw new Error(`pinlab bug: DPOR trace out of step (${dpor.length} steps kept, step ${chooser.ev} ran)`);
      dpor.add(thread, fb, first !== null && first.kind === 'thread' ? first : null);
    }
    chooser.ev++;
    return this.policy.afterStep({ key, id, fresh, thread, first, fb, chooser, sched: s });
  }

  /** Run one schedule and backtrack; false once the search is over. */
  step(): boolean {
    if (this.over) return false;
    const { g, opts } = this;
    if (this.schedules >= this.maxSchedules) {
      this.bounded.add('max-schedules');
      this.over = true;
      return false;
    }
    this.schedules++;
    this.stepStart = 0;
    this.entered = false;
    this.wholeWorld = -1;
    this.run = null;
    this.obs = null;
    const chooser = new DfsChooser(this.path, this.prefixLen, this.policy.footprints, this.dpor !== null);
    this.chooser = chooser;
    const sopts: SchedOptions = { chooser, trace: false, maxSteps: this.maxSteps, afterStep: this.hook, ...(this.positionsOnly ? {} : { onWhole: this.wholeHook }) };
    const run = this.target.start(sopts);
    this.run = run;
    const obs = new Observer(run);
    this.obs = obs;
    if (this.schedules === 1) {
      if (this.dpor !== null) this.dpor.threads = run.sched.views().length;
      const fp = run.fingerprint();
      this.hist.start(run.sched, fp);
      this.hist.record(g.node(stateKey(fp, run.sched, this.positionsOnly ? '' : this.hist.suffix())).id);
      const init = run.check();
      g.initViol = init.slice();
      for (const v of init) this.violated.add(v);
    }
    // The state before the first step, if that step may be new territory (see afterStep).
    if (this.footprints && this.prefixLen <= 1) run.footprint?.();
    const res: RunResult = run.sched.run();
    this.totalSteps += res.steps;
    if (chooser.di < this.prefixLen) {
      throw new Error(`pinlab bug: the explore target is not deterministic: the run ended (${res.status}) after ${chooser.di} of ${this.prefixLen} replayed decisions`);
    }
    if (res.status === 'done' || res.status === 'deadlock') {
      const vs = obs.end(res);
      for (const v of vs) this.violated.add(v);
      g.addEdge(chooser.cur, END, -1, [], vs);
      if (res.status === 'done') noteOutcome(this.outcomes, run, res, chooser.cur);
    } else if (res.status === 'stopped' && g.terminal[chooser.cur]) {
      // Cut at a final state seen before: the world is that state (see outcomes.ts); one a
      // run ended in by deadlock has no outcome.
      if (this.outcomes.hasNode(chooser.cur)) noteOutcome(this.outcomes, run, res, chooser.cur);
    } else if (res.status === 'step-bound') {
      this.bounded.add('step-bound');
    } else if (res.status === 'diverged') {
      if (!chooser.sleepCut) throw new Error(`pinlab bug: a DFS run diverged: ${res.divergence?.message ?? ''}`);
      g.covered[chooser.cur] = true;
    }
    if (opts.onProgress !== undefined && this.schedules % this.every === 0) {
      opts.onProgress({ schedules: this.schedules, states: g.states, edges: g.edges, steps: this.totalSteps, violated: [...this.violated], done: false });
    }
    // Backtrack: advance the deepest frame with an option the policy allows.
    const path = this.path;
    for (let k = path.length - 1; k >= 0; k--) {
      const f = path[k];
      const next = this.policy.nextOption(f, f.pos + 1);
      if (next < f.options.length) {
        f.pos = next;
        path.length = k + 1;
        this.prefixLen = k + 1;
        this.dpor?.truncate(f.ev);
        return true;
      }
    }
    this.over = true;
    return false;
  }

  /** The results so far (complete only when the search ran to its end with no bound hit). */
  result(): ExploreResult {
    const { g, invs, opts, policy, maxSteps, target } = this;
    const adj = g.adjacency();
    const verdicts: Record<string, Verdict> = {};
    for (const inv of invs) verdicts[inv] = verdictOf(g, adj, inv);
    const mins = minimalPaths(g, adj, invs);
    const counterexamples: Record<string, Counterexample> = {};
    let first: Counterexample | null = null;
    for (const inv of invs) {
      const m = mins.get(inv);
      if (m === undefined) continue;
      const items = m.edges.flatMap((e) => decodeItems(g.items[e]));
      const endsRun = m.edges.length > 0 && g.to[m.edges[m.edges.length - 1]] === END;
      const schedule = formatSchedule(items, true);
      const verified = verifyCounterexample(target, schedule, inv, m.steps, endsRun, maxSteps);
      const cx: Counterexample = { invariant: inv, schedule, preemptions: m.preemptions, steps: m.steps, verified };
      counterexamples[inv] = cx;
      if (first === null) first = cx;
    }
    const bounded: ExploreResult['bounded'][number][] = [];
    if (policy instanceof PreemptionBoundPolicy && policy.hit) bounded.push('preemption-bound');
    bounded.push(...this.bounded);
    const audit = policy instanceof StateCachePolicy && (opts.auditCuts ?? 0) > 0 && bounded.length === 0 ? auditFingerprint(target, g, this.positionsOnly ? null : this.hist, policy.audits, maxSteps, this.footprints) : null;
    const sleepSets = policy instanceof SleepSetPolicy;
    const reduction: Reduction = policy instanceof DporPolicy ? 'dpor' : sleepSets ? 'sleep-sets' : 'none';
    const inexact: string[] = [];
    if (sleepSets) {
      const cyclic = hasCycle(g, adj);
      for (const inv of invs) {
        if (verdicts[inv] !== 'always') continue;
        if (cyclic) {
          inexact.push(inv);
          continue;
        }
        // DPOR keeps every order of visible steps (dpor.ts): `always` stays exact.
        if (reduction === 'dpor') continue;
        for (let e = 0; e < g.edges; e++) {
          if (g.to[e] !== END && g.viol[e].includes(inv)) {
            inexact.push(inv);
            break;
          }
        }
      }
    }
    let selfLoops = 0;
    for (let e = 0; e < g.edges; e++) if (g.from[e] === g.to[e]) selfLoops++;
    if (opts.onProgress !== undefined) opts.onProgress({ schedules: this.schedules, states: g.states, edges: g.edges, steps: this.totalSteps, violated: [...this.violated], done: true });
    return {
      strategy: 'dfs',
      complete: bounded.length === 0,
      bounded,
      limits: { maxSchedules: this.maxSchedules === Infinity ? null : this.maxSchedules, preemptionBound: opts.preemptionBound ?? null },
      schedules: this.schedules,
      states: g.states,
      edges: g.edges,
      paths: countPaths(g, adj),
      steps: this.totalSteps,
      verdicts,
      counterexamples,
      counterexample: first,
      invariants: invs,
      reduction,
      cache: this.positionsOnly ? 'positions' : 'history',
      inexact,
      audit,
      selfLoops,
      outcomes: this.outcomes.list(),
      outcomeDisagreements: this.outcomes.disagreements,
    };
  }
}

/** The state key: the world's fingerprint, each thread's position, each thread's history (history.ts). */
function stateKey(fp: string, s: Sched, hist: string): string {
  return `${fp}\u0000${s.positionKey()}\u0000${hist}`;
}

export function exploreDfs(target: ExploreTarget, opts: ExploreOptions): ExploreResult {
  const search = new DfsSearch(target, opts);
  while (search.step());
  return search.result();
}

/**
 * The fingerprint audit: re-run some cut runs past their cut with the default
 * strategy and check that every step they take is already in the graph, from the
 * state the graph says they are in. A step the graph does not have means two
 * different states shared a key (or the target is not deterministic).
 */
function auditFingerprint(target: ExploreTarget, g: StateGraph, hist: ThreadHistories | null, audits: readonly { schedule: string; step: number }[], maxSteps: number, footprints: boolean): { checked: number; problems: string[] } {
  const edges = new Set<string>();
  for (let e = 0; e < g.edges; e++) edges.add(`${g.from[e]}>${g.to[e]}:${g.thread[e]}:${g.items[e].join(',')}`);
  const problems: string[] = [];
  for (const a of audits) {
    const parsed = parseSchedule(a.schedule);
    if (!parsed.ok) throw new Error(`pinlab bug: audit schedule ${a.schedule}: ${parsed.error}`);
    let prev = -1;
    let seen = 0;
    let problem: string | null = null;
    let run: ExploreRun | null = null;
    let whole: { world: number; at: number } | null = null;
    run = target.start({
      chooser: new ReplayChooser(parsed.schedule),
      trace: false,
      maxSteps: Math.min(maxSteps, a.step + 200),
      onWhole: () => {
        const r = run as ExploreRun;
        if (hist !== null) whole = { world: hist.now(r.sched, r.fingerprint()), at: r.sched.choices.length };
      },
      afterStep: (s) => {
        const r = run as ExploreRun;
        const ch = s.choices;
        const items: number[] = [];
        for (let k = seen; k < ch.length; k++) {
          const c = ch[k];
          items.push(c.kind === 'thread' ? c.thread : -c.index - 1);
        }
        seen = ch.length;
        // The histories need every step's world, the replayed ones included.
        const fp = r.fingerprint();
        const w: { world: number; at: number } | null = whole;
        whole = null;
        const input = hist !== null && footprints && r.footprint !== undefined ? (r.footprint(), r.stepInput?.() ?? null) : null;
        const suffix = hist === null ? '' : hist.step(s, s.lastRan as number, items, fp, w === null ? null : { world: w.world, items: items.slice(Math.max(0, w.at - (seen - items.length))) }, input);
        if (s.stepCount < a.step) return false;
        const id = g.find(stateKey(fp, s, suffix));
        if (id === undefined) problem = `step ${s.stepCount} reaches a state the complete search never saw`;
        else if (prev >= 0 && !edges.has(`${prev}>${id}:${s.lastRan as number}:${items.join(',')}`)) problem = `step ${s.stepCount} (T${s.lastRan as number}) is not a step of the graph from the state it started in`;
        prev = id ?? -1;
        return problem !== null;
      },
    });
    hist?.start(run.sched, run.fingerprint());
    if (hist !== null && footprints) run.footprint?.();
    const res = run.sched.run();
    if (problem === null && (res.status === 'done' || res.status === 'deadlock') && prev >= 0 && !g.terminal[prev]) problem = `the run ends (${res.status}) in a state where the graph has no end`;
    if (problem !== null) problems.push(`${a.schedule}: ${problem}`);
  }
  return { checked: audits.length, problems };
}
