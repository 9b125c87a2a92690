/**
 * Reuse of a scenario's runs across the profiles it declares (issue 15 item 4: `npm start` in
 * seconds). Judging a profile runs the scenario once for its values and explores it for its
 * verdicts; both are pure functions of (scenario, profile, options), and they see the profile
 * only through the reads src/profiles/reads.ts records (patch and config membership, the
 * release). So the judge computes a profile's runs with a recording profile, keeps them with
 * the reads they made, and takes them for a later profile of the same scenario that answers
 * every one of those reads alike: the computation would make the same reads in the same order
 * and get the same answers, so it would produce the same runs. Only the profile's label in the
 * values run (`RunOutcome.profile`) differs, and it is replaced.
 *
 * The key is exact: it is every read the computation made, with its answer, and nothing
 * else; a profile that differs in a patch the scenario never reached shares the runs, and one
 * that differs in any patch it did reach does not (tests/unit/scenario/reuse.test.ts).
 */
import type { ExploreOptions, ExploreResult } from '../explore/types.js';
import type { Profile } from '../profiles/profile.js';
import type { ProfileReads } from '../profiles/reads.js';
import { recordingProfile, sameAnswers } from '../profiles/reads.js';
import type { Scenario } from './ast.js';
import type { RunOutcome } from './run.js';

/** What judging a profile computes: the values run, and the exploration (null when not explored). */
export interface ProfileRuns {
  readonly outcome: RunOutcome;
  readonly explored: ExploreResult | null;
}

interface Entry {
  readonly scenario: Scenario;
  /** The judge options the runs were computed under (noExplore and the exploration limits). */
  readonly options: string;
  readonly reads: ProfileReads;
  readonly runs: ProfileRuns;
}

/** The options part of the key, or null when the options cannot be compared (a progress callback must see its own search). */
export function optionsKey(noExplore: boolean, explore: ExploreOptions | undefined): string | null {
  if (explore?.onProgress !== undefined) return null;
  const e = explore ?? {};
  const keys = Object.keys(e).sort() as (keyof ExploreOptions)[];
  return JSON.stringify([noExplore, keys.map((k) => [k, e[k] === Infinity ? 'Infinity' : e[k]])]);
}

/**
 * A cache of computed runs, for the profiles of one scenario (or of several: entries are kept
 * per scenario object). `hits`/`misses` count lookups, for tests and the benchmark.
 */
export class RunReuse {
  private readonly entries: Entry[] = [];
  hits = 0;
  misses = 0;

  /**
   * The runs of `s` on `profile` under `options` (optionsKey): reused from a profile that
   * answered every read alike, else computed by `compute` with a recording profile and kept.
   */
  runs(s: Scenario, profile: Profile, options: string, compute: (p: Profile) => ProfileRuns): ProfileRuns {
    for (const e of this.entries) {
      if (e.scenario !== s || e.options !== options || !sameAnswers(e.reads, profile)) continue;
      this.hits++;
      return { outcome: { ...e.runs.outcome, profile: profile.name }, explored: e.runs.explored };
    }
    this.misses++;
    const rec = recordingProfile(profile);
    const runs = compute(rec.profile);
    this.entries.push({ scenario: s, options, reads: rec.reads(), runs });
    return runs;
  }
}
