/**
 * The incremental checker (src/check/engine.ts) against the full rescan (each
 * invariant's own `check`): over random runs of the bundled corpus — random scenario,
 * profile and schedule — the same step invariants are violated after every step, with
 * the same first finding.
 */
import { readFileSync } from 'node:fs';
import { scenarioFiles } from '../../../src/cli/io.js';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScenario } from '../../../src/scenario/parse.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { page_ref_sub } from '../../../src/linux/include/linux/mm.js';
import { compareCheckers } from './compare-checkers.js';
import type { Comparison } from './compare-checkers.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** The corpus files under d, in the CLI's order (src/cli/io.ts scenarioFiles). */
const files = (d: string): string[] => scenarioFiles([d]);

const corpus: { file: string; s: Scenario }[] = files(join(root, 'scenarios')).flatMap((f) => {
  const r = parseScenario(readFileSync(f, 'utf8'), relative(root, f));
  return r.ok && r.scenario.expect.length > 0 ? [{ file: relative(root, f), s: r.scenario }] : [];
});

/** A reference-count bug injected after a step: `by` references dropped from the `which`-th folio (through mm.ts). */
interface Corruption {
  readonly step: number;
  readonly which: number;
  readonly by: number;
}

/** Run once with a random schedule; every step, compare the two checkers (compare-checkers.ts). */
function compare(s: Scenario, spec: string, seed: number, corrupt: Corruption | null = null): Comparison {
  return compareCheckers(s, spec, seed, corrupt === null ? null : (w) => {
    if (w.sched.stepCount !== corrupt.step) return false;
    const mem = w.m.mem;
    const slot = 1 + (corrupt.which % Math.max(1, mem.slot_top - 1));
    if (slot < mem.slot_top && mem.peek_slot(mem.s_pfn[slot]) === slot) page_ref_sub(w.m, mem.s_pfn[slot], corrupt.by);
    return true;
  });
}

describe('incremental checker', () => {
  it('finds what the full rescan finds, step for step, on random runs of the corpus', () => {
    let violatedSomewhere = 0;
    fc.assert(
      fc.property(
        fc.nat(corpus.length - 1), fc.nat(7), fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.option(fc.record({ step: fc.nat(15), which: fc.nat(1000), by: fc.integer({ min: 1, max: 2048 }) }), { freq: 3 }),
        (ci, pi, seed, corrupt) => {
        const { file, s } = corpus[ci];
        const spec = s.expect[pi % s.expect.length].spec;
        const r = compare(s, spec, seed, corrupt);
        if (r.violated > 0) violatedSomewhere++;
        expect(r.mismatches, `${file} on ${spec}, seed ${seed}, corruption ${JSON.stringify(corrupt)}`).toEqual([]);
        },
      ),
      { numRuns: 150, seed: 15 },
    );
    // The property is not vacuous: some runs do violate step invariants.
    expect(violatedSomewhere).toBeGreaterThan(0);
  });

  it('agrees on every corpus scenario and profile under the default schedule and one random one', () => {
    const bad: string[] = [];
    for (const { file, s } of corpus) {
      for (const pe of s.expect) {
        for (const seed of [12345]) {
          const r = compare(s, pe.spec, seed);
          if (r.mismatches.length > 0) bad.push(`${file} ${pe.spec} seed ${seed}: ${JSON.stringify(r.mismatches[0])}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
