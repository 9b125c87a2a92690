/**
 * VFIO group and device files: /dev/vfio/<group> and the anonymous device fds of
 * VFIO_GROUP_GET_DEVICE_FD. drivers/vfio/vfio.c (5.4.1, 5.6.4: vfio_group_fops_open,
 * vfio_group_fops_unl_ioctl, vfio_group_get_device_fd, vfio_group_fops_release,
 * vfio_group_try_dissolve_container, vfio_device_fops_release) / vfio_main.c (Debian
 * 6.1.192) and group.c (6.12.117: vfio_group_ioctl_get_status, _set_container,
 * _unset_container, _get_device_fd, vfio_device_open_file). vfio-pci's BAR mmap
 * (drivers/vfio/pci/vfio_pci_core.c: vfio_pci_core_mmap) for the PFNMAP cases.
 *
 * MODEL: the device fd's only operations are release and mmap of a BAR; region-info
 * ioctls, config space, interrupts and reset are not modelled. A BAR mmap installs
 * its PTEs at mmap time (5.4's remap_pfn_range); 5.8+ vfio-pci installs them lazily
 * from its fault handler (11c4cd07ba11) — the model's PTEs are present from the
 * start, so follow_fault_pfn() finds them without faulting.
 */
import { errno_reason } from '../../errno_reason.js';
import { vfio_group_ioctl_site, vfio_site } from './sites.js';
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { EBUSY, EFAULT, EINVAL, ENODEV, ENOTTY } from '../../include/uapi/linux/errno.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import { O_CLOEXEC, O_RDWR, alloc_file, fd_install, fput, get_file, get_unused_fd_flags } from '../../include/linux/fs.js';
import { mutex_lock, mutex_unlock } from '../../kernel/locking/mutex.js';
import type { vm_area_struct } from '../../include/linux/mm_types.js';
import { PAGE_SIZE, _PAGE_PRESENT, _PAGE_RW, _PAGE_SPECIAL, _PAGE_USER, mk_pte } from '../../include/linux/mm_types.js';
import { VM_DONTDUMP, VM_DONTEXPAND, VM_IO, VM_PFNMAP, VM_SHARED, VM_WRITE, set_pte_at } from '../../include/linux/mm.js';
import { iommu_group_dma_owner_claimed } from '../iommu/iommu.js';
import {
  VFIO_GROUP_FLAGS_CONTAINER_SET, VFIO_GROUP_FLAGS_VIABLE, VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_STATUS_MINSZ, VFIO_GROUP_UNSET_CONTAINER,
} from '../../include/uapi/linux/vfio.js';
import type { vfio_group_status } from '../../include/uapi/linux/vfio.js';
import type { vfio_device, vfio_group } from './vfio.js';
import { vfio_group_viable, vfio_subsys_of } from './vfio.js';
import { __vfio_group_unset_container, vfio_group_set_container, vfio_group_unset_container } from './container.js';
import { vfio_group_drop_iommufd, vfio_group_iommufd_close_device, vfio_group_iommufd_open_device } from './iommufd.js';

const FILE = 'drivers/vfio/vfio.c';

/** vfio-pci: VFIO_PCI_OFFSET_SHIFT — the region index lives in the mmap offset above bit 40. */
export const VFIO_PCI_OFFSET_SHIFT = 40;

/** vfio_group_try_dissolve_container(): the last container user takes the group out of its container. */
function* vfio_group_try_dissolve_container(k: Kctx, g: vfio_group): KThread<void> {
  if (g.container_users <= 0) return;
  g.container_users--;
  if (g.container_users === 0) yield* __vfio_group_unset_container(k, g);
}

/**
 * vfio_group_fops_release() [5.4.1: the file's container use is dropped
 * (vfio_group_try_dissolve_container), then `opened` is cleared — device fds may keep
 * the container set]. PATCH(vfio-group-fd-lifecycle) b76c0eed7486 [Debian 6.1.192,
 * 6.12.117]: device fds hold a reference on the group file, so this runs only once
 * none is open; under group_lock the group leaves its container and opened_file is
 * cleared.
 */
function* vfio_group_fops_release(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const g = f.private_data as vfio_group | null;
  f.private_data = null;
  if (g === null) return 0;
  // PATCH(vfio-group-fd-lifecycle) b76c0eed7486: release takes the group out of its container itself (device fds hold the group file)
  if (k.patch('vfio-group-fd-lifecycle')) {
    const site = `${FILE}:vfio_group_fops_release`;
    yield* mutex_lock(k, g.group_lock, site);
    if (g.container !== null) yield* __vfio_group_unset_container(k, g);
    if (g.iommufd) yield* vfio_group_drop_iommufd(k, g);
    g.opened_file = null;
    mutex_unlock(k, g.group_lock, site);
    return 0;
  }
  yield* vfio_group_try_dissolve_container(k, g);
  g.opened_file = null;
  return 0;
}

/** VFIO_GROUP_GET_STATUS: 5.4 VIABLE from the drivers of the group's devices; 6.x from DMA ownership. */
function vfio_group_get_status(k: Kctx, g: vfio_group, status: vfio_group_status | null): number {
  if (status === null) return -EFAULT;
  if (status.argsz < VFIO_GROUP_STATUS_MINSZ) return -EINVAL;
  status.flags = 0;
  // PATCH(vfio-dma-ownership) 70693f470848: GET_STATUS reports VIABLE from the DMA-ownership state
  if (k.patch('vfio-dma-ownership')) {
    if (g.container !== null) status.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
    else if (g.emulated || !iommu_group_dma_owner_claimed(g.iommu_group)) status.flags |= VFIO_GROUP_FLAGS_VIABLE;
  } else {
    if (vfio_group_viable(g)) status.flags |= VFIO_GROUP_FLAGS_VIABLE;
    if (g.container !== null) status.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
  }
  return 0;
}

/** Release of a device fd: the vendor driver closes, the listener goes, the container user goes. */
function* vfio_device_fops_release(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const d = f.private_data as vfio_device | null;
  f.private_data = null;
  if (d === null) return 0;
  d.open_count--;
  const c = d.group.container;
  if (d.open_count === 0 && c !== null && c.iommu_data !== null && c.iommu_driver !== null) yield* c.iommu_driver.unregister_device(k, c.iommu_data, d);
  if (d.open_count === 0) yield* vfio_group_iommufd_close_device(k, d);
  yield* vfio_group_try_dissolve_container(k, d.group);
  k.m.event(k.tid, 'vfio-device-close', [`dev:${d.dev.name}`], 'vfio_device_fops_release');
  // PATCH(vfio-group-fd-lifecycle) b76c0eed7486: vfio_device_unassign_container() drops
  // the device's reference on the group file (its last one runs the group release).
  const gf = d.group.opened_file;
  // PATCH(vfio-group-fd-lifecycle) b76c0eed7486: a device fd drops its reference on the group file
  if (k.patch('vfio-group-fd-lifecycle') && gf !== null) yield* fput(k, gf);
  return 0;
}

/**
 * mmap of a device fd (vfio_pci_core_mmap, reduced): a shared mapping of BAR
 * `vm_pgoff >> (40 - PAGE_SHIFT)` at the page offset in the low bits; the VMA becomes
 * VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP with vm_pgoff = the BAR's pfn, and
 * the PTEs map those pfns (special: no struct page). -EINVAL for a private mapping,
 * an unknown BAR or a range past its end.
 */
function* vfio_device_fops_mmap(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  const d = f.private_data as vfio_device | null;
  if (d === null) return -ENODEV;
  return yield* vfio_pci_core_mmap(k, d, vma);
}

/** The BAR mmap of a device, whichever file (group device fd or device cdev) it came through. */
export function* vfio_pci_core_mmap(k: Kctx, d: vfio_device, vma: vm_area_struct): KThread<number> {
  void k;
  const idx = Math.floor(vma.vm_pgoff / 2 ** (VFIO_PCI_OFFSET_SHIFT - 12));
  const pgoff = vma.vm_pgoff % 2 ** (VFIO_PCI_OFFSET_SHIFT - 12);
  const bar = d.bars[idx];
  if ((vma.vm_flags & VM_SHARED) === 0) return -EINVAL;
  if (bar === undefined) return -EINVAL;
  const npages = (vma.vm_end - vma.vm_start) / PAGE_SIZE;
  if (pgoff + npages > bar.npages) return -EINVAL;
  vma.vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
  vma.vm_pgoff = bar.start_pfn + pgoff;
  const prot = _PAGE_PRESENT | _PAGE_USER | _PAGE_SPECIAL | ((vma.vm_flags & VM_WRITE) ? _PAGE_RW : 0);
  for (let i = 0; i < npages; i++) set_pte_at(vma.vm_mm, vma.vm_start + i * PAGE_SIZE, mk_pte(vma.vm_pgoff + i, prot));
  return 0;
}

export const vfio_device_fops: file_operations = {
  owner: 'vfio',
  release: vfio_device_fops_release,
  mmap: vfio_device_fops_mmap,
};

/**
 * vfio_group_get_device_fd(group, name).
 * 5.4: no container user, no IOMMU driver or a non-viable group → -EINVAL; unknown
 * device → -ENODEV. 6.x: unknown device → -ENODEV first; then the group must be in a
 * container with an IOMMU driver (-EINVAL). The fd is O_CLOEXEC. Opening a device with a
 * dma_unmap op registers it as a DMA_UNMAP listener (5.4: the vendor driver's notifier).
 */
function* vfio_group_get_device_fd(k: Kctx, g: vfio_group, name: string | null): KThread<number> {
  if (name === null) return -EFAULT;
  // PATCH(vfio-dma-ownership) 70693f470848: GET_DEVICE_FD no longer checks viability late (-EINVAL)
  const six = k.patch('vfio-dma-ownership');
  const ready = (g.container_users > 0 && g.container !== null && g.container.iommu_data !== null) || (six && !!g.iommufd);
  const site = vfio_group_ioctl_site(k, 'get_device_fd');
  const unready = `the group is not in a container with an IOMMU driver (VFIO_GROUP_SET_CONTAINER and VFIO_SET_IOMMU first)`;
  if (!six && (!ready || !vfio_group_viable(g))) return errno_reason(k, -EINVAL, site, ready ? `the group is not viable (a device is bound to a non-VFIO driver)` : unready);
  const d = g.devices.find((x) => x.dev.name === name);
  if (d === undefined) return errno_reason(k, -ENODEV, site, `the group has no device named '${name}' (devices: ${g.devices.map((x) => x.dev.name).join(', ') || 'none'})`);
  if (six && !ready) return errno_reason(k, -EINVAL, site, unready);
  // 6.2+: the first open of a device of an iommufd group binds and attaches it (iommufd.ts).
  if (g.iommufd && d.open_count === 0) {
    const r = yield* vfio_group_iommufd_open_device(k, d);
    if (r) return r;
  }
  const fd = get_unused_fd_flags(k, O_CLOEXEC);
  if (fd < 0) return fd;
  const f = alloc_file(k, g.inode, O_RDWR | O_CLOEXEC, vfio_device_fops, d);
  d.open_count++;
  g.container_users++;
  // PATCH(vfio-group-fd-lifecycle) b76c0eed7486: vfio_device_assign_container() takes a
  // reference on the group file for the device fd's lifetime.
  if (k.patch('vfio-group-fd-lifecycle') && g.opened_file !== null) get_file(g.opened_file);
  const c = g.container;
  if (d.open_count === 1 && c !== null && c.iommu_data !== null && c.iommu_driver !== null) yield* c.iommu_driver.register_device(k, c.iommu_data, d);
  fd_install(k, fd, f);
  k.m.event(k.tid, 'vfio-device-open', [`dev:${d.dev.name}`, `file:${f.id}`], 'vfio_group_get_device_fd', fd);
  return fd;
}

/** vfio_group_fops_unl_ioctl(): GET_STATUS, SET_CONTAINER (arg: the container fd), UNSET_CONTAINER, GET_DEVICE_FD (arg: the name). */
function* vfio_group_fops_unl_ioctl(k: Kctx, f: file, cmd: number, arg: unknown): KThread<number> {
  const g = f.private_data as vfio_group | null;
  if (g === null) return -ENODEV;
  switch (cmd) {
    case VFIO_GROUP_GET_STATUS:
      return vfio_group_get_status(k, g, arg as vfio_group_status | null);
    case VFIO_GROUP_SET_CONTAINER: {
      if (arg === null) return -EFAULT;
      const fd = arg as number;
      // PATCH(vfio-dma-ownership) 70693f470848: the late viability failure (-EINVAL) exists only before it
      if (fd < 0 && !k.patch('vfio-dma-ownership')) return -EINVAL;
      return yield* vfio_group_set_container(k, g, fd);
    }
    case VFIO_GROUP_UNSET_CONTAINER:
      return yield* vfio_group_unset_container(k, g);
    case VFIO_GROUP_GET_DEVICE_FD:
      return yield* vfio_group_get_device_fd(k, g, arg as string | null);
    default:
      return -ENOTTY;
  }
}

/**
 * vfio_group_fops_open(inode, file): open(2) of /dev/vfio/<group id> (the group's char
 * device; the model's open path calls it through the inode's i_fop). Two bodies:
 *
 * 5.4.1 / 5.6.4 (drivers/vfio/vfio.c): no group for the minor → -ENODEV; a noiommu
 * group without CAP_SYS_RAWIO → -EPERM; `opened` is already set → -EBUSY; the group is
 * still in a container from a previous open (device fds outlived the group fd) →
 * -EBUSY (and `opened` is cleared again). No lock.
 *
 * PATCH(vfio-group-fd-lifecycle) b76c0eed7486 (5.19; Debian 6.1.192 vfio_main.c,
 * 6.12.117 group.c): under group->group_lock; no bound driver left → -ENODEV; noiommu
 * without CAP_SYS_RAWIO → -EPERM; (6.12 only: a device of the group opened through its
 * own cdev → -EBUSY, unreachable here: Debian 6.12 has CONFIG_IOMMUFD off, so no
 * VFIO_DEVICE_CDEV); opened_file already set → -EBUSY. The container check is gone:
 * device fds hold the group file open, so a group cannot stay in a container past its
 * last file.
 *
 * The open flags are not looked at (O_RDONLY opens, and the ioctls do not check
 * f_mode). MODEL: no noiommu groups, no device unbind (the -ENODEV and -EPERM branches
 * are only reached for a group without devices).
 */
function* vfio_group_fops_open(k: Kctx, i: inode, f: file): KThread<number> {
  const g = i.i_private as vfio_group | null;
  if (g === null) return -ENODEV;
  // PATCH(vfio-group-fd-lifecycle) b76c0eed7486: open checks only opened_file under group_lock (5.4: the opened flag and the container test)
  if (!k.patch('vfio-group-fd-lifecycle')) {
    if (vfio_subsys_of(k).groups.get(g.id) !== g) return -ENODEV;
    if (g.opened_file !== null) return errno_reason(k, -EBUSY, vfio_site(k, 'group', 'vfio_group_fops_open'), `the group is already open (one open file per group)`);
    if (g.container !== null) return errno_reason(k, -EBUSY, vfio_site(k, 'group', 'vfio_group_fops_open'), `the group is still in a container from an earlier open (its device fds are open)`);
    g.opened_file = f;
    f.private_data = g;
    k.m.event(k.tid, 'vfio-group-open', [`vfio_group:${g.id}`, `file:${f.id}`], `${FILE}:vfio_group_fops_open`);
    return 0;
  }
  const site = 'drivers/vfio/group.c:vfio_group_fops_open';
  yield* mutex_lock(k, g.group_lock, site);
  let ret: number;
  out: {
    if (g.devices.length === 0) {
      ret = -ENODEV;
      break out;
    }
    if (g.opened_file !== null) {
      ret = errno_reason(k, -EBUSY, vfio_site(k, 'group', 'vfio_group_fops_open'), `the group is already open (one open file per group)`);
      break out;
    }
    g.opened_file = f;
    f.private_data = g;
    ret = 0;
    k.m.event(k.tid, 'vfio-group-open', [`vfio_group:${g.id}`, `file:${f.id}`], site);
  }
  mutex_unlock(k, g.group_lock, site);
  return ret;
}

export const vfio_group_fops: file_operations = {
  owner: 'vfio',
  open: vfio_group_fops_open,
  unlocked_ioctl: vfio_group_fops_unl_ioctl,
  release: vfio_group_fops_release,
};
