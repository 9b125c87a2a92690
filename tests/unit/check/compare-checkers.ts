/**
 * Shared by the incremental-checker tests (incremental.test.ts, incremental-iommufd.test.ts): run
 * a scenario once with a random schedule and, after every step, compare the incremental checker
 * (src/check/engine.ts) with the full rescan (each invariant's own `check`).
 */
import type { Scenario } from '../../../src/scenario/ast.js';
import { buildWorld } from '../../../src/scenario/run.js';
import type { World } from '../../../src/scenario/run.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import { RandomChooser } from '../../../src/explore/choosers.js';

export interface Comparison {
  /** The first (at most 3) steps where the two disagree. */
  readonly mismatches: { step: number; incremental: string; rescan: string }[];
  readonly steps: number;
  /** Steps after which the rescan found a violation. */
  readonly violated: number;
  /** Steps compared while the machine had an iommufd context. */
  readonly iommufdSteps: number;
}

/**
 * `corrupt(w)` runs after each step before the comparison (a reference-count bug to inject, or
 * nothing); a JavaScript exception after a corruption ends the run (the steps compared up to
 * there count). The rescan reads folios through slot_of() with the journal off (Checker.rescan),
 * so the incremental checker sees only what the steps themselves journaled.
 */
export function compareCheckers(s: Scenario, spec: string, seed: number, corrupt: ((w: World) => boolean) | null = null): Comparison {
  const p = resolveProfile(spec);
  if (!p.ok) throw new Error(`test bug: profile ${spec}`);
  const mismatches: Comparison['mismatches'] = [];
  let violated = 0;
  let iommufdSteps = 0;
  let corrupted = false;
  let w: World | null = null;
  const show = (xs: readonly { id: string; first: { message: string } }[]): string => xs.map((x) => `${x.id}: ${x.first.message}`).join(' | ');
  const cmp = (step: number): void => {
    if (w === null) return;
    const inc = show(w.checker.current());
    const full = show(w.checker.rescan());
    if (full !== '') violated++;
    if ((w.m.iommufd?.ctxs.length ?? 0) > 0) iommufdSteps++;
    if (inc !== full && mismatches.length < 3) mismatches.push({ step, incremental: inc, rescan: full });
  };
  w = buildWorld(s, p.profile, {
    chooser: new RandomChooser(seed),
    maxSteps: 20_000,
    afterStep: () => {
      const ww = w as World;
      if (corrupt !== null && corrupt(ww)) corrupted = true;
      cmp(ww.sched.stepCount);
      return false;
    },
  }, { checkMode: 'incremental' });
  if (w.setupError !== null) return { mismatches, steps: 0, violated, iommufdSteps };
  cmp(0);
  try {
    const r = w.sched.run();
    cmp(r.steps);
    return { mismatches, steps: r.steps, violated, iommufdSteps };
  } catch (e) {
    // A corrupted reference count may make the model itself fail later (put_page of a free frame).
    if (!corrupted) throw e;
    return { mismatches, steps: w.sched.stepCount, violated, iommufdSteps };
  }
}
