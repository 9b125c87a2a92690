/**
 * include/linux/sched.h, include/linux/cred.h, include/linux/capability.h,
 * include/uapi/asm-generic/resource.h, include/linux/sched/mm.h (allocation scopes):
 * struct task_struct and what the pinning paths read from it.
 *
 * `k.current` is a task_struct (see get_current()).
 */
import type { Kctx } from '../../kctx.js';
import type { mm_struct } from './mm_types.js';
import type { files_struct } from './fs.js';

/** include/uapi/linux/capability.h */
export const CAP_DAC_OVERRIDE = 1;
export const CAP_IPC_LOCK = 14;
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_RAWIO = 17;
export const CAP_SYS_RESOURCE = 24;

/** include/uapi/asm-generic/resource.h */
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;
export const RLIM_NLIMITS = 16;
/** RLIM_INFINITY: (~0UL); the model uses +Infinity so comparisons stay numeric. */
export const RLIM_INFINITY = Number.POSITIVE_INFINITY;
/** MLOCK_LIMIT default (8 MiB since v5.16, 64 KiB before): the value the task gets unless a scenario sets one. */
export const MLOCK_LIMIT_DEFAULT = 8 * 1024 * 1024;

/** include/linux/sched.h PF_* (values from 5.4 and 6.1 sched.h). */
export const PF_EXITING = 0x00000004;
export const PF_MEMALLOC = 0x00000800;
export const PF_KTHREAD = 0x00200000;
/** v5.4–v5.12: allocations avoid CMA (memalloc_nocma_save). */
export const PF_MEMALLOC_NOCMA = 0x10000000;
/** v5.13+: allocations avoid CMA and ZONE_MOVABLE (memalloc_pin_save); same bit as PF_MEMALLOC_NOCMA. */
export const PF_MEMALLOC_PIN = 0x10000000;

/** struct cred, reduced to what the model reads. */
export interface cred {
  uid: number;
  euid: number;
  /** cap_effective as a set of CAP_* numbers. */
  readonly cap_effective: Set<number>;
}

/** struct rlimit */
export interface rlimit {
  rlim_cur: number;
  rlim_max: number;
}

/** struct task_struct (include/linux/sched.h). */
export interface task_struct {
  readonly pid: number;
  comm: string;
  /** NULL for kernel threads (and after exit_mm). */
  mm: mm_struct | null;
  group_leader: task_struct;
  cred: cred;
  /** signal->rlim[] */
  readonly rlim: rlimit[];
  /** PF_* */
  flags: number;
  files: files_struct | null;
  /** MODEL: the task has exited (do_exit ran). */
  exited: boolean;
  /** task->ptrace: PT_PTRACED | PT_SEIZED (kernel/ptrace.ts), 0 when not traced. */
  ptrace: number;
  /** task->parent: the tracer while traced (ptrace_link), else null (MODEL: the real parent is not kept). */
  parent: task_struct | null;
  /** MODEL: the tracee is stopped for its tracer (TASK_TRACED: ptrace_check_attach may freeze it). */
  ptrace_stopped: boolean;
}

/** current (arch get_current()): the task_struct the thread runs as (Kctx.current). */
export function get_current(k: Kctx): task_struct {
  return k.current;
}

/** rlimit(RLIMIT_x) of current (include/linux/sched/signal.h task_rlimit). */
export function rlimit(k: Kctx, limit: number): number {
  return get_current(k).rlim[limit].rlim_cur;
}

/** task_rlimit(task, limit) */
export function task_rlimit(task: task_struct, limit: number): number {
  return task.rlim[limit].rlim_cur;
}

/**
 * capable(cap) (kernel/capability.c): does current have `cap` in its effective set?
 * MODEL: no user namespaces, no LSM; sets PF_SUPERPRIV is not modelled.
 */
export function capable(k: Kctx, cap: number): boolean {
  return get_current(k).cred.cap_effective.has(cap);
}

/** has_capability_noaudit(t, cap) */
export function has_capability_noaudit(t: task_struct, cap: number): boolean {
  return t.cred.cap_effective.has(cap);
}

/** current_uid() */
export function current_uid(k: Kctx): number {
  return get_current(k).cred.uid;
}
