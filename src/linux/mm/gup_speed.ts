/**
 * MODEL (speed only): the shortcuts and caches of the GUP walk (mm/gup.c), kept apart
 * from gup.ts so that gup.ts reads as the kernel's walk:
 * - gcfg(): the patches the per-page paths test, read once per profile;
 * - faultin_anon_page_quick(): faultin_page() of a first touch of anonymous memory as a
 *   plain function;
 * - gup_pte_run(): __get_user_pages() iterations between two scheduling points of a
 *   thread that runs alone (Sched.alone: no other live thread, no hook watching between
 *   its steps), as a plain loop;
 * - pte_table_run() (inside gup_pte_run): the pins of a run of plain present PTEs and the
 *   first-touch write faults of a run of none anonymous PTEs of one PTE table, in one loop;
 * - gup_fast_pte_run(): the lockless walk's plain PTE entries of one table, in one loop;
 * - unpin_pages_run(): unpin_user_page_range_dirty_lock() one page at a time, for a run of
 *   order-0 pages that keep references (VFIO's put_pfn_range, iommufd's unpin_unused);
 * - gup_pin_huge_run(): the pins of whole MAP_DMA batches over huge leaves (VFIO).
 * Each function states which page-by-page sequence it stands for and why the end state
 * is the same; each is tested against that sequence (tests/unit/linux/mm/gup-speed.test.ts,
 * gup_fast-alone.test.ts, alloc-run.test.ts, tests/unit/linux/drivers/vfio_collapse.test.ts,
 * and the soundness tests' reference atomicity, which never takes them).
 */
import type { Kctx } from '../kctx.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import type { pte_table } from '../include/linux/mm_types.js';
import {
  PAGE_SIZE, PMD_SIZE, PUD_SIZE, PTRS_PER_PTE, PG_anon, PG_anon_exclusive, PG_dirty, PG_lru, PG_reserved, PG_swapbacked, PG_uptodate, PG_zero, _PAGE_DEVMAP, _PAGE_DIRTY,
  _PAGE_PRESENT, _PAGE_RW, _PAGE_SPECIAL, _PAGE_USER, SlotRun, log_key, mk_pte, pte_flags, pte_mkdirty, pte_mkwrite, pte_pfn,
} from '../include/linux/mm_types.js';
import {
  FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE, PageReserved, VM_HUGETLB, VM_SHARED, VM_WRITE, compound_head, folio_order, is_longterm_pinnable_page, pfn_valid, pt_walk, vma_lookup,
} from '../include/linux/mm.js';
import { FOLL_GET, FOLL_LONGTERM, FOLL_NOFAULT, FOLL_PIN, FOLL_REMOTE, FOLL_TOUCH, FOLL_TRIED, FOLL_WRITE, GUP_PIN_COUNTING_BIAS } from '../include/linux/foll.js';
import { GFP_HIGHUSER_MOVABLE } from '../include/linux/gfp.js';
import { fatal_signal_pending, fine_atomicity } from '../kernel/sched.js';
import { anon_pte_fault_quick, vm_fault_to_errno, vma_page_prot } from './memory.js';
import { alloc_pages_run } from './page_alloc.js';
import { anon_vma_prepare, linear_page_index } from './rmap.js';
import { NO_PAGE, check_vma_flags, follow_page_mask, gup_put_folio, mm_set_has_pinned_flag, try_grab_page } from './gup.js';
import type { follow_page_context, page_array, vma_array } from './gup.js';

/**
 * faultin_page() for a page the walk found unmapped (follow_page_mask() gave NO_PAGE),
 * when handle_mm_fault() is a first touch of private anonymous memory under an existing
 * PTE table (memory.ts anon_pte_fault_quick). faultin_page() builds the fault flags from
 * gup_flags (of which do_anonymous_page() reads only FAULT_FLAG_WRITE), and
 * do_anonymous_page() returns 0, VM_FAULT_OOM or VM_FAULT_SIGBUS, which faultin_page()
 * turns into 0 or the errno vm_fault_to_errno() gives (no VM_FAULT_WRITE, RETRY or
 * COMPLETED arises). Not taken with FOLL_NOFAULT (faultin_page() refuses), FOLL_TRIED
 * (5.4's warning on TRIED with ALLOW_RETRY) or in the reference atomicity (the walk's
 * `ptl-dropped` point before the fault). Returns 0 when the page was faulted in (the walk
 * follows it again, as its `goto retry` does), an errno when the fault failed (the walk
 * stops with it), or null when this is not the case (the walk calls faultin_page()).
 */
export function faultin_anon_page_quick(k: Kctx, vma: vm_area_struct, address: number, gup_flags: number): number | null {
  if (gup_flags & (FOLL_NOFAULT | FOLL_TRIED) || fine_atomicity(k)) return null;
  let fault_flags = 0;
  if (gup_flags & FOLL_WRITE) fault_flags |= FAULT_FLAG_WRITE;
  if (gup_flags & FOLL_REMOTE) fault_flags |= FAULT_FLAG_REMOTE;
  const ret = anon_pte_fault_quick(k, vma, address, fault_flags);
  if (ret === null || ret === 0) return ret;
  const err = vm_fault_to_errno(ret, gup_flags);
  if (err === 0) throw new Error(`pinlab bug: do_anonymous_page returned 0x${ret.toString(16)}`);
  return err;
}

/**
 * The patches the per-page paths test, read once per profile (the hot loops below
 * consult this record instead of looking each patch up per page; each field names
 * its patch, and each use is tagged PATCH(id) as usual).
 */
export interface gup_cfg {
  readonly pin_api: boolean; // pin-user-pages-api
  readonly pin_counting: boolean; // foll-pin-counting
  readonly hpage_pincount: boolean; // foll-pin-hpage-pincount
  readonly zero_no_pin: boolean; // gup-zero-page-no-pin
  readonly cow_removed: boolean; // gup-foll-cow-removed
  readonly unshare: boolean; // gup-anon-exclusive-unshare
  readonly movable: boolean; // gup-migrate-movable-zone
  readonly fatal: boolean; // gup-fatal-signals
  readonly dax_in_vma: boolean; // gup-dax-check-in-vma-flags
  readonly hugetlb_bulk: boolean; // hugetlb-grab-refs-once
  readonly thp_increm: boolean; // gup-thp-page-increm
  readonly cow_break: boolean; // gup-cow-break-read without gup-remove-enforced-cow
}
/** The record is kept on the machine (all state lives in the Machine; a profile never changes in a run). */
export function gcfg(k: Kctx): gup_cfg {
  let c = k.m.gup_cfg as gup_cfg | null;
  if (c === null) {
    c = {
      // PATCH(pin-user-pages-api) eddb1c228f79: cached for the per-page paths
      pin_api: k.patch('pin-user-pages-api'),
      // PATCH(foll-pin-counting) 3faa52c03f44: cached for the per-page paths
      pin_counting: k.patch('foll-pin-counting'),
      // PATCH(foll-pin-hpage-pincount) 47e29d32afba: cached for the per-page paths
      hpage_pincount: k.patch('foll-pin-hpage-pincount'),
      // PATCH(gup-zero-page-no-pin) c8070b787519: cached for the per-page paths
      zero_no_pin: k.patch('gup-zero-page-no-pin'),
      // PATCH(gup-foll-cow-removed) 5535be309971: cached for the per-page paths
      cow_removed: k.patch('gup-foll-cow-removed'),
      // PATCH(gup-anon-exclusive-unshare) a7f226604170: cached for the per-page paths
      unshare: k.patch('gup-anon-exclusive-unshare'),
      // PATCH(gup-migrate-movable-zone) d1e153fea2a8: cached for the per-page paths
      movable: k.patch('gup-migrate-movable-zone'),
      // PATCH(gup-fatal-signals) 71335f37c5e8: cached for the per-page paths (STAND-IN for the -ERESTARTSYS → -EINTR errno, see the registry entry)
      fatal: k.patch('gup-fatal-signals'),
      // PATCH(gup-dax-check-in-vma-flags) 52650c8b466b: cached for the per-page paths
      dax_in_vma: k.patch('gup-dax-check-in-vma-flags'),
      // PATCH(hugetlb-grab-refs-once) 0fa5bc4023c1: cached for the per-page paths
      hugetlb_bulk: k.patch('hugetlb-grab-refs-once'),
      // PATCH(gup-thp-page-increm) 57edfcfd3419: cached for the per-page paths
      thp_increm: k.patch('gup-thp-page-increm'),
      // PATCH(gup-cow-break-read) 17839856fd58: cached for the per-page paths
      // PATCH(gup-remove-enforced-cow) a308c71bf1e6: the forced COW break is gone again
      cow_break: k.patch('gup-cow-break-read') && !k.patch('gup-remove-enforced-cow'),
    };
    k.m.gup_cfg = c;
  }
  return c;
}

/**
 * MODEL (speed only): the next iterations of __get_user_pages() for pages that follow as
 * one PTE each, as a plain loop (a loop inside a generator runs slowly). For each of at
 * most `max` pages from `start` it does what an iteration does when follow_page_mask()
 * finds the page at once: the fatal-signal test, the follow with the walk's own flags
 * (each iteration starts from gup_flags), and the pages/vmas entries. It stops before a
 * page outside the VMA or with a fatal signal pending (the walk handles those), and at
 * the first follow that is not a one-page success (after faultin_anon_page_quick() for
 * a first touch of anonymous memory, which stands for faultin_page() and the retry's
 * follow): that result is left in ctx.pending
 * for the walk's next iteration, which would have made the same call (the caller keeps
 * `max` below the next scheduling point, so nothing runs in between). Returns the
 * number of pages done.
 */
export function gup_pte_run(
  k: Kctx, vma: vm_area_struct, start: number, max: number, gup_flags: number,
  pages: page_array | null, at: number, vmas: vma_array | null, vat: number, ctx: follow_page_context,
): number {
  let j = 0;
  const tableRuns = pte_table_run_ok(k, vma, gup_flags);
  while (j < max) {
    const addr = start + j * PAGE_SIZE;
    if (addr >= vma.vm_end || fatal_signal_pending(k)) break;
    if (tableRuns) {
      // The pages of this PTE table that need no more than the plain cases (pte_table_run()).
      const n = pte_table_run(k, vma, addr, max - j, gup_flags, pages, at + j, vmas, vat + j);
      if (n > 0) {
        j += n;
        continue;
      }
    }
    let page = follow_page_mask(k, vma, addr, gup_flags, ctx);
    if (page === NO_PAGE) {
      // A first touch of anonymous memory, faulted in without the generator path (above).
      const f = faultin_anon_page_quick(k, vma, addr, gup_flags);
      if (f === 0) page = follow_page_mask(k, vma, addr, gup_flags, ctx);
      else if (f !== null) page = f;
    }
    if (page < 0 || ctx.page_mask !== 0) {
      ctx.pending = page;
      ctx.has_pending = true;
      break;
    }
    if (pages) pages[at + j] = page;
    if (vmas) vmas[vat + j] = vma;
    j++;
  }
  return j;
}

/**
 * May gup_pte_run() take pte_table_run() for this walk? Only where an iteration over a
 * plain PTE has no effect but the reference it takes: no object events (try_grab_page and
 * the fault record one per page), not the reference atomicity, pins counted (5.7+), not
 * FOLL_GET and FOLL_PIN together (follow_page_mask's warning), not hugetlb.
 */
function pte_table_run_ok(k: Kctx, vma: vm_area_struct, gup_flags: number): boolean {
  return !k.m.recordEvents && !fine_atomicity(k) && gcfg(k).pin_counting && (gup_flags & (FOLL_PIN | FOLL_GET)) !== (FOLL_PIN | FOLL_GET) &&
    !(vma.vm_flags & VM_HUGETLB);
}

/** Scratch arrays of pte_table_run() (one PTE table's pages at most). */
const runPfns: number[] = new Array<number>(PTRS_PER_PTE).fill(0);
const runSlots: number[] = new Array<number>(PTRS_PER_PTE).fill(0);

/**
 * MODEL (speed only): the next iterations of gup_pte_run() inside the PTE table that maps
 * `addr`, at most `max` pages, for the pages that are one of two plain cases:
 * - a present, writable, normal PTE (not special, not devmap; dirty when FOLL_TOUCH |
 *   FOLL_WRITE would dirty the page) of an order-0 page with references: follow_page_mask()
 *   returns the pfn after try_grab_page() takes FOLL_GET's reference or FOLL_PIN's
 *   GUP_PIN_COUNTING_BIAS, and nothing else (page_mask 0);
 * - for a write walk that may fault, a none PTE of a private anonymous VMA that is
 *   writable: faultin_anon_page_quick() → do_anonymous_page() allocates an order-0 page,
 *   makes it an exclusive anon page mapped once by a writable dirty PTE, and the retry's
 *   follow is the first case. The allocations of a run of such PTEs are made at once
 *   (alloc_pages_run(), which gives what the calls one by one give, or nothing), and
 *   anon_vma_prepare() once (every call after the first finds the anon_vma).
 * It stops at the first page that is neither (or whose allocation alloc_pages_run() leaves
 * to the calls one by one), which gup_pte_run() then takes page by page. The mem_map
 * journal sees the slots the page-by-page walk resolves (try_grab_page's; each new
 * folio's); the page-table journal the table's key (a set: once per run). Returns the pages done.
 */
function pte_table_run(
  k: Kctx, vma: vm_area_struct, addr: number, max: number, gup_flags: number,
  pages: page_array | null, at: number, vmas: vma_array | null, vat: number,
): number {
  const mm = vma.vm_mm;
  const key = Math.floor(addr / PMD_SIZE);
  const t = mm.pgd.pmd.get(key);
  if (t === undefined || typeof t === 'number') return 0;
  const i0 = Math.floor(addr / PAGE_SIZE) - key * PTRS_PER_PTE;
  const lim = Math.min(max, PTRS_PER_PTE - i0, Math.floor((vma.vm_end - addr) / PAGE_SIZE));
  const mem = k.m.mem;
  const pte = t.pte;
  const write = (gup_flags & FOLL_WRITE) !== 0;
  const grab = gup_flags & FOLL_GET ? 1 : gup_flags & FOLL_PIN ? GUP_PIN_COUNTING_BIAS : 0;
  const dirtying = write && (gup_flags & FOLL_TOUCH) !== 0;
  // faultin_anon_page_quick() + anon_pte_fault_quick() + do_anonymous_page()'s write path,
  // with a writable VMA (so the retry's follow finds a writable PTE).
  const faults = write && (gup_flags & (FOLL_NOFAULT | FOLL_TRIED)) === 0 && !vma.vm_freed && vma.vm_ops === null &&
    (vma.vm_flags & (VM_SHARED | VM_WRITE)) === VM_WRITE && !mm.pgd.pud.has(Math.floor(addr / PUD_SIZE));
  // The journal's run of slots looked up (peek_slot), recorded at once.
  const run = new SlotRun(mem);
  let j = 0;
  while (j < lim) {
    const e = pte[i0 + j];
    if (e === 0) {
      if (!faults) break;
      run.flush();
      let r = 1;
      while (j + r < lim && pte[i0 + j + r] === 0) r++;
      const got = anon_fault_run(k, vma, t, key, i0 + j, r, grab, pages, at + j, vmas, vat + j);
      j += got;
      if (got < r) break;
      continue;
    }
    const fl = pte_flags(e);
    if ((fl & (_PAGE_PRESENT | _PAGE_RW)) !== (_PAGE_PRESENT | _PAGE_RW) || (fl & (_PAGE_SPECIAL | _PAGE_DEVMAP)) !== 0) break;
    if (dirtying && !(fl & _PAGE_DIRTY)) break;
    const pfn = pte_pfn(e);
    if (grab !== 0) {
      // try_grab_page()'s lookup (journaled, as there).
      const s = mem.peek_slot(pfn);
      run.add(s);
      if (s === 0 || mem.s_ref[s] <= 0 || mem.s_order[s] !== 0 || (mem.s_flags[s] & PG_zero) !== 0) break;
      mem.s_ref[s] += grab;
    }
    if (pages) pages[at + j] = pfn;
    if (vmas) vmas[vat + j] = vma;
    j++;
  }
  run.flush();
  return j;
}

/**
 * The write faults of `n` none PTEs from index i0 of table `t` (pte_table_run()'s second
 * case) and the retry's follow of each, in page order. Returns how many it did (0 when
 * alloc_pages_run() leaves the allocations to the calls one by one).
 */
function anon_fault_run(
  k: Kctx, vma: vm_area_struct, t: pte_table, key: number, i0: number, n: number, grab: number,
  pages: page_array | null, at: number, vmas: vma_array | null, vat: number,
): number {
  const mm = vma.vm_mm;
  const mem = k.m.mem;
  const av = anon_vma_prepare(k, vma);
  const got = alloc_pages_run(k, GFP_HIGHUSER_MOVABLE, n, runPfns, runSlots);
  if (got === 0) return 0;
  // do_anonymous_page(): PG_uptodate | PG_lru; page_add_new_anon_rmap(): anon, its anon_vma
  // and index, one PTE map, and (PATCH(anon-exclusive) 6c287605fd56) exclusive.
  const flags = PG_uptodate | PG_lru | PG_anon | PG_swapbacked | (k.patch('anon-exclusive') ? PG_anon_exclusive : 0);
  const prot = vma_page_prot(vma);
  const base = key * PTRS_PER_PTE * PAGE_SIZE;
  if (mm.pgd.log !== null) log_key(mm.pgd.log, key);
  for (let j = 0; j < got; j++) {
    const pfn = runPfns[j];
    const s = runSlots[j];
    const address = base + (i0 + j) * PAGE_SIZE;
    mem.s_flags[s] |= flags;
    mem.s_mapping[s] = av.id;
    mem.s_index[s] = linear_page_index(vma, address);
    mem.s_map[s] += 1;
    // set_pte_at() of a none entry; then the follow's grab.
    t.pte[i0 + j] = pte_mkwrite(pte_mkdirty(mk_pte(pfn, prot)));
    t.count++;
    mem.s_ref[s] += grab;
    if (pages) pages[at + j] = pfn;
    if (vmas) vmas[vat + j] = vma;
  }
  return got;
}

/**
 * MODEL (speed only): unpin_pages_run(k, pfn, max, make_dirty) is what
 * unpin_user_page_range_dirty_lock(page, 1, make_dirty) (6.1, 6.12) does for each of the
 * pages pfn, pfn + 1, ... (at most `max`), one call per page, while each is an order-0
 * page, not reserved nor the zero page, that keeps references after its pin is dropped:
 * the page is made dirty when asked (set_page_dirty_lock), and gup_put_folio(FOLL_PIN)
 * takes GUP_PIN_COUNTING_BIAS off its refcount. Not with object events (gup_put_folio
 * records one per page) nor before pins were counted (5.4-5.6). Returns how many pages it
 * unpinned (it stops at the first page that is not that case); the caller unpins the rest
 * as before.
 */
export function unpin_pages_run(k: Kctx, pfn: number, max: number, make_dirty: boolean): number {
  if (k.m.recordEvents || !gcfg(k).pin_counting) return 0;
  const mem = k.m.mem;
  const run = new SlotRun(mem);
  let j = 0;
  for (; j < max; j++) {
    // unpin_user_page_range_dirty_lock()'s lookup (journaled, as there: MemMap.touch_run).
    const s = mem.peek_slot(pfn + j);
    run.add(s);
    if (s === 0 || mem.s_order[s] !== 0 || (mem.s_flags[s] & (PG_reserved | PG_zero)) !== 0 || mem.s_ref[s] <= GUP_PIN_COUNTING_BIAS) break;
    if (make_dirty) mem.s_flags[s] |= PG_dirty;
    mem.s_ref[s] -= GUP_PIN_COUNTING_BIAS;
  }
  run.flush();
  return j;
}

/**
 * MODEL (speed only): the next entries of the lockless walk (gup_fast.ts gup_pgd_range) of a
 * thread that runs alone, inside the PTE table that maps `addr`, as a plain loop over the
 * entries that are the plain case: a present, user, writable PTE (not special, not devmap)
 * of an order-0 anonymous page with references, in memory with struct pages, that may stay
 * where it is when FOLL_LONGTERM asks (not CMA; not ZONE_MOVABLE from
 * PATCH(gup-migrate-movable-zone)). For each, the walk's read → grab → re-read is one
 * try_grab_folio_fast() (FOLL_GET: one reference; FOLL_PIN: GUP_PIN_COUNTING_BIAS, or one
 * reference before PATCH(foll-pin-counting)) that gup_fast_folio_allowed() lets through (an
 * anon folio) and no unshare stops (a writable entry), then the page in pages[]; nothing
 * runs between the read and the re-read, so the entry is unchanged. Not with object events
 * (the grab records one per page). Stops at the first other entry, which the walk takes as
 * before. Returns the pages grabbed.
 */
export function gup_fast_pte_run(k: Kctx, mm: mm_struct, addr: number, end: number, flags: number, pages: page_array, at: number): number {
  const m = k.m;
  if (m.recordEvents) return 0;
  const key = Math.floor(addr / PMD_SIZE);
  const t = mm.pgd.pmd.get(key);
  if (t === undefined || typeof t === 'number' || mm.pgd.pud.has(Math.floor(addr / PUD_SIZE))) return 0;
  // try_grab_folio_fast(): the reference a grab takes.
  // PATCH(foll-pin-counting) 3faa52c03f44: as try_grab_folio_fast()
  const counting = k.patch('foll-pin-counting');
  const grab = !counting || flags & FOLL_GET ? 1 : flags & FOLL_PIN ? GUP_PIN_COUNTING_BIAS : 0;
  if (grab === 0) return 0;
  // PATCH(gup-fast-longterm-cma-check) df3a0a21b698: as try_grab_folio_fast()
  const pinCheck = counting && !(flags & FOLL_GET) && (flags & FOLL_LONGTERM) !== 0 && k.patch('gup-fast-longterm-cma-check');
  const mem = m.mem;
  const i0 = Math.floor(addr / PAGE_SIZE) - key * PTRS_PER_PTE;
  const lim = Math.min(PTRS_PER_PTE - i0, (end - addr) / PAGE_SIZE);
  // pte_access_permitted() for a write or a read; a writable entry needs no unshare (gup_must_unshare).
  const need = _PAGE_PRESENT | _PAGE_USER | _PAGE_RW;
  // Region facts (pfn_valid, long-term pinnability) for the region last seen.
  let rlo = 0;
  let rhi = 0;
  let ok = false;
  const run = new SlotRun(mem);
  let j = 0;
  for (; j < lim; j++) {
    const e = t.pte[i0 + j];
    if (e === 0) break;
    const fl = pte_flags(e);
    if ((fl & need) !== need || (fl & (_PAGE_SPECIAL | _PAGE_DEVMAP)) !== 0) break;
    const pfn = pte_pfn(e);
    if (pfn < rlo || pfn >= rhi) {
      const r = mem.region_of(pfn);
      if (r === null) break;
      rlo = r.start_pfn;
      rhi = r.end_pfn;
      ok = pfn_valid(m, pfn) && (!pinCheck || is_longterm_pinnable_page(k, pfn));
    }
    if (!ok) break;
    // The grab's lookup of the folio (journaled, as try_grab_folio_fast()'s: MemMap.touch_run).
    const s = mem.peek_slot(pfn);
    run.add(s);
    if (s === 0 || mem.s_order[s] !== 0 || mem.s_ref[s] <= 0 || (mem.s_flags[s] & (PG_zero | PG_anon)) !== PG_anon) break;
    mem.s_ref[s] += grab;
    pages[at + j] = pfn;
  }
  run.flush();
  return j;
}

/**
 * MODEL (speed only): gup_pin_huge_run(k, mm, start, max, gup_flags, pfn0) is what the
 * successful page-by-page outcome of pin_user_pages_remote(FOLL_LONGTERM) calls over
 * [start, start + n pages) leaves behind, computed per huge leaf instead of per page. It
 * pins only the longest prefix (at most `max` pages; rounded down to a multiple of
 * `quantum` unless it reaches `max`, which the caller makes a multiple of `quantum` or
 * the end of its request) in which every page:
 * - lies in one VMA that check_vma_flags() accepts for gup_flags;
 * - is mapped by a present, writable, normal (not special, not devmap) PMD or PUD leaf of
 *   a large folio with a struct page, so follow_page_mask() finds it without a fault,
 *   without an unshare and with page_mask >= 511;
 * - is not PageReserved and may stay where it is for a long-term pin
 *   (is_longterm_pinnable_page: no migration step);
 * - has the pfn `pfn0` + its index (pfn0 < 0: the first leaf sets it).
 * For those pages each release's walk takes exactly one pin per page, marks written
 * folios dirty and changes nothing else, whatever its batching; this takes the same pins
 * with follow_page_mask() + one bulk grab per leaf. The caller must hold mmap_lock and
 * must only use it where no other thread can run at the scheduling points it skips
 * (Sched.alone). Returns the number of pages pinned (0 when the first page does not
 * qualify: the caller then takes the page-by-page path).
 */
export function gup_pin_huge_run(k: Kctx, mm: mm_struct, start: number, max: number, gup_flags: number, pfn0: number, quantum: number): number {
  const site = 'mm/gup.c:__get_user_pages';
  if (!gcfg(k).pin_counting || (gup_flags & (FOLL_PIN | FOLL_LONGTERM)) !== (FOLL_PIN | FOLL_LONGTERM)) return 0;
  const vma = vma_lookup(mm, start);
  if (vma === null || vma.vm_freed || check_vma_flags(k, vma, gup_flags) !== 0) return 0;
  const m = k.m;
  // Pass 1 (reads only): how far the qualifying run goes.
  let n = 0;
  let expect = pfn0;
  const limit = Math.min(max, Math.floor((vma.vm_end - start) / PAGE_SIZE));
  while (n < limit) {
    const addr = start + n * PAGE_SIZE;
    const w = pt_walk(mm, addr);
    if (w.level === 'pte') break;
    const fl = pte_flags(w.entry);
    if (!(fl & _PAGE_PRESENT) || !(fl & _PAGE_RW) || (fl & (_PAGE_SPECIAL | _PAGE_DEVMAP)) !== 0) break;
    const span = w.level === 'pmd' ? 512 : 512 * 512;
    const idx = Math.floor(addr / PAGE_SIZE) % span;
    const pfn = pte_pfn(w.entry) + idx;
    if (!pfn_valid(m, pfn) || (expect >= 0 && pfn !== expect)) break;
    const head = compound_head(m, pfn);
    if (folio_order(m, head) < 9 || PageReserved(m, head) || !is_longterm_pinnable_page(k, head)) break;
    const take = Math.min(span - idx, limit - n);
    n += take;
    expect = pfn + take;
  }
  if (n < max) n -= n % quantum;
  // Pass 2: the pins, leaf by leaf.
  const ctx: follow_page_context = { page_mask: 0, pending: 0, has_pending: false };
  let done = 0;
  while (done < n) {
    const addr = start + done * PAGE_SIZE;
    const page = follow_page_mask(k, vma, addr, gup_flags, ctx);
    if (page < 0 || ctx.page_mask < 511) throw new Error(`pinlab bug: gup_pin_huge_run: 0x${addr.toString(16)} did not follow as pass 1 found it (${page})`);
    const increm = Math.min(n - done, 1 + (ctx.page_mask - (Math.floor(addr / PAGE_SIZE) % (ctx.page_mask + 1))));
    if (increm > 1 && try_grab_page(k, page + 1, gup_flags, site, increm - 1)) {
      gup_put_folio(k, page, 1, gup_flags, site);
      break;
    }
    done += increm;
  }
  if (done > 0) mm_set_has_pinned_flag(k, mm);
  return done;
}

/**
 * MODEL (speed only): gup_pin_pte_run(k, mm, start, max, gup_flags, pfn0, quantum) is
 * gup_pin_huge_run() for memory mapped by PTEs: what the successful page-by-page outcome
 * of pin_user_pages_remote(FOLL_LONGTERM) calls over [start, start + n pages) leaves
 * behind, computed a PTE table at a time. It pins only the longest prefix (at most `max`
 * pages; rounded down to a multiple of `quantum` unless it reaches `max`) in which every
 * page:
 * - lies in one VMA that check_vma_flags() accepts for gup_flags, not hugetlb;
 * - is mapped by a present, writable, normal (not special, not devmap) PTE, dirty when the
 *   walk would dirty it (FOLL_TOUCH | FOLL_WRITE), so follow_page_mask() finds it without
 *   a fault, an unshare or a set_page_dirty(), with page_mask 0;
 * - is an order-0 page with references, not the zero page, not PageReserved, that may stay
 *   where it is for a long-term pin (is_longterm_pinnable_page: no migration step);
 * - has the pfn `pfn0` + its index (pfn0 < 0: the first page sets it).
 * For those pages each release's walk (5.7+: pins counted) takes exactly one pin per page
 * (try_grab_page: GUP_PIN_COUNTING_BIAS on the refcount), and check_and_migrate_movable_pages()
 * finds nothing to migrate: nothing else changes, whatever the batching. With object events
 * on, the pins go through follow_page_mask() page by page (try_grab_page records each);
 * without, the mem_map journal sees the slots as try_grab_page's lookups would. The caller
 * must hold mmap_lock and must only use it where no other thread can run at the scheduling
 * points it skips (Sched.alone), as for gup_pin_huge_run(). Returns the number of pages
 * pinned (0 when the first page does not qualify: the caller then takes the page-by-page
 * path). Tested against the batches one by one (tests/unit/linux/drivers/vfio_collapse.test.ts).
 */
export function gup_pin_pte_run(k: Kctx, mm: mm_struct, start: number, max: number, gup_flags: number, pfn0: number, quantum: number): number {
  if (!gcfg(k).pin_counting || fine_atomicity(k) || (gup_flags & (FOLL_PIN | FOLL_LONGTERM | FOLL_GET)) !== (FOLL_PIN | FOLL_LONGTERM)) return 0;
  const vma = vma_lookup(mm, start);
  if (vma === null || vma.vm_freed || (vma.vm_flags & VM_HUGETLB) || check_vma_flags(k, vma, gup_flags) !== 0) return 0;
  const m = k.m;
  const mem = m.mem;
  const dirtying = (gup_flags & (FOLL_WRITE | FOLL_TOUCH)) === (FOLL_WRITE | FOLL_TOUCH);
  const need = _PAGE_PRESENT | _PAGE_RW | (dirtying ? _PAGE_DIRTY : 0);
  // Pass 1 (reads only): how far the qualifying run goes.
  const limit = Math.min(max, Math.floor((vma.vm_end - start) / PAGE_SIZE));
  let n = 0;
  let expect = pfn0;
  let first = -1;
  // Region facts (long-term pinnability) for the region last seen.
  let rlo = 0;
  let rhi = 0;
  let ok = false;
  scan: while (n < limit) {
    const addr = start + n * PAGE_SIZE;
    const key = Math.floor(addr / PMD_SIZE);
    const t = mm.pgd.pmd.get(key);
    if (t === undefined || typeof t === 'number' || mm.pgd.pud.has(Math.floor(addr / PUD_SIZE))) break;
    const i0 = Math.floor(addr / PAGE_SIZE) - key * PTRS_PER_PTE;
    const lim = Math.min(limit - n, PTRS_PER_PTE - i0);
    for (let j = 0; j < lim; j++) {
      const e = t.pte[i0 + j];
      const fl = pte_flags(e);
      if ((fl & need) !== need || (fl & (_PAGE_SPECIAL | _PAGE_DEVMAP)) !== 0) break scan;
      const pfn = pte_pfn(e);
      if (expect >= 0 && pfn !== expect) break scan;
      if (pfn < rlo || pfn >= rhi) {
        const r = mem.region_of(pfn);
        if (r === null) break scan;
        rlo = r.start_pfn;
        rhi = r.end_pfn;
        ok = pfn_valid(m, pfn) && is_longterm_pinnable_page(k, pfn);
      }
      if (!ok) break scan;
      const s = mem.peek_slot(pfn);
      if (s === 0 || mem.s_order[s] !== 0 || mem.s_ref[s] <= 0 || (mem.s_flags[s] & (PG_zero | PG_reserved)) !== 0) break scan;
      if (n === 0) first = pfn;
      expect = pfn + 1;
      n++;
    }
  }
  if (n < max) n -= n % quantum;
  if (n === 0) return 0;
  // Pass 2: the pins.
  if (m.recordEvents) {
    const ctx: follow_page_context = { page_mask: 0, pending: 0, has_pending: false };
    for (let j = 0; j < n; j++) {
      const page = follow_page_mask(k, vma, start + j * PAGE_SIZE, gup_flags, ctx);
      if (page < 0 || ctx.page_mask !== 0) throw new Error(`pinlab bug: gup_pin_pte_run: page ${j} did not follow as pass 1 found it (${page})`);
    }
  } else {
    const run = new SlotRun(mem);
    for (let j = 0; j < n; j++) {
      // try_grab_page()'s lookup (journaled, as there) and its pin.
      const s = mem.peek_slot(first + j);
      run.add(s);
      mem.s_ref[s] += GUP_PIN_COUNTING_BIAS;
    }
    run.flush();
  }
  mm_set_has_pinned_flag(k, mm);
  return n;
}

