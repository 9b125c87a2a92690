/**
 * drivers/iommu/iommufd/vfio_compat.c (Debian linux-source-6.12 6.12.118): the VFIO type1
 * container ioctls served by iommufd (/dev/vfio/vfio with CONFIG_IOMMUFD_VFIO_CONTAINER, or
 * any iommufd file). The container's IOAS (ictx->vfio_ioas) is created when the first VFIO
 * group joins the context. Differences from type1 a VMM meets:
 *  - maps charge mm->locked_vm (the context was opened through /dev/vfio/vfio) or
 *    user->locked_vm (an iommufd opened as /dev/iommu), after pinning;
 *  - TYPE1 (v1) disables huge IOPTEs, so splitting unmaps work; TYPE1v2 unmaps whole
 *    mappings only (a range that cuts one is -ENOENT; type1v2 says -EINVAL);
 *  - VFIO_UPDATE_VADDR, dirty tracking and nesting are not offered (CHECK_EXTENSION 0).
 *
 * MODEL: no noiommu mode; the v1 split-unmap cut (iopt_cut_iova) is not modelled (unsupported).
 * VFIO_IOMMU_GET_INFO reads the IOAS without taking iova_rwsem (nothing in the model writes
 * the reserved ranges or domains while a GET_INFO could run, as in iommufd_ioas_iova_ranges).
 */
import type { KThread } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import { unsupported } from '../../../include/linux/bug.js';
import { EFAULT, EINVAL, ENODEV, ENOTTY } from '../../../include/uapi/linux/errno.js';
import { PAGE_SIZE } from '../../../include/linux/mm_types.js';
import { IOMMU_CACHE, IOMMU_READ, IOMMU_WRITE } from '../iommu.js';
import {
  VFIO_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL, VFIO_GET_API_VERSION, VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_UNMAP_ALL,
  VFIO_IOMMU_INFO_CAPS, VFIO_IOMMU_INFO_MINSZ, VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_INFO_SIZEOF, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, vfio_info_cap_size,
} from '../../../include/uapi/linux/vfio.js';
import type { vfio_info_cap, vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap, vfio_iommu_type1_info } from '../../../include/uapi/linux/vfio.js';
import type { iommufd_ctx, iommufd_ioas } from './iommufd_private.js';
import { iommufd_object_finalize } from './iommufd_private.js';
import { iommufd_ioas_alloc } from './ioas.js';
import { iopt_disable_large_pages, iopt_map_user_pages, iopt_unmap_all, iopt_unmap_iova, iopt_usable_ranges } from './io_pagetable.js';

const FILE = 'drivers/iommu/iommufd/vfio_compat.c';
/** offsetofend(vfio_iommu_type1_dma_map, size) / (vfio_iommu_type1_dma_unmap, size) */
const MAP_MINSZ = 32;
const UNMAP_MINSZ = 24;

/** get_compat_ioas(ictx): the container's IOAS, -ENODEV before a group joined. */
function get_compat_ioas(ictx: iommufd_ctx): iommufd_ioas | number {
  const ioas = ictx.vfio_ioas;
  if (ioas === null || ictx.objects.get(ioas.obj.id) !== ioas) return -ENODEV;
  return ioas;
}

/** iommufd_vfio_compat_ioas_create(ictx): the compat IOAS, made once (a user-visible object). */
export function iommufd_vfio_compat_ioas_create(k: Kctx, ictx: iommufd_ctx): number {
  if (typeof get_compat_ioas(ictx) !== 'number') return 0;
  const ioas = iommufd_ioas_alloc(k, ictx);
  ictx.vfio_ioas = ioas;
  iommufd_object_finalize(ictx, ioas);
  return 0;
}

/** iommufd_vfio_compat_ioas_get_id(ictx) */
export function iommufd_vfio_compat_ioas_get_id(ictx: iommufd_ctx): number {
  const ioas = get_compat_ioas(ictx);
  return typeof ioas === 'number' ? ioas : ioas.obj.id;
}

/** iommufd_vfio_check_extension(ictx, type) */
function iommufd_vfio_check_extension(ictx: iommufd_ctx, type: number): number {
  switch (type) {
    case VFIO_TYPE1_IOMMU:
    case VFIO_TYPE1v2_IOMMU:
    case VFIO_UNMAP_ALL:
      return 1;
    case VFIO_DMA_CC_IOMMU: {
      const ioas = get_compat_ioas(ictx);
      return typeof ioas === 'number' ? ioas : 1;
    }
    default:
      return 0;
  }
}

/** iommufd_vfio_set_iommu(ictx, type): TYPE1 or TYPE1v2 only (-EINVAL), a group first (-ENODEV); TYPE1 disables huge pages. */
function* iommufd_vfio_set_iommu(k: Kctx, ictx: iommufd_ctx, type: number): KThread<number> {
  if (type !== VFIO_TYPE1_IOMMU && type !== VFIO_TYPE1v2_IOMMU) return -EINVAL;
  const ioas = get_compat_ioas(ictx);
  if (typeof ioas === 'number') return ioas;
  if (type === VFIO_TYPE1_IOMMU) return yield* iopt_disable_large_pages(k, ioas.iopt);
  return 0;
}

/** iommufd_vfio_map_dma(): argsz < 32 or flags other than READ|WRITE → -EINVAL; a fixed IOVA. */
function* iommufd_vfio_map_dma(k: Kctx, ictx: iommufd_ctx, map: vfio_iommu_type1_dma_map | null): KThread<number> {
  if (map === null) return -EFAULT;
  if (map.argsz < MAP_MINSZ || (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) !== 0) return -EINVAL;
  let prot = IOMMU_CACHE;
  if (map.flags & VFIO_DMA_MAP_FLAG_READ) prot |= IOMMU_READ;
  if (map.flags & VFIO_DMA_MAP_FLAG_WRITE) prot |= IOMMU_WRITE;
  const ioas = get_compat_ioas(ictx);
  if (typeof ioas === 'number') return ioas;
  return yield* iopt_map_user_pages(k, ictx, ioas.iopt, { v: map.iova }, map.vaddr, map.size, prot, 0);
}

/** iommufd_vfio_unmap_dma(): FLAG_ALL needs iova = size = 0; size returns the bytes unmapped. */
function* iommufd_vfio_unmap_dma(k: Kctx, ictx: iommufd_ctx, unmap: vfio_iommu_type1_dma_unmap | null): KThread<number> {
  if (unmap === null) return -EFAULT;
  if (unmap.argsz < UNMAP_MINSZ || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL) !== 0) return -EINVAL;
  const ioas = get_compat_ioas(ictx);
  if (typeof ioas === 'number') return ioas;
  const unmapped = { v: 0n };
  let rc: number;
  if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
    if (unmap.iova !== 0n || unmap.size !== 0n) return -EINVAL;
    rc = yield* iopt_unmap_all(k, ioas.iopt, unmapped);
  } else {
    if (ioas.iopt.disable_large_pages) return unsupported(k, `${FILE}:iommufd_vfio_unmap_dma`, 'the TYPE1 (v1) split unmap (iopt_cut_iova) is not modelled');
    rc = yield* iopt_unmap_iova(k, ioas.iopt, unmap.iova, unmap.size, unmapped);
  }
  unmap.size = unmapped.v;
  return rc;
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * iommufd_get_pagesizes(ioas): the page sizes every domain of the IOAS supports (all of them
 * when there is none), with the sub-page bits folded into PAGE_SIZE as vfio does, and at least
 * the IOAS's IOVA alignment.
 */
function iommufd_get_pagesizes(ioas: iommufd_ioas): bigint {
  let bitmap = U64_MAX;
  for (const d of ioas.iopt.domains) bitmap &= BigInt(d.pgsize_bitmap);
  const PAGE_MASK = U64_MAX ^ BigInt(PAGE_SIZE - 1);
  if (bitmap & ~PAGE_MASK & U64_MAX) {
    bitmap &= PAGE_MASK;
    bitmap |= BigInt(PAGE_SIZE);
  }
  const align = BigInt(ioas.iopt.iova_alignment);
  return bitmap > align ? bitmap : align;
}

/**
 * iommufd_vfio_iommu_get_info(ictx, arg): PGSIZES and two capabilities, in this order:
 * DMA_AVAIL (always U32_MAX: iommufd has no entry limit) and IOVA_RANGE (the holes between the
 * IOAS's reserved ranges), each rounded up to 8 bytes (6.6+). argsz below offsetofend(iova_pgsizes):
 * -EINVAL; no compat IOAS yet: -ENODEV. The chain is reachable (cap_offset set) only when argsz
 * covers all of it; argsz is always set to the size that does.
 */
function iommufd_vfio_iommu_get_info(k: Kctx, ictx: iommufd_ctx, info: vfio_iommu_type1_info | null): number {
  if (info === null) return -EFAULT;
  if (info.argsz < VFIO_IOMMU_INFO_MINSZ) return -EINVAL;
  const ioas = get_compat_ioas(ictx);
  if (typeof ioas === 'number') return ioas;
  info.flags = VFIO_IOMMU_INFO_PGSIZES;
  info.iova_pgsizes = iommufd_get_pagesizes(ioas);
  info.cap_offset = 0;
  info.caps = [];
  const caps: vfio_info_cap[] = [
    { id: VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, version: 1, avail: 0xffffffff },
    { id: VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, version: 1, iova_ranges: iopt_usable_ranges(ioas.iopt).map((r) => ({ start: r.start, end: r.last })) },
  ];
  // PATCH(vfio-cap-align) a881b496941f: each capability rounded up to 8 bytes (6.6+); 6.2.12 and 6.5.3 chain them unpadded.
  const align = k.patch('vfio-cap-align') ? 8 : 1;
  const total = caps.reduce((t, c) => t + Math.ceil(vfio_info_cap_size(c) / align) * align, VFIO_IOMMU_INFO_SIZEOF);
  if (info.argsz >= total) {
    info.cap_offset = VFIO_IOMMU_INFO_SIZEOF;
    info.caps = caps;
  }
  info.argsz = total;
  info.flags |= VFIO_IOMMU_INFO_CAPS;
  return 0;
}

/** iommufd_vfio_ioctl(ictx, cmd, arg): the VFIO container ioctls; anything else -ENOTTY. */
export function* iommufd_vfio_ioctl(k: Kctx, ictx: iommufd_ctx, cmd: number, arg: unknown): KThread<number> {
  switch (cmd) {
    case VFIO_GET_API_VERSION:
      return VFIO_API_VERSION;
    case VFIO_SET_IOMMU:
      return yield* iommufd_vfio_set_iommu(k, ictx, arg as number);
    case VFIO_CHECK_EXTENSION:
      return iommufd_vfio_check_extension(ictx, arg as number);
    case VFIO_IOMMU_GET_INFO:
      return iommufd_vfio_iommu_get_info(k, ictx, arg as vfio_iommu_type1_info | null);
    case VFIO_IOMMU_MAP_DMA:
      return yield* iommufd_vfio_map_dma(k, ictx, arg as vfio_iommu_type1_dma_map | null);
    case VFIO_IOMMU_UNMAP_DMA:
      return yield* iommufd_vfio_unmap_dma(k, ictx, arg as vfio_iommu_type1_dma_unmap | null);
    default:
      return -ENOTTY;
  }
}
