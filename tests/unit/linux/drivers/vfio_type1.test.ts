/**
 * VFIO type1 MAP_DMA / UNMAP_DMA basics and locked_vm accounting, per profile.
 * Expected values come from vfio_iommu_type1.c of each release (5.4.1, 5.6.4, Debian
 * 6.1.192, 6.12.117); see the comment on each case.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { page_count, page_content, set_page_content } from '../../../../src/linux/include/linux/mm.js';
import { CAP_IPC_LOCK } from '../../../../src/linux/include/linux/sched.js';
import { EEXIST, EFAULT, EINVAL, ENOMEM, ENOSPC } from '../../../../src/linux/include/uapi/linux/errno.js';
import { iommu_iova_to_phys } from '../../../../src/linux/drivers/iommu/iommu.js';
import { vfio_subsys_of } from '../../../../src/linux/drivers/vfio/vfio.js';
import { vfio_container_from_file } from '../../../../src/linux/drivers/vfio/container.js';
import { fget, fput } from '../../../../src/linux/include/linux/fs.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { KThread } from '../../../../src/sched/index.js';
import type { vfio_iommu } from '../../../../src/linux/drivers/vfio/vfio_iommu_type1.js';
import { VFIO_TYPE1_IOMMU } from '../../../../src/linux/include/uapi/linux/vfio.js';
import { PROFILES, anon_vma, machine, map_dma, pci_device, prefault, run1, task, unmap_dma, vfio_setup } from './support.js';

const VA = 0x10000000;

function* iommu_of(k: Kctx, fd: number): KThread<vfio_iommu> {
  const f = fget(k, fd);
  if (f === null) throw new Error('test bug');
  const c = vfio_container_from_file(f);
  yield* fput(k, f);
  if (c === null || c.iommu_data === null) throw new Error('test bug: no iommu');
  return c.iommu_data;
}

describe.each(PROFILES)('VFIO type1 MAP/UNMAP on %s', (profile) => {
  it('maps 4 prefaulted anon pages: pins them, charges 4 pages, IOMMU translates iova to their frames; unmap undoes all', () => {
    const m = machine(profile);
    const t = task(m, { memlock: 64 * 1024 });
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 4 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 4 * PAGE_SIZE);
      const vdev = pci_device(k);
      const fds = yield* vfio_setup(k, vdev);
      const iommu = yield* iommu_of(k, fds.container);
      const pfns: number[] = [];
      const refsBefore: number[] = [];
      for (let i = 0; i < 4; i++) {
        const d = iommu.domain_list[0].domain;
        void d;
      }
      const ret = yield* map_dma(k, fds.container, VA, 0x100000, 4 * PAGE_SIZE);
      const dom = iommu.domain_list[0].domain;
      for (let i = 0; i < 4; i++) pfns.push(iommu_iova_to_phys(dom, 0x100000 + i * PAGE_SIZE) / PAGE_SIZE);
      const locked = mm.locked_vm;
      for (const p of pfns) refsBefore.push(page_count(m, p));
      const un = yield* unmap_dma(k, fds.container, 0x100000, 4 * PAGE_SIZE);
      const after = pfns.map((p) => page_count(m, p));
      return { ret, pfns, locked, refsBefore, un, after, lockedAfter: mm.locked_vm, mapped: dom.mapped_pages };
    });
    expect(out.ret).toBe(0);
    expect(out.locked).toBe(4);
    expect(out.pfns.every((p) => p > 0)).toBe(true);
    // Each frame: mapped once by the process (1 ref) + the VFIO pin (1 ref on 5.4/5.6, GUP_PIN_COUNTING_BIAS on 6.x).
    for (const r of out.refsBefore) expect(r).toBeGreaterThan(1);
    expect(out.un).toEqual({ ret: 0, size: BigInt(4 * PAGE_SIZE) });
    expect(out.after).toEqual([1, 1, 1, 1]);
    expect(out.lockedAfter).toBe(0);
    expect(out.mapped).toBe(0);
  });

  it('the IOMMU entry points at the frame the process wrote (device sees the process data)', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, PAGE_SIZE);
    const tag = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      const iommu = yield* iommu_of(k, fds.container);
      expect(yield* map_dma(k, fds.container, VA, 0, PAGE_SIZE)).toBe(0);
      const pfn = iommu_iova_to_phys(iommu.domain_list[0].domain, 0) / PAGE_SIZE;
      set_page_content(m, pfn, 'hello');
      return page_content(m, pfn);
    });
    expect(tag).toBe('hello');
  });

  it('RLIMIT_MEMLOCK: exactly reached is OK, one page more is -ENOMEM with nothing left pinned or charged', () => {
    const m = machine(profile);
    const t = task(m, { memlock: 4 * PAGE_SIZE });
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 8 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 8 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      const iommu = yield* iommu_of(k, fds.container);
      const a = yield* map_dma(k, fds.container, VA, 0, 4 * PAGE_SIZE);
      const lockedA = mm.locked_vm;
      const b = yield* map_dma(k, fds.container, VA + 4 * PAGE_SIZE, 0x100000, PAGE_SIZE);
      return { a, lockedA, b, lockedB: mm.locked_vm, n: iommu.dma_list.length, avail: iommu.dma_avail, mapped: iommu.domain_list[0].domain.mapped_pages };
    });
    expect(out.a).toBe(0);
    expect(out.lockedA).toBe(4);
    expect(out.b).toBe(-ENOMEM);
    expect(out.lockedB).toBe(4);
    expect(out.n).toBe(1);
    expect(out.avail).toBe(65534);
    expect(out.mapped).toBe(4);
  });

  it('CAP_IPC_LOCK ignores the limit but still counts', () => {
    const m = machine(profile);
    const t = task(m, { memlock: PAGE_SIZE, caps: [CAP_IPC_LOCK] });
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 8 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 8 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      return { ret: yield* map_dma(k, fds.container, VA, 0, 8 * PAGE_SIZE), locked: mm.locked_vm };
    });
    expect(out).toEqual({ ret: 0, locked: 8 });
  });

  it('the same vaddr mapped at two iovas is charged twice; mlock shares the counter', () => {
    const m = machine(profile);
    const t = task(m, { memlock: 64 * PAGE_SIZE });
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 4 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 4 * PAGE_SIZE);
      mm.locked_vm += 60; // as if mlock() had locked 60 pages elsewhere (the same counter)
      const fds = yield* vfio_setup(k, pci_device(k));
      const a = yield* map_dma(k, fds.container, VA, 0, 2 * PAGE_SIZE);
      const b = yield* map_dma(k, fds.container, VA, 0x100000, 2 * PAGE_SIZE);
      const locked = mm.locked_vm;
      const c = yield* map_dma(k, fds.container, VA, 0x200000, PAGE_SIZE);
      return { a, b, locked, c };
    });
    expect(out.a).toBe(0);
    expect(out.b).toBe(0);
    expect(out.locked).toBe(64);
    expect(out.c).toBe(-ENOMEM);
  });

  it('a hole in the range fails -EFAULT and leaves nothing mapped, pinned or charged', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 2 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 2 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      const iommu = yield* iommu_of(k, fds.container);
      const pfn0 = 0;
      void pfn0;
      const ret = yield* map_dma(k, fds.container, VA, 0, 4 * PAGE_SIZE);
      return { ret, locked: mm.locked_vm, n: iommu.dma_list.length, mapped: iommu.domain_list[0].domain.mapped_pages, avail: iommu.dma_avail };
    });
    expect(out).toEqual({ ret: -EFAULT, locked: 0, n: 0, mapped: 0, avail: 65535 });
  });

  it('validation: size 0, unaligned, wrap, overlap, dma_entry_limit', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 4 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 4 * PAGE_SIZE);
      vfio_subsys_of(k).params.dma_entry_limit = 1;
      const fds = yield* vfio_setup(k, pci_device(k));
      const c = fds.container;
      return {
        size0: yield* map_dma(k, c, VA, 0, 0),
        unaligned: yield* map_dma(k, c, VA + 1, 0, PAGE_SIZE),
        wrap: yield* map_dma(k, c, VA, (1n << 64n) - BigInt(PAGE_SIZE), 2 * PAGE_SIZE),
        flags0: yield* map_dma(k, c, VA, 0, PAGE_SIZE, 0),
        ok: yield* map_dma(k, c, VA, 0, PAGE_SIZE),
        overlap: yield* map_dma(k, c, VA + PAGE_SIZE, 0, PAGE_SIZE),
        limit: yield* map_dma(k, c, VA + PAGE_SIZE, 0x10000, PAGE_SIZE),
      };
    });
    expect(out).toEqual({ size0: -EINVAL, unaligned: -EINVAL, wrap: -EINVAL, flags0: -EINVAL, ok: 0, overlap: -EEXIST, limit: -ENOSPC });
  });

  it('v2 refuses to bisect a mapping; v1 unmapping from inside a mapping unmaps nothing; an empty range unmaps 0 bytes', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 4 * PAGE_SIZE);
    const v2 = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 4 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      yield* map_dma(k, fds.container, VA, 0, 4 * PAGE_SIZE);
      const bisect = yield* unmap_dma(k, fds.container, PAGE_SIZE, PAGE_SIZE);
      const empty = yield* unmap_dma(k, fds.container, 0x100000, PAGE_SIZE);
      const all = yield* unmap_dma(k, fds.container, 0, 0x200000);
      return { bisect, empty, all, locked: mm.locked_vm };
    });
    expect(v2.bisect.ret).toBe(-EINVAL);
    expect(v2.empty).toEqual({ ret: 0, size: 0n });
    expect(v2.all).toEqual({ ret: 0, size: BigInt(4 * PAGE_SIZE) });
    expect(v2.locked).toBe(0);

    const m1 = machine(profile);
    const t1 = task(m1);
    const mm1 = t1.mm!;
    const vma1 = anon_vma(m1, mm1, VA, 4 * PAGE_SIZE);
    const v1 = run1(m1, t1, function* (k) {
      yield* prefault(k, mm1, vma1, VA, 4 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k), VFIO_TYPE1_IOMMU);
      yield* map_dma(k, fds.container, VA, 0, 4 * PAGE_SIZE);
      const inside = yield* unmap_dma(k, fds.container, PAGE_SIZE, PAGE_SIZE);
      const first = yield* unmap_dma(k, fds.container, 0, PAGE_SIZE);
      return { inside, first, locked: mm1.locked_vm };
    });
    // v1: a request starting inside a mapping succeeds with size 0; one covering its first iova removes it whole.
    expect(v1.inside).toEqual({ ret: 0, size: 0n });
    expect(v1.first).toEqual({ ret: 0, size: BigInt(4 * PAGE_SIZE) });
    expect(v1.locked).toBe(0);
  });
});
