/**
 * Scheduling helpers of the kernel under their names: cond_resched() sites,
 * signal checks, and explicit race windows.
 */
import type { KThread } from '../../sched/index.js';
import { point } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';

/**
 * cond_resched(): a voluntary preemption point. `site` is `<file>.c:<function>`.
 * MODEL (speed only): the only thread of a run (Sched.onlyThread: no other thread, no hook
 * watching between its steps) has no one to yield to, so the point is skipped, as the lone-thread
 * merges of mm/gup_speed.ts and VFIO's collapsed batches skip theirs; a traced run records it as
 * a one-point `batch` event, so it takes the untraced run's steps. The reference atomicity keeps
 * it, and so does a run in which other threads ran (its step numbers stay as they were).
 */
export function* cond_resched(k: Kctx, site: string, locals?: string): KThread<void> {
  if (!fine_atomicity(k) && k.s.onlyThread(k.tid)) {
    if (k.s.tracing) k.s.traceBatch(`${site}:cond_resched`, 1, { fn: site });
    return;
  }
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

/**
 * A scheduling point of the reference atomicity only (Machine.atomicity 'fine'): placed
 * where the normal model merges two shared accesses into one step because a lock it
 * holds excludes every conflicting path (the call site names the lock) or because the
 * merge is a speed-only shortcut. The soundness test explores every scenario in both
 * modes and requires the same verdicts and outcomes. `label` is the full
 * `<file>.c:<function>:<tag>`.
 */
export function* fine_point(k: Kctx, label: string, locals?: string): KThread<void> {
  if (k.m.atomicity === 'fine') yield* point(label, locals);
}

/** Is this machine in the reference atomicity (every fine_point yields)? */
export function fine_atomicity(k: Kctx): boolean {
  return k.m.atomicity === 'fine';
}

/** fatal_signal_pending(current) */
export function fatal_signal_pending(k: Kctx): boolean {
  return k.s.signalPending(k.tid) === 'fatal';
}

/** signal_pending(current) */
export function signal_pending(k: Kctx): boolean {
  return k.s.signalPending(k.tid) !== 'none';
}
