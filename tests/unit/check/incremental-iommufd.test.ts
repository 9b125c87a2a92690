/**
 * The incremental checker's iommufd part (src/check/iommufd-engine.ts) against the full rescan
 * (each invariant's own `check`, over check/iommufd.ts's per-page records): on random runs of
 * every corpus scenario and conformance case that opens /dev/iommu or uses iommufd through the
 * VFIO compat container — random profile of its expect list, random schedule, sometimes a
 * reference-count corruption after a random step — the same step invariants are violated
 * after every step, with the same first finding.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { scenarioFiles } from '../../../src/cli/io.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { page_ref_count, page_ref_sub } from '../../../src/linux/include/linux/mm.js';
import { iommufdLongtermPins } from '../../../src/check/iommufd.js';
import { compareCheckers } from './compare-checkers.js';
import type { Comparison } from './compare-checkers.js';

const root = join(import.meta.dirname, '..', '..', '..');

const iommufdCorpus: { file: string; s: Scenario }[] = scenarioFiles([join(root, 'scenarios'), join(root, 'conformance', 'cases', 'iommufd')]).flatMap((f) => {
  const text = readFileSync(f, 'utf8');
  if (!text.includes('/dev/iommu') && !text.includes('+iommufd')) return [];
  const r = parseScenario(text, relative(root, f));
  return r.ok && r.scenario.expect.some((e) => e.spec.includes('iommufd')) ? [{ file: relative(root, f), s: r.scenario }] : [];
});

/**
 * A generated scenario whose frames lie in different 2 MiB blocks (a populated spacer between
 * the pinned pages and the pages faulted later), so that the page-table, IOMMU and mem_map
 * journals each answer for their own changes: a thread maps `pages` pages through iommufd
 * with a device attached (beside a second thread, so the map may run in batches across
 * steps), then replaces some of the process's pages (munmap + mmap + store:
 * incoherent from then on), copy the area to a second IOAS, unmap part of it, or DMA into it.
 */
function generated(pages: number, actions: readonly number[]): Scenario {
  const steps: string[] = [];
  for (const [j, a] of actions.entries()) {
    const page = (a >> 2) % pages;
    const addr = `0x${(0x20000000 + page * 4096).toString(16)}`;
    switch (a & 3) {
      case 0:
        steps.push(`      - munmap: { addr: ${addr}, length: 1 page }`, `      - mmap: { addr: ${addr}, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }`, `      - store: { addr: ${addr}, content: X${j} }`);
        break;
      case 1:
        steps.push(`      - IOMMU_IOAS_COPY: { iommufd: $fd, dst_ioas_id: $dst.ioas_id, src_ioas_id: $ioas.ioas_id, length: ${pages} pages, dst_iova: 0x${(0x4000000 + j * 0x100000).toString(16)}, src_iova: 0x100000, flags: IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_WRITEABLE|IOMMU_IOAS_MAP_READABLE }`);
        break;
      case 2:
        steps.push(`      - device_dma_write: { device: edu0, iova: 0x${(0x100000 + page * 4096).toString(16)}, content: D${j} }`);
        break;
      default:
        steps.push('      - IOMMU_IOAS_UNMAP: { iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x100000, length: 0 }');
    }
  }
  const text = [
    'question: generated (incremental-iommufd test)',
    'setup:',
    '  memory:',
    '    zones: { DMA32: 16M, Normal: 64M }',
    '  processes:',
    '    - name: P',
    '      mappings:',
    `        - { name: buf, addr: 0x20000000, length: ${pages} pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, populate: true }`,
    '        - { name: spacer, addr: 0x40000000, length: 8M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, populate: true }',
    '  devices:',
    '    - { name: edu0, kind: edu, iommu_group: 5 }',
    'threads:',
    '  - process: P',
    '    steps:',
    '      - open: { path: /dev/iommu }',
    '        as: fd',
    '      - IOMMU_IOAS_ALLOC: { iommufd: $fd }',
    '        as: ioas',
    '      - IOMMU_IOAS_ALLOC: { iommufd: $fd }',
    '        as: dst',
    '      - open: { path: /dev/vfio/devices/vfio0 }',
    '        as: dev',
    '      - VFIO_DEVICE_BIND_IOMMUFD: { device_fd: $dev, iommufd: $fd }',
    '      - VFIO_DEVICE_ATTACH_IOMMUFD_PT: { device_fd: $dev, pt_id: $ioas.ioas_id }',
    `      - IOMMU_IOAS_MAP: { iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: ${pages} pages, iova: 0x100000, flags: IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE }`,
    '        as: map',
    ...steps,
    '  - process: P',
    '    steps:',
    '      - load: { addr: $spacer }',
    `      - load: { addr: $buf }`,
    'expect:',
    '  v6.12+iommufd: { values: {} }',
    '',
  ].join('\n');
  const r = parseScenario(text, 'generated.yaml');
  if (!r.ok) throw new Error(`test bug: ${JSON.stringify(r.errors[0])}\n${text}`);
  return r.scenario;
}

/** Run once with a random schedule (and an optional corruption); compare the two checkers after every step. */
function compare(s: Scenario, spec: string, seed: number, corrupt: { step: number; which: number; by: number } | null): Comparison {
  return compareCheckers(s, spec, seed, corrupt === null ? null : (w) => {
    if (w.sched.stepCount !== corrupt.step) return false;
    // Aimed at a page iommufd holds when there is one (else any folio).
    const mem = w.m.mem;
    const pins = iommufdLongtermPins(w.m);
    if (pins.length > 0) {
      // by > 4: every reference dropped (the frame looks free while the IOMMU still maps it).
      const pfn = pins[corrupt.which % pins.length].pfn;
      page_ref_sub(w.m, pfn, corrupt.by > 4 ? page_ref_count(w.m, pfn) : corrupt.by);
    } else {
      const slot = 1 + (corrupt.which % Math.max(1, mem.slot_top - 1));
      if (slot < mem.slot_top && mem.peek_slot(mem.s_pfn[slot]) === slot) page_ref_sub(w.m, mem.s_pfn[slot], corrupt.by);
    }
    return true;
  });
}

describe('incremental checker, iommufd part', () => {
  it('has iommufd scenarios to compare on', () => {
    expect(iommufdCorpus.length).toBeGreaterThan(20);
  });

  it('finds what the full rescan finds, step for step, on random runs of the iommufd scenarios', () => {
    let violatedSomewhere = 0;
    let iommufdSteps = 0;
    fc.assert(
      fc.property(
        fc.nat(iommufdCorpus.length - 1), fc.nat(7), fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.option(fc.record({ step: fc.nat(25), which: fc.nat(1000), by: fc.integer({ min: 1, max: 2048 }) }), { freq: 2 }),
        (ci, pi, seed, corrupt) => {
          const { file, s } = iommufdCorpus[ci];
          const specs = s.expect.filter((e) => e.spec.includes('iommufd'));
          const spec = specs[pi % specs.length].spec;
          const r = compare(s, spec, seed, corrupt);
          if (r.violated > 0) violatedSomewhere++;
          iommufdSteps += r.iommufdSteps;
          expect(r.mismatches, `${file} on ${spec}, seed ${seed}, corruption ${JSON.stringify(corrupt)}`).toEqual([]);
        },
      ),
      { numRuns: 120, seed: 14 },
    );
    // Not vacuous: runs reach iommufd state, and some violate step invariants.
    expect(iommufdSteps).toBeGreaterThan(100);
    expect(violatedSomewhere).toBeGreaterThan(0);
  });

  it('finds what the full rescan finds on generated runs whose frames lie in different 2 MiB blocks', () => {
    let violatedSomewhere = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(255), { maxLength: 6 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.option(fc.record({ step: fc.nat(30), which: fc.nat(1000), by: fc.integer({ min: 1, max: 8 }) }), { freq: 3 }),
        (pages, actions, seed, corrupt) => {
          const r = compare(generated(pages, actions), 'v6.12+iommufd', seed, corrupt);
          if (r.violated > 0) violatedSomewhere++;
          expect(r.mismatches, `pages ${pages}, actions ${JSON.stringify(actions)}, seed ${seed}, corruption ${JSON.stringify(corrupt)}`).toEqual([]);
        },
      ),
      { numRuns: 80, seed: 141 },
    );
    expect(violatedSomewhere).toBeGreaterThan(10);
  });
});
