/**
 * iommufd fail-nth (issue 14; the kernel's tools/testing/selftests/iommu/iommufd_fail_nth.c
 * applied to the model): for every iommufd scenario of the corpus (scenarios/iommufd/) and
 * every iommufd conformance case (conformance/cases/iommufd/), on each release profile it
 * declares that has CONFIG_IOMMUFD, fail each failable call of its default run in turn and
 * require what tests/support/failnth-judge.ts requires (no JS exception, the kernel's errno
 * where the failure always ends the call, no leaked pin or reference, no wrong locked_vm or
 * pinned_vm, no lock held at exit); a problem names the scenario, profile, n and failure
 * point with the command that replays it. Every iommufd failure point must be reached.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../src/cli/io.js';
import { FAILPOINTS } from '../../src/linux/include/linux/fault_inject.js';
import { RELEASE_TAGS } from '../../src/profiles/index.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { judgeFailNth } from '../support/failnth-judge.js';
import type { Problem } from '../support/failnth-judge.js';

const root = join(import.meta.dirname, '..', '..');
/** iommufd's own failure points, and the IOMMU page-table allocation its domain fills go through. */
const IOMMUFD_POINTS = [...Object.keys(FAILPOINTS).filter((k) => k.startsWith('drivers/iommu/iommufd/')), 'drivers/iommu/iommu.c:iommu_map:alloc_pgtable'];

const stats = new Map<string, number>();
const totals = { pairs: 0, runs: 0 };

describe('iommufd fail-nth (scenarios/iommufd, conformance/cases/iommufd; profiles with CONFIG_IOMMUFD)', () => {
  for (const f of scenarioFiles([join(root, 'scenarios', 'iommufd'), join(root, 'conformance', 'cases', 'iommufd')])) {
    const rel = relative(root, f);
    const p = parseScenario(readFileSync(f, 'utf8'), rel);
    if (!p.ok) continue; // tests/corpus/ reports invalid files
    const pes = p.scenario.expect.filter((pe) => (RELEASE_TAGS as readonly string[]).includes(pe.profile.name) && pe.profile.configs.has('CONFIG_IOMMUFD'));
    if (pes.length === 0) continue;
    it(`${rel} (${pes.map((pe) => pe.spec).join(', ')})`, () => {
      const problems: Problem[] = [];
      for (const pe of pes) {
        totals.pairs++;
        const declared = new Set<string>([...pe.invariants].filter(([, d]) => d.verdict !== 'never').map(([id]) => id));
        const j = judgeFailNth(p.scenario, pe.profile, declared, stats);
        problems.push(...j.problems);
        totals.runs += j.runs;
      }
      expect(problems.map((x) => `${x.where}: ${x.what}`)).toEqual([]);
    }, 900_000);
  }

  it('reaches every iommufd failure point, and prints the campaign size', () => {
    const perPoint = IOMMUFD_POINTS.map((k) => `    ${k}: ${stats.get(k) ?? 0}`).join('\n');
    console.log(`iommufd fail-nth: ${totals.pairs} scenario×profile pairs, ${totals.runs} runs with one injected failure; iommufd failure points:\n${perPoint}`);
    expect(IOMMUFD_POINTS.filter((k) => !stats.has(k))).toEqual([]);
  });
});
