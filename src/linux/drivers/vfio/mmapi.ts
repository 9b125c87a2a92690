/**
 * The few mm entry points VFIO calls that the memory model does not offer (yet):
 * get_task_mm() and mmput() (kernel/fork.c), fixup_user_fault() (mm/gup.c).
 * Everything else VFIO needs is imported from the memory model and GUP directly.
 * When the memory model grows these, this file should shrink to re-exports.
 *
 * MODEL: mmput() dropping the last user reference would run exit_mmap(); VFIO only
 * calls mmput() after get_task_mm()/mmget_not_zero() on a live mm, so the last
 * reference is never VFIO's unless the process exited in between — that case is
 * reported through unsupported() rather than silently ignored.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { unsupported } from '../../include/linux/bug.js';
import { EFAULT } from '../../include/uapi/linux/errno.js';
import type { mm_struct } from '../../include/linux/mm_types.js';
import type { task_struct } from '../../include/linux/sched.js';
import { PF_KTHREAD } from '../../include/linux/sched.js';
import { FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE, VM_FAULT_ERROR, VM_WRITE, vma_lookup } from '../../include/linux/mm.js';
import { handle_mm_fault } from '../../mm/memory.js';

/** get_task_mm(task) (kernel/fork.c): the task's mm with a user reference, or null (exited / kernel thread). */
export function get_task_mm(task: task_struct): mm_struct | null {
  const mm = task.mm;
  if (mm === null || (task.flags & PF_KTHREAD) !== 0 || mm.mm_users === 0) return null;
  mm.mm_users++;
  return mm;
}

/** mmput(mm): drop a user reference. See the MODEL note above for the last one. */
export function* mmput(k: Kctx, mm: mm_struct): KThread<void> {
  mm.mm_users--;
  if (mm.mm_users === 0 && !mm.dead) unsupported(k, 'kernel/fork.c:mmput', `last user reference of mm#${mm.id} dropped by VFIO (exit_mmap from here is not modelled)`);
}

/**
 * fixup_user_fault(mm, address, fault_flags, &unlocked) as follow_fault_pfn() calls it:
 * FAULT_FLAG_REMOTE (| WRITE). Returns { ret: 0 | -EFAULT, unlocked }.
 * MODEL: called without FAULT_FLAG_ALLOW_RETRY, so the lock is never dropped (unlocked
 * stays false); the kernel passes ALLOW_RETRY and may drop it, in which case VFIO looks
 * the VMA up again (-EAGAIN) — the model takes the no-retry path of that loop.
 */
export function* fixup_user_fault(k: Kctx, mm: mm_struct, address: number, write: boolean): KThread<{ ret: number; unlocked: boolean }> {
  const vma = vma_lookup(mm, address);
  if (vma === null) return { ret: -EFAULT, unlocked: false };
  if (write && (vma.vm_flags & VM_WRITE) === 0) return { ret: -EFAULT, unlocked: false };
  const r = yield* handle_mm_fault(k, vma, address, FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0));
  if (r & VM_FAULT_ERROR) return { ret: -EFAULT, unlocked: false };
  return { ret: 0, unlocked: false };
}
