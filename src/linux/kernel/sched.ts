/**
 * Scheduling helpers of the kernel under their names: cond_resched() sites,
 * signal checks, and explicit race windows.
 */
import type { KThread } from '../../sched/index.js';
import { point } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';

/** cond_resched(): a voluntary preemption point. `site` is `<file>.c:<function>`. */
export function* cond_resched(k: Kctx, site: string, locals?: string): KThread<void> {
  void k;
  yield* point(`${site}:cond_resched`, locals);
}

/**
 * An explicit scheduling point where a real race window exists in the kernel (for
 * example between dropping and re-taking mmap_lock). `label` is the full
 * `<file>.c:<function>:<tag>`; the call site says in a comment which race it opens.
 */
export function* race_window(k: Kctx, label: string, locals?: string): KThread<void> {
  void k;
  yield* point(label, locals);
}

/** fatal_signal_pending(current) */
export function fatal_signal_pending(k: Kctx): boolean {
  return k.s.signalPending(k.tid) === 'fatal';
}

/** signal_pending(current) */
export function signal_pending(k: Kctx): boolean {
  return k.s.signalPending(k.tid) !== 'none';
}
