/** Why an errno (issue 16, "say why"): the kernel check that returned it, in run output, --trace and --json. */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { runScenario } from '../../../src/scenario/run.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import { renderOutcome } from '../../../src/report/render-text.js';
import { runJson } from '../../../src/report/trace-json.js';
import type { Scenario } from '../../../src/scenario/ast.js';

function load(text: string): Scenario {
  const r = parseScenario(text, 't.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

/** An edu device in a type1v2 container C of process P, then P's thread's steps. */
const CONTAINER = `  devices:
    - { name: edu0, kind: edu, iommu_group: 5 }
  vfio:
    containers:
      - { name: C, process: P, iommu: VFIO_TYPE1v2_IOMMU, groups: [edu0] }
threads:
  - process: P
    steps:
`;

const MSI = `question: where does MAP_DMA refuse an IOVA?
setup:
  processes:
    - name: P
      rlimits: { RLIMIT_MEMLOCK: 1M }
      mappings:
        - { name: buf, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
${CONTAINER}      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0xfee00000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: msi
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x1000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: ok
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf + 1 page, iova: 0x1000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: again
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf + 1, iova: 0x2000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ }
        as: unaligned
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0xfffffffffffff000, size: 2 pages, flags: VFIO_DMA_MAP_FLAG_READ }
        as: wrap
expect:
  v6.1: { values: { msi: -EINVAL } }
`;

describe('errno reasons', () => {
  it('MAP_DMA over the MSI window names the function, the reserved region and the usable ranges', () => {
    const o = runScenario(load(MSI), profileOrThrow('v6.1'), { trace: true });
    expect(o.values.get('msi')).toBe(-22);
    const why = o.reasons.get('msi');
    expect(why?.fn).toBe('drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid');
    expect(why?.why).toContain('touches the reserved region [0xfee00000, 0xfeefffff] (MSI window)');
    expect(why?.why).toContain('usable ranges: [0x0, 0xfedfffff], [0xfef00000,');
    expect(o.values.get('ok')).toBe(0);
    expect(o.reasons.has('ok')).toBe(false);
    expect(o.reasons.get('again')?.why).toContain('overlaps the existing mapping [0x1000, 0x1fff]');
    expect(o.reasons.get('unaligned')?.why).toContain('not aligned to the smallest IOMMU page size');
    expect(o.reasons.get('wrap')?.why).toContain('wraps past 2^64');
    // Rendered in one place: run output, --json, and a trace note.
    expect(renderOutcome(o)).toContain('why: -EINVAL from drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid (v6.1): iova [0xfee00000, 0xfee00fff]');
    const j = runJson(o) as { reasons: Record<string, { errno: number; fn: string; why: string }> };
    expect(j.reasons.msi.errno).toBe(-22);
    expect(j.reasons.msi.fn).toBe('drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid');
    expect(JSON.stringify(o.trace)).toContain('-EINVAL from drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid');
  });

  it('GUP, mmap and RLIMIT_MEMLOCK refusals say which check', () => {
    const o = runScenario(load(`question: q?
setup:
  processes:
    - name: P
      uid: 1000
      rlimits: { RLIMIT_MEMLOCK: 4K }
      mappings:
        - { name: ro, length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        - { name: buf, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
${CONTAINER}      - pin_user_pages: { start: $ro, nr_pages: 1, gup_flags: FOLL_WRITE }
        as: w
      - pin_user_pages: { start: 0x1000, nr_pages: 1, gup_flags: FOLL_WRITE }
        as: none
      - mmap: { addr: "0x800000000000", length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
        as: high
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0, size: 2 pages, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: memlock
expect:
  v6.1: { values: {} }
`), profileOrThrow('v6.1'));
    expect(o.reasons.get('w')).toMatchObject({ errno: -14, fn: 'mm/gup.c:check_vma_flags' });
    expect(o.reasons.get('w')?.why).toContain('FOLL_WRITE on a mapping without PROT_WRITE');
    expect(o.reasons.get('none')?.why).toBe('no VMA maps 0x1000');
    expect(o.reasons.get('high')).toMatchObject({ errno: -12, fn: 'mm/mmap.c:get_unmapped_area' });
    expect(o.reasons.get('memlock')).toMatchObject({ errno: -12, fn: 'drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote' });
    expect(o.reasons.get('memlock')?.why).toContain('RLIMIT_MEMLOCK (1 pages');
  });

  it('GET_INFO shows the usable IOVA ranges (the aperture minus the MSI window)', () => {
    const o = runScenario(load(MSI.replace('    steps:\n', '    steps:\n      - VFIO_IOMMU_GET_INFO: { container: $C, argsz: 1024 }\n        as: info\n')), profileOrThrow('v6.1'));
    expect(o.values.get('info')).toBe(0);
    expect(o.outputs.get('info')?.iova_ranges).toEqual(['0x0-0xfedfffff', '0xfef00000-0xffffffffffff']);
    expect(renderOutcome(o)).toContain('iova_ranges=["0x0-0xfedfffff","0xfef00000-0xffffffffffff"]');
  });
});
