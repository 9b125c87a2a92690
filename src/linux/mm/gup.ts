/**
 * mm/gup.c: get_user_pages*() / pin_user_pages*(), the slow path, FOLL_LONGTERM
 * handling, pin accounting and unpinning, per release:
 *
 *   v5.4  = 5.4.1   (lightcheen/linux-5.4.0 @ 144e8e60c6b5)
 *   v5.5  = 5.5-rc5 (grandleaf/Linux5.5-rc5 @ a81f22f5d65d): the same code paths as 5.4
 *   v5.6  = 5.6.4   (shmily1012/linux-5.6.4 @ 93830a5cf2aa): seed pair c4237f8b1f4f +
 *           3567813eae5e, pin_user_pages*() as aliases (eddb1c228f79)
 *   v6.1  = Debian 6.1.192 (package linux-source-6.1, mm/gup.c)
 *   v6.12 = Debian 6.12.117 (package linux-source-6.12, mm/gup.c)
 *
 * Where a release rewrote a function, the bodies live side by side behind a dispatcher
 * that reads the patch that rewrote it; each body is named after the first release it
 * stands for, the first release of that patch (`__v5_4`, `__v5_7`, `__v5_11`, `__v6_3`).
 * The GUP-fast entry points are in gup_fast.ts.
 *
 * API for other parts (all generators unless noted; `k` first, kernel order after):
 *   get_user_pages(k, start, nr_pages, gup_flags, pages, vmas)          caller holds mmap_lock
 *   get_user_pages_remote(k, mm, start, nr_pages, gup_flags, pages, vmas, locked)
 *   get_user_pages_locked(k, start, nr_pages, gup_flags, pages, locked)  (≤ 5.15)
 *   get_user_pages_unlocked(k, start, nr_pages, pages, gup_flags)        takes the lock itself
 *   pin_user_pages(k, start, nr_pages, gup_flags, pages, vmas)           (v5.6+)
 *   pin_user_pages_remote(k, mm, start, nr_pages, gup_flags, pages, vmas, locked)
 *   pin_user_pages_unlocked(k, start, nr_pages, pages, gup_flags)        (5.9+, so v6.1/v6.12)
 *   unpin_user_page(k, page), unpin_user_pages(k, pages, npages),
 *   unpin_user_pages_dirty_lock(k, pages, npages, make_dirty), put_user_page(s) (v5.4)
 *   plain functions, no sleeping.
 * `pages` is a `(number | null)[]` of pfns the call fills from index 0 (the caller
 * gives an array of at least nr_pages); `vmas` likewise; `locked` is `{ v: number }`
 * (int *locked) or null. Return values are the kernel's: a page count, or a negative
 * errno; `*locked` is updated as the kernel does.
 * MODEL: the `tsk` argument of 5.4–5.6 (fault accounting only) is not modelled; in
 * v6.12 the `vmas` argument does not exist (passing one is reported unsupported).
 *
 * Events (for the checker's histories): `gup-pin` / `gup-unpin` on `pfn:N` with data
 * `{ pin, longterm }` each time a reference or pin is taken or dropped by GUP.
 */
import { should_fail } from '../include/linux/fault_inject.js';
import { errno_reason, hex } from '../errno_reason.js';
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { IS_ENABLED } from '../kctx.js';
import { BUG_ON, WARN_ON, WARN_ON_ONCE, unsupported } from '../include/linux/bug.js';
import {
  EBUSY, EEXIST, EFAULT, EHWPOISON, EINTR, EINVAL, EMLINK, ENOENT, ENOMEM, EOPNOTSUPP, ERESTARTSYS, EAGAIN, errname,
} from '../include/uapi/linux/errno.js';
import {
  FOLL_ANON, FOLL_COW, FOLL_DUMP, FOLL_FAST_ONLY, FOLL_FORCE, FOLL_GET, FOLL_INTERRUPTIBLE,
  FOLL_LONGTERM, FOLL_MLOCK, FOLL_NOFAULT, FOLL_NOWAIT, FOLL_NUMA, FOLL_PCI_P2PDMA, FOLL_PIN, FOLL_POPULATE,
  FOLL_REMOTE, FOLL_SPLIT_PMD, FOLL_TOUCH, FOLL_TRIED, FOLL_UNLOCKABLE, FOLL_WRITE, GUP_PIN_COUNTING_BIAS,
  INTERNAL_GUP_FLAGS, foll_known_mask, foll_names, FOLL_RELEASES, isFollRelease,
} from '../include/linux/foll.js';
import type { FollRelease } from '../include/linux/foll.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_INTERRUPTIBLE, FAULT_FLAG_KILLABLE, FAULT_FLAG_REMOTE, FAULT_FLAG_RETRY_NOWAIT,
  FAULT_FLAG_TRIED, FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, VM_FAULT_COMPLETED, VM_FAULT_ERROR,
  VM_FAULT_RETRY, VM_FAULT_WRITE,
  VM_EXEC, VM_IO, VM_LOCKONFAULT, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE,
  PageAnon, PageAnonExclusive, PageDirty, PageHuge, SetPageDirty, compound_head, folio_nr_pages,
  is_cow_mapping, is_migrate_cma_page, is_vm_hugetlb_page,
  is_zero_page, is_zero_pfn, page_count, page_label, page_ref_add, page_ref_sub, pfn_valid,
  pt_walk, pte_at, put_page, set_page_dirty_lock, vma_is_anonymous, vma_is_fsdax, vma_lookup, find_vma,
} from '../include/linux/mm.js';
import {
  PAGE_SHIFT, PAGE_SIZE, _PAGE_DEVMAP, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_SPECIAL, pte_flags, pte_dirty, pte_pfn, pte_write,
} from '../include/linux/mm_types.js';
import type { mem_region, mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import { PG_dirty, PG_zero, PTRS_PER_PTE } from '../include/linux/mm_types.js';
import { is_huge_zero_pmd } from './huge_memory.js';
import { get_current } from '../include/linux/sched.js';
import { is_longterm_pinnable_page } from '../include/linux/mm.js';
import { ZONE_MOVABLE } from '../include/linux/gfp.js';
import { down_read, down_read_killable, up_read } from '../kernel/locking/rwsem.js';
import { cond_resched, fatal_signal_pending, fine_point, race_window, signal_pending } from '../kernel/sched.js';
import { handle_mm_fault, vm_fault_to_errno } from './memory.js';
import { gcfg, gup_pte_run } from './gup_speed.js';
import { vma_needs_dirty_tracking } from './mmap.js';
import { memalloc_nocma_restore, memalloc_nocma_save, memalloc_pin_restore, memalloc_pin_save } from '../include/linux/sched_mm.js';
import { isolate_for_migration, migrate_isolated_pages, putback_isolated_pages } from './gup_migrate.js';

/** `struct page **`: pfns, null for NULL. */
export type page_array = (number | null)[];
/** `struct vm_area_struct **` */
export type vma_array = (vm_area_struct | null)[];
/** `int *locked`: the caller's lock flag (1 = mmap_lock held). */
export interface int_ptr {
  v: number;
}

/** The release whose FOLL_* numbering and flag set apply (foll.ts). */
function foll_release(k: Kctx): FollRelease {
  const r = k.profile.release;
  if (isFollRelease(r)) return r;
  throw new Error(`pinlab bug: no FOLL_* table for release ${r}`);
}

/**
 * Bits the caller passed that this release does not define. The release's code
 * never tests them (5.4 has no FOLL_PIN: an unknown bit is simply ignored), so the
 * slow path strips them; gup-fast's flag mask rejects them (see gup_fast.ts).
 */
export function foll_unknown_bits(k: Kctx, gup_flags: number): number {
  // Bits that every release defines need no table (and leave the profile's release unread,
  // so a judge may share the run with another release: scenario/reuse.ts).
  if ((gup_flags & ~COMMON_MASK) === 0) return 0;
  return gup_flags & ~known_mask(foll_release(k));
}
/** foll_known_mask() per release, computed once at load (the FOLL_* tables are constant). */
const KNOWN_MASK: ReadonlyMap<FollRelease, number> = new Map(FOLL_RELEASES.map((r) => [r, foll_known_mask(r)]));
/** The bits every release's table defines. */
const COMMON_MASK: number = FOLL_RELEASES.reduce((m, r) => m & (KNOWN_MASK.get(r) ?? 0), ~0);
function known_mask(release: FollRelease): number {
  return KNOWN_MASK.get(release) ?? 0;
}

// ===========================================================================
// Reference and pin accounting.

function note(k: Kctx, what: 'gup-pin' | 'gup-unpin', page: number, pin: boolean, fn: string, longterm: boolean): void {
  if (!k.m.recordEvents) return;
  k.m.event(k.tid, what, [page_label(page)], fn, { pin, longterm });
}

/**
 * try_grab_page(page, flags): take the reference FOLL_GET or FOLL_PIN asks for.
 * v5.4/5.6 (try_get_page in follow_page_pte): FOLL_GET only, refcount + 1; a page
 * whose refcount is <= 0 fails (WARN) and the caller returns -ENOMEM.
 * v6.1 (mm/gup.c try_grab_page) / v6.12 (try_grab_folio(folio, 1, flags)):
 * FOLL_PIN adds GUP_PIN_COUNTING_BIAS to a small folio, or +1 ref and +1 pincount to
 * a large one; the shared zero page is never pinned (PATCH(gup-zero-page-no-pin)).
 * `refs` > 1 is try_grab_folio(folio, refs, flags) on a large folio, as the bulk
 * paths use it (6.1 follow_hugetlb_page, PATCH(hugetlb-grab-refs-once); 6.12
 * __get_user_pages' page_increm, PATCH(gup-thp-page-increm)): refs references, or refs
 * references plus refs pincount for a pin.
 * Returns 0 or a negative errno (-ENOMEM).
 */
export function try_grab_page(k: Kctx, page: number, flags: number, fn = 'mm/gup.c:try_grab_page', refs = 1): number {
  const m = k.m;
  const longterm = (flags & FOLL_LONGTERM) !== 0;
  const c = gcfg(k);
  // PATCH(foll-pin-counting)
  if (!c.pin_counting) {
    // 5.4–5.6: only FOLL_GET reaches here (pin_* are aliases that never set FOLL_PIN).
    if (!(flags & FOLL_GET)) return 0;
    if (WARN_ON_ONCE(k, page_count(m, page) <= 0, 'mm/gup.c:try_get_page', 'refcount <= 0')) return -ENOMEM;
    page_ref_add(m, page, refs);
    for (let i = 0; i < refs && m.recordEvents; i++) note(k, 'gup-pin', page + i, false, fn, longterm);
    return 0;
  }
  if ((flags & (FOLL_GET | FOLL_PIN)) === (FOLL_GET | FOLL_PIN)) WARN_ON_ONCE(k, true, 'mm/gup.c:try_grab_page', 'FOLL_GET and FOLL_PIN');
  // MODEL: the folio's slot in the mem_map (mm_types.ts) is read once here instead of
  // through page_count / folio_order / page_ref_add / folio_pincount_add, which would
  // each look it up again; the effect is the same.
  const mem = m.mem;
  const s = mem.slot_of(page);
  if (WARN_ON_ONCE(k, s === 0 || mem.s_ref[s] <= 0, 'mm/gup.c:try_grab_page', 'refcount <= 0')) return -ENOMEM;
  if (flags & FOLL_GET) {
    mem.s_ref[s] += refs;
    for (let i = 0; i < refs && m.recordEvents; i++) note(k, 'gup-pin', page + i, false, fn, longterm);
  } else if (flags & FOLL_PIN) {
    // PATCH(gup-zero-page-no-pin): the zero page is not pinned at all.
    if (c.zero_no_pin && (mem.s_flags[s] & PG_zero) !== 0) return 0;
    // PATCH(foll-pin-hpage-pincount): large folios count pins in the pincount.
    if (c.hpage_pincount && mem.s_order[s] > 0) {
      mem.s_ref[s] += refs;
      mem.s_pin[s] += refs;
    } else {
      mem.s_ref[s] += refs * GUP_PIN_COUNTING_BIAS;
    }
    for (let i = 0; i < refs && m.recordEvents; i++) note(k, 'gup-pin', page + i, true, fn, longterm);
  }
  return 0;
}

/** folio_put_refs(folio, refs): drop refs, freeing the folio at zero. */
function folio_put_refs(k: Kctx, page: number, refs: number): void {
  if (refs > 1) page_ref_sub(k.m, page, refs - 1);
  put_page(k.m, page);
}

/**
 * gup_put_folio(folio, refs, flags) (6.1/6.12): drop what try_grab_page took.
 * FOLL_PIN: the zero page is ignored (PATCH(gup-zero-page-no-pin)); large folios
 * drop pincount and one ref per pin; small ones drop GUP_PIN_COUNTING_BIAS per pin.
 * Before PATCH(foll-pin-counting) a "pin" is a plain reference.
 */
export function gup_put_folio(k: Kctx, page: number, refs: number, flags: number, fn = 'mm/gup.c:gup_put_folio'): void {
  const m = k.m;
  let n = refs;
  const c = gcfg(k);
  // PATCH(foll-pin-counting)
  const pin = (flags & FOLL_PIN) !== 0 && c.pin_counting;
  // MODEL: the folio's mem_map slot is read once (as in try_grab_page); a folio that
  // keeps references needs nothing else, one that drops to zero goes through put_page.
  const mem = m.mem;
  const s = mem.slot_of(page);
  if (pin && s !== 0) {
    // PATCH(gup-zero-page-no-pin)
    if (c.zero_no_pin && (mem.s_flags[s] & PG_zero) !== 0) return;
    // PATCH(foll-pin-hpage-pincount): pins of a large folio are in its pincount (6.1
    // folio_test_large(); 6.12 folio_has_pincount(), the same on 64-bit).
    if (c.hpage_pincount && mem.s_order[s] > 0) mem.s_pin[s] -= refs;
    else n = refs * GUP_PIN_COUNTING_BIAS;
  } else if (pin) {
    n = refs * GUP_PIN_COUNTING_BIAS;
  }
  if (m.recordEvents) for (let i = 0; i < refs; i++) note(k, 'gup-unpin', page, pin, fn, false);
  if (s !== 0 && mem.s_ref[s] > n) {
    mem.s_ref[s] -= n;
    return;
  }
  folio_put_refs(k, compound_head(m, page), n);
}

/**
 * unpin_user_page_range_dirty_lock(page, npages, make_dirty) — 5.12+ (6.1, 6.12): the
 * pages page .. page + npages - 1, folio by folio: a folio to be made dirty that is not
 * dirty yet is dirtied (set_page_dirty_lock), then its pins in the range are dropped with
 * one gup_put_folio().
 */
export function unpin_user_page_range_dirty_lock(k: Kctx, page: number, npages: number, make_dirty: boolean): void {
  const mem = k.m.mem;
  for (let i = 0; i < npages;) {
    const p = page + i;
    const s = mem.slot_of(p);
    const head = s === 0 ? p : mem.s_pfn[s];
    const nr = Math.min(npages - i, s === 0 ? 1 : head + (1 << mem.s_order[s]) - p);
    if (make_dirty && s !== 0 && (mem.s_flags[s] & PG_dirty) === 0) set_page_dirty_lock(k, head);
    gup_put_folio(k, p, nr, FOLL_PIN, 'mm/gup.c:unpin_user_page_range_dirty_lock');
    i += nr;
  }
}

/**
 * unpin_user_page(page). v5.6: put_page() (the pin API is an alias, eddb1c228f79);
 * 6.1/6.12: gup_put_folio(folio, 1, FOLL_PIN). Not in v5.4 (put_user_page there).
 */
export function unpin_user_page(k: Kctx, page: number): void {
  // PATCH(pin-user-pages-api) eddb1c228f79: unpin_user_page() exists
  if (!k.patch('pin-user-pages-api')) {
    unsupported(k, 'mm/gup.c:unpin_user_page', 'unpin_user_page() does not exist in this release (put_user_page / put_page)');
    return;
  }
  gup_put_folio(k, page, 1, FOLL_PIN, 'mm/gup.c:unpin_user_page');
}

/**
 * unpin_user_pages(pages, npages). 6.1/6.12: an errno as npages WARNs and does
 * nothing; runs of pages of one folio are released together (same end state as one
 * by one); NULL entries... are not expected here (the kernel would oops), so the
 * model reports a bug for them.
 */
export function unpin_user_pages(k: Kctx, pages: page_array, npages: number): void {
  // PATCH(pin-user-pages-api) eddb1c228f79: unpin_user_pages() exists
  if (!k.patch('pin-user-pages-api')) {
    unsupported(k, 'mm/gup.c:unpin_user_pages', 'unpin_user_pages() does not exist in this release (put_user_pages)');
    return;
  }
  // PATCH(foll-pin-counting) 3faa52c03f44: an errno as npages WARNs
  if (k.patch('foll-pin-counting') && WARN_ON(k, npages < 0, 'mm/gup.c:unpin_user_pages', 'npages is an errno')) return;
  for (let i = 0; i < npages; i++) {
    const p = pages[i];
    if (BUG_ON(k, p === null || p === undefined, 'mm/gup.c:unpin_user_pages', `NULL page at index ${i}`)) continue;
    gup_put_folio(k, p as number, 1, FOLL_PIN, 'mm/gup.c:unpin_user_pages');
  }
}

/**
 * unpin_user_pages_dirty_lock(pages, npages, make_dirty) (5.6 put_user_pages_dirty_lock
 * renamed): for each page whose head is not dirty, set_page_dirty_lock(); then unpin.
 */
export function unpin_user_pages_dirty_lock(k: Kctx, pages: page_array, npages: number, make_dirty: boolean): void {
  // PATCH(pin-user-pages-api) eddb1c228f79: unpin_user_pages_dirty_lock() exists
  if (!k.patch('pin-user-pages-api')) {
    unsupported(k, 'mm/gup.c:unpin_user_pages_dirty_lock', 'does not exist in this release (put_user_pages_dirty_lock)');
    return;
  }
  if (!make_dirty) {
    unpin_user_pages(k, pages, npages);
    return;
  }
  for (let i = 0; i < npages; i++) {
    const p = pages[i];
    if (BUG_ON(k, p === null || p === undefined, 'mm/gup.c:unpin_user_pages_dirty_lock', `NULL page at index ${i}`)) continue;
    const head = compound_head(k.m, p as number);
    if (!PageDirty(k.m, head)) set_page_dirty_lock(k, head);
    gup_put_folio(k, p as number, 1, FOLL_PIN, 'mm/gup.c:unpin_user_pages_dirty_lock');
  }
}

/** put_user_page(page) (5.4, include/linux/mm.h): put_page(). Renamed unpin_user_page in 5.6. */
export function put_user_page(k: Kctx, page: number): void {
  // PATCH(pin-user-pages-api) eddb1c228f79: put_user_page() was renamed unpin_user_page()
  if (k.patch('pin-user-pages-api')) {
    unsupported(k, 'include/linux/mm.h:put_user_page', 'put_user_page() was renamed unpin_user_page() in this release');
    return;
  }
  gup_put_folio(k, page, 1, FOLL_GET, 'include/linux/mm.h:put_user_page');
}

/** put_user_pages(pages, npages) (5.4): put_user_page() on each. */
export function put_user_pages(k: Kctx, pages: page_array, npages: number): void {
  for (let i = 0; i < npages; i++) {
    const p = pages[i];
    if (BUG_ON(k, p === null || p === undefined, 'mm/gup.c:put_user_pages', `NULL page at index ${i}`)) continue;
    put_user_page(k, p as number);
  }
}

/** Release `n` pages a GUP call obtained with `flags` (put_page for FOLL_GET, unpin for FOLL_PIN). */
function release_pages_taken(k: Kctx, pages: page_array, n: number, flags: number, fn: string): void {
  for (let i = 0; i < n; i++) {
    const p = pages[i];
    if (p === null || p === undefined) continue;
    gup_put_folio(k, p, 1, flags & FOLL_PIN ? FOLL_PIN : FOLL_GET, fn);
  }
}

// ===========================================================================
// Per-VMA checks.

/**
 * writable_file_mapping_allowed(vma, gup_flags) (Debian 6.12.117 mm/gup.c,
 * PATCH(gup-writable-file-longterm)): a FOLL_PIN|FOLL_LONGTERM pin may not target a
 * shared writable mapping that needs dirty tracking; the test is mm/mmap.c's
 * vma_needs_dirty_tracking() (imported from ./mmap.ts: ext4 page cache and fs-DAX need
 * it; shmem/memfd, hugetlbfs and device-DAX, which have no writeback bdi and no
 * ->page_mkwrite, do not).
 */
function writable_file_mapping_allowed(vma: vm_area_struct, gup_flags: number): boolean {
  if ((gup_flags & (FOLL_PIN | FOLL_LONGTERM)) !== (FOLL_PIN | FOLL_LONGTERM)) return true;
  return !vma_needs_dirty_tracking(vma);
}

/**
 * check_vma_flags(vma, gup_flags) — mm/gup.c, every release.
 * 5.4–5.6: VM_IO|VM_PFNMAP, FOLL_ANON on non-anon, write/read permission (FOLL_FORCE
 * only in COW mappings / with VM_MAYREAD), arch access check → -EFAULT; callers
 * collapse every failure to -EFAULT.
 * 6.1: + FOLL_LONGTERM on fs-DAX → -EOPNOTSUPP (PATCH(gup-dax-check-in-vma-flags),
 * 52650c8b466b), FOLL_FORCE write on hugetlb → -EFAULT, errno propagated.
 * 6.12: + writable long-term pin of a file mapping needing dirty tracking → -EFAULT
 * (PATCH(gup-writable-file-longterm), 8ac268436e6d); FOLL_SPLIT_PMD on hugetlb → -EOPNOTSUPP (not in 6.5.0 or 6.6.9).
 * MODEL: secretmem, shadow stacks and x86 protection keys are not modelled
 * (arch_vma_access_permitted() is always true).
 */
export function check_vma_flags(k: Kctx, vma: vm_area_struct, gup_flags: number): number {
  const vm_flags = vma.vm_flags;
  const write = (gup_flags & FOLL_WRITE) !== 0;
  const vma_anon = vma_is_anonymous(vma);
  const no = (err: number, why: string): number => errno_reason(k, err, 'mm/gup.c:check_vma_flags', `VMA [${hex(vma.vm_start)}, ${hex(vma.vm_end)}): ${why}`);
  if (vm_flags & (VM_IO | VM_PFNMAP)) return no(-EFAULT, 'VM_IO/VM_PFNMAP mappings have no pages to get');
  if (gup_flags & FOLL_ANON && !vma_anon) return no(-EFAULT, 'FOLL_ANON on a file mapping');
  // PATCH(gup-dax-check-in-vma-flags): fs-DAX refused per VMA, under the lock.
  if (k.patch('gup-dax-check-in-vma-flags') && gup_flags & FOLL_LONGTERM && vma_is_fsdax(vma)) return no(-EOPNOTSUPP, 'FOLL_LONGTERM on an fs-DAX mapping (the file system could never truncate the pinned blocks)');
  // PATCH(foll-pci-p2pdma) 4003f107fa2e: 6.2 refuses FOLL_LONGTERM|FOLL_PCI_P2PDMA here; PATCH(gup-unlockable) f04740f54594 moved the test into is_valid_gup_args()
  if (k.patch('foll-pci-p2pdma') && !k.patch('gup-unlockable') && gup_flags & FOLL_LONGTERM && gup_flags & FOLL_PCI_P2PDMA) return no(-EOPNOTSUPP, 'FOLL_LONGTERM with FOLL_PCI_P2PDMA');
  // PATCH(gup-split-pmd-hugetlb) 8977752c8056: FOLL_SPLIT_PMD on a hugetlb VMA → -EOPNOTSUPP
  if (k.patch('gup-split-pmd-hugetlb') && gup_flags & FOLL_SPLIT_PMD && is_vm_hugetlb_page(vma)) return no(-EOPNOTSUPP, 'FOLL_SPLIT_PMD on hugetlb');
  if (write) {
    // PATCH(gup-writable-file-longterm)
    if (k.patch('gup-writable-file-longterm') && !vma_anon && !writable_file_mapping_allowed(vma, gup_flags)) return no(-EFAULT, 'a writable FOLL_LONGTERM pin of a shared file mapping whose file system does not allow it (writable_file_mapping_allowed)');
    if (!(vm_flags & VM_WRITE)) {
      if (!(gup_flags & FOLL_FORCE)) return no(-EFAULT, 'FOLL_WRITE on a mapping without PROT_WRITE');
      // PATCH(gup-hugetlb-no-force-write): no FOLL_FORCE writes to a read-only hugetlb mapping;
      // PATCH(hugetlb-foll-force-write) 052ccfbcc6cd: allowed again from v6.14.
      if (k.patch('gup-hugetlb-no-force-write') && !k.patch('hugetlb-foll-force-write') && is_vm_hugetlb_page(vma)) return no(-EFAULT, 'FOLL_FORCE write to hugetlb');
      if (!is_cow_mapping(vm_flags)) return no(-EFAULT, 'FOLL_FORCE write to a shared mapping without PROT_WRITE');
    }
  } else if (!(vm_flags & VM_READ)) {
    if (!(gup_flags & FOLL_FORCE)) return no(-EFAULT, 'a read of a mapping without PROT_READ');
    if (!(vm_flags & VM_MAYREAD)) return no(-EFAULT, 'FOLL_FORCE read of a mapping that may never be readable');
  }
  return 0;
}

// ===========================================================================
// follow_page_mask and friends.

/** The NULL return of follow_page_mask (no page: fault it in). Distinct from every pfn and errno. */
export const NO_PAGE = -0x7fff_ffff;

/**
 * can_follow_write_pte(pte, page, vma, flags).
 * 5.4–5.6, 5.9–5.19 (Dirty COW fix): writable PTE, or FOLL_FORCE|FOLL_COW with a dirty PTE;
 * 5.7.14/5.8.1 (17839856fd58): FOLL_COW with a dirty PTE, FOLL_FORCE or not.
 * 6.1/6.12 (PATCH(gup-foll-cow-removed), 5535be309971): FOLL_FORCE may follow a R/O
 * PTE only in a private, VM_MAYWRITE, !VM_WRITE mapping of an exclusive anon page.
 */
function can_follow_write_pte(k: Kctx, pte: number, page: number | null, vma: vm_area_struct, flags: number): boolean {
  if (pte_write(pte)) return true;
  // PATCH(gup-foll-cow-removed) 5535be309971: the FOLL_COW + dirty PTE rule of can_follow_write_pte()
  // 5.7.14/5.8.1 (gcfg cow_break: 17839856fd58 without a308c71bf1e6) drop the FOLL_FORCE requirement, so the
  // forced-write walk of a read GUP can follow the COWed, still read-only PTE (can_follow_write_pte/_pmd).
  if (!k.patch('gup-foll-cow-removed')) return ((flags & FOLL_FORCE) !== 0 || gcfg(k).cow_break) && (flags & FOLL_COW) !== 0 && pte_dirty(pte);
  if (!(flags & FOLL_FORCE)) return false;
  if (vma.vm_flags & (VM_MAYSHARE | VM_SHARED)) return false;
  if (!(vma.vm_flags & VM_MAYWRITE)) return false;
  if (vma.vm_flags & VM_WRITE) return false;
  if (page === null || !PageAnon(k.m, page) || !PageAnonExclusive(k.m, page)) return false;
  return true;
}

/**
 * gup_must_unshare(vma, flags, page).
 * 6.1 (PATCH(gup-anon-exclusive-unshare), a7f226604170): FOLL_PIN without FOLL_WRITE on
 * an anon page that is not exclusive (hugetlb: judged on the head).
 * 6.12 (PATCH(gup-reliable-ro-longterm), 84209e87c696): + FOLL_LONGTERM R/O pins of
 * non-anon pages in COW mappings (vma NULL from gup-fast: always unshare → slow path).
 */
export function gup_must_unshare(k: Kctx, vma: vm_area_struct | null, flags: number, page: number): boolean {
  if ((flags & (FOLL_WRITE | FOLL_PIN)) !== FOLL_PIN) return false;
  if (!gcfg(k).unshare) return false;
  const m = k.m;
  if (!PageAnon(m, page)) {
    // PATCH(gup-reliable-ro-longterm) 84209e87c696: R/O long-term pins of non-anon pages in COW mappings unshare too
    if (!k.patch('gup-reliable-ro-longterm')) return false;
    if (!(flags & FOLL_LONGTERM)) return false;
    if (vma === null) return true;
    return is_cow_mapping(vma.vm_flags);
  }
  const p = PageHuge(m, page) ? compound_head(m, page) : page;
  return !PageAnonExclusive(m, p);
}

/**
 * Debian 6.1.192 mm/hugetlb.c follow_hugetlb_page() takes its references with
 * try_grab_folio(), the gup-fast helper, which refuses FOLL_PIN|FOLL_LONGTERM on a page
 * that is not long-term pinnable (the check from PATCH(gup-fast-longterm-cma-check));
 * follow_hugetlb_page() then WARNs (WARN_ON_ONCE) and stops with -ENOMEM, so a hugetlb
 * folio in ZONE_MOVABLE or CMA is never pinned and never reaches the migration step.
 * PATCH(gup-hugetlb-grab-no-longterm-check) (f442fa614137, v6.10) gives the slow path its
 * own try_grab_folio() without that check (6.12.117: hugetlb goes through
 * follow_page_mask() and is pinned, then migrated like any other folio).
 * 5.4–5.11 grab hugetlb pages one by one with get_page()/try_grab_page(), which has no
 * such check; 5.12.9 (is_migrate_cma_page) to 5.15.24 (is_pinnable_page) refuse as 6.1 does.
 */
function hugetlb_grab_refuses_longterm(k: Kctx, vma: vm_area_struct, page: number, flags: number): boolean {
  if ((flags & (FOLL_PIN | FOLL_LONGTERM)) !== (FOLL_PIN | FOLL_LONGTERM) || !is_vm_hugetlb_page(vma)) return false;
  // PATCH(gup-fast-longterm-cma-check) df3a0a21b698: the gup-fast grab helper refuses unpinnable pages for FOLL_LONGTERM
  // PATCH(hugetlb-grab-refs-once) 0fa5bc4023c1: follow_hugetlb_page() grabs through that helper (5.12.9: try_grab_compound_head)
  // PATCH(gup-hugetlb-grab-no-longterm-check) f442fa614137: the slow path gets its own grab without the check
  if (!k.patch('gup-fast-longterm-cma-check') || !k.patch('hugetlb-grab-refs-once') || k.patch('gup-hugetlb-grab-no-longterm-check')) return false;
  return !is_longterm_pinnable_page(k, page);
}

/**
 * follow_page_mask(vma, address, flags, ctx) with follow_page_pte / follow_*_pmd /
 * follow_huge_*: look up the page mapped at `address` and take the FOLL_GET/FOLL_PIN
 * reference. Returns a pfn, NO_PAGE (fault needed), or a negative errno
 * (-EEXIST: a pfn without struct page; -EMLINK (6.1+): unshare needed; -ENOMEM).
 * MODEL: PTE-level and huge leaves share one body (the releases differ only in
 * batching, which has the same end state); migration entries, NUMA hinting
 * (FOLL_NUMA / protnone), FOLL_SPLIT(_PMD), FOLL_MLOCK and FOLL_DUMP's hole check
 * are not modelled (unsupported when asked for).
 */
export function follow_page_mask(k: Kctx, vma: vm_area_struct, address: number, flags: number, ctx: follow_page_context | null = null): number {
  const m = k.m;
  if (ctx !== null) ctx.page_mask = 0;
  // PATCH(pin-user-pages-api)
  if ((flags & (FOLL_PIN | FOLL_GET)) === (FOLL_PIN | FOLL_GET) && gcfg(k).pin_api && WARN_ON_ONCE(k, true, 'mm/gup.c:follow_page_pte', 'FOLL_GET|FOLL_PIN')) return -EINVAL;
  // The common case (a PTE) without building a walk result; huge leaves through pt_walk.
  let entry = pte_at(vma.vm_mm, address);
  let span = 1;
  if (entry === 0) {
    const w = pt_walk(vma.vm_mm, address);
    entry = w.entry;
    span = w.level === 'pte' ? 1 : w.level === 'pmd' ? 512 : 512 * 512;
  }
  const fl = pte_flags(entry);
  if (!(fl & _PAGE_PRESENT)) return NO_PAGE;
  // The frame under `address`: a PTE maps one; a PMD/PUD leaf maps 512 / 512*512.
  const pfn = span === 1 ? pte_pfn(entry) : pte_pfn(entry) + (Math.floor(address / PAGE_SIZE) % span);
  const devmap = (fl & _PAGE_DEVMAP) !== 0;
  // vm_normal_page(): no struct page to use for special (zero page, PFNMAP) and devmap entries;
  // a normal PTE maps a frame with a struct page (the kernel only bounds-checks the pfn there).
  let page: number | null = (fl & (_PAGE_SPECIAL | _PAGE_DEVMAP)) !== 0 ? null : pfn;
  if (page !== null && span > 1 && !pfn_valid(m, pfn)) page = null;
  if ((flags & FOLL_WRITE) && !(fl & _PAGE_RW) && !can_follow_write_pte(k, entry, page, vma, flags)) return NO_PAGE;
  // follow_trans_huge_pmd (5.4.1, 6.1.192) / follow_huge_pmd (6.12.117): FOLL_DUMP skips the huge zero page.
  if (flags & FOLL_DUMP && span === PTRS_PER_PTE && is_huge_zero_pmd(k, entry)) return -EFAULT;
  if (page === null && devmap && (flags & (FOLL_GET | FOLL_PIN))) {
    // get_dev_pagemap() succeeds: the model's pmem namespaces stay live.
    page = pfn;
  } else if (page === null) {
    if (flags & FOLL_DUMP) return -EFAULT;
    if (is_zero_pfn(m, pfn)) page = pfn;
    else return -EEXIST; // follow_pfn_pte(): a pfn without struct page
  }
  if (!(fl & _PAGE_RW) && gup_must_unshare(k, vma, flags, page)) return -EMLINK;
  if (hugetlb_grab_refuses_longterm(k, vma, page, flags)) {
    WARN_ON_ONCE(k, true, 'mm/hugetlb.c:follow_hugetlb_page', 'try_grab_folio() refused a FOLL_LONGTERM pin of an unpinnable hugetlb folio');
    return -ENOMEM;
  }
  if (flags & (FOLL_GET | FOLL_PIN)) {
    const r = try_grab_page(k, page, flags, 'mm/gup.c:follow_page_pte');
    if (r) return r;
  }
  if (flags & FOLL_TOUCH) {
    // set_page_dirty() for a write through a clean PTE of a clean page.
    if (flags & FOLL_WRITE && !(fl & _PAGE_DIRTY) && !PageDirty(m, page) && !is_zero_page(m, page)) SetPageDirty(m, compound_head(m, page));
  }
  // ctx->page_mask: a THP or hugetlb PMD leaf says it maps HPAGE_PMD_NR pages (every
  // release: follow_trans_huge_pmd's caller; hugetlb through follow_hugetlb_page's own
  // loop before 6.6); a PUD leaf says HPAGE_PUD_NR when it is hugetlb, and (6.12
  // follow_huge_pud, PATCH(gup-thp-page-increm) era) also when it is devmap; devmap PMDs
  // (follow_devmap_pmd) never do. What the caller makes of it is __get_user_pages' rule.
  if (ctx !== null && span > 1 && (!devmap || (span > 512 && gcfg(k).thp_increm))) ctx.page_mask = span - 1;
  return page;
}

/** struct follow_page_context: what follow_page_mask reports besides the page. */
export interface follow_page_context {
  /** Pages mapped by the leaf found, minus one (0 for a PTE). */
  page_mask: number;
  /** MODEL: a follow_page_mask() result computed ahead by gup_pte_run() (see there). */
  pending: number;
  has_pending: boolean;
}

// ===========================================================================
// Faults.

/**
 * faultin_page(vma, address, flags, unshare, locked).
 * 5.4–5.6: ALLOW_RETRY iff `locked`; FOLL_TRIED adds FAULT_FLAG_TRIED; after a write
 * fault that broke COW in a !VM_WRITE VMA, FOLL_COW is set in *flags.
 * 6.1: + FOLL_NOFAULT → -EFAULT, FAULT_FLAG_KILLABLE with ALLOW_RETRY
 * (PATCH(gup-fatal-signals)), unshare faults, VM_FAULT_COMPLETED → *locked = 0, -EAGAIN.
 * 6.12: ALLOW_RETRY iff FOLL_UNLOCKABLE (PATCH(gup-unlockable)), + INTERRUPTIBLE.
 * Returns 0, -EBUSY (lock dropped: VM_FAULT_RETRY), -EAGAIN, or an errno.
 * The fault handler drops mmap_lock itself when it returns VM_FAULT_RETRY.
 */
function* faultin_page(k: Kctx, vma: vm_area_struct, address: number, flags: { v: number }, unshare: boolean, locked: int_ptr | null): KThread<number> {
  let fault_flags = 0;
  if (flags.v & FOLL_NOFAULT) return -EFAULT;
  if (flags.v & FOLL_WRITE) fault_flags |= FAULT_FLAG_WRITE;
  if (flags.v & FOLL_REMOTE) fault_flags |= FAULT_FLAG_REMOTE;
  // PATCH(gup-unlockable) f04740f54594: FOLL_UNLOCKABLE (not a non-NULL locked) allows the retry
  if (k.patch('gup-unlockable')) {
    if (flags.v & FOLL_UNLOCKABLE) {
      fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
      if (flags.v & FOLL_INTERRUPTIBLE) fault_flags |= FAULT_FLAG_INTERRUPTIBLE;
    }
  } else if (locked) {
    fault_flags |= FAULT_FLAG_ALLOW_RETRY;
    // PATCH(gup-fatal-signals)
    if (k.patch('gup-fatal-signals')) fault_flags |= FAULT_FLAG_KILLABLE;
  }
  if (flags.v & FOLL_NOWAIT) fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT;
  if (flags.v & FOLL_TRIED) {
    // 5.4–5.6 warn when TRIED meets ALLOW_RETRY; PATCH(gup-retry-multiple) lets them coexist.
    if (!k.patch('gup-retry-multiple')) WARN_ON_ONCE(k, (fault_flags & FAULT_FLAG_ALLOW_RETRY) !== 0, 'mm/gup.c:faultin_page', 'FOLL_TRIED with ALLOW_RETRY');
    fault_flags |= FAULT_FLAG_TRIED;
  }
  if (unshare) fault_flags |= FAULT_FLAG_UNSHARE;

  const ret = yield* handle_mm_fault(k, vma, address, fault_flags);

  if (ret & VM_FAULT_COMPLETED) {
    if (locked) locked.v = 0;
    return -EAGAIN;
  }
  if (ret & VM_FAULT_ERROR) {
    const err = vm_fault_to_errno(ret, flags.v);
    if (err) return err;
    BUG_ON(k, true, 'mm/gup.c:faultin_page', `VM_FAULT_ERROR 0x${ret.toString(16)} without errno`);
    return -EFAULT;
  }
  if (ret & VM_FAULT_RETRY) {
    if (locked && !(fault_flags & FAULT_FLAG_RETRY_NOWAIT)) locked.v = 0;
    return -EBUSY;
  }
  // 5.4–5.6: a COW broken by a write fault in a !VM_WRITE VMA lets the retry follow the R/O dirty PTE.
  // PATCH(gup-foll-cow-removed) 5535be309971: FOLL_COW is set after a COW write fault only before it
  if (!k.patch('gup-foll-cow-removed') && ret & VM_FAULT_WRITE && !(vma.vm_flags & VM_WRITE)) flags.v |= FOLL_COW;
  return 0;
}

// ===========================================================================
// __get_user_pages: the page-by-page walk.

/**
 * __get_user_pages(mm, start, nr_pages, gup_flags, pages, vmas, locked) — every
 * release. Walks VMAs (check_vma_flags on entering each), checks for a fatal signal,
 * cond_resched()s, follows or faults each page. Returns pages done, or the errno of
 * the first page. Caller holds mmap_lock; it may be dropped (then *locked = 0).
 * `pi` is the index in `pages`/`vmas` of the first page (the kernel's advanced pointer).
 * MODEL: gate-area pages do not exist in the model; hugetlb VMAs go through the same
 * per-page walk (5.4/6.1 follow_hugetlb_page takes the same references).
 */
export function* __get_user_pages(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, gup_flags: number,
  pages: page_array | null, pi: number, vmas: vma_array | null, vi: number, locked: int_ptr | null,
): KThread<number> {
  let ret = 0;
  let i = 0;
  let vma: vm_area_struct | null = null;
  if (!nr_pages) return 0;
  VM_BUG_ON_pages(k, pages, gup_flags);
  // 5.4–5.6: FOLL_NUMA unless FOLL_FORCE (no effect in the model: no NUMA hinting PTEs).
  const c = gcfg(k);
  // PATCH(gup-foll-cow-removed): FOLL_NUMA is gone with the 6.0 rework.
  if (!c.cow_removed && !(gup_flags & FOLL_FORCE)) gup_flags |= FOLL_NUMA;
  if ((gup_flags & (FOLL_POPULATE | FOLL_MLOCK)) === FOLL_MLOCK) {
    return unsupported(k, 'mm/gup.c:__get_user_pages', 'FOLL_MLOCK without FOLL_POPULATE (mlock of present pages)');
  }
  // PATCH(gup-fatal-signals)
  const fatal_errno = c.fatal ? -EINTR : -ERESTARTSYS;
  const foll = { v: gup_flags };
  const ctx: follow_page_context = { page_mask: 0, pending: 0, has_pending: false };
  let next_resched = 0;
  // The flags each page starts from (foll_flags = gup_flags, plus FOLL_WRITE where 5.7.14/5.8.1's
  // should_force_cow_break() asks for it: a COW mapping and a FOLL_GET/FOLL_PIN walk).
  let page_flags = gup_flags;
  out: do {
    if (vma === null || start >= vma.vm_end) {
      // 6.1+: vma_lookup (gup_vma_lookup in 6.12); 5.4: find_extend_vma (no stack expansion modelled).
      vma = c.cow_removed ? vma_lookup(mm, start) : lookup_vma_v5_4(mm, start);
      if (vma === null) {
        ret = errno_reason(k, -EFAULT, 'mm/gup.c:__get_user_pages', `no VMA maps ${hex(start)}`);
        break out;
      }
      note_vma_use(k, vma);
      const r = check_vma_flags(k, vma, gup_flags);
      if (r) {
        // 5.4–5.6 collapse the reason to -EFAULT; 6.1 propagates it (PATCH(gup-dax-check-in-vma-flags)).
        ret = c.dax_in_vma ? r : -EFAULT;
        break out;
      }
      page_flags = c.cow_break && is_cow_mapping(vma.vm_flags) && (gup_flags & (FOLL_GET | FOLL_PIN)) !== 0 ? gup_flags | FOLL_WRITE : gup_flags;
    }
    foll.v = page_flags;
    for (;;) {
      // retry:
      if (fatal_signal_pending(k)) {
        // Until 4849807114b8 a hugetlb VMA is walked by follow_hugetlb_page(), whose own
        // signal check stops with its initial err, -EFAULT, when nothing was pinned yet.
        // PATCH(gup-retire-follow-hugetlb-page)
        ret = is_vm_hugetlb_page(vma) && !k.patch('gup-retire-follow-hugetlb-page') ? -EFAULT : fatal_errno;
        break out;
      }
      // Every iteration is a scheduling point: follow_page_pte() takes the page's PTE lock
      // and drops it before the next page, and the mmap_lock this walk holds for read
      // excludes neither MADV_DONTNEED (read), a second GUP or fault (read), truncate's
      // rmap zap nor migration (neither takes it), so any of them can run between two
      // pages (pin_user_pages vs MADV_DONTNEED can return old frames for the first
      // pages and new ones for the rest: scenarios/concurrency/pin-vs-madv-dontneed.yaml).
      // The point is labelled cond_resched() at page 0, 512, 1024... of the call and
      // when an iteration that covered many pages (a huge leaf) crossed into a new
      // 512-page window, the PTE lock elsewhere. MODEL (speed only): with no other live
      // thread (Sched.alone) gup_pte_run() follows the pages between two cond_resched()
      // points in one plain loop (and in a one-thread run cond_resched() itself is no point: kernel/sched.ts). Fatal signals are checked on
      // every iteration.
      const alone = k.s.alone(k.tid);
      if ((i & 511) === 0 || i >= next_resched) {
        if (ctx.has_pending) throw new Error('pinlab bug: a page followed ahead would be used after a scheduling point');
        // The retry after a 5.4-5.6 COW fault differs from the first try only in FOLL_COW (a local the state must carry).
        yield* cond_resched(k, 'mm/gup.c:__get_user_pages', foll.v & FOLL_COW ? 'FOLL_COW' : undefined);
        next_resched = (Math.floor(i / 512) + 1) * 512;
      } else if (!alone && !ctx.has_pending && !inside_hugetlb_leaf(vma, start)) {
        yield* race_window(k, 'mm/gup.c:follow_page_pte:ptl', foll.v & FOLL_COW ? `${i}:FOLL_COW` : `${i}`);
      } else if (!ctx.has_pending && !inside_hugetlb_leaf(vma, start)) {
        // The reference atomicity yields before every page the walk reads, whatever the
        // points above decided (they are what it checks).
        yield* fine_point(k, 'mm/gup.c:__get_user_pages:page', `${i}`);
      }
      let page: number;
      if (ctx.has_pending) {
        // gup_pte_run() already followed this page (same flags, no point in between).
        page = ctx.pending;
        ctx.has_pending = false;
      } else {
        page = follow_page_mask(k, vma, start, foll.v, ctx);
      }
      if (page === NO_PAGE || page === -EMLINK) {
        // follow_page_pte() dropped the PTE lock; handle_mm_fault() re-reads the entry under
        // it, so what runs in between is also a run before the follow (checked by the
        // reference atomicity).
        yield* fine_point(k, 'mm/gup.c:faultin_page:ptl-dropped', `${i}`);
        ret = yield* faultin_page(k, vma, start, foll, page === -EMLINK, locked);
        if (ret === 0) continue; // goto retry
        if (ret === -EBUSY || ret === -EAGAIN) {
          ret = 0;
          break out;
        }
        if (ret === -EFAULT || ret === -ENOMEM || ret === -EHWPOISON) break out;
        if (ret === -ENOENT) break; // 5.4: FOLL_MLOCK without populate: next page
        // Other errnos from the model's fault handler pass through (the kernel BUG()s here).
        BUG_ON(k, true, 'mm/gup.c:__get_user_pages', `faultin_page returned ${ret}`);
        break out;
      } else if (page === -EEXIST) {
        // A PTE with a pfn but no struct page: 5.4–5.15 skip the slot; 5.18+ (6.1) fail when pages are wanted.
        // PATCH(gup-pfn-eexist) 65462462ffb2: stop with -EEXIST when the caller wants pages
        if (k.patch('gup-pfn-eexist') && pages) {
          ret = -EEXIST;
          break out;
        }
        break; // next_page (pages[i] left unset, as the kernel)
      } else if (page < 0) {
        ret = page;
        break out;
      }
      // How many pages this iteration covers (page_increm). The leaf's page_mask is used
      // as is when nothing is recorded (every release skips the rest of a THP or hugetlb
      // page then); with pages or vmas to fill, 5.4–6.1 clear it (one page per iteration)
      // except for hugetlb on 6.1, whose follow_hugetlb_page() records the run up to the
      // end of the huge page with one try_grab_folio(refs) (PATCH(hugetlb-grab-refs-once),
      // 0fa5bc4023c1); 6.12 keeps it and grabs the extra references in one call
      // (PATCH(gup-thp-page-increm), 57edfcfd3419, whose bulk grab fails with -EFAULT).
      const c2 = gcfg(k);
      if ((pages || vmas) && !c2.thp_increm && !(c2.hugetlb_bulk && is_vm_hugetlb_page(vma))) ctx.page_mask = 0;
      const increm = ctx.page_mask === 0 ? 1 : Math.min(nr_pages, 1 + (ctx.page_mask - (Math.floor(start / PAGE_SIZE) % (ctx.page_mask + 1))));
      if (pages) {
        if (increm > 1 && try_grab_page(k, page + 1, foll.v, 'mm/gup.c:__get_user_pages', increm - 1)) {
          gup_put_folio(k, page, 1, foll.v, 'mm/gup.c:__get_user_pages');
          ret = -EFAULT;
          break out;
        }
        fill_subpages(pages, pi + i, page, increm);
      }
      if (vmas) vmas.fill(vma, vi + i, vi + i + increm);
      i += increm;
      start += increm * PAGE_SIZE;
      nr_pages -= increm;
      if (increm === 1 && nr_pages > 0 && i < next_resched && alone) {
        const n = gup_pte_run(k, vma, start, Math.min(nr_pages, next_resched - i), page_flags, pages, pi + i, vmas, vi + i, ctx);
        // A traced run records the merged run as one entry: the PTE-lock points it stands for
        // (one per page it followed, and one for the page it left pending).
        if (k.s.tracing && n + (ctx.has_pending ? 1 : 0) > 0) {
          k.s.traceBatch('mm/gup.c:follow_page_pte:ptl', n + (ctx.has_pending ? 1 : 0), { fn: 'mm/gup.c:__get_user_pages', start: hex(start), pages: n, index: i });
        }
        i += n;
        start += n * PAGE_SIZE;
        nr_pages -= n;
      }
      continue out;
    }
    // next_page (a slot without a struct page, left unset in pages):
    if (vmas) vmas[vi + i] = vma;
    i += 1;
    start += PAGE_SIZE;
    nr_pages -= 1;
  } while (nr_pages);
  if (ctx.has_pending) throw new Error('pinlab bug: a page followed ahead was never used');
  return i ? i : ret;
}

/**
 * Is `addr` past the first page of a hugetlb page? The walk records the rest of a
 * huge page in the same step as its first page: 5.4.1 and 6.1.192 follow_hugetlb_page()
 * take every subpage under one hold of the huge page's PTE lock (huge_pte_lock), which
 * excludes the slow-path walks, faults, zaps and migration of that leaf (the lockless
 * gup-fast walk grabs a huge leaf in one step too); 6.12.117 covers the huge page in one
 * iteration (page_mask).
 */
function inside_hugetlb_leaf(vma: vm_area_struct, addr: number): boolean {
  if (!is_vm_hugetlb_page(vma)) return false;
  const order = vma.vm_file ? vma.vm_file.f_inode.i_sb.huge_order : 9;
  return Math.floor(addr / PAGE_SIZE) % 2 ** order !== 0;
}

/** pages[at + j] = nth_page(page, j) for j < n. MODEL: a plain function (a loop inside a generator runs slowly). */
function fill_subpages(pages: page_array, at: number, page: number, n: number): void {
  for (let j = 0; j < n; j++) pages[at + j] = page + j;
}

function VM_BUG_ON_pages(k: Kctx, pages: page_array | null, gup_flags: number): void {
  BUG_ON(k, (pages !== null) !== ((gup_flags & (FOLL_GET | FOLL_PIN)) !== 0), 'mm/gup.c:__get_user_pages', '!!pages != !!(gup_flags & (FOLL_GET|FOLL_PIN))');
}

/** find_extend_vma (5.4): the VMA containing addr. MODEL: stack VMAs do not grow on GUP. */
function lookup_vma_v5_4(mm: mm_struct, addr: number): vm_area_struct | null {
  const v = find_vma(mm, addr);
  return v && v.vm_start <= addr ? v : null;
}

/** A GUP path reads a VMA: if it was freed meanwhile, that is a use-after-free (no-stale-vma-use). */
function note_vma_use(k: Kctx, vma: vm_area_struct): void {
  if (vma.vm_freed) k.m.event(k.tid, 'stale-vma-use', [`vma:${vma.id}`], 'mm/gup.c', null);
}

// ===========================================================================
// __get_user_pages_locked: the `locked` protocol.

/**
 * __get_user_pages_locked(mm, start, nr_pages, pages, vmas, locked, flags) —
 * dispatcher: 5.4–5.6 body, 6.1 body (PATCH(gup-retry-multiple), PATCH(gup-fatal-signals)),
 * 6.12 body (PATCH(gup-unlockable)).
 */
export function* __get_user_pages_locked(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, locked: int_ptr | null, flags: number,
): KThread<number> {
  // PATCH(gup-unlockable) f04740f54594: dispatch: the 6.3+ __get_user_pages_locked() body
  if (k.patch('gup-unlockable')) return yield* __get_user_pages_locked__v6_3(k, mm, start, nr_pages, pages, locked, flags);
  // PATCH(gup-retry-multiple) 4426e945df58: dispatch: the 5.7+ body (re-fault with locked, repeated)
  if (k.patch('gup-retry-multiple')) return yield* __get_user_pages_locked__v5_7(k, mm, start, nr_pages, pages, vmas, locked, flags);
  return yield* __get_user_pages_locked__v5_4(k, mm, start, nr_pages, pages, vmas, locked, flags);
}

/**
 * 5.4.1 / 5.5-rc5 / 5.6.4 __get_user_pages_locked().
 * Locking: caller holds mmap_sem. locked == NULL: never dropped. locked != NULL:
 * *locked must be 1 and vmas NULL (BUG); a VM_FAULT_RETRY drops the lock, the page
 * that fired it is re-faulted once under a re-taken lock with FOLL_TRIED and
 * locked = NULL, then the walk continues with `locked`; if the lock was ever dropped
 * it is released at the end and *locked = 0.
 * PATCH(hypo-longterm-honours-locked): the ablation lets a FOLL_LONGTERM call bring
 * its vmas array here together with `locked` (the BUG_ON is the refusal it removes);
 * vmas is then, as in the real code path, NOT advanced after a retry and NOT filled
 * for the re-faulted page — which is what §1.4 is about.
 */
function* __get_user_pages_locked__v5_4(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, locked: int_ptr | null, flags: number,
): KThread<number> {
  const site = 'mm/gup.c:__get_user_pages_locked';
  if (locked) {
    // PATCH(hypo-longterm-honours-locked)
    const hypo = k.patch('hypo-longterm-honours-locked') && (flags & FOLL_LONGTERM) !== 0;
    if (!hypo) BUG_ON(k, vmas !== null, site, 'locked && vmas');
    BUG_ON(k, locked.v !== 1, site, '*locked != 1');
  }
  // PATCH(mm-has-pinned): set here from 5.9 (no FOLL_PIN reaches this 5.4–5.6 body on a
  // real release; an ablated 6.1 profile running it keeps the flag).
  if (flags & FOLL_PIN) mm_set_has_pinned_flag(k, mm);
  // 5.6: FOLL_GET only when the caller did not ask for FOLL_PIN (PATCH(pin-user-pages-api)).
  if (pages && !(k.patch('pin-user-pages-api') && flags & FOLL_PIN)) flags |= FOLL_GET;
  let pages_done = 0;
  let lock_dropped = false;
  let pi = 0;
  for (;;) {
    let ret = yield* __get_user_pages(k, mm, start, nr_pages, flags, pages, pi, vmas, 0, locked);
    if (!locked) return ret;
    if (!locked.v) {
      BUG_ON(k, ret < 0, site, 'VM_FAULT_RETRY with an error');
      BUG_ON(k, ret >= nr_pages, site, 'VM_FAULT_RETRY after the last page');
    }
    if (ret > 0) {
      nr_pages -= ret;
      pages_done += ret;
      if (!nr_pages) break;
    }
    if (locked.v) {
      if (!pages_done) pages_done = ret;
      break;
    }
    if (pages) pi += ret;
    start += ret * PAGE_SIZE;
    locked.v = 1;
    lock_dropped = true;
    // The lock is free here: other threads may change the address space (§1.4).
    yield* down_read(k, mm.mmap_lock, site);
    ret = yield* __get_user_pages(k, mm, start, 1, flags | FOLL_TRIED, pages, pi, null, 0, null);
    if (ret !== 1) {
      BUG_ON(k, ret > 1, site, 'retry returned more than one page');
      if (!pages_done) pages_done = ret;
      break;
    }
    nr_pages--;
    pages_done++;
    if (!nr_pages) break;
    if (pages) pi++;
    start += PAGE_SIZE;
  }
  if (lock_dropped && locked && locked.v) {
    up_read(k, mm.mmap_lock, site);
    locked.v = 0;
  }
  return pages_done;
}

/**
 * Debian 6.1.192 __get_user_pages_locked(): as 5.4 but the re-fault keeps `locked`
 * (may drop again: PATCH(gup-retry-multiple), 4426e945df58), a fatal signal before
 * re-taking the lock ends the call (-EINTR if nothing done) and the lock is taken
 * killable (PATCH(gup-fatal-signals), 71335f37c5e8); sets MMF_HAS_PINNED for FOLL_PIN.
 */
function* __get_user_pages_locked__v5_7(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, locked: int_ptr | null, flags: number,
): KThread<number> {
  const site = 'mm/gup.c:__get_user_pages_locked';
  if (locked) {
    BUG_ON(k, vmas !== null, site, 'locked && vmas');
    BUG_ON(k, locked.v !== 1, site, '*locked != 1');
  }
  if (flags & FOLL_PIN) mm_set_has_pinned_flag(k, mm);
  if (pages && !(flags & FOLL_PIN)) flags |= FOLL_GET;
  let pages_done = 0;
  let lock_dropped = false;
  let pi = 0;
  for (;;) {
    let ret = yield* __get_user_pages(k, mm, start, nr_pages, flags, pages, pi, vmas, 0, locked);
    if (!locked) return ret;
    if (!locked.v) {
      BUG_ON(k, ret < 0, site, 'VM_FAULT_RETRY with an error');
      BUG_ON(k, ret >= nr_pages, site, 'VM_FAULT_RETRY after the last page');
    }
    if (ret > 0) {
      nr_pages -= ret;
      pages_done += ret;
      if (!nr_pages) break;
    }
    if (locked.v) {
      if (!pages_done) pages_done = ret;
      break;
    }
    if (pages) pi += ret;
    start += ret * PAGE_SIZE;
    lock_dropped = true;
    let stop = false;
    for (;;) {
      // retry:
      if (fatal_signal_pending(k)) {
        if (!pages_done) pages_done = -EINTR;
        stop = true;
        break;
      }
      const r = yield* down_read_killable(k, mm.mmap_lock, site);
      if (r) {
        if (!pages_done) pages_done = r;
        stop = true;
        break;
      }
      locked.v = 1;
      ret = yield* __get_user_pages(k, mm, start, 1, flags | FOLL_TRIED, pages, pi, null, 0, locked);
      if (!locked.v) {
        BUG_ON(k, ret !== 0, site, 'retry dropped the lock but returned pages');
        continue;
      }
      break;
    }
    if (stop) break;
    if (ret !== 1) {
      BUG_ON(k, ret > 1, site, 'retry returned more than one page');
      if (!pages_done) pages_done = ret;
      break;
    }
    nr_pages--;
    pages_done++;
    if (!nr_pages) break;
    if (pages) pi++;
    start += PAGE_SIZE;
  }
  if (lock_dropped && locked.v) {
    up_read(k, mm.mmap_lock, site);
    locked.v = 0;
  }
  return pages_done;
}

/**
 * Debian 6.12.117 __get_user_pages_locked(): `locked` is never NULL; *locked == 0
 * means "take mmap_lock yourself" (killable, else -EAGAIN) and release it before
 * returning; only FOLL_UNLOCKABLE calls retry (PATCH(gup-unlockable), f04740f54594);
 * the retry waits on gup_signal_pending(); 0 pages without FOLL_NOWAIT → WARN, -EFAULT.
 */
function* __get_user_pages_locked__v6_3(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  locked: int_ptr | null, flags: number,
): KThread<number> {
  const site = 'mm/gup.c:__get_user_pages_locked';
  if (locked === null) throw new Error('pinlab bug: 6.12 __get_user_pages_locked needs a locked pointer');
  let must_unlock = false;
  if (!nr_pages) return 0;
  if (!locked.v) {
    if (yield* down_read_killable(k, mm.mmap_lock, site)) return -EAGAIN;
    must_unlock = true;
    locked.v = 1;
  }
  if (flags & FOLL_PIN) mm_set_has_pinned_flag(k, mm);
  if (pages && !(flags & FOLL_PIN)) flags |= FOLL_GET;
  let pages_done = 0;
  let pi = 0;
  for (;;) {
    let ret = yield* __get_user_pages(k, mm, start, nr_pages, flags, pages, pi, null, 0, locked);
    if (!(flags & FOLL_UNLOCKABLE)) {
      pages_done = ret;
      break;
    }
    if (!locked.v) {
      BUG_ON(k, ret < 0, site, 'VM_FAULT_RETRY with an error');
      BUG_ON(k, ret >= nr_pages, site, 'VM_FAULT_RETRY after the last page');
    }
    if (ret > 0) {
      nr_pages -= ret;
      pages_done += ret;
      if (!nr_pages) break;
    }
    if (locked.v) {
      if (!pages_done) pages_done = ret;
      break;
    }
    if (pages) pi += ret;
    start += ret * PAGE_SIZE;
    must_unlock = true;
    let stop = false;
    for (;;) {
      if (gup_signal_pending(k, flags)) {
        if (!pages_done) pages_done = -EINTR;
        stop = true;
        break;
      }
      const r = yield* down_read_killable(k, mm.mmap_lock, site);
      if (r) {
        if (!pages_done) pages_done = r;
        stop = true;
        break;
      }
      locked.v = 1;
      ret = yield* __get_user_pages(k, mm, start, 1, flags | FOLL_TRIED, pages, pi, null, 0, locked);
      if (!locked.v) {
        BUG_ON(k, ret !== 0, site, 'retry dropped the lock but returned pages');
        continue;
      }
      break;
    }
    if (stop) break;
    if (ret !== 1) {
      BUG_ON(k, ret > 1, site, 'retry returned more than one page');
      if (!pages_done) pages_done = ret;
      break;
    }
    nr_pages--;
    pages_done++;
    if (!nr_pages) break;
    if (pages) pi++;
    start += PAGE_SIZE;
  }
  if (must_unlock && locked.v) {
    up_read(k, mm.mmap_lock, site);
    locked.v = 0;
  }
  if (WARN_ON_ONCE(k, pages_done === 0 && !(flags & FOLL_NOWAIT), site, 'no pages and no error')) return -EFAULT;
  return pages_done;
}

/** gup_signal_pending(flags) (6.12): fatal signal, or any signal with FOLL_INTERRUPTIBLE. */
function gup_signal_pending(k: Kctx, flags: number): boolean {
  if (fatal_signal_pending(k)) return true;
  if (!(flags & FOLL_INTERRUPTIBLE)) return false;
  return signal_pending(k);
}

/**
 * mm_set_has_pinned_flag(&mm->flags) (6.1/6.12; mm->has_pinned = 1 from 5.9): the mm has
 * had FOLL_PIN pages, never cleared. PATCH(mm-has-pinned), 008cfe4418b3: absent before.
 */
export function mm_set_has_pinned_flag(k: Kctx, mm: mm_struct): void {
  // PATCH(mm-has-pinned) 008cfe4418b3: the mm remembers it had FOLL_PIN pages
  if (k.patch('mm-has-pinned')) mm.has_pinned = true;
}

// ===========================================================================
// FOLL_LONGTERM: migration of unpinnable pages.

/**
 * check_and_migrate_cma_pages(tsk, mm, start, nr_pages, pages, vmas, gup_flags) — 5.4.1
 * (5.5-rc5 and 5.6.4 identical in effect). Isolate every head page in a CMA pageblock
 * (hugetlb or LRU; isolation failure: left in place silently), drop ALL references
 * this call took (put_page), migrate the isolated pages off CMA; if migration failed,
 * stop migrating (migrate_allow = false) and put the rest back; then re-run the
 * whole GUP and, while migration keeps succeeding, check again. Returns the re-GUP
 * count: success even if pages stayed in CMA.
 * 5.4.1 stores the re-GUP result back into its `unsigned long nr_pages`: a -errno (a
 * fatal signal, a failed fault) is then a huge count, passes the `> 0` test and the
 * check loop walks pages[] again up to that bound: entries whose references were already
 * dropped, then memory past the array, an oops (recorded as a kernel bug; the model then
 * returns the errno as 5.5-rc5 does, which keeps the result in a signed `long ret`).
 */
function* check_and_migrate_cma_pages(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array, vmas: vma_array | null, gup_flags: number,
): KThread<number> {
  const m = k.m;
  let migrate_allow = true;
  for (;;) {
    // check_again:
    const isolated: number[] = [];
    for (let i = 0; i < nr_pages;) {
      const p = pages[i] as number;
      const head = compound_head(m, p);
      const step = folio_nr_pages(m, head) - (p - head);
      if (is_migrate_cma_page(m, head) && !isolated.includes(head)) {
        if (isolate_for_migration(k, head)) isolated.push(head);
      }
      i += step;
    }
    if (isolated.length === 0) return nr_pages;
    // Drop the references this call took: put_page() (5.4-5.9, also for the FOLL_PIN pins of 5.7-5.9,
    // which leaves GUP_PIN_COUNTING_BIAS - 1 references behind); 5.10.7 unpin_user_pages() for FOLL_PIN.
    // PATCH(gup-longterm-unpin) 96e1fac162cc: unpin_user_pages() for a FOLL_PIN call
    const drop = k.patch('gup-longterm-unpin') && gup_flags & FOLL_PIN ? FOLL_PIN : FOLL_GET;
    for (let i = 0; i < nr_pages; i++) gup_put_folio(k, pages[i] as number, 1, drop, 'mm/gup.c:check_and_migrate_cma_pages');
    const failed = yield* migrate_isolated_pages(k, isolated, 'non-cma');
    if (failed) {
      migrate_allow = false;
      putback_isolated_pages(k, isolated);
    }
    const r = yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, null, gup_flags);
    // PATCH(hotplug-no-holes) c5e79ef561b0: STAND-IN: the signed re-GUP result of 5.5 (zhong jiang, "mm: Unsigned
    // 'nr_pages' always larger than zero", 2019; mainline id not identified, see the fold) is folded into this v5.5 entry
    if (r < 0 && migrate_allow && !k.patch('hotplug-no-holes')) {
      BUG_ON(k, true, 'mm/gup.c:check_and_migrate_cma_pages', `the re-GUP failed (${errname(r)}) into the unsigned nr_pages: the check loop walks pages[] (references already dropped) up to ${BigInt.asUintN(64, BigInt(r))}, past the array: oops`, 'refcount');
    }
    nr_pages = r;
    if (r > 0 && migrate_allow) continue;
    return r;
  }
}

/**
 * collect_longterm_unpinnable_pages(movable_page_list, nr_pages, pages) — Debian 6.1.192
 * / 6.12.117: isolate into `list` each folio that may not stay pinned; returns how many
 * folios were found unpinnable (the kernel's collected count). A plain function (it
 * never sleeps), as in the kernel, so the per-page loop runs outside the generator.
 */
function collect_longterm_unpinnable_pages(k: Kctx, nr_pages: number, pages: page_array, list: number[]): number {
  const m = k.m;
  let collected = 0;
  let prev = -1;
  // MODEL: is_longterm_pinnable_page() inlined with its profile tests read once and the
  // last region found reused (regions are fixed and disjoint); same answer per page.
  const cma_on = IS_ENABLED(k, 'CONFIG_CMA');
  const movable = gcfg(k).movable;
  let r: mem_region | null = null;
  // MODEL: the pfn range of the previous folio is kept, so a page inside it is skipped
  // without a mem_map lookup (the kernel compares page_folio() with the previous folio:
  // the same test).
  let lo = 0;
  let hi = 0;
  const mem = m.mem;
  for (let i = 0; i < nr_pages; i++) {
    const p = pages[i] as number;
    if (p >= lo && p < hi) continue;
    // A read: peek_slot (isolate_for_migration() journals the folios it changes).
    const sl = mem.peek_slot(p);
    const head = sl === 0 ? p : mem.s_pfn[sl];
    lo = head;
    hi = sl === 0 ? p + 1 : head + (1 << mem.s_order[sl]);
    if (head === prev) continue;
    prev = head;
    if (r === null || head < r.start_pfn || head >= r.end_pfn) r = m.mem.region_of(head);
    let pinnable: boolean;
    if (cma_on && r !== null && r.cma) pinnable = false;
    // PATCH(gup-migrate-movable-zone)
    else if (!movable) pinnable = true;
    else pinnable = !(r !== null && r.zone === ZONE_MOVABLE) || is_zero_page(m, head);
    if (pinnable) continue;
    collected++;
    if (list.includes(head)) continue;
    if (isolate_for_migration(k, head)) list.push(head);
  }
  return collected;
}

/**
 * check_and_migrate_movable_pages(nr_pages, pages) — Debian 6.1.192
 * (collect_longterm_unpinnable_pages + migrate_longterm_unpinnable_pages) and 6.12.117
 * (the same over pages_or_folios). Returns 0 (all pinnable: keep the pins), -EAGAIN
 * (pins dropped, pages migrated or left for another try: the caller re-runs GUP) or
 * -ENOMEM (migration failed: everything unpinned; PATCH(gup-migration-failure-error)).
 * A folio that cannot be isolated is unpinned and not migrated; the retry will find
 * it again (the kernel then loops until isolation succeeds).
 */
/** MODEL: check_and_migrate_movable_pages() without PATCH(gup-migration-failure-error): migration failed, pin in place. */
const MIGRATION_FAILED_PIN_IN_PLACE = 1;

function* check_and_migrate_movable_pages(k: Kctx, nr_pages: number, pages: page_array): KThread<number> {
  const list: number[] = [];
  const collected = collect_longterm_unpinnable_pages(k, nr_pages, pages, list);
  // PATCH(gup-migration-isolation-errors): 6e7f34ebb8d2 keeps going when an unpinnable folio was
  // found even if none could be isolated (the retry finds it again); before it (5.4-5.11) only a
  // non-empty isolated list did, so a folio that failed isolation stayed pinned where it was.
  if (k.patch('gup-migration-isolation-errors') ? !collected : list.length === 0) return 0;
  // migrate_longterm_unpinnable_pages(): drop every pin of this call.
  // PATCH(gup-longterm-unpin): 96e1fac162cc made this an unpin (5.10; 6.1.192/6.12.117 call
  // unpin_user_page() here); before it the migration path dropped FOLL_PIN pins with
  // put_page(), one reference of the GUP_PIN_COUNTING_BIAS taken (§7 bug 4).
  const unpin = k.patch('gup-longterm-unpin');
  for (let i = 0; i < nr_pages; i++) {
    const p = pages[i];
    if (p === null || p === undefined) continue;
    gup_put_folio(k, p, 1, unpin ? FOLL_PIN : FOLL_GET, 'mm/gup.c:migrate_longterm_unpinnable_pages');
    pages[i] = null;
  }
  if (list.length > 0) {
    const failed = yield* migrate_isolated_pages(k, list, 'longterm-pin');
    if (failed) {
      putback_isolated_pages(k, list);
      // PATCH(gup-migration-failure-error): f0f4463837da made a failed migration an error; before
      // it (5.4-5.11 check_and_migrate_cma_pages: migrate_allow = false) the caller took the pins
      // again where the pages were and reported success.
      return k.patch('gup-migration-failure-error') ? -ENOMEM : MIGRATION_FAILED_PIN_IN_PLACE;
    }
  }
  putback_isolated_pages(k, list);
  return -EAGAIN;
}

// ===========================================================================
// __gup_longterm_locked.

/** __gup_longterm_locked — dispatcher over the 5.4, 6.1 and 6.12 bodies. */
export function* __gup_longterm_locked(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, locked: int_ptr | null, gup_flags: number,
): KThread<number> {
  // PATCH(gup-unlockable) f04740f54594: dispatch: the 6.3+ __gup_longterm_locked() body
  if (k.patch('gup-unlockable')) return yield* __gup_longterm_locked__v6_3(k, mm, start, nr_pages, pages, locked, gup_flags);
  // PATCH(gup-longterm-locked) 53b2d09bdd12: dispatch: the 6.2 body, which takes the caller's `locked`
  if (k.patch('gup-longterm-locked')) return yield* __gup_longterm_locked__v6_2(k, mm, start, nr_pages, pages, vmas, locked, gup_flags);
  // PATCH(gup-dax-check-in-vma-flags) 52650c8b466b: dispatch: the 5.11+ body (no vmas array, fs-DAX refused in check_vma_flags)
  if (k.patch('gup-dax-check-in-vma-flags')) return yield* __gup_longterm_locked__v5_11(k, mm, start, nr_pages, pages, vmas, gup_flags);
  return yield* __gup_longterm_locked__v5_4(k, mm, start, nr_pages, pages, vmas, locked, gup_flags);
}

/**
 * check_dax_vmas(vmas, nr_pages) — 5.4–5.6 (CONFIG_FS_DAX || CONFIG_CMA): any returned
 * VMA (skipping repeats) that is fs-DAX. A NULL entry is a NULL pointer dereference in
 * vma_is_fsdax() (recorded as a kernel bug; the model then goes on as if not DAX); a
 * freed VMA is a use-after-free (event `stale-vma-use`).
 */
function check_dax_vmas(k: Kctx, vmas: vma_array, nr_pages: number): boolean {
  if (!IS_ENABLED(k, 'CONFIG_FS_DAX')) return false;
  let prev: vm_area_struct | null | undefined;
  for (let i = 0; i < nr_pages; i++) {
    const vma = vmas[i];
    if (vma === prev) continue;
    prev = vma;
    if (vma === null || vma === undefined) {
      BUG_ON(k, true, 'mm/gup.c:check_dax_vmas', `NULL pointer dereference: vmas[${i}] was never filled (vma_is_fsdax(NULL))`);
      continue;
    }
    note_vma_use(k, vma);
    if (vma_is_fsdax(vma)) return true;
  }
  return false;
}

/**
 * 5.4.1 / 5.5-rc5 / 5.6.4 __gup_longterm_locked(tsk, mm, start, nr_pages, pages, vmas, gup_flags).
 * FOLL_LONGTERM: pages required (-EINVAL); a temporary zeroed vmas array if the caller
 * gave none; the no-CMA allocation scope around the GUP only (left before the
 * checks); __get_user_pages_locked with locked = NULL; then the post-hoc,
 * all-or-nothing check_dax_vmas (put every page, -EOPNOTSUPP) and CMA migration.
 * PATCH(hypo-longterm-honours-locked): the hypothetical passes the caller's `locked`
 * down instead of NULL, so the GUP may drop and re-take mmap_sem in the middle.
 */
/** KMALLOC_MAX_SIZE on x86-64 with SLUB: 1 << (MAX_ORDER - 1 + PAGE_SHIFT) = 4 MiB. */
const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;

function* __gup_longterm_locked__v5_4(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, locked: int_ptr | null, gup_flags: number,
): KThread<number> {
  if (!IS_ENABLED(k, 'CONFIG_FS_DAX') && !IS_ENABLED(k, 'CONFIG_CMA')) {
    return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, null, gup_flags);
  }
  let vmas_tmp = vmas;
  let flags = 0;
  if (gup_flags & FOLL_LONGTERM) {
    if (!pages) return -EINVAL;
    if (!vmas_tmp) {
      // kcalloc(nr_pages, sizeof(struct vm_area_struct *)): NULL → -ENOMEM. Beyond
      // KMALLOC_MAX_SIZE (4 MiB: an order ≥ MAX_ORDER page request) __alloc_pages_nodemask
      // WARNs once and fails; below it the allocation can fail by fault injection.
      // nr_pages is unsigned long: a negative one is huge, and kcalloc's overflow check fails it silently.
      if (!(nr_pages >= 0)) return -ENOMEM;
      if (WARN_ON_ONCE(k, nr_pages * 8 > KMALLOC_MAX_SIZE, 'mm/page_alloc.c:__alloc_pages_nodemask', `order >= MAX_ORDER (kcalloc of ${nr_pages} vma pointers)`)) return -ENOMEM;
      if (should_fail(k, 'mm/gup.c:__gup_longterm_locked:kcalloc')) return -ENOMEM;
      vmas_tmp = new Array<vm_area_struct | null>(nr_pages).fill(null);
    }
    flags = memalloc_nocma_save(k);
  }
  // PATCH(hypo-longterm-honours-locked): the refusal c4237f8b1f4f kept is what this removes.
  const pass_locked = k.patch('hypo-longterm-honours-locked') && gup_flags & FOLL_LONGTERM ? locked : null;
  let rc = yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas_tmp, pass_locked, gup_flags);
  if (gup_flags & FOLL_LONGTERM) {
    // 5.4-5.8 leave the no-CMA scope before the migration step; from 5.9.1 it ends at `out:`, after it, so
    // the migration targets and the re-GUP are allocated inside it.
    // PATCH(gup-cma-alloc-scope) 41b4dc14ee80: the scope covers the migration step
    const late_restore = k.patch('gup-cma-alloc-scope');
    if (!late_restore) memalloc_nocma_restore(k, flags);
    if (rc >= 0 && check_dax_vmas(k, vmas_tmp as vma_array, rc)) {
      // 5.7-5.9 drop FOLL_PIN pins with put_page() here too.
      // PATCH(gup-longterm-unpin) 96e1fac162cc: unpin_user_pages() for a FOLL_PIN call
      const drop = k.patch('gup-longterm-unpin') || !(gup_flags & FOLL_PIN) ? gup_flags : gup_flags & ~FOLL_PIN;
      release_pages_taken(k, pages as page_array, rc, drop, 'mm/gup.c:__gup_longterm_locked');
      rc = -EOPNOTSUPP;
    } else if (rc >= 0 && IS_ENABLED(k, 'CONFIG_CMA')) {
      rc = yield* check_and_migrate_cma_pages(k, mm, start, rc, pages as page_array, vmas_tmp, gup_flags);
    }
    if (late_restore) memalloc_nocma_restore(k, flags);
  }
  return rc;
}

/**
 * Debian 6.1.192 __gup_longterm_locked(mm, start, nr_pages, pages, vmas, gup_flags).
 * Not FOLL_LONGTERM: plain __get_user_pages_locked(locked = NULL). FOLL_LONGTERM
 * without FOLL_PIN: WARN, -EINVAL. Else, inside memalloc_pin_save(): GUP, then
 * check_and_migrate_movable_pages(); repeat while it says -EAGAIN.
 */
function* __gup_longterm_locked__v5_11(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, gup_flags: number,
): KThread<number> {
  if (!(gup_flags & FOLL_LONGTERM)) return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, null, gup_flags);
  if (WARN_ON(k, !(gup_flags & FOLL_PIN), 'mm/gup.c:__gup_longterm_locked', 'FOLL_LONGTERM without FOLL_PIN')) return -EINVAL;
  return yield* longterm_pin_migrate_loop(k, mm, start, nr_pages, pages, vmas, null, gup_flags, null);
}

/**
 * 6.2.12 __gup_longterm_locked(mm, start, nr_pages, pages, vmas, locked, gup_flags): the
 * 6.1 body with the caller's `locked` passed down. A `locked` already at 0 on entry is a
 * caller bug (WARN, -EINVAL). Not FOLL_LONGTERM: one __get_user_pages_locked() with
 * `locked`. FOLL_LONGTERM: as 6.1, but a GUP that dropped mmap_lock has it re-taken (not
 * killable) before the next migration retry, and a lock taken here is released again on
 * the way out, so the caller sees *locked == 0 as after any drop.
 */
function* __gup_longterm_locked__v6_2(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, locked: int_ptr | null, gup_flags: number,
): KThread<number> {
  const site = 'mm/gup.c:__gup_longterm_locked';
  if (locked && WARN_ON_ONCE(k, !locked.v, `${site}:locked`, '*locked == 0 on entry')) return -EINVAL;
  if (!(gup_flags & FOLL_LONGTERM)) return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags);
  if (WARN_ON(k, !(gup_flags & FOLL_PIN), site, 'FOLL_LONGTERM without FOLL_PIN')) return -EINVAL;
  let must_unlock = false;
  const rc = yield* longterm_pin_migrate_loop(k, mm, start, nr_pages, pages, vmas, locked, gup_flags, function* () {
    if (locked && !locked.v) {
      yield* down_read(k, mm.mmap_lock, site);
      must_unlock = true;
      locked.v = 1;
    }
  });
  if (locked && locked.v && must_unlock) {
    up_read(k, mm.mmap_lock, site);
    locked.v = 0;
  }
  return rc;
}

/**
 * The FOLL_LONGTERM loop the 5.11+ bodies share: inside the pin allocation scope, GUP
 * (after `relock`, which the 6.2 body uses to re-take a dropped lock), then
 * check_and_migrate_movable_pages(); again while that says -EAGAIN. Returns the count
 * pinned or the error.
 */
function* longterm_pin_migrate_loop(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  vmas: vma_array | null, locked: int_ptr | null, gup_flags: number, relock: (() => KThread<void>) | null,
): KThread<number> {
  // PATCH(memalloc-pin) 1a08ae36cf8b: the scope is memalloc_pin_save() from 5.13 (5.11.14, 5.12.9: memalloc_nocma_save())
  const pin_scope = k.patch('memalloc-pin');
  const flags = pin_scope ? memalloc_pin_save(k) : memalloc_nocma_save(k);
  let rc: number;
  let nr_pinned: number;
  do {
    if (relock !== null) yield* relock();
    nr_pinned = yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags);
    if (nr_pinned <= 0) {
      rc = nr_pinned;
      break;
    }
    rc = yield* check_and_migrate_movable_pages(k, nr_pinned, pages as page_array);
    if (rc === MIGRATION_FAILED_PIN_IN_PLACE) {
      // Without PATCH(gup-migration-failure-error): GUP once more, no further migration.
      nr_pinned = yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags);
      rc = nr_pinned <= 0 ? nr_pinned : 0;
    }
  } while (rc === -EAGAIN);
  if (pin_scope) memalloc_pin_restore(k, flags);
  else memalloc_nocma_restore(k, flags);
  return rc ? rc : nr_pinned;
}

/**
 * Debian 6.12.117 __gup_longterm_locked(mm, start, nr_pages, pages, locked, gup_flags):
 * as 6.1 but with `locked` passed through (FOLL_LONGTERM may use a droppable lock) and
 * no FOLL_PIN assertion (is_valid_gup_args() already guaranteed it).
 */
function* __gup_longterm_locked__v6_3(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null,
  locked: int_ptr | null, gup_flags: number,
): KThread<number> {
  if (!(gup_flags & FOLL_LONGTERM)) return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, null, locked, gup_flags);
  return yield* longterm_pin_migrate_loop(k, mm, start, nr_pages, pages, null, locked, gup_flags, null);
}

// ===========================================================================
// Argument validation.

/** is_valid_gup_flags(gup_flags) — 6.1 (PATCH(gup-no-longterm-for-get), 447f3e45c18a). */
function is_valid_gup_flags(k: Kctx, gup_flags: number): boolean {
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_PIN) !== 0, 'mm/gup.c:is_valid_gup_flags:pin', 'FOLL_PIN from a get_user_pages caller')) {
    gup_args_invalid(k, 'mm/gup.c:is_valid_gup_flags', 'FOLL_PIN passed to a get_user_pages*() entry point (pins go through pin_user_pages*())');
    return false;
  }
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_LONGTERM) !== 0, 'mm/gup.c:is_valid_gup_flags:longterm', 'FOLL_LONGTERM from a get_user_pages caller')) {
    gup_args_invalid(k, 'mm/gup.c:is_valid_gup_flags', 'FOLL_LONGTERM passed to a get_user_pages*() entry point (long-term users must pin: 447f3e45c18a)');
    return false;
  }
  return true;
}

/**
 * is_valid_gup_args(pages, locked, &gup_flags, to_set) — 6.12 (PATCH(gup-unlockable)).
 * Returns the flags to use, or null on failure (each failure WARNs once).
 */
export function is_valid_gup_args(k: Kctx, pages: page_array | null, locked: int_ptr | null, gup_flags: number, to_set: number): number | null {
  const site = 'mm/gup.c:is_valid_gup_args';
  const internal = gup_flags & INTERNAL_GUP_FLAGS;
  if (internal !== 0 && WARN_ON_ONCE(k, true, `${site}:internal`, `internal flag from caller: ${foll_names(internal)}`)) return gup_args_invalid(k, site, `internal flag from caller: ${foll_names(internal)}`);
  gup_flags |= to_set;
  if (locked) {
    if (WARN_ON_ONCE(k, locked.v !== 1, `${site}:locked`, '*locked != 1')) return gup_args_invalid(k, site, '*locked != 1');
    gup_flags |= FOLL_UNLOCKABLE;
  }
  if (WARN_ON_ONCE(k, (gup_flags & (FOLL_PIN | FOLL_GET)) === (FOLL_PIN | FOLL_GET), `${site}:get-pin`, 'FOLL_GET|FOLL_PIN')) return gup_args_invalid(k, site, 'FOLL_GET|FOLL_PIN');
  if (WARN_ON_ONCE(k, !(gup_flags & FOLL_PIN) && (gup_flags & FOLL_LONGTERM) !== 0, `${site}:longterm`, 'FOLL_LONGTERM without FOLL_PIN')) return gup_args_invalid(k, site, 'FOLL_LONGTERM without FOLL_PIN');
  if (WARN_ON_ONCE(k, (gup_flags & (FOLL_GET | FOLL_PIN)) !== 0 && !pages, `${site}:pages`, 'pages == NULL')) return gup_args_invalid(k, site, 'pages == NULL');
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_LONGTERM) !== 0 && (gup_flags & FOLL_PCI_P2PDMA) !== 0, `${site}:p2pdma`, 'FOLL_LONGTERM|FOLL_PCI_P2PDMA')) return gup_args_invalid(k, site, 'FOLL_LONGTERM|FOLL_PCI_P2PDMA');
  return gup_flags;
}

/** A GUP argument check failed (it WARNed): the caller returns -EINVAL; record why. Returns null. */
function gup_args_invalid(k: Kctx, fn: string, why: string): null {
  errno_reason(k, -EINVAL, fn, why);
  return null;
}

/** The current task's mm (GUP on current->mm). A kernel thread has none: the kernel would oops. */
function current_mm(k: Kctx, site: string): mm_struct | null {
  const mm = get_current(k).mm;
  if (mm === null) BUG_ON(k, true, site, 'current->mm is NULL (kernel thread)');
  return mm;
}

function no_vmas_in_6_12(k: Kctx, vmas: vma_array | null, site: string): boolean {
  // PATCH(gup-remove-vmas) b2cac248191b: the vmas argument is gone from the GUP entry points (the v6.5 series this commit ends)
  if (vmas !== null && k.patch('gup-remove-vmas')) {
    unsupported(k, site, 'the vmas argument does not exist in this release (removed in 6.5)');
    return true;
  }
  return false;
}

function strip_unknown(k: Kctx, gup_flags: number): number {
  return gup_flags & ~foll_unknown_bits(k, gup_flags);
}

// ===========================================================================
// Entry points.

/**
 * get_user_pages(start, nr_pages, gup_flags, pages, vmas) — caller holds current's mmap_lock.
 * 5.4: __gup_longterm_locked(current->mm, flags | FOLL_TOUCH) (FOLL_LONGTERM allowed).
 * 5.6: + FOLL_PIN → WARN, -EINVAL (PATCH(pin-user-pages-api)).
 * 6.1: is_valid_gup_flags(): FOLL_PIN or FOLL_LONGTERM → WARN, -EINVAL.
 * 6.12: is_valid_gup_args(to_set = FOLL_TOUCH) → -EINVAL; __get_user_pages_locked(locked = 1).
 */
export function* get_user_pages(k: Kctx, start: number, nr_pages: number, gup_flags: number, pages: page_array | null, vmas: vma_array | null = null): KThread<number> {
  const site = 'mm/gup.c:get_user_pages';
  gup_flags = strip_unknown(k, gup_flags);
  if (no_vmas_in_6_12(k, vmas, site)) return -EINVAL;
  const mm = current_mm(k, site);
  if (mm === null) return -EFAULT;
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(), locked = 1
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, null, gup_flags, FOLL_TOUCH);
    if (f === null) return -EINVAL;
    return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, null, { v: 1 }, f);
  }
  // PATCH(gup-no-longterm-for-get) 447f3e45c18a: is_valid_gup_flags(): PIN or LONGTERM → -EINVAL
  if (k.patch('gup-no-longterm-for-get')) {
    if (!is_valid_gup_flags(k, gup_flags)) return -EINVAL;
  } else if (k.patch('pin-user-pages-api') && WARN_ON_ONCE(k, (gup_flags & FOLL_PIN) !== 0, site, 'FOLL_PIN from get_user_pages')) { // PATCH(pin-user-pages-api) eddb1c228f79: FOLL_PIN from get_user_pages() → WARN, -EINVAL
    return -EINVAL;
  }
  return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, vmas, null, gup_flags | FOLL_TOUCH);
}

/**
 * __get_user_pages_remote (6.1; the body of get_user_pages_remote in 5.6): FOLL_LONGTERM
 * with locked != NULL → WARN, -EINVAL; FOLL_LONGTERM → __gup_longterm_locked(flags |
 * FOLL_TOUCH | FOLL_REMOTE); else __get_user_pages_locked(locked, same flags).
 * PATCH(gup-remote-longterm), c4237f8b1f4f. PATCH(hypo-longterm-honours-locked) drops the
 * locked refusal.
 */
function* __get_user_pages_remote(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, gup_flags: number,
  pages: page_array | null, vmas: vma_array | null, locked: int_ptr | null,
): KThread<number> {
  if (gup_flags & FOLL_LONGTERM) {
    // PATCH(hypo-longterm-honours-locked): the ablation lets locked through.
    if (!k.patch('hypo-longterm-honours-locked')) {
      if (WARN_ON_ONCE(k, locked !== null, 'mm/gup.c:get_user_pages_remote:locked', 'FOLL_LONGTERM with locked')) {
        return errno_reason(k, -EINVAL, 'mm/gup.c:__get_user_pages_remote', 'FOLL_LONGTERM with a non-NULL locked: a long-term pin must not drop mmap_lock (c4237f8b1f4f)');
      }
    }
    return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags | FOLL_TOUCH | FOLL_REMOTE);
  }
  return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags | FOLL_TOUCH | FOLL_REMOTE);
}

/**
 * get_user_pages_remote(tsk, mm, start, nr_pages, gup_flags, pages, vmas, locked).
 * Caller holds mm's mmap_lock for read (for write only with locked == NULL).
 * 5.4/5.5: FOLL_LONGTERM → WARN_ON_ONCE, -EINVAL, whatever `locked`.
 * 5.6 (PATCH(gup-remote-longterm)): FOLL_PIN → WARN -EINVAL; FOLL_LONGTERM allowed iff locked == NULL.
 * 6.1: is_valid_gup_flags() first (PIN or LONGTERM → -EINVAL).
 * 6.12: is_valid_gup_args(to_set = TOUCH|REMOTE) → -EINVAL; locked NULL → a local 1.
 */
export function* get_user_pages_remote(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, gup_flags: number,
  pages: page_array | null, vmas: vma_array | null = null, locked: int_ptr | null = null,
): KThread<number> {
  const site = 'mm/gup.c:get_user_pages_remote';
  gup_flags = strip_unknown(k, gup_flags);
  if (no_vmas_in_6_12(k, vmas, site)) return -EINVAL;
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(), locked may be dropped
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, locked, gup_flags, FOLL_TOUCH | FOLL_REMOTE);
    if (f === null) return -EINVAL;
    return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, null, locked ?? { v: 1 }, f);
  }
  // PATCH(gup-no-longterm-for-get) 447f3e45c18a: is_valid_gup_flags() before __get_user_pages_remote()
  if (k.patch('gup-no-longterm-for-get')) {
    if (!is_valid_gup_flags(k, gup_flags)) return -EINVAL;
    // PATCH(gup-longterm-locked) 53b2d09bdd12: __gup_longterm_locked() with `locked`
    if (k.patch('gup-longterm-locked')) return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags | FOLL_TOUCH | FOLL_REMOTE);
    return yield* __get_user_pages_remote(k, mm, start, nr_pages, gup_flags, pages, vmas, locked);
  }
  // PATCH(pin-user-pages-api) eddb1c228f79: FOLL_PIN from get_user_pages_remote() → WARN, -EINVAL
  if (k.patch('pin-user-pages-api') && WARN_ON_ONCE(k, (gup_flags & FOLL_PIN) !== 0, `${site}:pin`, 'FOLL_PIN from get_user_pages_remote')) return -EINVAL;
  // PATCH(gup-remote-longterm)
  if (k.patch('gup-remote-longterm')) return yield* __get_user_pages_remote(k, mm, start, nr_pages, gup_flags, pages, vmas, locked);
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_LONGTERM) !== 0, `${site}:longterm`, 'FOLL_LONGTERM')) {
    return errno_reason(k, -EINVAL, site, 'FOLL_LONGTERM is refused by get_user_pages_remote() in this release (it takes it from c4237f8b1f4f, v5.6)');
  }
  return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags | FOLL_TOUCH | FOLL_REMOTE);
}

/**
 * get_user_pages_locked(start, nr_pages, gup_flags, pages, locked) — 5.4–5.15.
 * FOLL_LONGTERM → WARN, -EINVAL; else __get_user_pages_locked(current->mm, locked, | FOLL_TOUCH).
 * Removed in 5.18 (73fd16d8080f): absent on profiles with PATCH(gup-no-get-user-pages-locked).
 */
export function* get_user_pages_locked(k: Kctx, start: number, nr_pages: number, gup_flags: number, pages: page_array | null, locked: int_ptr): KThread<number> {
  const site = 'mm/gup.c:get_user_pages_locked';
  // PATCH(gup-no-get-user-pages-locked) 73fd16d8080f: get_user_pages_locked() is gone (5.18)
  if (k.patch('gup-no-get-user-pages-locked')) return unsupported(k, site, 'get_user_pages_locked() does not exist in this release (removed in 5.18 by 73fd16d8080f)');
  gup_flags = strip_unknown(k, gup_flags);
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_LONGTERM) !== 0, site, 'FOLL_LONGTERM')) return -EINVAL;
  const mm = current_mm(k, site);
  if (mm === null) return -EFAULT;
  return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, null, locked, gup_flags | FOLL_TOUCH);
}

/**
 * get_user_pages_unlocked(start, nr_pages, pages, gup_flags) — takes current's
 * mmap_lock for read itself, with a droppable local `locked`.
 * 5.4–6.1: FOLL_LONGTERM → WARN, -EINVAL.
 * 6.12: is_valid_gup_args(to_set = TOUCH | UNLOCKABLE) → -EINVAL (LONGTERM needs PIN);
 * locked = 0 so __get_user_pages_locked takes the lock (killable).
 */
export function* get_user_pages_unlocked(k: Kctx, start: number, nr_pages: number, pages: page_array | null, gup_flags: number): KThread<number> {
  const site = 'mm/gup.c:get_user_pages_unlocked';
  gup_flags = strip_unknown(k, gup_flags);
  const mm = current_mm(k, site);
  if (mm === null) return -EFAULT;
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(TOUCH | UNLOCKABLE), locked = 0
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, null, gup_flags, FOLL_TOUCH | FOLL_UNLOCKABLE);
    if (f === null) return -EINVAL;
    return yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, null, { v: 0 }, f);
  }
  return yield* get_user_pages_unlocked_body(k, mm, start, nr_pages, pages, gup_flags);
}

/** The 5.4–6.2 get_user_pages_unlocked() bodies (also the tail of pin_user_pages_unlocked() there). */
function* get_user_pages_unlocked_body(k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null, gup_flags: number): KThread<number> {
  // PATCH(gup-longterm-locked) 53b2d09bdd12: the 6.2 body
  if (k.patch('gup-longterm-locked')) return yield* get_user_pages_unlocked__v6_2(k, mm, start, nr_pages, pages, gup_flags);
  return yield* get_user_pages_unlocked__v5_4(k, mm, start, nr_pages, pages, gup_flags);
}

/**
 * 6.2.12 get_user_pages_unlocked body: no FOLL_LONGTERM refusal; __gup_longterm_locked()
 * with a local, droppable `locked` and FOLL_TOUCH.
 */
function* get_user_pages_unlocked__v6_2(k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null, gup_flags: number): KThread<number> {
  const site = 'mm/gup.c:get_user_pages_unlocked';
  const locked = { v: 1 };
  yield* down_read(k, mm.mmap_lock, site);
  const ret = yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, null, locked, gup_flags | FOLL_TOUCH);
  if (locked.v) up_read(k, mm.mmap_lock, site);
  return ret;
}

/** 5.4–6.1 get_user_pages_unlocked body (also the tail of 6.1 pin_user_pages_unlocked). */
function* get_user_pages_unlocked__v5_4(k: Kctx, mm: mm_struct, start: number, nr_pages: number, pages: page_array | null, gup_flags: number): KThread<number> {
  const site = 'mm/gup.c:get_user_pages_unlocked';
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_LONGTERM) !== 0, site, 'FOLL_LONGTERM')) return -EINVAL;
  const locked = { v: 1 };
  yield* down_read(k, mm.mmap_lock, site);
  const ret = yield* __get_user_pages_locked(k, mm, start, nr_pages, pages, null, locked, gup_flags | FOLL_TOUCH);
  if (locked.v) up_read(k, mm.mmap_lock, site);
  return ret;
}

/** pin_* wrappers' common checks in 6.1 (FOLL_GET or !pages → WARN, -EINVAL). */
function pin_args_v6_1(k: Kctx, gup_flags: number, pages: page_array | null, site: string): boolean {
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_GET) !== 0, `${site}:get`, 'FOLL_GET passed to pin_user_pages*')) return false;
  if (WARN_ON_ONCE(k, !pages, `${site}:pages`, 'pages == NULL')) return false;
  return true;
}

function no_pin_api(k: Kctx, site: string): boolean {
  // PATCH(pin-user-pages-api) eddb1c228f79: pin_user_pages*() exist
  if (k.patch('pin-user-pages-api')) return false;
  unsupported(k, site, 'pin_user_pages*() do not exist in this release (added in 5.6 by eddb1c228f79)');
  return true;
}

/**
 * pin_user_pages(start, nr_pages, gup_flags, pages, vmas) — caller holds mmap_lock.
 * 5.6: get_user_pages() with the same flags (alias; no FOLL_PIN).
 * 6.1: FOLL_GET / !pages → WARN -EINVAL; __gup_longterm_locked(flags | FOLL_PIN).
 * 6.12: is_valid_gup_args(FOLL_PIN) → returns 0 on failure; locked = 1.
 */
export function* pin_user_pages(k: Kctx, start: number, nr_pages: number, gup_flags: number, pages: page_array | null, vmas: vma_array | null = null): KThread<number> {
  const site = 'mm/gup.c:pin_user_pages';
  if (no_pin_api(k, site)) return -EINVAL;
  // PATCH(foll-pin-counting) 3faa52c03f44: pin_user_pages() stops being an alias and ORs in FOLL_PIN
  if (!k.patch('foll-pin-counting')) return yield* get_user_pages(k, start, nr_pages, gup_flags, pages, vmas);
  gup_flags = strip_unknown(k, gup_flags);
  if (no_vmas_in_6_12(k, vmas, site)) return -EINVAL;
  const mm = current_mm(k, site);
  if (mm === null) return -EFAULT;
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(FOLL_PIN) → 0 on failure
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, null, gup_flags, FOLL_PIN);
    if (f === null) return 0;
    return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, null, { v: 1 }, f);
  }
  if (!pin_args_v6_1(k, gup_flags, pages, site)) return -EINVAL;
  return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, vmas, null, gup_flags | FOLL_PIN);
}

/**
 * pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages, vmas, locked).
 * 5.6: get_user_pages_remote() (alias). 6.1: FOLL_GET / !pages → -EINVAL, then
 * __get_user_pages_remote(flags | FOLL_PIN) (LONGTERM with locked → -EINVAL).
 * 6.12: is_valid_gup_args(PIN|TOUCH|REMOTE) → 0 on failure; __gup_longterm_locked with
 * `locked` (a droppable lock is fine with FOLL_LONGTERM now).
 */
export function* pin_user_pages_remote(
  k: Kctx, mm: mm_struct, start: number, nr_pages: number, gup_flags: number,
  pages: page_array | null, vmas: vma_array | null = null, locked: int_ptr | null = null,
): KThread<number> {
  const site = 'mm/gup.c:pin_user_pages_remote';
  if (no_pin_api(k, site)) return -EINVAL;
  // PATCH(foll-pin-counting) 3faa52c03f44: pin_user_pages_remote() stops being an alias and ORs in FOLL_PIN
  if (!k.patch('foll-pin-counting')) return yield* get_user_pages_remote(k, mm, start, nr_pages, gup_flags, pages, vmas, locked);
  gup_flags = strip_unknown(k, gup_flags);
  if (no_vmas_in_6_12(k, vmas, site)) return -EINVAL;
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(PIN|TOUCH|REMOTE), LONGTERM with a droppable lock allowed (first allowed in 6.2 by 53b2d09bdd12, gup-longterm-locked)
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, locked, gup_flags, FOLL_PIN | FOLL_TOUCH | FOLL_REMOTE);
    if (f === null) return 0;
    return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, null, locked ?? { v: 1 }, f);
  }
  if (!pin_args_v6_1(k, gup_flags, pages, site)) return -EINVAL;
  // PATCH(gup-longterm-locked) 53b2d09bdd12: straight to __gup_longterm_locked() with `locked`
  if (k.patch('gup-longterm-locked')) return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, vmas, locked, gup_flags | FOLL_PIN | FOLL_TOUCH | FOLL_REMOTE);
  return yield* __get_user_pages_remote(k, mm, start, nr_pages, gup_flags | FOLL_PIN, pages, vmas, locked);
}

/**
 * pin_user_pages_unlocked(start, nr_pages, pages, gup_flags) — 5.9+ (v6.1, v6.12).
 * 6.1: FOLL_GET / !pages → -EINVAL; get_user_pages_unlocked(flags | FOLL_PIN), so
 * FOLL_LONGTERM → WARN -EINVAL. 6.12: is_valid_gup_args(PIN|TOUCH|UNLOCKABLE) → 0;
 * __gup_longterm_locked with locked = 0 (takes the lock; LONGTERM allowed).
 */
export function* pin_user_pages_unlocked(k: Kctx, start: number, nr_pages: number, pages: page_array | null, gup_flags: number): KThread<number> {
  const site = 'mm/gup.c:pin_user_pages_unlocked';
  // PATCH(gup-fast-only) dadbb612f6e5: pin_user_pages_unlocked() exists from 5.8 (folded on the 5.8 gup-fast entry, own commit UNVERIFIED)
  if (!k.patch('gup-fast-only')) return unsupported(k, site, 'pin_user_pages_unlocked() does not exist in this release (5.8+)');
  gup_flags = strip_unknown(k, gup_flags);
  const mm = current_mm(k, site);
  if (mm === null) return -EFAULT;
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(PIN|TOUCH|UNLOCKABLE) → 0, locked = 0
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, null, gup_flags, FOLL_PIN | FOLL_TOUCH | FOLL_UNLOCKABLE);
    if (f === null) return 0;
    return yield* __gup_longterm_locked(k, mm, start, nr_pages, pages, null, { v: 0 }, f);
  }
  if (!pin_args_v6_1(k, gup_flags, pages, site)) return -EINVAL;
  return yield* get_user_pages_unlocked_body(k, mm, start, nr_pages, pages, gup_flags | FOLL_PIN);
}

// Re-exports for gup_fast.ts.
export { race_window, FOLL_FAST_ONLY, PAGE_SHIFT };

// ===========================================================================
// Population (mm_populate for MAP_POPULATE / mlock).

/**
 * populate_vma_page_range(vma, start, end, locked) — caller holds mmap_lock for read.
 * 5.4–5.6: FOLL_TOUCH|FOLL_POPULATE|FOLL_MLOCK (POPULATE dropped for VM_LOCKONFAULT);
 * 6.1/6.12: VM_LOCKONFAULT → nothing to do (return nr_pages), else FOLL_TOUCH.
 * Both: FOLL_WRITE for private writable mappings (break COW now), FOLL_FORCE for any
 * accessible mapping; __get_user_pages without pages (faults only).
 * MODEL: mlock of the pages (FOLL_MLOCK's effect) is not modelled.
 */
export function* populate_vma_page_range(k: Kctx, vma: vm_area_struct, start: number, end: number, locked: int_ptr | null): KThread<number> {
  const nr_pages = (end - start) / PAGE_SIZE;
  let gup_flags: number;
  // PATCH(gup-foll-mlock-removed) b67bf49ce7aa: FOLL_POPULATE/FOLL_MLOCK are gone; VM_LOCKONFAULT returns at once
  if (k.patch('gup-foll-mlock-removed')) {
    if (vma.vm_flags & VM_LOCKONFAULT) return nr_pages;
    gup_flags = FOLL_TOUCH;
  } else {
    gup_flags = FOLL_TOUCH | FOLL_POPULATE | FOLL_MLOCK;
    if (vma.vm_flags & VM_LOCKONFAULT) gup_flags &= ~FOLL_POPULATE;
  }
  if ((vma.vm_flags & (VM_WRITE | VM_SHARED)) === VM_WRITE) gup_flags |= FOLL_WRITE;
  if (vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) gup_flags |= FOLL_FORCE;
  // 6.12: FOLL_UNLOCKABLE when the caller's lock may be dropped (locked is never NULL there).
  // PATCH(gup-unlockable) f04740f54594: FOLL_UNLOCKABLE when the caller's lock may be dropped
  if (k.patch('gup-unlockable') && locked) gup_flags |= FOLL_UNLOCKABLE;
  return yield* __get_user_pages(k, vma.vm_mm, start, nr_pages, gup_flags, null, 0, null, 0, locked);
}

/**
 * __mm_populate(start, len, ignore_errors) — fault in [start, start+len) of current->mm,
 * VMA by VMA (skipping VM_IO|VM_PFNMAP), re-taking mmap_lock whenever a fault dropped
 * it. Returns 0 or a negative errno (errors skipped with ignore_errors).
 */
export function* __mm_populate(k: Kctx, start: number, len: number, ignore_errors: boolean): KThread<number> {
  const site = 'mm/gup.c:__mm_populate';
  const mm = current_mm(k, site);
  if (mm === null) return -EFAULT;
  const end = start + len;
  let vma: vm_area_struct | null = null;
  const locked = { v: 0 };
  let ret = 0;
  let nend: number;
  for (let nstart = start; nstart < end; nstart = nend) {
    if (!locked.v) {
      locked.v = 1;
      yield* down_read(k, mm.mmap_lock, site);
      vma = find_vma(mm, nstart);
    } else if (vma !== null && nstart >= vma.vm_end) {
      vma = find_vma(mm, vma.vm_end);
    }
    if (vma === null || vma.vm_start >= end) break;
    nend = Math.min(end, vma.vm_end);
    if (vma.vm_flags & (VM_IO | VM_PFNMAP)) continue;
    if (nstart < vma.vm_start) nstart = vma.vm_start;
    const r = yield* populate_vma_page_range(k, vma, nstart, nend, locked);
    if (r < 0) {
      if (ignore_errors) {
        ret = 0;
        continue;
      }
      ret = r;
      break;
    }
    nend = nstart + r * PAGE_SIZE;
    ret = 0;
  }
  if (locked.v) up_read(k, mm.mmap_lock, site);
  return ret;
}

/** mm_populate(addr, len) (include/linux/mm.h): __mm_populate(addr, len, 1). */
export function* mm_populate(k: Kctx, addr: number, len: number): KThread<void> {
  yield* __mm_populate(k, addr, len, true);
}

// ===========================================================================
// fixup_user_fault: fault one user address in on behalf of a kernel caller.

/**
 * vma_permits_fault(vma, fault_flags) — mm/gup.c (5.4.1, Debian 6.1.192, 6.12.117): the
 * VMA must allow the access the fault asks for (VM_WRITE for a write fault, VM_READ
 * otherwise). MODEL: x86 has no arch_vma_access_permitted() restriction (no pkeys).
 */
function vma_permits_fault(vma: vm_area_struct, fault_flags: number): boolean {
  const need = fault_flags & FAULT_FLAG_WRITE ? VM_WRITE : VM_READ;
  return (vma.vm_flags & need) !== 0;
}

/**
 * fixup_user_fault(mm, address, fault_flags, unlocked) — mm/gup.c, the body read in
 * Debian 6.1.192 and 6.12.117 (VFIO's follow_fault_pfn() calls it from 5.8 on, so the
 * model's only caller runs on the 6.x profiles).
 * Locking: caller holds mmap_lock for read. With `unlocked` the fault may drop it
 * (FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE): it is re-taken before returning and
 * `unlocked.v` becomes true, so the caller must look its VMA up again. A VM_FAULT_RETRY
 * re-looks the VMA up and faults again with FAULT_FLAG_TRIED; VM_FAULT_COMPLETED ends
 * at once. Without `unlocked` the lock is never dropped.
 * Returns 0, -EFAULT (no VMA, access not permitted), -EINTR (fatal signal before a
 * killable fault) or the errno of a VM_FAULT_ERROR.
 * 6.12 looks the VMA up with gup_vma_lookup() (stack expansion only with
 * CONFIG_STACK_GROWSUP, not on x86): the same as vma_lookup() here.
 * MODEL: 5.4.1's body (find_extend_vma, a single TRIED retry, tsk fault accounting) is
 * not modelled; an error without an errno is the kernel's BUG(), recorded, then -EFAULT.
 */
export function* fixup_user_fault(k: Kctx, mm: mm_struct, address: number, fault_flags: number, unlocked: { v: boolean } | null): KThread<number> {
  const site = 'mm/gup.c:fixup_user_fault';
  // PATCH(gup-retry-multiple): 4426e945df58 rewrote the retry of this function (any number of
  // VM_FAULT_RETRY rounds); the 5.4–5.6 single-retry body has no caller in the model's releases.
  if (!k.patch('gup-retry-multiple')) return unsupported(k, site, 'the 5.4–5.6 fixup_user_fault() body (single FAULT_FLAG_TRIED retry) is not modelled');
  if (unlocked) fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
  for (;;) {
    // retry:
    const vma = vma_lookup(mm, address);
    if (vma === null) return -EFAULT;
    if (!vma_permits_fault(vma, fault_flags)) return -EFAULT;
    if (fault_flags & FAULT_FLAG_KILLABLE && fatal_signal_pending(k)) return -EINTR;
    const ret = yield* handle_mm_fault(k, vma, address, fault_flags);
    if (ret & VM_FAULT_COMPLETED) {
      // The fault released mmap_lock: take it back for the caller.
      yield* down_read(k, mm.mmap_lock, site);
      if (unlocked) unlocked.v = true;
      return 0;
    }
    if (ret & VM_FAULT_ERROR) {
      const err = vm_fault_to_errno(ret, 0);
      if (err) return err;
      BUG_ON(k, true, site, `VM_FAULT_ERROR 0x${ret.toString(16)} without errno`);
      return -EFAULT;
    }
    if (ret & VM_FAULT_RETRY) {
      yield* down_read(k, mm.mmap_lock, site);
      if (unlocked) unlocked.v = true;
      fault_flags |= FAULT_FLAG_TRIED;
      continue;
    }
    return 0;
  }
}
