/**
 * mm/huge_memory.c (v5.4.1, Debian 6.1.192, Debian 6.12.117): anonymous
 * transparent huge pages mapped by a PMD — eligibility (transparent_hugepage
 * "enabled" = always / madvise / never, VM_HUGEPAGE / VM_NOHUGEPAGE, the aligned
 * 2 MiB range inside the VMA), do_huge_pmd_anonymous_page() (an order-9 folio, or
 * VM_FAULT_FALLBACK to 4 KiB pages when none can be allocated), the write-protect
 * fault on a PMD mapped once (reuse), and zap_huge_pmd().
 * MODEL: use_zero_page = 0 (no huge zero page: a read fault allocates the THP);
 * splitting a PMD (partial munmap/mprotect/madvise of a THP, COW of a shared THP,
 * fork of a THP) is not modelled and is reported as unsupported; khugepaged does not
 * run; defrag settings are not modelled (the allocation never compacts).
 */
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import { GFP_TRANSHUGE } from '../include/linux/gfp.js';
import type { pmd_t, vm_area_struct } from '../include/linux/mm_types.js';
import { PMD_SIZE, PG_lru, PG_uptodate, _PAGE_PSE, mk_pte, pte_mkdirty, pte_mkwrite, pte_pfn, pte_write } from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_UNSHARE, PageAnon, PageAnonExclusive, VM_FAULT_FALLBACK, VM_HUGEPAGE, VM_NOHUGEPAGE, VM_WRITE,
  folio_mapcount, page_count, put_page, set_pmd_at, vma_is_anonymous, page_label,
} from '../include/linux/mm.js';
import { alloc_pages } from './page_alloc.js';
import { anon_vma_prepare, page_add_new_anon_rmap, page_move_anon_rmap, page_remove_rmap } from './rmap.js';
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
    unsupported(k, 'mm/huge_memory.c:do_huge_pmd_wp_page', 'COW of a shared THP needs a PMD split, which is not modelled');
    return VM_FAULT_FALLBACK;
  }
  page_move_anon_rmap(k, page, vma);
  if (flags & FAULT_FLAG_UNSHARE) return 0;
  if (vma.vm_flags & VM_WRITE && !pte_write(orig)) set_pmd_at(vma.vm_mm, haddr, pte_mkdirty(pte_mkwrite(orig)));
  return 0;
}

/** zap_huge_pmd(): the whole THP leaf goes (a partial range would need a split). Returns false if unsupported. */
export function zap_huge_pmd(k: Kctx, vma: vm_area_struct, haddr: number, entry: pmd_t, start: number, end: number): boolean {
  if (haddr < start || haddr + PMD_SIZE > end) {
    unsupported(k, 'mm/huge_memory.c:__split_huge_pmd', 'splitting a THP PMD mapping is not modelled');
    return false;
  }
  set_pmd_at(vma.vm_mm, haddr, 0);
  const page = pte_pfn(entry);
  page_remove_rmap(k, page, vma, true);
  put_page(k.m, page);
  return true;
}

