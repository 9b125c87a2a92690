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
 *
 * MODEL: no swap device; no LRU lists (PG_lru marks a page on "the" LRU, PG_referenced
 * and the active/inactive split are not modelled); PTE-mapped large folios under MADV_FREE /
 * COLD / PAGEOUT (6.12.117 batches them, 5.4.1 and 6.1.192 split them; a lazy-free THP that
 * PAGEOUT could not free on 6.1 / 6.12 is one), 5.4.1's reclaim of a lazy-free page mapped by
 * more than one process, a THP mapped by a PMD and by PTEs, PAGEOUT of a run-time file (memfd, shmem) by
 * a caller without CAP_DAC_OVERRIDE (its owner is not recorded), and WILLNEED readahead of
 * page-cache files are `unsupported`; the per-CPU lazy-free batch (lru_lazyfree) is drained at once; reclaim outside MADV_PAGEOUT (memory pressure) is
 * not modelled.
 */
import type { KThread } from '../../sched/index.js';
import { errno_reason, hex } from '../errno_reason.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import type { file } from '../include/linux/fs.js';
import { FMODE_WRITE, IS_DAX, S_ISREG, fput, get_file } from '../include/linux/fs.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PG_lru, PG_swapbacked, PTRS_PER_PTE, pte_devmap, pte_dirty, pte_mkclean, pte_mkold, pte_pfn, pte_present, pte_young } from '../include/linux/mm_types.js';
import {
  ClearPageDirty, PageAnon, PageDirty, SetPageDirty, VM_HUGETLB, VM_LOCKED, VM_MAYWRITE, VM_PFNMAP, VM_SHARED, VM_WRITE, folio_mapcount, folio_nr_pages, folio_order, get_page, page_count, set_pmd_at,
  is_zone_device_page, page_label, page_mapcount, page_mapping, page_ref_count, pte_at, put_page, set_pte_at, vma_is_anonymous, vma_is_shmem,
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
 * Visit the present PTEs of [start, end) table by table (one step per table: its PTE lock
 * excludes faults, GUP's walk and the rmap walks; cond_resched between tables). A huge
 * leaf goes to `huge` (one step under its PMD lock; no handler: `unsupported`); a
 * PTE-mapped large folio in the range reports `unsupported` and ends the walk.
 * `visit` gets the address, the PTE and its normal page (zone-device and special entries
 * are skipped); `after` runs at the end of each table or leaf, once its lock is dropped
 * (PAGEOUT's reclaim_pages, with scheduling points of its own).
 * The lockless gup-fast walk is not excluded by the PTE lock: MADV_FREE and COLD only
 * clear the dirty and accessed bits, which gup-fast does not test (its re-check of the
 * entry then fails and GUP falls back to the slow path, which waits for the PTE lock),
 * and PAGEOUT changes no entry during the walk.
 */
function* walk_ptes(
  k: Kctx, vma: vm_area_struct, start: number, end: number, site: string,
  visit: (addr: number, pte: number, page: number) => void, after?: () => KThread<void>, huge?: HugeHandler,
): KThread<number> {
  const mm = vma.vm_mm;
  const keys = table_keys(mm, start, end);
  for (let n = 0; n < keys.length; n++) {
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
    for (let i = lo; i < hi; i++) {
      const addr = base + i * PAGE_SIZE;
      const pte = pte_at(mm, addr);
      if (pte === 0 || !pte_present(pte)) continue;
      const page = vm_normal_page(k, vma, addr, pte);
      if (page === null || is_zone_device_page(k.m, page)) continue;
      if (folio_order(k.m, page) > 0) return unsupported(k, site, 'a PTE-mapped large folio in the range is not modelled for this advice');
      visit(addr, pte, page);
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
 * (madvise_free_huge_pmd; madvise_cold_or_pageout_pte_range): the caller takes a reference
 * and drops the PMD lock (a scheduling point: another CPU may pin the folio meanwhile, and
 * then the split fails), splits the folio into order-0 pages mapped by PTEs where the PMD
 * mapped it (split_huge_page_to_list, without a list: the tails go back to the LRU holding
 * one reference per mapping; 6.12.117 maps zero-filled pieces to the shared zero page), and
 * drops its reference. Returns true when the folio was split.
 */
function* madvise_split_thp(k: Kctx, head: number, site: string): KThread<boolean> {
  const m = k.m;
  get_page(m, head);
  yield* race_window(k, `${site}:split_huge_page`, `${head}`);
  const pieces = split_huge_page_to_list(k, head);
  if (typeof pieces === 'number') {
    put_page(m, head);
    return false;
  }
  // The caller's put on the head; without a list the tails drop the one split_huge_page_to_list() gave them.
  for (const p of pieces) put_page(m, p);
  return true;
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
      // Shared with another mapping: its dirty state is not ours to drop.
      if (folio_mapcount(m, page) !== 1) return;
      ClearPageDirty(m, page);
    }
    if (pte_young(pte) || pte_dirty(pte)) set_pte_at(mm, addr, pte_mkclean(pte_mkold(pte)));
    mark_page_lazyfree(k, page);
  }, undefined, (haddr, entry, a, b) => madvise_free_huge_pmd(k, vma, haddr, entry, a, b));
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
  if (hi - lo !== PMD_SIZE) return (yield* madvise_split_thp(k, head, site)) ? WALK_PTES : WALK_DONE;
  ClearPageDirty(m, head);
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
  }, undefined, (haddr, entry, a, b) => cold_or_pageout_huge_pmd(k, vma, haddr, entry, a, b, null));
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
  if (!whole) return (yield* madvise_split_thp(k, head, site)) ? WALK_PTES : WALK_DONE;
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
  }, (haddr, entry, a, b) => cold_or_pageout_huge_pmd(k, vma, haddr, entry, a, b, isolated));
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
 * anonymous THP mapped once by the PMD at haddr (MADV_PAGEOUT of a whole THP):
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
