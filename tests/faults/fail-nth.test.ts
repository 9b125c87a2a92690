/**
 * Fault injection over the corpus (issue #16 "Keep it true" 1; the kernel's
 * iommufd_fail_nth selftest applied to the model): for every bundled scenario and every
 * release profile it declares (no ablations, backports or hypothetical profiles), fail
 * each failable call of its default run in turn (`pinlab explore --fail-nth`) and require
 *   - no JavaScript exception (a pinlab bug);
 *   - the run ends as the unfailed run does (`done`), or is an honest `unsupported`, or
 *     ends in a hang of the scenario's own program that the failure caused (programHang), or
 *     ends `done` where the unfailed run deadlocks (the failure ended the call before what blocked);
 *   - no invariant violated that the unfailed run does not violate and the scenario does
 *     not declare reachable on that profile: no leaked pin or reference
 *     (pin-balance-at-exit, refcount-sane), no wrong locked_vm (locked-vm-accounting),
 *     no lock held at exit, no deadlock, no DMA into freed memory;
 *   - where the failure always ends the system call (FAILPOINTS[...].errno), the
 *     operation returns that errno.
 * A failure names the scenario, profile, n, the failure point and the re-run command.
 * The campaign's size is printed.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../src/cli/io.js';
import { FAILPOINTS } from '../../src/linux/include/linux/fault_inject.js';
import { RELEASE_TAGS } from '../../src/profiles/index.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { MAX_NTH, judgeFailNth } from '../support/failnth-judge.js';
import type { Problem } from '../support/failnth-judge.js';

const root = join(import.meta.dirname, '..', '..');

const stats = new Map<string, number>();
const totals = { pairs: 0, runs: 0, unsupported: 0, files: 0 };
const incomplete: string[] = [];

describe('fault injection over the corpus (fail-nth, release profiles)', () => {
  for (const f of scenarioFiles([join(root, 'scenarios')])) {
    const rel = relative(root, f);
    const p = parseScenario(readFileSync(f, 'utf8'), rel);
    if (!p.ok) continue; // tests/corpus/ reports invalid files
    const releases = p.scenario.expect.filter((pe) => (RELEASE_TAGS as readonly string[]).includes(pe.profile.name));
    if (releases.length === 0) continue;
    it(`${rel}: every failable call fails in turn without a bug (${releases.map((pe) => pe.spec).join(', ')})`, () => {
      const problems: Problem[] = [];
      totals.files++;
      for (const pe of releases) {
        totals.pairs++;
        const declared = new Set<string>([...pe.invariants].filter(([, d]) => d.verdict !== 'never').map(([id]) => id));
        const j = judgeFailNth(p.scenario, pe.profile, declared, stats);
        problems.push(...j.problems);
        totals.runs += j.runs;
        totals.unsupported += j.unsupported;
        if (!j.complete) incomplete.push(`${rel} on ${pe.profile.name}`);
      }
      expect(problems.map((x) => `${x.where}: ${x.what}`)).toEqual([]);
    }, 900_000);
  }

  // Runs last (tests of a file run in order): the campaign's size, and coverage of FAILPOINTS.
  it('reaches every failure point the model declares, and prints the campaign size', () => {
    const perPoint = [...stats].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `    ${k}: ${n}`).join('\n');
    console.log(`fail-nth campaign: ${totals.files} scenarios, ${totals.pairs} scenario×profile pairs, ${totals.runs} runs with one injected failure (${totals.unsupported} end unsupported); per failure point:\n${perPoint}` +
      (incomplete.length > 0 ? `\n  bounded at ${MAX_NTH} failure points: ${incomplete.join('; ')}` : ''));
    expect(Object.keys(FAILPOINTS).filter((k) => !stats.has(k))).toEqual([]);
    expect(totals.runs).toBeGreaterThan(1000);
  });
});
