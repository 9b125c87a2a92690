/**
 * Run a corpus scenario on one profile and call a function once, at a chosen point of the
 * run (after the first step at which a condition holds, or before the first step).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.js';
import { buildWorld } from '../../src/scenario/run.js';
import type { World, WorldOptions } from '../../src/scenario/run.js';
import { resolveProfile } from '../../src/profiles/index.js';
import { DefaultChooser } from '../../src/sched/index.js';

const root = join(import.meta.dirname, '..', '..');

/** Run `file` (relative to the repository) on `spec`; `at` runs once, after the first step at which `when` holds (null: before the first step). */
export function runAt(file: string, spec: string, when: ((w: World) => boolean) | null, at: (w: World) => void, wo: WorldOptions = {}): World {
  const r = parseScenario(readFileSync(join(root, file), 'utf8'), file);
  if (!r.ok) throw new Error('test bug: scenario does not parse');
  const p = resolveProfile(spec);
  if (!p.ok) throw new Error('test bug: profile');
  let w: World | null = null;
  let done = false;
  w = buildWorld(r.scenario, p.profile, {
    chooser: new DefaultChooser(),
    afterStep: () => {
      const ww = w as World;
      if (!done && when !== null && when(ww)) {
        done = true;
        at(ww);
      }
      return false;
    },
  }, wo);
  expect(w.setupError).toBeNull();
  if (when === null) {
    done = true;
    at(w);
  }
  w.sched.run();
  expect(done).toBe(true);
  return w;
}
