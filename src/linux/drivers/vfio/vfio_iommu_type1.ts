/**
 * drivers/vfio/vfio_iommu_type1.c — the type1 IOMMU backend, per release.
 *
 * Read: 5.4.1 (lightcheen/linux-5.4.0 @ 144e8e60c6b5), 5.6.4 (shmily1012/linux-5.6.4 @
 * 93830a5cf2aa; differs from 5.4.1 only in vaddr_get_pfn/put_pfn/is_invalid_reserved_pfn),
 * Debian 6.1.192 and Debian 6.12.117 (packages linux-source-6.1 and linux-source-6.12). 5.5-rc5 behaves as 5.4 here.
 *
 * Locking contract (all releases): iommu->lock (a mutex) is held across MAP/UNMAP and
 * the external pin/unpin paths; it is dropped only to call the vendor drivers' DMA_UNMAP
 * callbacks (and, 5.12–6.2, to wait for a vaddr). mmap_lock of the pinning mm is taken
 * for read around each GUP call (vaddr_get_pfn*) and for write (killable) around each
 * locked_vm update (vfio_lock_acct).
 *
 * Representation: the UAPI's u64 iova/vaddr/size are bigints in struct vfio_dma; page
 * loops run on numbers (page offsets inside a mapping, pfns). IOMMU calls take number
 * IOVAs: a domain's aperture ends below 2^48, so every IOVA that reaches a domain is an
 * exact integer. `struct page *` is a pfn (number), as in the memory model.
 *
 * MODEL: the dma_list rb-tree is a sorted array; vfio_find_dma() returns the lowest
 * overlapping mapping. The kernel's tree descent may return another overlapping node
 * first; this only matters for v1 (TYPE1) unmaps that start inside a mapping and also
 * cover later mappings (5.4 walks with vfio_find_dma; 6.x walks in order from the first
 * node, which the model matches exactly).
 * MODEL: mappings' dirty bitmaps are Uint8Array bit sets; GET_DIRTY_BITMAP copies them out.
 */
import { errno_reason, hex } from '../../errno_reason.js';
import { should_fail } from '../../include/linux/fault_inject.js';
import type { KThread } from '../../../sched/index.js';
import { Mutex, waitUntil } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { BUG_ON, WARN_ON, WARN_ON_ONCE, unsupported } from '../../include/linux/bug.js';
import {
  E2BIG, EACCES, EAGAIN, EBUSY, EEXIST, EFAULT, EINVAL, ENODEV, ENOENT, ENOMEM, ENOTTY, EOPNOTSUPP, EOVERFLOW, EPERM, ESRCH,
} from '../../include/uapi/linux/errno.js';
import type { mm_struct, vm_area_struct } from '../../include/linux/mm_types.js';
import { PAGE_SHIFT, PAGE_SIZE, PG_reserved, TASK_SIZE } from '../../include/linux/mm_types.js';
import {
  PageReserved, SetPageDirty, find_vma, is_zero_pfn, pfn_valid, put_page,
  vma_is_fsdax, vma_lookup, VM_PFNMAP, pt_walk,
  FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE,
} from '../../include/linux/mm.js';
import { _PAGE_PRESENT, _PAGE_RW, pte_flags, pte_pfn, pte_write, pte_present } from '../../include/linux/mm_types.js';
import type { task_struct } from '../../include/linux/sched.js';
import { CAP_IPC_LOCK, RLIMIT_MEMLOCK, capable, get_current, rlimit } from '../../include/linux/sched.js';
import { FOLL_LONGTERM, FOLL_PIN, FOLL_REMOTE, FOLL_TOUCH, FOLL_WRITE } from '../../include/linux/foll.js';
import { down_read, up_read, down_write_killable, up_write } from '../../kernel/locking/rwsem.js';
import { mutex_lock, mutex_unlock } from '../../kernel/locking/mutex.js';
import { cond_resched, fatal_signal_pending } from '../../kernel/sched.js';
import {
  IOMMU_CACHE, IOMMU_READ, IOMMU_RESV_DIRECT_RELAXABLE, IOMMU_RESV_MSI, IOMMU_RESV_SW_MSI, IOMMU_WRITE,
  iommu_attach_group, iommu_contiguous_bytes, iommu_detach_group, iommu_domain_alloc, iommu_domain_free,
  iommu_get_group_resv_regions, iommu_group_has_isolated_msi, iommu_iova_to_phys, iommu_map, iommu_unmap,
  iommu_unmap_fast, iommu_min_pagesz,
} from '../iommu/iommu.js';
import type { iommu_domain, iommu_resv_region } from '../iommu/iommu.js';
import {
  U64_MAX, VFIO_DMA_CC_IOMMU, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_VADDR, VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_MAP_MINSZ, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_DMA_UNMAP_MINSZ, VFIO_BITMAP_SIZEOF, VFIO_CHECK_EXTENSION, VFIO_IOMMU_DIRTY_PAGES,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, VFIO_IOMMU_DIRTY_PAGES_FLAG_START, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
  VFIO_DIRTY_BITMAP_MINSZ, VFIO_DIRTY_BITMAP_GET_SIZEOF, VFIO_IOMMU_GET_INFO, VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_CAPSZ, VFIO_IOMMU_INFO_MINSZ, VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_INFO_SIZEOF,
  VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, VFIO_IOMMU_UNMAP_DMA, VFIO_TYPE1_IOMMU, VFIO_TYPE1_NESTING_IOMMU,
  VFIO_TYPE1v2_IOMMU, VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR, vfio_info_cap_size,
} from '../../include/uapi/linux/vfio.js';
import type {
  vfio_info_cap, vfio_iommu_type1_dirty_bitmap, vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap,
  vfio_iommu_type1_info,
} from '../../include/uapi/linux/vfio.js';
import { VFIO_PIN_PAGES_MAX_ENTRIES, vfio_subsys_of } from './vfio.js';
import type { vfio_device, vfio_group, vfio_iommu_driver_ops } from './vfio.js';
import * as mmapi from './mmapi.js';
import {
  get_user_pages, get_user_pages_remote, pin_user_pages_remote, unpin_user_page, unpin_user_page_range_dirty_lock,
  unpin_user_pages_dirty_lock,
} from '../../mm/gup.js';
import { gup_pin_huge_run, gup_pin_pte_run, unpin_pages_run } from '../../mm/gup_speed.js';
import { __account_locked_vm } from '../../mm/util.js';
import { mmdrop, mmget_not_zero, mmgrab } from '../../kernel/fork.js';

// ---------------------------------------------------------------------------
// Structures.

/** struct vfio_domain */
export interface vfio_domain {
  readonly domain: iommu_domain;
  readonly group_list: vfio_iommu_group[];
  /** IOMMU_CACHE (5.4: domain->prot) / enforce_cache_coherency (6.x). */
  prot: number;
  /** Fine-grained super pages (vfio_test_domain_fgsp). */
  fgsp: boolean;
}

/** struct vfio_group (5.4) / struct vfio_iommu_group (6.x): a group as type1 tracks it. */
export interface vfio_iommu_group {
  readonly group: vfio_group;
  /** 5.8+: the group's devices pin (via vfio_pin_pages) everything they DMA to. */
  pinned_page_dirty_scope: boolean;
}

/** struct vfio_pfn: one externally pinned page of a mapping. */
export interface vfio_pfn {
  /** Page offset inside the mapping (the kernel keys by iova; same order). */
  readonly off: number;
  readonly pfn: number;
  ref_count: number;
}

/** struct vfio_dma */
export interface vfio_dma {
  readonly id: number;
  iova: bigint;
  vaddr: bigint;
  /** Bytes pinned and mapped so far (grows while vfio_pin_map_dma works; the full size when done). */
  size: bigint;
  prot: number;
  iommu_mapped: boolean;
  lock_cap: boolean;
  vaddr_invalid: boolean;
  task: task_struct;
  readonly pfn_list: Map<number, vfio_pfn>;
  bitmap: Uint8Array | null;
  /** PATCH(vfio-dma-mm-owner): the mm of MAP_DMA (mmgrab); null before the patch. */
  mm: mm_struct | null;
  /** PATCH(vfio-locked-vm-per-dma): pages this mapping charged. */
  locked_vm: number;
}

/** struct vfio_iova: one usable IOVA range (inclusive end). */
export interface vfio_iova {
  start: bigint;
  end: bigint;
}

/** struct vfio_iommu */
export interface vfio_iommu {
  readonly id: number;
  readonly domain_list: vfio_domain[];
  iova_list: vfio_iova[];
  /** 5.4: the external (mdev) domain's groups; 6.x: emulated_iommu_groups. */
  readonly emulated_iommu_groups: vfio_iommu_group[];
  /** 5.4: external_domain exists (kept while it has groups). */
  readonly lock: Mutex;
  /** Sorted by iova, non-overlapping. */
  readonly dma_list: vfio_dma[];
  /** 5.4 blocking notifier chain / 6.x device_list: who gets DMA_UNMAP callbacks. */
  readonly device_list: vfio_device[];
  dma_avail: number;
  vaddr_invalid_count: number;
  num_non_pinned_groups: number;
  readonly v2: boolean;
  readonly nesting: boolean;
  dirty_page_tracking: boolean;
  container_open: boolean;
}

// ---------------------------------------------------------------------------
// Small helpers.

function pages_of(bytes: bigint): number {
  return Number(bytes >> BigInt(PAGE_SHIFT));
}

/** A vaddr as the memory model's number; addresses past the user range all fault alike. */
function uaddr(v: bigint): number {
  return v > BigInt(TASK_SIZE) ? TASK_SIZE : Number(v);
}

function ffs_big(x: bigint): bigint {
  let b = 1n;
  while ((x & b) === 0n) b <<= 1n;
  return b;
}

// ---------------------------------------------------------------------------
// dma_list (rb-tree) and pfn_list.

/** Index of the first mapping that ends after `start`. */
function first_index(iommu: vfio_iommu, start: bigint): number {
  const a = iommu.dma_list;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const d = a[mid];
    if (d.iova + (d.size === 0n ? 1n : d.size) <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The end of a mapping for overlap tests: a zero-sized (being-built) mapping occupies its iova. */
function dma_end(d: vfio_dma): bigint {
  return d.iova + d.size;
}

/**
 * vfio_find_dma(iommu, start, size): a mapping overlapping [start, start + size).
 * The kernel's comparisons treat size 0 as "the point start" when called with
 * (iova, 0) from the v2 bisect check; the model keeps that.
 */
export function vfio_find_dma(iommu: vfio_iommu, start: bigint, size: bigint): vfio_dma | null {
  const a = iommu.dma_list;
  for (let i = first_index(iommu, start); i < a.length; i++) {
    const d = a[i];
    if (start + size <= d.iova) return null;
    if (start >= dma_end(d)) continue;
    return d;
  }
  return null;
}

/** vfio_find_dma_first_node(iommu, start, size) (5.12+): the lowest mapping overlapping the range. */
function vfio_find_dma_first_index(iommu: vfio_iommu, start: bigint, size: bigint): number {
  const a = iommu.dma_list;
  const i = first_index(iommu, start);
  if (i < a.length && a[i].iova < start + size && dma_end(a[i]) > start) return i;
  return -1;
}

function vfio_link_dma(iommu: vfio_iommu, dma: vfio_dma): void {
  const a = iommu.dma_list;
  let i = a.length;
  while (i > 0 && a[i - 1].iova > dma.iova) i--;
  a.splice(i, 0, dma);
}

function vfio_unlink_dma(iommu: vfio_iommu, dma: vfio_dma): void {
  const i = iommu.dma_list.indexOf(dma);
  if (i >= 0) iommu.dma_list.splice(i, 1);
}

function vfio_find_vpfn(dma: vfio_dma, off: number): vfio_pfn | null {
  return dma.pfn_list.size === 0 ? null : dma.pfn_list.get(off) ?? null;
}

function vfio_add_to_pfn_list(dma: vfio_dma, off: number, pfn: number): void {
  dma.pfn_list.set(off, { off, pfn, ref_count: 1 });
}

function vfio_iova_get_vfio_pfn(dma: vfio_dma, off: number): vfio_pfn | null {
  const v = vfio_find_vpfn(dma, off);
  if (v) v.ref_count++;
  return v;
}

function vfio_iova_put_vfio_pfn(k: Kctx, dma: vfio_dma, vpfn: vfio_pfn): number {
  let ret = 0;
  vpfn.ref_count--;
  if (vpfn.ref_count === 0) {
    ret = put_pfn(k, vpfn.pfn, dma.prot);
    dma.pfn_list.delete(vpfn.off);
  }
  return ret;
}

// ---------------------------------------------------------------------------
// locked_vm accounting.

/**
 * mm_lock_acct(task, mm, lock_cap, npage) [6.1.192, 6.12]: mmap_write_lock_killable,
 * __account_locked_vm, unlock.
 */
function* mm_lock_acct(k: Kctx, task: task_struct, mm: mm_struct, lock_cap: boolean, npage: number): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:mm_lock_acct';
  const ret = yield* down_write_killable(k, mm.mmap_lock, site);
  if (ret) return ret;
  const r = __account_locked_vm(k, mm, Math.abs(npage), npage > 0, task, lock_cap);
  up_write(k, mm.mmap_lock, site);
  return r;
}

/**
 * vfio_lock_acct(dma, npage, async).
 * 5.4–6.0: the mm is dma->task->mm (get_task_mm() when async; an exited task gives
 * -ESRCH and the accounting is skipped).
 * PATCH(vfio-dma-mm-owner) 046eca5018f8: the mm recorded at MAP_DMA (mmget_not_zero
 * when async); PATCH(vfio-locked-vm-per-dma) 18e292705ba2: dma->locked_vm += npage.
 */
export function* vfio_lock_acct(k: Kctx, dma: vfio_dma, npage: number, async: boolean): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_lock_acct';
  if (!npage) return 0;
  // PATCH(vfio-dma-mm-owner) 046eca5018f8: charges dma->mm instead of dma->task's mm
  if (k.patch('vfio-dma-mm-owner')) {
    const mm = dma.mm;
    if (mm === null) throw new Error('pinlab bug: vfio_dma without mm under vfio-dma-mm-owner');
    if (async && !mmget_not_zero(mm)) return -ESRCH;
    const ret = yield* mm_lock_acct(k, dma.task, mm, dma.lock_cap, npage);
    // PATCH(vfio-locked-vm-per-dma) 18e292705ba2: keeps the per-mapping dma->locked_vm total
    if (!ret && k.patch('vfio-locked-vm-per-dma')) dma.locked_vm += npage;
    if (async) yield* mmapi.mmput(k, mm);
    return ret;
  }
  const mm = async ? mmapi.get_task_mm(dma.task) : dma.task.mm;
  if (mm === null) return -ESRCH; // process exited
  let ret = yield* down_write_killable(k, mm.mmap_lock, site);
  if (!ret) {
    ret = __account_locked_vm(k, mm, Math.abs(npage), npage > 0, dma.task, dma.lock_cap);
    up_write(k, mm.mmap_lock, site);
  }
  if (async) yield* mmapi.mmput(k, mm);
  return ret;
}

// ---------------------------------------------------------------------------
// pfns.

/**
 * is_invalid_reserved_pfn(pfn): no struct page, or PageReserved.
 * 5.4.1 checks the compound head and re-checks PageTail; 5.6.4+ reads the page's own
 * flag. MODEL: the memory model keeps PG_reserved per folio, so both read the same.
 */
export function is_invalid_reserved_pfn(k: Kctx, pfn: number): boolean {
  if (pfn_valid(k.m, pfn)) return PageReserved(k.m, pfn);
  return true;
}

/**
 * MODEL: is_invalid_reserved_pfn() answered for a whole folio at once. The memory model
 * keeps PG_reserved per folio (see above), so every pfn in [lo, hi) has the same answer;
 * a pfn without a folio is its own range. Used by loops that ask page after page.
 */
interface reserved_cache {
  lo: number;
  hi: number;
  reserved: boolean;
  /** The last memory region looked up ([rlo, rhi)) and whether its pfns have a struct page (pfn_valid). */
  rlo: number;
  rhi: number;
  rvalid: boolean;
}
function new_reserved_cache(): reserved_cache {
  return { lo: 0, hi: 0, reserved: false, rlo: 0, rhi: 0, rvalid: false };
}
/**
 * is_invalid_reserved_pfn(pfn) = !pfn_valid(pfn) || PageReserved(page), answered with the
 * region of the previous answer reused (regions are fixed) and the folio's flags read
 * from its slot once (PageReserved reads the folio's flags); [rc.lo, rc.hi) is then the
 * folio (or the lone pfn).
 */
function reserved_range(k: Kctx, pfn: number, rc: reserved_cache): void {
  const mem = k.m.mem;
  if (pfn < rc.rlo || pfn >= rc.rhi) {
    const r = mem.region_of(pfn);
    rc.rlo = r === null ? pfn : r.start_pfn;
    rc.rhi = r === null ? pfn + 1 : r.end_pfn;
    rc.rvalid = r !== null && r.kind !== 'bar';
  }
  // A read (nothing here changes the folio): peek_slot, which the checker's journal does not see.
  const sl = mem.peek_slot(pfn);
  if (sl === 0) {
    rc.lo = pfn;
    rc.hi = pfn + 1;
    rc.reserved = !rc.rvalid;
  } else {
    rc.lo = mem.s_pfn[sl];
    rc.hi = rc.lo + (1 << mem.s_order[sl]);
    rc.reserved = !rc.rvalid || (mem.s_flags[sl] & PG_reserved) !== 0;
  }
}

/**
 * put_pfn(pfn, prot): release one pin of a non-reserved pfn; 1 if released, 0 if reserved.
 * 5.4: SetPageDirty (device-writable) + put_page.
 * PATCH(vfio-pin-user-pages) 19fed0dae94d: unpin_user_pages_dirty_lock(&page, 1, prot & IOMMU_WRITE).
 */
export function put_pfn(k: Kctx, pfn: number, prot: number): number {
  if (!is_invalid_reserved_pfn(k, pfn)) {
    // PATCH(vfio-pin-user-pages) 19fed0dae94d: put_pfn() unpins (FOLL_PIN) instead of SetPageDirty + put_page
    if (k.patch('vfio-pin-user-pages')) {
      unpin_user_pages_dirty_lock(k, [pfn], 1, (prot & IOMMU_WRITE) !== 0);
    } else {
      if (prot & IOMMU_WRITE) SetPageDirty(k.m, pfn);
      put_page(k.m, pfn);
    }
    if (k.m.recordEvents) k.m.event(k.tid, 'vfio-unpin', [`pfn:${pfn}`], 'put_pfn');
    return 1;
  }
  return 0;
}

/**
 * The VM_PFNMAP fallback of vaddr_get_pfn*(), caller holds mmap_lock for read.
 * Returns 1 with *pfn set when the vaddr is a PFNMAP mapping of an invalid/reserved pfn,
 * 0 when it does not apply (the caller keeps its GUP error), or -errno.
 * ≤5.7: the pfn is computed linearly from vm_pgoff and used only if invalid/reserved.
 * PATCH(vfio-pfnmap-fault) 41311242221e: follow_fault_pfn() reads (and if needed faults in)
 * the PTE; a device-writable mapping through a read-only PTE is -EFAULT; a pfn with a
 * struct page that is not reserved is -EFAULT.
 */
function* vaddr_get_pfn_pfnmap(k: Kctx, mm: mm_struct, vaddr: number, prot: number, pfn: { v: number }): KThread<number> {
  // PATCH(vfio-pfnmap-fault) 41311242221e: the linear vm_pgoff pfn computation of VM_PFNMAP VMAs, before follow_fault_pfn()
  if (!k.patch('vfio-pfnmap-fault')) {
    const vma = find_vma(mm, vaddr);
    if (vma === null || vma.vm_start > vaddr) return 0; // find_vma_intersection(vaddr, vaddr + 1)
    if ((vma.vm_flags & VM_PFNMAP) === 0) return 0;
    const p = Math.floor((vaddr - vma.vm_start) / PAGE_SIZE) + vma.vm_pgoff;
    if (!is_invalid_reserved_pfn(k, p)) return 0;
    pfn.v = p;
    return 1;
  }
  for (;;) {
    const vma = vma_lookup(mm, vaddr);
    if (vma === null || (vma.vm_flags & VM_PFNMAP) === 0) return 0;
    const ret = yield* follow_fault_pfn(k, vma, mm, vaddr, pfn, (prot & IOMMU_WRITE) !== 0);
    if (ret === -EAGAIN) continue;
    if (ret) return ret;
    return is_invalid_reserved_pfn(k, pfn.v) ? 1 : -EFAULT;
  }
}

/**
 * follow_fault_pfn(vma, mm, vaddr, pfn, write_fault) [5.8+; read in 6.1.192 (follow_pte)
 * and 6.12 (follow_pfnmap_start)]: the pfn in the PTE; faults it in with
 * fixup_user_fault(FAULT_FLAG_REMOTE | WRITE) if absent (-EAGAIN when that dropped the
 * lock, so the caller looks the VMA up again).
 */
function* follow_fault_pfn(k: Kctx, vma: vm_area_struct, mm: mm_struct, vaddr: number, pfn: { v: number }, write_fault: boolean): KThread<number> {
  let w = pt_walk(mm, vaddr);
  if (w.entry === 0 || !pte_present(w.entry)) {
    const unlocked = { v: false };
    const ret = yield* mmapi.fixup_user_fault(k, mm, vaddr, FAULT_FLAG_REMOTE | (write_fault ? FAULT_FLAG_WRITE : 0), unlocked);
    if (unlocked.v) return -EAGAIN;
    if (ret) return ret;
    w = pt_walk(mm, vaddr);
    if (w.entry === 0 || !pte_present(w.entry)) return -EFAULT;
  }
  void vma;
  if (write_fault && !pte_write(w.entry)) return -EFAULT;
  const span = w.level === 'pte' ? PAGE_SIZE : w.level === 'pmd' ? 2 * 1024 * 1024 : 1024 * 1024 * 1024;
  pfn.v = pte_pfn(w.entry) + Math.floor((vaddr % span) / PAGE_SIZE);
  return 0;
}

/**
 * vaddr_get_pfn(mm, vaddr, prot, &pfn) [5.4.1, 5.5-rc5 / 5.6.4]: one page; 0 with
 * *pfn set, or -errno. Dispatches on the seed patch.
 */
export function* vaddr_get_pfn(k: Kctx, mm: mm_struct, vaddr: number, prot: number, pfn: { v: number }): KThread<number> {
  return k.patch('vfio-longterm-via-gup') // PATCH(vfio-longterm-via-gup): 3567813eae5e
    ? yield* vaddr_get_pfn__v5_6(k, mm, vaddr, prot, pfn)
    : yield* vaddr_get_pfn__v5_4(k, mm, vaddr, prot, pfn);
}

/**
 * vaddr_get_pfn() as in 5.4.1 / 5.5-rc5.
 * Local (mm == current->mm): get_user_pages(FOLL_LONGTERM) — long-term semantics
 * (no-CMA scope, CMA migration, fs-DAX -EOPNOTSUPP inside GUP).
 * Remote (an mdev vendor driver pinning from another mm or a kernel thread):
 * get_user_pages_remote() WITHOUT FOLL_LONGTERM (5.4 refuses it there), then a
 * hand-written fs-DAX check on vmas[0] (put_page + -EOPNOTSUPP). The lock is dropped
 * between the pin and the PFNMAP fallback, which re-takes it.
 */
export function* vaddr_get_pfn__v5_4(k: Kctx, mm: mm_struct, vaddr: number, prot: number, pfn: { v: number }): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfn';
  const page: (number | null)[] = [null];
  const vmas: (vm_area_struct | null)[] = [null];
  let flags = 0;
  if (prot & IOMMU_WRITE) flags |= FOLL_WRITE;

  yield* down_read(k, mm.mmap_lock, site);
  let ret: number;
  if (mm === get_current(k).mm) {
    ret = yield* get_user_pages(k, vaddr, 1, flags | FOLL_LONGTERM, page, vmas);
  } else {
    ret = yield* get_user_pages_remote(k, mm, vaddr, 1, flags, page, vmas, null);
    const v0 = vmas[0];
    if (ret > 0 && v0 !== null && vma_is_fsdax(v0)) {
      ret = errno_reason(k, -EOPNOTSUPP, 'drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfn', `vaddr ${hex(vaddr)} is in an fs-DAX mapping, which VFIO refuses to pin (94db151dc892)`);
      put_page(k.m, page[0] as number);
    }
  }
  up_read(k, mm.mmap_lock, site);

  if (ret === 1) {
    pfn.v = page[0] as number;
    k.m.event(k.tid, 'vfio-pin', [`pfn:${pfn.v}`, `mm:${mm.id}`], 'vaddr_get_pfn', mm === get_current(k).mm ? 'local' : 'remote');
    return 0;
  }
  // The window between the two lock holds: the address space may change here.
  yield* down_read(k, mm.mmap_lock, `${site}:pfnmap`);
  const r = yield* vaddr_get_pfn_pfnmap(k, mm, vaddr, prot, pfn);
  up_read(k, mm.mmap_lock, `${site}:pfnmap`);
  if (r === 1) return 0;
  if (r < 0) return r;
  return ret;
}

/**
 * vaddr_get_pfn() as in 5.6.4: always pin_user_pages_remote(FOLL_LONGTERM) (with
 * vmas = NULL, locked = NULL) under one mmap_lock hold; PFNMAP fallback under the same hold.
 * Without PATCH(vfio-pin-user-pages) (an ablation) the call is get_user_pages_remote().
 */
export function* vaddr_get_pfn__v5_6(k: Kctx, mm: mm_struct, vaddr: number, prot: number, pfn: { v: number }): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfn';
  const page: (number | null)[] = [null];
  let flags = 0;
  if (prot & IOMMU_WRITE) flags |= FOLL_WRITE;
  yield* down_read(k, mm.mmap_lock, site);
  let ret = k.patch('vfio-pin-user-pages') // PATCH(vfio-pin-user-pages): 19fed0dae94d
    ? yield* pin_user_pages_remote(k, mm, vaddr, 1, flags | FOLL_LONGTERM, page, null, null)
    : yield* get_user_pages_remote(k, mm, vaddr, 1, flags | FOLL_LONGTERM, page, null, null);
  if (ret === 1) {
    pfn.v = page[0] as number;
    k.m.event(k.tid, 'vfio-pin', [`pfn:${pfn.v}`, `mm:${mm.id}`], 'vaddr_get_pfn', 'longterm');
    ret = 0;
  } else {
    const r = yield* vaddr_get_pfn_pfnmap(k, mm, vaddr, prot, pfn);
    if (r === 1) ret = 0;
    else if (r < 0) ret = r;
  }
  up_read(k, mm.mmap_lock, site);
  return ret;
}

/**
 * vaddr_get_pfns(mm, vaddr, npages, prot, &pfn, pages) [5.12+; read in 6.1.192, 6.12]:
 * pin up to npages with pin_user_pages_remote(FOLL_LONGTERM) under one mmap_lock hold;
 * the positive count (pages[] filled, *pfn = first), or the PFNMAP fallback's 1, or -errno.
 * PATCH(vfio-unpin-zero-page) 873aefb376bb (until PATCH(vfio-revert-unpin-zero-page)
 * 5b992412776c): zero pages in the batch are unpinned at once.
 */
export function* vaddr_get_pfns(k: Kctx, mm: mm_struct, vaddr: number, npages: number, prot: number, pfn: { v: number }, pages: (number | null)[]): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfns';
  let flags = 0;
  if (prot & IOMMU_WRITE) flags |= FOLL_WRITE;
  yield* down_read(k, mm.mmap_lock, site);
  let ret = yield* pin_user_pages_remote(k, mm, vaddr, npages, flags | FOLL_LONGTERM, pages, null, null);
  if (ret > 0) {
    // PATCH(vfio-unpin-zero-page) 873aefb376bb: zero pages GUP returned are unpinned at once
    // PATCH(vfio-revert-unpin-zero-page) 5b992412776c: the zero-page unpin loop is gone again
    if (k.patch('vfio-unpin-zero-page') && !k.patch('vfio-revert-unpin-zero-page')) {
      for (let i = 0; i < ret; i++) {
        if (is_zero_pfn(k.m, pages[i] as number)) unpin_user_page(k, pages[i] as number);
      }
    }
    pfn.v = pages[0] as number;
    k.m.event(k.tid, 'vfio-pin', [`pfn:${pfn.v}`, `mm:${mm.id}`], 'vaddr_get_pfns', ret);
  } else {
    const r = yield* vaddr_get_pfn_pfnmap(k, mm, vaddr, prot, pfn);
    if (r !== 0) ret = r;
  }
  up_read(k, mm.mmap_lock, site);
  return ret;
}

// ---------------------------------------------------------------------------
// Pinning a chunk for MAP_DMA / replay.

/** struct vfio_batch [5.12+]. */
export interface vfio_batch {
  pages: (number | null)[];
  capacity: number;
  size: number;
  offset: number;
}

/** VFIO_BATCH_MAX_CAPACITY = PAGE_SIZE / sizeof(struct page *) */
export const VFIO_BATCH_MAX_CAPACITY = 512;

export function vfio_batch_init(k: Kctx): vfio_batch {
  // disable_hugepages, or __get_free_page() failing: the one-entry fallback array.
  const cap = vfio_subsys_of(k).params.disable_hugepages || should_fail(k, 'drivers/vfio/vfio_iommu_type1.c:vfio_batch_init:__get_free_page') ? 1 : VFIO_BATCH_MAX_CAPACITY;
  return { pages: new Array<number | null>(cap).fill(null), capacity: cap, size: 0, offset: 0 };
}

export function vfio_batch_unpin(k: Kctx, batch: vfio_batch, dma: vfio_dma): void {
  while (batch.size) {
    put_pfn(k, batch.pages[batch.offset] as number, dma.prot);
    batch.offset++;
    batch.size--;
  }
}

/**
 * vfio_pin_pages_remote(dma, vaddr, npage, &pfn_base, limit[, batch]): pin the longest
 * run starting at vaddr whose pfns are consecutive and of the same reserved-ness, at
 * most npage; charge locked_vm for non-reserved pages not already externally pinned,
 * refusing (-ENOMEM) one page before RLIMIT_MEMLOCK is exceeded unless lock_cap.
 * Always current->mm (-ENODEV for a kernel thread). Dispatches on the batching patch.
 */
export function* vfio_pin_pages_remote(k: Kctx, dma: vfio_dma, vaddr: number, npage: number, pfn_base: { v: number }, limit: number, batch: vfio_batch | null): KThread<number> {
  return k.patch('vfio-batch-pinning') && batch !== null // PATCH(vfio-batch-pinning): 4d83de6da265
    ? yield* vfio_pin_pages_remote__v5_12(k, dma, vaddr, npage, pfn_base, limit, batch)
    : yield* vfio_pin_pages_remote__v5_4(k, dma, vaddr, npage, pfn_base, limit);
}

function rlimit_exceeded(k: Kctx, limit: number): void {
  k.s.traceNote(`vfio_pin_pages_remote: RLIMIT_MEMLOCK (${limit * PAGE_SIZE}) exceeded`);
  k.m.event(k.tid, 'rlimit-memlock', [], 'vfio_pin_pages_remote', limit);
  errno_reason(k, -ENOMEM, 'drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote', `pinning one more page would take locked_vm over RLIMIT_MEMLOCK (${limit} pages = ${limit * PAGE_SIZE} bytes), and the task lacks CAP_IPC_LOCK`);
}

/** The offset (in pages) of vaddr inside dma. */
function off_of(dma: vfio_dma, vaddr: number): number {
  return (vaddr - Number(dma.vaddr)) / PAGE_SIZE;
}

/** vfio_pin_pages_remote() as in 5.4.1–5.11: one vaddr_get_pfn() per page. */
export function* vfio_pin_pages_remote__v5_4(k: Kctx, dma: vfio_dma, vaddr: number, npage: number, pfn_base: { v: number }, limit: number): KThread<number> {
  const mm = get_current(k).mm;
  if (mm === null) return -ENODEV;
  let pinned = 0;
  let lock_acct = 0;
  let off = off_of(dma, vaddr);
  let ret = yield* vaddr_get_pfn(k, mm, vaddr, dma.prot, pfn_base);
  if (ret) return ret;
  pinned++;
  const rsvd = is_invalid_reserved_pfn(k, pfn_base.v);
  if (!rsvd && !vfio_find_vpfn(dma, off)) {
    if (!dma.lock_cap && mm.locked_vm + 1 > limit) {
      put_pfn(k, pfn_base.v, dma.prot);
      rlimit_exceeded(k, limit);
      return -ENOMEM;
    }
    lock_acct++;
  }
  let failed = false;
  if (!vfio_subsys_of(k).params.disable_hugepages) {
    const pfn = { v: 0 };
    for (vaddr += PAGE_SIZE, off++; pinned < npage; pinned++, vaddr += PAGE_SIZE, off++) {
      ret = yield* vaddr_get_pfn(k, mm, vaddr, dma.prot, pfn);
      if (ret) break;
      if (pfn.v !== pfn_base.v + pinned || rsvd !== is_invalid_reserved_pfn(k, pfn.v)) {
        put_pfn(k, pfn.v, dma.prot);
        break;
      }
      if (!rsvd && !vfio_find_vpfn(dma, off)) {
        if (!dma.lock_cap && mm.locked_vm + lock_acct + 1 > limit) {
          put_pfn(k, pfn.v, dma.prot);
          rlimit_exceeded(k, limit);
          ret = -ENOMEM;
          failed = true;
          break;
        }
        lock_acct++;
      }
    }
  }
  if (!failed) ret = yield* vfio_lock_acct(k, dma, lock_acct, false);
  if (ret) {
    if (!rsvd) for (let p = pfn_base.v; pinned; p++, pinned--) put_pfn(k, p, dma.prot);
    return ret;
  }
  return pinned;
}

/**
 * May vfio_pin_pages_remote() collapse batches here (see its MODEL note)? Whether object
 * events are recorded does not matter (the collapsed run records its pins and one
 * `vfio-pin` event), so a run with event histories or a trace takes the untraced run's steps.
 * The thread runs alone, or every other live thread waits for a mutex it holds
 * (Sched.aloneHolding): its callers (vfio_pin_map_dma() from vfio_dma_do_map(),
 * vfio_iommu_replay()) hold iommu->lock across the whole pinning, and a collapsed run takes and
 * releases mmap_lock only, so a thread waiting for iommu->lock (another MAP/UNMAP_DMA on the
 * container, say) or for any other mutex held here cannot run at the points the run skips.
 */
function collapse_ok(k: Kctx): boolean {
  return !vfio_subsys_of(k).params.disable_hugepages && k.s.aloneHolding(k.tid) && !fatal_signal_pending(k);
}

/**
 * Where a collapsed run may start (read without mmap_lock: no other thread can run, Sched.aloneHolding in collapse_ok): 'huge' at a
 * huge leaf, 'pte' at a present writable PTE, else null (the batch goes page by page).
 */
function collapse_level(mm: mm_struct, vaddr: number): 'huge' | 'pte' | null {
  const w = pt_walk(mm, vaddr);
  if (w.level !== 'pte') return 'huge';
  const fl = pte_flags(w.entry);
  return (fl & (_PAGE_PRESENT | _PAGE_RW)) === (_PAGE_PRESENT | _PAGE_RW) ? 'pte' : null;
}

/** What vfio_batch_walk() did: pages taken, pages charged, and why it stopped. */
interface batch_walk {
  pinned: number;
  lock_acct: number;
  /** 0: the batch is used up; 1: the pfn run or its reserved-ness ends; 2: RLIMIT_MEMLOCK reached. */
  stop: number;
}

/** Pages that may still be charged before `locked_vm + lock_acct + 1 > limit` holds. */
function room_of(dma: vfio_dma, mm: mm_struct, limit: number): number {
  return dma.lock_cap ? Number.POSITIVE_INFINITY : limit - mm.locked_vm;
}

/**
 * The inner loop of the 5.12+ vfio_pin_pages_remote(): take pages from the batch while
 * their pfns continue the run from pfn_base and keep its reserved-ness; charge each
 * non-reserved page not already externally pinned, stopping where RLIMIT_MEMLOCK would
 * be passed. MODEL: a plain function over locals (the caller is a generator, which runs
 * such loops slowly); it asks and updates exactly what the kernel's loop does, page by
 * page, and no scheduling point lies inside, so locked_vm is read once (`room`).
 * Returns the pfn it stopped at (the one the caller's pfn holds).
 */
function vfio_batch_walk(
  k: Kctx, dma: vfio_dma, batch: vfio_batch, pfn: number, pfn_base: number, rsvd: boolean, room: number,
  off: number, rc: reserved_cache, st: batch_walk,
): number {
  const arr = batch.pages;
  const no_vpfn = dma.pfn_list.size === 0;
  let pinned = st.pinned;
  let lock_acct = st.lock_acct;
  let offset = batch.offset;
  let size = batch.size;
  let p = pfn;
  let stop = 0;
  for (;;) {
    if (p !== pfn_base + pinned) {
      stop = 1;
      break;
    }
    if (p < rc.lo || p >= rc.hi) reserved_range(k, p, rc);
    if (rsvd !== rc.reserved) {
      stop = 1;
      break;
    }
    if (!rsvd && (no_vpfn || !vfio_find_vpfn(dma, off))) {
      if (lock_acct + 1 > room) {
        stop = 2;
        break;
      }
      lock_acct++;
    }
    pinned++;
    off++;
    offset++;
    size--;
    if (!size) break;
    p = arr[offset] as number;
  }
  batch.offset = offset;
  batch.size = size;
  st.pinned = pinned;
  st.lock_acct = lock_acct;
  st.stop = stop;
  return p;
}

/** vfio_pin_pages_remote() as in 5.12+ (read in 6.1.192 and 6.12): batches of up to 512 pages. */
export function* vfio_pin_pages_remote__v5_12(k: Kctx, dma: vfio_dma, vaddr: number, npage: number, pfn_base: { v: number }, limit: number, batch: vfio_batch): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote';
  const mm = get_current(k).mm;
  let pinned = 0;
  let lock_acct = 0;
  let rsvd = false;
  let off = off_of(dma, vaddr);
  const pfn = { v: 0 };
  if (mm === null) return -ENODEV;
  if (batch.size) {
    pfn_base.v = batch.pages[batch.offset] as number;
    pfn.v = pfn_base.v;
    rsvd = is_invalid_reserved_pfn(k, pfn_base.v);
  } else {
    pfn_base.v = 0;
  }
  let ret = 0;
  let unpin_only = false;
  const rc = new_reserved_cache();
  const st: batch_walk = { pinned: 0, lock_acct: 0, stop: 0 };
  out: while (npage) {
    // The last test reads the page table without mmap_lock: the thread is alone, so nothing
    // changes it; it spares the lock round trip (a scheduling point) where neither a huge
    // leaf nor a present writable PTE starts the run, so a failed attempt rarely costs a step.
    const level = !batch.size && pinned > 0 && npage > batch.capacity && !rsvd && dma.pfn_list.size === 0 && collapse_ok(k) ? collapse_level(mm, vaddr) : null;
    if (level !== null) {
      // MODEL (speed only): whole batches over huge leaves (gup_pin_huge_run) or over PTEs
      // (gup_pin_pte_run) in one step. Each batch the
      // kernel would take next (cond_resched, mmap_lock, pin_user_pages_remote of 512
      // pages, the loop above) would, for pages those functions accept, pin every
      // page once, find its pfn continuing the run, not reserved, not externally pinned,
      // and charge it; `max` keeps the charge within RLIMIT_MEMLOCK, so no batch of
      // those fails. Nothing else can run at the skipped points (Sched.alone), no
      // signal is pending: the end state is the same. With object events on, the pins are
      // recorded page by page (try_grab_page) and the run as one vfio-pin event; a traced
      // run records it as one batch event (one cond_resched() point per batch it stands for).
      // Whole batches only, unless the run reaches the end of the request (the kernel's
      // last batch is the remainder): batch boundaries decide which pages GUP touches.
      const room = room_of(dma, mm, limit) - lock_acct;
      const max = room >= npage ? npage : Math.floor(room / batch.capacity) * batch.capacity;
      const gflags = FOLL_PIN | FOLL_TOUCH | FOLL_REMOTE | FOLL_LONGTERM | (dma.prot & IOMMU_WRITE ? FOLL_WRITE : 0);
      yield* down_read(k, mm.mmap_lock, 'drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfns');
      const n = max < batch.capacity ? 0
        : level === 'pte' ? gup_pin_pte_run(k, mm, vaddr, max, gflags, pfn_base.v + pinned, batch.capacity)
          : gup_pin_huge_run(k, mm, vaddr, max, gflags, pfn_base.v + pinned, batch.capacity);
      up_read(k, mm.mmap_lock, 'drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfns');
      if (n > 0) {
        k.m.event(k.tid, 'vfio-pin', [`pfn:${pfn_base.v + pinned}`, `mm:${mm.id}`], 'vaddr_get_pfns', n);
        if (k.s.tracing) k.s.traceBatch(`${site}:cond_resched`, Math.ceil(n / batch.capacity), { fn: site, start: `0x${vaddr.toString(16)}`, pages: n });
        pinned += n;
        lock_acct += n;
        npage -= n;
        off += n;
        vaddr += n * PAGE_SIZE;
        pfn.v = pfn_base.v + pinned - 1;
        continue;
      }
    }
    if (!batch.size) {
      yield* cond_resched(k, site);
      const req_pages = Math.min(npage, batch.capacity);
      ret = yield* vaddr_get_pfns(k, mm, vaddr, req_pages, dma.prot, pfn, batch.pages);
      if (ret < 0) {
        unpin_only = true;
        break;
      }
      if (ret === 0) {
        // The 5.12–6.13 loop has no exit for a 0 return (it would walk an empty batch);
        // GUP returns 0 only for arguments it rejects. 6.18 turns it into -EFAULT.
        ret = unsupported(k, site, 'pin_user_pages_remote() returned 0 pages: the release\'s loop has no defined behaviour here');
        unpin_only = true;
        break;
      }
      batch.size = ret;
      batch.offset = 0;
      if (!pfn_base.v) {
        pfn_base.v = pfn.v;
        rsvd = is_invalid_reserved_pfn(k, pfn_base.v);
      }
    }
    st.pinned = pinned;
    st.lock_acct = lock_acct;
    pfn.v = vfio_batch_walk(k, dma, batch, pfn.v, pfn_base.v, rsvd, room_of(dma, mm, limit), off, rc, st);
    const taken = st.pinned - pinned;
    pinned = st.pinned;
    lock_acct = st.lock_acct;
    npage -= taken;
    off += taken;
    vaddr += taken * PAGE_SIZE;
    if (st.stop === 2) {
      rlimit_exceeded(k, limit);
      ret = -ENOMEM;
      unpin_only = true;
      break out;
    }
    if (st.stop === 1) break out;
    if (vfio_subsys_of(k).params.disable_hugepages) break;
  }
  if (!unpin_only) ret = yield* vfio_lock_acct(k, dma, lock_acct, false);
  // unpin_out:
  if (batch.size === 1 && !batch.offset) {
    // An unconsumed one-entry batch is dropped through its pfn: a PFNMAP pfn has no entry in the
    // batch's page array, so put_pfn() is the only release; size 0 keeps vfio_batch_unpin() off it.
    put_pfn(k, pfn.v, dma.prot);
    batch.size = 0;
  }
  if (ret < 0) {
    if (pinned && !rsvd) for (let p = pfn_base.v; pinned; p++, pinned--) put_pfn(k, p, dma.prot);
    vfio_batch_unpin(k, batch, dma);
    return ret;
  }
  return pinned;
}

/**
 * MODEL (speed only): put_pfn() for pfn .. pfn + npage - 1, returning how many were
 * unpinned. The kernel calls put_pfn() page by page, that is
 * unpin_user_pages_dirty_lock(&page, 1, dirty) for each page that is not reserved; for
 * the pages of one folio that is the same as one unpin_user_page_range_dirty_lock()
 * (dirty the folio once, drop the run's pins at once), and reserved-ness is the folio's
 * (reserved_range). Same end state; vfio_unpin_pages_remote() uses it only when no
 * external pin can be in the range and no per-page event history is wanted.
 */
function put_pfn_range(k: Kctx, dma: vfio_dma, pfn: number, npage: number): number {
  const rc = new_reserved_cache();
  const dirty = (dma.prot & IOMMU_WRITE) !== 0;
  let unlocked = 0;
  let i = 0;
  while (i < npage) {
    const p = pfn + i;
    if (p < rc.lo || p >= rc.hi) reserved_range(k, p, rc);
    if (!rc.reserved && rc.hi - rc.lo === 1 && rc.rvalid) {
      // An order-0 page: it and the order-0 pages after it in its region, at once (gup_speed.ts).
      const n = unpin_pages_run(k, p, Math.min(npage - i, rc.rhi - p), dirty);
      if (n > 0) {
        unlocked += n;
        i += n;
        continue;
      }
    }
    const run = Math.min(npage - i, rc.hi - p);
    if (!rc.reserved) {
      unpin_user_page_range_dirty_lock(k, p, run, dirty);
      unlocked += run;
    }
    i += run;
  }
  return unlocked;
}

/** vfio_unpin_pages_remote(dma, iova, pfn, npage, do_accounting): unpinned count. */
export function* vfio_unpin_pages_remote(k: Kctx, dma: vfio_dma, off: number, pfn: number, npage: number, do_accounting: boolean): KThread<number> {
  let unlocked = 0;
  let locked = 0;
  // PATCH(vfio-pin-user-pages) 19fed0dae94d: MODEL shortcut: releases the range in one call when nothing is externally pinned (same end state as page by page)
  if (k.patch('vfio-pin-user-pages') && dma.pfn_list.size === 0 && !k.m.recordEvents) {
    unlocked = put_pfn_range(k, dma, pfn, npage);
    if (do_accounting) yield* vfio_lock_acct(k, dma, -unlocked, true);
    return unlocked;
  }
  for (let i = 0; i < npage; i++, off++) {
    if (put_pfn(k, pfn++, dma.prot)) {
      unlocked++;
      if (vfio_find_vpfn(dma, off)) locked++;
    }
  }
  if (do_accounting) yield* vfio_lock_acct(k, dma, locked - unlocked, true);
  return unlocked;
}

// ---------------------------------------------------------------------------
// External (mdev) pinning.

/**
 * vfio_pin_page_external(dma, vaddr, &pfn, do_accounting).
 * 5.4–6.0: the mm of dma->task (get_task_mm; -ENODEV if it exited) through
 * vaddr_get_pfn() — the REMOTE branch of 5.4's vaddr_get_pfn when the caller is a
 * kernel thread or another process (famous bug 1).
 * PATCH(vfio-dma-mm-owner): dma->mm (mmget_not_zero; -ENODEV) through vaddr_get_pfns(1).
 */
function* vfio_pin_page_external(k: Kctx, dma: vfio_dma, vaddr: number, pfn_base: { v: number }, do_accounting: boolean): KThread<number> {
  let mm: mm_struct | null;
  // PATCH(vfio-dma-mm-owner) 046eca5018f8: an external pin uses dma->mm (mmget_not_zero) instead of get_task_mm(dma->task)
  if (k.patch('vfio-dma-mm-owner')) {
    mm = dma.mm;
    if (mm === null || !mmget_not_zero(mm)) return -ENODEV;
  } else {
    mm = mmapi.get_task_mm(dma.task);
    if (mm === null) return -ENODEV;
  }
  let ret: number;
  // PATCH(vfio-batch-pinning) 4d83de6da265: an external pin goes through vaddr_get_pfns() with a one-page batch
  if (k.patch('vfio-batch-pinning')) {
    const pages: (number | null)[] = [null];
    ret = yield* vaddr_get_pfns(k, mm, vaddr, 1, dma.prot, pfn_base, pages);
    if (ret === 1) ret = 0;
    else if (ret >= 0) ret = -EFAULT; // MODEL: a 0 return (no page) stays an error for the caller
  } else {
    ret = yield* vaddr_get_pfn(k, mm, vaddr, dma.prot, pfn_base);
  }
  if (!ret && do_accounting && !is_invalid_reserved_pfn(k, pfn_base.v)) {
    // PATCH(vfio-dma-mm-owner) 046eca5018f8: vfio_lock_acct() of an external pin is no longer asynchronous (mm known)
    ret = yield* vfio_lock_acct(k, dma, 1, !k.patch('vfio-dma-mm-owner'));
    if (ret) put_pfn(k, pfn_base.v, dma.prot);
  }
  yield* mmapi.mmput(k, mm);
  return ret;
}

function* vfio_unpin_page_external(k: Kctx, dma: vfio_dma, off: number, do_accounting: boolean): KThread<number> {
  const vpfn = vfio_find_vpfn(dma, off);
  if (!vpfn) return 0;
  const unlocked = vfio_iova_put_vfio_pfn(k, dma, vpfn);
  if (do_accounting) yield* vfio_lock_acct(k, dma, -unlocked, true);
  return unlocked;
}

function find_iommu_group(iommu: vfio_iommu, g: vfio_group): vfio_iommu_group | null {
  for (const d of iommu.domain_list) for (const x of d.group_list) if (x.group === g) return x;
  for (const x of iommu.emulated_iommu_groups) if (x.group === g) return x;
  return null;
}

/**
 * vfio_iommu_type1_pin_pages() [5.4: (iommu, user_pfn[], npage, prot, phys_pfn[]);
 * 6.1/6.12: (iommu, iommu_group, user_iova, npage, prot, pages[])]. v2 only (-EACCES);
 * needs a registered DMA_UNMAP listener (-EINVAL); each page must lie in a mapping
 * (-EINVAL) whose prot covers `prot` (-EPERM); an already pinned iova only gains a
 * reference. Accounting happens here only when no IOMMU-backed domain exists (MAP_DMA
 * charged everything otherwise). Any failure unwinds the pins of this call.
 */
export function* vfio_iommu_type1_pin_pages(k: Kctx, iommu: vfio_iommu, group: vfio_group, user_iova: bigint, npage: number, prot: number, phys_pfn: number[]): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_pin_pages';
  if (!iommu.v2) return -EACCES;
  yield* mutex_lock(k, iommu.lock, site);
  let ret = 0;
  let i = 0;
  done: {
    // PATCH(vfio-exclude-mdev-update-vaddr) ef3a3f6a294b: vfio_pin_pages() with an invalid vaddr WARNs and fails -EBUSY
    // PATCH(vfio-no-vaddr-wait) da4f1c2e1c9c: no sleeping for MAP_DMA|VADDR: -EBUSY instead
    if (k.patch('vfio-exclude-mdev-update-vaddr') || k.patch('vfio-no-vaddr-wait')) {
      if (WARN_ON_ONCE(k, iommu.vaddr_invalid_count !== 0, site, 'vfio_pin_pages not allowed with VFIO_UPDATE_VADDR')) {
        ret = -EBUSY;
        break done;
      }
    } else if (k.patch('vfio-update-vaddr')) { // PATCH(vfio-update-vaddr) c3cbab24db38: 5.12-6.2: wait until every needed vaddr is valid again
      // 5.12–6.2: wait until every vaddr needed is valid (vfio_find_dma_valid).
      for (let j = 0; j < npage; j++) {
        const r = yield* vfio_find_dma_valid(k, iommu, user_iova + BigInt(j * PAGE_SIZE), BigInt(PAGE_SIZE));
        if (r < 0) {
          ret = r;
          break done;
        }
        if (r === WAITED) j = -1;
      }
    }
    if (iommu.device_list.length === 0) {
      ret = -EINVAL;
      break done;
    }
    const do_accounting = iommu.domain_list.length === 0;
    unwind: {
      for (i = 0; i < npage; i++) {
        const iova = user_iova + BigInt(i * PAGE_SIZE);
        const dma = vfio_find_dma(iommu, iova, BigInt(PAGE_SIZE));
        if (!dma) {
          ret = -EINVAL;
          break unwind;
        }
        if ((dma.prot & prot) !== prot) {
          ret = -EPERM;
          break unwind;
        }
        const off = pages_of(iova - dma.iova);
        const vpfn = vfio_iova_get_vfio_pfn(dma, off);
        if (vpfn) {
          phys_pfn[i] = vpfn.pfn;
          continue;
        }
        const remote_vaddr = uaddr(dma.vaddr + (iova - dma.iova));
        const pfn = { v: 0 };
        ret = yield* vfio_pin_page_external(k, dma, remote_vaddr, pfn, do_accounting);
        if (ret) break unwind;
        // PATCH(vfio-pin-pages-struct-page) 34a255e67615: pin_pages hands out struct pages; a pfn without one is -EINVAL
        if (k.patch('vfio-pin-pages-struct-page') && !pfn_valid(k.m, pfn.v)) {
          // 6.x returns struct page pointers: a pfn without one cannot be handed out.
          // PATCH(vfio-pin-pages-pfn-valid) 4752354af710: the check; 6.0-6.3 convert the pfn anyway
          if (!k.patch('vfio-pin-pages-pfn-valid')) {
            ret = unsupported(k, site, `external pin of pfn ${pfn.v}, which has no struct page: this release hands the vendor driver pfn_to_page() of it (no pfn_valid() check before 4752354af710)`);
            break unwind;
          }
          ret = -EINVAL;
          break unwind;
        }
        vfio_add_to_pfn_list(dma, off, pfn.v);
        phys_pfn[i] = pfn.v;
        k.m.event(k.tid, 'vfio-pin-external', [`pfn:${pfn.v}`, `dma:${dma.id}`], 'vfio_iommu_type1_pin_pages', Number(iova));
        if (iommu.dirty_page_tracking && dma.bitmap) {
          const bit = Number((iova - dma.iova) / vfio_min_pgsize(iommu));
          dma.bitmap[bit >> 3] |= 1 << (bit & 7);
        }
      }
      ret = i;
      // PATCH(vfio-dirty-tracking) d6a4c185660c: an external pin puts its group in pinned-page dirty scope
      if (k.patch('vfio-dirty-tracking')) {
        const g = find_iommu_group(iommu, group);
        if (g && !g.pinned_page_dirty_scope) {
          g.pinned_page_dirty_scope = true;
          iommu.num_non_pinned_groups--;
        }
      }
      break done;
    }
    // pin_unwind:
    phys_pfn[i] = 0;
    for (let j = 0; j < i; j++) {
      const iova = user_iova + BigInt(j * PAGE_SIZE);
      const dma = vfio_find_dma(iommu, iova, BigInt(PAGE_SIZE));
      if (dma) yield* vfio_unpin_page_external(k, dma, pages_of(iova - dma.iova), do_accounting);
      phys_pfn[j] = 0;
    }
  }
  mutex_unlock(k, iommu.lock, site);
  return ret;
}

/**
 * vfio_iommu_type1_unpin_pages() [5.4 returns the count or -EINVAL / -EACCES; 6.x void
 * with a WARN when not v2 or when a page has no mapping].
 */
export function* vfio_iommu_type1_unpin_pages(k: Kctx, iommu: vfio_iommu, user_iova: bigint, npage: number): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_unpin_pages';
  if (!iommu.v2) {
    // PATCH(vfio-unpin-pages-void) e8f90717ed3b: the void unpin_pages WARNs when not v2
    if (k.patch('vfio-unpin-pages-void')) WARN_ON(k, true, site, 'not v2');
    return -EACCES;
  }
  yield* mutex_lock(k, iommu.lock, site);
  const do_accounting = iommu.domain_list.length === 0;
  let i = 0;
  for (; i < npage; i++) {
    const iova = user_iova + BigInt(i * PAGE_SIZE);
    const dma = vfio_find_dma(iommu, iova, BigInt(PAGE_SIZE));
    if (!dma) break;
    yield* vfio_unpin_page_external(k, dma, pages_of(iova - dma.iova), do_accounting);
  }
  mutex_unlock(k, iommu.lock, site);
  // PATCH(vfio-unpin-pages-void) e8f90717ed3b: unpin_pages returns nothing (WARN if a page had no mapping)
  if (k.patch('vfio-unpin-pages-void')) {
    WARN_ON(k, i !== npage, site);
    return 0;
  }
  return i > npage ? npage : i > 0 ? i : -EINVAL;
}

// ---------------------------------------------------------------------------
// VADDR waits (5.12–6.2 only).

const WAITED = 1;

/** vfio_wait(iommu) [5.12–6.2]: drop iommu->lock, sleep (killable) until woken, re-lock. */
function* vfio_wait(k: Kctx, iommu: vfio_iommu): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_wait';
  const before = iommu.vaddr_invalid_count;
  mutex_unlock(k, iommu.lock, site);
  yield* waitUntil(`${site}:vaddr_wait`, { kind: 'waitqueue', object: `vaddr_wait(vfio_iommu#${iommu.id})`, detail: 'VFIO_UPDATE_VADDR' },
    () => iommu.vaddr_invalid_count < before || !iommu.container_open, 'killable');
  yield* mutex_lock(k, iommu.lock, site);
  if (!iommu.container_open || fatal_signal_pending(k)) return -EFAULT;
  return WAITED;
}

function* vfio_find_dma_valid(k: Kctx, iommu: vfio_iommu, start: bigint, size: bigint): KThread<number> {
  let ret = 0;
  do {
    const d = vfio_find_dma(iommu, start, size);
    if (!d) return -EINVAL;
    if (!d.vaddr_invalid) return ret;
    ret = yield* vfio_wait(k, iommu);
  } while (ret === WAITED);
  return ret;
}


// ---------------------------------------------------------------------------
// Unmap and unpin.

/** VFIO_IOMMU_TLB_SYNC_MAX */
const VFIO_IOMMU_TLB_SYNC_MAX = 512;

interface vfio_region {
  iova: number;
  phys: number;
  len: number;
}

function* vfio_sync_unpin(k: Kctx, dma: vfio_dma, regions: vfio_region[]): KThread<number> {
  let unlocked = 0;
  const base = Number(dma.iova);
  for (const r of regions) {
    unlocked += yield* vfio_unpin_pages_remote(k, dma, (r.iova - base) / PAGE_SIZE, r.phys / PAGE_SIZE, r.len / PAGE_SIZE, false);
  }
  regions.length = 0;
  yield* cond_resched(k, 'drivers/vfio/vfio_iommu_type1.c:vfio_sync_unpin');
  return unlocked;
}

/**
 * vfio_unmap_unpin(iommu, dma, do_accounting): unmap the mapping from every domain,
 * reading the pfns back from the first one, and unpin them in physically contiguous
 * chunks (fast unmap, sync every 512 regions). Returns the unpinned count, or 0 after
 * un-accounting it when do_accounting.
 */
export function* vfio_unmap_unpin(k: Kctx, iommu: vfio_iommu, dma: vfio_dma, do_accounting: boolean): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_unmap_unpin';
  if (!dma.size) return 0;
  if (iommu.domain_list.length === 0) return 0;
  const start = Number(dma.iova);
  const end = Number(dma.iova + dma.size);
  const domain = iommu.domain_list[0];
  for (const d of iommu.domain_list.slice(1)) {
    iommu_unmap(k, d.domain, start, end - start);
    yield* cond_resched(k, site);
  }
  const regions: vfio_region[] = [];
  let unlocked = 0;
  let iova = start;
  while (iova < end) {
    const phys = iommu_iova_to_phys(domain.domain, iova);
    if (WARN_ON(k, phys === 0, site, `iova 0x${iova.toString(16)} not mapped`)) {
      iova += PAGE_SIZE;
      continue;
    }
    // Largest physically contiguous chunk (page-by-page in the kernel; see iommu_contiguous_bytes).
    const len = domain.fgsp ? PAGE_SIZE : Math.max(PAGE_SIZE, iommu_contiguous_bytes(domain.domain, iova, end - iova));
    let unmapped = iommu_unmap_fast(k, domain.domain, iova, len);
    if (unmapped) {
      regions.push({ iova, phys, len: unmapped });
      iova += unmapped;
      if (regions.length >= VFIO_IOMMU_TLB_SYNC_MAX) unlocked += yield* vfio_sync_unpin(k, dma, regions);
    } else {
      if (regions.length) unlocked += yield* vfio_sync_unpin(k, dma, regions);
      unmapped = iommu_unmap(k, domain.domain, iova, len);
      if (unmapped) {
        unlocked += yield* vfio_unpin_pages_remote(k, dma, (iova - start) / PAGE_SIZE, phys / PAGE_SIZE, unmapped / PAGE_SIZE, false);
        iova += unmapped;
        yield* cond_resched(k, site);
      }
      if (WARN_ON(k, !unmapped, site)) break;
    }
  }
  dma.iommu_mapped = false;
  if (regions.length) unlocked += yield* vfio_sync_unpin(k, dma, regions);
  if (do_accounting) {
    yield* vfio_lock_acct(k, dma, -unlocked, true);
    return 0;
  }
  return unlocked;
}

/** vfio_remove_dma(iommu, dma): unmap+unpin+un-account, unlink, drop task (and mm) refs, dma_avail++. */
export function* vfio_remove_dma(k: Kctx, iommu: vfio_iommu, dma: vfio_dma): KThread<void> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_remove_dma';
  // PATCH(vfio-dirty-tracking) d6a4c185660c: vfio_remove_dma WARNs about external pins left
  if (k.patch('vfio-dirty-tracking')) WARN_ON(k, dma.pfn_list.size !== 0, site, 'external pins left');
  yield* vfio_unmap_unpin(k, iommu, dma, true);
  vfio_unlink_dma(iommu, dma);
  if (dma.mm !== null) mmdrop(k.m, dma.mm);
  dma.bitmap = null;
  if (dma.vaddr_invalid) iommu.vaddr_invalid_count--;
  iommu.dma_avail++;
  k.m.event(k.tid, 'vfio-remove-dma', [`dma:${dma.id}`], 'vfio_remove_dma', Number(dma.iova));
}

/** vfio_pgsize_bitmap(iommu) (5.4) / iommu->pgsize_bitmap (5.8+ cache; same value). */
export function vfio_pgsize_bitmap(iommu: vfio_iommu): bigint {
  let bitmap = U64_MAX;
  for (const d of iommu.domain_list) bitmap &= BigInt(d.domain.pgsize_bitmap);
  const PAGE_MASK = U64_MAX ^ BigInt(PAGE_SIZE - 1);
  if (bitmap & ~PAGE_MASK & U64_MAX) {
    bitmap &= PAGE_MASK;
    bitmap |= BigInt(PAGE_SIZE);
  }
  return bitmap;
}

function vfio_min_pgsize(iommu: vfio_iommu): bigint {
  return ffs_big(vfio_pgsize_bitmap(iommu));
}

function* vfio_notify_dma_unmap(k: Kctx, iommu: vfio_iommu, dma: vfio_dma): KThread<void> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_notify_dma_unmap';
  if (iommu.device_list.length === 0) return;
  mutex_unlock(k, iommu.lock, site);
  for (const dev of [...iommu.device_list]) if (dev.dma_unmap) yield* dev.dma_unmap(k, dev, dma.iova, dma.size);
  yield* mutex_lock(k, iommu.lock, site);
}

/** vfio_dma_do_unmap(): dispatches on the 5.12 rewrite (find-first iteration, UNMAP_ALL, VADDR). */
export function* vfio_dma_do_unmap(k: Kctx, iommu: vfio_iommu, unmap: vfio_iommu_type1_dma_unmap): KThread<number> {
  return k.patch('vfio-unmap-all') // PATCH(vfio-unmap-all): c19650995374
    ? yield* vfio_dma_do_unmap__v5_12(k, iommu, unmap)
    : yield* vfio_dma_do_unmap__v5_4(k, iommu, unmap);
}

/** Why an UNMAP_DMA size is refused: zero, or not a multiple of the smallest IOMMU page size. */
function unmap_size_why(size: bigint, pgsize: bigint): string {
  return size === 0n ? 'size 0' : `size ${hex(size)} is not a multiple of the smallest IOMMU page size (${hex(pgsize)})`;
}

/** Why a TYPE1v2 UNMAP_DMA is refused: its start or end falls inside a mapping (v2 does not split mappings). */
function unmap_bisect_why(dma: vfio_dma, at: bigint, edge: 'start' | 'end'): string {
  return `the range's ${edge} ${hex(at)} falls inside the mapping [${hex(dma.iova)}, ${hex(dma.iova + dma.size - 1n)}]: VFIO_TYPE1v2_IOMMU unmaps whole mappings only`;
}

/**
 * vfio_dma_do_unmap() as in 5.4.1 (5.8–5.11 add GET_DIRTY_BITMAP on the same loop):
 * alignment/size/wrap -> -EINVAL; v2 refuses to bisect; v1 stops at a mapping that
 * starts before iova; a mapping made by another mm stops the walk; externally pinned
 * mappings notify the vendor drivers and retry from `again:` (the v2 checks included:
 * a MAP_DMA made while the notifier ran without iommu->lock can make the retry refuse
 * with -EINVAL), BUG after 10 retries of one mapping.
 */
export function* vfio_dma_do_unmap__v5_4(k: Kctx, iommu: vfio_iommu, unmap: vfio_iommu_type1_dma_unmap): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_unmap';
  const mask = vfio_min_pgsize(iommu) - 1n;
  if (unmap.iova & mask) return errno_reason(k, -EINVAL, site, `iova ${hex(unmap.iova)} is not aligned to the smallest IOMMU page size (${hex(mask + 1n)})`);
  if (!unmap.size || unmap.size & mask) return errno_reason(k, -EINVAL, site, unmap_size_why(unmap.size, mask + 1n));
  if (unmap.iova + unmap.size - 1n > U64_MAX || unmap.size > U64_MAX) return errno_reason(k, -EINVAL, site, `iova ${hex(unmap.iova)} + size ${hex(unmap.size)} wraps past 2^64`);
  let unmapped = 0n;
  let ret = 0;
  let dma_last: vfio_dma | null = null;
  let retries = 0;
  yield* mutex_lock(k, iommu.lock, site);
  // `again:` — the first pass, and every pass after a DMA_UNMAP notifier round (which ran
  // without iommu->lock, so the mappings may have changed), re-runs the v2 bisection checks.
  let again = true;
  unlock: {
    for (;;) {
      if (again && iommu.v2) {
        let dma = vfio_find_dma(iommu, unmap.iova, 1n);
        if (dma && dma.iova !== unmap.iova) {
          ret = errno_reason(k, -EINVAL, site, unmap_bisect_why(dma, unmap.iova, 'start'));
          break unlock;
        }
        dma = vfio_find_dma(iommu, unmap.iova + unmap.size - 1n, 0n);
        if (dma && dma.iova + dma.size !== unmap.iova + unmap.size) {
          ret = errno_reason(k, -EINVAL, site, unmap_bisect_why(dma, unmap.iova + unmap.size, 'end'));
          break unlock;
        }
      }
      again = false;
      const dma = vfio_find_dma(iommu, unmap.iova, unmap.size);
      if (!dma) break;
      if (!iommu.v2 && unmap.iova > dma.iova) break;
      // Only a task with the same address space as the one that mapped may unmap.
      if (dma.task.mm !== get_current(k).mm) break;
      if (dma.pfn_list.size !== 0) {
        if (dma_last === dma) {
          if (BUG_ON(k, ++retries > 10, site, 'vendor driver did not unpin on DMA_UNMAP')) {
            // MODEL: the kernel oopses here; the model ends the ioctl
            ret = errno_reason(k, -EBUSY, site, `BUG: the mapping at iova ${hex(dma.iova)} still has pages pinned by a vendor driver after 10 DMA_UNMAP notifier rounds (the kernel oopses; the model ends the ioctl)`);
            break unlock;
          }
        } else {
          dma_last = dma;
          retries = 0;
        }
        yield* vfio_notify_dma_unmap(k, iommu, dma);
        again = true; // goto again
        continue;
      }
      unmapped += dma.size;
      yield* vfio_remove_dma(k, iommu, dma);
    }
  }
  mutex_unlock(k, iommu.lock, site);
  unmap.size = unmapped;
  return ret;
}

/**
 * vfio_dma_do_unmap() as in 5.12+ (read in 6.1.192 and 6.12): UNMAP_ALL, VADDR
 * invalidation with rollback, dirty bitmap, in-order walk from the first node.
 * PATCH(vfio-exclude-mdev-update-vaddr): VADDR with emulated groups -> -EBUSY.
 * PATCH(vfio-dma-mm-owner): no same-mm test.
 */
export function* vfio_dma_do_unmap__v5_12(k: Kctx, iommu: vfio_iommu, unmap: vfio_iommu_type1_dma_unmap): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_unmap';
  let unmapped = 0n;
  let ret = -EINVAL;
  let dma_last: vfio_dma | null = null;
  let retries = 0;
  const iova = unmap.iova;
  let size = unmap.size;
  const unmap_all = (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0;
  const invalidate_vaddr = (unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR) !== 0;
  yield* mutex_lock(k, iommu.lock, site);
  unlock: {
    // PATCH(vfio-exclude-mdev-update-vaddr) ef3a3f6a294b: UNMAP_DMA|VADDR with an emulated group attached is -EBUSY
    if (k.patch('vfio-exclude-mdev-update-vaddr') && invalidate_vaddr && iommu.emulated_iommu_groups.length !== 0) {
      ret = errno_reason(k, -EBUSY, site, 'VFIO_DMA_UNMAP_FLAG_VADDR while an emulated (mdev) group is attached: its vendor driver could pin through an invalid vaddr (ef3a3f6a294b)');
      break unlock;
    }
    const pgsize = vfio_min_pgsize(iommu);
    if (iova & (pgsize - 1n)) {
      errno_reason(k, -EINVAL, site, `iova ${hex(iova)} is not aligned to the smallest IOMMU page size (${hex(pgsize)})`);
      break unlock;
    }
    if (unmap_all) {
      if (iova || size) {
        errno_reason(k, -EINVAL, site, `VFIO_DMA_UNMAP_FLAG_ALL needs iova and size 0 (iova ${hex(iova)}, size ${hex(size)})`);
        break unlock;
      }
      size = U64_MAX;
    } else if (!size || size & (pgsize - 1n) || iova + size - 1n > U64_MAX) {
      const wraps = iova + size - 1n > U64_MAX && size && !(size & (pgsize - 1n));
      // PATCH(vfio-iova-overflow) 6012379ede6a: check_add_overflow() on iova + size - 1 fails with -EOVERFLOW
      if (wraps && k.patch('vfio-iova-overflow')) ret = errno_reason(k, -EOVERFLOW, site, `iova ${hex(iova)} + size ${hex(size)} wraps past 2^64`);
      else errno_reason(k, -EINVAL, site, wraps ? `iova ${hex(iova)} + size ${hex(size)} wraps past 2^64` : unmap_size_why(size, pgsize));
      break unlock;
    }
    if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP &&
        (!iommu.dirty_page_tracking || unmap.bitmap === undefined || unmap.bitmap.pgsize !== pgsize)) {
      errno_reason(k, -EINVAL, site, !iommu.dirty_page_tracking
        ? 'VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP while dirty page tracking is not started'
        : `the dirty bitmap's pgsize ${unmap.bitmap === undefined ? 'is missing' : hex(unmap.bitmap.pgsize)} is not the smallest IOMMU page size (${hex(pgsize)})`);
      break unlock;
    }
    again: for (;;) {
      if (iommu.v2 && !unmap_all) {
        let dma = vfio_find_dma(iommu, iova, 1n);
        if (dma && dma.iova !== iova) {
          errno_reason(k, -EINVAL, site, unmap_bisect_why(dma, iova, 'start'));
          break unlock;
        }
        dma = vfio_find_dma(iommu, iova + size - 1n, 0n);
        if (dma && dma.iova + dma.size !== iova + size) {
          errno_reason(k, -EINVAL, site, unmap_bisect_why(dma, iova + size, 'end'));
          break unlock;
        }
      }
      ret = 0;
      const end = iova + size > U64_MAX ? U64_MAX + 1n : iova + size;
      const first = vfio_find_dma_first_index(iommu, iova, end - iova);
      if (first < 0) break again;
      let n = first;
      while (n < iommu.dma_list.length) {
        const dma = iommu.dma_list[n];
        if (dma.iova >= end) break;
        if (!iommu.v2 && iova > dma.iova) break;
        // PATCH(vfio-unmap-any-mm) ffed0518d871: UNMAP_DMA no longer stops at a mapping made by another mm
        if (!k.patch('vfio-unmap-any-mm') && dma.task.mm !== get_current(k).mm) break;
        if (invalidate_vaddr) {
          if (dma.vaddr_invalid) {
            for (let r = first; r < n; r++) {
              iommu.dma_list[r].vaddr_invalid = false;
              iommu.vaddr_invalid_count--;
            }
            ret = errno_reason(k, -EINVAL, site, `the mapping at iova ${hex(dma.iova)} already has an invalid vaddr (VFIO_DMA_UNMAP_FLAG_VADDR twice); the earlier ones in the range were restored`);
            unmapped = 0n;
            break;
          }
          dma.vaddr_invalid = true;
          iommu.vaddr_invalid_count++;
          unmapped += dma.size;
          n++;
          continue;
        }
        if (dma.pfn_list.size !== 0) {
          if (dma_last === dma) {
            if (BUG_ON(k, ++retries > 10, site, 'vendor driver did not unpin on DMA_UNMAP')) {
              // MODEL: the kernel oopses here; the model ends the ioctl
              ret = errno_reason(k, -EBUSY, site, `BUG: the mapping at iova ${hex(dma.iova)} still has pages pinned by a vendor driver after 10 DMA_UNMAP notifier rounds (the kernel oopses; the model ends the ioctl)`);
              break unlock;
            }
          } else {
            dma_last = dma;
            retries = 0;
          }
          yield* vfio_notify_dma_unmap(k, iommu, dma);
          continue again;
        }
        if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP && unmap.bitmap) {
          ret = update_user_bitmap(iommu, dma, iova, pgsize, unmap.bitmap.data);
          if (ret) break;
        }
        unmapped += dma.size;
        yield* vfio_remove_dma(k, iommu, dma);
      }
      break again;
    }
  }
  mutex_unlock(k, iommu.lock, site);
  unmap.size = unmapped;
  return ret;
}

// ---------------------------------------------------------------------------
// Map.

/** vfio_iommu_map(iommu, iova, pfn, npage, prot): map into every domain, unwinding on failure. */
function* vfio_iommu_map(k: Kctx, iommu: vfio_iommu, iova: number, pfn: number, npage: number, prot: number): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_map';
  let i = 0;
  let ret = 0;
  for (; i < iommu.domain_list.length; i++) {
    const d = iommu.domain_list[i];
    ret = iommu_map(k, d.domain, iova, pfn * PAGE_SIZE, npage * PAGE_SIZE, prot | d.prot);
    if (ret) break;
    yield* cond_resched(k, site);
  }
  if (ret) {
    for (let j = i - 1; j >= 0; j--) iommu_unmap(k, iommu.domain_list[j].domain, iova, npage * PAGE_SIZE);
  }
  return ret;
}

/**
 * vfio_pin_map_dma(iommu, dma, map_size): pin chunk after chunk from current->mm and
 * map each into every domain; dma->size grows; on failure the whole mapping is removed.
 */
function* vfio_pin_map_dma(k: Kctx, iommu: vfio_iommu, dma: vfio_dma, map_size: bigint): KThread<number> {
  let size = pages_of(map_size);
  const limit = Math.floor(rlimit(k, RLIMIT_MEMLOCK) / PAGE_SIZE);
  // PATCH(vfio-batch-pinning) 4d83de6da265: pinning fills a vfio_batch of up to 512 pages
  const batch = k.patch('vfio-batch-pinning') ? vfio_batch_init(k) : null;
  const vbase = Number(dma.vaddr);
  const ibase = Number(dma.iova);
  let ret = 0;
  const pfn = { v: 0 };
  while (size) {
    const done = pages_of(dma.size);
    const npage = yield* vfio_pin_pages_remote(k, dma, vbase + done * PAGE_SIZE, size, pfn, limit, batch);
    if (npage <= 0) {
      WARN_ON(k, !npage, 'drivers/vfio/vfio_iommu_type1.c:vfio_pin_map_dma');
      ret = npage;
      break;
    }
    ret = yield* vfio_iommu_map(k, iommu, ibase + done * PAGE_SIZE, pfn.v, npage, dma.prot);
    if (ret) {
      yield* vfio_unpin_pages_remote(k, dma, done, pfn.v, npage, true);
      if (batch) vfio_batch_unpin(k, batch, dma);
      break;
    }
    size -= npage;
    dma.size += BigInt(npage * PAGE_SIZE);
  }
  dma.iommu_mapped = true;
  if (ret) yield* vfio_remove_dma(k, iommu, dma);
  return ret;
}

/** Why MAP_DMA's shape check fails (no READ/WRITE, size 0, or an address not aligned to the smallest IOMMU page). */
function map_dma_shape(prot: number, size: bigint, iova: bigint, vaddr: bigint, pgsize: bigint): string {
  if (!prot) return 'neither VFIO_DMA_MAP_FLAG_READ nor VFIO_DMA_MAP_FLAG_WRITE';
  if (!size) return 'size 0';
  const bad = [['size', size], ['iova', iova], ['vaddr', vaddr]].filter(([, v]) => (v as bigint) & (pgsize - 1n)).map(([n, v]) => `${n as string} ${hex(v as bigint)}`);
  return `${bad.join(', ')} not aligned to the smallest IOMMU page size (${hex(pgsize)})`;
}

function map_dma_wrap(iova: bigint, vaddr: bigint, size: bigint): string {
  return iova + size - 1n > U64_MAX ? `iova ${hex(iova)} + size ${hex(size)} wraps past 2^64` : `vaddr ${hex(vaddr)} + size ${hex(size)} wraps past 2^64`;
}

/**
 * Why [start, end] is not inside one usable IOVA range: the usable ranges (the IOMMU aperture minus
 * the groups' reserved regions) and the reserved region or gap the range touches.
 */
function iova_outside_usable(iommu: vfio_iommu, start: bigint, end: bigint): string {
  const usable = iommu.iova_list.map((n) => `[${hex(n.start)}, ${hex(n.end)}]`).join(', ');
  const resv: iommu_resv_region[] = [];
  for (const d of iommu.domain_list) for (const g of d.group_list) resv.push(...iommu_get_group_resv_regions(g.group.iommu_group));
  const hit = resv.find((r) => start <= BigInt(r.start + r.length - 1) && end >= BigInt(r.start));
  const names = ['direct-mapped', 'direct-mapped (relaxable)', 'reserved', 'MSI window', 'software MSI window'];
  const what = hit !== undefined
    ? `it touches the reserved region [${hex(hit.start)}, ${hex(hit.start + hit.length - 1)}] (${names[hit.type] ?? `type ${hit.type}`}) of an attached group`
    : 'it lies outside the IOMMU aperture';
  return `iova [${hex(start)}, ${hex(end)}] is not inside one usable IOVA range: ${what}; usable ranges: ${usable}`;
}

/** vfio_iommu_iova_dma_valid(iommu, start, end): inside one usable range, or no list (mdev only). */
function vfio_iommu_iova_dma_valid(iommu: vfio_iommu, start: bigint, end: bigint): boolean {
  for (const n of iommu.iova_list) if (start >= n.start && end <= n.end) return true;
  return iommu.iova_list.length === 0;
}

/**
 * vfio_change_dma_owner(dma) [PATCH(vfio-restore-locked-vm) 90fdd158a695]: move the
 * mapping's charge to current's mm (charge first: -ENOMEM if over the new limit).
 */
function* vfio_change_dma_owner(k: Kctx, dma: vfio_dma): KThread<number> {
  const cur = get_current(k);
  const task = cur.group_leader;
  const mm = cur.mm;
  if (mm === null) return -ENODEV;
  if (mm === dma.mm) return 0;
  const npage = dma.locked_vm;
  const lock_cap = capable(k, CAP_IPC_LOCK);
  const ret = yield* mm_lock_acct(k, task, mm, lock_cap, npage);
  if (ret) return ret;
  if (dma.mm !== null && mmget_not_zero(dma.mm)) {
    yield* mm_lock_acct(k, dma.task, dma.mm, dma.lock_cap, -npage);
    yield* mmapi.mmput(k, dma.mm);
  }
  dma.task = task;
  if (dma.mm !== null) mmdrop(k.m, dma.mm);
  dma.mm = mm;
  mmgrab(mm);
  dma.lock_cap = lock_cap;
  return 0;
}

/**
 * vfio_dma_do_map(iommu, map): the validation order of each release
 *, then pin + map, or for a container without an
 * IOMMU-backed domain just record the mapping (pinning happens on external pins).
 */
export function* vfio_dma_do_map(k: Kctx, iommu: vfio_iommu, map: vfio_iommu_type1_dma_map): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map';
  const set_vaddr = (map.flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0;
  const iova = map.iova;
  const vaddr = map.vaddr;
  const size = map.size;
  let prot = 0;
  // The kernel compares each u64 argument with its value narrowed to the internal types;
  // on a 64-bit kernel the narrowing never loses bits, so that check cannot fail here.
  if (map.flags & VFIO_DMA_MAP_FLAG_WRITE) prot |= IOMMU_WRITE;
  if (map.flags & VFIO_DMA_MAP_FLAG_READ) prot |= IOMMU_READ;
  const pgsize = vfio_min_pgsize(iommu);
  // PATCH(vfio-iova-overflow) 6012379ede6a: size 0 and a wrapping iova or vaddr range are refused first, before the
  // flag test and without iommu->lock, the wrap (check_add_overflow on start + size - 1) with -EOVERFLOW
  if (k.patch('vfio-iova-overflow')) {
    if (!size) return errno_reason(k, -EINVAL, site, 'size 0');
    if (iova + size - 1n > U64_MAX || vaddr + size - 1n > U64_MAX) return errno_reason(k, -EOVERFLOW, site, map_dma_wrap(iova, vaddr, size));
  }
  // PATCH(vfio-update-vaddr) c3cbab24db38: MAP_DMA takes exactly one of READ|WRITE and VADDR
  if (k.patch('vfio-update-vaddr')) {
    // PATCH(vfio-update-vaddr): exactly one of {prot, VADDR}; alignment checked under the lock.
    if ((prot && set_vaddr) || (!prot && !set_vaddr)) return errno_reason(k, -EINVAL, site, prot ? 'VFIO_DMA_MAP_FLAG_VADDR together with READ/WRITE' : 'neither VFIO_DMA_MAP_FLAG_READ/WRITE nor VADDR');
  } else {
    if (!prot || !size || (size | iova | vaddr) & (pgsize - 1n)) return errno_reason(k, -EINVAL, site, map_dma_shape(prot, size, iova, vaddr, pgsize));
    if (iova + size - 1n > U64_MAX || vaddr + size - 1n > U64_MAX) return errno_reason(k, -EINVAL, site, map_dma_wrap(iova, vaddr, size));
  }
  yield* mutex_lock(k, iommu.lock, site);
  let ret = 0;
  out_unlock: {
    // PATCH(vfio-update-vaddr) c3cbab24db38: size/alignment/wrap checks move under iommu->lock
    if (k.patch('vfio-update-vaddr')) {
      if (!size || (size | iova | vaddr) & (pgsize - 1n)) {
        ret = errno_reason(k, -EINVAL, site, map_dma_shape(prot || 1, size, iova, vaddr, pgsize));
        break out_unlock;
      }
      if (iova + size - 1n > U64_MAX || vaddr + size - 1n > U64_MAX) {
        ret = errno_reason(k, -EINVAL, site, map_dma_wrap(iova, vaddr, size));
        break out_unlock;
      }
    }
    const found = vfio_find_dma(iommu, iova, size);
    if (set_vaddr) {
      if (!found) {
        ret = -ENOENT;
      } else if (!found.vaddr_invalid || found.iova !== iova || found.size !== size) {
        ret = -EINVAL;
      } else {
        // PATCH(vfio-restore-locked-vm) 90fdd158a695: MAP_DMA|VADDR from another mm moves the locked_vm charge
        if (k.patch('vfio-restore-locked-vm')) {
          ret = yield* vfio_change_dma_owner(k, found);
          if (ret) break out_unlock;
        }
        found.vaddr = vaddr;
        found.vaddr_invalid = false;
        iommu.vaddr_invalid_count--;
      }
      break out_unlock;
    } else if (found) {
      ret = errno_reason(k, -EEXIST, 'drivers/vfio/vfio_iommu_type1.c:vfio_find_dma', `iova [${hex(iova)}, ${hex(iova + size - 1n)}] overlaps the existing mapping [${hex(found.iova)}, ${hex(found.iova + found.size - 1n)}]`);
      break out_unlock;
    }
    if (!iommu.dma_avail) {
      ret = errno_reason(k, -ENOSPC_, site, 'no DMA mappings left: the container already holds dma_entry_limit of them (module parameter, 65535 by default)');
      break out_unlock;
    }
    if (!vfio_iommu_iova_dma_valid(iommu, iova, iova + size - 1n)) {
      ret = errno_reason(k, -EINVAL, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid', iova_outside_usable(iommu, iova, iova + size - 1n));
      break out_unlock;
    }
    if (should_fail(k, 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map:kzalloc')) {
      ret = -ENOMEM;
      break out_unlock;
    }
    iommu.dma_avail--;
    const cur = get_current(k);
    const dma: vfio_dma = {
      id: k.m.nextId('vfio_dma'), iova, vaddr, size: 0n, prot, iommu_mapped: false,
      lock_cap: capable(k, CAP_IPC_LOCK), vaddr_invalid: false, task: cur.group_leader, pfn_list: new Map(),
      bitmap: null, mm: null, locked_vm: 0,
    };
    // PATCH(vfio-dma-mm-owner) 046eca5018f8: MAP_DMA records (mmgrab) the caller's mm in the vfio_dma
    if (k.patch('vfio-dma-mm-owner')) {
      dma.mm = cur.mm;
      if (dma.mm) mmgrab(dma.mm);
    }
    vfio_link_dma(iommu, dma);
    k.m.event(k.tid, 'vfio-map-dma', [`dma:${dma.id}`], 'vfio_dma_do_map', Number(iova));
    if (iommu.domain_list.length === 0) dma.size = size;
    else ret = yield* vfio_pin_map_dma(k, iommu, dma, size);
    if (!ret && iommu.dirty_page_tracking) dma.bitmap = new Uint8Array(Math.ceil(Number(size / pgsize) / 8));
  }
  mutex_unlock(k, iommu.lock, site);
  return ret;
}

const ENOSPC_ = 28;

// ---------------------------------------------------------------------------
// Attach / detach of groups, the usable IOVA list, replay.

/**
 * vfio_iommu_replay(iommu, domain): map every existing mapping into a new domain,
 * reading pfns from an existing domain, or pinning (from current->mm) mappings that
 * were never pinned (mdev-only container until now).
 * MODEL: the 6.x unwind of a partial replay (vfio_iommu_replay's unwind: labels) is
 * reduced to returning the error; the attach then fails and the caller detaches.
 */
function* vfio_iommu_replay(k: Kctx, iommu: vfio_iommu, domain: vfio_domain): KThread<number> {
  const limit = Math.floor(rlimit(k, RLIMIT_MEMLOCK) / PAGE_SIZE);
  const d = iommu.domain_list.length ? iommu.domain_list[0] : null;
  // PATCH(vfio-batch-pinning) 4d83de6da265: replay on attach pins through a vfio_batch too
  const batch = k.patch('vfio-batch-pinning') ? vfio_batch_init(k) : null;
  for (const dma of iommu.dma_list) {
    const start = Number(dma.iova);
    const end = Number(dma.iova + dma.size);
    let iova = start;
    while (iova < end) {
      let phys: number;
      let size: number;
      if (dma.iommu_mapped && d !== null) {
        phys = iommu_iova_to_phys(d.domain, iova);
        if (WARN_ON(k, phys === 0, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_replay')) {
          iova += PAGE_SIZE;
          continue;
        }
        size = Math.max(PAGE_SIZE, iommu_contiguous_bytes(d.domain, iova, end - iova));
      } else {
        const pfn = { v: 0 };
        const npage = yield* vfio_pin_pages_remote(k, dma, Number(dma.vaddr) + (iova - start), (end - iova) / PAGE_SIZE, pfn, limit, batch);
        if (npage <= 0) {
          WARN_ON(k, !npage, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_replay');
          if (batch) vfio_batch_unpin(k, batch, dma);
          return npage;
        }
        phys = pfn.v * PAGE_SIZE;
        size = npage * PAGE_SIZE;
      }
      const ret = iommu_map(k, domain.domain, iova, phys, size, dma.prot | domain.prot);
      if (ret) return ret;
      iova += size;
    }
    if (batch) vfio_batch_unpin(k, batch, dma);
  }
  for (const dma of iommu.dma_list) dma.iommu_mapped = true;
  return 0;
}

function vfio_iommu_aper_conflict(iommu: vfio_iommu, start: bigint, end: bigint): boolean {
  const l = iommu.iova_list;
  if (l.length === 0) return false;
  const first = l[0];
  const last = l[l.length - 1];
  if (start > last.end || end < first.start) return true;
  if (start > first.start && vfio_find_dma(iommu, first.start, start - first.start)) return true;
  if (end < last.end && vfio_find_dma(iommu, end + 1n, last.end - end)) return true;
  return false;
}

function vfio_iommu_aper_resize(list: vfio_iova[], start: bigint, end: bigint): vfio_iova[] {
  if (list.length === 0) return [{ start, end }];
  const out: vfio_iova[] = [];
  for (const n of list) {
    if (n.end < start || n.start > end) continue;
    out.push({ start: n.start < start ? start : n.start, end: n.end > end ? end : n.end });
  }
  return out;
}

function vfio_iommu_resv_conflict(iommu: vfio_iommu, resv: iommu_resv_region[]): boolean {
  for (const r of resv) {
    if (r.type === IOMMU_RESV_DIRECT_RELAXABLE) continue;
    if (vfio_find_dma(iommu, BigInt(r.start), BigInt(r.length))) return true;
  }
  return false;
}

/** vfio_iommu_resv_exclude(): cut reserved regions out of the usable list; -EINVAL if nothing remains. */
function vfio_iommu_resv_exclude(list: vfio_iova[], resv: iommu_resv_region[]): vfio_iova[] | number {
  let cur = list;
  for (const r of resv) {
    if (r.type === IOMMU_RESV_DIRECT_RELAXABLE) continue;
    const s = BigInt(r.start);
    const e = BigInt(r.start + r.length - 1);
    const next: vfio_iova[] = [];
    for (const n of cur) {
      if (s > n.end || e < n.start) {
        next.push(n);
        continue;
      }
      if (s > n.start) next.push({ start: n.start, end: s - 1n });
      if (e < n.end) next.push({ start: e + 1n, end: n.end });
    }
    cur = next;
  }
  if (cur.length === 0) return -EINVAL;
  return cur;
}

/** vfio_iommu_has_sw_msi(): a software-managed MSI window exists (and no hardware one). */
function vfio_iommu_has_sw_msi(resv: iommu_resv_region[]): boolean {
  let ret = false;
  for (const r of resv) {
    if (r.type === IOMMU_RESV_MSI) return false;
    if (r.type === IOMMU_RESV_SW_MSI) ret = true;
  }
  return ret;
}

/**
 * vfio_iommu_type1_attach_group(iommu, group): an mdev group joins the emulated list;
 * a physical group gets a new domain (or shares a compatible one), the usable IOVA list
 * is narrowed to the aperture minus reserved regions (-EINVAL on a conflict with an
 * existing mapping), interrupt remapping is required unless allow_unsafe_interrupts
 * (-EPERM), and existing mappings are replayed into the new domain.
 * PATCH(vfio-no-vaddr-wait) / 6.1.192: -EBUSY while any vaddr is invalid.
 */
export function* vfio_iommu_type1_attach_group(k: Kctx, iommu: vfio_iommu, group: vfio_group): KThread<number> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_attach_group';
  yield* mutex_lock(k, iommu.lock, site);
  let ret = 0;
  out: {
    // PATCH(vfio-no-vaddr-wait) da4f1c2e1c9c: attach with invalid vaddrs is -EBUSY instead of waiting
    // PATCH(vfio-exclude-mdev-update-vaddr) ef3a3f6a294b: attach with invalid vaddrs is -EBUSY
    if ((k.patch('vfio-no-vaddr-wait') || k.patch('vfio-exclude-mdev-update-vaddr')) && iommu.vaddr_invalid_count) {
      ret = -EBUSY;
      break out;
    }
    if (find_iommu_group(iommu, group)) {
      ret = -EINVAL;
      break out;
    }
    const g: vfio_iommu_group = { group, pinned_page_dirty_scope: false };
    if (group.emulated) {
      iommu.emulated_iommu_groups.push(g);
      g.pinned_page_dirty_scope = true;
      break out;
    }
    const dom = iommu_domain_alloc(k);
    const domain: vfio_domain = { domain: dom, group_list: [], prot: 0, fgsp: false };
    // Only without PATCH(vfio-remove-type1-nesting) (read in vfio_iommu_type1_open): a nesting container asks the new
    // domain for nested translation before the attach; whether the driver grants it depends on the IOMMU driver and
    // hardware (5.6.4 Intel: nested-capable hardware only; AMD: -EINVAL; 6.12 x86: -EINVAL), which the model lacks.
    if (iommu.nesting) {
      iommu_domain_free(k, dom);
      ret = unsupported(k, site, 'a VFIO_TYPE1_NESTING_IOMMU container: whether the IOMMU driver grants nested translation depends on the driver and the hardware');
      break out;
    }
    ret = iommu_attach_group(k, dom, group.iommu_group);
    if (ret) {
      iommu_domain_free(k, dom);
      break out;
    }
    const geo = dom.geometry;
    const astart = BigInt(geo.aperture_start);
    const aend = BigInt(geo.aperture_end);
    const undo = (): void => {
      iommu_detach_group(k, dom, group.iommu_group);
      iommu_domain_free(k, dom);
    };
    if (vfio_iommu_aper_conflict(iommu, astart, aend)) {
      undo();
      ret = -EINVAL;
      break out;
    }
    const resv = iommu_get_group_resv_regions(group.iommu_group);
    if (vfio_iommu_resv_conflict(iommu, resv)) {
      undo();
      ret = -EINVAL;
      break out;
    }
    const resized = vfio_iommu_aper_resize(iommu.iova_list.map((x) => ({ ...x })), astart, aend);
    const excluded = vfio_iommu_resv_exclude(resized, resv);
    if (typeof excluded === 'number') {
      undo();
      ret = excluded;
      break out;
    }
    void vfio_iommu_has_sw_msi(resv); // x86: hardware MSI window, no MSI cookie to set up
    domain.group_list.push(g);
    if (!vfio_subsys_of(k).params.allow_unsafe_interrupts && !iommu_group_has_isolated_msi(k, group.iommu_group)) {
      undo();
      ret = -EPERM;
      break out;
    }
    if (dom.cache_coherent) domain.prot |= IOMMU_CACHE;
    // Try to share an existing compatible domain (same driver, same coherency).
    for (const d of iommu.domain_list) {
      if (d.prot === domain.prot) {
        iommu_detach_group(k, dom, group.iommu_group);
        if (!iommu_attach_group(k, d.domain, group.iommu_group)) {
          d.group_list.push(g);
          iommu_domain_free(k, dom);
          iommu.iova_list = excluded;
          // PATCH(vfio-dirty-tracking) d6a4c185660c: a group without pinned-page dirty scope is counted
          if (k.patch('vfio-dirty-tracking')) iommu.num_non_pinned_groups++;
          break out;
        }
        iommu_attach_group(k, dom, group.iommu_group);
      }
    }
    ret = yield* vfio_iommu_replay(k, iommu, domain);
    if (ret) {
      // Undo what the replay mapped into the new domain (a prefix of each mapping it reached).
      for (const dma of iommu.dma_list) if (dma.size) iommu_unmap(k, dom, Number(dma.iova), Number(dma.size));
      undo();
      break out;
    }
    iommu.domain_list.unshift(domain);
    iommu.iova_list = excluded;
    // PATCH(vfio-dirty-tracking) d6a4c185660c: a group without pinned-page dirty scope is counted
    if (k.patch('vfio-dirty-tracking')) iommu.num_non_pinned_groups++;
  }
  mutex_unlock(k, iommu.lock, site);
  return ret;
}

/** vfio_iommu_unmap_unpin_all(): remove every mapping. */
function* vfio_iommu_unmap_unpin_all(k: Kctx, iommu: vfio_iommu): KThread<void> {
  while (iommu.dma_list.length) yield* vfio_remove_dma(k, iommu, iommu.dma_list[0]);
}

/**
 * vfio_iommu_unmap_unpin_reaccount(): the last IOMMU domain goes but mdev groups remain:
 * unmap/unpin everything and charge only the externally pinned pages.
 */
function* vfio_iommu_unmap_unpin_reaccount(k: Kctx, iommu: vfio_iommu): KThread<void> {
  for (const dma of iommu.dma_list) {
    const unlocked = yield* vfio_unmap_unpin(k, iommu, dma, false);
    let locked = 0;
    for (const v of dma.pfn_list.values()) if (!is_invalid_reserved_pfn(k, v.pfn)) locked++;
    yield* vfio_lock_acct(k, dma, locked - unlocked, true);
  }
}

/**
 * vfio_iommu_type1_detach_group(iommu, group): the last group of a domain takes the
 * domain with it; the last IOMMU domain takes every mapping (or re-accounts them
 * while mdev groups remain); the usable IOVA list is recomputed.
 */
export function* vfio_iommu_type1_detach_group(k: Kctx, iommu: vfio_iommu, group: vfio_group): KThread<void> {
  const site = 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_detach_group';
  yield* mutex_lock(k, iommu.lock, site);
  const ei = iommu.emulated_iommu_groups.findIndex((x) => x.group === group);
  if (ei >= 0) {
    iommu.emulated_iommu_groups.splice(ei, 1);
    if (iommu.emulated_iommu_groups.length === 0) {
      for (const dma of iommu.dma_list) if (WARN_ON(k, dma.pfn_list.size !== 0, site, 'external pins left at detach')) break;
      if (iommu.domain_list.length === 0) yield* vfio_iommu_unmap_unpin_all(k, iommu);
    }
    mutex_unlock(k, iommu.lock, site);
    return;
  }
  for (let di = 0; di < iommu.domain_list.length; di++) {
    const domain = iommu.domain_list[di];
    const gi = domain.group_list.findIndex((x) => x.group === group);
    if (gi < 0) continue;
    iommu_detach_group(k, domain.domain, group.iommu_group);
    const g = domain.group_list[gi];
    domain.group_list.splice(gi, 1);
    // PATCH(vfio-dirty-tracking) d6a4c185660c: detaching such a group drops the count
    if (k.patch('vfio-dirty-tracking') && !g.pinned_page_dirty_scope) iommu.num_non_pinned_groups--;
    if (domain.group_list.length === 0) {
      if (iommu.domain_list.length === 1) {
        if (iommu.emulated_iommu_groups.length === 0) yield* vfio_iommu_unmap_unpin_all(k, iommu);
        else yield* vfio_iommu_unmap_unpin_reaccount(k, iommu);
      }
      iommu_domain_free(k, domain.domain);
      iommu.domain_list.splice(di, 1);
    }
    break;
  }
  // Recompute the usable ranges from the remaining domains (vfio_iommu_aper_expand + resv_refresh).
  let list: vfio_iova[] = [];
  if (iommu.domain_list.length) {
    let s = 0n;
    let e = U64_MAX;
    for (const d of iommu.domain_list) {
      if (BigInt(d.domain.geometry.aperture_start) > s) s = BigInt(d.domain.geometry.aperture_start);
      if (BigInt(d.domain.geometry.aperture_end) < e) e = BigInt(d.domain.geometry.aperture_end);
    }
    list = [{ start: s, end: e }];
    for (const d of iommu.domain_list) {
      for (const g of d.group_list) {
        const ex = vfio_iommu_resv_exclude(list, iommu_get_group_resv_regions(g.group.iommu_group));
        if (typeof ex !== 'number') list = ex;
      }
    }
  }
  iommu.iova_list = list;
  mutex_unlock(k, iommu.lock, site);
}

// ---------------------------------------------------------------------------
// open / release / ioctl.

/**
 * vfio_iommu_type1_open(arg): TYPE1 -> v1; TYPE1v2 and TYPE1_NESTING -> v2; anything
 * else -EINVAL. dma_avail starts at dma_entry_limit.
 */
export function vfio_iommu_type1_open(k: Kctx, arg: number): vfio_iommu | number {
  let v2 = false;
  let nesting = false;
  switch (arg) {
    case VFIO_TYPE1_IOMMU:
      break;
    case VFIO_TYPE1_NESTING_IOMMU:
      // PATCH(vfio-remove-type1-nesting) 35890f85573c: the reserved number opens a plain v2 container
      nesting = !k.patch('vfio-remove-type1-nesting');
      v2 = true;
      break;
    case VFIO_TYPE1v2_IOMMU:
      v2 = true;
      break;
    default:
      return -EINVAL;
  }
  return {
    id: k.m.nextId('vfio_iommu'), domain_list: [], iova_list: [], emulated_iommu_groups: [],
    lock: new Mutex(`lock(vfio_iommu#${k.m.nextId('vfio_iommu_lock')})`), dma_list: [], device_list: [],
    dma_avail: vfio_subsys_of(k).params.dma_entry_limit, vaddr_invalid_count: 0, num_non_pinned_groups: 0,
    v2, nesting, dirty_page_tracking: false, container_open: true,
  };
}

/** vfio_iommu_type1_release(): the container's last reference: unmap and unpin everything. */
export function* vfio_iommu_type1_release(k: Kctx, iommu: vfio_iommu): KThread<void> {
  iommu.container_open = false;
  iommu.emulated_iommu_groups.length = 0;
  yield* vfio_iommu_unmap_unpin_all(k, iommu);
  for (const d of iommu.domain_list) {
    for (const g of d.group_list) iommu_detach_group(k, d.domain, g.group.iommu_group);
    iommu_domain_free(k, d.domain);
  }
  iommu.domain_list.length = 0;
  iommu.iova_list = [];
}

/** vfio_iommu_type1_check_extension(iommu | NULL, arg). */
export function vfio_iommu_type1_check_extension(k: Kctx, iommu: vfio_iommu | null, arg: number): number {
  switch (arg) {
    case VFIO_TYPE1_IOMMU:
    case VFIO_TYPE1v2_IOMMU:
      return 1;
    case VFIO_TYPE1_NESTING_IOMMU:
      // PATCH(vfio-remove-type1-nesting) 35890f85573c: no longer an extension
      return k.patch('vfio-remove-type1-nesting') ? 0 : 1;
    case VFIO_UNMAP_ALL:
      return k.patch('vfio-unmap-all') ? 1 : 0; // PATCH(vfio-unmap-all)
    case VFIO_UPDATE_VADDR:
      // PATCH(vfio-update-vaddr) c3cbab24db38: CHECK_EXTENSION(VFIO_UPDATE_VADDR)
      if (!k.patch('vfio-update-vaddr')) return 0;
      // PATCH(vfio-exclude-mdev-update-vaddr): not with emulated (mdev) groups.
      if (k.patch('vfio-exclude-mdev-update-vaddr')) return iommu !== null && iommu.emulated_iommu_groups.length === 0 ? 1 : 0;
      return 1;
    case VFIO_DMA_CC_IOMMU:
      if (iommu === null) return 0;
      return iommu.domain_list.every((d) => (d.prot & IOMMU_CACHE) !== 0) ? 1 : 0;
    default:
      return 0;
  }
}

/** vfio_iommu_type1_get_info(): page sizes and the capability chain of the release. */
function* vfio_iommu_type1_get_info(k: Kctx, iommu: vfio_iommu, info: vfio_iommu_type1_info | null): KThread<number> {
  if (info === null) return errno_reason(k, -EFAULT, ioctl_site(k, 'get_info'), 'GET_INFO: copy_from_user of struct vfio_iommu_type1_info faulted');
  if (info.argsz < VFIO_IOMMU_INFO_MINSZ) return errno_reason(k, -EINVAL, ioctl_site(k, 'get_info'), `GET_INFO: argsz ${info.argsz} is smaller than the struct's minimum (${VFIO_IOMMU_INFO_MINSZ} bytes)`);
  yield* mutex_lock(k, iommu.lock, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_get_info');
  info.flags = VFIO_IOMMU_INFO_PGSIZES;
  info.iova_pgsizes = vfio_pgsize_bitmap(iommu);
  const caps: vfio_info_cap[] = [];
  // PATCH(vfio-dirty-tracking) d6a4c185660c: GET_INFO carries the MIGRATION capability
  if (k.patch('vfio-dirty-tracking')) {
    caps.push({ id: VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, version: 1, flags: 0, pgsize_bitmap: vfio_min_pgsize(iommu), max_dirty_bitmap_size: BigInt(Math.ceil((2 ** 31 - 1) / 64) * 8) });
  }
  // PATCH(vfio-dma-avail-cap) 7d6e1329652e: GET_INFO carries the DMA_AVAIL capability
  if (k.patch('vfio-dma-avail-cap')) caps.push({ id: VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, version: 1, avail: iommu.dma_avail });
  if (iommu.iova_list.length) caps.push({ id: VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, version: 1, iova_ranges: iommu.iova_list.map((n) => ({ start: n.start, end: n.end })) });
  mutex_unlock(k, iommu.lock, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_get_info');
  // 5.4/6.1: cap_offset is cleared/returned only if argsz covers it; 6.12 copies min(argsz, sizeof).
  info.cap_offset = 0;
  info.caps = [];
  // vfio_info_cap_add(): PATCH(vfio-cap-align) a881b496941f rounds each capability up to 8 bytes.
  const align = k.patch('vfio-cap-align');
  const capsize = caps.reduce((a, c) => a + (align ? Math.ceil(vfio_info_cap_size(c) / 8) * 8 : vfio_info_cap_size(c)), 0);
  if (capsize) {
    info.flags |= VFIO_IOMMU_INFO_CAPS;
    if (info.argsz < VFIO_IOMMU_INFO_SIZEOF + capsize) {
      info.argsz = VFIO_IOMMU_INFO_SIZEOF + capsize;
    } else if (info.argsz >= VFIO_IOMMU_INFO_CAPSZ) {
      info.caps = caps;
      info.cap_offset = VFIO_IOMMU_INFO_SIZEOF;
    }
  }
  return 0;
}

/** update_user_bitmap(): copy a mapping's dirty bits (at pgsize) into the user bitmap; reset to the pinned set. */
function update_user_bitmap(iommu: vfio_iommu, dma: vfio_dma, base_iova: bigint, pgsize: bigint, out: Uint8Array | null): number {
  if (out === null) return -EFAULT;
  const npages = Number(dma.size / pgsize);
  const shift = Number((dma.iova - base_iova) / pgsize);
  // A group without pinned-page dirty scope: every mapped page is reported dirty.
  const all = iommu.num_non_pinned_groups > 0 && dma.iommu_mapped;
  for (let i = 0; i < npages; i++) {
    const set = all || (dma.bitmap !== null && (dma.bitmap[i >> 3] & (1 << (i & 7))) !== 0);
    if (!set) continue;
    const b = shift + i;
    if ((b >> 3) >= out.length) return -EFAULT;
    out[b >> 3] |= 1 << (b & 7);
  }
  if (dma.bitmap) {
    dma.bitmap.fill(0);
    for (const v of dma.pfn_list.values()) {
      const bit = Math.floor(v.off * PAGE_SIZE / Number(pgsize));
      dma.bitmap[bit >> 3] |= 1 << (bit & 7);
    }
  }
  return 0;
}

/** vfio_iommu_type1_dirty_pages() [5.8+]: START / STOP / GET_BITMAP. */
function* vfio_iommu_type1_dirty_pages(k: Kctx, iommu: vfio_iommu, dirty: vfio_iommu_type1_dirty_bitmap | null): KThread<number> {
  const site = ioctl_site(k, 'dirty_pages');
  if (dirty === null) return errno_reason(k, -EFAULT, site, 'copy_from_user of struct vfio_iommu_type1_dirty_bitmap faulted');
  if (!iommu.v2) return errno_reason(k, -EACCES, site, 'dirty page tracking needs a VFIO_TYPE1v2_IOMMU container');
  const mask = VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP | VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
  if (dirty.argsz < VFIO_DIRTY_BITMAP_MINSZ || dirty.flags & ~mask) return errno_reason(k, -EINVAL, site, argsz_flags_why(dirty.argsz, VFIO_DIRTY_BITMAP_MINSZ, dirty.flags, mask));
  const one = [VFIO_IOMMU_DIRTY_PAGES_FLAG_START, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP];
  if (!one.includes(dirty.flags)) return errno_reason(k, -EINVAL, site, `flags 0x${dirty.flags.toString(16)}: exactly one of START, STOP, GET_BITMAP`);
  const pgsize = vfio_min_pgsize(iommu);
  if (dirty.flags === VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
    yield* mutex_lock(k, iommu.lock, site);
    if (!iommu.dirty_page_tracking) {
      for (const dma of iommu.dma_list) {
        dma.bitmap = new Uint8Array(Math.ceil(Number(dma.size / pgsize) / 8));
        for (const v of dma.pfn_list.values()) {
          const bit = Math.floor(v.off * PAGE_SIZE / Number(pgsize));
          dma.bitmap[bit >> 3] |= 1 << (bit & 7);
        }
      }
      iommu.dirty_page_tracking = true;
    }
    mutex_unlock(k, iommu.lock, site);
    return 0;
  }
  if (dirty.flags === VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
    yield* mutex_lock(k, iommu.lock, site);
    if (iommu.dirty_page_tracking) {
      iommu.dirty_page_tracking = false;
      for (const dma of iommu.dma_list) dma.bitmap = null;
    }
    mutex_unlock(k, iommu.lock, site);
    return 0;
  }
  const get = dirty.get;
  if (dirty.argsz < VFIO_DIRTY_BITMAP_MINSZ + VFIO_DIRTY_BITMAP_GET_SIZEOF || get === undefined) {
    return errno_reason(k, -EINVAL, site, `GET_BITMAP: argsz ${dirty.argsz} does not cover struct vfio_iommu_type1_dirty_bitmap_get (${VFIO_DIRTY_BITMAP_MINSZ + VFIO_DIRTY_BITMAP_GET_SIZEOF} bytes)`);
  }
  const { iova, size, bitmap } = get;
  // PATCH(vfio-iova-overflow) 6012379ede6a: a wrapping range is -EOVERFLOW, tested before the page-size checks
  if (k.patch('vfio-iova-overflow') && size && iova + size - 1n > U64_MAX) return errno_reason(k, -EOVERFLOW, site, `GET_BITMAP: iova ${hex(iova)} + size ${hex(size)} wraps past 2^64`);
  if (!size || bitmap.pgsize !== pgsize) return errno_reason(k, -EINVAL, site, !size ? 'GET_BITMAP: size 0' : `GET_BITMAP: bitmap pgsize ${hex(bitmap.pgsize)} is not the smallest IOMMU page size (${hex(pgsize)})`);
  if (iova + size - 1n < iova || iova + size - 1n > U64_MAX) return errno_reason(k, -EINVAL, site, `GET_BITMAP: iova ${hex(iova)} + size ${hex(size)} wraps past 2^64`);
  if (iova & (pgsize - 1n) || size & (pgsize - 1n)) return errno_reason(k, -EINVAL, site, `GET_BITMAP: iova ${hex(iova)} or size ${hex(size)} not aligned to ${hex(pgsize)}`);
  if (bitmap.data === null) return errno_reason(k, -EINVAL, site, 'GET_BITMAP: no bitmap buffer');
  if (BigInt(bitmap.data.length) * 8n < size / pgsize) return errno_reason(k, -EINVAL, site, `GET_BITMAP: a bitmap of ${bitmap.data.length} bytes cannot hold ${size / pgsize} pages`);
  yield* mutex_lock(k, iommu.lock, site);
  let ret = 0;
  out: {
    if (!iommu.dirty_page_tracking) {
      ret = errno_reason(k, -EINVAL, site, 'GET_BITMAP while dirty page tracking is not started');
      break out;
    }
    let dma = vfio_find_dma(iommu, iova, 1n);
    if (dma && dma.iova !== iova) {
      ret = errno_reason(k, -EINVAL, site, unmap_bisect_why(dma, iova, 'start').replace('unmaps whole mappings only', 'reports whole mappings only'));
      break out;
    }
    dma = vfio_find_dma(iommu, iova + size - 1n, 0n);
    if (dma && dma.iova + dma.size !== iova + size) {
      ret = errno_reason(k, -EINVAL, site, unmap_bisect_why(dma, iova + size, 'end').replace('unmaps whole mappings only', 'reports whole mappings only'));
      break out;
    }
    for (const d of iommu.dma_list) {
      if (d.iova < iova || d.iova + d.size > iova + size) continue;
      ret = update_user_bitmap(iommu, d, iova, pgsize, bitmap.data);
      if (ret) break;
    }
  }
  mutex_unlock(k, iommu.lock, site);
  return ret;
}

const IOCTL_SITE = 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_ioctl';

/**
 * The function that holds an ioctl's argument checks in this release: vfio_iommu_type1_ioctl()
 * up to 5.8, vfio_iommu_type1_<cmd>() from 5.9 (a refactor, no change in behaviour).
 */
function ioctl_site(k: Kctx, cmd: 'get_info' | 'map_dma' | 'unmap_dma' | 'dirty_pages'): string {
  // PATCH(vfio-type1-ioctl-refactor) ccd59dce1a21: the checks move into per-command helpers
  return k.patch('vfio-type1-ioctl-refactor') ? `drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_${cmd}` : IOCTL_SITE;
}

/** Why an argsz/flags check failed: the struct is shorter than its minimum, or flags outside the accepted mask. */
function argsz_flags_why(argsz: number, minsz: number, flags: number, mask: number): string {
  return argsz < minsz ? `argsz ${argsz} is smaller than the struct's minimum (${minsz} bytes)` : `flags 0x${flags.toString(16)} has bits outside 0x${mask.toString(16)} (this release's accepted flags)`;
}

/**
 * vfio_iommu_type1_ioctl(iommu, cmd, arg): CHECK_EXTENSION, GET_INFO, MAP_DMA,
 * UNMAP_DMA, DIRTY_PAGES (5.8+); anything else -ENOTTY. `arg` is the decoded user
 * struct (null stands for a faulting user pointer: -EFAULT), or the number argument.
 */
export function* vfio_iommu_type1_ioctl(k: Kctx, iommu: vfio_iommu, cmd: number, arg: unknown): KThread<number> {
  if (cmd === VFIO_CHECK_EXTENSION) return vfio_iommu_type1_check_extension(k, iommu, arg as number);
  if (cmd === VFIO_IOMMU_GET_INFO) return yield* vfio_iommu_type1_get_info(k, iommu, arg as vfio_iommu_type1_info | null);
  if (cmd === VFIO_IOMMU_MAP_DMA) {
    const site = ioctl_site(k, 'map_dma');
    const map = arg as vfio_iommu_type1_dma_map | null;
    if (map === null || should_fail(k, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_ioctl:copy_from_user')) {
      return errno_reason(k, -EFAULT, site, 'MAP_DMA: copy_from_user of struct vfio_iommu_type1_dma_map faulted');
    }
    let mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    // PATCH(vfio-update-vaddr) c3cbab24db38: MAP_DMA accepts VFIO_DMA_MAP_FLAG_VADDR
    if (k.patch('vfio-update-vaddr')) mask |= VFIO_DMA_MAP_FLAG_VADDR;
    if (map.argsz < VFIO_DMA_MAP_MINSZ || map.flags & ~mask) return errno_reason(k, -EINVAL, site, `MAP_DMA: ${argsz_flags_why(map.argsz, VFIO_DMA_MAP_MINSZ, map.flags, mask)}`);
    return yield* vfio_dma_do_map(k, iommu, map);
  }
  if (cmd === VFIO_IOMMU_UNMAP_DMA) {
    const site = ioctl_site(k, 'unmap_dma');
    const unmap = arg as vfio_iommu_type1_dma_unmap | null;
    if (unmap === null || should_fail(k, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_ioctl:copy_from_user')) {
      return errno_reason(k, -EFAULT, site, 'UNMAP_DMA: copy_from_user of struct vfio_iommu_type1_dma_unmap faulted');
    }
    let mask = 0;
    // PATCH(vfio-dirty-tracking) d6a4c185660c: UNMAP_DMA accepts GET_DIRTY_BITMAP
    if (k.patch('vfio-dirty-tracking')) mask |= VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
    // PATCH(vfio-unmap-all) c19650995374: UNMAP_DMA accepts VFIO_DMA_UNMAP_FLAG_ALL
    if (k.patch('vfio-unmap-all')) mask |= VFIO_DMA_UNMAP_FLAG_ALL;
    // PATCH(vfio-update-vaddr) c3cbab24db38: UNMAP_DMA accepts VFIO_DMA_UNMAP_FLAG_VADDR
    if (k.patch('vfio-update-vaddr')) mask |= VFIO_DMA_UNMAP_FLAG_VADDR;
    if (unmap.argsz < VFIO_DMA_UNMAP_MINSZ || unmap.flags & ~mask) return errno_reason(k, -EINVAL, site, `UNMAP_DMA: ${argsz_flags_why(unmap.argsz, VFIO_DMA_UNMAP_MINSZ, unmap.flags, mask)}`);
    if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
      if (unmap.flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)) return errno_reason(k, -EINVAL, site, 'UNMAP_DMA: GET_DIRTY_BITMAP cannot be combined with ALL or VADDR');
      if (unmap.argsz < VFIO_DMA_UNMAP_MINSZ + VFIO_BITMAP_SIZEOF || unmap.bitmap === undefined) {
        return errno_reason(k, -EINVAL, site, `UNMAP_DMA: GET_DIRTY_BITMAP needs argsz ≥ ${VFIO_DMA_UNMAP_MINSZ + VFIO_BITMAP_SIZEOF} (a struct vfio_bitmap), got ${unmap.argsz}`);
      }
      if (unmap.bitmap.data === null) return errno_reason(k, -EINVAL, site, 'UNMAP_DMA: GET_DIRTY_BITMAP without a bitmap buffer');
      const pages = unmap.size / ffs_big(unmap.bitmap.pgsize === 0n ? 1n : unmap.bitmap.pgsize);
      if (!pages || pages > BigInt(2 ** 31 - 1) || BigInt(unmap.bitmap.data.length) * 8n < pages) {
        return errno_reason(k, -EINVAL, site, `UNMAP_DMA: the dirty bitmap (${unmap.bitmap.data.length} bytes) does not fit the ${pages} pages of size ${hex(unmap.size)} (0 or more than 2^31-1 pages, or too small a buffer)`);
      }
    }
    const saved = unmap.size;
    const ret = yield* vfio_dma_do_unmap(k, iommu, unmap);
    if (ret) {
      unmap.size = saved; // the kernel copies the struct back only on success
      return ret;
    }
    return 0;
  }
  // PATCH(vfio-dirty-tracking) d6a4c185660c: the VFIO_IOMMU_DIRTY_PAGES ioctl exists
  if (cmd === VFIO_IOMMU_DIRTY_PAGES && k.patch('vfio-dirty-tracking')) {
    return yield* vfio_iommu_type1_dirty_pages(k, iommu, arg as vfio_iommu_type1_dirty_bitmap | null);
  }
  return errno_reason(k, -ENOTTY, IOCTL_SITE, `ioctl 0x${cmd.toString(16)} is not a type1 IOMMU command in this release`);
}

/**
 * Registration of a DMA_UNMAP listener: 5.4 vfio_iommu_type1_register_notifier() (the
 * vendor driver's notifier block), 6.x vfio_iommu_type1_register_device() (a device
 * with a dma_unmap op, at open).
 */
export function* vfio_iommu_type1_register_device(k: Kctx, iommu: vfio_iommu, vdev: vfio_device): KThread<void> {
  if (!vdev.dma_unmap) return;
  yield* mutex_lock(k, iommu.lock, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_register_device');
  if (!iommu.device_list.includes(vdev)) iommu.device_list.push(vdev);
  mutex_unlock(k, iommu.lock, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_register_device');
}

export function* vfio_iommu_type1_unregister_device(k: Kctx, iommu: vfio_iommu, vdev: vfio_device): KThread<void> {
  yield* mutex_lock(k, iommu.lock, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_unregister_device');
  const i = iommu.device_list.indexOf(vdev);
  if (i >= 0) iommu.device_list.splice(i, 1);
  mutex_unlock(k, iommu.lock, 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_unregister_device');
}

// Re-exported for tests and the edu device.
export { VFIO_PIN_PAGES_MAX_ENTRIES, E2BIG, EPERM, iommu_min_pagesz };

/** vfio_iommu_driver_ops_type1: the type1 backend as the VFIO core calls it (container.ts). */
export const vfio_iommu_driver_ops_type1: vfio_iommu_driver_ops = {
  name: 'vfio-iommu-type1',
  open: vfio_iommu_type1_open,
  release: vfio_iommu_type1_release,
  ioctl: vfio_iommu_type1_ioctl,
  attach_group: vfio_iommu_type1_attach_group,
  detach_group: vfio_iommu_type1_detach_group,
  check_extension: vfio_iommu_type1_check_extension,
  register_device: vfio_iommu_type1_register_device,
  unregister_device: vfio_iommu_type1_unregister_device,
  pin_pages: vfio_iommu_type1_pin_pages,
  unpin_pages: vfio_iommu_type1_unpin_pages,
};
