/**
 * The soundness check of the model's step atomicity (design.md principle 3): explore a
 * scenario once at the normal (`merged`) atomicity and once at the reference (`fine`)
 * atomicity, which also yields at every fine_point (each page or PTE a loop touches,
 * every step a merged run folds together), and report the verdicts and the set of
 * reachable outcomes (distinct final value tuples: results, their outputs and
 * observations) of each. A merge that hides an interleaving the kernel allows shows up
 * as a verdict or an outcome only the fine mode reaches.
 *
 * Outcomes are collected at the end of every run that ends: with state caching each
 * terminal state is first reached by a run that goes on to end there, so the set is the
 * set over all complete schedules. (When helper-11b's `ExploreResult.outcomes` lands,
 * `outcomesOf` becomes a read of that field.)
 */
import type { ProfileExpect, Scenario } from '../../src/scenario/ast.js';
import { explore } from '../../src/explore/explore.js';
import type { ExploreOptions } from '../../src/explore/explore.js';
import type { Atomicity } from '../../src/linux/machine.js';
import { scenarioTarget, worldValues } from '../../src/scenario/run.js';
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

/** One canonical text per final value tuple: `name=value` (and `name.out=value` per output), sorted by name. */
function outcomeText(values: ReadonlyMap<string, unknown>, outputs: ReadonlyMap<string, Readonly<Record<string, unknown>>>): string {
  const parts: string[] = [];
  for (const [k, v] of values) parts.push(`${k}=${valueKey(v as never)}`);
  for (const [k, o] of outputs) for (const [f, v] of Object.entries(o)) parts.push(`${k}.${f}=${valueKey(v as never)}`);
  return parts.sort().join(' ');
}

/** Explore `s` on `pe.profile` at one atomicity. */
export function exploreMode(s: Scenario, pe: ProfileExpect, atomicity: Atomicity, extra: ExploreOptions = {}): ModeResult {
  const outcomes = new Set<string>();
  const target = scenarioTarget(s, pe.profile, atomicity, (w) => {
    const { values, outputs } = worldValues(s, w);
    outcomes.add(outcomeText(values, outputs));
  });
  const eo: ExploreOptions = {
    ...(s.explore.maxSchedules !== null ? { maxSchedules: s.explore.maxSchedules } : {}),
    ...(s.explore.preemptionBound !== null ? { preemptionBound: s.explore.preemptionBound } : {}),
    ...extra,
  };
  const t0 = performance.now();
  const ex = explore(target, eo);
  const ms = performance.now() - t0;
  return { complete: ex.complete, schedules: ex.schedules, states: ex.states, verdicts: ex.verdicts, outcomes: [...outcomes].sort(), ms };
}
