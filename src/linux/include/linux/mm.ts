/**
 * include/linux/mm.h, include/linux/page_ref.h, include/linux/page-flags.h,
 * include/linux/mmzone.h, include/linux/memremap.h (v5.4, v5.6, v6.1, v6.12):
 * page accessors over the machine's mem_map, VM_* / FAULT_FLAG_* / VM_FAULT_*
 * values, VMA predicates and lookup, and the page-table walk.
 *
 * ======================================================================
 * API NOTE — what other parts call (all take the machine `m` or context `k` first)
 * ----------------------------------------------------------------------
 * A `struct page *` is a pfn number; NULL in page arrays is `null`.
 * Page state (this file):
 *   page_ref_count(m,p) page_count(m,p) folio_ref_count(m,p) get_page(m,p)
 *   put_page(m,p) (frees at 0) page_ref_add(m,p,n) page_ref_sub(m,p,n)
 *   page_ref_sub_and_test(m,p,n) page_ref_inc/dec page_mapcount(m,p)
 *   folio_mapcount(m,p) compound_head(m,p) compound_order(m,p) folio_order(m,p)
 *   folio_nr_pages(m,p) PageAnon PageAnonExclusive SetPageAnonExclusive
 *   ClearPageAnonExclusive PageReserved PageDirty SetPageDirty ClearPageDirty
 *   set_page_dirty_lock PageCompound PageHead PageTail PageHuge PageTransHuge
 *   PageLRU PageIsolated is_zero_pfn(m,pfn) is_zero_page(m,p) page_zonenum
 *   is_migrate_cma_page is_zone_movable_page is_zone_device_page
 *   page_pgmap_type (fs-DAX vs device-DAX) is_fsdax_page pfn_valid
 *   folio_pincount(m,p) folio_pincount_add(m,p,n) (storage only; GUP owns pin policy)
 *   page_content(m,p) set_page_content(m,p,tag) (model-only data tag)
 *   page_mapping(m,p) → address_space | null (via m.mappings: every mapping by id)
 *   page_label(m,p) (`PAGE#pfn` style name for events)
 * VMAs / mm: find_vma(mm,addr) vma_lookup(mm,addr) vma_pages vma_is_anonymous
 *   vma_is_shmem vma_is_dax vma_is_fsdax is_vm_hugetlb_page is_cow_mapping
 *   vma_is_accessible; VM_* flags.
 * Page tables: pt_walk(mm,addr) → {level,entry} (follow_page_mask's view),
 *   pte_* helpers in mm_types.ts; set_pte_at / pte_clear / set_pmd_at in this file.
 * Faults (mm/memory.ts): handle_mm_fault(k,vma,address,flags): KThread<vm_fault_t>
 *   (caller holds mmap_lock for read; on VM_FAULT_RETRY the lock was dropped by the
 *   handler — only with FAULT_FLAG_ALLOW_RETRY and without RETRY_NOWAIT);
 *   vm_normal_page(k,vma,addr,pte) (null for zero page / special / devmap PTEs);
 *   vm_fault_to_errno; zap_page_range(k,vma,start,end); maybe_mkwrite; vma_page_prot.
 *   FAULT_FLAG_* and VM_FAULT_* constants are here.
 * Allocation (mm/page_alloc.ts): alloc_pages(k,gfp,order) → head pfn (refcount 1) | null,
 *   plain function (never sleeps); __free_pages(m,p,order). GFP_* / ZONE_* in gfp.ts.
 * Scopes (include/linux/sched_mm.ts): memalloc_nocma_save/restore (releases without
 *   PATCH memalloc-pin) and memalloc_pin_save/restore (with it); calling the wrong one
 *   throws (a pinlab dispatch bug); current_gfp_context.
 * rmap (mm/rmap.ts): page_add_new_anon_rmap, page_add_anon_rmap, page_add_file_rmap,
 *   page_remove_rmap, page_move_anon_rmap, anon_vma_prepare, linear_page_index.
 * Page cache (mm/filemap.ts): find_get_page, add_to_page_cache_lru,
 *   delete_from_page_cache, filemap_fault. shmem (mm/shmem.ts): shmem_file_setup,
 *   shmem_getpage, shmem_zero_setup.
 * VMAs (mm/mmap.ts): do_mmap, mmap_region, do_munmap, __vm_munmap, vm_mmap_pgoff,
 *   get_unmapped_area, __split_vma, exit_mmap, can_do_mlock.
 * Processes (kernel/fork.ts): createTask(m,{comm,uid,caps,memlock,nofile,kthread})
 *   (MODEL set-up: a process as init would start it), mm_alloc(m), mmget,
 *   mmget_not_zero, mmgrab, mmdrop.
 * Syscalls (syscalls.ts): sys_mmap(k,addr,len,prot,flags,fd,off), sys_munmap(k,addr,len),
 *   sys_open(k,path,flags), sys_close(k,fd). The MAP_ PROT_ MADV_ constants are in
 *   include/uapi/asm-generic/mman.ts.
 * locked_vm (mm/util.ts): account_locked_vm(k,mm,pages,inc): KThread<number>,
 *   __account_locked_vm(k,mm,pages,inc,task,bypass_rlim) (mmap_lock held for write),
 *   mmap_assert_write_locked / mmap_assert_locked.
 * Files (include/linux/fs.ts): struct file, inode, address_space, file_operations
 *   (generator methods mmap / unlocked_ioctl / release / fallocate), alloc_file(k,inode,
 *   flags,fops,private), get_unused_fd_flags, fd_install, fget, fput, close_fd, IS_DAX.
 *   Set-up (fs/libfs.ts): mount_fs(m,path,kind,{dax,huge_order}), create_file(m,path,
 *   size,data?), new_inode(m,sb,path,mode,size), filp_open(k,path,flags).
 * Tasks (include/linux/sched.ts): task_struct, get_current(k), capable(k,cap),
 *   rlimit(k,lim), task_rlimit, CAP_*, RLIMIT_*, PF_* (PF_MEMALLOC_NOCMA/PIN).
 * More (phase 2):
 *   page_maybe_dma_pinned(k,p) (this file); fork/exit/exec: sys_fork (kernel/fork.ts,
 *   copy_page_range in mm/memory.ts), do_exit (kernel/exit.ts), sys_execve (fs/exec.ts),
 *   mmput(k,mm); truncation: sys_ftruncate / sys_fallocate (fs/open.ts), truncate_pagecache,
 *   unmap_mapping_range (mm/truncate.ts); fs-DAX: fs/dax.ts (dax_layout_busy_page,
 *   dax_iomap_pte_fault), ext4_break_layouts (fs/ext4.ts); hugetlb: hugetlb_pool_grow(k,
 *   order,n), hugetlb_fault, hugetlb_file_setup (mm/hugetlb.ts); THP: m.transparent_hugepage
 *   ('madvise' default), mm/huge_memory.ts; device-DAX: devdax_create(m,path,region,align)
 *   (drivers/dax/device.ts); character devices: chrdev_create(m,path,fops,priv)
 *   (fs/chrdev.ts); PFNMAP: remap_pfn_range(k,vma,addr,pfn,size,prot) (mm/memory.ts);
 *   mprotect/madvise/mlock/mlock2/munlock (mm/mprotect.ts), memfd_create (mm/memfd.ts),
 *   all re-exported from syscalls.ts; vma_needs_dirty_tracking(vma) (mm/mmap.ts, 6.12);
 *   mm_fingerprint(m) (mm/fingerprint.ts) for the explorer's state cache.
 * Machine (machine.ts): new Machine(profile, layout?) with layout = MemoryLayout
 *   {dma32, normal, movable, cma, pmem:[{name,size,mode}], bars:[{name,size}]} (bytes);
 *   m.mem (MemMap), m.tasks, m.mms, m.mounts, m.inodes, m.hugetlb_free.
 * ======================================================================
 *
 * Refcount convention (include/linux/page_ref.h): the reference count lives in the
 * folio (head page). page_ref_count(tail) is 0 as in the kernel; page_count() and the
 * modifying helpers act on the head, as the kernel's folio_* variants do.
 */
import type { ThreadId } from '../../../sched/index.js';
import type { Machine } from '../../machine.js';
import type { Kctx } from '../../kctx.js';
import { IS_ENABLED } from '../../kctx.js';
import { PG_anon, PG_anon_exclusive, PG_dirty, PG_head, PG_hugetlb, PG_hugetlb_free, PG_isolated, PG_locked, PG_lru, PG_reserved, PG_zero, SUBPAGE_SET,
  HPAGE_PMD_ORDER, HPAGE_PUD_ORDER, PAGE_SIZE, PMD_SIZE, PUD_SIZE, PTRS_PER_PTE, pmd_leaf, log_key } from './mm_types.js';
import type { mm_struct, pmd_t, pte_t, pte_table, pud_t, vm_area_struct } from './mm_types.js';
import { MIGRATE_CMA, ZONE_DEVICE, ZONE_MOVABLE } from './gfp.js';
import type { zone_type } from './gfp.js';
import { IS_DAX, S_ISCHR } from './fs.js';
import type { address_space } from './fs.js';
import { unsupported } from './bug.js';

// ---------------------------------------------------------------------------
// VM_* (include/linux/mm.h; identical values in 5.4, 6.1, 6.12)
export const VM_NONE = 0x00000000;
export const VM_READ = 0x00000001;
export const VM_WRITE = 0x00000002;
export const VM_EXEC = 0x00000004;
export const VM_SHARED = 0x00000008;
export const VM_MAYREAD = 0x00000010;
export const VM_MAYWRITE = 0x00000020;
export const VM_MAYEXEC = 0x00000040;
export const VM_MAYSHARE = 0x00000080;
export const VM_GROWSDOWN = 0x00000100;
export const VM_UFFD_MISSING = 0x00000200;
export const VM_PFNMAP = 0x00000400;
export const VM_UFFD_WP = 0x00001000;
export const VM_LOCKED = 0x00002000;
export const VM_IO = 0x00004000;
export const VM_SEQ_READ = 0x00008000;
export const VM_RAND_READ = 0x00010000;
export const VM_DONTCOPY = 0x00020000;
export const VM_DONTEXPAND = 0x00040000;
export const VM_LOCKONFAULT = 0x00080000;
export const VM_ACCOUNT = 0x00100000;
export const VM_NORESERVE = 0x00200000;
export const VM_HUGETLB = 0x00400000;
export const VM_SYNC = 0x00800000;
export const VM_WIPEONFORK = 0x02000000;
export const VM_DONTDUMP = 0x04000000;
export const VM_MIXEDMAP = 0x10000000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;
export const VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;

// enum fault_flag (6.1 mm_types.h; the same bit values as the 5.4 #defines in mm.h)
export const FAULT_FLAG_WRITE = 1 << 0;
export const FAULT_FLAG_MKWRITE = 1 << 1;
export const FAULT_FLAG_ALLOW_RETRY = 1 << 2;
export const FAULT_FLAG_RETRY_NOWAIT = 1 << 3;
export const FAULT_FLAG_KILLABLE = 1 << 4;
export const FAULT_FLAG_TRIED = 1 << 5;
export const FAULT_FLAG_USER = 1 << 6;
export const FAULT_FLAG_REMOTE = 1 << 7;
export const FAULT_FLAG_INSTRUCTION = 1 << 8;
/** v5.8+ */
export const FAULT_FLAG_INTERRUPTIBLE = 1 << 9;
/** v5.19+ (R/O pins of shared anon pages). */
export const FAULT_FLAG_UNSHARE = 1 << 10;
export const FAULT_FLAG_ORIG_PTE_VALID = 1 << 11;

// enum vm_fault_reason (6.1 mm_types.h; same values as 5.4's #defines)
export type vm_fault_t = number;
export const VM_FAULT_OOM = 0x000001;
export const VM_FAULT_SIGBUS = 0x000002;
export const VM_FAULT_MAJOR = 0x000004;
/** ≤ v6.1: a write fault broke COW / made the PTE writable (removed in 6.2). */
export const VM_FAULT_WRITE = 0x000008;
export const VM_FAULT_HWPOISON = 0x000010;
export const VM_FAULT_HWPOISON_LARGE = 0x000020;
export const VM_FAULT_SIGSEGV = 0x000040;
export const VM_FAULT_NOPAGE = 0x000100;
export const VM_FAULT_LOCKED = 0x000200;
export const VM_FAULT_RETRY = 0x000400;
export const VM_FAULT_FALLBACK = 0x000800;
export const VM_FAULT_DONE_COW = 0x001000;
export const VM_FAULT_NEEDDSYNC = 0x002000;
/** v5.17+: the fault completed and dropped mmap_lock itself (per-VMA / lock-dropping paths). */
export const VM_FAULT_COMPLETED = 0x004000;
export const VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE | VM_FAULT_FALLBACK;

// ---------------------------------------------------------------------------
// Page accessors.

function slot(m: Machine, page: number): number {
  return m.mem.slot_of(page);
}

/**
 * page_mapping(page) for a file page: the address_space its page->mapping names, or
 * null (anon pages, free frames, truncated pages).
 */
export function page_mapping(m: Machine, page: number): address_space | null {
  const s = slot(m, page);
  if (s === 0 || m.mem.s_flags[s] & PG_anon) return null;
  return m.mappings.get(m.mem.s_mapping[s]) ?? null;
}

/** A name for a frame in events and reports (`pfn:N`). */
export function page_label(page: number): string {
  return `pfn:${page}`;
}

/** page_ref_count(page): the page's own _refcount (0 for tail pages and free frames). */
export function page_ref_count(m: Machine, page: number): number {
  const s = slot(m, page);
  if (s === 0 || m.mem.s_pfn[s] !== page) return 0;
  return m.mem.s_ref[s];
}

/** page_count(page): refcount of the compound head. */
export function page_count(m: Machine, page: number): number {
  const s = slot(m, page);
  return s === 0 ? 0 : m.mem.s_ref[s];
}

/** folio_ref_count(folio) */
export const folio_ref_count = page_count;

function must_slot(m: Machine, page: number, what: string): number {
  const s = slot(m, page);
  if (s === 0) throw new Error(`pinlab bug: ${what} on free or unknown frame pfn:${page}`);
  return s;
}

/** page_ref_add(page, nr) — on the folio. */
export function page_ref_add(m: Machine, page: number, nr: number): void {
  m.mem.s_ref[must_slot(m, page, 'page_ref_add')] += nr;
}

/** page_ref_inc(page) */
export function page_ref_inc(m: Machine, page: number): void {
  page_ref_add(m, page, 1);
}

/**
 * page_ref_sub(page, nr): does NOT free at zero (as the kernel's page_ref_sub);
 * use put_page / page_ref_sub_and_test + __put_page for that.
 */
export function page_ref_sub(m: Machine, page: number, nr: number): void {
  m.mem.s_ref[must_slot(m, page, 'page_ref_sub')] -= nr;
}

/** page_ref_dec(page) */
export function page_ref_dec(m: Machine, page: number): void {
  page_ref_sub(m, page, 1);
}

/** page_ref_sub_and_test(page, nr): true when the count reached zero. */
export function page_ref_sub_and_test(m: Machine, page: number, nr: number): boolean {
  const s = must_slot(m, page, 'page_ref_sub_and_test');
  m.mem.s_ref[s] -= nr;
  return m.mem.s_ref[s] === 0;
}

/** get_page(page) */
export function get_page(m: Machine, page: number): void {
  page_ref_add(m, page, 1);
}

/**
 * put_page(page) (mm/swap.c __put_page on the last reference): drops one reference;
 * at zero the folio is freed — to the buddy allocator, to its hugetlb pool, or (a
 * ZONE_DEVICE page) back to its pgmap owner, which keeps the frame.
 * A negative count is recorded as the kernel's VM_BUG_ON_PAGE(page_ref_count == 0).
 */
export function put_page(m: Machine, page: number): void {
  const s = must_slot(m, page, 'put_page');
  const mem = m.mem;
  mem.s_ref[s]--;
  if (mem.s_ref[s] > 0) return;
  if (mem.s_ref[s] < 0) {
    m.reports.push({ kind: 'bug', site: 'include/linux/mm.h:put_page', thread: m.sched ? currentTid(m) : null, message: `refcount of pfn:${mem.s_pfn[s]} went negative`, about: 'refcount' });
    return;
  }
  __free_folio_slot(m, s);
}

function currentTid(m: Machine): ThreadId | null {
  if (!m.sched) return null;
  try {
    return m.sched.current;
  } catch (_e) {
    return null; // called outside a running thread (set-up code)
  }
}

/** The frame(s) of a folio whose refcount reached zero go back where they came from. */
export function __free_folio_slot(m: Machine, s: number): void {
  const mem = m.mem;
  const pfn = mem.s_pfn[s];
  const order = mem.s_order[s];
  const flags = mem.s_flags[s];
  if (m.recordEvents) m.event(null, 'free', [page_label(pfn)], 'mm/page_alloc.c:free_unref_page', order);
  if (flags & PG_zero) return; // the zero page is never freed
  const r = mem.region_of(pfn);
  if (r && r.zone === ZONE_DEVICE) {
    // ZONE_DEVICE (free_zone_device_folio): the pgmap owner keeps the frame; only the transient
    // state goes (PG_reserved and the compound layout are memmap init's and stay).
    mem.s_flags[s] = flags & (PG_reserved | PG_head);
    // PATCH(fsdax-refcounted-folios) 38607c62b34b: 6.18.26 keeps ->mapping of FS_DAX and GENERIC folios
    // (an fs-DAX folio loses it in dax_folio_put); before, every ZONE_DEVICE folio lost it here.
    if (!m.profile.patches.has('fsdax-refcounted-folios') || (r.kind !== 'fsdax' && r.kind !== 'devdax')) mem.s_mapping[s] = 0;
    // PATCH(devdax-refcounted-mapping) aed877c2b425: a device-DAX (MEMORY_DEVICE_GENERIC) folio is set back to
    // refcount 1, its idle count, now that zapping its last mapping can drop it to 0.
    if (r.kind === 'devdax' && m.profile.patches.has('devdax-refcounted-mapping')) mem.s_ref[s] = 1;
    return;
  }
  if (flags & PG_hugetlb) {
    // free_huge_page(): back to the hstate's free list, still a hugetlb folio.
    mem.s_flags[s] = PG_hugetlb | PG_hugetlb_free | PG_head;
    mem.s_mapping[s] = 0;
    mem.s_index[s] = 0;
    mem.s_content[s] = 0;
    mem.s_map[s] = 0;
    mem.s_ptemaps[s] = 0;
    mem.s_pin[s] = 0;
    m.hugetlb_free.push(pfn); // enqueued at the head of the free list (the array's end; see hugetlb.ts)
    return;
  }
  mem.dropSlot(s);
  mem.giveFree(pfn, order);
}

/** page_mapcount(page): PTE mappings of this page + entire (PMD/PUD) mappings of its folio. */
export function page_mapcount(m: Machine, page: number): number {
  const s = slot(m, page);
  if (s === 0) return 0;
  const mem = m.mem;
  if (mem.s_order[s] === 0) return mem.s_map[s];
  return mem.s_map[s] + (mem.sub_map.get(page) ?? 0);
}

/**
 * folio_mapcount(folio) / total_mapcount(head) (5.4 total_mapcount: the compound
 * mapcount plus the subpages' own PTE mapcounts; hugetlb: the entire mapcount): how
 * many page-table entries map the folio.
 */
export function folio_mapcount(m: Machine, page: number): number {
  const s = slot(m, page);
  if (s === 0) return 0;
  const mem = m.mem;
  if (mem.s_order[s] === 0) return mem.s_map[s];
  return mem.s_map[s] + mem.s_ptemaps[s];
}

/** page_mapped(page) */
export function page_mapped(m: Machine, page: number): boolean {
  return folio_mapcount(m, page) > 0;
}

/** compound_head(page): the head pfn (the page itself for order 0 or free frames). */
export function compound_head(m: Machine, page: number): number {
  const s = slot(m, page);
  return s === 0 ? page : m.mem.s_pfn[s];
}

/** page_folio(page) */
export const page_folio = compound_head;

/** compound_order(page): the order for a head page, 0 for anything else (as the kernel). */
export function compound_order(m: Machine, page: number): number {
  const s = slot(m, page);
  return s !== 0 && m.mem.s_pfn[s] === page ? m.mem.s_order[s] : 0;
}

/** folio_order(folio): order of the folio containing `page`. */
export function folio_order(m: Machine, page: number): number {
  const s = slot(m, page);
  return s === 0 ? 0 : m.mem.s_order[s];
}

/** folio_nr_pages(folio) / compound_nr(head) */
export function folio_nr_pages(m: Machine, page: number): number {
  return 2 ** folio_order(m, page);
}

function head_flags(m: Machine, page: number): number {
  const s = slot(m, page);
  return s === 0 ? 0 : m.mem.s_flags[s];
}

function set_head_flag(m: Machine, page: number, bit: number, on: boolean): void {
  const s = must_slot(m, page, 'page flag update');
  if (on) m.mem.s_flags[s] |= bit;
  else m.mem.s_flags[s] &= ~bit;
}

/** PageAnon(page) */
export function PageAnon(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_anon) !== 0;
}

/**
 * PageAnonExclusive(page) (v5.19+; per subpage for THP, on the head for hugetlb —
 * callers pass the head there, as the kernel requires).
 */
export function PageAnonExclusive(m: Machine, page: number): boolean {
  const s = slot(m, page);
  if (s === 0) return false;
  const mem = m.mem;
  if (mem.s_order[s] !== 0) {
    const v = mem.sub_flags.get(page);
    if (v !== undefined) return (v & PG_anon_exclusive) !== 0;
  }
  return (mem.s_flags[s] & PG_anon_exclusive) !== 0;
}

function set_anon_exclusive(m: Machine, page: number, on: boolean): void {
  const s = must_slot(m, page, 'PageAnonExclusive update');
  const mem = m.mem;
  if (mem.s_order[s] === 0) {
    if (on) mem.s_flags[s] |= PG_anon_exclusive;
    else mem.s_flags[s] &= ~PG_anon_exclusive;
    return;
  }
  mem.sub_flags.set(page, SUBPAGE_SET | (on ? PG_anon_exclusive : 0));
}

/** Mark every subpage of a folio exclusive or not (a fresh anon folio; fork sharing a whole THP). */
export function folio_set_anon_exclusive_all(m: Machine, head: number, on: boolean): void {
  const s = must_slot(m, head, 'folio_set_anon_exclusive_all');
  const mem = m.mem;
  if (on) mem.s_flags[s] |= PG_anon_exclusive;
  else mem.s_flags[s] &= ~PG_anon_exclusive;
  if (mem.s_order[s] !== 0 && mem.sub_flags.size > 0) {
    const n = 2 ** mem.s_order[s];
    for (const key of [...mem.sub_flags.keys()]) if (key >= head && key < head + n) mem.sub_flags.delete(key);
  }
}

export function SetPageAnonExclusive(m: Machine, page: number): void {
  set_anon_exclusive(m, page, true);
}

export function ClearPageAnonExclusive(m: Machine, page: number): void {
  set_anon_exclusive(m, page, false);
}

export function PageReserved(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_reserved) !== 0;
}

export function PageDirty(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_dirty) !== 0;
}

export function SetPageDirty(m: Machine, page: number): void {
  set_head_flag(m, page, PG_dirty, true);
}

export function ClearPageDirty(m: Machine, page: number): void {
  set_head_flag(m, page, PG_dirty, false);
}

/**
 * folio_test_locked(folio) (include/linux/page-flags.h): PG_locked of the folio `page` is in.
 * The model sets it only where a kernel path holds the folio lock across a scheduling point
 * (the madvise split window, mm/madvise.ts); every other folio lock the kernel takes is held
 * inside one step of the model, so no other thread can see it.
 */
export function folio_test_locked(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_locked) !== 0;
}

/** folio_trylock(folio) (include/linux/pagemap.h): take the folio lock unless someone holds it. */
export function folio_trylock(m: Machine, page: number): boolean {
  if (folio_test_locked(m, page)) return false;
  set_head_flag(m, page, PG_locked, true);
  return true;
}

/** folio_unlock(folio) (mm/filemap.c): drop the folio lock (waiters are wait predicates). */
export function folio_unlock(m: Machine, page: number): void {
  set_head_flag(m, page, PG_locked, false);
}

/**
 * set_page_dirty_lock(page) (mm/page-writeback.c): lock the page (sleeping in lock_page()
 * while another thread holds it), mark the folio dirty, unlock.
 * MODEL: the callers are one step each, so the sleep is not modelled: a folio another thread
 * holds locked across a scheduling point (mm/madvise.ts) is reported `unsupported`, and the
 * page is dirtied as if the wait were over.
 */
export function set_page_dirty_lock(k: Kctx, page: number): boolean {
  const m = k.m;
  if (folio_test_locked(m, page)) {
    unsupported(k, 'mm/page-writeback.c:set_page_dirty_lock', `lock_page() of pfn:${page} while another thread holds its folio lock (a madvise split): the sleep is not modelled`);
  }
  const was = PageDirty(m, page);
  if (slot(m, page) !== 0) SetPageDirty(m, page);
  return !was;
}

export function PageCompound(m: Machine, page: number): boolean {
  return folio_order(m, page) > 0;
}

export function PageHead(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_head) !== 0 && compound_head(m, page) === page;
}

export function PageTail(m: Machine, page: number): boolean {
  return PageCompound(m, page) && compound_head(m, page) !== page;
}

/** PageHuge(page): part of a hugetlbfs folio. */
export function PageHuge(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_hugetlb) !== 0;
}

/** PageTransHuge(page): a THP head (large, not hugetlb). */
export function PageTransHuge(m: Machine, page: number): boolean {
  return PageHead(m, page) && !PageHuge(m, page);
}

export function PageLRU(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_lru) !== 0;
}

/** MODEL: the folio is isolated for migration (off the LRU, owned by the migrator). */
export function PageIsolated(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_isolated) !== 0;
}

/** is_zero_pfn(pfn) */
export function is_zero_pfn(m: Machine, pfn: number): boolean {
  return pfn === m.mem.zero_pfn;
}

/**
 * is_zero_page(page) / is_zero_folio(): the shared 4 KiB zero page only (a pfn compare in every
 * modelled release); the huge zero folio is is_huge_zero_page() in mm/huge_memory.ts.
 */
export function is_zero_page(m: Machine, page: number): boolean {
  return (head_flags(m, page) & PG_zero) !== 0;
}

/** pfn_valid(pfn): there is a struct page (RAM or ZONE_DEVICE; not a BAR, not a hole). */
export function pfn_valid(m: Machine, pfn: number): boolean {
  const r = m.mem.region_of(pfn);
  return r !== null && r.kind !== 'bar';
}

/** page_zonenum(page) */
export function page_zonenum(m: Machine, page: number): zone_type {
  const r = m.mem.region_of(page);
  if (!r) throw new Error(`pinlab bug: page_zonenum of a hole pfn:${page}`);
  return r.zone;
}

/** is_migrate_cma_page(page): the page's pageblock is MIGRATE_CMA. */
export function is_migrate_cma_page(m: Machine, page: number): boolean {
  return m.mem.pageblock_migratetype(page) === MIGRATE_CMA;
}

/** is_zone_movable_page(page) (v5.13+ helper; a plain zone test). */
export function is_zone_movable_page(m: Machine, page: number): boolean {
  return page_zonenum(m, page) === ZONE_MOVABLE;
}

/**
 * is_longterm_pinnable_page(page) (include/linux/mm.h; folio_is_longterm_pinnable in 6.x): may
 * this page stay where it is under a long-term pin?
 * 5.4–5.6 (check_and_migrate_cma_pages): not in a CMA pageblock (head page).
 * 6.1/6.12: not CMA (MIGRATE_ISOLATE: not modelled), the zero page always, and not in
 * ZONE_MOVABLE (PATCH(gup-migrate-movable-zone), d1e153fea2a8). 6.18.26 folio_is_longterm_pinnable:
 * also never an fs-DAX folio (PATCH(gup-fsdax-longterm-unpinnable), e5cb23256347, v6.15). MODEL: no
 * device-coherent memory.
 */
export function is_longterm_pinnable_page(k: Kctx, page: number): boolean {
  const m = k.m;
  const r = m.mem.region_of(page);
  // is_migrate_cma_page(): the pageblock is MIGRATE_CMA (the model's CMA ranges).
  if (IS_ENABLED(k, 'CONFIG_CMA') && r !== null && r.cma) return false;
  // PATCH(gup-migrate-movable-zone)
  if (!k.patch('gup-migrate-movable-zone')) return true;
  if (is_zero_page(m, page)) return true;
  // PATCH(gup-fsdax-longterm-unpinnable) e5cb23256347: an fs-DAX folio is never long-term pinnable (v6.15)
  if (k.patch('gup-fsdax-longterm-unpinnable') && is_fsdax_page(m, page)) return false;
  return !(r !== null && r.zone === ZONE_MOVABLE);
}

/** is_zone_device_page(page) */
export function is_zone_device_page(m: Machine, page: number): boolean {
  const r = m.mem.region_of(page);
  return r !== null && r.zone === ZONE_DEVICE && r.kind !== 'bar';
}

/**
 * The dev_pagemap type of a ZONE_DEVICE page (include/linux/memremap.h):
 * MEMORY_DEVICE_FS_DAX for pmem under an fs-DAX file system; device-DAX is
 * MEMORY_DEVICE_DEVDAX in v5.4 and MEMORY_DEVICE_GENERIC from v5.5
 * (`kind: 'devdax'` in the layout); null for ordinary RAM.
 */
export function page_pgmap_type(m: Machine, page: number): 'MEMORY_DEVICE_FS_DAX' | 'MEMORY_DEVICE_DEVDAX' | null {
  const r = m.mem.region_of(page);
  if (!r || r.zone !== ZONE_DEVICE || r.kind === 'bar') return null;
  return r.kind === 'fsdax' ? 'MEMORY_DEVICE_FS_DAX' : 'MEMORY_DEVICE_DEVDAX';
}

/** is_fsdax_page(page) (6.x memremap.h; the model answers it for every release). */
export function is_fsdax_page(m: Machine, page: number): boolean {
  return page_pgmap_type(m, page) === 'MEMORY_DEVICE_FS_DAX';
}

/** compound_pincount / folio->_pincount of the folio containing `page` (0 for order 0). */
export function folio_pincount(m: Machine, page: number): number {
  const s = slot(m, page);
  return s === 0 ? 0 : m.mem.s_pin[s];
}

/** Adjust the folio pincount slot (GUP implements when a release uses it). */
export function folio_pincount_add(m: Machine, page: number, nr: number): void {
  m.mem.s_pin[must_slot(m, page, 'folio_pincount_add')] += nr;
}

/**
 * page_maybe_dma_pinned(page) / folio_maybe_dma_pinned(folio) (include/linux/mm.h,
 * v5.7+ with PATCH(foll-pin-counting) 3faa52c03f44): a large folio (with
 * PATCH(foll-pin-hpage-pincount) 47e29d32afba) is pinned iff its pincount > 0;
 * otherwise the refcount is at least GUP_PIN_COUNTING_BIAS (1024) — false positives
 * for a page with ≥ 1024 plain references, as in the kernel. Releases without pin
 * counting have no such function: the model answers false there (callers only exist
 * behind patches that require foll-pin-counting).
 */
export function page_maybe_dma_pinned(k: Kctx, page: number): boolean {
  // PATCH(foll-pin-counting) 3faa52c03f44: page_maybe_dma_pinned() exists (pins distinguishable)
  if (!k.patch('foll-pin-counting')) return false;
  const m = k.m;
  // PATCH(foll-pin-hpage-pincount) 47e29d32afba: large folios answer from their pincount
  if (k.patch('foll-pin-hpage-pincount') && folio_order(m, page) > 0) return folio_pincount(m, page) > 0;
  return page_count(m, page) >= 1024;
}

/** MODEL: the data tag of a frame ('' = zero-filled or never written). */
export function page_content(m: Machine, page: number): string {
  const s = slot(m, page);
  if (s === 0) return '';
  const mem = m.mem;
  if (mem.s_order[s] === 0) return mem.tag_name(mem.s_content[s]);
  const sub = mem.sub_content.get(page);
  return mem.tag_name(sub ?? mem.s_content[s]);
}

/** MODEL: write a data tag into a frame (a CPU store or DMA through it). */
export function set_page_content(m: Machine, page: number, tag: string): void {
  const s = must_slot(m, page, 'set_page_content');
  const mem = m.mem;
  const id = mem.tag_id(tag);
  if (mem.s_order[s] === 0) mem.s_content[s] = id;
  else mem.sub_content.set(page, id);
}

/** Copy a frame's data tag (copy_user_highpage / migrate_page_copy). */
export function copy_page_content(m: Machine, to: number, from: number): void {
  // The content id itself: a byte-granular composite (page_data.ts) is copied as one id.
  const mem = m.mem;
  const s = slot(m, from);
  const id = s === 0 ? 0 : mem.s_order[s] === 0 ? mem.s_content[s] : (mem.sub_content.get(from) ?? mem.s_content[s]);
  const t = must_slot(m, to, 'copy_page_content');
  if (mem.s_order[t] === 0) mem.s_content[t] = id;
  else mem.sub_content.set(to, id);
}

/** Whole-folio helpers for allocation-time state (the folio's default tag). */
export function set_folio_content(m: Machine, head: number, tag: string): void {
  m.mem.s_content[must_slot(m, head, 'set_folio_content')] = m.mem.tag_id(tag);
}

export { HPAGE_PMD_ORDER, HPAGE_PUD_ORDER };

// ---------------------------------------------------------------------------
// VMAs.

/** vma_pages(vma) */
export function vma_pages(vma: vm_area_struct): number {
  return (vma.vm_end - vma.vm_start) / PAGE_SIZE;
}

/**
 * find_vma(mm, addr): the first VMA with addr < vm_end, or null.
 * Caller holds mmap_lock (read or write).
 */
export function find_vma(mm: mm_struct, addr: number): vm_area_struct | null {
  const a = mm.mmap;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid].vm_end <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo < a.length ? a[lo] : null;
}

/** vma_lookup(mm, addr) (v5.14+; the model offers it to every release's code): the VMA containing addr. */
export function vma_lookup(mm: mm_struct, addr: number): vm_area_struct | null {
  const v = find_vma(mm, addr);
  return v && v.vm_start <= addr ? v : null;
}

/** vma_is_anonymous(vma): no vm_ops (private anonymous memory). */
export function vma_is_anonymous(vma: vm_area_struct): boolean {
  return vma.vm_ops === null;
}

/** vma_is_shmem(vma) */
export function vma_is_shmem(vma: vm_area_struct): boolean {
  return vma.vm_ops !== null && vma.vm_ops.name === 'shmem';
}

/** is_vm_hugetlb_page(vma) */
export function is_vm_hugetlb_page(vma: vm_area_struct): boolean {
  return (vma.vm_flags & VM_HUGETLB) !== 0;
}

/** is_cow_mapping(flags): private and may become writable. */
export function is_cow_mapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

/** vma_is_accessible(vma) (v5.8+ helper) */
export function vma_is_accessible(vma: vm_area_struct): boolean {
  return (vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0;
}

/** vma_is_dax(vma) (include/linux/fs.h): the mapped inode is S_DAX (fs-DAX files and device-DAX). */
export function vma_is_dax(vma: vm_area_struct): boolean {
  return vma.vm_file !== null && IS_DAX(vma.vm_file.f_mapping.host);
}

/** vma_is_fsdax(vma) (include/linux/fs.h): DAX and not a character device (device-DAX). */
export function vma_is_fsdax(vma: vm_area_struct): boolean {
  if (!vma_is_dax(vma) || vma.vm_file === null) return false;
  return !S_ISCHR(vma.vm_file.f_inode.i_mode);
}

// ---------------------------------------------------------------------------
// Page-table walk and updates. Caller holds mmap_lock; the model has no
// page-table spinlocks (no thread interleaves inside these plain functions).

/** What a walk of one address finds: which level holds the leaf, and its value (0 = none). */
export interface pt_walk_result {
  readonly level: 'pud' | 'pmd' | 'pte';
  /** The leaf entry value (pud_t / pmd_t / pte_t); 0 when nothing is mapped. */
  readonly entry: number;
}

const NONE_PTE: pt_walk_result = { level: 'pte', entry: 0 };

/** The entry mapping `addr` in `mm`: a PUD or PMD leaf, or the PTE (0 = none). */
export function pt_walk(mm: mm_struct, addr: number): pt_walk_result {
  const pud: pud_t | undefined = mm.pgd.pud.get(Math.floor(addr / PUD_SIZE));
  if (pud !== undefined) return { level: 'pud', entry: pud };
  const key = Math.floor(addr / PMD_SIZE);
  const pmd = mm.pgd.pmd.peek(key);
  if (pmd === undefined) return NONE_PTE;
  mm.pgd.pmd.read_pte(key, typeof pmd === 'number' ? -1 : Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE);
  if (typeof pmd === 'number') return { level: 'pmd', entry: pmd };
  const pte = pmd.pte[Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE];
  return pte === 0 ? NONE_PTE : { level: 'pte', entry: pte };
}

/** The PTE value at addr (0 if none or if a huge leaf covers it). */
export function pte_at(mm: mm_struct, addr: number): pte_t {
  const map = mm.pgd.pmd;
  const key = Math.floor(addr / PMD_SIZE);
  let pmd: pmd_t | pte_table | undefined;
  if (map.lastGen === map.gen && map.lastKey === key) pmd = map.lastEntry;
  else {
    pmd = map.peek(key);
    map.lastGen = map.gen;
    map.lastKey = key;
    map.lastEntry = pmd;
  }
  if (pmd === undefined || typeof pmd === 'number') return 0;
  map.read_pte(key, Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE);
  // For addr > 0 the index below is exactly Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE
  // (PMD_SIZE = PTRS_PER_PTE pages), without a floating-point modulo.
  if (addr > 0) return pmd.pte[Math.floor(addr / PAGE_SIZE) - key * PTRS_PER_PTE];
  return pmd.pte[Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE];
}

/** set_pte_at(mm, addr, ptep, pte): allocates the PTE table (pte_alloc) as needed. */
export function set_pte_at(mm: mm_struct, addr: number, pte: pte_t): void {
  const key = Math.floor(addr / PMD_SIZE);
  let t = mm.pgd.pmd.peek(key);
  if (t !== undefined) mm.pgd.pmd.read_pte(key, Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE);
  if (typeof t === 'number') throw new Error(`pinlab bug: set_pte_at 0x${addr.toString(16)} under a huge PMD`);
  if (t === undefined) {
    if (pte === 0) return;
    t = { pte: new Float64Array(PTRS_PER_PTE), count: 0 } satisfies pte_table;
    mm.pgd.pmd.set(key, t);
  }
  const i = Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE;
  const old = t.pte[i];
  if (mm.pgd.log !== null) log_key(mm.pgd.log, key);
  if (old === 0 && pte !== 0) t.count++;
  else if (old !== 0 && pte === 0) t.count--;
  t.pte[i] = pte;
  if (t.count === 0) mm.pgd.pmd.delete(key);
}

/** pte_clear / ptep_get_and_clear: returns the old value. */
export function ptep_get_and_clear(mm: mm_struct, addr: number): pte_t {
  const old = pte_at(mm, addr);
  if (old !== 0) set_pte_at(mm, addr, 0);
  return old;
}

/** set_pmd_at(mm, addr, pmdp, pmd): a 2 MiB leaf (0 clears). */
export function set_pmd_at(mm: mm_struct, addr: number, pmd: pmd_t): void {
  const key = Math.floor(addr / PMD_SIZE);
  const old = mm.pgd.pmd.get(key);
  if (old !== undefined && typeof old !== 'number' && old.count > 0) throw new Error('pinlab bug: set_pmd_at over a populated PTE table');
  if (pmd === 0) mm.pgd.pmd.delete(key);
  else {
    if (!pmd_leaf(pmd)) throw new Error('pinlab bug: set_pmd_at without _PAGE_PSE');
    mm.pgd.pmd.set(key, pmd);
  }
}

/** set_pud_at: a 1 GiB leaf (0 clears). */
export function set_pud_at(mm: mm_struct, addr: number, pud: pud_t): void {
  const key = Math.floor(addr / PUD_SIZE);
  if (pud === 0) mm.pgd.pud.delete(key);
  else {
    if (!pmd_leaf(pud)) throw new Error('pinlab bug: set_pud_at without _PAGE_PSE');
    mm.pgd.pud.set(key, pud);
  }
}
