/**
 * The VFIO container: /dev/vfio/vfio. drivers/vfio/vfio.c (5.4.1, 5.6.4: vfio_init's
 * misc_register, vfio_fops_open, vfio_fops_unl_ioctl, vfio_ioctl_check_extension, vfio_ioctl_set_iommu,
 * __vfio_container_attach_groups, vfio_group_set_container, vfio_group_unset_container,
 * vfio_fops_release) / container.c (Debian 6.1.192, 6.12.117: the same functions as
 * vfio_container_ioctl_check_extension, vfio_ioctl_set_iommu, vfio_container_attach_group,
 * vfio_group_detach_container).
 *
 * Locking contract: container->group_lock (rw_semaphore) for read around
 * CHECK_EXTENSION and the passthrough ioctls, for write around SET_IOMMU and group
 * attach/detach.
 *
 * MODEL: one registered IOMMU driver (type1). The container's kref is `refs`: one for
 * the file, one per attached group.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { EBADF, EBADFD, EBUSY, EINVAL, ENODEV, EPERM } from '../../include/uapi/linux/errno.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import { fget, fput } from '../../include/linux/fs.js';
import { IS_ENABLED } from '../../kctx.js';
import { errno_reason } from '../../errno_reason.js';
import { vfio_group_ioctl_site, vfio_site } from './sites.js';
import { VFIO_MINOR, misc_register } from '../char/misc.js';
import { CAP_SYS_RAWIO, capable } from '../../include/linux/sched.js';
import { down_read, down_write, init_rwsem, up_read, up_write } from '../../kernel/locking/rwsem.js';
import { iommu_group_claim_dma_owner, iommu_group_release_dma_owner } from '../iommu/iommu.js';
import {
  VFIO_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_GET_API_VERSION, VFIO_SET_IOMMU,
} from '../../include/uapi/linux/vfio.js';
import type { vfio_container, vfio_group } from './vfio.js';
import { iommufd_init } from '../iommu/iommufd/main.js';
import { vfio_group_set_iommufd, vfio_group_unset_iommufd } from './iommufd.js';
import { vfio_subsys_of } from './vfio.js';
import { vfio_iommu_driver_ops_type1 } from './vfio_iommu_type1.js';
import type { vfio_iommu_driver_ops } from './vfio.js';

/** vfio.iommu_drivers_list: the drivers registered with the container code (type1 only). */
const vfio_iommu_drivers: readonly vfio_iommu_driver_ops[] = [vfio_iommu_driver_ops_type1];

/** The container's driver (set whenever iommu_data is). */
function drv(c: vfio_container): vfio_iommu_driver_ops {
  if (c.iommu_driver === null) throw new Error(`pinlab bug: container#${c.id} has IOMMU data but no driver`);
  return c.iommu_driver;
}

const FILE = 'drivers/vfio/vfio.c';

/** The container of a /dev/vfio/vfio file, or null for any other file. */
export function vfio_container_from_file(f: file): vfio_container | null {
  return f.f_op === vfio_fops ? (f.private_data as vfio_container | null) : null;
}

/** vfio_container_put(): the last reference releases the IOMMU driver's data (unmap + unpin everything). */
function* vfio_container_put(k: Kctx, c: vfio_container): KThread<void> {
  c.refs--;
  if (c.refs > 0) return;
  if (c.iommu_data !== null) {
    yield* drv(c).release(k, c.iommu_data);
    c.iommu_data = null;
    c.iommu_driver = null;
  }
  k.m.event(k.tid, 'vfio-container-release', [`container:${c.id}`], 'vfio_container_release');
}

/**
 * vfio_ioctl_check_extension(container, arg): with a driver set, that driver answers;
 * otherwise every registered driver is polled with a NULL iommu (type1 only here).
 */
function* vfio_ioctl_check_extension(k: Kctx, c: vfio_container, arg: number): KThread<number> {
  yield* down_read(k, c.group_lock, `${FILE}:vfio_ioctl_check_extension`);
  // With a driver set it answers; otherwise every registered driver is asked with no data.
  let ret = 0;
  if (c.iommu_driver !== null) ret = c.iommu_driver.check_extension(k, c.iommu_data, arg);
  else for (const d of vfio_iommu_drivers) if (ret <= 0) ret = d.check_extension(k, null, arg);
  up_read(k, c.group_lock, `${FILE}:vfio_ioctl_check_extension`);
  return ret;
}

/**
 * vfio_ioctl_set_iommu(container, arg): no group yet, or a driver already set →
 * -EINVAL; a driver that answers CHECK_EXTENSION(arg) > 0 is opened and every group of
 * the container attached (the first attach happens here); no driver → -ENODEV.
 */
function* vfio_ioctl_set_iommu(k: Kctx, c: vfio_container, arg: number): KThread<number> {
  const site = `${FILE}:vfio_ioctl_set_iommu`;
  yield* down_write(k, c.group_lock, site);
  let ret = -ENODEV;
  out: {
    if (c.group_list.length === 0 || c.iommu_driver !== null) {
      ret = errno_reason(k, -EINVAL, vfio_site(k, 'container', 'vfio_ioctl_set_iommu'), c.group_list.length === 0
        ? 'VFIO_SET_IOMMU on a container with no group (VFIO_GROUP_SET_CONTAINER first)'
        : 'VFIO_SET_IOMMU on a container whose IOMMU driver is already set');
      break out;
    }
    const driver = vfio_iommu_drivers.find((d) => d.check_extension(k, null, arg) > 0);
    if (driver === undefined) {
      errno_reason(k, -ENODEV, vfio_site(k, 'container', 'vfio_ioctl_set_iommu'), `no registered IOMMU driver supports type ${arg}`);
      break out;
    }
    const data = driver.open(k, arg);
    if (typeof data === 'number') {
      ret = data;
      break out;
    }
    // __vfio_container_attach_groups(): unwind on the first failure.
    ret = -ENODEV;
    const attached: vfio_group[] = [];
    for (const g of c.group_list) {
      ret = yield* driver.attach_group(k, data, g);
      if (ret) break;
      attached.push(g);
    }
    if (ret) {
      for (const g of attached.reverse()) yield* driver.detach_group(k, data, g);
      yield* driver.release(k, data);
      break out;
    }
    c.iommu_driver = driver;
    c.iommu_data = data;
    // 6.x registers open devices with dma_unmap ops now (vfio_device_container_register at open).
    for (const g of c.group_list) for (const d of g.devices) if (d.open_count > 0) yield* driver.register_device(k, data, d);
    k.m.event(k.tid, 'vfio-set-iommu', [`container:${c.id}`], 'vfio_ioctl_set_iommu', arg);
  }
  up_write(k, c.group_lock, site);
  return ret;
}

/** vfio_fops_unl_ioctl(): GET_API_VERSION, CHECK_EXTENSION, SET_IOMMU, else the driver's ioctl, else -EINVAL. */
function* vfio_fops_unl_ioctl(k: Kctx, f: file, cmd: number, arg: unknown): KThread<number> {
  const c = f.private_data as vfio_container | null;
  if (c === null) return -EINVAL;
  switch (cmd) {
    case VFIO_GET_API_VERSION:
      return VFIO_API_VERSION;
    case VFIO_CHECK_EXTENSION:
      return yield* vfio_ioctl_check_extension(k, c, arg as number);
    case VFIO_SET_IOMMU:
      return yield* vfio_ioctl_set_iommu(k, c, arg as number);
    default: {
      // 6.x takes group_lock for read around the passthrough; 5.4 does not (no behavioural difference here).
      if (c.iommu_data === null) return errno_reason(k, -EINVAL, vfio_site(k, 'container', 'vfio_fops_unl_ioctl'), `ioctl 0x${cmd.toString(16)} on a container without an IOMMU driver (VFIO_SET_IOMMU first)`);
      return yield* drv(c).ioctl(k, c.iommu_data, cmd, arg);
    }
  }
}

/** vfio_fops_release(): drop the file's container reference. */
function* vfio_fops_release(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const c = f.private_data as vfio_container | null;
  f.private_data = null;
  if (c !== null) yield* vfio_container_put(k, c);
  return 0;
}

/**
 * vfio_fops_open(inode, file) [5.4.1 vfio.c; Debian 6.1.192 / 6.12.117 container.c]:
 * open(2) of /dev/vfio/vfio (reached through misc_open) allocates a new, empty container
 * (no group, no IOMMU driver, one reference for the file) as the file's private data.
 * Always 0 in the model (the kernel's only failure is -ENOMEM). The open flags are not
 * looked at: O_RDONLY gives a working container fd.
 */
function* vfio_fops_open(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const c: vfio_container = {
    id: k.m.nextId('vfio_container'), refs: 1, group_list: [], group_lock: init_rwsem(`group_lock(container#${k.m.nextId('vfio_container_lock')})`),
    iommu_driver: null, iommu_data: null, noiommu: false,
  };
  f.private_data = c;
  k.m.event(k.tid, 'vfio-container-open', [`container:${c.id}`, `file:${f.id}`], `${FILE}:vfio_fops_open`);
  return 0;
}

export const vfio_fops: file_operations = {
  owner: 'vfio',
  open: vfio_fops_open,
  unlocked_ioctl: vfio_fops_unl_ioctl,
  release: vfio_fops_release,
};

/**
 * vfio_init() [5.4.1 vfio.c] / vfio_container_init() [Debian 6.1.192, 6.12.117
 * container.c, called from vfio_main.c vfio_init with CONFIG_VFIO_CONTAINER=y, as both
 * Debian configs have it]: misc_register of the "vfio" misc device, minor VFIO_MINOR,
 * node vfio/vfio, mode 0666, so open(2) of /dev/vfio/vfio reaches vfio_fops_open.
 * MODEL: module load; idempotent. The scenario builder calls it when a scenario uses
 * VFIO (the kernel autoloads the module on the first open of the node). Returns 0 or
 * -errno (-ENODEV without CONFIG_VFIO: no node, an open(2) then fails with -ENOENT).
 */
export function vfio_init(k: Kctx): number {
  if (!IS_ENABLED(k, 'CONFIG_VFIO')) return -ENODEV;
  // CONFIG_IOMMUFD_VFIO_CONTAINER (needs !VFIO_CONTAINER): iommufd registers /dev/vfio/vfio.
  if (IS_ENABLED(k, 'CONFIG_IOMMUFD_VFIO_CONTAINER')) return iommufd_init(k);
  const sub = vfio_subsys_of(k);
  if (sub.container_inode !== null) return 0;
  const ret = misc_register(k, { minor: VFIO_MINOR, name: 'vfio', fops: vfio_fops, nodename: 'vfio/vfio', mode: 0o666 });
  if (ret) return ret;
  sub.container_inode = k.m.inodes.get('/dev/vfio/vfio') ?? null;
  return 0;
}

/**
 * vfio_group_set_container(group, container_fd) [5.4] / vfio_group_ioctl_set_container +
 * vfio_container_attach_group [6.x]: the group joins the container; if the container
 * already has an IOMMU driver, the group is attached to it at once.
 * 5.4: group already has container users → -EINVAL; bad fd → -EBADF; not a container → -EINVAL.
 * PATCH(vfio-dma-ownership) 70693f470848: the group's DMA ownership is claimed here
 * (-EPERM while a device of the group is in use by a kernel driver); 6.x: not a container
 * (nor an iommufd) → -EBADFD.
 */
export function* vfio_group_set_container(k: Kctx, group: vfio_group, container_fd: number): KThread<number> {
  const site = `${FILE}:vfio_group_set_container`;
  // PATCH(vfio-dma-ownership) 70693f470848: SET_CONTAINER claims DMA ownership instead of the container_users test
  const six = k.patch('vfio-dma-ownership');
  const why = vfio_group_ioctl_site(k, 'set_container');
  if (!six && group.container_users) return errno_reason(k, -EINVAL, why, `the group is already in a container`);
  const f = fget(k, container_fd);
  if (f === null) return errno_reason(k, -EBADF, why, `fd ${container_fd} is not an open file`);
  let ret = 0;
  out: {
    if (six && (group.container !== null || group.iommufd)) {
      ret = errno_reason(k, -EINVAL, why, `the group is already in a container${group.iommufd ? ' (an iommufd)' : ''}`);
      break out;
    }
    const c = vfio_container_from_file(f);
    if (c === null) {
      ret = vfio_group_set_other(k, group, f, container_fd, why);
      break out;
    }
    yield* down_write(k, c.group_lock, site);
    attach: {
      if (c.group_list.length && c.noiommu) {
        // PATCH(vfio-container-c) cdc71fe4ecbf: the check sits in vfio_container_attach_group() from the 6.1 container split
        ret = errno_reason(k, -EPERM, k.patch('vfio-container-c') ? vfio_site(k, 'container', 'vfio_container_attach_group') : why, 'the container holds a no-IOMMU group, which cannot share it');
        break attach;
      }
      if (six && !group.emulated) {
        ret = iommu_group_claim_dma_owner(k, group.iommu_group, group);
        if (ret) break attach;
      }
      if (c.iommu_data !== null) {
        ret = yield* drv(c).attach_group(k, c.iommu_data, group);
        if (ret) {
          if (six && !group.emulated) iommu_group_release_dma_owner(k, group.iommu_group);
          break attach;
        }
      }
      group.container = c;
      group.container_users = 1;
      c.group_list.push(group);
      c.refs++;
      k.m.event(k.tid, 'vfio-group-set-container', [`vfio_group:${group.id}`, `container:${c.id}`], 'vfio_group_set_container');
    }
    up_write(k, c.group_lock, site);
  }
  yield* fput(k, f);
  return ret;
}

/**
 * SET_CONTAINER with a file that is not a VFIO container: up to 6.1 -EINVAL. From 6.2
 * (2bbe2562ade7) the group asks iommufd_ctx_from_file() whether it is an iommufd (the group then
 * uses it in place of a container, iommufd.ts); a file it does not recognise is -EBADFD, with or
 * without CONFIG_IOMMUFD (the stub's -EOPNOTSUPP is not returned: the real Debian 6.12 kernel
 * answers -EBADFD, conformance case vfio-validation/set-container-not-container).
 */
function vfio_group_set_other(k: Kctx, group: vfio_group, f: file, fd: number, why: string): number {
  // PATCH(vfio-group-iommufd) 2bbe2562ade7: an iommufd in place of a container fd
  if (!k.patch('vfio-group-iommufd')) return errno_reason(k, -EINVAL, why, `fd ${fd} is not a VFIO container`);
  const r = IS_ENABLED(k, 'CONFIG_IOMMUFD') ? vfio_group_set_iommufd(k, group, f) : null;
  return r ?? errno_reason(k, -EBADFD, why, `fd ${fd} is neither a VFIO container nor an iommufd`);
}

/**
 * __vfio_group_unset_container(group) / vfio_group_detach_container(): detach from the
 * driver (the last group makes the driver go: the container returns to "unset").
 */
export function* __vfio_group_unset_container(k: Kctx, group: vfio_group): KThread<void> {
  const site = `${FILE}:__vfio_group_unset_container`;
  const c = group.container;
  if (c === null) return;
  yield* down_write(k, c.group_lock, site);
  if (c.iommu_data !== null) yield* drv(c).detach_group(k, c.iommu_data, group);
  // PATCH(vfio-dma-ownership) 70693f470848: leaving the container releases the group's DMA ownership
  if (k.patch('vfio-dma-ownership') && !group.emulated) iommu_group_release_dma_owner(k, group.iommu_group);
  group.container = null;
  group.container_users = 0;
  const i = c.group_list.indexOf(group);
  if (i >= 0) c.group_list.splice(i, 1);
  // Detaching the last group removes the IOMMU driver (no unset_iommu: deprivileged).
  if (c.group_list.length === 0 && c.iommu_data !== null) {
    yield* drv(c).release(k, c.iommu_data);
    c.iommu_data = null;
    c.iommu_driver = null;
  }
  up_write(k, c.group_lock, site);
  yield* vfio_container_put(k, c);
}

/**
 * VFIO_GROUP_UNSET_CONTAINER: not set → -EINVAL; other users (device fds, vendor
 * drivers) → -EBUSY (5.4: container_users != 1).
 */
export function* vfio_group_unset_container(k: Kctx, group: vfio_group): KThread<number> {
  if (group.container === null && group.iommufd) return yield* vfio_group_unset_iommufd(k, group);
  const site = vfio_group_ioctl_site(k, 'unset_container');
  if (group.container === null) return errno_reason(k, -EINVAL, site, `the group is not in a container`);
  if (group.container_users !== 1) return errno_reason(k, -EBUSY, site, `the group's container has ${group.container_users - 1} other user(s) (open device fds or vendor drivers)`);
  yield* __vfio_group_unset_container(k, group);
  return 0;
}

/** CAP_SYS_RAWIO check of noiommu groups (never taken: no noiommu groups are modelled). */
export function vfio_noiommu_allowed(k: Kctx): boolean {
  return capable(k, CAP_SYS_RAWIO);
}
