/**
 * MODEL (speed only): the shortcuts and caches of the GUP walk (mm/gup.c), kept apart
 * from gup.ts so that gup.ts reads as the kernel's walk:
 * - gcfg(): the patches the per-page paths test, read once per profile;
 * - faultin_anon_page_quick(): faultin_page() of a first touch of anonymous memory as a
 *   plain function;
 * - gup_pte_run(): __get_user_pages() iterations between two scheduling points of a
 *   thread that runs alone (Sched.alone: no other live thread, no hook watching between
 *   its steps), as a plain loop;
 * - gup_pin_huge_run(): the pins of whole MAP_DMA batches over huge leaves (VFIO).
 * Each function states which page-by-page sequence it stands for and why the end state
 * is the same; each is tested against that sequence (tests/unit/linux/mm/gup-speed.test.ts,
 * tests/unit/linux/drivers/vfio_collapse.test.ts, and the soundness tests' reference
 * atomicity, which never takes them).
 */
import type { Kctx } from '../kctx.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, _PAGE_DEVMAP, _PAGE_PRESENT, _PAGE_RW, _PAGE_SPECIAL, pte_flags, pte_pfn } from '../include/linux/mm_types.js';
import {
  FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE, PageReserved, compound_head, folio_order, is_longterm_pinnable_page, pfn_valid, pt_walk, vma_lookup,
} from '../include/linux/mm.js';
import { FOLL_LONGTERM, FOLL_NOFAULT, FOLL_PIN, FOLL_REMOTE, FOLL_TRIED, FOLL_WRITE } from '../include/linux/foll.js';
import { fatal_signal_pending, fine_atomicity } from '../kernel/sched.js';
import { anon_pte_fault_quick, vm_fault_to_errno } from './memory.js';
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
  for (; j < max; j++) {
    const addr = start + j * PAGE_SIZE;
    if (addr >= vma.vm_end || fatal_signal_pending(k)) break;
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
  }
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
