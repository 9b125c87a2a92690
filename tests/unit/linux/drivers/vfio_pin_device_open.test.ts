/**
 * vfio_pin_pages() through a device nobody has open (registry: vfio-pin-pages-device-open,
 * eadd86f835c6, v5.19). Before it the call takes a container user of the group (which the
 * group's VFIO_GROUP_SET_CONTAINER already holds) and type1 then refuses: no DMA-unmap
 * notifier is registered, which a vendor driver does when its device is opened (5.15.24
 * vfio_iommu_type1_pin_pages: -EINVAL, no warning). From 5.19 vfio_assert_device_open()
 * refuses first, with a WARN.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { EINVAL } from '../../../../src/linux/include/uapi/linux/errno.js';
import { vfio_pin_pages } from '../../../../src/linux/drivers/vfio/vfio.js';
import { VFIO_GROUP_GET_DEVICE_FD } from '../../../../src/linux/include/uapi/linux/vfio.js';
import { IOMMU_READ, IOMMU_WRITE } from '../../../../src/linux/drivers/iommu/iommu.js';
import { anon_vma, ioctl, machine, map_dma, mdev_device, prefault, run, task, vfio_setup } from './support.js';

const VA = 0x10000000;
const IOVA = 0x40000000n;

/** Pin one page of a mapped range through an mdev whose device fd is opened only if `open`. */
function pinThrough(profile: string, open: boolean): { ret: number; warnings: number; locked: number } {
  const m = machine(profile);
  const qemu = task(m, { comm: 'qemu' });
  const mm = qemu.mm!;
  const vma = anon_vma(m, mm, VA, PAGE_SIZE);
  const out = run(m, [{
    task: qemu,
    body: function* (k) {
      yield* prefault(k, mm, vma, VA, PAGE_SIZE);
      const vdev = mdev_device(k, 'vgpu0', function* () { /* the test unpins nothing */ });
      const fds = yield* vfio_setup(k, vdev);
      if (open) expect(yield* ioctl(k, fds.group, VFIO_GROUP_GET_DEVICE_FD, 'vgpu0')).toBeGreaterThanOrEqual(0);
      expect(yield* map_dma(k, fds.container, VA, IOVA, PAGE_SIZE)).toBe(0);
      const warnsBefore = k.m.reports.filter((r) => r.kind === 'warn').length;
      const ret = yield* vfio_pin_pages(k, vdev, IOVA, 1, IOMMU_READ | IOMMU_WRITE, [0]);
      return { ret, warnings: k.m.reports.filter((r) => r.kind === 'warn').length - warnsBefore, locked: mm.locked_vm };
    },
  }]).results[0] as { ret: number; warnings: number; locked: number };
  return out;
}

describe('vfio_pin_pages() through a device that is not open', () => {
  it('5.15: the container user is taken, type1 finds no notifier: -EINVAL without a warning', () => {
    expect(pinThrough('v5.15', false)).toEqual({ ret: -EINVAL, warnings: 0, locked: 0 });
  });

  it.each(['v6.1', 'v6.12'])('%s: vfio_assert_device_open() WARNs and the pin is -EINVAL', (p) => {
    expect(pinThrough(p, false)).toEqual({ ret: -EINVAL, warnings: 1, locked: 0 });
  });

  it('6.1 without eadd86f835c6 refuses as 5.15 does, without the warning', () => {
    expect(pinThrough('v6.1-vfio-pin-pages-device-open', false)).toEqual({ ret: -EINVAL, warnings: 0, locked: 0 });
  });

  it.each(['v5.15', 'v6.1'])('%s: an open device pins', (p) => {
    expect(pinThrough(p, true)).toEqual({ ret: 1, warnings: 0, locked: 1 });
  });
});
