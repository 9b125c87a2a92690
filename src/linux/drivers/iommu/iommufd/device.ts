/**
 * drivers/iommu/iommufd/device.c + hw_pagetable.c (Debian linux-source-6.12 6.12.118): devices
 * bound to an iommufd, the paging hardware page tables (one iommu_domain each) they attach to,
 * and access objects for emulated devices (mdev-style drivers that pin pages to emulate DMA).
 *
 * Attach to an IOAS (iommufd_device_auto_get_domain): an auto-created hwpt of the IOAS that the
 * device can use is shared; otherwise a new hwpt_paging gets a new domain, the device is
 * attached to it (its reserved regions are reserved in the IOAS first), and only then is the
 * domain added to the IOAS — which maps, and for the IOAS's first domain pins and charges,
 * every existing area. A second domain of the same IOAS maps the same pfns without pinning
 * again (the pfns are read back from the first domain).
 *
 * Access objects: iommufd_access_pin_pages() pins through the IOAS's iopt_pages (from a domain
 * if one holds the pages, else from the process: pin_user_pages_remote from the driver's
 * context); an unmap of an area with accesses first calls every access's unmap op, which must
 * unpin, and retries.
 *
 * MODEL: one IOMMU instance (every auto domain is compatible with every device); domains are
 * always cache coherent (IOMMU_CAP_CACHE_COHERENCY); no nested/fault/dirty hwpts.
 */
import type { KThread } from '../../../../sched/index.js';
import { Mutex } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import { EINVAL, ENOENT, EOVERFLOW, EBUSY } from '../../../include/uapi/linux/errno.js';
import { PAGE_SIZE } from '../../../include/linux/mm_types.js';
import { mutex_lock, mutex_unlock } from '../../../kernel/locking/mutex.js';
import type { iommu_group } from '../iommu.js';
import {
  iommu_attach_group, iommu_detach_group, iommu_domain_alloc, iommu_domain_free, iommu_group_claim_dma_owner,
  iommu_group_release_dma_owner,
} from '../iommu.js';
import type {
  iommufd_access, iommufd_access_unmap_fn, iommufd_ctx, iommufd_device, iommufd_hwpt_paging, iommufd_ioas,
} from './iommufd_private.js';
import { ULONG_MAX, iommufd_get_object, iommufd_object_abort, iommufd_object_alloc, iommufd_object_finalize } from './iommufd_private.js';
import {
  iopt_area_at, iopt_remove_reserved_iova, iopt_table_add_domain, iopt_table_enforce_dev_resv_regions,
  iopt_table_remove_domain,
} from './io_pagetable.js';
import { iopt_area_add_access, iopt_area_remove_access } from './pages.js';

const FILE = 'drivers/iommu/iommufd/device.c';

// ---- hw_pagetable.c ----------------------------------------------------------------------------

/** iommufd_hwpt_paging_destroy(): leave the IOAS (unmapping, and unpinning if last), free the domain. */
export function* iommufd_hwpt_paging_destroy(k: Kctx, hwpt: iommufd_hwpt_paging): KThread<void> {
  yield* mutex_lock(k, hwpt.ioas.mutex, 'drivers/iommu/iommufd/hw_pagetable.c:iommufd_hwpt_paging_destroy');
  const i = hwpt.ioas.hwpt_list.indexOf(hwpt);
  if (i >= 0) hwpt.ioas.hwpt_list.splice(i, 1);
  mutex_unlock(k, hwpt.ioas.mutex, 'drivers/iommu/iommufd/hw_pagetable.c:iommufd_hwpt_paging_destroy');
  yield* iopt_table_remove_domain(k, hwpt.ioas.iopt, hwpt.domain);
  iommu_domain_free(k, hwpt.domain);
  hwpt.ioas.obj.users--;
}

/** iommufd_hw_pagetable_attach(hwpt, idev): reserve the device's regions in the IOAS, then attach its group. */
function* iommufd_hw_pagetable_attach(k: Kctx, hwpt: iommufd_hwpt_paging, idev: iommufd_device): KThread<number> {
  if (idev.hwpt !== null) return -EINVAL;
  let rc = yield* iopt_table_enforce_dev_resv_regions(k, hwpt.ioas.iopt, idev.group, idev);
  if (rc) return rc;
  rc = iommu_attach_group(k, hwpt.domain, idev.group);
  if (rc) {
    yield* iopt_remove_reserved_iova(k, hwpt.ioas.iopt, idev);
    return rc;
  }
  idev.hwpt = hwpt;
  hwpt.devices.push(idev);
  hwpt.obj.users++;
  return 0;
}

/** iommufd_hw_pagetable_detach(idev) */
function* iommufd_hw_pagetable_detach(k: Kctx, idev: iommufd_device): KThread<iommufd_hwpt_paging | null> {
  const hwpt = idev.hwpt;
  if (hwpt === null) return null;
  iommu_detach_group(k, hwpt.domain, idev.group);
  yield* iopt_remove_reserved_iova(k, hwpt.ioas.iopt, idev);
  idev.hwpt = null;
  const i = hwpt.devices.indexOf(idev);
  if (i >= 0) hwpt.devices.splice(i, 1);
  return hwpt;
}

/**
 * iommufd_hwpt_paging_alloc(ictx, ioas, idev, immediate_attach = true): a new domain for the
 * IOAS; attach the device, then add the domain to the IOAS (fill: pin + map + charge).
 */
function* iommufd_hwpt_paging_alloc(k: Kctx, ictx: iommufd_ctx, ioas: iommufd_ioas, idev: iommufd_device): KThread<iommufd_hwpt_paging | number> {
  const obj = iommufd_object_alloc(ictx, 'IOMMUFD_OBJ_HWPT_PAGING');
  const hwpt: iommufd_hwpt_paging = { obj, domain: iommu_domain_alloc(k), ioas, auto_domain: true, devices: [] };
  ioas.obj.users++;
  let rc = yield* iommufd_hw_pagetable_attach(k, hwpt, idev);
  if (!rc) {
    rc = yield* iopt_table_add_domain(k, ioas.iopt, hwpt.domain);
    if (rc) yield* iommufd_hw_pagetable_detach(k, idev);
  }
  if (rc) {
    ioas.obj.users--;
    iommufd_object_abort(ictx, hwpt);
    iommu_domain_free(k, hwpt.domain);
    return rc;
  }
  ioas.hwpt_list.push(hwpt);
  return hwpt;
}

// ---- device.c: devices -------------------------------------------------------------------------

/**
 * iommufd_device_bind(ictx, dev, &id): claim the group's DMA ownership for the context (-EBUSY
 * if a kernel driver or another owner uses it) and publish a device object. The driver keeps
 * a reference (IOMMU_DESTROY of the device is -EBUSY).
 */
export function iommufd_device_bind(k: Kctx, ictx: iommufd_ctx, group: iommu_group): iommufd_device | number {
  const rc = iommu_group_claim_dma_owner(k, group, ictx);
  if (rc) return rc;
  const obj = iommufd_object_alloc(ictx, 'IOMMUFD_OBJ_DEVICE');
  const idev: iommufd_device = { obj, ictx, group, hwpt: null };
  obj.users++;
  iommufd_object_finalize(ictx, idev);
  k.m.event(k.tid, 'iommufd-bind', [`ictx:${ictx.id}`, `group:${group.id}`], `${FILE}:iommufd_device_bind`, obj.id);
  return idev;
}

/**
 * iommufd_device_attach(idev, &pt_id): pt_id names an IOAS (auto domain) or a paging hwpt; the
 * hwpt used is written back. Already attached → -EINVAL; another object type → -EINVAL.
 */
export function* iommufd_device_attach(k: Kctx, idev: iommufd_device, pt_id: { v: number }): KThread<number> {
  const ictx = idev.ictx;
  if (idev.hwpt !== null) return -EINVAL;
  const o = ictx.objects.get(pt_id.v);
  if (o === undefined || !o.obj.finalized) return -ENOENT;
  if (o.obj.type === 'IOMMUFD_OBJ_HWPT_PAGING') {
    const rc = yield* iommufd_hw_pagetable_attach(k, o as iommufd_hwpt_paging, idev);
    return rc;
  }
  if (o.obj.type !== 'IOMMUFD_OBJ_IOAS') return -EINVAL;
  const ioas = o as iommufd_ioas;
  // iommufd_device_auto_get_domain()
  yield* mutex_lock(k, ioas.mutex, `${FILE}:iommufd_device_auto_get_domain`);
  let rc = 0;
  out: {
    for (const hwpt of ioas.hwpt_list) {
      if (!hwpt.auto_domain) continue;
      rc = yield* iommufd_hw_pagetable_attach(k, hwpt, idev);
      if (!rc) {
        pt_id.v = hwpt.obj.id;
        break out;
      }
    }
    const hwpt = yield* iommufd_hwpt_paging_alloc(k, ictx, ioas, idev);
    if (typeof hwpt === 'number') {
      rc = hwpt;
      break out;
    }
    iommufd_object_finalize(ictx, hwpt);
    pt_id.v = hwpt.obj.id;
    rc = 0;
  }
  mutex_unlock(k, ioas.mutex, `${FILE}:iommufd_device_auto_get_domain`);
  k.m.event(k.tid, 'iommufd-attach', [`ictx:${ictx.id}`, `group:${idev.group.id}`], `${FILE}:iommufd_device_attach`, { rc, pt_id: pt_id.v });
  return rc;
}

/** iommufd_device_detach(idev): an auto hwpt nobody else uses is destroyed (its domain leaves the IOAS). */
export function* iommufd_device_detach(k: Kctx, idev: iommufd_device): KThread<void> {
  const hwpt = yield* iommufd_hw_pagetable_detach(k, idev);
  if (hwpt === null) return;
  hwpt.obj.users--;
  if (hwpt.auto_domain && hwpt.obj.users === 1 && idev.ictx.objects.get(hwpt.obj.id) === hwpt) {
    idev.ictx.objects.delete(hwpt.obj.id);
    hwpt.obj.users = 0;
    yield* iommufd_hwpt_paging_destroy(k, hwpt);
  }
}

/** iommufd_device_destroy(): release the group's DMA ownership. */
export function* iommufd_device_destroy(k: Kctx, idev: iommufd_device): KThread<void> {
  if (idev.hwpt !== null) yield* iommufd_device_detach(k, idev);
  iommu_group_release_dma_owner(k, idev.group);
}

/** iommufd_device_unbind(idev): drop the driver's reference and destroy the device object. */
export function* iommufd_device_unbind(k: Kctx, idev: iommufd_device): KThread<void> {
  idev.obj.users--;
  if (idev.ictx.objects.get(idev.obj.id) === idev && idev.obj.users === 1) {
    idev.ictx.objects.delete(idev.obj.id);
    idev.obj.users = 0;
    yield* iommufd_device_destroy(k, idev);
  }
}

// ---- device.c: accesses ------------------------------------------------------------------------

/** iommufd_access_create(ictx, ops): an access object the driver holds a reference to. */
export function iommufd_access_create(ictx: iommufd_ctx, unmap: iommufd_access_unmap_fn): iommufd_access {
  const obj = iommufd_object_alloc(ictx, 'IOMMUFD_OBJ_ACCESS');
  const access: iommufd_access = { obj, ictx, ioas: null, unmap, ioas_lock: new Mutex(`access->ioas_lock(access#${obj.id})`), iova_alignment: PAGE_SIZE };
  obj.users++;
  iommufd_object_finalize(ictx, access);
  return access;
}

/** iommufd_access_attach(access, ioas_id): join an IOAS (-EINVAL if attached already, -ENOENT no such IOAS). */
export function* iommufd_access_attach(k: Kctx, access: iommufd_access, ioas_id: number): KThread<number> {
  yield* mutex_lock(k, access.ioas_lock, `${FILE}:iommufd_access_attach`);
  let rc = 0;
  if (access.ioas !== null) rc = -EINVAL;
  else {
    const o = iommufd_get_object(access.ictx, ioas_id, 'IOMMUFD_OBJ_IOAS');
    if (typeof o === 'number') rc = o;
    else {
      const ioas = o as iommufd_ioas;
      ioas.iopt.access_list.push(access);
      if (ioas.iopt.iova_alignment < access.iova_alignment) ioas.iopt.iova_alignment = access.iova_alignment;
      ioas.obj.users++;
      access.ioas = ioas;
    }
  }
  mutex_unlock(k, access.ioas_lock, `${FILE}:iommufd_access_attach`);
  return rc;
}

/** iommufd_access_detach(access) */
export function* iommufd_access_detach(k: Kctx, access: iommufd_access): KThread<void> {
  yield* mutex_lock(k, access.ioas_lock, `${FILE}:iommufd_access_detach`);
  const ioas = access.ioas;
  if (ioas !== null) {
    const i = ioas.iopt.access_list.indexOf(access);
    if (i >= 0) ioas.iopt.access_list.splice(i, 1);
    ioas.obj.users--;
    access.ioas = null;
  }
  mutex_unlock(k, access.ioas_lock, `${FILE}:iommufd_access_detach`);
}

/** iommufd_access_destroy_object() */
export function* iommufd_access_destroy_object(k: Kctx, access: iommufd_access): KThread<void> {
  yield* iommufd_access_detach(k, access);
}

/**
 * iommufd_access_pin_pages(access, iova, length, out_pages, flags): pin every page of
 * [iova, iova + length) through the areas covering it contiguously (-ENOENT on a gap or an
 * area being unmapped; earlier areas unwound); pfns into out_pages.
 */
export function* iommufd_access_pin_pages(k: Kctx, access: iommufd_access, iova: bigint, length: bigint, out_pages: number[], write: boolean): KThread<number> {
  if (length === 0n) return -EINVAL;
  const last_iova = iova + length - 1n;
  if (last_iova > ULONG_MAX) return -EOVERFLOW;
  yield* mutex_lock(k, access.ioas_lock, `${FILE}:iommufd_access_pin_pages`);
  const ioas = access.ioas;
  let rc = 0;
  const done: { area: NonNullable<ReturnType<typeof iopt_area_at>>; first: number; last: number }[] = [];
  if (ioas === null) rc = -ENOENT;
  else {
    let cur = iova;
    while (cur <= last_iova) {
      const area = iopt_area_at(ioas.iopt, cur);
      if (area === null) {
        rc = -ENOENT;
        break;
      }
      const last = last_iova < area.last ? last_iova : area.last;
      const off = BigInt(area.first_index * PAGE_SIZE + area.page_offset);
      const first_index = Number((off + (cur - area.iova)) / BigInt(PAGE_SIZE));
      const last_index = Number((off + (last - area.iova)) / BigInt(PAGE_SIZE));
      rc = yield* iopt_area_add_access(k, area, first_index, last_index, out_pages, write);
      if (rc) break;
      done.push({ area, first: first_index, last: last_index });
      cur = last + 1n;
      if (last === ULONG_MAX) break;
    }
    if (rc) {
      for (const d of done) yield* iopt_area_remove_access(k, d.area, d.first, d.last);
      out_pages.length = 0;
    }
  }
  mutex_unlock(k, access.ioas_lock, `${FILE}:iommufd_access_pin_pages`);
  return rc;
}

/** iommufd_access_unpin_pages(access, iova, length): release what a pin_pages of the same range took. */
export function* iommufd_access_unpin_pages(k: Kctx, access: iommufd_access, iova: bigint, length: bigint): KThread<number> {
  if (length === 0n) return -EINVAL;
  const last_iova = iova + length - 1n;
  if (last_iova > ULONG_MAX) return -EOVERFLOW;
  const ioas = access.ioas;
  if (ioas === null) return -ENOENT;
  let cur = iova;
  while (cur <= last_iova) {
    let area = null;
    for (const a of ioas.iopt.areas) if (a.iova <= cur && cur <= a.last && a.pages !== null) area = a;
    if (area === null) return -EBUSY;
    const last = last_iova < area.last ? last_iova : area.last;
    const off = BigInt(area.first_index * PAGE_SIZE + area.page_offset);
    yield* iopt_area_remove_access(k, area, Number((off + (cur - area.iova)) / BigInt(PAGE_SIZE)), Number((off + (last - area.iova)) / BigInt(PAGE_SIZE)));
    cur = last + 1n;
  }
  return 0;
}
