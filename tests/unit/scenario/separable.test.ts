/** src/scenario/separable.ts: which scenarios get per-process footprints (DPOR), and why the others do not. */
import { describe, expect, it } from 'vitest';
import { independentScenario } from '../../../bench/independent.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import { scenarioTarget } from '../../../src/scenario/run.js';
import type { Machine } from '../../../src/linux/machine.js';
import { ClassFootprints, separableClasses } from '../../../src/scenario/separable.js';

function sep(text: string): ReturnType<typeof separableClasses> {
  const p = parseScenario(text, 'sep.yaml');
  if (!p.ok) throw new Error(p.errors.map((e) => e.message).join('; '));
  return separableClasses(p.scenario);
}

const base = independentScenario(2);

describe('separable scenarios', () => {
  it('independent MAP_DMA threads: one class per process, footprints and per-object invariants on the target', () => {
    expect(sep(base)).toEqual({ ok: true, classOf: ['P0', 'P1'] });
    const p = parseScenario(base, 'sep.yaml');
    if (!p.ok) throw new Error('parse');
    const t = scenarioTarget(p.scenario, p.scenario.expect[0].profile);
    expect(t.footprints).toBe(true);
    expect(t.observes).toBe('per-object');
  });

  it('refuses, with the reason, every shape outside the one argued in the file header', () => {
    const cases: [string, string][] = [
      [base.replace('length: 1 page', 'length: 2 pages'), 'mapping buf0 is not one private anonymous page'],
      [base.replace('MAP_PRIVATE|MAP_ANONYMOUS', 'MAP_SHARED|MAP_ANONYMOUS'), 'mapping buf0 is not one private anonymous page'],
      [base.replace('iommu_group: 6', 'iommu_group: 5'), 'IOMMU group 5 used by two processes'],
      [base.replace('vaddr: $buf1', 'vaddr: $buf0'), "vaddr is not one of its process's mappings"],
      [base.replace('container: $C1', 'container: $C0'), 'on a container of another process'],
      [base.replace('size: 1 page }\n        as: map1', 'size: 2 pages }\n        as: map1'), 'size is not one page'],
      [base.replace('threads:', 'observe:\n  lv: { locked_vm: P0 }\nthreads:'), 'observe probes'],
    ];
    for (const [text, reason] of cases) {
      const r = sep(text);
      expect(r.ok, reason).toBe(false);
      if (!r.ok) expect(r.reason).toContain(reason);
    }
  });

  it('a scenario that is not separable gets the footprints of its accesses (access-footprint.ts), or none when asked', () => {
    const p = parseScenario(base.replace('iommu_group: 6', 'iommu_group: 5'), 'sep.yaml');
    if (!p.ok) throw new Error('parse');
    const t = scenarioTarget(p.scenario, p.scenario.expect[0].profile);
    expect(t.footprints).toBe(true);
    expect(t.observes).toEqual(['world']);
    expect(scenarioTarget(p.scenario, p.scenario.expect[0].profile, 'merged', false).footprints).toBeUndefined();
  });

  it('a step that files a kernel report or fires a WARN_ON_ONCE has an unknown footprint', () => {
    const m = { reports: [] as unknown[], warnedOnce: new Set<string>() };
    let last: number | null = 0;
    const fp = new ClassFootprints(m as unknown as Machine, ['P0', 'P1', 'P0'], () => last);
    expect(fp.next()).toEqual(['w:class:P0']);
    last = 1;
    expect(fp.next()).toEqual(['w:class:P1']);
    m.reports.push({});
    expect(fp.next()).toBeNull();
    last = 2;
    expect(fp.next()).toEqual(['w:class:P0']);
    m.warnedOnce.add('mm/gup.c:x');
    expect(fp.next()).toBeNull();
    last = null;
    expect(fp.next()).toBeNull();
  });
});
