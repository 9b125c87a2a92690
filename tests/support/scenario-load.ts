/** Test helpers: a corpus scenario by its path under the repository, and a profile by its spec. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveProfile } from '../../src/profiles/index.js';
import type { Profile } from '../../src/profiles/index.js';
import { parseScenario } from '../../src/scenario/parse.js';
import type { Scenario } from '../../src/scenario/ast.js';

const root = join(import.meta.dirname, '..', '..');

/** Parse `rel` (a path under the repository root); a scenario that does not parse fails the test. */
export function loadScenario(rel: string): Scenario {
  const p = parseScenario(readFileSync(join(root, rel), 'utf8'), rel);
  if (!p.ok) throw new Error(`invalid ${rel}`);
  return p.scenario;
}

/** Resolve a profile spec (`v6.12`, `v6.12-some-patch`); an unknown one fails the test. */
export function profileOf(spec: string): Profile {
  const r = resolveProfile(spec);
  if (!r.ok) throw new Error(r.error.message);
  return r.profile;
}
