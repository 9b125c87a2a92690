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
 * retried on PTEs: the 6.x path; 5.4 first tried to allocate a new THP for the copy,
 * which the model does not do), and by fork of a maybe-pinned THP
 * (PATCH(fork-split-pinned-thp) d042035eaf5f, v5.9; in 6.1 via
 * page_try_dup_anon_rmap): the child then gets 4 KiB copies. A DAX (devmap) leaf is
 * split by zapping it (the next fault maps PTEs): __split_huge_pmd_locked clears the PMD of
 * a non-anonymous VMA and returns for vma_is_dax (5.4.1) / vma_is_special_huge (6.1.192,
 * 6.12.117), which covers fs-DAX and device-DAX alike.
 * split_huge_page_to_list() (below) splits an isolated anonymous THP into order-0
 * folios, for migration: the fallback when no order-9 target can be allocated (5.4–6.12)
 * and 6.12's split of a partially mapped THP before migrating it (mm/gup_migrate.ts).
 * MODEL: use_zero_page = 0 (no huge zero page: a read fault allocates the THP); a
 * folio is split only by migration (no deferred split queue or shrinker: a partially
 * mapped THP is only flagged, PG_partially_mapped); khugepaged does not run; defrag
 * settings are not modelled (the allocation never compacts); THP is anonymous only.
 */
import type { Kctx } from '../kctx.js';
import { GFP_TRANSHUGE } from '../include/linux/gfp.js';
import type { pmd_t, vm_area_struct } from '../include/linux/mm_types.js';
import {
  PAGE_SIZE, PMD_SIZE, PTRS_PER_PTE, PG_anon_exclusive, PG_head, PG_lru, PG_mlocked, PG_partially_mapped, PG_uptodate, _PAGE_PSE, _PAGE_RW,
  _PAGE_SPECIAL, mk_pte, pte_devmap, pte_flags, pte_mkdirty, pte_mkwrite, pte_pfn,
  pte_special, pte_write, pte_wrprotect,
} from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_UNSHARE, PageAnon, PageAnonExclusive, VM_FAULT_FALLBACK, VM_HUGEPAGE, VM_LOCKED, VM_NOHUGEPAGE, VM_WRITE,
  folio_mapcount, page_count, put_page, set_pmd_at, vma_is_anonymous, page_label, set_pte_at, page_ref_add, page_maybe_dma_pinned,
  folio_set_anon_exclusive_all, page_mapcount, page_content,
} from '../include/linux/mm.js';
import { unsupported } from '../include/linux/bug.js';
import { EAGAIN } from '../include/uapi/linux/errno.js';
import { alloc_pages } from './page_alloc.js';
import { anon_vma_prepare, page_add_anon_rmap, page_add_file_rmap, page_add_new_anon_rmap, page_move_anon_rmap, page_remove_rmap } from './rmap.js';
import { vma_page_prot } from './memory.js';

/** transhuge_vma_suitable() + hugepage_vma_check() for an anonymous fault at haddr. */
export function thp_vma_suitable(k: Kctx, vma: vm_area_struct, haddr: number): boolean {
  if (!vma_is_anonymous(vma)) return false;
  if (haddr < vma.vm_start || haddr + PMD_SIZE > vma.vm_end) return false;
  if (vma.vm_flags & VM_NOHUGEPAGE) return false;
  const mode = k.m.transparent_hugepage;
  return mode === 'always' || (mode === 'madvise' && (vma.vm_flags & VM_HUGEPAGE) !== 0);
}

/** do_huge_pmd_anonymous_page(vmf) at the PMD-aligned haddr. */
export function do_huge_pmd_anonymous_page(k: Kctx, vma: vm_area_struct, haddr: number, flags: number): vm_fault_t {
  void flags;
  anon_vma_prepare(k, vma);
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
 * do_huge_pmd_wp_page(): a write (or unshare) fault on a read-only THP leaf. Reused
 * when the folio is anon and mapped once (and, with PATCH(anon-exclusive), exclusive
 * or referenced only by the mapping); anything else needs a split (unsupported).
 */
export function do_huge_pmd_wp_page(k: Kctx, vma: vm_area_struct, haddr: number, orig: pmd_t, flags: number): vm_fault_t {
  const page = pte_pfn(orig);
  const m = k.m;
  const reuse = PageAnon(m, page) && folio_mapcount(m, page) === 1 &&
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
 * copy_huge_pmd() at fork for an anonymous THP leaf: returns 0 (shared, both sides
 * write-protected), or -EAGAIN after splitting the source when the folio may be
 * DMA-pinned (the caller then copies the PTEs, and copy_present_pte copies pinned
 * subpages for the child).
 */
export function copy_huge_pmd(k: Kctx, dst: vm_area_struct, src: vm_area_struct, haddr: number, entry: pmd_t): number {
  const m = k.m;
  const page = pte_pfn(entry);
  const pinned = src.vm_mm.has_pinned && page_maybe_dma_pinned(k, page);
  // PATCH(anon-exclusive): page_try_dup_anon_rmap(compound); PATCH(fork-split-pinned-thp): d042035eaf5f.
  const split = k.patch('anon-exclusive') ? PageAnonExclusive(m, page) && pinned : k.patch('fork-split-pinned-thp') && pinned;
  if (split) {
    __split_huge_pmd(k, src, haddr);
    return -EAGAIN;
  }
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
