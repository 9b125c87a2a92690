/**
 * Why an errno: the model's record of which kernel check returned it. A kernel function that
 * returns -EXXX after a check calls `errno_reason(k, -EXXX, 'file.c:function', 'what failed')`
 * where it returns; the record carries the thread, the errno, the kernel function (file:function,
 * as it is named in the release the profile models) and the facts that made the check fail
 * (addresses, limits, regions). The scenario runner attaches the last record of a step's thread
 * with the step's errno to the result; run output, `--trace` (a note event) and `--json` render it
 * (src/report). Explanatory only: not part of any state fingerprint, so it changes no verdict.
 */
import type { ThreadId } from '../sched/index.js';
import type { Kctx } from './kctx.js';
import { errname } from './include/uapi/linux/errno.js';

export interface ErrnoReason {
  readonly thread: ThreadId;
  /** The negative errno returned. */
  readonly errno: number;
  /** `file.c:function` of the kernel check that returned it. */
  readonly fn: string;
  /** What the check found, in the model's words (values, limits, regions). */
  readonly why: string;
}

/** Record why `err` is returned here and return it: `return errno_reason(k, -EINVAL, site, why)`. */
export function errno_reason(k: Kctx, err: number, fn: string, why: string): number {
  k.m.errno_reasons.push({ thread: k.tid, errno: err, fn, why });
  if (k.s.tracing) k.s.traceNote(`${errname(err)} from ${fn}: ${why}`, { errno: err, fn, why });
  return err;
}

/** The last reason `thread` recorded for `errno` at or after index `from` of the machine's list, or null. */
export function errno_reason_since(reasons: readonly ErrnoReason[], from: number, thread: ThreadId, errno: number): ErrnoReason | null {
  for (let i = reasons.length - 1; i >= from; i--) {
    const r = reasons[i];
    if (r.thread === thread && r.errno === errno) return r;
  }
  return null;
}

/** `0x…` for an address in a reason. */
export function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}
