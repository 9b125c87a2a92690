/**
 * Soundness of the explorer's DPOR on scenarios (src/explore/dpor.ts, footprints from
 * src/scenario/separable.ts): DPOR and the full search (state cache, no reduction)
 * must give the same invariant verdicts and the same reachable outcomes, on
 *
 * - random small separable scenarios (fast-check): processes with one-page anonymous
 *   buffers and their own containers, threads (some sharing a process) mapping and
 *   unmapping colliding IOVAs, on two releases;
 * - the independent-threads benchmark scenario (bench/independent.ts) for N = 2, 3;
 * - every corpus scenario that is separable (today none: the corpus's races all share
 *   a process, a file or a page); the others report the footprints of their accesses
 *   (access-footprint.ts; tests/soundness/dpor-corpus.test.ts compares those on corpus
 *   scenarios).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { independentScenario } from '../../bench/independent.js';
import { scenarioFiles } from '../../src/cli/io.js';
import { explore } from '../../src/explore/explore.js';
import type { ExploreResult } from '../../src/explore/explore.js';
import type { ProfileExpect, Scenario, Value } from '../../src/scenario/ast.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { scenarioTarget } from '../../src/scenario/run.js';
import { separableClasses } from '../../src/scenario/separable.js';
import { valueKey } from '../../src/scenario/state.js';

const root = join(import.meta.dirname, '..', '..');

function outcomes(r: ExploreResult): string[] {
  return r.outcomes.map((o) => valueKey(o.values as Readonly<Record<string, Value>>)).sort();
}

/** DPOR against the full search on one scenario and profile; returns both results. */
function compare(s: Scenario, pe: ProfileExpect, maxSchedules = 20_000): { dpor: ExploreResult; full: ExploreResult } {
  const t = scenarioTarget(s, pe.profile);
  const dpor = explore(t, { maxSchedules, cache: 'positions' }); // both under the positions key: the subject is the reduction (the history key: tests/soundness/cache.test.ts)
  const full = explore(t, { reduction: 'none', maxSchedules, cache: 'positions' });
  expect(dpor.reduction).toBe('dpor');
  expect(full.reduction).toBe('none');
  expect(dpor.complete && full.complete, 'both searches complete').toBe(true);
  expect(dpor.verdicts, 'verdicts').toEqual(full.verdicts);
  expect(outcomes(dpor), 'reachable outcomes').toEqual(outcomes(full));
  return { dpor, full };
}

type Op = { readonly kind: 'map' | 'unmap'; readonly buf: number; readonly iova: number };
interface Proc {
  readonly bufs: number;
  readonly threads: readonly (readonly Op[])[];
}

/** A separable scenario: process i has bufs b{i}_{j}, container C{i} with device edu{i} (group 10 + i). */
function scenarioText(procs: readonly Proc[], profile: string): string {
  const out = ['question: random separable scenario (tests/soundness/dpor.test.ts)', 'setup:', '  processes:'];
  procs.forEach((p, i) => {
    out.push(`    - name: P${i}`, '      mappings:');
    for (let j = 0; j < p.bufs; j++) out.push(`        - { name: b${i}_${j}, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }`);
  });
  out.push('  devices:');
  procs.forEach((_, i) => out.push(`    - { name: edu${i}, kind: edu, iommu_group: ${10 + i} }`));
  out.push('  vfio:', '    containers:');
  procs.forEach((_, i) => out.push(`      - { name: C${i}, process: P${i}, groups: [edu${i}] }`));
  out.push('threads:');
  let r = 0;
  procs.forEach((p, i) => {
    p.threads.forEach((ops, ti) => {
      out.push(`  - name: t${i}_${ti}`, `    process: P${i}`, '    steps:');
      for (const op of ops) {
        const iova = `0x${(0x100000 + op.iova * 0x1000).toString(16)}`;
        if (op.kind === 'map') out.push(`      - VFIO_IOMMU_MAP_DMA: { container: $C${i}, vaddr: $b${i}_${op.buf % p.bufs}, iova: ${iova}, size: 1 page }`);
        else out.push(`      - VFIO_IOMMU_UNMAP_DMA: { container: $C${i}, iova: ${iova}, size: 1 page }`);
        out.push(`        as: r${r++}`);
      }
    });
  });
  out.push('expect:', `  ${profile}: {}`, '');
  return out.join('\n');
}

const op: fc.Arbitrary<Op> = fc.record({ kind: fc.constantFrom<'map' | 'unmap'>('map', 'map', 'unmap'), buf: fc.nat(1), iova: fc.nat(1) });
const proc: fc.Arbitrary<Proc> = fc.record({ bufs: fc.integer({ min: 1, max: 2 }), threads: fc.array(fc.array(op, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }) });
/** At most three threads in all, so that the full search stays small. */
const procs: fc.Arbitrary<Proc[]> = fc.array(proc, { minLength: 1, maxLength: 3 }).filter((ps) => {
  const threads = ps.reduce((a, p) => a + p.threads.length, 0);
  const steps = ps.reduce((a, p) => a + p.threads.reduce((b, t) => b + t.length, 0), 0);
  return threads >= 2 && threads <= 3 && steps <= 4;
});

describe('DPOR agrees with the full search on scenarios', () => {
  it('random separable scenarios: same verdicts and outcomes, never more runs', () => {
    let saved = 0;
    let conflicts = 0;
    fc.assert(
      fc.property(procs, fc.constantFrom('v5.4', 'v6.12'), (ps, profile) => {
        const p = parseScenario(scenarioText(ps, profile), 'random.yaml');
        if (!p.ok) throw new Error(p.errors.map((e) => e.message).join('; '));
        const sep = separableClasses(p.scenario);
        expect(sep.ok, sep.ok ? '' : sep.reason).toBe(true);
        const { dpor, full } = compare(p.scenario, p.scenario.expect[0]);
        expect(dpor.schedules).toBeLessThanOrEqual(full.schedules);
        saved += full.schedules - dpor.schedules;
        if (outcomes(full).length > 1) conflicts++;
      }),
      { numRuns: 25, seed: 1107 },
    );
    expect(saved).toBeGreaterThan(0);
    expect(conflicts, 'some scenarios race inside a process (more than one outcome)').toBeGreaterThan(0);
  });

  it('independent MAP_DMA threads (N = 2, 3): one run each', () => {
    for (const n of [2, 3]) {
      const p = parseScenario(independentScenario(n), `independent-${n}.yaml`);
      if (!p.ok) throw new Error('independent scenario does not parse');
      const { dpor } = compare(p.scenario, p.scenario.expect[0]);
      expect(dpor.schedules).toBe(1);
    }
  });

  it('corpus: every scenario with two or more threads reports footprints (DPOR is the default): per class where separable, and agrees there', () => {
    for (const f of scenarioFiles([join(root, 'scenarios')])) {
      const r = parseScenario(readFileSync(f, 'utf8'), relative(root, f));
      if (!r.ok) continue;
      const sep = separableClasses(r.scenario);
      const t = scenarioTarget(r.scenario, r.scenario.expect[0].profile);
      const many = r.scenario.threads.length >= 2;
      expect(t.footprints, relative(root, f)).toBe(sep.ok || many ? true : undefined);
      expect(t.observes, relative(root, f)).toEqual(sep.ok ? 'per-object' : many ? ['world'] : undefined);
      if (sep.ok) for (const pe of r.scenario.expect) compare(r.scenario, pe);
    }
  });
});
