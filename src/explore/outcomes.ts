/**
 * Reachable outcomes: the distinct final value tuples (results and observations) of
 * the runs a search explores, each with one schedule that reaches it, as a litmus
 * tool lists final states.
 *
 * ## Soundness under state caching
 *
 * A DFS with a state cache cuts a run at a state it has seen before, so most runs
 * never reach an end and have no final values of their own. The set is still exact,
 * by this argument:
 *
 * 1. The final values of a run that ends are a function of its last state: results
 *    are part of the state key (the scenario's RunState fingerprint), observations
 *    are probes of the world the key describes, and every thread has exited. (The
 *    same assumption the cache makes for verdicts: equal keys, equal futures.)
 * 2. The outcome set reachable from a state is the union of the outcome sets of its
 *    successors, and a final state's set is its own values. So the outcomes reachable
 *    from the initial state are the values of the final states reachable in the
 *    state graph.
 * 3. Every state of the graph is reachable from the initial state, and every final
 *    state of the graph was first entered by a run that ended there (a state is cut
 *    only when already known, and a final state's first visitor has nothing left to
 *    run), which recorded its values.
 *
 * So the union of the values recorded at the first visit of every final state is the
 * outcome set of the whole search: propagating per-state outcome sets through the
 * graph (point 2) gives the same union at the initial state, so the search needs
 * no propagation pass. To not rest on point 1 alone, a run cut at a final state
 * that is already known also contributes its values (a cut there leaves the world
 * at that final state); a fingerprint that merged final states with different
 * values then still shows every value seen, and `disagreements` counts the final
 * states whose values differed between visits (0 when point 1 holds; the corpus
 * test requires 0).
 *
 * A run that ends in deadlock has no outcome: its stuck threads have no results, and the
 * `deadlock` verdict reports the run. A run cut at a final state therefore contributes
 * values only where a run ended there with every thread done (`hasNode`), not where one
 * ended there stuck (a state key that merges paths reaches such states twice).
 *
 * Sleep sets and DPOR visit every reachable final state (they prune only orderings
 * of independent steps, and independent steps commute to the same state), so the
 * argument carries over. A bounded search reports the outcomes it reached: a subset.
 */
import type { RunResult } from '../sched/index.js';
import { formatSchedule } from './schedule.js';
import type { ExploreRun } from './types.js';

/** A run's final values as the target gives them: a canonical key and the values. */
export interface RunValues {
  /** Canonical text of `values` (equal keys = equal tuples). */
  readonly key: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** One reachable outcome: a distinct final value tuple and a schedule that reaches it. */
export interface Outcome {
  readonly values: Readonly<Record<string, unknown>>;
  /** Replayable schedule string of one run that ends with these values. */
  readonly schedule: string;
}

export class OutcomeSet {
  private readonly byKey = new Map<string, Outcome>();
  /** Per final state (graph node): the key of the values recorded there. */
  private readonly atNode = new Map<number, string>();
  /** Final states seen with two different value tuples. */
  disagreements = 0;

  /** Record the values a run ended with (in state `node`, or -1 when there is no graph). */
  add(node: number, v: RunValues, schedule: () => string): void {
    if (node >= 0) {
      const had = this.atNode.get(node);
      if (had === undefined) this.atNode.set(node, v.key);
      else if (had !== v.key) this.disagreements++;
    }
    if (!this.byKey.has(v.key)) this.byKey.set(v.key, { values: v.values, schedule: schedule() });
  }

  /** Whether values were recorded at state `node` (a final state a run ended in with every thread exited). */
  hasNode(node: number): boolean {
    return this.atNode.has(node);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The outcomes in key order (deterministic whatever the search order). */
  list(): Outcome[] {
    return [...this.byKey.keys()].sort().map((k) => this.byKey.get(k) as Outcome);
  }
}

/** Record the final values of a run that is over (ended, or cut at a known final state). */
export function noteOutcome(set: OutcomeSet, run: ExploreRun, res: RunResult, node: number): void {
  if (run.outcome === undefined) return;
  const v = run.outcome(res);
  if (v !== null) set.add(node, v, () => formatSchedule(res.choices));
}
