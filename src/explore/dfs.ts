/**
 * Exhaustive depth-first search by re-execution, with state caching and an optional
 * preemption bound (see explore.ts for the contract and the results).
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
import type { Chooser, PickContext, RunResult, SchedOptions, ThreadId } from '../sched/index.js';
import { ScheduleDivergence } from '../sched/index.js';
import { ReplayChooser } from './choosers.js';
import { formatSchedule, parseSchedule } from './schedule.js';
import { END, StateGraph, countPaths, decodeItems, hasCycle, minimalPaths, verdictOf } from './graph.js';
import { Observer } from './observe.js';
import { OutcomeSet, noteOutcome } from './outcomes.js';
import { verifyCounterexample } from './replay.js';
import type { Counterexample, ExploreOptions, ExploreResult, ExploreRun, ExploreTarget, Verdict } from './types.js';
import { invariantIds } from './types.js';

/** What a step touched (`r:<obj>` / `w:<obj>`), or null when unknown (dependent with every step). */
type Footprint = readonly string[] | null;
/** A sleep set: sleeping threads and the footprint of the step each would take. */
type Sleep = ReadonlyMap<number, Footprint>;
const AWAKE: Sleep = new Map();

interface Frame {
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
}

/** Thrown by the chooser when every enabled thread sleeps: the run ends there (a cut). */
const SLEEP_CUT = 'explore: all enabled threads sleep';

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

  constructor(
    private readonly path: Frame[],
    private readonly prefixLen: number,
    private readonly por: boolean,
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
      if (options.length === 0) throw new ScheduleDivergence(i, ctx.step, SLEEP_CUT);
      f = { kind: 'thread', options, pos: 0, node: this.cur, pre: this.pre, last, enabled: [...enabled], sleep: this.sleep, fps: this.por ? [] : null };
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
      f = { kind: 'data', options, pos: 0, node: this.cur, pre: this.pre, last: -1, enabled: [], sleep: this.sleep, fps: null };
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

/** Do two steps commute? Only when both footprints are known and no object is written by one and touched by the other. */
function independent(a: Footprint, b: Footprint): boolean {
  if (a === null || b === null) return false;
  for (const x of a) {
    const obj = x.slice(2);
    if (b.includes(`w:${obj}`)) return false;
    if (x.charCodeAt(0) === 119 /* w */ && b.includes(`r:${obj}`)) return false;
  }
  return true;
}

function union(a: Footprint | undefined, b: Footprint): Footprint {
  if (a === undefined) return b;
  if (a === null || b === null) return null;
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

export function exploreDfs(target: ExploreTarget, opts: ExploreOptions): ExploreResult {
  const invs = invariantIds(target);
  const bound = opts.preemptionBound;
  const maxSchedules = Math.max(1, opts.maxSchedules ?? Infinity);
  const maxSteps = opts.maxSteps ?? 100_000;
  const cache = opts.noCache !== true;
  const por = opts.por === true && bound === undefined;
  const every = opts.progressEvery ?? 1000;
  const g = new StateGraph(bound !== undefined || !cache || por);
  /** Bounded search: least preemptions a (state, last thread) was entered with. */
  const budget = new Map<string, number>();
  /** Sleep sets with caching: per state, the threads asleep on every visit so far. */
  const stored: (Set<number> | undefined)[] = [];
  const violated = new Set<string>();
  const bounded = new Set<'preemption-bound' | 'max-schedules' | 'step-bound'>();
  /** Cut points kept for the fingerprint audit. */
  const auditCuts = por || !cache ? 0 : (opts.auditCuts ?? 0);
  const audits: { schedule: string; step: number }[] = [];
  const outcomes = new OutcomeSet();

  const path: Frame[] = [];
  let prefixLen = 0;
  let schedules = 0;
  let totalSteps = 0;
  let finished = false;

  // Per-run state the after-step hook reads (PERF: one hook for the whole search, not a closure per run).
  let stepStart = 0; // decision index at which the current step started
  // Set once the hook has a run to look at.
  let run: ExploreRun | null = null;
  let obs: Observer | null = null;
  let curChooser: DfsChooser | null = null;
  const hook = (): boolean => {
    const chooser = curChooser as DfsChooser;
    const r = run as ExploreRun;
    const o = obs as Observer;
    const fb: Footprint = por && r.footprint !== undefined ? r.footprint() : null;
    if (chooser.di < prefixLen) {
      stepStart = chooser.di;
      o.skip();
      return false;
    }
    const s = r.sched;
    const key = `${r.fingerprint()}\u0000${s.positionKey()}`;
    const vs = o.step();
    const { id, fresh } = g.node(key);
    const items: number[] = [];
    for (let k = stepStart; k < chooser.di; k++) items.push(encode(path[k]));
    const thread = s.lastRan as number;
    const cur = chooser.cur;
    const first = stepStart < chooser.di ? path[stepStart] : null;
    if (first !== null && first.kind === 'thread' && g.enabled[cur] === null) g.enabled[cur] = first.enabled;
    g.addEdge(cur, id, thread, items, vs);
    for (const v of vs) violated.add(v);
    chooser.cur = id;
    stepStart = chooser.di;
    if (por) {
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
      for (const [t, fp] of base) if (t !== thread && independent(fp, fb)) next.set(t, fp);
      if (siblings !== null) for (const [t, fp] of siblings) if (t !== thread && independent(fp, fb)) next.set(t, fp);
      if (!cache) {
        chooser.sleep = next;
        return false;
      }
      const had = stored[id];
      if (fresh || had === undefined) {
        stored[id] = new Set(next.keys());
        chooser.sleep = next;
        return false;
      }
      let covered = true;
      for (const t of had) if (!next.has(t)) covered = false;
      if (covered) return true;
      // Explore from here only the threads that slept on every earlier visit and
      // are awake now; the others sleep for one step (unknown footprint).
      const keep = new Set<number>();
      for (const t of had) if (next.has(t)) keep.add(t);
      stored[id] = keep;
      const eff = new Map(next);
      const n = s.views().length;
      for (let t = 0; t < n; t++) if (!had.has(t) && !eff.has(t)) eff.set(t, null);
      chooser.sleep = eff;
      return false;
    }
    if (!cache) return false;
    if (bound === undefined) {
      if (!fresh && audits.length < auditCuts) audits.push({ schedule: formatSchedule(s.choices, true), step: s.stepCount });
      return !fresh;
    }
    const bkey = `${key}\u0005${thread}`;
    const spent = budget.get(bkey);
    if (spent !== undefined && spent <= chooser.pre) return true;
    budget.set(bkey, chooser.pre);
    return false;
  };

  while (!finished) {
    if (schedules >= maxSchedules) {
      bounded.add('max-schedules');
      break;
    }
    schedules++;
    stepStart = 0;
    run = null;
    obs = null;
    const chooser = new DfsChooser(path, prefixLen, por);
    curChooser = chooser;
    const sopts: SchedOptions = { chooser, trace: false, maxSteps, afterStep: hook };
    run = target.start(sopts);
    obs = new Observer(run);
    if (schedules === 1) {
      const key = `${run.fingerprint()}\u0000${run.sched.positionKey()}`;
      g.node(key);
      stored[0] = new Set();
      const init = run.check();
      g.initViol = init.slice();
      for (const v of init) violated.add(v);
    }
    if (por) run.footprint?.();
    const res: RunResult = run.sched.run();
    totalSteps += res.steps;
    if (chooser.di < prefixLen) {
      throw new Error(`pinlab bug: the explore target is not deterministic: the run ended (${res.status}) after ${chooser.di} of ${prefixLen} replayed decisions`);
    }
    if (res.status === 'done' || res.status === 'deadlock') {
      const vs = obs.end(res);
      for (const v of vs) violated.add(v);
      g.addEdge(chooser.cur, END, -1, [], vs);
      if (res.status === 'done') noteOutcome(outcomes, run, res, chooser.cur);
    } else if (res.status === 'stopped' && g.terminal[chooser.cur]) {
      // Cut at a final state seen before: the world is that state (see outcomes.ts).
      noteOutcome(outcomes, run, res, chooser.cur);
    } else if (res.status === 'step-bound') {
      bounded.add('step-bound');
    } else if (res.status === 'diverged') {
      if (res.divergence?.message !== SLEEP_CUT) throw new Error(`pinlab bug: a DFS run diverged: ${res.divergence?.message ?? ''}`);
      g.covered[chooser.cur] = true;
    }
    if (opts.onProgress !== undefined && schedules % every === 0) {
      opts.onProgress({ schedules, states: g.states, edges: g.edges, steps: totalSteps, violated: [...violated], done: false });
    }

    // Backtrack: advance the deepest frame with an untried option within the bound.
    finished = true;
    for (let k = path.length - 1; k >= 0; k--) {
      const f = path[k];
      let next = f.pos + 1;
      while (bound !== undefined && next < f.options.length && f.last >= 0 && f.options[next] !== f.last && f.pre + 1 > bound) {
        bounded.add('preemption-bound');
        next++;
      }
      if (next < f.options.length) {
        f.pos = next;
        path.length = k + 1;
        prefixLen = k + 1;
        finished = false;
        break;
      }
    }
  }

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
  const audit = auditCuts > 0 && bounded.size === 0 ? auditFingerprint(target, g, audits, maxSteps) : null;
  const inexact: string[] = [];
  if (por) {
    const cyclic = hasCycle(g, adj);
    for (const inv of invs) {
      if (verdicts[inv] !== 'always') continue;
      if (cyclic) {
        inexact.push(inv);
        continue;
      }
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
  const b = [...bounded];
  if (opts.onProgress !== undefined) opts.onProgress({ schedules, states: g.states, edges: g.edges, steps: totalSteps, violated: [...violated], done: true });
  return {
    strategy: 'dfs',
    complete: b.length === 0,
    bounded: b,
    schedules,
    states: g.states,
    edges: g.edges,
    paths: countPaths(g, adj),
    steps: totalSteps,
    verdicts,
    counterexamples,
    counterexample: first,
    invariants: invs,
    reduction: por ? 'sleep-sets' : 'none',
    inexact,
    audit,
    selfLoops,
    outcomes: outcomes.list(),
    outcomeDisagreements: outcomes.disagreements,
  };
}

/**
 * The fingerprint audit: re-run some cut runs past their cut with the default
 * strategy and check that every step they take is already in the graph, from the
 * state the graph says they are in. A step the graph does not have means two
 * different states shared a key (or the target is not deterministic).
 */
function auditFingerprint(target: ExploreTarget, g: StateGraph, audits: readonly { schedule: string; step: number }[], maxSteps: number): { checked: number; problems: string[] } {
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
    run = target.start({
      chooser: new ReplayChooser(parsed.schedule),
      trace: false,
      maxSteps: Math.min(maxSteps, a.step + 200),
      afterStep: (s) => {
        const r = run as ExploreRun;
        const ch = s.choices;
        if (s.stepCount < a.step) {
          seen = ch.length;
          return false;
        }
        const id = g.find(`${r.fingerprint()}\u0000${s.positionKey()}`);
        const items: number[] = [];
        for (let k = seen; k < ch.length; k++) {
          const c = ch[k];
          items.push(c.kind === 'thread' ? c.thread : -c.index - 1);
        }
        seen = ch.length;
        if (id === undefined) problem = `step ${s.stepCount} reaches a state the complete search never saw`;
        else if (prev >= 0 && !edges.has(`${prev}>${id}:${s.lastRan as number}:${items.join(',')}`)) problem = `step ${s.stepCount} (T${s.lastRan as number}) is not a step of the graph from the state it started in`;
        prev = id ?? -1;
        return problem !== null;
      },
    });
    const res = run.sched.run();
    if (problem === null && (res.status === 'done' || res.status === 'deadlock') && prev >= 0 && !g.terminal[prev]) problem = `the run ends (${res.status}) in a state where the graph has no end`;
    if (problem !== null) problems.push(`${a.schedule}: ${problem}`);
  }
  return { checked: audits.length, problems };
}
