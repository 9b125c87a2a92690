/**
 * drivers/iommu/iommu.ts: the I/O page table (iommu_map / iommu_unmap /
 * iommu_iova_to_phys), page-size splitting, large-leaf unmap, reserved regions and
 * DMA ownership. Expected values from drivers/iommu/iommu.c (__iommu_map,
 * __iommu_unmap, iommu_pgsize) and intel/iommu.c (intel_iommu_unmap) of 6.12.117.
 */
import { describe, expect, it } from 'vitest';
import { DefaultChooser, Sched } from '../../../../src/sched/index.js';
import { resolveProfile } from '../../../../src/profiles/index.js';
import { Kctx } from '../../../../src/linux/kctx.js';
import { Machine } from '../../../../src/linux/machine.js';
import {
  IOAPIC_RANGE_START, IOMMU_READ, IOMMU_RESV_MSI, IOMMU_WRITE, iommu_contiguous_bytes, iommu_domain_alloc,
  iommu_get_group_resv_regions, iommu_group_alloc, iommu_group_claim_dma_owner, iommu_iova_prot, iommu_iova_to_phys,
  iommu_map, iommu_unmap, iommu_unmapped_bytes,
} from '../../../../src/linux/drivers/iommu/iommu.js';
import type { device } from '../../../../src/linux/drivers/iommu/iommu.js';
import { createTask } from '../../../../src/linux/kernel/fork.js';
import { EBUSY, EINVAL, EPERM } from '../../../../src/linux/include/uapi/linux/errno.js';

const K4 = 0x1000;
const M2 = 0x200000;
const G1 = 0x40000000;

function ctx(): Kctx {
  const r = resolveProfile('v6.12');
  if (!r.ok) throw new Error('test bug');
  const m = new Machine(r.profile);
  const s = new Sched({ chooser: new DefaultChooser() });
  return new Kctx(m, s, 0 as never, createTask(m, { comm: 'test' }));
}

describe('iommu domain page table', () => {
  it('iommu_unmapped_bytes: the bytes from an unmapped iova that the table leaves unmapped for certain', () => {
    const k = ctx();
    const d = iommu_domain_alloc(k);
    expect(iommu_map(k, d, G1 + M2 + 3 * K4, 0x5000_0000, K4, IOMMU_READ)).toBe(0);
    // No table for the GiB: to its end.
    expect(iommu_unmapped_bytes(d, 5 * K4)).toBe(G1 - 5 * K4);
    // A GiB with a table, a 2 MiB range without one: to the end of that range.
    expect(iommu_unmapped_bytes(d, G1 + K4)).toBe(M2 - K4);
    // A 4 KiB table with a hole: one page; what it reports is unmapped, page by page.
    expect(iommu_unmapped_bytes(d, G1 + M2)).toBe(K4);
    for (const iova of [5 * K4, G1 + K4, G1 + M2, G1 + M2 + 4 * K4]) {
      const n = iommu_unmapped_bytes(d, iova);
      for (let a = iova; a < iova + n; a += K4) expect(iommu_iova_to_phys(d, a)).toBe(0);
    }
  });

  it('maps 4K pages and translates iova to phys; unmapped iova is 0', () => {
    const k = ctx();
    const d = iommu_domain_alloc(k);
    expect(iommu_map(k, d, 0x10000, 0x5000_0000, 2 * K4, IOMMU_READ | IOMMU_WRITE)).toBe(0);
    expect(iommu_iova_to_phys(d, 0x10000)).toBe(0x5000_0000);
    expect(iommu_iova_to_phys(d, 0x11234)).toBe(0x5000_1234);
    expect(iommu_iova_to_phys(d, 0x12000)).toBe(0);
    expect(iommu_iova_prot(d, 0x10000)).toBe(IOMMU_READ | IOMMU_WRITE);
    expect(d.mapped_pages).toBe(2);
  });

  it('rejects misaligned iova/paddr/size and a mapping without READ or WRITE', () => {
    const k = ctx();
    const d = iommu_domain_alloc(k);
    expect(iommu_map(k, d, 0x10001, 0, K4, IOMMU_READ)).toBe(-EINVAL);
    expect(iommu_map(k, d, 0x10000, 0x800, K4, IOMMU_READ)).toBe(-EINVAL);
    expect(iommu_map(k, d, 0x10000, 0, 0x1800, IOMMU_READ)).toBe(-EINVAL);
    expect(iommu_map(k, d, 0x10000, 0, K4, 0)).toBe(-EINVAL);
    expect(d.mapped_pages).toBe(0);
  });

  it('uses the largest page size the alignment allows (1 GiB leaf), and a 4K unmap inside it removes the whole leaf', () => {
    const k = ctx();
    const d = iommu_domain_alloc(k);
    expect(iommu_map(k, d, G1, 4 * G1, G1 + M2, IOMMU_READ)).toBe(0);
    expect(d.pud.size).toBe(2);
    expect(typeof d.pud.get(1)).toBe('number');
    expect(iommu_contiguous_bytes(d, G1, 8 * G1)).toBe(G1 + M2);
    expect(iommu_iova_to_phys(d, G1 + G1 - K4)).toBe(4 * G1 + G1 - K4);
    // intel_iommu_unmap: a request smaller than the leaf unmaps the whole leaf and says so.
    expect(iommu_unmap(k, d, G1, K4)).toBe(G1);
    expect(iommu_iova_to_phys(d, G1)).toBe(0);
    expect(iommu_iova_to_phys(d, 2 * G1)).toBe(5 * G1);
    // A hole stops the unmap.
    expect(iommu_unmap(k, d, 2 * G1 + M2, K4)).toBe(0);
    expect(iommu_unmap(k, d, 2 * G1, M2)).toBe(M2);
    expect(d.mapped_pages).toBe(0);
  });

  it('refuses to map over a present entry (-EBUSY, WARN) and unwinds the part it mapped', () => {
    const k = ctx();
    const d = iommu_domain_alloc(k);
    expect(iommu_map(k, d, 2 * K4, 0x100000, K4, IOMMU_READ)).toBe(0);
    expect(iommu_map(k, d, 0, 0x200000, 4 * K4, IOMMU_READ)).toBe(-EBUSY);
    expect(k.m.reports.some((r) => r.kind === 'warn')).toBe(true);
    expect(iommu_iova_to_phys(d, 0)).toBe(0);
    expect(iommu_iova_to_phys(d, 2 * K4)).toBe(0x100000);
    expect(d.mapped_pages).toBe(1);
  });

  it('contiguity stops where physical addresses stop following', () => {
    const k = ctx();
    const d = iommu_domain_alloc(k);
    iommu_map(k, d, 0, 0x100000, 2 * K4, IOMMU_READ);
    iommu_map(k, d, 2 * K4, 0x300000, K4, IOMMU_READ);
    expect(iommu_contiguous_bytes(d, 0, 16 * K4)).toBe(2 * K4);
    expect(iommu_contiguous_bytes(d, 2 * K4, 16 * K4)).toBe(K4);
  });
});

describe('iommu groups', () => {
  it('a physical group reports the x86 MSI window as a reserved region; an mdev group none', () => {
    const k = ctx();
    const a: device = { name: 'a', bus: 'pci', iommu_group: null, driver: 'vfio-pci', driver_managed_dma: true };
    const b: device = { name: 'b', bus: 'mdev', iommu_group: null, driver: 'vfio-mdev', driver_managed_dma: true };
    const ga = iommu_group_alloc(k, [a]);
    const gb = iommu_group_alloc(k, [b], { emulated: true });
    expect(iommu_get_group_resv_regions(ga)).toEqual([{ start: IOAPIC_RANGE_START, length: 0x100000, prot: 0, type: IOMMU_RESV_MSI }]);
    expect(iommu_get_group_resv_regions(gb)).toEqual([]);
  });

  it('DMA ownership can not be claimed while a device of the group is bound to a host driver', () => {
    const k = ctx();
    const a: device = { name: 'a', bus: 'pci', iommu_group: null, driver: 'vfio-pci', driver_managed_dma: true };
    const h: device = { name: 'h', bus: 'pci', iommu_group: null, driver: 'e1000e', driver_managed_dma: false };
    const g = iommu_group_alloc(k, [a, h]);
    expect(iommu_group_claim_dma_owner(k, g, 'me')).toBe(-EPERM);
    const g2 = iommu_group_alloc(k, [{ ...a, name: 'a2' }]);
    expect(iommu_group_claim_dma_owner(k, g2, 'me')).toBe(0);
    expect(iommu_group_claim_dma_owner(k, g2, 'you')).toBe(-EPERM);
  });
});
