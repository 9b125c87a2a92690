/**
 * mm/gup.c, the lockless part: get_user_pages_fast(), pin_user_pages_fast(),
 * get_user_pages_fast_only() and their slow-path fallback, per release:
 *   5.4.1 / 5.5-rc5: get_user_pages_fast() + __gup_longterm_unlocked()
 *   5.6.4: internal_get_user_pages_fast(); pin_user_pages_fast() is an alias (eddb1c228f79)
 *   Debian 6.1.192: internal_get_user_pages_fast() + lockless_pages_from_mm()
 *   Debian 6.12.117: gup_fast_fallback() + gup_fast()
 *
 * The lockless walk runs with interrupts disabled in the kernel: no other thread can
 * free the page tables (or the pages it grabbed) under it, but the entries can change:
 * each entry is a scheduling point (gup_pgd_range). It stops at the first entry it
 * cannot handle and leaves the rest to the slow path.
 * MODEL: no NUMA-hinting (protnone) entries, no secretmem, no P2PDMA pages, no
 * hugepd; x86 protection keys are not modelled (pte_access_permitted = present, user,
 * and writable when writing).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { is_longterm_pinnable_page } from '../include/linux/mm.js';
import { WARN_ON_ONCE, unsupported } from '../include/linux/bug.js';
import { EFAULT, EINVAL, EOVERFLOW } from '../include/uapi/linux/errno.js';
import {
  FOLL_FAST_ONLY, FOLL_FORCE, FOLL_GET, FOLL_HONOR_NUMA_FAULT, FOLL_LONGTERM, FOLL_NOFAULT, FOLL_PCI_P2PDMA, FOLL_PIN,
  FOLL_TOUCH, FOLL_UNLOCKABLE, FOLL_WRITE, GUP_PIN_COUNTING_BIAS, foll_names,
} from '../include/linux/foll.js';
import {
  PageAnon, compound_head, folio_order, folio_pincount_add, is_zero_page, page_count, page_label, page_ref_add,
  pfn_valid, pt_walk, vma_is_shmem, find_vma, PageHuge,
} from '../include/linux/mm.js';
import { PAGE_SIZE, TASK_SIZE, _PAGE_USER, pte_devmap, pte_flags, pte_pfn, pte_present, pte_special, pte_write } from '../include/linux/mm_types.js';
import type { mm_struct } from '../include/linux/mm_types.js';
import { get_current } from '../include/linux/sched.js';
import { down_read, up_read } from '../kernel/locking/rwsem.js';
import { fine_atomicity, fine_point, race_window } from '../kernel/sched.js';
import {
  __gup_longterm_locked, foll_unknown_bits, get_user_pages_unlocked, gup_must_unshare, gup_put_folio,
  is_valid_gup_args, mm_set_has_pinned_flag,
} from './gup.js';
import type { page_array } from './gup.js';
import { errno_reason, hex } from '../errno_reason.js';
import { gup_fast_pte_run } from './gup_speed.js';

/** pte_access_permitted(pte, write) (x86): present, user, and writable for a write. */
function pte_access_permitted(pte: number, write: boolean): boolean {
  if (!pte_present(pte)) return false;
  if (!(pte_flags(pte) & _PAGE_USER)) return false;
  return !write || pte_write(pte);
}

/**
 * gup_fast_folio_allowed(folio, flags) (6.12, PATCH(gup-fast-writable-file-longterm),
 * a6e79df92e4a): PIN|LONGTERM|WRITE on a file folio that is not shmem or hugetlb stops
 * the lockless walk (the slow path decides).
 * MODEL: a page-cache folio's mapping is judged through the VMA found at `addr`
 * (the kernel reads folio->mapping; the model's mapping ids name the same file).
 */
function gup_fast_folio_allowed(k: Kctx, mm: mm_struct, addr: number, page: number, flags: number): boolean {
  // PATCH(gup-fast-writable-file-longterm) a6e79df92e4a: gup-fast lets PIN|LONGTERM|WRITE file folios through only before it
  if (!k.patch('gup-fast-writable-file-longterm')) return true;
  if ((flags & (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) !== (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) return true;
  const m = k.m;
  if (PageHuge(m, page)) return true;
  if (PageAnon(m, page)) return true;
  if (is_zero_page(m, page)) return false; // no mapping
  const vma = find_vma(mm, addr);
  if (vma === null || vma.vm_file === null) return false;
  return vma_is_shmem(vma);
}

/**
 * Grab `refs` references on the folio of `page` the way the release's fast path does.
 * 5.4–5.6 try_get_compound_head(): +refs on the head (a plain reference, also for the
 * 5.6 pin aliases). 6.1 try_grab_folio() / 6.12 try_grab_folio_fast(): FOLL_GET +refs;
 * FOLL_PIN: the zero page is returned without a pin (PATCH(gup-zero-page-no-pin)), a
 * folio that may not be pinned long-term fails with FOLL_LONGTERM
 * (PATCH(gup-fast-longterm-cma-check)), else bias or pincount as in try_grab_page().
 * Returns false when the walk must stop here.
 */
function try_grab_folio_fast(k: Kctx, page: number, refs: number, flags: number): boolean {
  const m = k.m;
  const head = compound_head(m, page);
  if (page_count(m, head) <= 0) {
    WARN_ON_ONCE(k, page_count(m, head) < 0, 'mm/gup.c:try_get_folio', 'refcount < 0');
    return false;
  }
  const longterm = (flags & FOLL_LONGTERM) !== 0;
  // PATCH(foll-pin-counting) 3faa52c03f44: a FOLL_PIN grab is a plain reference before it
  if (!k.patch('foll-pin-counting') || flags & FOLL_GET) {
    page_ref_add(m, head, refs);
    for (let i = 0; i < refs; i++) m.event(k.tid, 'gup-pin', [page_label(page + i)], 'mm/gup.c:gup_pte_range', { pin: false, longterm });
    return true;
  }
  if (!(flags & FOLL_PIN)) return false;
  // PATCH(gup-zero-page-no-pin) c8070b787519: the zero page is returned without a pin
  if (k.patch('gup-zero-page-no-pin') && is_zero_page(m, page)) return true;
  // PATCH(gup-fast-longterm-cma-check)
  if (k.patch('gup-fast-longterm-cma-check') && longterm && !is_longterm_pinnable_page(k, head)) return false;
  // PATCH(foll-pin-hpage-pincount) 47e29d32afba: large folios count pins in the pincount
  if (k.patch('foll-pin-hpage-pincount') && folio_order(m, head) > 0) {
    page_ref_add(m, head, refs);
    folio_pincount_add(m, head, refs);
  } else {
    page_ref_add(m, head, refs * GUP_PIN_COUNTING_BIAS);
  }
  for (let i = 0; i < refs; i++) m.event(k.tid, 'gup-pin', [page_label(page + i)], 'mm/gup.c:gup_pte_range', { pin: true, longterm });
  return true;
}

/**
 * gup_pgd_range(start, end, flags, pages, &nr) — the lockless walk over current->mm.
 * Returns the number of pages grabbed (written to pages[pi..]).
 * Interrupts are off in the kernel, so no page table and no page it grabbed can be
 * freed under it, but nothing stops another CPU from changing the entries it reads
 * (MADV_DONTNEED, munmap, truncate and migration clear them under the PTE lock, which
 * this walk does not take): each entry is a scheduling point. Reading an entry,
 * grabbing its folio and re-reading the entry (the walk puts the folio back and stops
 * when it changed: gup_pte_range 5.4.1 .. 6.1.192, gup_fast_pte_range 6.12.117, and the
 * huge-leaf variants) are one step: a change between the read and the grab is undone
 * by the re-check, which the reference atomicity checks by yielding between them.
 */
function* gup_pgd_range(k: Kctx, mm: mm_struct, start: number, end: number, flags: number, pages: page_array, pi: number): KThread<number> {
  let nr = 0;
  let entries = 0;
  let addr = start;
  // MODEL (speed only): a thread that runs alone (Sched.alone: no other live thread, nothing
  // watching between its steps) reads the entries one after another without stopping between
  // them — no other thread exists to change one, so the end state is the one the per-entry
  // points give (the reference atomicity keeps them).
  const alone = k.s.alone(k.tid) && !fine_atomicity(k);
  while (addr < end) {
    if (alone) {
      // The plain PTE entries of this table in one loop (gup_speed.ts gup_fast_pte_run).
      const n = gup_fast_pte_run(k, mm, addr, end, flags, pages, pi + nr);
      if (n > 0) {
        nr += n;
        entries += n;
        addr += n * PAGE_SIZE;
        continue;
      }
    }
    // Before every entry, the first included: what the thread did last (an mmap_lock
    // released by the previous call, say) excludes nothing from this lockless read.
    if (!alone) yield* race_window(k, 'mm/gup.c:gup_pte_range:lockless', `${addr}`);
    const w = pt_walk(mm, addr);
    yield* fine_point(k, 'mm/gup.c:gup_pte_range:grab', `${addr}`);
    const refs = gup_fast_entry(k, mm, addr, end, w.entry, w.level, flags, pages, pi + nr);
    if (refs === 0) break;
    const again = pt_walk(mm, addr);
    if (again.entry !== w.entry || again.level !== w.level) {
      // The entry changed after it was read: put what was grabbed, stop (the slow path takes over).
      for (let i = 0; i < refs; i++) gup_put_folio(k, pages[pi + nr + i] as number, 1, flags, 'mm/gup.c:gup_pte_range');
      break;
    }
    nr += refs;
    entries++;
    addr += refs * PAGE_SIZE;
  }
  // A merged run is one `batch` trace event (the race-window points it skipped), as the slow walk's merged runs are (gup.ts).
  if (alone && entries > 1 && k.s.tracing) k.s.traceBatch('mm/gup.c:gup_pte_range:lockless', entries - 1, { fn: 'mm/gup.c:gup_pgd_range', start: `0x${start.toString(16)}`, pages: nr });
  return nr;
}

/**
 * One entry of the lockless walk: the leaf `entry` (at `level`) read for `addr`; grabs
 * the pages of it that the range covers and records them from pages[at]. Returns how
 * many (0: the walk stops here, nothing held).
 */
function gup_fast_entry(k: Kctx, mm: mm_struct, addr: number, end: number, entry: number, level: string, flags: number, pages: page_array, at: number): number {
  const m = k.m;
  const write = (flags & FOLL_WRITE) !== 0;
  if (!pte_access_permitted(entry, write)) return 0;
  const span = level === 'pte' ? 1 : level === 'pmd' ? 512 : 512 * 512;
  const idx = Math.floor(addr / PAGE_SIZE) % span;
  const page = pte_pfn(entry) + idx;
  // How many pages of this leaf the range covers (gup_huge_pmd/pud: record_subpages).
  const refs = Math.min(span - idx, (end - addr) / PAGE_SIZE);
  if (pte_devmap(entry)) {
    if (flags & FOLL_LONGTERM) return 0;
  } else if (pte_special(entry)) {
    return 0;
  }
  if (!pfn_valid(m, page)) return 0;
  if (refs > 1 && pte_devmap(entry) && folio_order(m, page) === 0) {
    // __gup_device_huge() (5.4.1 .. 6.12.117): one grab per page. The pages under a devmap
    // PMD are separate order-0 folios for fs-DAX and for device-DAX without compound pages;
    // a failure puts back what this leaf took (undo_dev_pagemap).
    let got = 0;
    while (got < refs && try_grab_folio_fast(k, page + got, 1, flags)) got++;
    if (got < refs) {
      for (let i = 0; i < got; i++) gup_put_folio(k, page + i, 1, flags, 'mm/gup.c:undo_dev_pagemap');
      return 0;
    }
    for (let i = 0; i < refs; i++) pages[at + i] = page + i;
    return refs;
  }
  if (!try_grab_folio_fast(k, page, refs, flags)) return 0;
  if (!gup_fast_folio_allowed(k, mm, addr, page, flags)) {
    gup_put_folio(k, page, refs, flags, 'mm/gup.c:gup_fast_pte_range');
    return 0;
  }
  // 6.1: gup_must_unshare(flags, page); 6.12: gup_must_unshare(NULL, flags, page).
  if (!pte_write(entry) && gup_must_unshare(k, null, flags, page)) {
    gup_put_folio(k, page, refs, flags, 'mm/gup.c:gup_pte_range');
    return 0;
  }
  for (let i = 0; i < refs; i++) pages[at + i] = page + i;
  return refs;
}

/**
 * lockless_pages_from_mm (6.1) / gup_fast (6.12): the walk, bracketed for FOLL_PIN by
 * mm->write_protect_seq (PATCH(gup-fast-wp-seq), 57efa1fe5957): odd → 0; changed →
 * unpin everything found and return 0.
 */
function* gup_fast(k: Kctx, mm: mm_struct, start: number, end: number, flags: number, pages: page_array, pi: number): KThread<number> {
  // PATCH(gup-fast-wp-seq) 57efa1fe5957: FOLL_PIN gup-fast samples mm->write_protect_seq
  const wp = k.patch('gup-fast-wp-seq') && (flags & FOLL_PIN) !== 0;
  const seq = mm.write_protect_seq;
  if (wp && seq & 1) return 0;
  const nr = yield* gup_pgd_range(k, mm, start, end, flags, pages, pi);
  if (wp && mm.write_protect_seq !== seq) {
    for (let i = 0; i < nr; i++) gup_put_folio(k, pages[pi + i] as number, 1, flags, 'mm/gup.c:unpin_user_pages_lockless');
    return 0;
  }
  return nr;
}

/**
 * access_ok(start, len) on x86-64: the range ends at or below TASK_SIZE_MAX, 2^47 - 4096
 * (5.4.1 __chk_range_not_ok against user_addr_max(); 6.1 asm-generic __access_ok; 6.12
 * valid_user_address() against USER_PTR_MAX = TASK_SIZE_MAX). The model's TASK_SIZE is that
 * value; callers have already refused a wrapping start + len.
 */
function access_ok(start: number, len: number): boolean {
  return start + len <= TASK_SIZE;
}

/**
 * __gup_longterm_unlocked(start, nr_pages, gup_flags, pages) — 5.4–6.1 slow path of
 * gup-fast: FOLL_LONGTERM → mmap_read_lock, __gup_longterm_locked(vmas = NULL) with the
 * caller's flags (no FOLL_TOUCH), unlock; else get_user_pages_unlocked(). 6.2.12 calls
 * get_user_pages_unlocked() for everything (it takes FOLL_LONGTERM there).
 */
function* __gup_longterm_unlocked(k: Kctx, mm: mm_struct, start: number, nr_pages: number, gup_flags: number, pages: page_array, pi: number): KThread<number> {
  const site = 'mm/gup.c:__gup_longterm_unlocked';
  const sub: page_array = pi === 0 ? pages : new Array<number | null>(nr_pages).fill(null);
  let ret: number;
  // PATCH(gup-longterm-locked) 53b2d09bdd12: 6.2.12 calls get_user_pages_unlocked() for FOLL_LONGTERM too
  if (gup_flags & FOLL_LONGTERM && !k.patch('gup-longterm-locked')) {
    yield* down_read(k, mm.mmap_lock, site);
    ret = yield* __gup_longterm_locked(k, mm, start, nr_pages, sub, null, null, gup_flags);
    up_read(k, mm.mmap_lock, site);
  } else {
    ret = yield* get_user_pages_unlocked(k, start, nr_pages, sub, gup_flags);
  }
  if (sub !== pages) for (let i = 0; i < nr_pages; i++) pages[pi + i] = sub[i];
  return ret;
}

/**
 * The kernel function that holds gup-fast's argument checks in this release: 5.4
 * get_user_pages_fast(); 5.6 to 6.6 internal_get_user_pages_fast(); 6.12 gup_fast_fallback().
 */
function gup_fast_entry_name(k: Kctx): string {
  // PATCH(gup-fast-rename) 23babe1934d7: internal_get_user_pages_fast() is named gup_fast_fallback()
  if (k.patch('gup-fast-rename')) return 'mm/gup.c:gup_fast_fallback';
  // PATCH(pin-user-pages-api) eddb1c228f79: the shared body becomes internal_get_user_pages_fast()
  return k.patch('pin-user-pages-api') ? 'mm/gup.c:internal_get_user_pages_fast' : 'mm/gup.c:get_user_pages_fast';
}

const U64 = 1n << 64n;
const PAGE_SHIFT_N = 12n;

/**
 * gup-fast's range checks on the page-aligned `start` and the caller's `nr_pages`, in the
 * kernel's unsigned long arithmetic: nr_pages is an int the callers sign-extend, so a negative
 * count is a huge one. Returns null when the walk may go on, else what the function returns
 * (0 or an errno, with its reason). The checks per release:
 *  - 5.4–5.9: end = start + len, wrapping; end <= start → 0 (this also ends nr_pages 0);
 *  - 5.10–6.2 (c28b1fc70390): start + len overflows → 0;
 *  - 6.4 (6014bc27561f): end above TASK_SIZE_MAX → -EFAULT before access_ok() (which from then on
 *    only checks the sign bit on x86-64; the errno is the same -EFAULT either way);
 *  - 6.5 (9883c7f84053): overflow → -EOVERFLOW instead of 0;
 *  - 6.12: also -EOVERFLOW when nr_pages << PAGE_SHIFT overflows (nr_pages 0 returned earlier);
 * then access_ok(start, len) → -EFAULT. nr_pages 0 that passes them walks nothing and returns 0.
 */
function gup_fast_range(k: Kctx, fn: string, start: number, nr_pages: number, shl_check: boolean): number | null {
  const n = BigInt.asUintN(64, BigInt(Math.trunc(nr_pages)));
  const s = BigInt(start);
  const len = (n << PAGE_SHIFT_N) % U64;
  const sum = s + len;
  const what = `[${hex(start)}, +${nr_pages} pages)`;
  if (shl_check && n >> (64n - PAGE_SHIFT_N) !== 0n) return errno_reason(k, -EOVERFLOW, fn, `nr_pages ${nr_pages} shifted by PAGE_SHIFT overflows unsigned long`);
  if (k.patch('gup-fast-reorganize')) { // PATCH(gup-fast-reorganize) c28b1fc70390: check_add_overflow
    // PATCH(gup-fast-overflow-errno) 9883c7f84053: a wrapping range is -EOVERFLOW, no longer 0
    if (sum >= U64) return k.patch('gup-fast-overflow-errno') ? errno_reason(k, -EOVERFLOW, fn, `${what} wraps past the end of the address space`) : 0;
  } else if (sum % U64 <= s) {
    return 0; // 5.4-5.9: the wrapped end is <= start
  }
  // PATCH(gup-fast-task-size-max) 6014bc27561f: end above TASK_SIZE_MAX → -EFAULT before access_ok()
  if (k.patch('gup-fast-task-size-max') && sum > BigInt(TASK_SIZE)) return errno_reason(k, -EFAULT, fn, `${what} ends above TASK_SIZE_MAX ${hex(TASK_SIZE)}`);
  // access_ok (x86-64): the range lies below TASK_SIZE_MAX
  if (len > BigInt(TASK_SIZE) || s > BigInt(TASK_SIZE) - len) return errno_reason(k, -EFAULT, fn, `access_ok fails for ${what}: user addresses end at ${hex(TASK_SIZE)}`);
  return nr_pages <= 0 ? 0 : null;
}

/**
 * The shared body: 5.4 get_user_pages_fast / 5.6 and 6.1 internal_get_user_pages_fast /
 * 6.12 gup_fast_fallback. `allowed` is the release's flag mask.
 */
function* internal_get_user_pages_fast(k: Kctx, start: number, nr_pages: number, gup_flags: number, pages: page_array): KThread<number> {
  let allowed: number;
  if (k.patch('foll-pci-p2pdma')) { // PATCH(foll-pci-p2pdma) 4003f107fa2e: the 6.2.12 mask admits FOLL_PCI_P2PDMA
    allowed = FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN | FOLL_GET | FOLL_FAST_ONLY | FOLL_NOFAULT | FOLL_PCI_P2PDMA;
    // PATCH(foll-honor-numa-fault) d74943a2f3cd: the 6.5 mask admits FOLL_HONOR_NUMA_FAULT
    if (k.patch('foll-honor-numa-fault')) allowed |= FOLL_HONOR_NUMA_FAULT;
  } else if (k.patch('foll-pin-counting')) { // PATCH(foll-pin-counting) 3faa52c03f44: the mask admits FOLL_GET (5.7.14)
    allowed = FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN | FOLL_GET;
    // PATCH(gup-fast-dedup) 376a34efa4ee: FOLL_FAST_ONLY (5.8.1)
    if (k.patch('gup-fast-dedup')) allowed |= FOLL_FAST_ONLY;
    // PATCH(gup-foll-nofault) 55b8fe703bc5: FOLL_NOFAULT (v5.16; Debian 6.1.192)
    if (k.patch('gup-foll-nofault')) allowed |= FOLL_NOFAULT;
  } else if (k.patch('pin-user-pages-api')) { // PATCH(pin-user-pages-api) eddb1c228f79: the mask admits FOLL_FORCE and FOLL_PIN
    allowed = FOLL_WRITE | FOLL_LONGTERM | FOLL_FORCE | FOLL_PIN;
  } else {
    allowed = FOLL_WRITE | FOLL_LONGTERM;
  }
  const name = gup_fast_entry_name(k);
  // Bits the release does not define are never in its mask.
  const bad = (gup_flags & ~allowed) | foll_unknown_bits(k, gup_flags);
  if (WARN_ON_ONCE(k, bad !== 0, name, 'unexpected gup_flags')) return errno_reason(k, -EINVAL, name, `gup_flags outside the mask this release accepts: ${foll_names(bad)}`);
  const mm = get_current(k).mm;
  if (mm === null) return unsupported(k, name, 'gup-fast from a task without an mm');
  // The 6.12 fallback returns 0 for nr_pages == 0 before it marks the mm or checks the range
  // (folded into gup-hugetlb-grab-no-longterm-check below).
  // PATCH(gup-hugetlb-grab-no-longterm-check) f442fa614137: STAND-IN: the 6.12 early return for nr_pages == 0 and the shift-overflow check (own commit UNVERIFIED, fold from v6.7 by v6.12)
  // PATCH(hugetlb-foll-force-write) 052ccfbcc6cd: STAND-IN: gone again in 6.18.26 (own commit UNVERIFIED, fold from v6.13 by v6.18)
  const v612 = k.patch('gup-hugetlb-grab-no-longterm-check') && !k.patch('hugetlb-foll-force-write');
  if (v612 && nr_pages === 0) return 0;
  if (gup_flags & FOLL_PIN) mm_set_has_pinned_flag(k, mm);
  start = Math.floor(start / PAGE_SIZE) * PAGE_SIZE;
  const r = gup_fast_range(k, name, start, nr_pages, v612);
  if (r !== null) return r;
  const end = start + nr_pages * PAGE_SIZE;

  // PATCH(gup-cow-break-read) 17839856fd58: the lockless walk only takes pages from writable PTEs, so a COW
  // break can happen in the slow path (not for FOLL_FAST_ONLY, which has no slow path)
  // PATCH(gup-remove-enforced-cow) a308c71bf1e6: gone again in 5.9
  const force_write = k.patch('gup-cow-break-read') && !k.patch('gup-remove-enforced-cow') && !(gup_flags & FOLL_FAST_ONLY);
  const nr = yield* gup_fast(k, mm, start, end, force_write ? gup_flags | FOLL_WRITE : gup_flags, pages, 0);
  if (nr === nr_pages || gup_flags & FOLL_FAST_ONLY) return nr;

  let ret: number;
  const s2 = start + nr * PAGE_SIZE;
  // PATCH(gup-unlockable) f04740f54594: the slow-path fallback goes through __gup_longterm_locked with FOLL_UNLOCKABLE
  if (k.patch('gup-unlockable')) {
    const sub: page_array = nr === 0 ? pages : new Array<number | null>(nr_pages - nr).fill(null);
    ret = yield* __gup_longterm_locked(k, mm, s2, nr_pages - nr, sub, null, { v: 0 }, gup_flags | FOLL_TOUCH | FOLL_UNLOCKABLE);
    if (sub !== pages) for (let i = 0; i < nr_pages - nr; i++) pages[nr + i] = sub[i];
  } else {
    ret = yield* __gup_longterm_unlocked(k, mm, s2, nr_pages - nr, gup_flags, pages, nr);
  }
  if (nr > 0) return ret < 0 ? nr : ret + nr;
  return ret;
}

/**
 * get_user_pages_fast(start, nr_pages, gup_flags, pages).
 * 5.4: flags outside WRITE|LONGTERM → WARN -EINVAL. 5.6: FOLL_PIN → WARN -EINVAL.
 * 6.1: is_valid_gup_flags (PIN / LONGTERM → -EINVAL), | FOLL_GET. 6.12: is_valid_gup_args(FOLL_GET).
 */
export function* get_user_pages_fast(k: Kctx, start: number, nr_pages: number, gup_flags: number, pages: page_array): KThread<number> {
  const site = 'mm/gup.c:get_user_pages_fast';
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(FOLL_GET)
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, null, gup_flags, FOLL_GET);
    if (f === null) return -EINVAL;
    return yield* internal_get_user_pages_fast(k, start, nr_pages, f, pages);
  }
  // PATCH(gup-no-longterm-for-get) 447f3e45c18a: PIN or LONGTERM from get_user_pages_fast() → WARN, -EINVAL
  if (k.patch('gup-no-longterm-for-get')) {
    if (WARN_ON_ONCE(k, (gup_flags & FOLL_PIN) !== 0, 'mm/gup.c:is_valid_gup_flags:pin', 'FOLL_PIN from a get_user_pages caller')) return -EINVAL;
    if (WARN_ON_ONCE(k, (gup_flags & FOLL_LONGTERM) !== 0, 'mm/gup.c:is_valid_gup_flags:longterm', 'FOLL_LONGTERM from a get_user_pages caller')) return -EINVAL;
    return yield* internal_get_user_pages_fast(k, start, nr_pages, gup_flags | FOLL_GET, pages);
  }
  // PATCH(pin-user-pages-api) eddb1c228f79: FOLL_PIN from get_user_pages_fast() → WARN, -EINVAL
  if (k.patch('pin-user-pages-api') && WARN_ON_ONCE(k, (gup_flags & FOLL_PIN) !== 0, site, 'FOLL_PIN from get_user_pages_fast')) return -EINVAL;
  // PATCH(foll-pin-counting) 3faa52c03f44: 5.7.14-5.9.1 pass FOLL_GET (5.4-5.6: the caller's flags as they are)
  const get = k.patch('foll-pin-counting') ? FOLL_GET : 0;
  return yield* internal_get_user_pages_fast(k, start, nr_pages, gup_flags | get, pages);
}

/**
 * pin_user_pages_fast(start, nr_pages, gup_flags, pages).
 * 5.6: get_user_pages_fast() (alias). 6.1: FOLL_GET / !pages → WARN -EINVAL; | FOLL_PIN.
 * 6.12: is_valid_gup_args(FOLL_PIN) → -EINVAL.
 */
export function* pin_user_pages_fast(k: Kctx, start: number, nr_pages: number, gup_flags: number, pages: page_array | null): KThread<number> {
  const site = 'mm/gup.c:pin_user_pages_fast';
  // PATCH(pin-user-pages-api) eddb1c228f79: pin_user_pages_fast() exists
  if (!k.patch('pin-user-pages-api')) return unsupported(k, site, 'pin_user_pages_fast() does not exist in this release (added in 5.6 by eddb1c228f79)');
  // PATCH(foll-pin-counting) 3faa52c03f44: pin_user_pages_fast() stops being an alias
  if (!k.patch('foll-pin-counting')) {
    if (pages === null) return unsupported(k, site, 'gup-fast with pages == NULL');
    return yield* get_user_pages_fast(k, start, nr_pages, gup_flags, pages);
  }
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(FOLL_PIN) → -EINVAL
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, null, gup_flags, FOLL_PIN);
    if (f === null || pages === null) return -EINVAL;
    return yield* internal_get_user_pages_fast(k, start, nr_pages, f, pages);
  }
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_GET) !== 0, `${site}:get`, 'FOLL_GET')) return -EINVAL;
  if (WARN_ON_ONCE(k, pages === null, `${site}:pages`, 'pages == NULL') || pages === null) return -EINVAL;
  return yield* internal_get_user_pages_fast(k, start, nr_pages, gup_flags | FOLL_PIN, pages);
}

/**
 * get_user_pages_fast_only(start, nr_pages, gup_flags, pages) (5.8+; __get_user_pages_fast
 * before): never falls back; 6.1 turns errors into 0, 6.12 returns -EINVAL for bad args.
 * 5.4/5.6: __get_user_pages_fast(start, nr_pages, write, pages).
 */
export function* get_user_pages_fast_only(k: Kctx, start: number, nr_pages: number, gup_flags: number, pages: page_array): KThread<number> {
  // PATCH(gup-unlockable) f04740f54594: is_valid_gup_args(GET|FAST_ONLY) → -EINVAL
  if (k.patch('gup-unlockable')) {
    const f = is_valid_gup_args(k, pages, null, gup_flags, FOLL_GET | FOLL_FAST_ONLY);
    if (f === null) return -EINVAL;
    return yield* internal_get_user_pages_fast(k, start, nr_pages, f, pages);
  }
  // PATCH(gup-fast-dedup) 376a34efa4ee: __get_user_pages_fast() is the shared body with FOLL_GET|FOLL_FAST_ONLY, errors → 0
  if (k.patch('gup-fast-dedup')) {
    // PATCH(gup-fast-only) dadbb612f6e5: get_user_pages_fast_only() takes gup_flags (before: the write bit)
    const flags = k.patch('gup-fast-only') ? gup_flags : gup_flags & FOLL_WRITE;
    const r = yield* internal_get_user_pages_fast(k, start, nr_pages, flags | FOLL_GET | FOLL_FAST_ONLY, pages);
    return r < 0 ? 0 : r;
  }
  // 5.4-5.7 __get_user_pages_fast(start, nr_pages, write, pages): wrap / !access_ok → 0.
  const mm = get_current(k).mm;
  if (mm === null) return 0;
  const s = Math.floor(start / PAGE_SIZE) * PAGE_SIZE;
  const len = nr_pages * PAGE_SIZE;
  if (s + len <= s || !access_ok(s, len)) return 0;
  // PATCH(foll-pin-counting) 3faa52c03f44: 5.7.14 walks with FOLL_GET (5.4-5.6: the write bit only)
  const get = k.patch('foll-pin-counting') ? FOLL_GET : 0;
  return yield* gup_pgd_range(k, mm, s, s + len, (gup_flags & FOLL_WRITE) | get, pages, 0);
}
