/**
 * Group attach with replay (vfio_iommu_type1_attach_group → vfio_iommu_replay) and the
 * dirty-page tracking ioctl (d6a4c185660c, 5.8: VFIO_IOMMU_DIRTY_PAGES).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { EACCES, ENOTTY } from '../../../../src/linux/include/uapi/linux/errno.js';
import {
  VFIO_GROUP_SET_CONTAINER, VFIO_IOMMU_DIRTY_PAGES, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, VFIO_TYPE1_IOMMU,
} from '../../../../src/linux/include/uapi/linux/vfio.js';
import { sys_open } from '../../../../src/linux/syscalls.js';
import { iommu_iova_to_phys } from '../../../../src/linux/drivers/iommu/iommu.js';
import { PROFILES, anon_vma, ioctl, machine, map_dma, mdev_device, pci_device, prefault, run1, task, vfio_setup } from './support.js';

const VA = 0x10000000;

describe.each(PROFILES)('attach and dirty tracking on %s', (profile) => {
  const five = profile === 'v5.4' || profile === 'v5.5' || profile === 'v5.6';

  it('a mapping made in an mdev-only container is pinned and charged when a physical group joins (replay)', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 2 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 2 * PAGE_SIZE);
      const md = mdev_device(k, 'vgpu0', function* () { /* pins nothing */ });
      const fds = yield* vfio_setup(k, md);
      expect(yield* map_dma(k, fds.container, VA, 0x100000, 2 * PAGE_SIZE)).toBe(0);
      const lockedBefore = mm.locked_vm;
      const pdev = pci_device(k);
      const g2 = yield* sys_open(k, `/dev/vfio/${pdev.group.id}`, O_RDWR);
      const set = yield* ioctl(k, g2, VFIO_GROUP_SET_CONTAINER, fds.container);
      const dom = pdev.dev.iommu_group!.domain!;
      return { lockedBefore, set, locked: mm.locked_vm, mapped: iommu_iova_to_phys(dom, 0x100000) !== 0 && iommu_iova_to_phys(dom, 0x101000) !== 0 };
    });
    expect(out).toEqual({ lockedBefore: 0, set: 0, locked: 2, mapped: true });
  });

  it('VFIO_IOMMU_DIRTY_PAGES: absent before 5.8 (-ENOTTY); v1 -EACCES; START, GET_BITMAP reports every mapped page of a non-pinning group, STOP', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 4 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 4 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      yield* map_dma(k, fds.container, VA, 0, 4 * PAGE_SIZE);
      const start = yield* ioctl(k, fds.container, VFIO_IOMMU_DIRTY_PAGES, { argsz: 8, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START });
      const data = new Uint8Array(8);
      const get = yield* ioctl(k, fds.container, VFIO_IOMMU_DIRTY_PAGES, {
        argsz: 48, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
        get: { iova: 0n, size: BigInt(4 * PAGE_SIZE), bitmap: { pgsize: BigInt(PAGE_SIZE), size: 8n, data } },
      });
      const both = yield* ioctl(k, fds.container, VFIO_IOMMU_DIRTY_PAGES, { argsz: 8, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP });
      const stop = yield* ioctl(k, fds.container, VFIO_IOMMU_DIRTY_PAGES, { argsz: 8, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP });
      return { start, get, bits: data[0], both, stop };
    });
    if (five) expect(out).toEqual({ start: -ENOTTY, get: -ENOTTY, bits: 0, both: -ENOTTY, stop: -ENOTTY });
    else expect(out).toEqual({ start: 0, get: 0, bits: 0b1111, both: -22, stop: 0 });

    const m1 = machine(profile);
    const t1 = task(m1);
    const v1 = run1(m1, t1, function* (k) {
      const fds = yield* vfio_setup(k, pci_device(k), VFIO_TYPE1_IOMMU);
      return yield* ioctl(k, fds.container, VFIO_IOMMU_DIRTY_PAGES, { argsz: 8, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START });
    });
    expect(v1).toBe(five ? -ENOTTY : -EACCES);
  });
});
