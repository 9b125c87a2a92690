/**
 * The only places where a bare `yield` is written. Everything else reaches the
 * runtime through these with `yield*`.
 */
import type { BlockReason, KThread, WaitMode } from './api.js';

/**
 * A named scheduling point: another thread may run here.
 * `label` is `<kernel file>.c:<function>:<tag>`; `locals` is the thread state that
 * matters for state caching at this point (omit when none does).
 */
export function* point(label: string, locals?: string): KThread<void> {
  yield locals === undefined ? { kind: 'point', label } : { kind: 'point', label, locals };
}

/**
 * Block until `ready()` holds. Returns true when the wait ended because a signal
 * arrived (only for killable/interruptible waits), false when the condition holds.
 * The runtime re-evaluates `ready` before every scheduling decision, so a waker needs
 * no explicit wake-up call: changing the state is enough.
 */
export function* waitUntil(
  label: string,
  reason: BlockReason,
  ready: () => boolean,
  mode: WaitMode = 'uninterruptible',
  locals?: string,
): KThread<boolean> {
  const r = yield locals === undefined
    ? { kind: 'wait', label, reason, ready, mode }
    : { kind: 'wait', label, reason, ready, mode, locals };
  return r === 1;
}

/**
 * A wait at which the label and `locals` describe the waiting thread's WHOLE state: no
 * frame of its generator stack holds anything else that its future depends on (a thread
 * body's wait between two of its operations, whose progress and results live in the
 * world). The explorer's state cache then keys the thread on its position alone; at any
 * other point it also keys it on what the thread saw since it was last at such a place
 * (src/explore/history.ts). Claim it only where every live frame is in view.
 */
export function* waitWhole(label: string, reason: BlockReason, ready: () => boolean, locals: string, mode: WaitMode = 'uninterruptible'): KThread<boolean> {
  const r = yield { kind: 'wait', label, reason, ready, mode, locals, whole: true };
  return r === 1;
}

/**
 * A nondeterministic data choice ("does this fault wait for I/O?"), made by the
 * same chooser that picks threads, so a schedule string replays both.
 * Option 0 is the default chooser's pick: put the common outcome first.
 */
export function* choose<T>(label: string, options: readonly T[], names?: readonly string[]): KThread<T> {
  if (options.length === 1) return options[0];
  const idx = yield { kind: 'choose', label, n: options.length, names: names ?? options.map((o) => String(o)) };
  return options[idx];
}
