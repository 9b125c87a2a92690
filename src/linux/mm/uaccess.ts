/**
 * User-space accesses of a process's own memory: a CPU load or store at a user address,
 * taking the x86 page-fault path when the page tables do not allow it —
 * arch/x86/mm/fault.c do_user_addr_fault() / access_error() of Debian 6.1.192 and
 * Debian 6.12.117 (the same decisions in v5.4 for what is modelled here).
 *
 * - The "hardware" part: the access goes through when the leaf entry (PTE, PMD or PUD)
 *   is present and writable for a store (the model keeps PTEs under a PROT_NONE VMA —
 *   see mm/mprotect.ts — where x86 has non-present PROT_NONE entries, so a PROT_NONE
 *   VMA is refused from its flags: the same fault). A store sets the
 *   accessed and dirty bits of the leaf, a load the accessed bit.
 * - Otherwise a fault with FAULT_FLAG_DEFAULT (ALLOW_RETRY | KILLABLE | INTERRUPTIBLE)
 *   | FAULT_FLAG_USER, plus FAULT_FLAG_WRITE for a store: no VMA at the address
 *   (lock_mm_and_find_vma finds none or one above it) or access_error() (a store to a
 *   VMA without VM_WRITE; a load from one without VM_READ|VM_WRITE|VM_EXEC) is SIGSEGV;
 *   handle_mm_fault's VM_FAULT_SIGBUS / SIGSEGV / HWPOISON are signals; VM_FAULT_RETRY
 *   retries once more with FAULT_FLAG_TRIED (the lock was dropped). Then the access is
 *   tried again, as the CPU re-executes the instruction.
 * - A signal is reported as -EFAULT (the conformance driver's store/load report a
 *   SIGSEGV or SIGBUS that way).
 * MODEL: 6.12 first tries the fault under the per-VMA lock (lock_vma_under_rcu) and
 * falls back to mmap_lock; the model takes mmap_lock for read in both releases (the
 * same fault, a coarser lock). No stack expansion below a VM_GROWSDOWN VMA, no
 * protection keys, no fatal-signal check between retries; VM_FAULT_OOM (the OOM killer)
 * is `unsupported`. Data are content tags at byte granularity (include/linux/page_data.ts); device
 * memory without a struct page slot keeps no data (a load from it is `unsupported`).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_INTERRUPTIBLE, FAULT_FLAG_KILLABLE, FAULT_FLAG_TRIED, FAULT_FLAG_USER, FAULT_FLAG_WRITE,
  VM_EXEC, VM_FAULT_COMPLETED, VM_FAULT_HWPOISON, VM_FAULT_HWPOISON_LARGE, VM_FAULT_OOM, VM_FAULT_RETRY, VM_FAULT_SIGBUS,
  VM_FAULT_SIGSEGV, VM_READ, VM_WRITE, find_vma, pt_walk, set_page_content, set_pmd_at, set_pud_at, set_pte_at,
} from '../include/linux/mm.js';
import type { vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, pte_mkdirty, pte_mkyoung, pte_pfn, pte_present, pte_write } from '../include/linux/mm_types.js';
import { EFAULT } from '../include/uapi/linux/errno.js';
import { down_read, up_read } from '../kernel/locking/rwsem.js';
import { handle_mm_fault } from './memory.js';
import { get_current } from '../include/linux/sched.js';
import type { data_run } from '../include/linux/page_data.js';
import { page_read_bytes, page_write_bytes, page_write_runs, render_runs, runs_append, runs_slice } from '../include/linux/page_data.js';

/** FAULT_FLAG_DEFAULT (include/linux/mm.h, v5.8+). */
const FAULT_FLAG_DEFAULT = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_INTERRUPTIBLE;

/** How many faults one access may take before the model gives up (a pinlab bug if reached). */
const MAX_FAULTS_PER_ACCESS = 4;

/** access_error(error_code, vma): true when the VMA does not allow this access (SIGSEGV). */
function access_error(write: boolean, vma: vm_area_struct): boolean {
  if (write) return (vma.vm_flags & VM_WRITE) === 0;
  return (vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0;
}

/** The frame the CPU reaches at addr without a fault (setting accessed/dirty), or null. */
function hw_access(k: Kctx, addr: number, write: boolean): number | null {
  const mm = get_current(k).mm;
  if (mm === null) return null;
  const vma = find_vma(mm, addr);
  if (vma === null || vma.vm_start > addr) return null;
  // The MMU reads the leaf's permission bits, not the VMA's: only a PROT_NONE VMA (whose
  // entries x86 keeps non-present, the model present) is refused from the VMA here. A
  // leaf writable under a read-only VMA (5.4's forced hugetlb write, gup-hugetlb-no-force-write)
  // takes the store.
  if (!(vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC))) return null;
  const w = pt_walk(mm, addr);
  if (w.entry === 0 || !pte_present(w.entry)) return null;
  if (write && !pte_write(w.entry)) return null;
  const e = write ? pte_mkdirty(pte_mkyoung(w.entry)) : pte_mkyoung(w.entry);
  let pfn = pte_pfn(w.entry);
  if (w.level === 'pte') {
    if (e !== w.entry) set_pte_at(mm, addr, e);
  } else if (w.level === 'pmd') {
    if (e !== w.entry) set_pmd_at(mm, Math.floor(addr / PMD_SIZE) * PMD_SIZE, e);
    pfn += Math.floor((addr % PMD_SIZE) / PAGE_SIZE);
  } else {
    if (e !== w.entry) set_pud_at(mm, Math.floor(addr / PUD_SIZE) * PUD_SIZE, e);
    pfn += Math.floor((addr % PUD_SIZE) / PAGE_SIZE);
  }
  return pfn;
}

/**
 * do_user_addr_fault(regs, error_code, address) for a user-mode access by current:
 * 0 when the fault was handled, -EFAULT for SIGSEGV / SIGBUS, or the `unsupported`
 * errno.
 */
export function* do_user_addr_fault(k: Kctx, address: number, write: boolean): KThread<number> {
  const site = 'arch/x86/mm/fault.c:do_user_addr_fault';
  const mm = get_current(k).mm;
  if (mm === null) return unsupported(k, site, 'a user access by a task without an mm');
  let flags = FAULT_FLAG_DEFAULT | FAULT_FLAG_USER;
  if (write) flags |= FAULT_FLAG_WRITE;
  for (;;) {
    // lock_mm_and_find_vma() (6.1.192 via stable, 6.12): mmap_lock for read, then the VMA.
    yield* down_read(k, mm.mmap_lock, site);
    const vma = find_vma(mm, address);
    if (vma === null || vma.vm_start > address) {
      up_read(k, mm.mmap_lock, site);
      return -EFAULT; // bad_area(): SIGSEGV (no stack expansion in the model)
    }
    if (access_error(write, vma)) {
      up_read(k, mm.mmap_lock, site);
      return -EFAULT; // bad_area_access_error(): SIGSEGV
    }
    const fault = yield* handle_mm_fault(k, vma, address, flags);
    if (fault & VM_FAULT_COMPLETED) return 0; // the lock was released by the handler
    if (fault & VM_FAULT_RETRY) {
      // The handler dropped mmap_lock; try again once, without ALLOW_RETRY's wait.
      flags |= FAULT_FLAG_TRIED;
      continue;
    }
    up_read(k, mm.mmap_lock, site);
    if (fault & VM_FAULT_OOM) return unsupported(k, site, 'VM_FAULT_OOM on a user access (pagefault_out_of_memory / the OOM killer)');
    if (fault & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE | VM_FAULT_SIGSEGV)) return -EFAULT;
    return 0;
  }
}

/** One access of current at addr: the frame it reached, or a negative errno (-EFAULT = signal). */
function* user_access(k: Kctx, addr: number, write: boolean): KThread<number> {
  for (let n = 0; n <= MAX_FAULTS_PER_ACCESS; n++) {
    const pfn = hw_access(k, addr, write);
    if (pfn !== null) return pfn;
    if (n === MAX_FAULTS_PER_ACCESS) break;
    const r = yield* do_user_addr_fault(k, addr, write);
    if (r < 0) return r;
  }
  return unsupported(k, 'arch/x86/mm/fault.c:do_user_addr_fault', `0x${addr.toString(16)}: the access still faults after ${MAX_FAULTS_PER_ACCESS} handled faults`);
}

/**
 * A user-space memset of [addr, addr+len) by current with the data tag `tag`, page by
 * page in address order: 0, or the errno of the first page that raised a signal
 * (earlier pages keep the data, as after a real SIGSEGV half-way). Byte-exact: a page
 * the range covers only in part keeps its other bytes (page_data.ts).
 */
export function* user_store(k: Kctx, addr: number, len: number, tag: string): KThread<number> {
  if (len <= 0) return 0;
  const first = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
  for (let a = first; a < addr + len; a += PAGE_SIZE) {
    const from = Math.max(a, addr);
    const pfn = yield* user_access(k, from, true);
    if (pfn < 0) return pfn;
    // MODEL: a frame with no struct page slot (device memory) keeps no data tag.
    if (k.m.mem.slot_of(pfn) === 0) continue;
    const to = Math.min(a + PAGE_SIZE, addr + len);
    if (to - from === PAGE_SIZE) set_page_content(k.m, pfn, tag);
    else page_write_bytes(k.m, pfn, from - a, to - from, tag);
  }
  return 0;
}

/**
 * A user-space read by current of [addr, addr+len) (default one byte): the data it holds
 * as runs (page_data.ts), or a negative errno (-EFAULT = the signal of the first page
 * that faulted).
 */
export function* user_load_runs(k: Kctx, addr: number, len = 1): KThread<number | data_run[]> {
  const out: data_run[] = [];
  if (len <= 0) return out;
  const first = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
  for (let a = first; a < addr + len; a += PAGE_SIZE) {
    const from = Math.max(a, addr);
    const pfn = yield* user_access(k, from, false);
    if (pfn < 0) return pfn;
    if (k.m.mem.slot_of(pfn) === 0) return unsupported(k, 'arch/x86/mm/fault.c:do_user_addr_fault', 'the data of device memory (no struct page slot) is not modelled');
    const to = Math.min(a + PAGE_SIZE, addr + len);
    runs_append(out, from - addr, page_read_bytes(k.m, pfn, from - a, to - from));
  }
  return out;
}

/**
 * A user-space load by current at addr (`len` bytes, default one): what they hold
 * (render_runs: the tag when one tag covers them, '' = zero-filled), or a negative errno.
 */
export function* user_load(k: Kctx, addr: number, len = 1): KThread<number | string> {
  const r = yield* user_load_runs(k, addr, len);
  return typeof r === 'number' ? r : render_runs(r);
}

/**
 * copy_to_user() of byte runs (page_data.ts; offsets relative to addr) into
 * [addr, addr+len) of current, page by page: the number of bytes NOT copied (0 = all),
 * as the kernel's copy_to_user returns; a page that faults (SIGSEGV/SIGBUS for a user
 * access: the exception table here) ends the copy there. An `unsupported` errno is
 * returned as is (negative).
 */
export function* copy_to_user_runs(k: Kctx, addr: number, runs: readonly data_run[], len: number): KThread<number> {
  if (len <= 0) return 0;
  const first = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
  for (let a = first; a < addr + len; a += PAGE_SIZE) {
    const from = Math.max(a, addr);
    const pfn = yield* user_access(k, from, true);
    if (pfn === -EFAULT) return addr + len - from;
    if (pfn < 0) return pfn;
    const to = Math.min(a + PAGE_SIZE, addr + len);
    if (k.m.mem.slot_of(pfn) !== 0) page_write_runs(k.m, pfn, from - a, runs_slice(runs, from - addr, to - from));
  }
  return 0;
}

/**
 * copy_from_user() of [addr, addr+len) of current: the runs copied (relative to addr) and
 * the number of bytes not copied (a page that faults ends the copy), or an `unsupported`
 * errno.
 */
export function* copy_from_user_runs(k: Kctx, addr: number, len: number): KThread<{ runs: data_run[]; left: number } | number> {
  const runs: data_run[] = [];
  if (len <= 0) return { runs, left: 0 };
  const first = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
  for (let a = first; a < addr + len; a += PAGE_SIZE) {
    const from = Math.max(a, addr);
    const pfn = yield* user_access(k, from, false);
    if (pfn === -EFAULT) return { runs, left: addr + len - from };
    if (pfn < 0) return pfn;
    const to = Math.min(a + PAGE_SIZE, addr + len);
    // MODEL: device memory without a struct page slot reads as zero bytes here.
    if (k.m.mem.slot_of(pfn) === 0) runs_append(runs, from - addr, [{ offset: 0, len: to - from, tag: '' }]);
    else runs_append(runs, from - addr, page_read_bytes(k.m, pfn, from - a, to - from));
  }
  return { runs, left: 0 };
}
