/**
 * kernel/signal.c: tgkill(2) → do_tkill() of a thread of the model.
 *
 * MODEL: threads are the runtime's kernel threads (no pid lookup, no permission check: the
 * caller names an existing thread). SIGKILL is fatal (fatal_signal_pending); any other signal
 * is taken to have a handler: it is pending (signal_pending interrupts interruptible waits)
 * but does not kill.
 */
import type { ThreadId } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { SIGKILL } from '../include/uapi/asm-generic/signal.js';

/** do_tkill(): queue `sig` on thread `tid`; 0. */
export function do_tkill(k: Kctx, tid: ThreadId, sig: number): number {
  k.s.kill(tid, sig === SIGKILL);
  return 0;
}
