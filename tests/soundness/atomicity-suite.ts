/**
 * The body of the atomicity soundness test (tests/soundness/atomicity*.test.ts): every
 * corpus scenario, on every profile it declares, explored at the normal atomicity and at
 * the reference atomicity (`fine`: a scheduling point at every shared access the model
 * makes) must give the same invariant verdicts and the same set of reachable outcomes. A
 * difference means a step of the model merges work that another CPU can interleave with.
 *
 * The cases are dealt round-robin over SHARDS test files, so that vitest runs them in
 * parallel worker processes (one file is one worker): the whole corpus is the longest
 * test of CI (`npm run test:soundness`).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../src/cli/io.js';
import { parseScenario } from '../../src/scenario/parse.js';
import type { ProfileExpect, Scenario } from '../../src/scenario/ast.js';
import { exploreMode } from './atomicity.js';

/** How many files share the cases (atomicity.test.ts is shard 0, atomicity-<i>.test.ts shard i). */
export const SHARDS = 2;

const root = join(import.meta.dirname, '..', '..');

interface Case {
  readonly rel: string;
  readonly s: Scenario;
  readonly pe: ProfileExpect;
}

/** SOUNDNESS=all: the whole corpus; otherwise the scenarios named in SOUNDNESS (comma-separated paths), default the DONTNEED race. */
function cases(): { all: Case[]; unparsed: string[] } {
  const which = process.env.SOUNDNESS ?? 'scenarios/concurrency/pin-vs-madv-dontneed.yaml';
  const chosen = which === 'all' ? scenarioFiles([join(root, 'scenarios')]) : which.split(',').map((p) => join(root, p));
  const all: Case[] = [];
  const unparsed: string[] = [];
  for (const f of chosen) {
    const rel = relative(root, f);
    const r = parseScenario(readFileSync(f, 'utf8'), rel);
    if (!r.ok) {
      unparsed.push(rel);
      continue;
    }
    for (const pe of r.scenario.expect) all.push({ rel, s: r.scenario, pe });
  }
  return { all, unparsed };
}

/** Declare the cases of shard `shard` (0 ≤ shard < SHARDS). */
export function atomicitySuite(shard: number): void {
  const { all, unparsed } = cases();
  const mine = all.filter((_c, i) => i % SHARDS === shard);
  describe(`merged and fine atomicity agree (shard ${shard + 1} of ${SHARDS})`, () => {
    // Every shard checks the selection itself, so a shard with no case still checks something.
    it('the chosen scenarios parse and declare cases', () => {
      expect(unparsed).toEqual([]);
      expect(all.length).toBeGreaterThan(0);
    });
    for (const { rel, s, pe } of mine) {
      it(`${rel} on ${pe.spec}`, () => {
        const merged = exploreMode(s, pe, 'merged');
        const fine = exploreMode(s, pe, 'fine');
        if (process.env.SOUNDNESS_LOG !== undefined) {
          console.log(`${rel} ${pe.spec}: merged ${merged.schedules} schedules ${merged.states} states ${Math.round(merged.ms)} ms; fine ${fine.schedules} schedules ${fine.states} states ${Math.round(fine.ms)} ms`);
        }
        expect(fine.complete, 'the fine exploration is complete').toBe(merged.complete);
        expect(merged.verdicts, 'verdicts').toEqual(fine.verdicts);
        expect(merged.outcomes, 'reachable outcomes').toEqual(fine.outcomes);
      });
    }
  });
}
