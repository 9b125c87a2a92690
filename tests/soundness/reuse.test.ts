/**
 * Soundness of run reuse across profiles (src/scenario/reuse.ts, what `pinlab check` does):
 * every profile of a scenario judged with reuse gives the result a fresh judge gives it. A
 * key that missed a read the model makes (a patch, a config option, the release) would hand
 * a profile another profile's runs, and its result would differ here. SOUNDNESS=all runs the
 * whole corpus (`npm run test:soundness`); otherwise the scenarios named in SOUNDNESS
 * (comma-separated paths), default one with shared and unshared profiles.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../src/cli/io.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { judgeProfile } from '../../src/scenario/judge.js';
import { RunReuse } from '../../src/scenario/reuse.js';

const root = join(import.meta.dirname, '..', '..');
const which = process.env.SOUNDNESS ?? 'scenarios/gup/remote-longterm-no-locked.yaml';
const chosen = which === 'all' ? scenarioFiles([join(root, 'scenarios')]) : which.split(',').map((p) => join(root, p));

describe('judging with reuse across profiles equals judging each profile afresh', () => {
  for (const f of chosen) {
    const rel = relative(root, f);
    const r = parseScenario(readFileSync(f, 'utf8'), rel);
    if (!r.ok) continue;
    describe(rel, () => {
      // One cache for the file's profiles, judged in order (vitest runs a file's tests in sequence), as `pinlab check` does.
      const reuse = new RunReuse();
      for (const pe of r.scenario.expect) {
        it(pe.spec, () => {
          expect(judgeProfile(r.scenario, pe, { reuse })).toEqual(judgeProfile(r.scenario, pe));
        });
      }
    });
  }
});
