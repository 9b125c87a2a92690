/**
 * mm/mprotect.c do_mprotect_pkey() / mprotect_fixup() / change_protection(),
 * mm/madvise.c (MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTFORK,
 * MADV_DOFORK), mm/mlock.c (do_mlock / munlock: VM_LOCKED and locked_vm) —
 * v5.4.1, Debian 6.1.192, Debian 6.12.117.
 *
 * mprotect: unaligned start → -EINVAL; len 0 → 0; wrap → -ENOMEM; unknown prot bits
 * → -EINVAL; the range must be fully mapped from start (-ENOMEM otherwise; VMAs before
 * the hole are already changed); asking for an access the VMA may not have
 * (VM_MAYxxx) → -EACCES. VMAs are split at the range edges; removing write
 * write-protects the PTEs.
 * madvise: unaligned start or unknown advice → -EINVAL; DONTNEED zaps (mmap_lock for
 * read; VM_LOCKED / VM_PFNMAP → -EINVAL; hugetlb per release, see
 * madvise_dontneed_free_valid_vma); FREE, COLD, PAGEOUT, WILLNEED and REMOVE (mmap_lock
 * for read) are in mm/madvise.ts; HUGEPAGE / NOHUGEPAGE, DONTFORK / DOFORK and
 * WIPEONFORK / KEEPONFORK change vm_flags (mmap_lock for write; DOFORK on VM_IO → -EINVAL;
 * WIPEONFORK on a file-backed or shared VMA → -EINVAL);
 * an unmapped part of the range → -ENOMEM after the mapped parts were done.
 * mlock: no RLIMIT_MEMLOCK and no CAP_IPC_LOCK → -EPERM; over the limit → -ENOMEM;
 * VM_LOCKED is set on the VMAs (not on VM_SPECIAL, hugetlb or DAX ones, which are
 * skipped and not counted) and locked_vm grows by their pages; then the range is
 * populated (GUP's __mm_populate; -EFAULT → -ENOMEM, -ENOMEM → -EAGAIN).
 * munlock: VM_LOCKED cleared, locked_vm shrinks.
 *
 * MODEL: no VMA merging after the change; 6.x's write-fault avoidance when adding
 * write (MM_CP_TRY_CHANGE_WRITABLE) is not modelled (the PTE stays read-only and the
 * next write fault makes it writable: same end state); a PROT_NONE entry is the model's
 * present entry without _PAGE_USER (x86 PAGE_NONE has _PAGE_PROTNONE instead of
 * _PAGE_PRESENT: pte_present() still true, pte_access_permitted() false), so gup-fast
 * refuses it and the slow walk decides on the VMA flags (FOLL_FORCE may follow it); page mlocking (PG_mlocked, the
 * unevictable LRU) is not modelled — only VM_LOCKED and locked_vm.
 */
import type { KThread } from '../../sched/index.js';
import { errno_reason, hex } from '../errno_reason.js';
import type { Kctx } from '../kctx.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, _PAGE_USER, pte_flags, pte_present, pte_wrprotect } from '../include/linux/mm_types.js';
import {
  VM_EXEC, VM_HUGEPAGE, VM_IO, VM_LOCKED, VM_LOCKED_MASK, VM_LOCKONFAULT, VM_NOHUGEPAGE, VM_PFNMAP, VM_READ,
  VM_SPECIAL, VM_WRITE, VM_DONTCOPY, VM_HUGETLB, VM_SHARED, VM_WIPEONFORK, find_vma, is_vm_hugetlb_page, pt_walk, set_pmd_at, set_pud_at, set_pte_at, vma_is_dax, vma_pages,
} from '../include/linux/mm.js';
import { unsupported } from '../include/linux/bug.js';
import {
  MADV_COLD, MADV_DOFORK, MADV_DONTFORK, MADV_DONTNEED, MADV_FREE, MADV_HUGEPAGE, MADV_KEEPONFORK, MADV_NOHUGEPAGE, MADV_PAGEOUT,
  MADV_REMOVE, MADV_WILLNEED, MADV_WIPEONFORK, MLOCK_ONFAULT, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP,
  PROT_READ, PROT_WRITE,
} from '../include/uapi/asm-generic/mman.js';
import { EACCES, EAGAIN, EFAULT, EINTR, EINVAL, ENOMEM, EPERM } from '../include/uapi/linux/errno.js';
import { CAP_IPC_LOCK, RLIMIT_MEMLOCK, capable, get_current, rlimit } from '../include/linux/sched.js';
import { down_read_killable, down_write_killable, up_read, up_write } from '../kernel/locking/rwsem.js';
import { cond_resched } from '../kernel/sched.js';
import { zap_page_range } from './memory.js';
import { __split_huge_pmd } from './huge_memory.js';
import { __split_vma, can_do_mlock } from './mmap.js';
import { __mm_populate } from './gup.js';
import { madvise_cold, madvise_free_single_vma, madvise_pageout, madvise_remove, madvise_willneed } from './madvise.js';

const PROT_SEM = 0x8;

function PAGE_ALIGN(x: number): number {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}

/** Split so that [start, end) ∩ vma is a whole VMA; returns it. */
function split_to(k: Kctx, mm: mm_struct, vma: vm_area_struct, start: number, end: number): vm_area_struct | number {
  if (start > vma.vm_start) {
    const e = __split_vma(k, mm, vma, start, false);
    if (e) return e;
    vma = find_vma(mm, start) as vm_area_struct;
  }
  if (end < vma.vm_end) {
    const e = __split_vma(k, mm, vma, end, false);
    if (e) return e;
  }
  return vma;
}

/** No access at all (PROT_NONE): the entries lose _PAGE_USER (vma_page_prot gives PAGE_NONE). */
function vm_noaccess(flags: number): boolean {
  return (flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0;
}

/**
 * change_protection(): write-protect the PTEs when write is removed; to PROT_NONE and back,
 * clear or set the entries' user bit (pte_modify with PAGE_NONE / the new vm_page_prot). Called with mmap_lock
 * for write, which excludes GUP's slow walk, faults and MADV_DONTNEED but not the rmap
 * walks (truncate's zap, migration, reclaim) nor gup-fast: change_pmd_range() takes each
 * PTE table's lock in turn (one step per table or huge PMD: the PTE lock excludes the rmap
 * walks) and calls cond_resched() after each (5.4.1, 6.1.192, 6.12.117).
 */
function* change_protection(k: Kctx, vma: vm_area_struct, oldflags: number, newflags: number): KThread<void> {
  const wrprotect = (oldflags & VM_WRITE) !== 0 && !(newflags & VM_WRITE);
  const strip = !vm_noaccess(oldflags) && vm_noaccess(newflags);
  const grant = vm_noaccess(oldflags) && !vm_noaccess(newflags);
  if (!wrprotect && !strip && !grant) return;
  const pte_modify = (e: number): number => {
    if (e === 0 || !pte_present(e)) return e;
    let r = wrprotect ? pte_wrprotect(e) : e;
    const user = (pte_flags(r) & _PAGE_USER) !== 0;
    if (strip && user) r -= _PAGE_USER;
    else if (grant && !user) r += _PAGE_USER;
    return r;
  };
  let table = -1;
  for (let a = vma.vm_start; a < vma.vm_end; ) {
    const key = Math.floor(a / PMD_SIZE);
    if (table >= 0 && key !== table) yield* cond_resched(k, 'mm/mprotect.c:change_pmd_range', `${vma.id}:${a}`);
    table = key;
    const w = pt_walk(vma.vm_mm, a);
    if (w.level === 'pud') {
      // hugetlb_change_protection() for a 1 GiB leaf (hugetlb VMAs are always PUD aligned).
      const haddr = Math.floor(a / PUD_SIZE) * PUD_SIZE;
      set_pud_at(vma.vm_mm, haddr, pte_modify(w.entry));
      a = haddr + PUD_SIZE;
      continue;
    }
    if (w.level === 'pmd' && w.entry !== 0) {
      const haddr = Math.floor(a / PMD_SIZE) * PMD_SIZE;
      if (haddr >= vma.vm_start && haddr + PMD_SIZE <= vma.vm_end) {
        set_pmd_at(vma.vm_mm, haddr, pte_modify(w.entry)); // change_huge_pmd()
        a = haddr + PMD_SIZE;
        continue;
      }
      // Part of a huge leaf: split it, then handle this address as a PTE.
      __split_huge_pmd(k, vma, haddr);
      continue;
    }
    if (w.level === 'pte' && w.entry !== 0) set_pte_at(vma.vm_mm, a, pte_modify(w.entry));
    a += PAGE_SIZE;
  }
}

/** do_mprotect_pkey(start, len, prot, -1) */
export function* sys_mprotect(k: Kctx, start: number, len: number, prot: number): KThread<number> {
  const grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
  const msite = 'mm/mprotect.c:do_mprotect_pkey';
  if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return errno_reason(k, -EINVAL, msite, 'PROT_GROWSDOWN and PROT_GROWSUP together');
  if (start % PAGE_SIZE) return errno_reason(k, -EINVAL, msite, `start ${hex(start)} is not page aligned`);
  if (!len) return 0;
  len = PAGE_ALIGN(len);
  const end = start + len;
  if (end <= start) return errno_reason(k, -ENOMEM, msite, `start ${hex(start)} + len ${hex(len)} wraps`);
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) return errno_reason(k, -EINVAL, msite, `prot 0x${prot.toString(16)} has unknown bits`);
  if (grows) return unsupported(k, 'mm/mprotect.c:do_mprotect_pkey', 'PROT_GROWSDOWN/UP are not modelled');
  const mm = get_current(k).mm as mm_struct;
  if (yield* down_write_killable(k, mm.mmap_lock, 'mm/mprotect.c:do_mprotect_pkey')) return -EINTR;
  let error = -ENOMEM;
  out: {
    let vma = find_vma(mm, start);
    if (!vma || vma.vm_start > start) {
      errno_reason(k, -ENOMEM, msite, `no VMA maps ${hex(start)}`);
      break out;
    }
    let nstart = start;
    for (;;) {
      const newflags = (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0) |
        (vma.vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC));
      const denied = (newflags & ~(newflags >> 4)) & (VM_READ | VM_WRITE | VM_EXEC);
      if (denied) {
        const what = [denied & VM_READ ? 'read' : '', denied & VM_WRITE ? 'write' : '', denied & VM_EXEC ? 'exec' : ''].filter((x) => x).join('/');
        error = errno_reason(k, -EACCES, msite, `the VMA [${hex(vma.vm_start)}, ${hex(vma.vm_end)}) may not become ${what}able (its VM_MAY${what.toUpperCase().replace(/\//g, '/VM_MAY')} is clear: e.g. a shared mapping of a file opened without write access)`);
        break out;
      }
      const tmp = Math.min(vma.vm_end, end);
      if (newflags !== vma.vm_flags) {
        const v = split_to(k, mm, vma, nstart, tmp);
        if (typeof v === 'number') {
          error = v;
          break out;
        }
        const old = v.vm_flags;
        v.vm_flags = newflags;
        yield* change_protection(k, v, old, newflags);
        vma = v;
      }
      error = 0;
      nstart = tmp;
      if (nstart >= end) break out;
      const next = find_vma(mm, nstart);
      if (!next || next.vm_start !== nstart) {
        error = errno_reason(k, -ENOMEM, msite, `the range has a hole at ${hex(nstart)} (no VMA maps it); the VMAs before it were changed`);
        break out;
      }
      vma = next;
    }
  }
  up_write(k, mm.mmap_lock, 'mm/mprotect.c:do_mprotect_pkey');
  return error;
}

/** The advice the model knows (all in every modelled release: COLD and PAGEOUT since v5.4). */
const MADV_MODELLED: readonly number[] = [
  MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTFORK, MADV_DOFORK,
  MADV_FREE, MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_REMOVE, MADV_WIPEONFORK, MADV_KEEPONFORK,
];

/** madvise_need_mmap_write(behavior): the advice that only reads the VMA tree takes mmap_lock for read. */
function madvise_need_mmap_write(behavior: number): boolean {
  return ![MADV_DONTNEED, MADV_FREE, MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_REMOVE].includes(behavior);
}

/** do_madvise(start, len_in, behavior) */
export function* sys_madvise(k: Kctx, start: number, len_in: number, behavior: number): KThread<number> {
  if (!MADV_MODELLED.includes(behavior)) {
    // The kernel knows more advice values; the model treats the others as not modelled,
    // except values no release knows, which are -EINVAL.
    if (behavior >= 0 && behavior <= 25) return unsupported(k, 'mm/madvise.c:do_madvise', `madvise advice ${behavior} is not modelled`);
    return errno_reason(k, -EINVAL, 'mm/madvise.c:madvise_behavior_valid', `advice ${behavior} is not a madvise advice`);
  }
  const dsite = 'mm/madvise.c:do_madvise';
  if (start % PAGE_SIZE) return errno_reason(k, -EINVAL, dsite, `start ${hex(start)} is not page aligned`);
  const len = PAGE_ALIGN(len_in);
  if (len_in && !len) return errno_reason(k, -EINVAL, dsite, `len ${hex(len_in)} overflows when rounded up to a page`);
  const end = start + len;
  if (end < start) return errno_reason(k, -EINVAL, dsite, `start ${hex(start)} + len ${hex(len)} wraps`);
  if (end === start) return 0;
  const mm = get_current(k).mm as mm_struct;
  const write = madvise_need_mmap_write(behavior);
  const site = 'mm/madvise.c:do_madvise';
  if (write) {
    if (yield* down_write_killable(k, mm.mmap_lock, site)) return -EINTR;
  } else if (yield* down_read_killable(k, mm.mmap_lock, site)) {
    return -EINTR;
  }
  let unmapped_error = 0;
  let error = 0;
  let s = start;
  while (s < end) {
    const vma = find_vma(mm, s);
    if (!vma || vma.vm_start >= end) {
      unmapped_error = errno_reason(k, -ENOMEM, dsite, `no VMA maps ${hex(s)} (the rest of the range was advised)`);
      break;
    }
    if (vma.vm_start > s) {
      unmapped_error = errno_reason(k, -ENOMEM, dsite, `no VMA maps [${hex(s)}, ${hex(vma.vm_start)}) (the rest of the range was advised)`);
      s = vma.vm_start;
    }
    const tmp = Math.min(vma.vm_end, end);
    error = yield* madvise_vma(k, mm, vma, s, tmp, behavior);
    if (error) break;
    s = tmp;
  }
  if (write) up_write(k, mm.mmap_lock, site);
  else up_read(k, mm.mmap_lock, site);
  return error || unmapped_error;
}

/**
 * madvise_dontneed_free(vma, prev, start, end, MADV_DONTNEED): is the VMA one
 * MADV_DONTNEED may zap, and up to where?
 * - v5.4.1-v5.6.4: can_madv_lru_vma() — VM_LOCKED, VM_HUGETLB or VM_PFNMAP → -EINVAL.
 * - PATCH(madvise-dontneed-hugetlb) 90e7e7f5ef3f (v5.18), madvise_dontneed_free_valid_vma():
 *   a non-hugetlb VMA as before (VM_LOCKED / VM_PFNMAP → -EINVAL); a hugetlb VMA
 *   needs a huge-page aligned start (-EINVAL) and its end is rounded up to a huge page
 *   — PATCH(madvise-dontneed-hugetlb-align-down) 8ebe0a5eaaeb: rounded down instead,
 *   and an empty range is then 0 (6.1.192, 6.12.117).
 * Returns the end to zap, or -EINVAL.
 * MODEL: the userfaultfd_remove() re-validation path is not modelled (no userfaultfd).
 */
function madvise_dontneed_free_valid_vma(k: Kctx, vma: vm_area_struct, start: number, end: number, behavior: number): number {
  // PATCH(madvise-dontneed-hugetlb) 90e7e7f5ef3f: the refusal is madvise_dontneed_free_valid_vma()'s (can_madv_lru_vma()'s before)
  const site = k.patch('madvise-dontneed-hugetlb') ? 'mm/madvise.c:madvise_dontneed_free_valid_vma' : 'mm/madvise.c:can_madv_lru_vma';
  const bad = (flags: number): number => errno_reason(k, -EINVAL, site, `the VMA [${hex(vma.vm_start)}, ${hex(vma.vm_end)}) is ${flags & VM_LOCKED ? 'VM_LOCKED (mlocked)' : flags & VM_HUGETLB ? 'hugetlb' : 'VM_PFNMAP'}`);
  // PATCH(madvise-dontneed-hugetlb) 90e7e7f5ef3f: MADV_DONTNEED on hugetlb is -EINVAL before it
  if (!k.patch('madvise-dontneed-hugetlb')) return vma.vm_flags & (VM_LOCKED | VM_HUGETLB | VM_PFNMAP) ? bad(vma.vm_flags) : end;
  if (!is_vm_hugetlb_page(vma)) return vma.vm_flags & (VM_LOCKED | VM_PFNMAP) ? bad(vma.vm_flags) : end;
  // MADV_FREE never applies to hugetlb.
  if (behavior !== MADV_DONTNEED) return errno_reason(k, -EINVAL, site, 'MADV_FREE on a hugetlb VMA');
  const size = vma_huge_page_size(vma);
  if (start % size) return errno_reason(k, -EINVAL, site, `start ${hex(start)} is not aligned to the VMA's huge page size (${hex(size)})`);
  // PATCH(madvise-dontneed-hugetlb-align-down): 8ebe0a5eaaeb rounds down (ALIGN_DOWN) where 90e7e7f5ef3f rounded up.
  return k.patch('madvise-dontneed-hugetlb-align-down') ? Math.floor(end / size) * size : Math.ceil(end / size) * size;
}

/** The function that applies a flag-changing advice to one VMA: madvise_behavior() up to 5.15, madvise_vma_behavior() after. */
function madvise_vma_site(k: Kctx): string {
  // PATCH(madvise-rearrange) ac1e9acc5acf: madvise_behavior() becomes madvise_vma_behavior()
  return k.patch('madvise-rearrange') ? 'mm/madvise.c:madvise_vma_behavior' : 'mm/madvise.c:madvise_behavior';
}

/** The huge page size of a hugetlb VMA (huge_page_size(hstate_vma(vma))). */
function vma_huge_page_size(vma: vm_area_struct): number {
  const order = vma.vm_file ? vma.vm_file.f_inode.i_sb.huge_order : 9;
  return PAGE_SIZE * 2 ** order;
}

function* madvise_vma(k: Kctx, mm: mm_struct, vma: vm_area_struct, start: number, end: number, behavior: number): KThread<number> {
  if (behavior === MADV_DONTNEED || behavior === MADV_FREE) {
    const zend = madvise_dontneed_free_valid_vma(k, vma, start, end, behavior);
    if (zend < 0) return zend;
    if (zend === start) return 0;
    if (behavior === MADV_FREE) return yield* madvise_free_single_vma(k, vma, start, zend);
    // madvise_dontneed_single_vma → zap_page_range(_single) (hugetlb: unmap_hugepage_range).
    yield* zap_page_range(k, vma, start, zend);
    return 0;
  }
  switch (behavior) {
    case MADV_COLD:
      return yield* madvise_cold(k, vma, start, end);
    case MADV_PAGEOUT:
      return yield* madvise_pageout(k, vma, start, end);
    case MADV_WILLNEED:
      return yield* madvise_willneed(k, vma, start, end);
    case MADV_REMOVE:
      return yield* madvise_remove(k, mm, vma, start, end);
  }
  let newflags = vma.vm_flags;
  switch (behavior) {
    case MADV_HUGEPAGE:
      newflags = (newflags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
      break;
    case MADV_NOHUGEPAGE:
      newflags = (newflags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
      break;
    case MADV_DONTFORK:
      newflags |= VM_DONTCOPY;
      break;
    case MADV_DOFORK:
      if (vma.vm_flags & VM_IO) return errno_reason(k, -EINVAL, madvise_vma_site(k), 'MADV_DOFORK on a VM_IO mapping (it is never copied)');
      newflags &= ~VM_DONTCOPY;
      break;
    case MADV_WIPEONFORK:
      // Only private anonymous memory can be wiped in the child.
      if (vma.vm_file || vma.vm_flags & VM_SHARED) return errno_reason(k, -EINVAL, madvise_vma_site(k), `MADV_WIPEONFORK on a ${vma.vm_file ? 'file' : 'shared'} mapping: only private anonymous memory can be wiped`);
      newflags |= VM_WIPEONFORK;
      break;
    case MADV_KEEPONFORK:
      newflags &= ~VM_WIPEONFORK;
      break;
  }
  if (newflags === vma.vm_flags) return 0;
  const v = split_to(k, mm, vma, start, end);
  if (typeof v === 'number') return v;
  v.vm_flags = newflags;
  return 0;
}

/**
 * apply_vma_lock_flags(start, len, flags): set (or clear) VM_LOCKED / VM_LOCKONFAULT
 * on every VMA of the range (mlock_fixup), adjusting locked_vm.
 */
function apply_vma_lock_flags(k: Kctx, mm: mm_struct, start: number, len: number, flags: number): number {
  const end = start + len;
  let vma = find_vma(mm, start);
  if (!vma || vma.vm_start > start) return -ENOMEM;
  let nstart = start;
  for (;;) {
    const newflags = (vma.vm_flags & ~VM_LOCKED_MASK) | flags;
    const tmp = Math.min(vma.vm_end, end);
    // mlock_fixup()
    const skip = newflags === vma.vm_flags || (vma.vm_flags & VM_SPECIAL) !== 0 || is_vm_hugetlb_page(vma) || vma_is_dax(vma);
    if (!skip) {
      const v = split_to(k, mm, vma, nstart, tmp);
      if (typeof v === 'number') return v;
      const nr = vma_pages(v);
      if (newflags & VM_LOCKED && !(v.vm_flags & VM_LOCKED)) mm.locked_vm += nr;
      else if (!(newflags & VM_LOCKED) && v.vm_flags & VM_LOCKED) mm.locked_vm -= nr;
      v.vm_flags = newflags;
      vma = v;
    }
    nstart = tmp;
    if (nstart >= end) return 0;
    const next = find_vma(mm, nstart);
    if (!next || next.vm_start !== nstart) return -ENOMEM;
    vma = next;
  }
}

/** count_mm_mlocked_page_nr(): pages of [start, start+len) already under VM_LOCKED. */
function count_mm_mlocked_page_nr(mm: mm_struct, start: number, len: number): number {
  let count = 0;
  for (const v of mm.mmap) {
    if (v.vm_start >= start + len || v.vm_end <= start) continue;
    if (v.vm_flags & VM_LOCKED) count += (Math.min(v.vm_end, start + len) - Math.max(v.vm_start, start)) / PAGE_SIZE;
  }
  return count;
}

/** do_mlock(start, len, flags) — sys_mlock (flags 0 → VM_LOCKED) and sys_mlock2 (MLOCK_ONFAULT). */
export function* do_mlock(k: Kctx, start: number, len: number, vm_flags: number): KThread<number> {
  if (!can_do_mlock(k)) return -EPERM;
  len = PAGE_ALIGN(len + (start % PAGE_SIZE));
  start -= start % PAGE_SIZE;
  const lim = rlimit(k, RLIMIT_MEMLOCK);
  const lock_limit = lim === Number.POSITIVE_INFINITY ? lim : Math.floor(lim / PAGE_SIZE);
  const mm = get_current(k).mm as mm_struct;
  if (yield* down_write_killable(k, mm.mmap_lock, 'mm/mlock.c:do_mlock')) return -EINTR;
  let locked = len / PAGE_SIZE + mm.locked_vm;
  if (locked > lock_limit && !capable(k, CAP_IPC_LOCK)) locked -= count_mm_mlocked_page_nr(mm, start, len);
  let error = -ENOMEM;
  if (locked <= lock_limit || capable(k, CAP_IPC_LOCK)) error = apply_vma_lock_flags(k, mm, start, len, vm_flags);
  up_write(k, mm.mmap_lock, 'mm/mlock.c:do_mlock');
  if (error) return error;
  error = yield* __mm_populate(k, start, len, false);
  if (error) return error === -EFAULT ? -ENOMEM : error === -ENOMEM ? -EAGAIN : error;
  return 0;
}

export function* sys_mlock(k: Kctx, start: number, len: number): KThread<number> {
  return yield* do_mlock(k, start, len, VM_LOCKED);
}

/** sys_mlock2(start, len, flags): MLOCK_ONFAULT → VM_LOCKED | VM_LOCKONFAULT; other flags → -EINVAL. */
export function* sys_mlock2(k: Kctx, start: number, len: number, flags: number): KThread<number> {
  if (flags & ~MLOCK_ONFAULT) return -EINVAL;
  return yield* do_mlock(k, start, len, flags & MLOCK_ONFAULT ? VM_LOCKED | VM_LOCKONFAULT : VM_LOCKED);
}

/** sys_munlock(start, len) */
export function* sys_munlock(k: Kctx, start: number, len: number): KThread<number> {
  len = PAGE_ALIGN(len + (start % PAGE_SIZE));
  start -= start % PAGE_SIZE;
  const mm = get_current(k).mm as mm_struct;
  if (yield* down_write_killable(k, mm.mmap_lock, 'mm/mlock.c:sys_munlock')) return -EINTR;
  const ret = apply_vma_lock_flags(k, mm, start, len, 0);
  up_write(k, mm.mmap_lock, 'mm/mlock.c:sys_munlock');
  return ret;
}

