/**
 * MODEL (speed only): shortcuts of the GUP walk (mm/gup.c) for a thread that runs alone
 * (Sched.alone: no other live thread, no trace, nothing watching between its steps), kept
 * apart from gup.ts so that gup.ts reads as the kernel's walk. Each function states which
 * page-by-page sequence it stands for and why the end state is the same; each is tested
 * against that sequence (tests/unit/mm/gup-speed.test.ts).
 */
import type { Kctx } from '../kctx.js';
import type { vm_area_struct } from '../include/linux/mm_types.js';
import { FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE } from '../include/linux/mm.js';
import { FOLL_NOFAULT, FOLL_REMOTE, FOLL_TRIED, FOLL_WRITE } from '../include/linux/foll.js';
import { fine_atomicity } from '../kernel/sched.js';
import { anon_pte_fault_quick, vm_fault_to_errno } from './memory.js';

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
