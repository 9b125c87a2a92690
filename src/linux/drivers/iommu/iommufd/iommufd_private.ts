/**
 * drivers/iommu/iommufd/iommufd_private.h + io_pagetable.h (Debian linux-source-6.12
 * 6.12.118): the objects of an iommufd context — IOAS (io_pagetable + areas), iopt_pages
 * (the pinned user memory behind areas, shared by IOAS_COPY), hardware page tables (one
 * iommu_domain each), bound devices and access objects.
 *
 * Representation: IOVAs are bigint (the uapi's u64, checked for overflow exactly as the
 * kernel's unsigned long arithmetic); page indexes inside an iopt_pages are numbers. The
 * interval trees (area_itree, reserved_itree, allowed_itree, domains_itree, access_itree)
 * are sorted arrays. MODEL: one IOMMU instance, so every paging domain is compatible with
 * every device (iommufd_device_auto_get_domain reuses the IOAS's first hwpt).
 */
import type { Mutex } from '../../../../sched/index.js';
import { ENOENT } from '../../../include/uapi/linux/errno.js';
import type { rw_semaphore } from '../../../kernel/locking/rwsem.js';
import type { mm_struct } from '../../../include/linux/mm_types.js';
import type { task_struct } from '../../../include/linux/sched.js';
import type { user_struct } from '../../../io_uring/io_uring.js';
import type { file } from '../../../include/linux/fs.js';
import type { iommu_domain, iommu_group } from '../iommu.js';
import type { KThread } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import { IS_ENABLED } from '../../../kctx.js';
import type { FailpointId } from '../../../include/linux/fault_inject.js';
import { should_fail } from '../../../include/linux/fault_inject.js';

export const ULONG_MAX = (1n << 64n) - 1n;

/** enum iopt_pages_account_mode (6.12: iopt_pages.account_mode) */
export type iopt_pages_account_mode = 'IOPT_PAGES_ACCOUNT_NONE' | 'IOPT_PAGES_ACCOUNT_USER' | 'IOPT_PAGES_ACCOUNT_MM';

/** struct iopt_pages_access: one access_itree node (a range of page indexes pinned for accesses). */
export interface iopt_pages_access {
  readonly first: number;
  readonly last: number;
  users: number;
}

/** struct iopt_pages */
export interface iopt_pages {
  readonly id: number;
  /** kref */
  refs: number;
  readonly mutex: Mutex;
  /** The owner charged and pinned from: moved by IOMMU_IOAS_CHANGE_PROCESS (change_mm). */
  source_mm: mm_struct;
  source_task: task_struct;
  source_user: user_struct;
  /** IOPT_ADDRESS_USER (a user range, pinned through the mm) or IOPT_ADDRESS_FILE (6.13+: a memfd range by offset). */
  readonly type: 'IOPT_ADDRESS_USER' | 'IOPT_ADDRESS_FILE';
  /** Page-aligned start of the user range (0 for a file). */
  readonly uptr: number;
  /** IOPT_ADDRESS_FILE: the file (a reference held) and the page-aligned offset of index 0. */
  readonly file: file | null;
  readonly start: number;
  readonly npages: number;
  readonly writable: boolean;
  account_mode: iopt_pages_account_mode;
  /** Pages pinned now (each index once, however many domains map it). */
  npinned: number;
  /** Pages charged (npinned at the last accounting update). */
  last_npinned: number;
  /** domains_itree: areas whose storage_domain holds pfns of these pages. */
  readonly domain_areas: iopt_area[];
  /** access_itree */
  readonly accesses: iopt_pages_access[];
  /** pinned_pfns xarray: index → pfn, for indexes pinned by accesses. */
  readonly pinned_pfns: Map<number, number>;
}

/** struct iopt_area: an IOVA range [iova, last] backed by a slice of an iopt_pages. */
export interface iopt_area {
  readonly id: number;
  iova: bigint;
  last: bigint;
  /** pages_node: first and last page index of the slice. */
  first_index: number;
  last_index: number;
  /** Offset of the area's first byte inside its first page. */
  page_offset: number;
  /** NULL while the area is being built or torn down (unmap then fails -EBUSY). */
  pages: iopt_pages | null;
  iopt: io_pagetable | null;
  iommu_prot: number;
  /** The domain the pfns are read back from (the IOAS's first domain), once filled. */
  storage_domain: iommu_domain | null;
  num_accesses: number;
  prevent_access: boolean;
}

/** A reserved or allowed IOVA range ([start, last], inclusive), with its owner. */
export interface iopt_range {
  readonly start: bigint;
  readonly last: bigint;
  readonly owner: unknown;
}

/** struct io_pagetable */
export interface io_pagetable {
  readonly iova_rwsem: rw_semaphore;
  readonly domains_rwsem: rw_semaphore;
  /** area_itree, sorted by iova */
  readonly areas: iopt_area[];
  allowed: iopt_range[];
  readonly reserved: iopt_range[];
  /** domains xarray, in attach order */
  readonly domains: iommu_domain[];
  readonly access_list: iommufd_access[];
  iova_alignment: number;
  disable_large_pages: boolean;
}

export type iommufd_object_type = 'IOMMUFD_OBJ_IOAS' | 'IOMMUFD_OBJ_HWPT_PAGING' | 'IOMMUFD_OBJ_DEVICE' | 'IOMMUFD_OBJ_ACCESS';

/** struct iommufd_object */
export interface iommufd_object {
  readonly type: iommufd_object_type;
  id: number;
  /** refcount users: 1 for the xarray, + one per object that depends on it. */
  users: number;
  /** MODEL: allocated but not finalized (an XA_ZERO_ENTRY in the objects xarray). */
  finalized: boolean;
}

/** struct iommufd_ioas */
export interface iommufd_ioas {
  readonly obj: iommufd_object;
  readonly iopt: io_pagetable;
  readonly mutex: Mutex;
  readonly hwpt_list: iommufd_hwpt_paging[];
}

/** struct iommufd_hwpt_paging (auto-created by attach to an IOAS) */
export interface iommufd_hwpt_paging {
  readonly obj: iommufd_object;
  readonly domain: iommu_domain;
  readonly ioas: iommufd_ioas;
  readonly auto_domain: boolean;
  /** Devices (groups) attached. */
  readonly devices: iommufd_device[];
}

/** struct iommufd_device */
export interface iommufd_device {
  readonly obj: iommufd_object;
  readonly ictx: iommufd_ctx;
  readonly group: iommu_group;
  /** The page table the device is attached to now. */
  hwpt: iommufd_hwpt_paging | null;
}

/** struct iommufd_access_ops: the unmap notifier of an emulated device driver. */
export type iommufd_access_unmap_fn = (k: Kctx, access: iommufd_access, iova: bigint, length: bigint) => KThread<void>;

/** struct iommufd_access */
export interface iommufd_access {
  readonly obj: iommufd_object;
  readonly ictx: iommufd_ctx;
  ioas: iommufd_ioas | null;
  readonly unmap: iommufd_access_unmap_fn;
  readonly ioas_lock: Mutex;
  iova_alignment: number;
}

export type iommufd_any_object = iommufd_ioas | iommufd_hwpt_paging | iommufd_device | iommufd_access;

/** struct iommufd_ctx */
export interface iommufd_ctx {
  readonly id: number;
  readonly file: file;
  /** objects xarray (ids from 1): the published objects */
  readonly objects: Map<number, iommufd_any_object>;
  /** ids xa_alloc() reserved (XA_ZERO_ENTRY) for objects not yet published */
  readonly reserved: Set<number>;
  account_mode: iopt_pages_account_mode;
  /** The IOAS the VFIO compat container uses. */
  vfio_ioas: iommufd_ioas | null;
}

/** Machine-wide iommufd state (`k.m.iommufd`). */
export interface iommufd_subsys {
  /** Every live context (for the checker and observation). */
  readonly ctxs: iommufd_ctx[];
  iommu_inode_registered: boolean;
}

// ---- object helpers (main.c _iommufd_object_alloc / iommufd_object_finalize; the inline
// iommufd_get_object / iommufd_get_ioas of iommufd_private.h) -------------------------------------

/**
 * _iommufd_object_alloc(): reserve an id — xa_alloc() on an XA_FLAGS_ALLOC1 xarray takes the
 * lowest free index from 1, so the id of a destroyed object is handed out again — leaving the
 * entry empty until finalize.
 */
export function iommufd_object_alloc(ictx: iommufd_ctx, type: iommufd_object_type): iommufd_object {
  let id = 1;
  while (ictx.objects.has(id) || ictx.reserved.has(id)) id++;
  ictx.reserved.add(id);
  return { type, id, users: 1, finalized: false };
}

/** iommufd_object_finalize(): publish the object under its id. */
export function iommufd_object_finalize(ictx: iommufd_ctx, o: iommufd_any_object): void {
  o.obj.finalized = true;
  ictx.reserved.delete(o.obj.id);
  ictx.objects.set(o.obj.id, o);
}

/** iommufd_object_abort(): give the id back unused. */
export function iommufd_object_abort(ictx: iommufd_ctx, o: iommufd_any_object): void {
  ictx.reserved.delete(o.obj.id);
  ictx.objects.delete(o.obj.id);
}

/** iommufd_get_object(ictx, id, type): a published object of that type, or -ENOENT. */
export function iommufd_get_object(ictx: iommufd_ctx, id: number, type: iommufd_object_type): iommufd_any_object | number {
  const o = ictx.objects.get(id);
  if (o === undefined || !o.obj.finalized || o.obj.type !== type) return -ENOENT;
  return o;
}

/** iommufd_get_ioas(ictx, id) */
export function iommufd_get_ioas(ictx: iommufd_ctx, id: number): iommufd_ioas | number {
  const o = iommufd_get_object(ictx, id, 'IOMMUFD_OBJ_IOAS');
  return typeof o === 'number' ? o : (o as iommufd_ioas);
}



/**
 * iommufd_should_fail() (selftest.c; false without CONFIG_IOMMUFD_TEST): the iommufd failure
 * points of the kernel's fail-nth selftest, one failure point each (fault_inject.ts).
 */
export function iommufd_should_fail(k: Kctx, site: FailpointId): boolean {
  return IS_ENABLED(k, 'CONFIG_IOMMUFD_TEST') && should_fail(k, site);
}
