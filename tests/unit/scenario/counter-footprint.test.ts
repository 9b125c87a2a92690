/**
 * src/scenario/counter-footprint.ts: each mm's locked_vm and pinned_vm as the footprint
 * object `vm.<mm>`. A VFIO_IOMMU_MAP_DMA racing a munmap charges locked_vm in a step of its
 * own; that step writes `vm.<mm>` (and its lock) and no longer `world`, and the charge reads
 * the counter it updates. The search with these footprints reaches the outcomes and verdicts
 * of the full search.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExploreRun } from '../../../src/explore/explore.js';
import { explore } from '../../../src/explore/explore.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import type { Value } from '../../../src/scenario/ast.js';
import { scenarioTarget } from '../../../src/scenario/run.js';
import { valueKey } from '../../../src/scenario/state.js';
import { DefaultChooser } from '../../../src/sched/index.js';

const FILE = 'scenarios/concurrency/dma-vs-unmap-dma.yaml';

function scenario(file = FILE) {
  const p = parseScenario(readFileSync(file, 'utf8'), file);
  if (!p.ok) throw new Error(JSON.stringify(p.errors));
  return p.scenario;
}

describe('per-mm counter objects', () => {
  it('the locked_vm charge of MAP_DMA writes vm.<mm>, not world, and reads it', () => {
    const s = scenario();
    const pe = s.expect.find((e) => e.spec === 'v5.6') ?? s.expect[0];
    const fps: string[] = [];
    let run: ExploreRun | null = null;
    run = scenarioTarget(s, pe.profile).start({ chooser: new DefaultChooser(), afterStep: () => (fps.push(((run as ExploreRun).footprint?.() ?? ['null']).join(' ')), false) });
    run.footprint?.();
    run.sched.run();
    const charge = fps.filter((f) => /w:vm\.\d+/.test(f));
    expect(charge.length).toBeGreaterThan(0);
    expect(charge.some((f) => !f.includes('w:world') && /r:vm\.\d+/.test(f))).toBe(true);
  });

  it('DPOR over these footprints reaches the full search\'s outcomes and verdicts', () => {
    for (const file of [FILE, 'scenarios/concurrency/munmap-vs-map-dma.yaml']) {
      const s = scenario(file);
      const keys = (r: ReturnType<typeof explore>): string[] => r.outcomes.map((o) => valueKey(o.values as Readonly<Record<string, Value>>)).sort();
      for (const pe of s.expect) {
        const full = explore(scenarioTarget(s, pe.profile, 'merged', false));
        const r = explore(scenarioTarget(s, pe.profile));
        expect(r.reduction).toBe('dpor');
        expect(keys(r)).toEqual(keys(full));
        expect(r.verdicts).toEqual(full.verdicts);
      }
    }
  });
});
