/**
 * kernel/sys.c: the resource-limit syscalls (setrlimit/prlimit64 → do_prlimit).
 * Behaviour read in v5.4, v6.1 and v6.12 (unchanged in what is modelled).
 *
 * MODEL: no RLIMIT_NOFILE > sysctl_nr_open check, no security_task_setrlimit hook, no
 * RLIMIT_CPU timer update; the old limit is not copied out.
 */
import type { Kctx } from '../kctx.js';
import { EINVAL, EPERM } from '../include/uapi/linux/errno.js';
import type { rlimit, task_struct } from '../include/linux/sched.js';
import { CAP_SYS_RESOURCE, RLIM_NLIMITS, capable } from '../include/linux/sched.js';

/**
 * do_prlimit(tsk, resource, new_rlim): a soft limit above the hard one is -EINVAL; raising
 * the hard limit needs CAP_SYS_RESOURCE in current (-EPERM); else tsk's limit becomes new_rlim.
 */
export function do_prlimit(k: Kctx, tsk: task_struct, resource: number, new_rlim: rlimit): number {
  if (resource < 0 || resource >= RLIM_NLIMITS) return -EINVAL;
  if (new_rlim.rlim_cur > new_rlim.rlim_max) return -EINVAL;
  const old = tsk.rlim[resource];
  if (new_rlim.rlim_max > old.rlim_max && !capable(k, CAP_SYS_RESOURCE)) return -EPERM;
  tsk.rlim[resource] = { rlim_cur: new_rlim.rlim_cur, rlim_max: new_rlim.rlim_max };
  return 0;
}
