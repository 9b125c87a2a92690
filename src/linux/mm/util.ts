/**
 * mm/util.c: __account_locked_vm() and account_locked_vm() (v5.4, v6.1, v6.12:
 * same logic in all three trees; added in v5.3).
 *
 * __account_locked_vm(mm, pages, inc, task, bypass_rlim): caller holds mmap_lock for
 * write (mmap_assert_write_locked / lockdep_assert_held_write; the model WARNs when
 * not). Charging: -ENOMEM when locked_vm + pages would exceed task's
 * RLIMIT_MEMLOCK (in pages) unless bypass_rlim; otherwise locked_vm grows. Uncharging
 * more than is charged is a WARN_ON_ONCE and still subtracts (unsigned wrap in the
 * kernel; the model lets locked_vm go negative so the checker can see it).
 *
 * account_locked_vm(mm, pages, inc): 0 for pages == 0 or no mm; otherwise takes
 * mmap_lock for write (uninterruptibly) and charges current with
 * capable(CAP_IPC_LOCK) as the bypass.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { WARN_ON, WARN_ON_ONCE } from '../include/linux/bug.js';
import type { mm_struct } from '../include/linux/mm_types.js';
import type { ReportTopic } from '../machine.js';
import { PAGE_SHIFT } from '../include/linux/mm_types.js';
import { ENOMEM } from '../include/uapi/linux/errno.js';
import { CAP_IPC_LOCK, RLIMIT_MEMLOCK, capable, get_current, task_rlimit } from '../include/linux/sched.js';
import type { task_struct } from '../include/linux/sched.js';
import { down_write, up_write } from '../kernel/locking/rwsem.js';

/** mmap_assert_write_locked(mm) (lockdep): WARN when current does not hold mmap_lock for write. */
export function mmap_assert_write_locked(k: Kctx, mm: mm_struct, site: string, about?: ReportTopic): void {
  WARN_ON(k, mm.mmap_lock.state.writer !== k.tid, site, `mmap_lock(mm#${mm.id}) not held for write`, about);
}

/** mmap_assert_locked(mm): held for read or write by current. */
export function mmap_assert_locked(k: Kctx, mm: mm_struct, site: string): void {
  const st = mm.mmap_lock.state;
  WARN_ON(k, st.writer !== k.tid && !st.readers.includes(k.tid), site, `mmap_lock(mm#${mm.id}) not held`);
}

/** RLIMIT_MEMLOCK in pages (rlimit >> PAGE_SHIFT; infinity stays infinite). */
function memlock_pages(task: task_struct): number {
  const lim = task_rlimit(task, RLIMIT_MEMLOCK);
  return lim === Number.POSITIVE_INFINITY ? lim : Math.floor(lim / 2 ** PAGE_SHIFT);
}

export function __account_locked_vm(k: Kctx, mm: mm_struct, pages: number, inc: boolean, task: task_struct, bypass_rlim: boolean): number {
  // Accounting without the lock is a locked_vm accounting fault (typed for the invariant).
  mmap_assert_write_locked(k, mm, 'mm/util.c:__account_locked_vm', 'locked_vm');
  const locked_vm = mm.locked_vm;
  let ret = 0;
  if (inc) {
    if (!bypass_rlim && locked_vm + pages > memlock_pages(task)) ret = -ENOMEM;
    if (!ret) mm.locked_vm = locked_vm + pages;
  } else {
    WARN_ON_ONCE(k, pages > locked_vm, 'mm/util.c:__account_locked_vm', `uncharging ${pages} pages of ${locked_vm} locked`, 'locked_vm');
    mm.locked_vm = locked_vm - pages;
  }
  k.m.event(k.tid, inc ? 'locked_vm+' : 'locked_vm-', [`mm:${mm.id}`], 'mm/util.c:__account_locked_vm', { pages, ret, locked_vm: mm.locked_vm });
  return ret;
}

export function* account_locked_vm(k: Kctx, mm: mm_struct | null, pages: number, inc: boolean): KThread<number> {
  if (pages === 0 || !mm) return 0;
  yield* down_write(k, mm.mmap_lock, 'mm/util.c:account_locked_vm');
  const ret = __account_locked_vm(k, mm, pages, inc, get_current(k), capable(k, CAP_IPC_LOCK));
  up_write(k, mm.mmap_lock, 'mm/util.c:account_locked_vm');
  return ret;
}
