/**
 * mm/huge_memory.c (v5.4.1, Debian 6.1.192, Debian 6.12.117): anonymous
 * transparent huge pages mapped by a PMD — eligibility (transparent_hugepage
 * "enabled" = always / madvise / never, VM_HUGEPAGE / VM_NOHUGEPAGE, the aligned
 * 2 MiB range inside the VMA), do_huge_pmd_anonymous_page() (an order-9 folio, or
 * VM_FAULT_FALLBACK to 4 KiB pages when none can be allocated), the write-protect
 * fault on a PMD mapped once (reuse), and zap_huge_pmd().
 * __split_huge_pmd() turns a THP leaf into 512 PTEs of the same folio (each PTE
 * holds a folio reference, subpages keep the folio's PageAnonExclusive) — used by a
 * partial zap / mprotect, by COW of a THP that cannot be reused (then the fault is
 * retried on PTEs: PATCH(thp-cow-split), 3917c80280c9, v5.8; 5.4–5.6 copy the whole THP into
 * a new one, or into 512 new 4 KiB pages when no THP can be had — do_huge_pmd_wp_page__v5_4),
 * and by fork of a maybe-pinned THP
 * (PATCH(fork-split-pinned-thp) d042035eaf5f, v5.9; in 6.1 via
 * page_try_dup_anon_rmap): the child then gets 4 KiB copies. A DAX (devmap) leaf is
 * split by zapping it (the next fault maps PTEs): __split_huge_pmd_locked clears the PMD of
 * a non-anonymous VMA and returns for vma_is_dax (5.4.1) / vma_is_special_huge (6.1.192,
 * 6.12.117), which covers fs-DAX and device-DAX alike.
 * split_huge_page_to_list() (below) splits an isolated anonymous THP into order-0
 * folios, for migration: the fallback when no order-9 target can be allocated (5.4–6.12)
 * and 6.12's split of a partially mapped THP before migrating it (mm/gup_migrate.ts).
 * The huge zero page (5.4.1 huge_zero_page, 6.12.117 huge_zero_folio): with use_zero_page
 * (default on) a read fault on an empty THP-eligible PMD maps one shared, zero-filled
 * order-9 folio read-only (set_huge_zero_page), allocated on first use (get_huge_zero_page:
 * (GFP_TRANSHUGE | __GFP_ZERO) & ~__GFP_MOVABLE, so never in ZONE_MOVABLE or CMA) and
 * referenced per mm (MMF_HUGE_ZERO_PAGE; mm_get/mm_put_huge_zero_page, the put in __mmput),
 * not per mapping: a huge zero PMD holds no page reference and no rmap. GUP, though, takes
 * ordinary references and pins on it like on any large folio (is_zero_page/is_zero_folio
 * test only the 4 KiB zero page in every modelled release). A write fault on it:
 * 5.4–5.6 allocate a fresh zeroed THP for the whole PMD when the VMA still allows THP (else
 * split); PATCH(thp-cow-split) 3917c80280c9 (v5.8): split into 512 read-only PTEs of the
 * 4 KiB zero page (__split_huge_zero_page_pmd) and let the PTE fault copy one page.
 * MODEL: the huge zero page shrinker never runs (no memory pressure), so once allocated the
 * huge zero folio stays, with the shrinker's reference in huge_zero_refcount.
 * MODEL: a folio is split only by migration (no deferred split queue or shrinker: a partially
 * mapped THP is only flagged, PG_partially_mapped); khugepaged does not run; defrag
 * settings are not modelled (the allocation never compacts); THP is anonymous only.
 */
import type { Kctx } from '../kctx.js';
import { GFP_HIGHUSER_MOVABLE, GFP_TRANSHUGE, __GFP_MOVABLE, __GFP_ZERO } from '../include/linux/gfp.js';
import type { mm_struct, pmd_t, vm_area_struct } from '../include/linux/mm_types.js';
import {
  HPAGE_PMD_ORDER, PAGE_SIZE, PMD_SIZE, PTRS_PER_PTE, pte_mkold, pte_present, PG_anon_exclusive, PG_head, PG_lru, PG_mlocked, PG_partially_mapped, PG_uptodate, _PAGE_PSE, _PAGE_RW,
  _PAGE_SPECIAL, mk_pte, pte_mkyoung, pte_devmap, pte_flags, pte_mkdirty, pte_mkwrite, pte_pfn,
  pte_special, pte_write, pte_wrprotect,
} from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, VM_FAULT_WRITE, PageAnon, PageAnonExclusive, VM_FAULT_FALLBACK, VM_HUGEPAGE, VM_LOCKED, VM_NOHUGEPAGE, VM_WRITE,
  folio_mapcount, page_count, put_page, set_pmd_at, vma_is_anonymous, page_label, set_pte_at, page_ref_add, page_maybe_dma_pinned,
  folio_set_anon_exclusive_all, page_mapcount, page_content, set_folio_content, set_page_content, copy_page_content,
  VM_FAULT_SIGBUS, VM_FAULT_OOM, vma_is_dax,
} from '../include/linux/mm.js';
import { BUG_ON, unsupported } from '../include/linux/bug.js';
import { EAGAIN } from '../include/uapi/linux/errno.js';
import { alloc_pages } from './page_alloc.js';
import { anon_vma_prepare, page_add_anon_rmap, page_add_file_rmap, page_add_new_anon_rmap, page_move_anon_rmap, page_remove_rmap } from './rmap.js';
import { maybe_mkwrite, vma_page_prot } from './memory.js';

/** transhuge_vma_suitable() + hugepage_vma_check() for an anonymous fault at haddr. */
export function thp_vma_suitable(k: Kctx, vma: vm_area_struct, haddr: number): boolean {
  if (!vma_is_anonymous(vma)) return false;
  if (haddr < vma.vm_start || haddr + PMD_SIZE > vma.vm_end) return false;
  if (vma.vm_flags & VM_NOHUGEPAGE) return false;
  const mode = k.m.transparent_hugepage;
  return mode === 'always' || (mode === 'madvise' && (vma.vm_flags & VM_HUGEPAGE) !== 0);
}

/** MMF_HUGE_ZERO_PAGE (include/linux/sched/coredump.h, 23 in 5.4.1 .. 6.12.117): the mm holds a huge zero page reference. */
export const MMF_HUGE_ZERO_PAGE = 23;

/** is_huge_zero_page(page) (6.12: is_huge_zero_folio): the huge zero folio's head. */
export function is_huge_zero_page(k: Kctx, page: number): boolean {
  return page === k.m.mem.huge_zero_pfn;
}

/** is_huge_zero_pmd(pmd): a present PMD whose pfn is huge_zero_pfn. */
export function is_huge_zero_pmd(k: Kctx, pmd: pmd_t): boolean {
  return pmd !== 0 && pte_present(pmd) && pte_pfn(pmd) === k.m.mem.huge_zero_pfn;
}

/**
 * get_huge_zero_page() (5.4.1 .. 6.12.117): take a reference on the huge zero page,
 * allocating it the first time: refcount 2 then (the caller's and the shrinker's).
 * Returns false when no order-9 block could be allocated (THP_ZERO_PAGE_ALLOC_FAILED).
 */
function get_huge_zero_page(k: Kctx): boolean {
  const mem = k.m.mem;
  if (mem.huge_zero_refcount > 0) {
    mem.huge_zero_refcount++;
    return true;
  }
  const page = alloc_pages(k, (GFP_TRANSHUGE | __GFP_ZERO) & ~__GFP_MOVABLE, HPAGE_PMD_ORDER);
  if (page === null) return false;
  mem.s_flags[mem.slot_of(page)] |= PG_uptodate;
  mem.huge_zero_pfn = page;
  mem.huge_zero_refcount = 2;
  k.m.event(k.tid, 'huge-zero-alloc', [page_label(page)], 'mm/huge_memory.c:get_huge_zero_page');
  return true;
}

/** put_huge_zero_page(): only the shrinker may drop the last reference (BUG otherwise). */
function put_huge_zero_page(k: Kctx): void {
  const mem = k.m.mem;
  mem.huge_zero_refcount--;
  BUG_ON(k, mem.huge_zero_refcount === 0, 'mm/huge_memory.c:put_huge_zero_page', 'huge_zero_refcount dropped to 0 outside the shrinker', 'refcount');
}

/**
 * mm_get_huge_zero_page(mm) (6.12: mm_get_huge_zero_folio): the huge zero page, with a
 * reference for the mm taken once (MMF_HUGE_ZERO_PAGE); null if it cannot be allocated.
 */
export function mm_get_huge_zero_page(k: Kctx, mm: mm_struct): number | null {
  const bit = 2 ** MMF_HUGE_ZERO_PAGE;
  if (Math.floor(mm.flags / bit) % 2 === 1) return k.m.mem.huge_zero_pfn;
  if (!get_huge_zero_page(k)) return null;
  mm.flags += bit;
  return k.m.mem.huge_zero_pfn;
}

/** mm_put_huge_zero_page(mm) (6.12: mm_put_huge_zero_folio), from __mmput after exit_mmap. */
export function mm_put_huge_zero_page(k: Kctx, mm: mm_struct): void {
  const bit = 2 ** MMF_HUGE_ZERO_PAGE;
  if (Math.floor(mm.flags / bit) % 2 === 1) put_huge_zero_page(k);
}

/** set_huge_zero_page(): map the huge zero page read-only at haddr if the PMD is still empty. */
function set_huge_zero_page(k: Kctx, mm: mm_struct, vma: vm_area_struct, haddr: number, zero: number): void {
  if (mm.pgd.pmd.has(haddr / PMD_SIZE)) return;
  set_pmd_at(mm, haddr, mk_pte(zero, (vma_page_prot(vma) & ~_PAGE_RW) | _PAGE_PSE));
  k.m.event(k.tid, 'huge-zero-map', [page_label(zero), `vma:${vma.id}`], 'mm/huge_memory.c:set_huge_zero_page');
}

/**
 * do_huge_pmd_anonymous_page(vmf) at the PMD-aligned haddr (5.4.1 .. 6.12.117): a read
 * fault maps the huge zero page when use_zero_page is set (falling back to 4 KiB pages if
 * it cannot be allocated); otherwise an order-9 folio is allocated and mapped.
 */
export function do_huge_pmd_anonymous_page(k: Kctx, vma: vm_area_struct, haddr: number, flags: number): vm_fault_t {
  anon_vma_prepare(k, vma);
  if (!(flags & FAULT_FLAG_WRITE) && k.m.transparent_hugepage_use_zero_page) {
    const zero = mm_get_huge_zero_page(k, vma.vm_mm);
    if (zero === null) return VM_FAULT_FALLBACK;
    set_huge_zero_page(k, vma.vm_mm, vma, haddr, zero);
    return 0;
  }
  const page = alloc_pages(k, GFP_TRANSHUGE, 9);
  if (page === null) return VM_FAULT_FALLBACK;
  k.m.mem.s_flags[k.m.mem.slot_of(page)] |= PG_uptodate | PG_lru;
  let entry: pmd_t = mk_pte(page, vma_page_prot(vma) | _PAGE_PSE);
  if (vma.vm_flags & VM_WRITE) entry = pte_mkwrite(pte_mkdirty(entry));
  page_add_new_anon_rmap(k, page, vma, haddr, true);
  set_pmd_at(vma.vm_mm, haddr, entry);
  k.m.event(k.tid, 'thp', [page_label(page), `vma:${vma.id}`], 'mm/huge_memory.c:do_huge_pmd_anonymous_page');
  return 0;
}

/**
 * do_huge_pmd_wp_page(): a write (or unshare) fault on a read-only THP leaf. Two bodies:
 * 5.4.1 / 5.5-rc5 / 5.6.4, and the one PATCH(thp-cow-split) (3917c80280c9, v5.8) made,
 * as read in Debian 6.1.192 / 6.12.117.
 */
export function do_huge_pmd_wp_page(k: Kctx, vma: vm_area_struct, haddr: number, orig: pmd_t, flags: number): vm_fault_t {
  // PATCH(thp-cow-split) 3917c80280c9: dispatch: the split-and-retry do_huge_pmd_wp_page() body
  return k.patch('thp-cow-split') ? do_huge_pmd_wp_page__v5_8(k, vma, haddr, orig, flags) : do_huge_pmd_wp_page__v5_4(k, vma, haddr, orig, flags);
}

/** Copy the data tags of a whole order-9 folio (copy_user_huge_page). */
function copy_huge_content(k: Kctx, to: number, from: number): void {
  const m = k.m;
  set_folio_content(m, to, page_content(m, from));
  for (let i = 1; i < PTRS_PER_PTE; i++) {
    const c = page_content(m, from + i);
    if (c !== page_content(m, to + i)) set_page_content(m, to + i, c);
  }
}

/**
 * 5.4.1 / 5.5-rc5 / 5.6.4 do_huge_pmd_wp_page(vmf, orig_pmd):
 * - a huge zero PMD goes straight to the allocation (no old page);
 * - an anon THP mapped once (reuse_swap_page: no subpage mapped more than once; no swap
 *   cache in the model) is reused in place, made young, dirty and (VM_WRITE) writable;
 * - otherwise, when the VMA still allows THP (__transparent_hugepage_enabled), a new order-9
 *   folio is allocated, cleared (zero PMD) or copied, mapped writable and dirty, and the old
 *   folio loses this mapping;
 * - no THP: a zero PMD is split (the fault goes on at PTE level); a real THP goes through
 *   do_huge_pmd_wp_page_fallback(): 512 new 4 KiB pages, each a copy of its subpage, mapped
 *   writable by PTEs in place of the PMD (an allocation failure there: split, fall back).
 * Returns VM_FAULT_WRITE on a reuse or copy.
 * MODEL: no FAULT_FLAG_UNSHARE in these releases; an ablation that pairs this body with
 * unshare faults is reported unsupported.
 */
function do_huge_pmd_wp_page__v5_4(k: Kctx, vma: vm_area_struct, haddr: number, orig: pmd_t, flags: number): vm_fault_t {
  const m = k.m;
  const site = 'mm/huge_memory.c:do_huge_pmd_wp_page';
  if (flags & FAULT_FLAG_UNSHARE) {
    unsupported(k, site, 'an unshare fault against the 5.4-5.6 THP write-fault body (a profile without thp-cow-split but with unshare)');
    return VM_FAULT_SIGBUS;
  }
  const zero = is_huge_zero_pmd(k, orig);
  const page = zero ? null : pte_pfn(orig);
  if (page !== null && PageAnon(m, page) && folio_mapcount(m, page) <= 1) {
    set_pmd_at(vma.vm_mm, haddr, maybe_mkwrite(pte_mkdirty(pte_mkyoung(orig)), vma));
    return VM_FAULT_WRITE;
  }
  const np = thp_vma_suitable(k, vma, haddr) ? alloc_pages(k, GFP_TRANSHUGE, HPAGE_PMD_ORDER) : null;
  if (np === null) {
    if (page === null) {
      __split_huge_pmd(k, vma, haddr);
      return VM_FAULT_FALLBACK;
    }
    const ret = do_huge_pmd_wp_page_fallback(k, vma, haddr, page);
    if (ret & VM_FAULT_OOM) {
      __split_huge_pmd(k, vma, haddr);
      return ret | VM_FAULT_FALLBACK;
    }
    return ret;
  }
  if (page !== null) copy_huge_content(k, np, page);
  m.mem.s_flags[m.mem.slot_of(np)] |= PG_uptodate | PG_lru;
  const entry = maybe_mkwrite(pte_mkdirty(mk_pte(np, vma_page_prot(vma) | _PAGE_PSE)), vma);
  set_pmd_at(vma.vm_mm, haddr, 0);
  page_add_new_anon_rmap(k, np, vma, haddr, true);
  set_pmd_at(vma.vm_mm, haddr, entry);
  if (page !== null) {
    page_remove_rmap(k, page, vma, true);
    put_page(m, page);
  }
  m.event(k.tid, 'cow', [page_label(np), ...(page !== null ? [page_label(page)] : [page_label(pte_pfn(orig))]), `vma:${vma.id}`], site);
  return VM_FAULT_WRITE;
}

/**
 * do_huge_pmd_wp_page_fallback(vmf, orig_pmd, page) (5.4.1 .. 5.6.4): copy every subpage of
 * the shared THP into its own new 4 KiB page and map them all (writable, dirty) by PTEs;
 * VM_FAULT_OOM if one cannot be allocated (nothing changed then).
 */
function do_huge_pmd_wp_page_fallback(k: Kctx, vma: vm_area_struct, haddr: number, page: number): vm_fault_t {
  const m = k.m;
  const pages: number[] = [];
  for (let i = 0; i < PTRS_PER_PTE; i++) {
    const p = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
    if (p === null) {
      for (const q of pages) put_page(m, q);
      return VM_FAULT_OOM;
    }
    copy_page_content(m, p, page + i);
    m.mem.s_flags[m.mem.slot_of(p)] |= PG_uptodate | PG_lru;
    pages.push(p);
  }
  const mm = vma.vm_mm;
  set_pmd_at(mm, haddr, 0);
  for (let i = 0; i < PTRS_PER_PTE; i++) {
    page_add_new_anon_rmap(k, pages[i], vma, haddr + i * PAGE_SIZE, false);
    set_pte_at(mm, haddr + i * PAGE_SIZE, maybe_mkwrite(pte_mkdirty(mk_pte(pages[i], vma_page_prot(vma))), vma));
  }
  page_remove_rmap(k, page, vma, true);
  put_page(m, page);
  m.event(k.tid, 'cow', [page_label(pages[0]), page_label(page), `vma:${vma.id}`], 'mm/huge_memory.c:do_huge_pmd_wp_page_fallback');
  return VM_FAULT_WRITE;
}

/**
 * do_huge_pmd_wp_page() after PATCH(thp-cow-split) (Debian 6.1.192, 6.12.117): a huge zero
 * PMD is split (512 PTEs of the 4 KiB zero page) and the fault goes on at PTE level; an anon
 * THP is reused when mapped once (and, with PATCH(anon-exclusive), exclusive or referenced
 * only by the mapping); anything else is split and the fault retried on the PTEs.
 */
function do_huge_pmd_wp_page__v5_8(k: Kctx, vma: vm_area_struct, haddr: number, orig: pmd_t, flags: number): vm_fault_t {
  if (is_huge_zero_pmd(k, orig)) {
    __split_huge_pmd(k, vma, haddr);
    return VM_FAULT_FALLBACK;
  }
  const page = pte_pfn(orig);
  const m = k.m;
  const reuse = PageAnon(m, page) && folio_mapcount(m, page) === 1 &&
    // PATCH(anon-exclusive) 6c287605fd56: reuse needs an exclusive page or refcount 1
    (!k.patch('anon-exclusive') || PageAnonExclusive(m, page) || page_count(m, page) === 1);
  if (!reuse) {
    // Split and let the fault be retried on the PTEs (do_wp_page on the subpage copies it).
    __split_huge_pmd(k, vma, haddr);
    return VM_FAULT_FALLBACK;
  }
  page_move_anon_rmap(k, page, vma);
  if (flags & FAULT_FLAG_UNSHARE) return 0;
  if (vma.vm_flags & VM_WRITE && !pte_write(orig)) set_pmd_at(vma.vm_mm, haddr, pte_mkdirty(pte_mkwrite(orig)));
  return 0;
}

/**
 * __split_huge_pmd(vma, pmd, haddr): see the file header. Caller holds mmap_lock.
 */
export function __split_huge_pmd(k: Kctx, vma: vm_area_struct, haddr: number): void {
  const mm = vma.vm_mm;
  const entry = mm.pgd.pmd.get(haddr / PMD_SIZE);
  if (typeof entry !== 'number') return;
  set_pmd_at(mm, haddr, 0);
  if (pte_devmap(entry) || pte_special(entry)) return; // DAX: zapped, refaults as PTEs
  // A huge zero PMD in a DAX VMA (dax_pmd_load_hole) is zapped like any DAX leaf
  // (vma_is_special_huge, tested before is_huge_zero_pmd).
  if (!vma_is_anonymous(vma) && is_huge_zero_pmd(k, entry)) return;
  if (!vma_is_anonymous(vma) && vma_is_dax(vma)) {
    // A DAX folio leaf (fs-DAX and device-DAX from v6.15, 6.18.26 __split_huge_pmd_locked: the
    // non-anonymous branch zaps it): the folio loses the mapping and its reference.
    page_remove_rmap(k, pte_pfn(entry), vma, true);
    put_page(k.m, pte_pfn(entry));
    return;
  }
  if (is_huge_zero_pmd(k, entry)) {
    // __split_huge_zero_page_pmd(): 512 read-only special PTEs of the 4 KiB zero page.
    const zf = (vma_page_prot(vma) & ~_PAGE_RW) | _PAGE_SPECIAL;
    for (let i = 0; i < PTRS_PER_PTE; i++) set_pte_at(mm, haddr + i * PAGE_SIZE, mk_pte(k.m.mem.zero_pfn, zf));
    k.m.event(k.tid, 'split-pmd', [page_label(entry === 0 ? 0 : pte_pfn(entry)), `vma:${vma.id}`], 'mm/huge_memory.c:__split_huge_zero_page_pmd');
    return;
  }
  const page = pte_pfn(entry);
  const m = k.m;
  const s = m.mem.slot_of(page);
  const flags = pte_flags(entry) & ~_PAGE_PSE;
  m.mem.s_map[s] -= 1; // the entire mapping goes ...
  for (let i = 0; i < PTRS_PER_PTE; i++) {
    set_pte_at(mm, haddr + i * PAGE_SIZE, mk_pte(page + i, flags));
    if (PageAnon(m, page)) page_add_anon_rmap(k, page + i, vma, false); // ... and every subpage gets a PTE mapping
    else page_add_file_rmap(k, page + i, vma, false);
  }
  page_ref_add(m, page, PTRS_PER_PTE - 1); // one folio reference per PTE
  m.event(k.tid, 'split-pmd', [page_label(page), `vma:${vma.id}`], 'mm/huge_memory.c:__split_huge_pmd');
}

/**
 * copy_huge_pmd() at fork for an anonymous THP leaf (or a huge zero PMD): returns 0 (shared, both sides
 * write-protected), or -EAGAIN after splitting the source when the folio may be
 * DMA-pinned (the caller then copies the PTEs, and copy_present_pte copies pinned
 * subpages for the child).
 */
export function copy_huge_pmd(k: Kctx, dst: vm_area_struct, src: vm_area_struct, haddr: number, entry: pmd_t): number {
  const m = k.m;
  if (is_huge_zero_pmd(k, entry)) {
    // The child takes its own mm reference on the huge zero page and maps it read-only too
    // (5.4.1: set_huge_zero_page; 6.1.192 / 6.12.117: the same PMD value, write-protected and old).
    mm_get_huge_zero_page(k, dst.vm_mm);
    set_pmd_at(dst.vm_mm, haddr, pte_mkold(pte_wrprotect(entry)));
    return 0;
  }
  const page = pte_pfn(entry);
  const pinned = src.vm_mm.has_pinned && page_maybe_dma_pinned(k, page);
  // PATCH(anon-exclusive): page_try_dup_anon_rmap(compound); PATCH(fork-split-pinned-thp): d042035eaf5f.
  const split = k.patch('anon-exclusive') ? PageAnonExclusive(m, page) && pinned : k.patch('fork-split-pinned-thp') && pinned;
  if (split) {
    __split_huge_pmd(k, src, haddr);
    return -EAGAIN;
  }
  // PATCH(anon-exclusive) 6c287605fd56: the shared THP loses PageAnonExclusive
  if (k.patch('anon-exclusive')) folio_set_anon_exclusive_all(m, page, false);
  page_ref_add(m, page, 1);
  m.mem.s_map[m.mem.slot_of(page)] += 1; // page_dup_rmap(compound)
  const wp = pte_wrprotect(entry);
  set_pmd_at(src.vm_mm, haddr, wp);
  set_pmd_at(dst.vm_mm, haddr, wp);
  return 0;
}

/** zap_huge_pmd(): the whole THP leaf goes; a partial range splits it first (returns false: zap the PTEs). */
export function zap_huge_pmd(k: Kctx, vma: vm_area_struct, haddr: number, entry: pmd_t, start: number, end: number): boolean {
  if (haddr < start || haddr + PMD_SIZE > end) {
    __split_huge_pmd(k, vma, haddr);
    return false;
  }
  set_pmd_at(vma.vm_mm, haddr, 0);
  // A huge zero PMD holds neither a mapping nor a reference of the page (only the deposited table goes).
  if (is_huge_zero_pmd(k, entry)) return true;
  const page = pte_pfn(entry);
  page_remove_rmap(k, page, vma, true);
  put_page(k.m, page);
  return true;
}


/**
 * try_to_map_unused_to_zeropage() over the pieces of a just-split anonymous THP —
 * mm/migrate.c, Debian 6.12.117 (remove_migration_pte with map_unused_to_zeropage, from
 * __split_huge_page's remap_page): every PTE that maps a piece whose data is all zeroes
 * (the model's empty content tag) now maps the shared zero page (special, read-only),
 * unless the VMA is VM_LOCKED; the piece loses that mapping and its reference.
 * `zero[i]`: piece i is mapped and zero-filled. MODEL: no RSS counters to adjust.
 */
function remap_unused_to_zeropage(k: Kctx, head: number, n: number, zero: readonly boolean[]): void {
  const m = k.m;
  const mem = m.mem;
  if (!zero.some((z) => z)) return;
  for (const mm of m.mms) {
    for (const [key, t] of mm.pgd.pmd) {
      if (typeof t === 'number') continue;
      const a = t.pte;
      for (let j = 0; j < a.length; j++) {
        const e = a[j];
        if (e === 0) continue;
        const i = pte_pfn(e) - head;
        if (i < 0 || i >= n || !zero[i]) continue;
        const addr = key * PMD_SIZE + j * PAGE_SIZE;
        const vma = mm.mmap.find((v) => v.vm_start <= addr && addr < v.vm_end);
        if (!vma || vma.vm_flags & VM_LOCKED) continue;
        a[j] = mk_pte(mem.zero_pfn, (vma_page_prot(vma) & ~_PAGE_RW) | _PAGE_SPECIAL);
        const ps = mem.slot_of(head + i);
        mem.s_map[ps] -= 1;
        put_page(m, head + i);
        m.event(k.tid, 'zeropage', [page_label(head + i), `vma:${vma.id}`], 'mm/migrate.c:try_to_map_unused_to_zeropage');
      }
    }
  }
}

/**
 * split_huge_page_to_list(page, list) — mm/huge_memory.c, Debian 6.1.192
 * (split_huge_page_to_list → __split_huge_page) and 6.12.117
 * (split_huge_page_to_list_to_order with new_order 0, reached through split_folio_to_list),
 * for an anonymous THP that the caller holds isolated (its only non-mapping reference):
 * - can_split_folio(): the folio's references must be its mappings plus the caller's one
 *   (an anon folio outside the swap cache has no other expected reference); else -EAGAIN;
 * - unmap_folio() splits every PMD mapping into PTEs (TTU_SPLIT_HUGE_PMD) and
 *   remap_page() maps the subpages back where they were;
 * - every subpage becomes an order-0 folio inheriting mapping, index (+i), flags and its
 *   own PageAnonExclusive and data; a tail keeps one reference per PTE mapping it plus
 *   one for `list` (lru_add_page_tail with a list: it stays isolated), the head keeps
 *   the caller's reference;
 * - PATCH(thp-split-remap-zeropage) (6.12): zero-filled mapped pieces are mapped to the
 *   shared zero page instead (remap_unused_to_zeropage above);
 * - the pieces do not inherit PG_partially_mapped (6.12 clears it with the deferred list).
 * Returns the pfns of the resulting order-0 folios (head first), or -EAGAIN.
 * MODEL: anonymous folios only; no swap cache. The model never creates a file-backed
 * large folio (no shmem THP, no large page-cache folios: tests/unit/linux/mm/thp.file.test.ts),
 * so the unsupported guard for one below is unreachable and stays only as a guard.
 */
export function split_huge_page_to_list(k: Kctx, head: number): number[] | number {
  const m = k.m;
  const mem = m.mem;
  const s = mem.slot_of(head);
  if (!PageAnon(m, head)) {
    // Unreachable (see the header): kept so that a future file THP cannot be split silently.
    unsupported(k, 'mm/huge_memory.c:split_huge_page_to_list', `splitting a file-backed large folio (pfn:${head}) is not modelled`);
    return -EAGAIN;
  }
  // can_split_folio(): mappings + the caller's (isolation) reference, nothing else.
  if (page_count(m, head) !== folio_mapcount(m, head) + 1) return -EAGAIN;
  // unmap_folio(TTU_SPLIT_HUGE_PMD): every PMD leaf of this folio becomes 512 PTEs.
  for (const mm of m.mms) {
    for (const [key, e] of [...mm.pgd.pmd]) {
      if (typeof e !== 'number' || e === 0 || pte_pfn(e) !== head) continue;
      const haddr = key * PMD_SIZE;
      const vma = mm.mmap.find((v) => v.vm_start <= haddr && haddr < v.vm_end);
      if (!vma) {
        unsupported(k, 'mm/huge_memory.c:unmap_folio', `PMD leaf of pfn:${head} outside any VMA`);
        return -EAGAIN;
      }
      __split_huge_pmd(k, vma, haddr);
    }
  }
  const n = 2 ** mem.s_order[s];
  const mlocked = (mem.s_flags[s] & PG_mlocked) !== 0;
  const flags = mem.s_flags[s] & ~(PG_head | PG_anon_exclusive | PG_partially_mapped);
  const mapping = mem.s_mapping[s];
  const index = mem.s_index[s];
  const sub: { map: number; excl: boolean; content: string }[] = [];
  for (let i = 0; i < n; i++) {
    sub.push({ map: page_mapcount(m, head + i), excl: PageAnonExclusive(m, head + i), content: page_content(m, head + i) });
  }
  mem.dropSlot(s);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ns = mem.newSlot(head + i, 0);
    mem.s_flags[ns] = flags | (sub[i].excl ? PG_anon_exclusive : 0);
    mem.s_mapping[ns] = mapping;
    mem.s_index[ns] = index + i;
    mem.s_map[ns] = sub[i].map;
    mem.s_ref[ns] = sub[i].map + 1;
    mem.s_content[ns] = mem.tag_id(sub[i].content);
    out.push(head + i);
  }
  // PATCH(thp-split-remap-zeropage): b1f202060afe — remap_page(RMP_USE_SHARED_ZEROPAGE).
  if (k.patch('thp-split-remap-zeropage') && !mlocked) remap_unused_to_zeropage(k, head, n, sub.map((x) => x.map > 0 && x.content === ''));
  m.event(k.tid, 'split', [page_label(head)], 'mm/huge_memory.c:split_huge_page_to_list', n);
  return out;
}
