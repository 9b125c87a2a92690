/**
 * include/asm-generic/bug.h: BUG_ON, VM_BUG_ON, WARN_ON, WARN_ON_ONCE.
 * A kernel assertion firing is a finding about the kernel (or the scenario), not a
 * crash of pinlab: it is recorded in the machine's reports and the run goes on.
 * The model's own limitations go through unsupported(), which marks the run.
 */
import type { Kctx } from '../../kctx.js';
import type { ReportTopic } from '../../machine.js';
import { ENOSYS } from '../uapi/linux/errno.js';

function thread(k: Kctx): Kctx['tid'] {
  return k.tid;
}

/** BUG_ON(cond): records a `bug` report when cond holds; returns cond. `about` types it for the invariants (KernelReport.about). */
export function BUG_ON(k: Kctx, cond: boolean, site: string, message = 'BUG_ON', about?: ReportTopic): boolean {
  if (cond) {
    k.m.reports.push(about === undefined ? { kind: 'bug', site, thread: thread(k), message } : { kind: 'bug', site, thread: thread(k), message, about });
    k.s.traceNote(`kernel BUG at ${site}: ${message}`);
  }
  return cond;
}

/** VM_BUG_ON: as BUG_ON (CONFIG_DEBUG_VM is assumed on, so the model sees every assertion). */
export const VM_BUG_ON = BUG_ON;

/** WARN_ON(cond): records a `warn` report every time; returns cond, as the kernel macro does. */
export function WARN_ON(k: Kctx, cond: boolean, site: string, message = 'WARN_ON', about?: ReportTopic): boolean {
  if (cond) {
    k.m.reports.push(about === undefined ? { kind: 'warn', site, thread: thread(k), message } : { kind: 'warn', site, thread: thread(k), message, about });
    k.s.traceNote(`WARNING at ${site}: ${message}`);
  }
  return cond;
}

/** WARN_ON_ONCE(cond): records the first time per site; always returns cond. */
export function WARN_ON_ONCE(k: Kctx, cond: boolean, site: string, message = 'WARN_ON_ONCE', about?: ReportTopic): boolean {
  if (cond && !k.m.warnedOnce.has(site)) {
    k.m.warnedOnce.add(site);
    k.m.reports.push(about === undefined ? { kind: 'warn', site, thread: thread(k), message } : { kind: 'warn', site, thread: thread(k), message, about });
    k.s.traceNote(`WARNING at ${site}: ${message}`);
  }
  return cond;
}

/**
 * The model cannot do `what` faithfully: record an `unsupported` report (the
 * scenario's result becomes `unsupported`, never a kernel verdict) and return
 * -ENOSYS so the caller can unwind. Never silent.
 */
export function unsupported(k: Kctx, site: string, what: string): number {
  k.m.reports.push({ kind: 'unsupported', site, thread: thread(k), message: what });
  k.s.traceNote(`unsupported by the model at ${site}: ${what}`);
  return -ENOSYS;
}
