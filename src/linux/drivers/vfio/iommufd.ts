/**
 * drivers/vfio/iommufd.c + the iommufd branches of drivers/vfio/group.c (Debian
 * linux-source-6.12 6.12.118): a VFIO group whose "container" is an iommufd — the VFIO compat
 * container (/dev/vfio/vfio served by iommufd, CONFIG_IOMMUFD_VFIO_CONTAINER) or an iommufd
 * opened as /dev/iommu.
 *
 * VFIO_GROUP_SET_CONTAINER with an iommufd file creates the context's compat IOAS (once) and
 * records the context in the group; no DMA ownership is claimed yet. Opening a device of the
 * group (VFIO_GROUP_GET_DEVICE_FD) binds it to the iommufd (claiming the group's DMA) and
 * attaches it to the compat IOAS; the last close of the device detaches and unbinds it.
 * This is the second backend behind the VFIO core's group → "container" step; the first is
 * the type1 container (container.ts).
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { EBUSY, EINVAL } from '../../include/uapi/linux/errno.js';
import type { file } from '../../include/linux/fs.js';
import { fput, get_file } from '../../include/linux/fs.js';
import { iommufd_ctx_of_file, iommufd_object_remove } from '../iommu/iommufd/main.js';
import type { iommufd_access, iommufd_ctx } from '../iommu/iommufd/iommufd_private.js';
import { iommufd_vfio_compat_ioas_create, iommufd_vfio_compat_ioas_get_id } from '../iommu/iommufd/vfio_compat.js';
import {
  iommufd_access_attach, iommufd_access_create, iommufd_access_detach, iommufd_device_attach, iommufd_device_bind, iommufd_device_detach,
  iommufd_device_unbind,
} from '../iommu/iommufd/device.js';
import type { vfio_device, vfio_group } from './vfio.js';

const FILE = 'drivers/vfio/group.c';

/**
 * The iommufd branch of vfio_group_ioctl_set_container(): null when `f` is no iommufd (the
 * caller reports -EBADFD), else 0 or -errno.
 */
export function vfio_group_set_iommufd(k: Kctx, group: vfio_group, f: file): number | null {
  const ictx = iommufd_ctx_of_file(f);
  if (ictx === null) return null;
  if (group.iommufd) return -EINVAL;
  const ret = iommufd_vfio_compat_ioas_create(k, ictx);
  if (ret) return ret;
  group.iommufd = ictx;
  group.iommufd_file = get_file(f);
  k.m.event(k.tid, 'vfio-group-set-iommufd', [`vfio_group:${group.id}`, `ictx:${ictx.id}`], `${FILE}:vfio_group_ioctl_set_container`);
  return 0;
}

/** VFIO_GROUP_UNSET_CONTAINER of an iommufd group: -EBUSY while a device is open. */
export function* vfio_group_unset_iommufd(k: Kctx, group: vfio_group): KThread<number> {
  if (!group.iommufd) return -EINVAL;
  if (group.devices.some((d) => d.open_count > 0)) return -EBUSY;
  yield* vfio_group_drop_iommufd(k, group);
  return 0;
}

/** Forget the group's iommufd (group release, unset). */
export function* vfio_group_drop_iommufd(k: Kctx, group: vfio_group): KThread<void> {
  const f = group.iommufd_file ?? null;
  group.iommufd = null;
  group.iommufd_file = null;
  if (f !== null) yield* fput(k, f);
}

/**
 * vfio_df_iommufd_bind() + vfio_iommufd_compat_attach_ioas() at the first open of a device of
 * an iommufd group: bind, then attach to the compat IOAS (pins and charges its mappings).
 */
export function* vfio_group_iommufd_open_device(k: Kctx, d: vfio_device): KThread<number> {
  const ictx = d.group.iommufd;
  if (!ictx) return -EINVAL;
  if (d.group.emulated) return yield* vfio_group_iommufd_open_emulated(k, d, ictx);
  const idev = iommufd_device_bind(k, ictx, d.group.iommu_group);
  if (typeof idev === 'number') return idev;
  // PATCH(iommufd-vfio-noiommu) c9a397cee9f5: 6.2's vfio_iommufd_bind() asks iommufd_vfio_compat_ioas_id(), which
  // makes a compat IOAS when there is none (after IOMMU_VFIO_IOAS CLEAR or its destroy); since, no IOAS is -ENODEV.
  if (!k.patch('iommufd-vfio-noiommu')) iommufd_vfio_compat_ioas_create(k, ictx);
  const id = iommufd_vfio_compat_ioas_get_id(ictx);
  let ret = id < 0 ? id : 0;
  if (!ret) ret = yield* iommufd_device_attach(k, idev, { v: id });
  if (ret) {
    yield* iommufd_device_unbind(k, idev);
    return ret;
  }
  d.iommufd_device = idev;
  return 0;
}

/**
 * vfio_iommufd_emulated_bind(vdev, ictx): an emulated (mdev) device gets an iommufd access whose
 * unmap op is the vendor driver's dma_unmap (6.3+ creates it at bind, 6.2 at attach_ioas; the
 * model creates it at bind on every release, which no user can tell apart).
 */
export function vfio_iommufd_emulated_bind(vdev: vfio_device, ictx: iommufd_ctx): iommufd_access {
  const unmap = vdev.dma_unmap;
  const access = iommufd_access_create(ictx, function* (kk, _a, iova, length) {
    if (unmap !== null) yield* unmap(kk, vdev, iova, length);
  });
  vdev.iommufd_access = access;
  return access;
}

/** vfio_iommufd_emulated_unbind(vdev): detach the access and destroy it. */
export function* vfio_iommufd_emulated_unbind(k: Kctx, vdev: vfio_device, a: iommufd_access): KThread<void> {
  vdev.iommufd_access = null;
  yield* iommufd_access_detach(k, a);
  a.obj.users--;
  if (a.ictx.objects.get(a.obj.id) === a) yield* iommufd_object_remove(k, a.ictx, null, a.obj.id);
}

/** The group path of an emulated device: an access attached to the compat IOAS. */
function* vfio_group_iommufd_open_emulated(k: Kctx, d: vfio_device, ictx: iommufd_ctx): KThread<number> {
  const access = vfio_iommufd_emulated_bind(d, ictx);
  // PATCH(iommufd-vfio-noiommu) c9a397cee9f5: as for a physical device, 6.2 makes a compat IOAS if there is none.
  if (!k.patch('iommufd-vfio-noiommu')) iommufd_vfio_compat_ioas_create(k, ictx);
  const id = iommufd_vfio_compat_ioas_get_id(ictx);
  const ret = id < 0 ? id : yield* iommufd_access_attach(k, access, id);
  if (ret) yield* vfio_iommufd_emulated_unbind(k, d, access);
  return ret;
}

/** vfio_df_iommufd_unbind() at the last close of a device of an iommufd group. */
export function* vfio_group_iommufd_close_device(k: Kctx, d: vfio_device): KThread<void> {
  const access = d.group.emulated ? d.iommufd_access ?? null : null;
  if (access !== null) {
    yield* vfio_iommufd_emulated_unbind(k, d, access);
    return;
  }
  const idev = d.iommufd_device ?? null;
  if (idev === null) return;
  d.iommufd_device = null;
  yield* iommufd_device_detach(k, idev);
  yield* iommufd_device_unbind(k, idev);
}
