/**
 * The interleaving explorer: which invariants can a program violate, and how?
 *
 * ## The target interface (what a scenario adapter provides)
 *
 *   interface ExploreTarget {
 *     invariants: readonly string[];            // ids to give a verdict for
 *     start(opts: SchedOptions): ExploreRun;    // a fresh world, threads spawned
 *   }
 *   interface ExploreRun {
 *     sched: Sched;                             // built as `new Sched(opts)`
 *     fingerprint(): string;                    // the world outside the runtime
 *     check(): readonly string[];               // invariant ids violated now
 *     finish?(r: RunResult): readonly string[]; // ids violated at the end of a run
 *     footprint?(): readonly string[] | null;   // for sleep sets: what the last step touched
 *   }
 *
 * `start` must build a new Machine and a `new Sched(opts)` with exactly the options it
 * is given (the explorer's chooser, trace flag and after-step hook), spawn the
 * threads, and nothing else: the explorer re-executes a program from its initial
 * state along a choice prefix, since generators cannot be cloned, so the world must
 * be a pure function of the scenario and the choices.
 *
 * `fingerprint()` describes the world outside the runtime (machine, mm, locks,
 * counters that matter). The explorer appends `Sched.positionKey()` (each thread's
 * point, declared locals, pending signal, held locks, or result) and each thread's
 * history since it was last fully described (history.ts) to form the state key. Two
 * states with equal keys must have the same futures: that is what makes state caching
 * sound. Thread-local state carried across a scheduling point (a loop index, a value
 * read before the point) is covered by the history; a point's `locals` (and `whole`
 * points) only let the cache merge more. What the target must guarantee is that the
 * fingerprint covers everything of the world a step can read. A too-coarse fingerprint
 * silently merges states; at best it shows up as a counterexample whose replay does not
 * reproduce (`verified: false`).
 *
 * `check()` runs after every step that reaches new territory and returns the ids of
 * the invariants the current state violates (a shared empty array when none). The
 * runtime's own findings are invariants too: `deadlock`, `lock-held-at-exit` and
 * `sleep-in-atomic` are always checked. `finish()` judges a run that ended (all
 * threads exited, or deadlock), e.g. `pin-balance-at-exit`.
 *
 * `footprint()` (optional) reports what the step that just ran read and wrote
 * (`r:<obj>`, `w:<obj>`; null if unknown) and clears it. The DFS does not call it
 * while it replays a run's prefix (it uses no replayed footprint), so a call may
 * follow several steps: it must then cover all of them, or be null. A target whose runs report
 * footprints says so (`footprints: true`) and may say what its step invariants read
 * (`observes`). The DFS uses footprints for its partial-order reduction
 * (`reduction`): `dpor` (the default for such targets; dpor.ts: source-set DPOR with
 * sleep sets, sound with the state cache) explores one order of each set of commuting
 * steps; `sleep-sets` (also `por: true`): after exploring thread a from a state, the
 * branch that runs b first keeps a asleep until a step that conflicts with a's
 * footprint, so the a/b and b/a orders are not both explored; sleep sets still visit
 * every reachable state (combined with the cache as in Godefroid's thesis: a state
 * revisited with a smaller sleep set explores the threads that slept before).
 *
 * ## Strategies
 *
 * - `dfs` (default): exhaustive depth-first search by re-execution with state
 *   caching. Each run replays the choice prefix of the branch being explored (no
 *   fingerprints or checks while replaying), takes the next untried option, and goes
 *   on with the non-preemptive option first until it reaches a state seen before
 *   (the run is cut there), ends, or hits a bound. The search records the state
 *   graph (states, steps between them with the choices each step consumed and the
 *   invariants it violated), from which verdicts and minimal counterexamples are
 *   computed exactly. An optional preemption bound prunes runs that switch away from
 *   a runnable thread too often (the state cache then also keys on the last thread
 *   and the preemptions spent). DPOR and sleep sets (need `footprint()`) cut the
 *   runs that only reorder independent steps; they are not combined with a
 *   preemption bound.
 * - `random` (seeded) and `pct` (probabilistic concurrency testing: random thread
 *   priorities plus `depth - 1` random priority-change points) sample runs; their
 *   verdicts are never complete.
 *
 * ## Results
 *
 * A verdict per invariant: `never` (no explored run violates it), `sometimes` (some
 * do, some do not), `always` (every maximal run violates it; a run that loops
 * forever without violating counts as not violating if it is fair: every thread
 * that stays runnable around the loop also gets steps in it). `complete` is true only for a
 * DFS that ran to the end with no bound hit (no preemption bound, no
 * `maxSchedules` reached — 100,000 by default, `Infinity` for none —, no step bound,
 * not interrupted); `limits` gives the bounds it ran under. Reachable outcomes
 * (`outcomes`: distinct final values, one schedule each, from the target's optional
 * `outcome()`) are exact for a complete search (outcomes.ts). "Schedules" are the runs executed; `states` and
 * `edges` count the distinct states and steps of the graph, and `paths` the
 * complete schedules the graph stands for (what a search without caching would
 * have had to run; Infinity if the graph has a cycle).
 *
 * With sleep sets, `never`/`sometimes` stay exact, but `always` of a step invariant
 * is not guaranteed (listed in `inexact`), `paths` counts the reduced graph, and the
 * counterexample is minimal over the reduced graph only. With DPOR the same holds
 * for `paths` and counterexamples; verdicts stay exact (visible steps are dependent:
 * dpor.ts), except `always` when the reduced graph has a cycle (listed in `inexact`).
 *
 * The counterexample of an invariant is minimal over the explored graph: fewest
 * preemptions, then fewest steps. Its schedule string (`T0*3 T1 c1 ...`) reaches
 * the violation and continues by default; the explorer replays it once and marks it
 * `verified` when the violation reappears at the same step.
 */
import { exploreDfs } from './dfs.js';
import { exploreSampling } from './sample.js';
import type { ExploreOptions, ExploreResult, ExploreTarget } from './types.js';

export type { Outcome, RunValues } from './outcomes.js';
export type { Counterexample, ExploreOptions, ExploreResult, ExploreRun, ExploreTarget, Strategy, Verdict } from './types.js';
export { SCHED_INVARIANTS, invariantIds } from './types.js';
export { DEFAULT_MAX_SCHEDULES, DfsSearch } from './dfs.js';
export { SamplingSearch } from './sample.js';

/** Explore a target's interleavings with the chosen strategy. */
export function explore(target: ExploreTarget, opts: ExploreOptions = {}): ExploreResult {
  const strategy = opts.strategy ?? 'dfs';
  return strategy === 'dfs' ? exploreDfs(target, opts) : exploreSampling(target, opts, strategy);
}
