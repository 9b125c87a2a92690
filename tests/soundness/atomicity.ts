/**
 * The soundness check of the model's step atomicity (design.md principle 3): explore a
 * scenario once at the normal (`merged`) atomicity and once at the reference (`fine`)
 * atomicity, which also yields at every fine_point (docs/atomicity.md: before each page
 * the GUP walk reads, inside a gup-fast entry's step, before a fault), and report the verdicts and the set of
 * reachable outcomes (distinct final value tuples: results, their outputs and
 * observations) of each. A merge that hides an interleaving the kernel allows shows up
 * as a verdict or an outcome only the fine mode reaches.
 *
 * The outcomes are the explorer's (ExploreResult.outcomes, exact for a complete search:
 * src/explore/outcomes.ts), compared by their canonical value text.
 */
import type { ProfileExpect, Scenario, Value } from '../../src/scenario/ast.js';
import { explore } from '../../src/explore/explore.js';
import type { ExploreOptions } from '../../src/explore/explore.js';
import type { Atomicity } from '../../src/linux/machine.js';
import { scenarioTarget } from '../../src/scenario/run.js';
import { valueKey } from '../../src/scenario/state.js';

export interface ModeResult {
  readonly complete: boolean;
  readonly schedules: number;
  readonly states: number;
  readonly verdicts: Readonly<Record<string, string>>;
  /** Sorted canonical texts of the distinct final value tuples. */
  readonly outcomes: readonly string[];
  readonly ms: number;
}

/** Explore `s` on `pe.profile` at one atomicity. */
export function exploreMode(s: Scenario, pe: ProfileExpect, atomicity: Atomicity, extra: ExploreOptions = {}): ModeResult {
  const target = scenarioTarget(s, pe.profile, atomicity);
  const eo: ExploreOptions = {
    ...(s.explore.maxSchedules !== null ? { maxSchedules: s.explore.maxSchedules } : {}),
    ...(s.explore.preemptionBound !== null ? { preemptionBound: s.explore.preemptionBound } : {}),
    ...extra,
  };
  const t0 = performance.now();
  const ex = explore(target, eo);
  const ms = performance.now() - t0;
  const outcomes = ex.outcomes.map((o) => valueKey(o.values as Readonly<Record<string, Value>>)).sort();
  return { complete: ex.complete, schedules: ex.schedules, states: ex.states, verdicts: ex.verdicts, outcomes, ms };
}
