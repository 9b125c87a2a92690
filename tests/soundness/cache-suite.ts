/**
 * The body of the state cache's soundness test (tests/soundness/cache*.test.ts, the cases
 * dealt round-robin over SHARDS files so that vitest runs them in parallel workers).
 * Soundness of the explorer's state cache on the corpus: a complete cached search must
 * reach every outcome and every violation that any run reaches. Two witnesses that do not
 * share the cache's key:
 *
 * - a seeded random sample (`strategy: 'random'`, SAMPLES runs, seed 1): each run goes to
 *   its end without the cache, so every outcome it reaches and every invariant it
 *   violates must be in the complete search's results;
 * - on scenarios whose complete schedules are few (the cached search's `paths` at most
 *   TREE_PATHS), the search without the cache (every schedule run to its end): the same
 *   outcomes and the same verdicts.
 *
 * A key that merges two states with different futures (a parked thread's callers hold
 * a loop position or a buffer no point declares: docs/explorer.md) makes the cached
 * search lose an outcome the sample or the uncached search still reaches.
 * scenarios/remote/proc-mem-write-vs-store.yaml is the case found that way: before the
 * cache keyed parked threads on their history (src/explore/history.ts), the search
 * missed its `landed: A, seen: ""` outcome, which random runs reach.
 *
 * The whole corpus (SOUNDNESS=all, `npm run test:soundness`) is heavy; `npm test` runs
 * the two remote-access races below (all of scenarios/remote: SOUNDNESS=scenarios/remote).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../src/cli/io.js';
import { explore } from '../../src/explore/explore.js';
import type { ExploreOptions, ExploreResult } from '../../src/explore/explore.js';
import type { ProfileExpect, Scenario, Value } from '../../src/scenario/ast.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { scenarioTarget } from '../../src/scenario/run.js';
import { valueKey } from '../../src/scenario/state.js';

const root = join(import.meta.dirname, '..', '..');
const SAMPLES = Number(process.env.SOUNDNESS_SAMPLES ?? 300);
const TREE_PATHS = 2000;

const which = process.env.SOUNDNESS ?? 'scenarios/remote/proc-mem-write-vs-store.yaml,scenarios/remote/process-vm-read-vs-store.yaml';
const chosen = which === 'all' ? scenarioFiles([join(root, 'scenarios')]) : scenarioFiles(which.split(',').map((p) => join(root, p)));

function outcomeKeys(r: ExploreResult): string[] {
  return r.outcomes.map((o) => valueKey(o.values as Readonly<Record<string, Value>>)).sort();
}

function violated(r: ExploreResult): string[] {
  return Object.keys(r.verdicts)
    .filter((id) => r.verdicts[id] !== 'never')
    .sort();
}

/** How many files share the cases (cache.test.ts is shard 0, cache-<i>.test.ts shard i - 1). */
export const SHARDS = 2;

/** Declare the cases of shard `shard` (0 ≤ shard < SHARDS). */
export function cacheSuite(shard: number): void {
  const cases: { rel: string; s: Scenario; pe: ProfileExpect }[] = [];
  const unparsed: string[] = [];
  for (const f of chosen) {
    const rel = relative(root, f);
    const r = parseScenario(readFileSync(f, 'utf8'), rel);
    if (!r.ok) {
      unparsed.push(rel);
      continue;
    }
    for (const pe of r.scenario.expect) cases.push({ rel, s: r.scenario, pe });
  }
  const mine = cases.filter((_c, i) => i % SHARDS === shard);
  describe(`the cached search reaches what uncached runs reach (shard ${shard + 1} of ${SHARDS})`, () => {
    it('selects scenarios, which parse', () => {
      expect(chosen.length).toBeGreaterThan(0);
      expect(unparsed).toEqual([]);
    });
    for (const { rel, s, pe } of mine) {
      it(`${rel} on ${pe.spec}`, () => {
        const base: ExploreOptions = { ...(s.explore.preemptionBound !== null ? { preemptionBound: s.explore.preemptionBound } : {}), ...(s.explore.cache !== null ? { cache: s.explore.cache } : {}) };
        const target = scenarioTarget(s, pe.profile);
        const search = explore(target, { ...base, ...(s.explore.maxSchedules !== null ? { maxSchedules: s.explore.maxSchedules } : {}) });
        // A bounded search promises no set of outcomes (the corpus's bounded scenarios declare it).
        if (!search.complete) return;
        const found = new Set(outcomeKeys(search));
        const sample = explore(target, { strategy: 'random', seed: 1, maxSchedules: SAMPLES });
        const missed = outcomeKeys(sample).filter((o) => !found.has(o));
        expect(missed, 'outcomes a random run reaches and the complete search does not').toEqual([]);
        const vs = new Set(violated(search));
        expect(violated(sample).filter((v) => !vs.has(v)), 'invariants a random run violates and the complete search does not').toEqual([]);
        if (search.paths <= TREE_PATHS) {
          const tree = explore(target, { ...base, noCache: true });
          expect(tree.complete).toBe(true);
          expect(outcomeKeys(search), 'outcomes: cached vs uncached search').toEqual(outcomeKeys(tree));
          expect(search.verdicts, 'verdicts: cached vs uncached search').toEqual(tree.verdicts);
        }
      });
    }
  });
}
