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
import { buildWorld } from '../../../src/scenario/run.js';
import type { World } from '../../../src/scenario/run.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import { RandomChooser } from '../../../src/explore/choosers.js';
import { page_ref_sub } from '../../../src/linux/include/linux/mm.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** The corpus files under d, in the CLI's order (src/cli/io.ts scenarioFiles). */
const files = (d: string): string[] => scenarioFiles([d]);

const corpus: { file: string; s: Scenario }[] = files(join(root, 'scenarios')).flatMap((f) => {
  const r = parseScenario(readFileSync(f, 'utf8'), relative(root, f));
  return r.ok && r.scenario.expect.length > 0 ? [{ file: relative(root, f), s: r.scenario }] : [];
});

type Mismatch = { step: number; incremental: string; rescan: string };

/** A reference-count bug injected after a step: `by` references dropped from the `which`-th folio (through mm.ts). */
interface Corruption {
  readonly step: number;
  readonly which: number;
  readonly by: number;
}

/** Run once with a random schedule; every step, compare the two checkers. */
function compare(s: Scenario, spec: string, seed: number, corrupt: Corruption | null = null): { mismatches: Mismatch[]; steps: number; violated: number } {
  const p = resolveProfile(spec);
  if (!p.ok) throw new Error(`test bug: profile ${spec}`);
  const mismatches: Mismatch[] = [];
  let violated = 0;
  let w: World | null = null;
  const cmp = (step: number): void => {
    if (w === null) return;
    const show = (xs: readonly { id: string; first: { message: string } }[]): string => xs.map((x) => `${x.id}: ${x.first.message}`).join(' | ');
    const inc = show(w.checker.current());
    const full = show(w.checker.rescan());
    if (full !== '') violated++;
    if (inc !== full && mismatches.length < 3) mismatches.push({ step, incremental: inc, rescan: full });
  };
  w = buildWorld(s, p.profile, {
    chooser: new RandomChooser(seed),
    maxSteps: 20_000,
    afterStep: () => {
      const ww = w as World;
      if (corrupt !== null && ww.sched.stepCount === corrupt.step) {
        const mem = ww.m.mem;
        const slot = 1 + (corrupt.which % Math.max(1, mem.slot_top - 1));
        if (slot < mem.slot_top && mem.peek_slot(mem.s_pfn[slot]) === slot) page_ref_sub(ww.m, mem.s_pfn[slot], corrupt.by);
      }
      cmp(ww.sched.stepCount);
      return false;
    },
  }, { checkMode: 'incremental' });
  if (w.setupError !== null) return { mismatches, steps: 0, violated };
  cmp(0);
  try {
    const r = w.sched.run();
    cmp(r.steps);
    return { mismatches, steps: r.steps, violated };
  } catch (e) {
    // A corrupted reference count may make the model itself fail later (put_page of a free frame):
    // the steps compared up to there are what counts.
    if (corrupt === null) throw e;
    return { mismatches, steps: w.sched.stepCount, violated };
  }
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
