/** kernel/locking/mutex.c, spinlock.c and kernel/sched/completion.c, wait.c under kernel names. */
import type { KThread } from '../../../sched/index.js';
import { Completion, Mutex, SpinLock, WaitQueueHead } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { WARN_ON } from '../../include/linux/bug.js';
import { EINTR, ERESTARTSYS } from '../../include/uapi/linux/errno.js';

export { Mutex as mutex, SpinLock as spinlock_t, Completion as completion, WaitQueueHead as wait_queue_head_t };

export function* mutex_lock(k: Kctx, lock: Mutex, site: string): KThread<void> {
  yield* lock.lock(k.s, `${site}:mutex_lock`);
}

/** Returns 0 or -EINTR. */
export function* mutex_lock_killable(k: Kctx, lock: Mutex, site: string): KThread<number> {
  return (yield* lock.lock(k.s, `${site}:mutex_lock_killable`, 'killable')) ? -EINTR : 0;
}

export function mutex_unlock(k: Kctx, lock: Mutex, site: string): void {
  if (!lock.unlock(k.s)) WARN_ON(k, true, site, `mutex_unlock of ${lock.name} not owned by this thread`);
}

export function* spin_lock(k: Kctx, lock: SpinLock, site: string): KThread<void> {
  yield* lock.lock(k.s, `${site}:spin_lock`);
}

export function spin_unlock(k: Kctx, lock: SpinLock, site: string): void {
  if (!lock.unlock(k.s)) WARN_ON(k, true, site, `spin_unlock of ${lock.name} not held by this thread`);
}

export function* wait_for_completion(k: Kctx, c: Completion, site: string): KThread<void> {
  yield* c.wait(k.s, `${site}:wait_for_completion`);
}

export function complete(c: Completion): void {
  c.complete();
}

export function complete_all(c: Completion): void {
  c.completeAll();
}

/** wait_event(): sleep uninterruptibly until cond() holds. */
export function* wait_event(k: Kctx, wq: WaitQueueHead, cond: () => boolean, site: string, detail?: string): KThread<void> {
  void k;
  yield* wq.waitEvent(`${site}:wait_event`, cond, 'uninterruptible', detail);
}

/** wait_event_interruptible(): 0 when cond() holds, -ERESTARTSYS if a signal arrived first. */
export function* wait_event_interruptible(k: Kctx, wq: WaitQueueHead, cond: () => boolean, site: string, detail?: string): KThread<number> {
  void k;
  return (yield* wq.waitEvent(`${site}:wait_event_interruptible`, cond, 'interruptible', detail)) ? -ERESTARTSYS : 0;
}

/** wait_event_killable(): 0, or -ERESTARTSYS on a fatal signal. */
export function* wait_event_killable(k: Kctx, wq: WaitQueueHead, cond: () => boolean, site: string, detail?: string): KThread<number> {
  void k;
  return (yield* wq.waitEvent(`${site}:wait_event_killable`, cond, 'killable', detail)) ? -ERESTARTSYS : 0;
}

export function wake_up(wq: WaitQueueHead): void {
  wq.wakeUp();
}
