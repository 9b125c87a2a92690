/**
 * The edu DMA device through the IOMMU, and mappings of the device's own BAR
 * (VM_PFNMAP: mapped into the IOMMU, never pinned, never charged).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { page_content, pt_walk, set_page_content } from '../../../../src/linux/include/linux/mm.js';
import { MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { sys_mmap, sys_munmap } from '../../../../src/linux/syscalls.js';
import { edu_create, edu_dma_read, edu_dma_write } from '../../../../src/linux/drivers/misc/edu.js';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_GROUP_GET_DEVICE_FD } from '../../../../src/linux/include/uapi/linux/vfio.js';
import { VFIO_PCI_OFFSET_SHIFT } from '../../../../src/linux/drivers/vfio/group.js';
import { MiB, PROFILES, anon_vma, ioctl, machine, map_dma, prefault, run1, task, unmap_dma, vfio_setup } from './support.js';

const VA = 0x10000000;

describe.each(PROFILES)('edu DMA on %s', (profile) => {
  it('DMA lands in the pinned frame; after munmap + a new mapping at the same address the device still writes the old frame', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, PAGE_SIZE);
      const edu = edu_create(k, 'edu0');
      const fds = yield* vfio_setup(k, edu.vdev);
      const before = edu_dma_write(k, edu, 0x1000, 'blocked?');
      expect(yield* map_dma(k, fds.container, VA, 0x1000, PAGE_SIZE)).toBe(0);
      const oldPfn = pte_pfn(pt_walk(mm, VA).entry);
      const w1 = edu_dma_write(k, edu, 0x1000, 'dma-1');
      const seen1 = page_content(m, oldPfn);
      expect(yield* sys_munmap(k, VA, PAGE_SIZE)).toBe(0);
      const va2 = anon_vma(m, mm, VA, PAGE_SIZE);
      yield* prefault(k, mm, va2, VA, PAGE_SIZE);
      const newPfn = pte_pfn(pt_walk(mm, VA).entry);
      const w2 = edu_dma_write(k, edu, 0x1000, 'dma-2');
      const un = yield* unmap_dma(k, fds.container, 0x1000, PAGE_SIZE);
      const after = edu_dma_write(k, edu, 0x1000, 'late');
      return { before, w1, seen1, oldPfn, newPfn, w2, processSees: page_content(m, newPfn), un, after };
    });
    expect(out.before).toMatchObject({ ok: false, fault: 'not-mapped' });
    expect(out.w1).toMatchObject({ ok: true, pfn: out.oldPfn });
    expect(out.seen1).toBe('dma-1');
    expect(out.newPfn).not.toBe(out.oldPfn);
    expect(out.w2).toMatchObject({ ok: true, pfn: out.oldPfn });
    expect(out.processSees).toBe('');
    expect(out.un.ret).toBe(0);
    expect(out.after).toMatchObject({ ok: false, fault: 'not-mapped' });
  });

  it('a device write to a READ-only mapping is blocked; a read works', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, PAGE_SIZE);
      set_page_content(m, pte_pfn(pt_walk(mm, VA).entry), 'guest');
      const edu = edu_create(k, 'edu0');
      const fds = yield* vfio_setup(k, edu.vdev);
      expect(yield* map_dma(k, fds.container, VA, 0, PAGE_SIZE, VFIO_DMA_MAP_FLAG_READ)).toBe(0);
      return { w: edu_dma_write(k, edu, 0, 'x'), r: edu_dma_read(k, edu, 0) };
    });
    expect(out.w).toMatchObject({ ok: false, fault: 'no-permission' });
    expect(out.r).toMatchObject({ ok: true, data: 'guest' });
  });

  it('MAP_DMA of the device BAR mmapped (VM_PFNMAP): mapped into the IOMMU, not pinned, not charged', () => {
    const m = machine(profile, { dma32: 64 * MiB, normal: 256 * MiB, bars: [{ name: 'edu0-bar0', size: MiB }] });
    const t = task(m, { memlock: 0 });
    const out = run1(m, t, function* (k) {
      const edu = edu_create(k, 'edu0', 'edu0-bar0');
      const fds = yield* vfio_setup(k, edu.vdev);
      const dfd = yield* ioctl(k, fds.group, VFIO_GROUP_GET_DEVICE_FD, 'edu0');
      const addr = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0 * 2 ** VFIO_PCI_OFFSET_SHIFT);
      const ret = yield* map_dma(k, fds.container, addr, 0x100000, 4 * PAGE_SIZE);
      const iommu = m.iommu!;
      void iommu;
      const p2p = edu_dma_read(k, edu, 0x100000 + PAGE_SIZE);
      const un = yield* unmap_dma(k, fds.container, 0x100000, 4 * PAGE_SIZE);
      return { addr, ret, locked: t.mm!.locked_vm, p2p, un, bar: edu.bar0 };
    });
    expect(out.addr).toBeGreaterThan(0);
    // RLIMIT_MEMLOCK is 0: any charge would fail; reserved pfns are never charged.
    expect(out.ret).toBe(0);
    expect(out.locked).toBe(0);
    // The IOMMU maps BAR frames (no struct page): the device reaches no RAM there.
    expect(out.p2p).toMatchObject({ ok: false, fault: 'no-memory' });
    expect(out.un).toEqual({ ret: 0, size: BigInt(4 * PAGE_SIZE) });
  });
});
