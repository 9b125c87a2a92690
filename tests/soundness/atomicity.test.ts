/**
 * Soundness of the model's step atomicity (design.md principle 3): every corpus
 * scenario, on every profile it declares, explored at the normal atomicity and at the
 * reference atomicity (`fine`: a scheduling point at every shared access the model
 * makes), must give the same invariant verdicts and the same set of reachable outcomes.
 * A difference means a step of the model merges work that another CPU can interleave
 * with. The exploration of both modes is heavy, so this file is its own vitest project
 * (`npm run test:soundness`), which CI runs after `npm test`; `npm test` runs only the
 * DONTNEED race, the case that showed the GUP walk's 512-page steps were unsound.
 */
import { readFileSync } from 'node:fs';
import { scenarioFiles } from '../../src/cli/io.js';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.js';
import { exploreMode } from './atomicity.js';

const root = join(import.meta.dirname, '..', '..');

/** The corpus files under d, in the CLI's order (src/cli/io.ts scenarioFiles). */
const files = (d: string): string[] => scenarioFiles([d]);

/** SOUNDNESS=all: the whole corpus; otherwise the scenarios named in SOUNDNESS (comma-separated paths), default the DONTNEED race. */
const which = process.env.SOUNDNESS ?? 'scenarios/concurrency/pin-vs-madv-dontneed.yaml';
const chosen = which === 'all' ? files(join(root, 'scenarios')) : which.split(',').map((p) => join(root, p));

describe('merged and fine atomicity agree', () => {
  for (const f of chosen) {
    const rel = relative(root, f);
    const r = parseScenario(readFileSync(f, 'utf8'), rel);
    if (!r.ok) continue;
    for (const pe of r.scenario.expect) {
      it(`${rel} on ${pe.spec}`, () => {
        const merged = exploreMode(r.scenario, pe, 'merged');
        const fine = exploreMode(r.scenario, pe, 'fine');
        if (process.env.SOUNDNESS_LOG !== undefined) {
          console.log(`${rel} ${pe.spec}: merged ${merged.schedules} schedules ${merged.states} states ${Math.round(merged.ms)} ms; fine ${fine.schedules} schedules ${fine.states} states ${Math.round(fine.ms)} ms`);
        }
        expect(fine.complete, 'the fine exploration is complete').toBe(merged.complete);
        expect(merged.verdicts, 'verdicts').toEqual(fine.verdicts);
        expect(merged.outcomes, 'reachable outcomes').toEqual(fine.outcomes);
      });
    }
  }
});
