/**
 * The fuzz campaign in CI (tests/fuzz/campaign.ts): ≥ 10,000 generated scenarios per
 * run, in chunks of 1,000 with consecutive seeds. Deterministic by default (seed
 * PINLAB_FUZZ_SEED, default 16); PINLAB_FUZZ_RUNS changes the size. A failure prints
 * fast-check's seed and path (re-run with PINLAB_FUZZ_SEED and fc's `path`) and the
 * shrunk scenario as YAML.
 */
import { afterAll, describe, it } from 'vitest';
import { caseArb, checkCase, fc, newStats } from './campaign.js';

const SEED = Number(process.env.PINLAB_FUZZ_SEED ?? 16);
const RUNS = Number(process.env.PINLAB_FUZZ_RUNS ?? 10_000);
const CHUNK = 1_000;
const PROFILES = ['v5.4', 'v5.6', 'v6.1', 'v6.12'] as const;
const FIXED = new Set<string>(['v6.12']);

const stats = newStats();
let cases = 0;

describe(`fuzz campaign: ${RUNS} generated scenarios (seed ${SEED})`, () => {
  for (let i = 0; i * CHUNK < RUNS; i++) {
    const n = Math.min(CHUNK, RUNS - i * CHUNK);
    it(`chunk ${i + 1}: ${n} scenarios, seed ${SEED + i}`, () => {
      fc.assert(fc.property(caseArb(PROFILES), (c) => {
        cases++;
        checkCase(c, FIXED, stats);
      }), { seed: SEED + i, numRuns: n, endOnFailure: false, verbose: 1 });
    }, 900_000);
  }
  afterAll(() => {
    console.log(`fuzz campaign: ${cases} scenarios checked (seed ${SEED}): ${stats.rejected} rejected with positioned messages, ` +
      `${stats.setupFailed} set-up failures, ${stats.done} done, ${stats.deadlock} deadlock, ${stats.unsupported} unsupported, ` +
      `${stats.stepBound} step-bound; every run replayed byte for byte; ${stats.fixedChecked} runs on the fixed profile with every invariant holding ` +
      `(${stats.violations} runs with a violation elsewhere: older releases, or kernel-internal release calls misused)`);
  });
});
