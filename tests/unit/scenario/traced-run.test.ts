/**
 * A traced run merges a lone thread's steps as the untraced run does (Sched.alone), and
 * records each merged run as one `batch` trace event: on a guest-size scenario both runs
 * take the same steps, reach the same final state (worldFingerprint) and verdicts, and
 * the trace stays bounded (before, a traced run took a point per page and a 1 GiB guest
 * ended at the step bound).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { buildWorld, runScenario, worldFingerprint } from '../../../src/scenario/run.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import { DefaultChooser } from '../../../src/sched/index.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { largeGuestScenario } from '../../support/large-guest.js';

const MIB = 32;
const PAGES = (MIB * 1024 * 1024) / 4096;

/** A populated guest mapped for DMA and unmapped, then a MAP_POPULATE mmap and a write pin in the thread itself (GUP runs in steps). */
const TEXT = largeGuestScenario(MIB, {
  question: "does a traced run of a guest take the untraced run's steps?",
  normalMib: 2 * MIB + 64,
  moreSteps: `      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x100000000, size: ${MIB}M }
        as: unmap
      - mmap: { length: ${MIB / 2}M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE }
        as: buf
`,
  values: 'map: 0, unmap: 0',
});

/** A 2 GiB guest on 1 GiB hugetlb pages: MAP_DMA collapses its batches (vfio_pin_pages_remote). */
const HUGE = `question: does a traced MAP_DMA of a 1 GiB-page guest collapse its batches as the untraced one does?
setup:
  memory:
    zones: { DMA32: 64M, Normal: 3G }
    hugepages: { 1G: 2 }
  processes:
    - name: qemu
      mappings:
        - { name: ram, length: 2G, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_1GB, populate: true }
  devices:
    - { name: nic0, kind: edu, iommu_group: 5 }
  vfio:
    containers:
      - { name: C, process: qemu, iommu: VFIO_TYPE1v2_IOMMU, groups: [nic0] }
threads:
  - process: qemu
    steps:
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $ram, iova: 0x100000000, size: 2G, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: map
expect:
  v6.12: { values: { map: 0 } }
`;

function load(text: string): Scenario {
  const r = parseScenario(text, 'guest.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

describe('traced runs of a lone thread', () => {
  const s = load(TEXT);
  const profile = profileOrThrow('v6.12');

  it('take the same steps, values and verdicts as the untraced run, with a bounded trace of batch events', () => {
    const plain = runScenario(s, profile);
    const traced = runScenario(s, profile, { trace: true });
    expect(plain.status).toBe('done');
    expect(traced.status).toBe('done');
    expect(traced.steps).toBe(plain.steps);
    expect(traced.schedule).toBe(plain.schedule);
    expect([...traced.values]).toEqual([...plain.values]);
    expect(traced.violated).toEqual(plain.violated);
    expect(traced.violations.map((v) => v.kind)).toEqual(plain.violations.map((v) => v.kind));
    // Far fewer scheduling points than pages: the only thread of a run skips even cond_resched() (kernel/sched.ts).
    expect(plain.steps).toBeLessThan(PAGES / 8);
    const trace = traced.trace ?? [];
    expect(trace.length).toBeLessThan(PAGES / 4);
    const batches = trace.filter((e) => e.kind === 'batch');
    expect(batches.length).toBeGreaterThan(0);
    // The pages the merged runs followed: the populate's faults and the later mmap's (GUP walks,
    // a point per page), and all but the first of MAP_DMA's batches (collapsed whole over PTEs:
    // one cond_resched() point per batch it stands for).
    let pages = 0;
    let mapPages = 0;
    let skipped = 0;
    for (const b of batches) {
      if (b.kind !== 'batch') continue;
      const d = b.data as { pages?: number; start: string; fn: string };
      if (d.pages === undefined) {
        // A cond_resched() point the run's only thread skipped (kernel/sched.ts): one point, at its site.
        expect(b.label).toBe(`${d.fn}:cond_resched`);
        expect(b.points).toBe(1);
        skipped++;
        continue;
      }
      if (b.label === 'drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote:cond_resched') {
        expect(d.fn).toBe('drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote');
        expect(b.points).toBe(Math.ceil((d.pages as number) / 512));
        mapPages += d.pages as number;
        continue;
      }
      expect(b.label).toBe('mm/gup.c:follow_page_pte:ptl');
      expect(d.fn).toBe('mm/gup.c:__get_user_pages');
      expect(b.points).toBeGreaterThanOrEqual(d.pages as number);
      expect(b.points).toBeLessThanOrEqual((d.pages as number) + 1);
      pages += d.pages as number;
    }
    // The populate's and the later mmap's GUP walks skip one cond_resched() point per 512 pages.
    expect(skipped).toBeGreaterThanOrEqual((PAGES * 1.4 - mapPages) / 512 - 4);
    expect(mapPages).toBe(PAGES - 512);
    expect(pages + mapPages).toBeGreaterThan(PAGES * 1.4);
    expect(pages + mapPages).toBeLessThan(PAGES * 1.5);
    // A step bound the untraced run fits in fits the traced run too.
    expect(runScenario(s, profile, { trace: true, maxSteps: plain.steps }).status).toBe('done');
  });

  it('collapse MAP_DMA batches over 1 GiB pages as the untraced run does, as one batch event', () => {
    const h = load(HUGE);
    const plain = runScenario(h, profile);
    const traced = runScenario(h, profile, { trace: true });
    expect(plain.status).toBe('done');
    expect(traced.status).toBe('done');
    expect(traced.steps).toBe(plain.steps);
    expect([...traced.values]).toEqual([...plain.values]);
    // 2 GiB = 1024 batches of 512 pages, in a few dozen steps.
    expect(plain.steps).toBeLessThan(100);
    const batches = (traced.trace ?? []).filter((e) => e.kind === 'batch');
    expect(batches.map((b) => (b.kind === 'batch' ? b.label : ''))).toContain('drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote:cond_resched');
  });

  it('record object events only to give a violation its history, as untraced runs do', () => {
    const file = join(import.meta.dirname, '../../../scenarios/addrspace/madv-free-pageout-pinned.yaml');
    const r = parseScenario(readFileSync(file, 'utf8'), file);
    if (!r.ok) throw new Error('scenario does not parse');
    const p = profileOrThrow('v5.4');
    const plain = runScenario(r.scenario, p);
    const traced = runScenario(r.scenario, p, { trace: true });
    expect(plain.violations.length).toBeGreaterThan(0);
    expect(traced.violations).toEqual(plain.violations);
    expect(traced.violations.every((v) => v.kind !== 'invariant' || v.history.length > 0)).toBe(true);
    expect(traced.steps).toBe(plain.steps);
  });

  it('end in the same state (worldFingerprint) as the untraced run, with or without object events', () => {
    const end = (trace: boolean, recordEvents: boolean): { fp: string; steps: number } => {
      const w = buildWorld(s, profile, { chooser: new DefaultChooser(), trace, maxSteps: 100_000, afterStep: () => false, afterStepAllowsMerge: true }, { recordEvents });
      const r = w.sched.run();
      expect(r.status).toBe('done');
      return { fp: worldFingerprint(w), steps: r.steps };
    };
    const plain = end(false, false);
    expect(end(true, true)).toEqual(plain);
    expect(end(true, false)).toEqual(plain);
  });
});
