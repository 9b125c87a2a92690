/**
 * External (mdev) pinning: vfio_pin_pages() from a vendor-driver kernel thread.
 * Famous bug 1: in 5.4/5.5 the remote branch of
 * vaddr_get_pfn() pins with get_user_pages_remote() WITHOUT FOLL_LONGTERM, so a page
 * sitting in a CMA pageblock is pinned in place; from 5.6 (3567813eae5e) the pin is
 * long-term and the page is migrated out of CMA first.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { is_migrate_cma_page, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { EINVAL, EPERM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { vfio_pin_pages, vfio_unpin_pages } from '../../../../src/linux/drivers/vfio/vfio.js';
import type { vfio_device } from '../../../../src/linux/drivers/vfio/vfio.js';
import { VFIO_GROUP_GET_DEVICE_FD, VFIO_DMA_MAP_FLAG_READ } from '../../../../src/linux/include/uapi/linux/vfio.js';
import { IOMMU_READ, IOMMU_WRITE } from '../../../../src/linux/drivers/iommu/iommu.js';
import { MiB, anon_vma, ioctl, machine, map_dma, mdev_device, prefault, run, task, unmap_dma, vfio_setup } from './support.js';

const VA = 0x10000000;
const IOVA = 0x40000000n;

/** CMA-only ZONE_NORMAL: anon (movable) faults land in CMA pageblocks; DMA32 serves non-CMA allocations. */
const CMA_LAYOUT = { dma32: 8 * MiB, normal: 8 * MiB, cma: 8 * MiB };

function famous1(profile: string): { inCmaBefore: boolean; ret: number; pinned: number; inCmaAfter: boolean; pteFollows: boolean; locked: number } {
  const m = machine(profile, CMA_LAYOUT);
  const qemu = task(m, { comm: 'qemu' });
  const vgpu = task(m, { comm: 'vgpu-worker', kthread: true });
  const mm = qemu.mm!;
  const vma = anon_vma(m, mm, VA, PAGE_SIZE);
  let vdev: vfio_device | null = null;
  let ready = false;
  let done = false;
  const out = { inCmaBefore: false, ret: 0, pinned: 0, inCmaAfter: false, pteFollows: false, locked: 0 };
  run(m, [
    {
      task: qemu,
      body: function* (k) {
        yield* prefault(k, mm, vma, VA, PAGE_SIZE);
        out.inCmaBefore = is_migrate_cma_page(m, pte_pfn(pt_walk(mm, VA).entry));
        const unmapped: bigint[] = [];
        vdev = mdev_device(k, 'vgpu0', function* (kk, d, iova, size) {
          unmapped.push(iova);
          yield* vfio_unpin_pages(kk, d, iova, Number(size / BigInt(PAGE_SIZE)));
        });
        const fds = yield* vfio_setup(k, vdev);
        const dfd = yield* ioctl(k, fds.group, VFIO_GROUP_GET_DEVICE_FD, 'vgpu0');
        expect(dfd).toBeGreaterThanOrEqual(0);
        expect(yield* map_dma(k, fds.container, VA, IOVA, PAGE_SIZE)).toBe(0);
        ready = true;
        // mdev-only container: MAP_DMA pins and charges nothing.
        expect(mm.locked_vm).toBe(0);
        yield* waitFor(() => done);
        out.pteFollows = pte_pfn(pt_walk(mm, VA).entry) === out.pinned;
        out.locked = mm.locked_vm;
        const un = yield* unmap_dma(k, fds.container, IOVA, PAGE_SIZE);
        expect(un.ret).toBe(0);
        expect(unmapped).toEqual([IOVA]);
        expect(mm.locked_vm).toBe(0);
      },
    },
    {
      task: vgpu,
      body: function* (k) {
        yield* waitFor(() => ready);
        const phys: number[] = [0];
        out.ret = yield* vfio_pin_pages(k, vdev!, IOVA, 1, IOMMU_READ | IOMMU_WRITE, phys);
        out.pinned = phys[0];
        out.inCmaAfter = is_migrate_cma_page(m, phys[0]);
        done = true;
      },
    },
  ]);
  return out;
}

import { waitUntil } from '../../../../src/sched/index.js';
import type { KThread } from '../../../../src/sched/index.js';
function* waitFor(cond: () => boolean): KThread<void> {
  yield* waitUntil('test:wait', { kind: 'waitqueue', object: 'test' }, cond);
}

describe('famous bug 1: remote (mdev) pin of a CMA page', () => {
  it.each(['v5.4', 'v5.5'])('%s pins the page in place, inside CMA', (p) => {
    const r = famous1(p);
    expect(r.inCmaBefore).toBe(true);
    expect(r.ret).toBe(1);
    expect(r.inCmaAfter).toBe(true);
    expect(r.pteFollows).toBe(true);
    // No IOMMU-backed domain: the external pin is what charges locked_vm.
    expect(r.locked).toBe(1);
  });

  it.each(['v5.6', 'v6.1', 'v6.12'])('%s migrates it out of CMA first; the process PTE follows the new frame', (p) => {
    const r = famous1(p);
    expect(r.inCmaBefore).toBe(true);
    expect(r.ret).toBe(1);
    expect(r.inCmaAfter).toBe(false);
    expect(r.pteFollows).toBe(true);
    expect(r.locked).toBe(1);
  });
});

describe('vfio_pin_pages checks', () => {
  it.each(['v5.4', 'v6.12'])('%s: prot wider than the mapping is -EPERM; outside any mapping -EINVAL; v1 container -EACCES-free path', (p) => {
    const m = machine(p);
    const qemu = task(m);
    const mm = qemu.mm!;
    const vma = anon_vma(m, mm, VA, 2 * PAGE_SIZE);
    const res = run(m, [{
      task: qemu,
      body: function* (k) {
        yield* prefault(k, mm, vma, VA, 2 * PAGE_SIZE);
        const vdev = mdev_device(k, 'vgpu0', function* () { /* never pins */ });
        const fds = yield* vfio_setup(k, vdev);
        yield* ioctl(k, fds.group, VFIO_GROUP_GET_DEVICE_FD, 'vgpu0');
        expect(yield* map_dma(k, fds.container, VA, IOVA, PAGE_SIZE, VFIO_DMA_MAP_FLAG_READ)).toBe(0);
        const phys = [0];
        const eperm = yield* vfio_pin_pages(k, vdev, IOVA, 1, IOMMU_READ | IOMMU_WRITE, phys);
        const einval = yield* vfio_pin_pages(k, vdev, IOVA + BigInt(PAGE_SIZE), 1, IOMMU_READ, phys);
        const ok = yield* vfio_pin_pages(k, vdev, IOVA, 1, IOMMU_READ, phys);
        const again = yield* vfio_pin_pages(k, vdev, IOVA, 1, IOMMU_READ, phys);
        const locked = mm.locked_vm;
        return { eperm, einval, ok, again, locked };
      },
    }]).results[0];
    expect(res).toEqual({ eperm: -EPERM, einval: -EINVAL, ok: 1, again: 1, locked: 1 });
    void O_RDWR;
  });
});
