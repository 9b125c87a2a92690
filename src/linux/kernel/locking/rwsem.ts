/**
 * kernel/locking/rwsem.c under its kernel names. The mechanism (queueing, writer
 * preference, hand-off) is src/sched/locks.ts; here each primitive takes the
 * thread's context and a scheduling-point label.
 *
 * Callers name the site: `yield* down_read(k, mm.mmap_lock, 'mm/gup.c:get_user_pages_unlocked')`.
 */
import type { KThread } from '../../../sched/index.js';
import { RwSemaphore } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { WARN_ON } from '../../include/linux/bug.js';
import { EINTR } from '../../include/uapi/linux/errno.js';

export { RwSemaphore as rw_semaphore };

/** init_rwsem(): `name` appears in deadlock reports, e.g. `mmap_lock(mm#1)`. */
export function init_rwsem(name: string): RwSemaphore {
  return new RwSemaphore(name);
}

export function* down_read(k: Kctx, sem: RwSemaphore, site: string): KThread<void> {
  yield* sem.downRead(k.s, `${site}:down_read`);
}

/** Returns 0, or -EINTR if a fatal signal arrived while waiting. */
export function* down_read_killable(k: Kctx, sem: RwSemaphore, site: string): KThread<number> {
  return (yield* sem.downRead(k.s, `${site}:down_read_killable`, 'killable')) ? -EINTR : 0;
}

export function down_read_trylock(k: Kctx, sem: RwSemaphore): boolean {
  return sem.tryRead(k.s);
}

export function up_read(k: Kctx, sem: RwSemaphore, site: string): void {
  if (!sem.upRead(k.s)) WARN_ON(k, true, site, `up_read of ${sem.name} not held for read by this thread`);
}

export function* down_write(k: Kctx, sem: RwSemaphore, site: string): KThread<void> {
  yield* sem.downWrite(k.s, `${site}:down_write`);
}

/** Returns 0, or -EINTR if a fatal signal arrived while waiting. */
export function* down_write_killable(k: Kctx, sem: RwSemaphore, site: string): KThread<number> {
  return (yield* sem.downWrite(k.s, `${site}:down_write_killable`, 'killable')) ? -EINTR : 0;
}

export function down_write_trylock(k: Kctx, sem: RwSemaphore): boolean {
  return sem.tryWrite(k.s);
}

export function up_write(k: Kctx, sem: RwSemaphore, site: string): void {
  if (!sem.upWrite(k.s)) WARN_ON(k, true, site, `up_write of ${sem.name} not held for write by this thread`);
}

export function downgrade_write(k: Kctx, sem: RwSemaphore, site: string): void {
  if (!sem.downgradeWrite(k.s)) WARN_ON(k, true, site, `downgrade_write of ${sem.name} not held for write`);
}
