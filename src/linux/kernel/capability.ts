/**
 * kernel/capability.c capset(2), with security/commoncap.c cap_capset()'s rule reduced to
 * the one set the model keeps.
 *
 * MODEL: a cred holds only cap_effective (no permitted, inheritable or bounding set), so the
 * current effective set stands in for the permitted set: the new effective set must be a
 * subset of it (else -EPERM), which makes dropping capabilities always allowed.
 */
import type { Kctx } from '../kctx.js';
import { EPERM } from '../include/uapi/linux/errno.js';
import { get_current } from '../include/linux/sched.js';

/** capset(): current's effective capabilities become `effective`. */
export function sys_capset(k: Kctx, effective: ReadonlySet<number>): number {
  const c = get_current(k).cred;
  for (const cap of effective) if (!c.cap_effective.has(cap)) return -EPERM;
  for (const cap of [...c.cap_effective]) if (!effective.has(cap)) c.cap_effective.delete(cap);
  return 0;
}
