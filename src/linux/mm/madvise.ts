/**
 * mm/madvise.c advice that changes what backs a range (issue 12 item 4), with the reclaim
 * it triggers (mm/vmscan.c shrink_page_list / shrink_folio_list, mm/rmap.c
 * try_to_unmap_one) — read in v5.4.1, Debian 6.1.192 and Debian 6.12.117. sys_madvise
 * (mm/mprotect.ts) validates the range, takes mmap_lock and calls these per VMA.
 *
 * - MADV_FREE (madvise_free_single_vma / madvise_free_pte_range): only private anonymous
 *   VMAs (-EINVAL otherwise); each present page mapped here: a dirty page loses PG_dirty
 *   unless it is mapped more than once (then it is skipped); the PTE becomes old and
 *   clean; the page becomes lazy-free (mark_page_lazyfree: PG_swapbacked cleared, when it
 *   is on the LRU). Nothing is freed now: reclaim may later drop a lazy-free page that is
 *   still clean instead of swapping it, and a store to it first re-dirties the PTE.
 * - MADV_COLD (madvise_cold): VM_LOCKED / VM_PFNMAP / VM_HUGETLB → -EINVAL
 *   (can_madv_lru_vma); pages mapped once (5.4.1: any page; PATCH(madvise-pageout-cow)) lose
 *   their accessed bit (deactivation: no LRU lists in the model).
 * - MADV_PAGEOUT (madvise_pageout): the same validity; pages mapped once are isolated
 *   (one reference each) and reclaimed at the end of each page table
 *   (reclaim_pages): an anonymous swap-backed page needs swap, which the model (like the
 *   conformance guests) does not have, so it stays; a lazy-free page is unmapped by
 *   try_to_unmap_one and freed if clean:
 *   - v5.4.1: whatever its references — a pinned page then cannot be frozen
 *     (page_ref_freeze fails) and stays allocated, held only by its pins, while the
 *     process has lost it;
 *   - PATCH(madvise-free-refcount) 6c8e2a256915 (6.1.192, 6.12.117): only when its
 *     references are exactly the isolation one plus its mappings; otherwise (a pin) the
 *     PTE is put back and the page made swap-backed again.
 *   A page re-dirtied since MADV_FREE is put back and made swap-backed in every release.
 *   File-backed VMAs (can_do_pageout in 5.4.1 and 6.1.192, can_do_file_pageout in 6.12.117:
 *   the caller owns the file or may write it; otherwise 0 and nothing done — 6.12.117 reclaims
 *   a private mapping's COW pages then, which no swap keeps as they are): their page-cache
 *   pages mapped once are isolated
 *   alike; reclaim (shrink_file_page below, the same in the three trees) unmaps each from every
 *   mapping, keeps a dirty one (no writeback outside kswapd) or one still referenced, and frees
 *   a clean one from the page cache (the next fault reads the file again). shmem / memfd pages
 *   are swap-backed: kept.
 * - MADV_WILLNEED (madvise_willneed): anonymous and shmem ranges read swap back in (no
 *   swap here: nothing to do), DAX files ignore it; 0.
 * - MADV_REMOVE (madvise_remove): VM_LOCKED → -EINVAL; no file → -EINVAL; not a shared
 *   writable mapping → -EACCES (5.4: VM_SHARED and VM_WRITE; PATCH(vma-shared-maywrite)
 *   e8e17ee90eaf, in 6.1.192 by backport: VM_SHARED and VM_MAYWRITE, so PROT_READ is
 *   enough); else mmap_lock is dropped and the file range is punched (vfs_fallocate
 *   PUNCH_HOLE | KEEP_SIZE): the pages leave the page cache and every
 *   mapping; a pinned page stays allocated for its pin holder.
 *
 * - THP (anonymous, mapped by one PMD) under MADV_FREE / COLD / PAGEOUT: madvise_free_huge_pmd
 *   and the huge PMD branch of madvise_cold_or_pageout_pte_range (a THP the range covers in
 *   part is split first, unless a reference beyond its mappings stops the split), and
 *   shrink_large_folio for its reclaim (below; the same in the three trees but for the
 *   PATCH(madvise-free-refcount) check).
 * - A large folio mapped by PTEs (a THP whose PMD a partial munmap, mprotect or MADV_DONTNEED
 *   split) under MADV_FREE / COLD / PAGEOUT: pte_large_folio below, per release — before 6.10
 *   split when its sharing test says 1 (which mapcount it reads changed in 6.2, 6.3 and 6.5:
 *   large_sharers), else the walk of the page table stops; a failed split (a pin or any other
 *   reference) stops it too. From 6.10 (6.12.117, 6.18.26) the run of PTEs is one batch: a folio
 *   covered whole is advised whole (a whole folio isolated by PAGEOUT is reclaimed by
 *   shrink_large_folio: without swap, split if swap-backed; dropped PTE by PTE if lazy-free), one
 *   covered in part is split unless likely shared, and a shared one or a failed split is skipped.
 * - Every such split holds the folio lock (PG_locked) from before the page-table lock is dropped
 *   to after the split (madvise_split_thp): another thread's madvise of the folio fails its trylock
 *   meanwhile, reclaim keeps it, migration sleeps until it is unlocked. MADV_COLD / MADV_PAGEOUT
 *   also drop the PTE lock every 32 iterations when need_resched() from v6.7 (walk_ptes `restart`).
 *
 * MODEL: no swap device; no LRU lists (PG_lru marks a page on "the" LRU, PG_referenced
 * and the active/inactive split are not modelled); a large folio mapped by a PMD and by PTEs at
 * once, one mapped by PTEs in another process too where 6.10+ would split it (pte_large_folio),
 * mTHP (folios of order 2-8: the model allocates none), 5.4.1's reclaim of a lazy-free page mapped by
 * more than one process, a THP mapped by a PMD and by PTEs, PAGEOUT of a run-time file (memfd, shmem) by
 * a caller without CAP_DAC_OVERRIDE (its owner is not recorded), and WILLNEED readahead of
 * page-cache files are `unsupported`; the per-CPU lazy-free batch (lru_lazyfree) is drained at once; reclaim outside MADV_PAGEOUT (memory pressure) is
 * not modelled.
 */
import type { KThread } from '../../sched/index.js';
import { waitUntil } from '../../sched/index.js';
import { errno_reason, hex } from '../errno_reason.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import type { file } from '../include/linux/fs.js';
import { FMODE_WRITE, IS_DAX, S_ISREG, fput, get_file } from '../include/linux/fs.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import {
  PAGE_SIZE, PMD_SIZE, PG_lru, PG_swapbacked, PTRS_PER_PTE, _PAGE_SOFT_DIRTY, mk_pte, pte_devmap, pte_dirty, pte_flags, pte_mkclean, pte_mkold, pte_pfn, pte_present,
  pte_wrprotect, pte_young,
} from '../include/linux/mm_types.js';
import type { Machine } from '../machine.js';
import {
  ClearPageDirty, PageAnon, PageDirty, compound_head, SetPageDirty, VM_HUGETLB, VM_LOCKED, VM_MAYWRITE, VM_PFNMAP, VM_SHARED, VM_WRITE, folio_mapcount, folio_nr_pages, folio_order, get_page, page_count, set_pmd_at,
  folio_test_locked, folio_trylock, folio_unlock, is_zone_device_page, page_label, page_mapcount, page_mapping, page_ref_count, pte_at, put_page, set_pte_at, vma_is_anonymous, vma_is_shmem,
} from '../include/linux/mm.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../include/uapi/asm-generic/mman.js';
import { EACCES, EBADF, EINVAL, ENODEV, EOPNOTSUPP } from '../include/uapi/linux/errno.js';
import { down_read, up_read } from '../kernel/locking/rwsem.js';
import { cond_resched, race_window } from '../kernel/sched.js';
import { vm_normal_page } from './memory.js';
import { delete_from_page_cache } from './filemap.js';
import { unmap_mapping_pages_now } from './truncate.js';
import { CAP_DAC_OVERRIDE, capable, get_current } from '../include/linux/sched.js';
import { page_remove_rmap } from './rmap.js';
import { __split_huge_pmd, is_huge_zero_pmd, split_huge_page_to_list } from './huge_memory.js';

/** SWAP_CLUSTER_MAX (include/linux/swap.h): the batch of madvise_cold_or_pageout_pte_range's need_resched() check. */
const SWAP_CLUSTER_MAX = 32;

/** can_madv_lru_vma(vma): COLD / PAGEOUT (and, in v5.4.1, DONTNEED / FREE) refuse these. */
export function can_madv_lru_vma(vma: vm_area_struct): boolean {
  return !(vma.vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB));
}

/** The PMD-table keys (address / PMD_SIZE) of [start, end) that hold an entry, in order. */
function table_keys(mm: mm_struct, start: number, end: number): number[] {
  const out: number[] = [];
  for (let key = Math.floor(start / PMD_SIZE); key * PMD_SIZE < end; key++) if (mm.pgd.pmd.has(key)) out.push(key);
  return out;
}

/**
 * What a handler of a huge PMD leaf did with it: WALK_DONE (the leaf's part of the range is
 * finished), WALK_PTES (the folio was split: walk the PTEs now mapping the range), or a
 * negative errno (`unsupported`).
 */
const WALK_DONE = 0;
const WALK_PTES = 1;
type HugeHandler = (haddr: number, entry: number, lo: number, hi: number) => KThread<number>;

/**
 * What the handler of a PTE that maps a page of a large folio did: the index in the table
 * where the walk goes on (the same index: look at the PTE again, the folio was split; a
 * later one: the PTEs in between are done or skipped), LARGE_STOP (the kernel leaves the
 * loop over this table: break / goto out), or a negative errno (`unsupported`).
 */
const LARGE_STOP = -0x10000;
type LargeHandler = (base: number, i: number, hi: number, pte: number, page: number) => KThread<number>;

/**
 * Visit the present PTEs of [start, end) table by table (one step per table: its PTE lock
 * excludes faults, GUP's walk and the rmap walks; cond_resched between tables). A huge
 * leaf goes to `huge` (one step under its PMD lock; no handler: `unsupported`); a PTE
 * mapping a page of a large folio goes to `large` (pte_large_folio below), which says
 * where the walk of the table goes on, or that it stops there.
 * `visit` gets the address, the PTE and its normal page (zone-device and special entries
 * are skipped); `after` runs at the end of each table or leaf, once its lock is dropped
 * (PAGEOUT's reclaim_pages, with scheduling points of its own).
 * `restart` (MADV_COLD / MADV_PAGEOUT with PATCH(madvise-cold-resched-batch) b2f557a21bc8, v6.7;
 * Debian 6.12.118, 6.18.26): every SWAP_CLUSTER_MAX (32) iterations of the loop over a table
 * (an empty or special entry, a small page, a large folio's batch, the revisit of a PTE after a
 * split: one each) the kernel checks need_resched() and, when set, drops the PTE lock,
 * cond_resched()s and restarts the loop at the same PTE, re-reading it under the lock taken again
 * (the restarted iteration counts as the first of the next 32). The isolated folios wait for the end of
 * the table (reclaim_pages at `out`). A scheduling point there: another thread may take the PTE
 * lock (fault, zap, GUP's follow_page, the rmap walks) between two halves of the table.
 * MODEL: need_resched() is taken as set at every check (the point is the scheduler's choice: when
 * no other thread runs there the end state is the one where it was clear), so the next check
 * comes 31 iterations later; a run where it was clear checks 32 later, a position one PTE off that
 * the model does not explore.
 * The lockless gup-fast walk is not excluded by the PTE lock: MADV_FREE and COLD only
 * clear the dirty and accessed bits, which gup-fast does not test (its re-check of the
 * entry then fails and GUP falls back to the slow path, which waits for the PTE lock),
 * and PAGEOUT changes no entry during the walk.
 */
function* walk_ptes(
  k: Kctx, vma: vm_area_struct, start: number, end: number, site: string,
  visit: (addr: number, pte: number, page: number) => void, after?: () => KThread<void>, huge?: HugeHandler,
  large?: LargeHandler, restart = false,
): KThread<number> {
  const mm = vma.vm_mm;
  const keys = table_keys(mm, start, end);
  for (let n = 0; n < keys.length; n++) {
    // batch_count: the iterations since the last need_resched() check (per table: per call of the pte_range callback).
    let batch = 0;
    if (n > 0) yield* cond_resched(k, site, `${keys[n]}`);
    let t = mm.pgd.pmd.get(keys[n]);
    if (t === undefined) continue;
    const base = keys[n] * PMD_SIZE;
    if (typeof t === 'number') {
      if (huge === undefined) return unsupported(k, site, 'a huge PMD leaf in the range is not modelled for this advice');
      const r = yield* huge(base, t, Math.max(start, base), Math.min(end, base + PMD_SIZE));
      if (r < 0) return r;
      t = mm.pgd.pmd.get(keys[n]);
      if (r === WALK_DONE || t === undefined || typeof t === 'number') {
        if (after !== undefined) yield* after();
        continue;
      }
    }
    const lo = Math.max(0, Math.floor((start - base) / PAGE_SIZE));
    const hi = Math.min(PTRS_PER_PTE, Math.ceil((end - base) / PAGE_SIZE));
    for (let i = lo; i < hi;) {
      if (restart && ++batch === SWAP_CLUSTER_MAX) {
        // need_resched(): the PTE lock dropped, cond_resched(), `goto restart` at this PTE.
        yield* cond_resched(k, `${site}:restart`, `${keys[n]}:${i}`);
        batch = 1;
      }
      const addr = base + i * PAGE_SIZE;
      const pte = pte_at(mm, addr);
      const page = pte === 0 || !pte_present(pte) ? null : vm_normal_page(k, vma, addr, pte);
      if (page === null || is_zone_device_page(k.m, page)) {
        i++;
        continue;
      }
      if (folio_order(k.m, page) > 0) {
        if (large === undefined) return unsupported(k, site, 'a PTE-mapped large folio in the range is not modelled for this advice');
        const r = yield* large(base, i, hi, pte, page);
        if (r < 0 && r !== LARGE_STOP) return r;
        if (r === LARGE_STOP) break;
        i = r;
        continue;
      }
      visit(addr, pte, page);
      i++;
    }
    if (after !== undefined) yield* after();
  }
  return 0;
}

/**
 * The checks every release makes on a huge PMD leaf before advising it: the huge zero page
 * is left alone (WALK_DONE); a THP also mapped by PTEs somewhere (a mix the PMD checks count
 * differently per release: page_mapcount in 5.4.1, total_mapcount in 6.1.192,
 * folio_likely_mapped_shared in 6.12.117) is `unsupported`. Returns null when the leaf is an
 * ordinary THP whose folio is `pte_pfn(entry)`.
 */
function huge_leaf_checks(k: Kctx, entry: number, site: string): number | null {
  if (is_huge_zero_pmd(k, entry)) return WALK_DONE;
  const m = k.m;
  const head = pte_pfn(entry);
  if (pte_devmap(entry) || !PageAnon(m, head)) return unsupported(k, site, 'a DAX or file-backed huge PMD leaf under this advice is not modelled');
  if (m.mem.s_ptemaps[m.mem.slot_of(head)] !== 0) return unsupported(k, site, 'a THP mapped both by a PMD and by PTEs is not modelled for this advice');
  return null;
}

/**
 * split_huge_page(page) as madvise calls it on a THP of the range it covers only in part
 * (madvise_free_huge_pmd; madvise_cold_or_pageout_pte_range), with the folio lock the caller
 * already holds (folio_trylock under the PTE or PMD lock; the PMD branch of COLD / PAGEOUT
 * takes it here, below): the caller takes a reference and drops its page-table lock (a
 * scheduling point: another CPU may pin the folio meanwhile, and then the split fails), splits
 * the folio into order-0 pages mapped by PTEs where the PMD mapped it (split_huge_page_to_list,
 * without a list: the tails go back to the LRU holding one reference per mapping and unlocked;
 * 6.12.117 maps zero-filled pieces to the shared zero page), unlocks the piece it asked for
 * (folio_unlock: the head) and drops its reference. The folio lock is held across both
 * scheduling points, so every other path that locks the folio sees it held: another madvise's
 * trylock fails, reclaim keeps the folio (shrink_page), migration waits for it
 * (gup_migrate.ts). Returns true when the folio was split.
 * `lock` is 'held' when the caller took the lock, 'sleep' for the PMD branch of COLD / PAGEOUT
 * (5.4.1 – 6.18.26: folio_lock() after the PMD lock is dropped, sleeping while another thread
 * holds it).
 */
function* madvise_split_thp(k: Kctx, head: number, site: string, lock: 'held' | 'sleep'): KThread<boolean> {
  const m = k.m;
  get_page(m, head);
  yield* race_window(k, `${site}:split_huge_page`, `${head}`);
  if (lock === 'sleep') {
    if (folio_test_locked(m, head)) {
      // FIXME(madvise-pmd-split-trylock): Debian 6.12.117 carries a backport of "mm/madvise: use
      // folio_trylock() in the cold/pageout PMD split" (absent in 6.13.7 and 6.18.26; its mainline id
      // is not verified) and skips the THP instead of sleeping; the model sleeps in every profile.
      yield* waitUntil(`${site}:folio_lock`, { kind: 'waitqueue', object: page_label(head), detail: 'folio_lock: another thread holds the folio lock' },
        () => !folio_test_locked(m, compound_head(m, head)));
    }
    folio_trylock(m, head);
    // Locked, not split yet: another CPU's trylock of the folio fails here.
    yield* race_window(k, `${site}:folio_locked`, `${head}`);
  }
  // Split by another CPU meanwhile: nothing left to do (the caller looks at its entries again).
  if (folio_order(m, head) === 0) {
    folio_unlock(m, head);
    put_page(m, head);
    return true;
  }
  const pieces = split_huge_page_to_list(k, head);
  if (typeof pieces === 'number') {
    folio_unlock(m, head);
    put_page(m, head);
    return false;
  }
  // Without a list the tails drop the one split_huge_page_to_list() gave them, unlocked
  // (__split_huge_page keeps only the caller's piece locked).
  for (const p of pieces) {
    if (p === head) continue;
    folio_unlock(m, p);
    put_page(m, p);
  }
  // split_folio() returned; the head piece is still locked (and referenced) until folio_unlock()
  // and folio_put(): another CPU that locks or trylocks it meanwhile (MADV_FREE of a dirty page,
  // reclaim, migration) sees it held.
  yield* race_window(k, `${site}:folio_unlock`, `${head}`);
  folio_unlock(m, head);
  put_page(m, head);
  return true;
}

/** The advice a PTE-mapped large folio is given (pte_large_folio). */
type LargeAdvice = 'free' | 'cold' | 'pageout';

/**
 * The sharing test of the PTE path before 6.10 for a page of a large folio ("split it only
 * when this process is its only mapper"): the walk of the table stops unless this is 1.
 * - MADV_COLD / MADV_PAGEOUT: page_mapcount() of the page the PTE maps (5.4.1 – 6.2.12,
 *   Debian 6.1.192); PATCH(madvise-cold-folio) 07e8c82b5eff: folio_mapcount(), every mapping of
 *   every page; PATCH(madvise-cold-estimated-sharers) 2f406263e3e9 (6.5.0, 6.6.9):
 *   folio_estimated_sharers(), the mapcount of the folio's first page.
 * - MADV_FREE: page_mapcount() of that page (5.4.1 – 5.15.24); PATCH(madvise-free-folio)
 *   98b211d6415f (6.2.12): folio_mapcount(); PATCH(madvise-free-estimated-sharers) 0e0e9bd5f7b9
 *   (Debian 6.1.192 by backport, 6.5.0, 6.6.9): folio_estimated_sharers().
 * A folio whose first page is not mapped has estimated sharers 0: it is left alone.
 */
function large_sharers(k: Kctx, advice: LargeAdvice, page: number, head: number): number {
  const m = k.m;
  if (advice === 'free') {
    // PATCH(madvise-free-estimated-sharers): 0e0e9bd5f7b9 — the first page's mapcount
    if (k.patch('madvise-free-estimated-sharers')) return page_mapcount(m, head);
    // PATCH(madvise-free-folio): 98b211d6415f — the folio's total mapcount
    if (k.patch('madvise-free-folio')) return folio_mapcount(m, head);
    return page_mapcount(m, page);
  }
  // PATCH(madvise-cold-estimated-sharers): 2f406263e3e9 — the first page's mapcount
  if (k.patch('madvise-cold-estimated-sharers')) return page_mapcount(m, head);
  // PATCH(madvise-cold-folio): 07e8c82b5eff — the folio's total mapcount
  if (k.patch('madvise-cold-folio')) return folio_mapcount(m, head);
  return page_mapcount(m, page);
}

/** A PTE with the bits folio_pte_batch() ignores cleared: accessed, dirty, soft-dirty, write. */
function pte_batch_clear_ignored(pte: number): number {
  const e = pte_wrprotect(pte_mkold(pte_mkclean(pte)));
  return pte_flags(e) & _PAGE_SOFT_DIRTY ? e - _PAGE_SOFT_DIRTY : e;
}

/**
 * folio_pte_batch(folio, addr, ptep, pte, max_nr, FPB_IGNORE_DIRTY | FPB_IGNORE_SOFT_DIRTY)
 * (mm/internal.h, Debian 6.12.117, through madvise_folio_pte_batch): how many PTEs from index i
 * of the table at base, below index hi, map consecutive pages of the folio at head (n pages)
 * from the page `pte` maps on, alike but for the accessed, dirty, soft-dirty and write bits.
 */
function folio_pte_batch(mm: mm_struct, base: number, i: number, hi: number, pte: number, head: number, n: number): number {
  const max = Math.min(hi - i, head + n - pte_pfn(pte));
  const first = pte_batch_clear_ignored(pte);
  let nr = 1;
  while (nr < max) {
    const e = pte_at(mm, base + (i + nr) * PAGE_SIZE);
    if (e === 0 || pte_batch_clear_ignored(e) !== mk_pte(pte_pfn(first) + nr, pte_flags(first))) break;
    nr++;
  }
  return nr;
}

/**
 * folio_likely_mapped_shared(folio) (include/linux/mm.h, Debian 6.12.117) for an anonymous
 * large folio of n pages mapped by PTEs only: mapped once at most → no; more mappings than
 * pages → yes; else the guess from its first page: mapped more than once.
 */
function folio_likely_mapped_shared(m: Machine, head: number, n: number): boolean {
  const mapcount = folio_mapcount(m, head);
  if (mapcount <= 1) return false;
  if (mapcount > n) return true;
  return page_mapcount(m, head) > 1;
}

/** How many PTEs of mm map a page of the folio at head (n pages). */
function folio_ptes_in_mm(mm: mm_struct, head: number, n: number): number {
  let count = 0;
  for (const [, t] of mm.pgd.pmd) {
    if (typeof t === 'number') continue;
    for (const e of t.pte) {
      if (e === 0) continue;
      const d = pte_pfn(e) - head;
      if (d >= 0 && d < n) count++;
    }
  }
  return count;
}

/**
 * A PTE at index i of the table at base (walked up to index hi) maps `page` of an anonymous
 * large folio (a THP whose PMD was split by a partial munmap, mprotect or MADV_DONTNEED, or by
 * fork of a pinned THP) — mm/madvise.c madvise_free_pte_range() and
 * madvise_cold_or_pageout_pte_range(), read in 5.4.1, 5.6.4 – 5.15.24, Debian 6.1.192, 6.2.12,
 * 6.5.0, 6.6.9, Debian 6.12.117 and 6.18.26 (the profiles' trees) and, to place the 6.10 changes,
 * 6.8.0 (vivo50kff/linux-6.8 @ a49beca86), 6.9.0 (ec-jt/linux-6.9.0 @ dd616aa63) and 6.11.11
 * (segzix/linux-6.11.11 @ 323e1467a), one-import trees:
 * - before 6.10 (every profile up to v6.6): the folio is split when the sharing test
 *   (large_sharers) gives 1, else the walk of the table stops (break; goto out: the pages after
 *   it in this table are not advised, those isolated before it are still reclaimed). The split:
 *   a reference, the folio lock (trylock; a failure also stops the walk), the PTE lock dropped
 *   (a scheduling point: another CPU may pin the folio, map or unmap it), split_huge_page; on
 *   success the PTE lock is taken again and the same PTE looked at again (now an order-0 page);
 *   on failure (a reference beyond the mappings and the caller's: a GUP pin or reference) the
 *   walk stops.
 * - 6.10 on (PATCH(migrate-split-partially-mapped) as the stand-in of the folded changes
 *   "mm: madvise: avoid split during MADV_PAGEOUT and MADV_COLD" and "mm/madvise: optimize
 *   lazyfreeing with mTHP in madvise_free"): the run of PTEs mapping consecutive pages of the
 *   folio is taken as one batch (folio_pte_batch). A folio the batch does not cover whole is
 *   skipped (the walk goes on after the batch) when folio_likely_mapped_shared(), else split as
 *   above (a failed trylock skips the batch too); on success the same PTE is looked at again,
 *   on failure the batch is skipped and the walk goes on. A folio the batch covers whole is advised as one (`whole`): not split.
 * The folio lock (PG_locked, madvise_split_thp) is held from the trylock to the end of the split,
 * across the PTE lock's release: a second thread advising the same folio meanwhile fails its
 * trylock (before 6.10 its walk of the table stops; from 6.10 it skips the batch).
 * A folio mapped by a PMD as well, and in 6.10+ a folio mapped by another process that
 * folio_likely_mapped_shared() (6.12) guesses is not shared — 6.18's folio_maybe_mapped_shared()
 * knows it is — are `unsupported`.
 */
function* pte_large_folio(
  k: Kctx, vma: vm_area_struct, advice: LargeAdvice, site: string, base: number, i: number, hi: number, pte: number, page: number,
  whole: (addr: number, nr: number, head: number) => void,
): KThread<number> {
  const m = k.m;
  const head = compound_head(m, page);
  const n = folio_nr_pages(m, head);
  // Unreachable (the model creates no file-backed large folio): kept as a guard.
  if (!PageAnon(m, head)) return unsupported(k, site, 'a PTE-mapped file-backed large folio is not modelled for this advice');
  if (m.mem.s_map[m.mem.slot_of(head)] !== 0) return unsupported(k, site, 'a large folio mapped both by a PMD and by PTEs is not modelled for this advice');
  // PATCH(migrate-split-partially-mapped): stand-in for the folded madvise PTE-batch changes (v6.10; see the registry).
  if (k.patch('migrate-split-partially-mapped')) {
    const nr = folio_pte_batch(vma.vm_mm, base, i, hi, pte, head, n);
    if (nr < n) {
      const shared = folio_likely_mapped_shared(m, head, n);
      if (!shared && folio_ptes_in_mm(vma.vm_mm, head, n) !== folio_mapcount(m, head)) {
        return unsupported(k, site, 'a large folio partly in the range and also mapped by another process: folio_likely_mapped_shared (6.12) and folio_maybe_mapped_shared (6.18) may differ');
      }
      if (shared) return i + nr;
      // Locked by another thread (its own split window): the batch is skipped.
      if (!folio_trylock(m, head)) return i + nr;
      return (yield* madvise_split_thp(k, head, site, 'held')) ? i : i + nr;
    }
    whole(base + i * PAGE_SIZE, nr, head);
    return i + nr;
  }
  if (large_sharers(k, advice, page, head) !== 1) return LARGE_STOP;
  // Locked by another thread (its own split window): the walk of the table stops.
  if (!folio_trylock(m, head)) return LARGE_STOP;
  return (yield* madvise_split_thp(k, head, site, 'held')) ? i : LARGE_STOP;
}

/** clear_young_dirty_ptes(vma, addr, ptep, nr, flags): the accessed (and dirty) bits of nr PTEs cleared. */
function clear_young_dirty_ptes(mm: mm_struct, addr: number, nr: number, dirty: boolean): void {
  for (let j = 0; j < nr; j++) {
    const a = addr + j * PAGE_SIZE;
    const e = pte_at(mm, a);
    const c = dirty ? pte_mkclean(pte_mkold(e)) : pte_mkold(e);
    if (c !== e) set_pte_at(mm, a, c);
  }
}

/** Any of the nr PTEs from addr has its accessed (or, with `dirty`, its dirty) bit set. */
function any_young_dirty(mm: mm_struct, addr: number, nr: number, dirty: boolean): boolean {
  for (let j = 0; j < nr; j++) {
    const e = pte_at(mm, addr + j * PAGE_SIZE);
    if (pte_young(e) || (dirty && pte_dirty(e))) return true;
  }
  return false;
}

/** madvise_free_single_vma(vma, start, end): see the file header. */
export function* madvise_free_single_vma(k: Kctx, vma: vm_area_struct, start: number, end: number): KThread<number> {
  if (!vma_is_anonymous(vma)) return errno_reason(k, -EINVAL, 'mm/madvise.c:madvise_free_single_vma', `MADV_FREE on a file-backed or shared mapping [${hex(vma.vm_start)}, ${hex(vma.vm_end)}): only private anonymous memory`);
  const lo = Math.max(vma.vm_start, start);
  const hi = Math.min(vma.vm_end, end);
  if (lo >= vma.vm_end || hi <= vma.vm_start) return -EINVAL;
  const m = k.m;
  const mm = vma.vm_mm;
  return yield* walk_ptes(k, vma, lo, hi, 'mm/madvise.c:madvise_free_pte_range', (addr, pte, page) => {
    if (PageDirty(m, page)) {
      // Locked by another thread (a split's head piece before its folio_unlock): skipped.
      if (!folio_trylock(m, page)) return;
      // Shared with another mapping: its dirty state is not ours to drop.
      const shared = folio_mapcount(m, page) !== 1;
      if (!shared) ClearPageDirty(m, page);
      folio_unlock(m, page);
      if (shared) return;
    }
    if (pte_young(pte) || pte_dirty(pte)) set_pte_at(mm, addr, pte_mkclean(pte_mkold(pte)));
    mark_page_lazyfree(k, page);
  }, undefined, (haddr, entry, a, b) => madvise_free_huge_pmd(k, vma, haddr, entry, a, b),
  (base, i, end, pte, page) => pte_large_folio(k, vma, 'free', 'mm/madvise.c:madvise_free_pte_range', base, i, end, pte, page, (addr, nr, head) => {
    // 6.10+: a folio the batch covers whole. A dirty one mapped elsewhere too keeps its dirty state.
    if (PageDirty(m, head)) {
      if (!folio_trylock(m, head)) return;
      const shared = folio_mapcount(m, head) !== folio_nr_pages(m, head);
      if (!shared) ClearPageDirty(m, head);
      folio_unlock(m, head);
      if (shared) return;
    }
    if (any_young_dirty(mm, addr, nr, true)) clear_young_dirty_ptes(mm, addr, nr, true);
    mark_page_lazyfree(k, head);
  }));
}

/**
 * mm/huge_memory.c madvise_free_huge_pmd(tlb, vma, pmd, addr, next) — 5.4.1, Debian 6.1.192 and
 * 6.12.117 alike for a THP mapped by this PMD only: a THP mapped elsewhere too is skipped; one
 * the range covers in part is split (madvise_split_thp: a pinned or otherwise referenced one
 * cannot be, and is left as it is) and the pages of the range then go through the PTE path; a
 * whole one loses PG_dirty, its PMD becomes old and clean, and the folio becomes lazy-free as
 * one (mark_page_lazyfree). Nothing is freed now.
 */
function* madvise_free_huge_pmd(k: Kctx, vma: vm_area_struct, haddr: number, entry: number, lo: number, hi: number): KThread<number> {
  const site = 'mm/huge_memory.c:madvise_free_huge_pmd';
  const c = huge_leaf_checks(k, entry, site);
  if (c !== null) return c;
  const m = k.m;
  const head = pte_pfn(entry);
  if (folio_mapcount(m, head) !== 1) return WALK_DONE;
  // Locked by another thread: skipped (5.4.1, 6.1.192, 6.12.117 alike).
  if (!folio_trylock(m, head)) return WALK_DONE;
  if (hi - lo !== PMD_SIZE) return (yield* madvise_split_thp(k, head, site, 'held')) ? WALK_PTES : WALK_DONE;
  ClearPageDirty(m, head);
  folio_unlock(m, head);
  if (pte_young(entry) || pte_dirty(entry)) set_pmd_at(vma.vm_mm, haddr, pte_mkclean(pte_mkold(entry)));
  mark_page_lazyfree(k, head);
  return WALK_DONE;
}

/** mark_page_lazyfree(page) (mm/swap.c): an anonymous swap-backed page on the LRU becomes lazy-free. */
function mark_page_lazyfree(k: Kctx, page: number): void {
  const mem = k.m.mem;
  const s = mem.slot_of(page);
  const f = mem.s_flags[s];
  if (f & PG_lru && PageAnon(k.m, page) && f & PG_swapbacked) {
    mem.s_flags[s] = f & ~PG_swapbacked;
    k.m.event(k.tid, 'lazyfree', [page_label(page)], 'mm/swap.c:mark_page_lazyfree');
  }
}

/** -EINVAL, with the reason, for a VMA can_madv_lru_vma() refuses (mlocked, hugetlb or VM_PFNMAP). */
function lru_refused(k: Kctx, vma: vm_area_struct, advice: string): number {
  const what = vma.vm_flags & VM_LOCKED ? 'VM_LOCKED (mlocked)' : vma.vm_flags & VM_HUGETLB ? 'hugetlb' : 'VM_PFNMAP';
  return errno_reason(k, -EINVAL, 'mm/madvise.c:can_madv_lru_vma', `${advice} on the ${what} VMA [${hex(vma.vm_start)}, ${hex(vma.vm_end)})`);
}

/**
 * COLD / PAGEOUT leave a page that another mapping also maps alone (page_mapcount != 1):
 * PATCH(madvise-pageout-cow) 12e967fd8e4e (v5.6); 5.4.1 advises it whatever its mapcount.
 */
function shared_skipped(k: Kctx, page: number): boolean {
  // PATCH(madvise-pageout-cow): 12e967fd8e4e — the mapcount test of the PTE path.
  return k.patch('madvise-pageout-cow') && page_mapcount(k.m, page) !== 1;
}

/** madvise_cold(vma, start, end): see the file header. */
export function* madvise_cold(k: Kctx, vma: vm_area_struct, start: number, end: number): KThread<number> {
  if (!can_madv_lru_vma(vma)) return lru_refused(k, vma, 'MADV_COLD');
  const m = k.m;
  const mm = vma.vm_mm;
  return yield* walk_ptes(k, vma, start, end, 'mm/madvise.c:madvise_cold_or_pageout_pte_range', (addr, pte, page) => {
    if (!(m.mem.s_flags[m.mem.slot_of(page)] & PG_lru) || shared_skipped(k, page)) return;
    if (pte_young(pte)) set_pte_at(mm, addr, pte_mkold(pte));
  }, undefined, (haddr, entry, a, b) => cold_or_pageout_huge_pmd(k, vma, haddr, entry, a, b, null),
  (base, i, end, pte, page) => pte_large_folio(k, vma, 'cold', 'mm/madvise.c:madvise_cold_or_pageout_pte_range', base, i, end, pte, page, (addr, nr, head) => {
    // 6.10+: a folio the batch covers whole, on the LRU and mapped here only, is deactivated as one.
    if (!(m.mem.s_flags[m.mem.slot_of(head)] & PG_lru) || folio_mapcount(m, head) !== folio_nr_pages(m, head)) return;
    if (any_young_dirty(mm, addr, nr, false)) clear_young_dirty_ptes(mm, addr, nr, false);
  }), k.patch('madvise-cold-resched-batch')); // PATCH(madvise-cold-resched-batch): b2f557a21bc8
}

/**
 * The huge PMD branch of mm/madvise.c madvise_cold_or_pageout_pte_range() — 5.4.1, Debian
 * 6.1.192 and 6.12.117 for a THP mapped once: one the range covers in part is split
 * (madvise_split_thp; a THP that cannot be, pinned say, is left as it is) and the range's pages
 * go through the PTE path; a whole one has its PMD made old and is deactivated (COLD: no LRU
 * lists here) or, for PAGEOUT, isolated whole (`isolated`, reclaimed by shrink_large_folio
 * after the PMD lock is dropped).
 * A THP mapped more than once: a partly covered one is skipped in every release; a whole one
 * is skipped from v5.6 (PATCH(madvise-pageout-cow) 12e967fd8e4e, read in 5.6.4) but advised in
 * 5.4.1 (its mapcount test sits in the partial branch there): made old, and for PAGEOUT
 * isolated and reclaimed (shrink_large_folio: without swap it is split, in every process).
 * MODEL: 6.12.117's PAGEOUT leaves the PMD's accessed bit set (only COLD clears it there); the
 * model clears it for both, and nothing in the model reads it.
 */
function* cold_or_pageout_huge_pmd(
  k: Kctx, vma: vm_area_struct, haddr: number, entry: number, lo: number, hi: number, isolated: { addr: number; page: number }[] | null,
): KThread<number> {
  const site = 'mm/madvise.c:madvise_cold_or_pageout_pte_range';
  const c = huge_leaf_checks(k, entry, site);
  if (c !== null) return c;
  const m = k.m;
  const head = pte_pfn(entry);
  const whole = hi - lo === PMD_SIZE;
  // PATCH(madvise-pageout-cow) 12e967fd8e4e: the mapcount test before the partial-range branch; 5.4.1 has it
  // only there, so a whole THP mapped more than once is advised.
  if (page_mapcount(m, head) !== 1 && (!whole || k.patch('madvise-pageout-cow'))) return WALK_DONE;
  if (!whole) return (yield* madvise_split_thp(k, head, site, 'sleep')) ? WALK_PTES : WALK_DONE;
  if (pte_young(entry)) set_pmd_at(vma.vm_mm, haddr, pte_mkold(entry));
  const s = m.mem.slot_of(head);
  if (isolated !== null && m.mem.s_flags[s] & PG_lru) {
    // isolate_lru_page(): off the LRU, with a reference of its own.
    m.mem.s_flags[s] &= ~PG_lru;
    get_page(m, head);
    isolated.push({ addr: haddr, page: head });
  }
  return WALK_DONE;
}

/**
 * can_do_pageout() (5.4.1, 6.1.192) / can_do_file_pageout() (6.12.117) for a file VMA: the caller
 * owns the file (inode_owner_or_capable: fsuid is i_uid, or CAP_FOWNER) or could open it for
 * writing (inode_permission(MAY_WRITE): the write bit of the caller's class in i_mode, or
 * CAP_DAC_OVERRIDE) — the inode's permissions, not the mode the file was opened with. Null when
 * the model does not know the owner.
 * MODEL: a file on a mount (the set-up's files, device nodes) belongs to root, who created it;
 * a file created at run time (memfd, shmem) has no recorded owner; the caller's class is owner
 * or other (no groups); fsuid is euid; CAP_FOWNER is not modelled (no task holds it).
 */
function can_do_file_pageout(k: Kctx, f: file): boolean | null {
  if (capable(k, CAP_DAC_OVERRIDE)) return true;
  const i = f.f_inode;
  if (![...k.m.mounts.values()].includes(i.i_sb)) return null;
  if (get_current(k).cred.euid === 0) return true;
  return (i.i_mode & 0o002) !== 0;
}

/** madvise_pageout(vma, start, end): see the file header. */
export function* madvise_pageout(k: Kctx, vma: vm_area_struct, start: number, end: number): KThread<number> {
  if (!can_madv_lru_vma(vma)) return lru_refused(k, vma, 'MADV_PAGEOUT');
  // can_do_pageout() (5.4.1, 6.1.192) / can_do_file_pageout() (6.12.117): anonymous VMAs always;
  // file-backed ones when the caller owns the file or may write it.
  if (!vma_is_anonymous(vma)) {
    const f = vma.vm_file;
    const site = 'mm/madvise.c:madvise_pageout';
    if (f === null) return unsupported(k, site, 'MADV_PAGEOUT of a special mapping (no vm_file)');
    const can = can_do_file_pageout(k, f);
    if (can === null) return unsupported(k, site, 'MADV_PAGEOUT of a file created at run time (memfd, shmem) by a caller without CAP_DAC_OVERRIDE: its owner is not modelled');
    // 5.4.1 / 6.1.192: can_do_pageout() false → 0, nothing done. 6.12.117 returns 0 at once for a
    // shared mapping only; for a private one it walks the range and reclaims its anonymous (COW)
    // folios alone (pageout_anon_only_filter). Each of those is swap-backed and, with no swap
    // device, kept where it was (shrink_page): the end state is 6.1's, so the model returns here.
    if (!can) return 0;
  }
  const m = k.m;
  const mm = vma.vm_mm;
  const isolated: { addr: number; page: number }[] = [];
  return yield* walk_ptes(k, vma, start, end, 'mm/madvise.c:madvise_cold_or_pageout_pte_range', (addr, pte, page) => {
    const s = m.mem.slot_of(page);
    if (!(m.mem.s_flags[s] & PG_lru) || shared_skipped(k, page)) return;
    if (pte_young(pte)) set_pte_at(mm, addr, pte_mkold(pte));
    // isolate_lru_page(): off the LRU, with a reference of its own.
    m.mem.s_flags[s] &= ~PG_lru;
    get_page(m, page);
    isolated.push({ addr, page });
  }, function* () {
    // reclaim_pages() → shrink_folio_list(), after the PTE lock is dropped: a cond_resched()
    // before each folio; meanwhile another CPU can pin, write or unmap the pages not
    // reclaimed yet (each unmap below takes the PTE lock again through the rmap walk).
    const list = isolated.splice(0);
    for (let n = 0; n < list.length; n++) {
      yield* cond_resched(k, 'mm/vmscan.c:shrink_folio_list', list.slice(n).map((p) => `${p.page}@${p.addr}`).join(','));
      yield* shrink_page(k, vma, list[n].addr, list[n].page);
    }
  }, (haddr, entry, a, b) => cold_or_pageout_huge_pmd(k, vma, haddr, entry, a, b, isolated),
  (base, i, end, pte, page) => pte_large_folio(k, vma, 'pageout', 'mm/madvise.c:madvise_cold_or_pageout_pte_range', base, i, end, pte, page, (addr, nr, head) => {
    void nr;
    // 6.10+: a folio the batch covers whole, on the LRU and mapped here only, is isolated as one
    // (its accessed bits stay: PAGEOUT clears them only in the small-page path of older trees).
    const hs = m.mem.slot_of(head);
    if (!(m.mem.s_flags[hs] & PG_lru) || folio_mapcount(m, head) !== folio_nr_pages(m, head)) return;
    m.mem.s_flags[hs] &= ~PG_lru;
    get_page(m, head);
    isolated.push({ addr, page: head });
  }), k.patch('madvise-cold-resched-batch')); // PATCH(madvise-cold-resched-batch): b2f557a21bc8
}

/**
 * shrink_page_list / shrink_folio_list for one isolated order-0 page mapped once at
 * addr (reclaim_pages from MADV_PAGEOUT): see the file header. Ends with the page freed
 * or put back on the LRU (the isolation reference dropped either way).
 */
function* shrink_page(k: Kctx, vma: vm_area_struct, addr: number, page: number): KThread<void> {
  const m = k.m;
  const s = m.mem.slot_of(page);
  const putback = (): void => {
    m.mem.s_flags[m.mem.slot_of(page)] |= PG_lru;
    put_page(m, page);
  };
  // folio_trylock() (trylock_page() in 5.4.1) first: a folio another thread holds locked (a
  // madvise split of it in progress) is kept as it is.
  if (folio_test_locked(m, page)) return putback();
  if (!PageAnon(m, page)) return yield* shrink_file_page(k, vma, page, putback);
  if (folio_order(m, page) > 0) return yield* shrink_large_folio(k, vma, addr, page, putback);
  // A swap-backed anonymous page needs swap space (add_to_swap): none, so it is kept.
  if (m.mem.s_flags[s] & PG_swapbacked) return putback();
  if (folio_mapcount(m, page) !== 1) {
    // 5.4.1 isolates a lazy-free page a fork child maps too (no madvise-pageout-cow).
    unsupported(k, 'mm/rmap.c:try_to_unmap', 'reclaim of a lazy-free page mapped by more than one process (the rmap walk over every mapping)');
    return putback();
  }
  // try_to_unmap_one(): the PTE goes; its dirty bit moves to the page.
  const mm = vma.vm_mm;
  const pteval = pte_at(mm, addr);
  set_pte_at(mm, addr, 0);
  if (pte_dirty(pteval)) SetPageDirty(m, page);
  // PATCH(madvise-free-refcount): 6c8e2a256915 also requires no reference but isolation + mappings.
  const unreferenced = !k.patch('madvise-free-refcount') || page_ref_count(m, page) === 1 + folio_mapcount(m, page);
  if (!unreferenced || PageDirty(m, page)) {
    // Re-dirtied (or, with the patch, referenced): mapped again and swap-backed.
    set_pte_at(mm, addr, pteval);
    m.mem.s_flags[s] |= PG_swapbacked;
    return putback();
  }
  // discard: the mapping and its reference go.
  page_remove_rmap(k, page, vma, false);
  put_page(m, page);
  m.event(k.tid, 'lazyfree-discard', [page_label(page), `vma:${vma.id}`], 'mm/rmap.c:try_to_unmap_one', `0x${addr.toString(16)}`);
  // try_to_unmap() drops the PTE lock here; the page is freed later (the freeze below).
  // Meanwhile a fault on another CPU finds the entry empty and maps a new frame while the
  // old one is still allocated (the soundness test found the merged step hid that).
  yield* race_window(k, 'mm/vmscan.c:shrink_folio_list:after-unmap', `${page}`);
  // page_ref_freeze(page, 1): only the isolation reference may be left, or the page is kept.
  if (page_ref_count(m, page) !== 1) return putback();
  put_page(m, page);
}

/**
 * shrink_page_list (5.4.1) / shrink_folio_list (Debian 6.1.192, 6.12.117) for an isolated
 * anonymous THP mapped once by the PMD at haddr (MADV_PAGEOUT of a whole THP), or by the PTEs
 * from haddr on (6.10+: a whole PTE-mapped folio, pte_large_folio):
 * - swap-backed (not lazy-free): it needs swap. A pinned or otherwise referenced folio is kept
 *   whole (6.1.192 / 6.12.117 test folio_maybe_dma_pinned first; every release then needs
 *   can_split_folio, which any extra reference fails); else add_to_swap fails (no swap device),
 *   so the folio is split (split_folio_to_list: PMD → 512 PTEs of 512 order-0 pages, same frames
 *   and data; 6.12.117 maps zero-filled pieces to the shared zero page) and every piece, failing
 *   add_to_swap in turn, goes back to the LRU. The process keeps its memory, no longer as a THP.
 * - lazy-free (MADV_FREE before, clean since): try_to_unmap with TTU_SPLIT_HUGE_PMD splits the
 *   PMD into PTEs (the folio stays large) and unmaps them one by one as for a small page:
 *   5.4.1 drops each clean one whatever the folio's references; PATCH(madvise-free-refcount)
 *   (6.1.192, 6.12.117) only while the folio's references are exactly the isolation one plus
 *   its mappings — a pin stops it at the first PTE, which is mapped again, and the folio becomes
 *   swap-backed, mapped by PTEs. A re-dirtied folio is kept alike. Once unmapped, the folio is
 *   freed when only the isolation reference is left (page_ref_freeze), else kept for its
 *   holders (5.4.1: the pin holder's frames, no longer mapped by the process).
 */
function* shrink_large_folio(k: Kctx, vma: vm_area_struct, haddr: number, head: number, putback: () => void): KThread<void> {
  const m = k.m;
  const s = m.mem.slot_of(head);
  const mm = vma.vm_mm;
  if (m.mem.s_flags[s] & PG_swapbacked) {
    if (page_count(m, head) !== folio_mapcount(m, head) + 1) return putback();
    const pieces = split_huge_page_to_list(k, head);
    if (typeof pieces === 'number') return putback();
    // Each piece, isolated on the list with a reference, fails add_to_swap and is put back.
    for (const p of pieces) {
      m.mem.s_flags[m.mem.slot_of(p)] |= PG_lru;
      put_page(m, p);
    }
    return;
  }
  if (typeof mm.pgd.pmd.get(haddr / PMD_SIZE) === 'number') __split_huge_pmd(k, vma, haddr);
  const n = folio_nr_pages(m, head);
  for (let i = 0; i < n; i++) {
    const addr = haddr + i * PAGE_SIZE;
    const pteval = pte_at(mm, addr);
    if (pteval === 0 || pte_pfn(pteval) !== head + i) continue;
    set_pte_at(mm, addr, 0);
    if (pte_dirty(pteval)) SetPageDirty(m, head);
    // PATCH(madvise-free-refcount): 6c8e2a256915 also requires no reference but isolation + mappings.
    const unreferenced = !k.patch('madvise-free-refcount') || page_count(m, head) === 1 + folio_mapcount(m, head);
    if (!unreferenced || PageDirty(m, head)) {
      set_pte_at(mm, addr, pteval);
      m.mem.s_flags[s] |= PG_swapbacked;
      break;
    }
    page_remove_rmap(k, head + i, vma, false);
    put_page(m, head);
  }
  if (folio_mapcount(m, head) > 0) return putback();
  m.event(k.tid, 'lazyfree-discard', [page_label(head), `vma:${vma.id}`], 'mm/rmap.c:try_to_unmap_one', `0x${haddr.toString(16)}`);
  // The PTE lock is dropped before the freeze, as for a small page.
  yield* race_window(k, 'mm/vmscan.c:shrink_folio_list:after-unmap', `${head}`);
  if (page_count(m, head) !== 1) return putback();
  put_page(m, head);
}

/**
 * shrink_page_list / shrink_folio_list for an isolated page-cache page (see the file header):
 * shmem and memfd pages are swap-backed (no swap: kept); any other file page is unmapped from
 * every mapping of the file (try_to_unmap: the PTE dirty bits move to the page); a dirty page is
 * then kept (reclaim outside kswapd does not write file pages back: PG_reclaim, activated), and a
 * clean one leaves the page cache and is freed unless someone else holds a reference
 * (__remove_mapping freezes the count at the cache's and the isolation's: a pin or a pipe
 * buffer keeps it, in the cache, unmapped).
 * MODEL: buffer heads are not modelled (a clean ext4 page's are always releasable).
 */
function* shrink_file_page(k: Kctx, vma: vm_area_struct, page: number, putback: () => void): KThread<void> {
  const m = k.m;
  const mapping = page_mapping(m, page);
  if (vma_is_shmem(vma) || mapping === null) return putback();
  const index = m.mem.s_index[m.mem.slot_of(page)];
  unmap_mapping_pages_now(k, mapping, index, 1, false);
  m.event(k.tid, 'pageout-unmap', [page_label(page), `file:${mapping.host.path}`], 'mm/rmap.c:try_to_unmap', index);
  // The PTE locks are dropped: a fault on another CPU may map the page again before the freeze.
  yield* race_window(k, 'mm/vmscan.c:shrink_folio_list:file-after-unmap', `${page}`);
  if (PageDirty(m, page) || page_mapcount(m, page) > 0) return putback();
  // __remove_mapping(): the cache's and the isolation's references only.
  if (page_ref_count(m, page) !== 2 || mapping.i_pages.get(index) !== page) return putback();
  delete_from_page_cache(k, mapping, index);
  put_page(m, page);
}

/** madvise_willneed(vma, start, end): see the file header. */
export function* madvise_willneed(k: Kctx, vma: vm_area_struct, start: number, end: number): KThread<number> {
  void start;
  void end;
  const f = vma.vm_file;
  if (f === null || vma_is_shmem(vma) || IS_DAX(f.f_inode)) return 0;
  return unsupported(k, 'mm/madvise.c:madvise_willneed', 'page-cache readahead (vfs_fadvise POSIX_FADV_WILLNEED) is not modelled');
}

/**
 * madvise_remove(vma, start, end): see the file header. Called with mmap_lock held for
 * read; drops it around the hole punch and takes it again (the caller looks the next VMA
 * up afresh, as the kernel does when *prev is NULL).
 */
export function* madvise_remove(k: Kctx, mm: mm_struct, vma: vm_area_struct, start: number, end: number): KThread<number> {
  const site = 'mm/madvise.c:madvise_remove';
  if (vma.vm_flags & VM_LOCKED) return errno_reason(k, -EINVAL, site, 'MADV_REMOVE on an mlocked (VM_LOCKED) VMA');
  const f = vma.vm_file;
  if (f === null) return errno_reason(k, -EINVAL, site, 'MADV_REMOVE on an anonymous mapping (it punches a hole in the backing file)');
  // PATCH(vma-shared-maywrite): e8e17ee90eaf asks for VM_MAYWRITE (may become writable), not VM_WRITE.
  const maywrite = k.patch('vma-shared-maywrite');
  const want = VM_SHARED | (maywrite ? VM_MAYWRITE : VM_WRITE);
  if ((vma.vm_flags & want) !== want) {
    return errno_reason(k, -EACCES, site, !(vma.vm_flags & VM_SHARED) ? 'MADV_REMOVE on a private file mapping (needs MAP_SHARED)' : `MADV_REMOVE on a shared mapping without ${maywrite ? 'VM_MAYWRITE (the file is not open for writing)' : 'VM_WRITE (PROT_WRITE)'}`);
  }
  const offset = start - vma.vm_start + vma.vm_pgoff * PAGE_SIZE;
  get_file(f);
  up_read(k, mm.mmap_lock, site);
  const error = yield* vfs_fallocate(k, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, end - start);
  yield* fput(k, f);
  yield* down_read(k, mm.mmap_lock, site);
  return error;
}

/** vfs_fallocate(file, mode, offset, len) (fs/open.c) for a punch-hole request from the kernel. */
function* vfs_fallocate(k: Kctx, f: file, mode: number, offset: number, len: number): KThread<number> {
  if (offset < 0 || len <= 0) return -EINVAL;
  if (!(f.f_mode & FMODE_WRITE)) return -EBADF;
  if (!S_ISREG(f.f_inode.i_mode)) return -ENODEV;
  if (!f.f_op.fallocate) return -EOPNOTSUPP;
  return yield* f.f_op.fallocate(k, f, mode, offset, len);
}
