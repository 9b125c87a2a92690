/**
 * drivers/vfio/device_cdev.c + iommufd.c (Debian linux-source-6.12 6.12.118, CONFIG_VFIO_DEVICE_CDEV):
 * /dev/vfio/devices/vfioN, the per-device char device a VMM binds to an iommufd without any
 * group or container.
 *
 * An open cdev file has no access to the device until VFIO_DEVICE_BIND_IOMMUFD (every other
 * ioctl is -EINVAL before it). Bind blocks the group path (-EBUSY while the group file is
 * open) and opens the device on the iommufd: a physical device becomes an iommufd_device (the
 * group's DMA ownership is claimed), an emulated (mdev) device an iommufd access object whose
 * unmap op is the vendor driver's dma_unmap. VFIO_DEVICE_ATTACH_IOMMUFD_PT attaches it to an
 * IOAS or hwpt (pt_id written back: the hwpt used); DETACH undoes it; close unbinds.
 *
 * vfio_pin_pages()/vfio_unpin_pages() of a device opened this way go to iommufd
 * (iommufd_access_pin_pages), not to a container: vfio_iommufd_pin_pages below is the branch
 * vfio_main.c takes when device->iommufd_access is set.
 *
 * MODEL: re-attaching an attached physical device (iommufd_device_replace) is modelled as
 * detach + attach; no KVM reference, no dev_set locking beyond the calls' own locks.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { IS_ENABLED } from '../../kctx.js';
import { EBUSY, EFAULT, EINVAL, ENODEV, ENOTTY } from '../../include/uapi/linux/errno.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import type { vm_area_struct } from '../../include/linux/mm_types.js';
import { PAGE_SIZE } from '../../include/linux/mm_types.js';
import { chrdev_create } from '../../fs/chrdev.js';
import {
  VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_BIND_IOMMUFD_MINSZ,
  VFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ,
} from '../../include/uapi/linux/iommufd.js';
import type {
  vfio_device_attach_iommufd_pt, vfio_device_bind_iommufd, vfio_device_detach_iommufd_pt,
} from '../../include/uapi/linux/iommufd.js';
import type { iommufd_access, iommufd_ctx, iommufd_device } from '../iommu/iommufd/iommufd_private.js';
import { iommufd_ctx_from_fd, iommufd_ctx_put } from '../iommu/iommufd/main.js';
import {
  iommufd_access_attach, iommufd_access_detach, iommufd_access_pin_pages, iommufd_access_unpin_pages,
  iommufd_device_attach, iommufd_device_bind, iommufd_device_detach, iommufd_device_unbind,
} from '../iommu/iommufd/device.js';
import { vfio_iommufd_emulated_bind, vfio_iommufd_emulated_unbind } from './iommufd.js';
import type { vfio_device } from './vfio.js';
import { vfio_pci_core_mmap } from './group.js';

const FILE = 'drivers/vfio/device_cdev.c';

/** struct vfio_device_file (the cdev side). */
export interface vfio_device_file {
  readonly device: vfio_device;
  iommufd: iommufd_ctx | null;
  /** The iommufd file reference the bind holds. */
  iommufd_file: file | null;
  access_granted: boolean;
  idev: iommufd_device | null;
  access: iommufd_access | null;
}

/**
 * vfio_init_device_cdev() + cdev_device_add(): the device's node /dev/vfio/devices/vfioN (N in
 * registration order), when CONFIG_VFIO_DEVICE_CDEV. Returns the path, or null.
 */
export function vfio_device_cdev_add(k: Kctx, vdev: vfio_device): string | null {
  if (!IS_ENABLED(k, 'CONFIG_VFIO_DEVICE_CDEV')) return null;
  const n = k.m.nextId('vfio_device_cdev') - 1;
  const path = `/dev/vfio/devices/vfio${n}`;
  chrdev_create(k.m, path, vfio_device_cdev_fops, vdev);
  return path;
}

/** vfio_device_fops_cdev_open(): a device file with no access yet. */
function* vfio_device_fops_cdev_open(k: Kctx, i: inode, f: file): KThread<number> {
  const vdev = i.i_private as vfio_device | null;
  if (vdev === null) return -ENODEV;
  const df: vfio_device_file = { device: vdev, iommufd: null, iommufd_file: null, access_granted: false, idev: null, access: null };
  f.private_data = df;
  k.m.event(k.tid, 'vfio-cdev-open', [`dev:${vdev.dev.name}`, `file:${f.id}`], `${FILE}:vfio_device_fops_cdev_open`);
  return 0;
}

/**
 * VFIO_DEVICE_BIND_IOMMUFD: argsz < 16, flags, or a negative fd → -EINVAL; the group file
 * open → -EBUSY; bound already → -EINVAL; not an iommufd → -EBADF / -EBADFD.
 */
function* vfio_df_ioctl_bind_iommufd(k: Kctx, df: vfio_device_file, bind: vfio_device_bind_iommufd | null): KThread<number> {
  if (bind === null) return -EFAULT;
  if (bind.argsz < VFIO_DEVICE_BIND_IOMMUFD_MINSZ || bind.flags || bind.iommufd < 0) return -EINVAL;
  const vdev = df.device;
  // vfio_device_block_group(): the group path is closed while a cdev is bound.
  if (vdev.group.opened_file !== null) return -EBUSY;
  if (df.access_granted) return -EINVAL;
  const r = iommufd_ctx_from_fd(k, bind.iommufd);
  if (typeof r === 'number') return r;
  // vfio_df_open() -> vfio_df_iommufd_bind(): physical devices bind, emulated ones get an access.
  let devid: number;
  if (!vdev.group.emulated) {
    const idev = iommufd_device_bind(k, r.ictx, vdev.group.iommu_group);
    if (typeof idev === 'number') {
      yield* iommufd_ctx_put(k, r.f);
      return idev;
    }
    df.idev = idev;
    devid = idev.obj.id;
  } else {
    const access = vfio_iommufd_emulated_bind(vdev, r.ictx);
    df.access = access;
    devid = access.obj.id;
  }
  df.iommufd = r.ictx;
  df.iommufd_file = r.f;
  vdev.open_count++;
  bind.out_devid = devid;
  df.access_granted = true;
  k.m.event(k.tid, 'vfio-bind-iommufd', [`dev:${vdev.dev.name}`, `ictx:${r.ictx.id}`], `${FILE}:vfio_df_ioctl_bind_iommufd`, devid);
  return 0;
}

/** VFIO_DEVICE_ATTACH_IOMMUFD_PT: argsz < 12 or flags → -EINVAL; pt_id returns the hwpt attached. */
function* vfio_df_ioctl_attach_pt(k: Kctx, df: vfio_device_file, attach: vfio_device_attach_iommufd_pt | null): KThread<number> {
  if (attach === null) return -EFAULT;
  if (attach.argsz < VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ || attach.flags) return -EINVAL;
  if (df.idev !== null) {
    if (df.idev.hwpt !== null) yield* iommufd_device_detach(k, df.idev);
    const pt = { v: attach.pt_id };
    const rc = yield* iommufd_device_attach(k, df.idev, pt);
    if (!rc) attach.pt_id = pt.v;
    return rc;
  }
  if (df.access !== null) {
    if (df.access.ioas !== null) return -EBUSY;
    return yield* iommufd_access_attach(k, df.access, attach.pt_id);
  }
  return -EINVAL;
}

/** VFIO_DEVICE_DETACH_IOMMUFD_PT: argsz < 8 or flags → -EINVAL. */
function* vfio_df_ioctl_detach_pt(k: Kctx, df: vfio_device_file, detach: vfio_device_detach_iommufd_pt | null): KThread<number> {
  if (detach === null) return -EFAULT;
  if (detach.argsz < VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ || detach.flags) return -EINVAL;
  if (df.idev !== null) yield* iommufd_device_detach(k, df.idev);
  if (df.access !== null) yield* iommufd_access_detach(k, df.access);
  return 0;
}

function* vfio_device_cdev_ioctl(k: Kctx, f: file, cmd: number, arg: unknown): KThread<number> {
  const df = f.private_data as vfio_device_file | null;
  if (df === null) return -ENODEV;
  if (cmd === VFIO_DEVICE_BIND_IOMMUFD) return yield* vfio_df_ioctl_bind_iommufd(k, df, arg as vfio_device_bind_iommufd | null);
  if (!df.access_granted) return -EINVAL;
  switch (cmd) {
    case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
      return yield* vfio_df_ioctl_attach_pt(k, df, arg as vfio_device_attach_iommufd_pt | null);
    case VFIO_DEVICE_DETACH_IOMMUFD_PT:
      return yield* vfio_df_ioctl_detach_pt(k, df, arg as vfio_device_detach_iommufd_pt | null);
    default:
      return -ENOTTY;
  }
}

/** vfio_device_fops_release() of a cdev file: vfio_df_unbind_iommufd(). */
function* vfio_device_cdev_release(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const df = f.private_data as vfio_device_file | null;
  if (df === null || !df.access_granted) return 0;
  if (df.idev !== null) {
    yield* iommufd_device_detach(k, df.idev);
    yield* iommufd_device_unbind(k, df.idev);
  }
  if (df.access !== null) yield* vfio_iommufd_emulated_unbind(k, df.device, df.access);
  df.device.open_count--;
  df.access_granted = false;
  if (df.iommufd_file !== null) yield* iommufd_ctx_put(k, df.iommufd_file);
  return 0;
}

/** mmap of the device's BARs (vfio_pci_core_mmap), once access was granted. */
function* vfio_device_cdev_mmap(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  const df = f.private_data as vfio_device_file | null;
  if (df === null || !df.access_granted) return -EINVAL;
  return yield* vfio_pci_core_mmap(k, df.device, vma);
}

export const vfio_device_cdev_fops: file_operations = {
  owner: 'vfio',
  open: vfio_device_fops_cdev_open,
  unlocked_ioctl: vfio_device_cdev_ioctl,
  release: vfio_device_cdev_release,
  mmap: vfio_device_cdev_mmap,
};

/** The device file of an open cdev, or null. */
export function vfio_device_file_of(f: file): vfio_device_file | null {
  return f.f_op === vfio_device_cdev_fops ? (f.private_data as vfio_device_file | null) : null;
}

/**
 * vfio_pin_pages() for a device with an iommufd access (vfio_main.c, the iommufd_access branch):
 * npage pages from iova; the pfns into phys_pfn. Returns npage or -errno.
 */
export function* vfio_iommufd_pin_pages(k: Kctx, access: iommufd_access, iova: bigint, npage: number, write: boolean, phys_pfn: number[]): KThread<number> {
  const out: number[] = [];
  const rc = yield* iommufd_access_pin_pages(k, access, iova - (iova % BigInt(PAGE_SIZE)), BigInt(npage * PAGE_SIZE), out, write);
  if (rc) return rc;
  for (let i = 0; i < out.length && i < phys_pfn.length; i++) phys_pfn[i] = out[i] as number;
  return npage;
}

/** vfio_unpin_pages() for a device with an iommufd access. */
export function* vfio_iommufd_unpin_pages(k: Kctx, access: iommufd_access, iova: bigint, npage: number): KThread<void> {
  yield* iommufd_access_unpin_pages(k, access, iova - (iova % BigInt(PAGE_SIZE)), BigInt(npage * PAGE_SIZE));
}
