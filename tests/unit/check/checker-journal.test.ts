/**
 * The checker reads the machine without journaling (src/check/checker.ts stepFinding): after
 * each step its evaluation leaves the mem_map journal as the step left it (rescan mode, where
 * the journal belongs to someone else: pinlab serve's step record), or empty (incremental mode:
 * the engine reads and empties it; the invariants it does not maintain, evaluated by their own
 * full check afterwards, add nothing). A full check that resolved every folio through slot_of()
 * would put every slot in the next step's journal: the incremental checker would re-evaluate
 * them all, and a write the model did not journal could never show.
 */
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../../../src/scenario/run.js';
import type { World } from '../../../src/scenario/run.js';
import type { CheckMode } from '../../../src/check/checker.js';
import { DefaultChooser } from '../../../src/sched/chooser.js';
import { loadScenario, profileOf } from '../../support/scenario-load.js';

const CASES = ['scenarios/vfio/exit-releases-pins.yaml', 'scenarios/mm/thp-cow-after-fork.yaml', 'scenarios/iommufd/access-unmap-notifier.yaml', 'scenarios/gup/anon-gup-longterm.yaml', 'scenarios/gup/bug8-pin-lost-after-fork.yaml', 'scenarios/gup/anon-then-fsdax.yaml'];

/** After every step: the journal before and after the checker's observe() and rescan(). */
function journalsAroundChecks(rel: string, mode: CheckMode): { before: number[]; after: number[]; step: number }[] {
  const s = loadScenario(rel);
  let w: World | null = null;
  const out: { before: number[]; after: number[]; step: number }[] = [];
  w = buildWorld(s, profileOf(s.expect[0].spec), {
    chooser: new DefaultChooser(),
    maxSteps: 20_000,
    afterStep: () => {
      const ww = w as World;
      const mem = ww.m.mem;
      const before = [...(mem.touched ?? [])];
      ww.checker.observe();
      // The full rescan the incremental-checker tests compare with (compare-checkers.ts) reads unjournaled too.
      ww.checker.rescan();
      out.push({ before, after: [...(mem.touched ?? [])], step: ww.sched.stepCount });
      // The journal's owner (here the test, in rescan mode) empties it after each step.
      if (!ww.checker.incremental) mem.journal_clear();
      return false;
    },
  }, { checkMode: mode });
  if (w.setupError !== null) throw new Error(`${rel}: ${w.setupError}`);
  w.m.mem.journal_start();
  w.sched.run();
  return out;
}

describe('the checker journals none of its own reads', () => {
  for (const rel of CASES) {
    it(`rescan mode: the journal after the checks is the step's own (${rel})`, () => {
      const steps = journalsAroundChecks(rel, 'rescan');
      expect(steps.length).toBeGreaterThan(2);
      for (const x of steps) expect({ step: x.step, journal: x.after }).toEqual({ step: x.step, journal: x.before });
    });

    it(`incremental mode: the engine empties the journal and the other invariants add nothing (${rel})`, () => {
      const steps = journalsAroundChecks(rel, 'incremental');
      // Not vacuous: steps did change folios before the checker read the journal.
      expect(steps.some((x) => x.before.length > 0)).toBe(true);
      for (const x of steps) expect({ step: x.step, journal: x.after }).toEqual({ step: x.step, journal: [] });
    });
  }
});
