/**
 * Soundness of DPOR over the model's own footprints (src/scenario/access-footprint.ts,
 * src/sched/access.ts) on bundled corpus scenarios: the default search (DPOR) and the
 * full search (no footprints, no reduction, state cache) must give the same invariant
 * verdicts and the same reachable outcomes, and DPOR must never run more schedules.
 *
 * The subset ("dpor-corpus-subset", deterministic, small enough for the test budget)
 * takes the corpus races whose runs have steps that change only locks (the steps these
 * footprints can reorder), a signal (unknown footprint), a wait-queue wait (unknown
 * footprint) and the seed race; together DPOR must save runs on it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/explore/explore.js';
import type { ExploreResult } from '../../src/explore/explore.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { scenarioTarget } from '../../src/scenario/run.js';
import { valueKey } from '../../src/scenario/state.js';
import type { Value } from '../../src/scenario/ast.js';

const root = join(import.meta.dirname, '..', '..');

/** The dpor-corpus-subset: scenario file → profiles (all it declares when null). */
const SUBSET: readonly [string, readonly string[] | null][] = [
  ['scenarios/concurrency/longterm-pin-vs-shortterm-ref.yaml', null],
  ['scenarios/concurrency/migrate-retry-transient-ref.yaml', ['v5.12', 'v6.1']],
  ['scenarios/concurrency/pin-vs-madv-dontneed.yaml', null],
  ['scenarios/concurrency/truncate-vs-shortterm-pin-outcomes.yaml', ['v6.1']],
  ['scenarios/gup/cma-longterm-repin-killed.yaml', ['v5.4']],
  ['scenarios/concurrency/fork-vs-map-dma.yaml', ['v6.1']],
  ['scenarios/seed/longterm-locked-race.yaml', ['v5.6']],
];

function outcomes(r: ExploreResult): string[] {
  return r.outcomes.map((o) => valueKey(o.values as Readonly<Record<string, Value>>)).sort();
}

describe('DPOR over access footprints agrees with the full search on the dpor-corpus-subset', () => {
  it('same verdicts and reachable outcomes, never more runs, fewer in all', () => {
    let saved = 0;
    let pairs = 0;
    for (const [file, profiles] of SUBSET) {
      const p = parseScenario(readFileSync(join(root, file), 'utf8'), file);
      if (!p.ok) throw new Error(`${file} does not parse`);
      for (const pe of p.scenario.expect) {
        if (profiles !== null && !profiles.includes(pe.profile.name)) continue;
        const what = `${file} on ${pe.profile.name}`;
        const t = scenarioTarget(p.scenario, pe.profile);
        expect(t.footprints, what).toBe(true);
        const dpor = explore(t);
        const full = explore(scenarioTarget(p.scenario, pe.profile, 'merged', false));
        expect(dpor.reduction, what).toBe('dpor');
        expect(full.reduction, what).toBe('none');
        expect(dpor.complete && full.complete, `${what}: both complete`).toBe(true);
        expect(dpor.verdicts, `${what}: verdicts`).toEqual(full.verdicts);
        expect(outcomes(dpor), `${what}: reachable outcomes`).toEqual(outcomes(full));
        expect(dpor.states, `${what}: states`).toBeLessThanOrEqual(full.states);
        expect(dpor.schedules, `${what}: runs`).toBeLessThanOrEqual(full.schedules);
        saved += full.schedules - dpor.schedules;
        pairs++;
      }
    }
    expect(pairs).toBe(14);
    expect(saved).toBeGreaterThan(0);
  });
});
