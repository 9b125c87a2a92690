/** Types of the explorer's interface; see explore.ts for the contract. */
import type { RunResult, Sched, SchedOptions } from '../sched/index.js';
import type { Outcome, RunValues } from './outcomes.js';
import type { ProgressFn } from './progress.js';
import type { Observes } from './dpor.js';

export interface ExploreRun {
  readonly sched: Sched;
  fingerprint(): string;
  check(): readonly string[];
  finish?(r: RunResult): readonly string[];
  /**
   * Optional, for partial-order reduction: what the step that just ran read and
   * wrote, as `r:<object>` / `w:<object>` strings, and forget it (the next call
   * reports the next step). It must cover everything the step touched that another
   * thread's step can touch, lock words and wait conditions included; null means
   * unknown (the step is then treated as dependent with every other).
   */
  footprint?(): readonly string[] | null;
  /**
   * Optional, for the `history` state key (history.ts), called after footprint() for the
   * same step: what that step depended on besides its thread's own state and data choices
   * (the parts of the world it read, as they were when it started), such that two steps
   * of one thread state with equal inputs and choices are the same step; null when not
   * known (the whole world is used then).
   */
  stepInput?(): string | null;
  /**
   * Optional: the final values (results and observations) of a run that ended, for
   * the reachable outcomes (see outcomes.ts); called once the run is over.
   */
  outcome?(r: RunResult): RunValues | null;
}

export interface ExploreTarget {
  readonly invariants: readonly string[];
  start(opts: SchedOptions): ExploreRun;
  /** Its runs report footprints (`ExploreRun.footprint`): DPOR is then the default reduction. */
  readonly footprints?: boolean;
  /**
   * The state cache's default key for this target (ExploreOptions.cache): `history` for the
   * scenario targets; `positions` when absent (targets whose points' locals hold each
   * thread's whole state, like the tests' and benchmarks' small programs, whose spin loops
   * must close into cycles).
   */
  readonly cache?: CacheKey;
  /**
   * What the step invariants (`check()`) read, for DPOR (dpor.ts): a list of objects of
   * the footprint vocabulary, `per-object` when every invariant is a conjunction of
   * conditions each over one such object, or null/absent for anything.
   */
  readonly observes?: Observes;
}

/** The state cache's key of a parked thread (ExploreOptions.cache). */
export type CacheKey = 'history' | 'positions';

/** The partial-order reduction of a DFS. */
export type Reduction = 'none' | 'sleep-sets' | 'dpor';

/** The runtime's own violations, checked for every target. */
export const SCHED_INVARIANTS = ['deadlock', 'lock-held-at-exit', 'sleep-in-atomic'] as const;

export type Verdict = 'never' | 'sometimes' | 'always';
export type Strategy = 'dfs' | 'random' | 'pct';

export interface ExploreOptions {
  /** Default `dfs`. */
  readonly strategy?: Strategy;
  /** DFS: at most this many preemptions per run (none by default). */
  readonly preemptionBound?: number;
  /** Stop after this many runs (at least 1; DFS default: 100,000, `Infinity` for none; random/pct default: 1000). */
  readonly maxSchedules?: number;
  /** Step bound of each run (default 100,000). */
  readonly maxSteps?: number;
  /** random/pct: the seed (default 1). */
  readonly seed?: number;
  /** pct: the bug depth d (d - 1 priority change points; default 3). */
  readonly pctDepth?: number;
  /** DFS: disable the state cache (for comparison and tests). */
  readonly noCache?: boolean;
  /**
   * DFS: the state cache's key for parked threads (default: the target's, else positions).
   * `history` (sound: history.ts) adds each thread's history since it was last fully
   * described; `positions` keys a
   * thread on its point and declared locals only, which assumes every point's locals
   * cover what its callers hold (not true of every point: docs/explorer.md). A complete
   * search with `positions` says so in its bound note.
   */
  readonly cache?: CacheKey;
  /**
   * DFS: sleep-set partial-order reduction, using the run's `footprint()` (no effect
   * without it; ignored with a preemption bound). The same as `reduction: 'sleep-sets'`.
   */
  readonly por?: boolean;
  /**
   * DFS: the partial-order reduction over the runs' footprints: `dpor` (source-set DPOR
   * with sleep sets, dpor.ts), `sleep-sets`, or `none`. Default: `dpor` when the target
   * reports footprints (`ExploreTarget.footprints`), else `none`; always `none` with a
   * preemption bound. A step without a footprint is dependent with every step.
   */
  readonly reduction?: Reduction;
  /**
   * DFS without bound or sleep sets: after a complete search, re-run the first N
   * runs that were cut at a known state past their cut and check that each step
   * is in the graph (a fingerprint that merges different states is caught when such
   * a run goes somewhere the first visit did not). Default 0.
   */
  readonly auditCuts?: number;
  /** Called every `progressEvery` runs and once at the end (see progress.ts). */
  readonly onProgress?: ProgressFn;
  readonly progressEvery?: number;
}

export interface Counterexample {
  readonly invariant: string;
  /** Replayable schedule string: reaches the violation, then continues by default. */
  readonly schedule: string;
  readonly preemptions: number;
  /** Scheduling steps up to and including the violating one. */
  readonly steps: number;
  /** True when a replay of `schedule` shows the violation at the same step. */
  readonly verified: boolean;
}

export interface ExploreResult {
  readonly strategy: Strategy;
  readonly complete: boolean;
  /** Why the search is not complete (empty when it is). */
  readonly bounded: readonly ('preemption-bound' | 'max-schedules' | 'step-bound' | 'sampling' | 'interrupted')[];
  /** The bounds the search ran under (null: none). */
  readonly limits: { readonly maxSchedules: number | null; readonly preemptionBound: number | null };
  /** Runs executed. */
  readonly schedules: number;
  /** Distinct states and steps recorded (DFS; 0 for sampling). */
  readonly states: number;
  readonly edges: number;
  /** Complete schedules represented by the state graph (DFS), or runs sampled. */
  readonly paths: number;
  /** Scheduling steps executed in total, replayed prefixes included. */
  readonly steps: number;
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly counterexamples: Readonly<Record<string, Counterexample>>;
  /** The counterexample of the first violated invariant in `invariants` order, if any. */
  readonly counterexample: Counterexample | null;
  /** Invariant ids in report order (target's, then the runtime's). */
  readonly invariants: readonly string[];
  /** The partial-order reduction the search ran with (`none` for sampling and preemption bounds). */
  readonly reduction: Reduction;
  /** The state cache's key of parked threads (DFS; `history` for sampling, which has no cache). */
  readonly cache: CacheKey;
  /**
   * Invariants whose `always` verdict is not guaranteed: with sleep sets every
   * reachable state is still visited (so `never`/`sometimes` stay exact, and so does
   * `always` for end-of-run invariants), but not every path through intermediate
   * states, so `always` for a step invariant may really be `sometimes`; and when the
   * reduced graph has a cycle, every `always` is listed (cycles are not preserved).
   */
  readonly inexact: readonly string[];
  /** The fingerprint audit (`auditCuts`), or null when not run. `problems` empty = no unsoundness seen. */
  readonly audit: { readonly checked: number; readonly problems: readonly string[] } | null;
  /**
   * Steps that lead from a state back to the same state (DFS; 0 for sampling). A thread
   * that moves and ends where it was with nothing changed is either spinning on purpose
   * or at two positions the state key cannot tell apart (a label reached twice with
   * different continuations), which makes the search merge what it must not; the corpus
   * test requires none.
   */
  readonly selfLoops: number;
  /**
   * The distinct final value tuples of the explored runs (when the target gives
   * `outcome()`), each with one schedule that reaches it, in a stable order. Exact
   * for a complete search (see outcomes.ts), a subset otherwise.
   */
  readonly outcomes: readonly Outcome[];
  /** Final states reached twice with different values (a fingerprint gap; 0 expected). */
  readonly outcomeDisagreements: number;
}

/** All invariant ids of a target, the runtime's appended (no duplicates). */
export function invariantIds(target: ExploreTarget): string[] {
  const ids = [...target.invariants];
  for (const id of SCHED_INVARIANTS) if (!ids.includes(id)) ids.push(id);
  return ids;
}

