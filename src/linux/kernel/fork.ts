/**
 * kernel/fork.c: mm_alloc(), mmget()/mmput(), and (model set-up) task creation.
 * fork()'s copy_process()/dup_mmap() are in this file too (phase 2: see docs/kernel-map.md).
 *
 * MODEL: no ASLR: mmap_base is fixed, so addresses are reproducible.
 */
import type { Machine } from '../machine.js';
import type { mm_struct } from '../include/linux/mm_types.js';
import { TASK_SIZE, page_table } from '../include/linux/mm_types.js';
import type { task_struct } from '../include/linux/sched.js';
import { MLOCK_LIMIT_DEFAULT, PF_KTHREAD, RLIMIT_MEMLOCK, RLIMIT_NOFILE, RLIM_INFINITY, RLIM_NLIMITS } from '../include/linux/sched.js';
import type { rlimit } from '../include/linux/sched.js';
import type { files_struct } from '../include/linux/fs.js';
import { init_rwsem } from './locking/rwsem.js';

/** The fixed top of the mmap area (x86-64 TASK_SIZE minus a 128 GiB stack gap, rounded). */
export const MMAP_BASE = 0x7f0000000000;

/** mm_alloc(): a new, empty mm with mm_users = 1. */
export function mm_alloc(m: Machine): mm_struct {
  const id = m.nextId('mm');
  const mm: mm_struct = {
    id,
    mmap_lock: init_rwsem(`mmap_lock(mm#${id})`),
    mmap: [],
    pgd: new page_table(),
    locked_vm: 0,
    pinned_vm: 0,
    total_vm: 0,
    def_flags: 0,
    flags: 0,
    has_pinned: false,
    write_protect_seq: 0,
    mm_users: 1,
    mm_count: 1,
    mmap_base: MMAP_BASE,
    task_size: TASK_SIZE,
    owner_pid: 0,
    dead: false,
  };
  m.mms.add(mm);
  return mm;
}

/** mmget(mm): a user reference (mm_users). */
export function mmget(mm: mm_struct): void {
  mm.mm_users++;
}

/** mmget_not_zero(mm) */
export function mmget_not_zero(mm: mm_struct): boolean {
  if (mm.mm_users === 0) return false;
  mm.mm_users++;
  return true;
}

/** mmgrab(mm): a struct reference (mm_count). */
export function mmgrab(mm: mm_struct): void {
  mm.mm_count++;
}

/** mmdrop(mm): the struct goes away with the last mm_count reference. */
export function mmdrop(m: Machine, mm: mm_struct): void {
  mm.mm_count--;
  if (mm.mm_count === 0) m.mms.delete(mm);
}

/** Options of a task created by scenario set-up (what init + setrlimit + capset would give it). */
export interface TaskOptions {
  readonly comm: string;
  readonly uid?: number;
  /** Effective capabilities (CAP_* numbers). Default: none (an unprivileged user). */
  readonly caps?: readonly number[];
  /** RLIMIT_MEMLOCK in bytes (soft = hard); default 8 MiB; Infinity for unlimited. */
  readonly memlock?: number;
  /** RLIMIT_NOFILE (default 1024). */
  readonly nofile?: number;
  /** A kernel thread: no mm, no files. */
  readonly kthread?: boolean;
}

function new_files(m: Machine, max: number): files_struct {
  return { id: m.nextId('files'), count: 1, fd: [], close_on_exec: new Set(), max_fds: max };
}

/**
 * MODEL: create a process (or kernel thread) for a scenario, as if init had forked
 * and exec'd it: a fresh mm (mm_users 1), an empty fd table, credentials and rlimits.
 */
export function createTask(m: Machine, opts: TaskOptions): task_struct {
  const pid = m.nextId('pid');
  const rlim: rlimit[] = [];
  for (let i = 0; i < RLIM_NLIMITS; i++) rlim.push({ rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY });
  const memlock = opts.memlock ?? MLOCK_LIMIT_DEFAULT;
  rlim[RLIMIT_MEMLOCK] = { rlim_cur: memlock, rlim_max: memlock };
  const nofile = opts.nofile ?? 1024;
  rlim[RLIMIT_NOFILE] = { rlim_cur: nofile, rlim_max: nofile };
  const kthread = opts.kthread ?? false;
  const mm = kthread ? null : mm_alloc(m);
  const t: task_struct = {
    pid,
    comm: opts.comm,
    mm,
    group_leader: undefined as unknown as task_struct,
    cred: { uid: opts.uid ?? 1000, euid: opts.uid ?? 1000, cap_effective: new Set(opts.caps ?? []) },
    rlim,
    flags: kthread ? PF_KTHREAD : 0,
    files: kthread ? null : new_files(m, nofile),
    exited: false,
  };
  t.group_leader = t;
  if (mm) mm.owner_pid = pid;
  m.tasks.set(pid, t);
  return t;
}
