/**
 * kernel/fork.c: mm_alloc(), mmget()/mmput()/mmdrop(), fork (copy_process reduced
 * to the mm and the fd table: dup_mm → dup_mmap, dup_fd), and (model set-up) task
 * creation. Read in 5.4.1, Debian 6.1.192, Debian 6.12.117.
 *
 * dup_mmap(): takes the parent's mmap_lock for write (killable: -EINTR), copies each
 * VMA except VM_DONTCOPY ones (the child's copy loses VM_LOCKED/VM_LOCKONFAULT, gets
 * its own anon_vma under the parent's root, and a file reference), and copies page
 * tables with copy_page_range() (mm/memory.ts) unless VM_WIPEONFORK. The child mm
 * starts with locked_vm = pinned_vm = 0 and without has_pinned / MMF_HAS_PINNED.
 *
 * MODEL: no ASLR (mmap_base is fixed); the child is a task only — a scenario runs
 * code as the child by spawning a thread with it as `current`.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import type { anon_vma, mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import { TASK_SIZE, page_table } from '../include/linux/mm_types.js';
import type { task_struct } from '../include/linux/sched.js';
import { MLOCK_LIMIT_DEFAULT, PF_KTHREAD, RLIMIT_MEMLOCK, RLIMIT_NOFILE, RLIM_INFINITY, RLIM_NLIMITS, get_current } from '../include/linux/sched.js';
import type { rlimit } from '../include/linux/sched.js';
import type { files_struct } from '../include/linux/fs.js';
import { get_file } from '../include/linux/fs.js';
import { VM_DONTCOPY, VM_LOCKED_MASK, VM_WIPEONFORK } from '../include/linux/mm.js';
import { EINTR, ENOMEM } from '../include/uapi/linux/errno.js';
import { should_fail } from '../include/linux/fault_inject.js';
import { down_write_killable, up_write } from './locking/rwsem.js';
import { init_rwsem } from './locking/rwsem.js';
import { copy_page_range } from '../mm/memory.js';
import { exit_mmap } from '../mm/mmap.js';
import { mm_put_huge_zero_page } from '../mm/huge_memory.js';
import { SpinLock } from '../../sched/index.js';
import { EXEC_LAYOUT, mm_copy_layout } from './sys_prctl.js';

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
    arg_lock: new SpinLock(`arg_lock(mm#${id})`),
    ...EXEC_LAYOUT,
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

/**
 * get_task_mm(task) — kernel/fork.c (5.4.1, Debian 6.1.192, 6.12.117): under task_lock,
 * the task's mm with a user reference (mmget), or null when the task has none (it
 * exited: exit_mm() cleared task->mm) or is a kernel thread (PF_KTHREAD).
 * MODEL: task_lock is not modelled (no scheduling point inside).
 */
export function get_task_mm(task: task_struct): mm_struct | null {
  let mm = task.mm;
  if (mm !== null) {
    if (task.flags & PF_KTHREAD) mm = null;
    else mmget(mm);
  }
  return mm;
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
  return { id: m.nextId('files'), count: 1, fd: [], close_on_exec: new Set(), reserved: new Set(), max_fds: max };
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
    ptrace: 0,
    parent: null,
    ptrace_stopped: false,
  };
  t.group_leader = t;
  if (mm) mm.owner_pid = pid;
  m.tasks.set(pid, t);
  return t;
}

/**
 * mmput(mm): drop a user reference; the last one tears the address space down (__mmput:
 * exit_mmap, then mm_put_huge_zero_page) and drops the struct.
 */
export function* mmput(k: Kctx, mm: mm_struct): KThread<void> {
  mm.mm_users--;
  if (mm.mm_users > 0) return;
  k.m.event(k.tid, 'mm-exit', [`mm:${mm.id}`], 'kernel/fork.c:__mmput');
  yield* exit_mmap(k, mm);
  mm_put_huge_zero_page(k, mm);
  mmdrop(k.m, mm);
}

/** anon_vma_fork(): the child VMA gets its own anon_vma under the parent's root. */
function anon_vma_fork(k: Kctx, parent: anon_vma | null): anon_vma | null {
  if (!parent) return null;
  return { id: k.m.nextId('anon_vma'), root: parent.root };
}

/** dup_mmap(mm, oldmm): see the file header. Returns 0 or -errno. */
export function* dup_mmap(k: Kctx, mm: mm_struct, oldmm: mm_struct): KThread<number> {
  if (yield* down_write_killable(k, oldmm.mmap_lock, 'kernel/fork.c:dup_mmap')) return -EINTR;
  mm.total_vm = oldmm.total_vm;
  mm.def_flags = oldmm.def_flags;
  let retval = 0;
  for (const mpnt of [...oldmm.mmap]) {
    if (mpnt.vm_flags & VM_DONTCOPY) {
      mm.total_vm -= (mpnt.vm_end - mpnt.vm_start) / 4096;
      continue;
    }
    // vm_area_dup(): the kmem_cache allocation of the child's VMA (fail_nomem: -ENOMEM).
    if (should_fail(k, 'kernel/fork.c:dup_mmap:vm_area_dup')) {
      retval = -ENOMEM;
      break;
    }
    const tmp: vm_area_struct = {
      ...mpnt,
      id: k.m.nextId('vma'),
      vm_mm: mm,
      vm_flags: mpnt.vm_flags & ~VM_LOCKED_MASK,
      anon_vma: mpnt.vm_flags & VM_WIPEONFORK ? null : anon_vma_fork(k, mpnt.anon_vma),
      vm_freed: false,
    };
    if (tmp.vm_file) {
      get_file(tmp.vm_file);
      tmp.vm_file.f_mapping.i_mmap.add(tmp);
    }
    if (tmp.vm_ops && tmp.vm_ops.open) tmp.vm_ops.open(tmp);
    mm.mmap.push(tmp);
    if (!(tmp.vm_flags & VM_WIPEONFORK)) retval = yield* copy_page_range(k, tmp, mpnt);
    if (retval) break;
  }
  up_write(k, oldmm.mmap_lock, 'kernel/fork.c:dup_mmap');
  return retval;
}

/** dup_fd(): the child's fd table shares every open file (one more reference each). */
function dup_fd(m: Machine, old: files_struct): files_struct {
  const fs: files_struct = { id: m.nextId('files'), count: 1, fd: old.fd.map((f) => (f ? get_file(f) : null)), close_on_exec: new Set(old.close_on_exec), reserved: new Set(), max_fds: old.max_fds };
  return fs;
}

/**
 * sys_fork() → kernel_clone/_do_fork → copy_process(): a new task with a copy of
 * current's mm (dup_mm) and fd table. Returns the child's pid or -errno.
 */
export function* sys_fork(k: Kctx): KThread<number> {
  const parent = get_current(k);
  k.s.traceCall('sys_fork', [parent.pid]);
  const m = k.m;
  let mm: mm_struct | null = null;
  if (parent.mm) {
    mm = mm_alloc(m);
    // dup_mm's memcpy of the struct: the child starts with the parent's exec layout.
    mm_copy_layout(mm, parent.mm);
    const r = yield* dup_mmap(k, mm, parent.mm);
    if (r) {
      // dup_mm failure: the half-built mm is torn down.
      yield* mmput(k, mm);
      k.s.traceRet('sys_fork', r);
      return r === -EINTR ? r : -ENOMEM;
    }
  }
  const pid = m.nextId('pid');
  const child: task_struct = {
    pid,
    comm: parent.comm,
    mm,
    group_leader: undefined as unknown as task_struct,
    cred: { uid: parent.cred.uid, euid: parent.cred.euid, cap_effective: new Set(parent.cred.cap_effective) },
    rlim: parent.rlim.map((r) => ({ ...r })),
    flags: parent.flags & PF_KTHREAD,
    files: parent.files ? dup_fd(m, parent.files) : null,
    exited: false,
    // copy_process(): a child of a traced parent is not traced (no PTRACE_O_TRACEFORK in the model).
    ptrace: 0,
    parent: null,
    ptrace_stopped: false,
  };
  child.group_leader = child;
  if (mm) mm.owner_pid = pid;
  m.tasks.set(pid, child);
  m.event(k.tid, 'fork', [`pid:${parent.pid}`, `pid:${pid}`, ...(mm ? [`mm:${mm.id}`] : [])], 'kernel/fork.c:copy_process');
  k.s.traceRet('sys_fork', pid);
  return pid;
}
