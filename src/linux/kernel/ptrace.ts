/**
 * kernel/ptrace.c (and kernel/fork.c mm_access()) — Linux 5.4.1, Debian 6.1.192, Debian
 * 6.12.117, reduced to what remote memory access needs: the permission check
 * (__ptrace_may_access with the commoncap hook), mm_access() (the check /proc/PID/mem and
 * process_vm_readv/writev make), PTRACE_ATTACH / PTRACE_SEIZE / PTRACE_INTERRUPT /
 * PTRACE_DETACH, ptrace_check_attach(), and PTRACE_PEEKTEXT/PEEKDATA/POKETEXT/POKEDATA
 * through ptrace_access_vm() → __access_remote_vm(FOLL_FORCE) (mm/access_remote.ts).
 *
 * Permission (__ptrace_may_access, the same rules in every release read): a thread of the
 * same thread group may always; otherwise the caller's uid (PTRACE_MODE_REALCREDS) or fsuid
 * (PTRACE_MODE_FSCREDS) must equal the target's uid, euid and suid (and gids), or the
 * caller must have CAP_SYS_PTRACE; then the target's mm must be dumpable, and the security
 * hook runs: commoncap's cap_ptrace_access_check() refuses (-EPERM) a caller whose permitted
 * capabilities are not a superset of the target's, unless it has CAP_SYS_PTRACE. Debian
 * builds Yama with ptrace_scope 0 (YAMA_SCOPE_DISABLED), so Yama adds nothing.
 * MODEL: credentials are uid/euid (suid = euid, gids equal, fsuid = euid) and one capability
 * set serving as permitted and effective; no user namespaces; every mm is dumpable
 * (SUID_DUMP_USER: no set-uid exec in the model); AppArmor/SELinux confine nothing.
 *
 * Tracing: PTRACE_ATTACH sets PT_PTRACED, links the tracer (task->parent) and sends
 * SIGSTOP; PTRACE_SEIZE (addr must be 0, only PTRACE_O_* options) attaches without
 * stopping, and PTRACE_INTERRUPT stops a seized tracee. A request other than these needs
 * ptrace_check_attach(): traced by current and stopped (TASK_TRACED), else -ESRCH.
 * MODEL: a tracee is a process idle in user space (the scenario layer refuses one with
 * steps still to run): the SIGSTOP of PTRACE_ATTACH, or PTRACE_INTERRUPT, stops it at once,
 * as if the tracer had waited for the stop with waitpid(). PTRACE_DETACH lets it run again
 * (the signal in `data` is not delivered). A tracee is not detached when its tracer exits.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { errno_reason } from '../errno_reason.js';
import { WARN_ON_ONCE } from '../include/linux/bug.js';
import { FOLL_FORCE, FOLL_WRITE } from '../include/linux/foll.js';
import type { mm_struct } from '../include/linux/mm_types.js';
import type { task_struct } from '../include/linux/sched.js';
import { CAP_SYS_PTRACE, PF_KTHREAD, get_current } from '../include/linux/sched.js';
import { EACCES, EIO, EPERM, ESRCH } from '../include/uapi/linux/errno.js';
import { __access_remote_vm, remote_buffer, remote_first_tag } from '../mm/access_remote.js';
import { get_task_mm, mmput } from './fork.js';

// include/linux/ptrace.h
export const PTRACE_MODE_READ = 0x01;
export const PTRACE_MODE_ATTACH = 0x02;
export const PTRACE_MODE_NOAUDIT = 0x04;
export const PTRACE_MODE_FSCREDS = 0x08;
export const PTRACE_MODE_REALCREDS = 0x10;
export const PTRACE_MODE_ATTACH_FSCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_FSCREDS;
export const PTRACE_MODE_ATTACH_REALCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS;

// include/uapi/linux/ptrace.h
export const PTRACE_PEEKTEXT = 1;
export const PTRACE_PEEKDATA = 2;
export const PTRACE_POKETEXT = 4;
export const PTRACE_POKEDATA = 5;
export const PTRACE_KILL = 8;
export const PTRACE_ATTACH = 16;
export const PTRACE_DETACH = 17;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
/** PTRACE_O_MASK: the option bits PTRACE_SEIZE accepts (0x003000ff: TRACESYSGOOD .. TRACESECCOMP, EXITKILL, SUSPEND_SECCOMP). */
export const PTRACE_O_MASK = 0x003000ff;

// include/linux/ptrace.h
export const PT_PTRACED = 0x00000001;
export const PT_SEIZED = 0x00010000;

/** The size of a ptrace word (unsigned long on x86-64). */
export const PTRACE_WORD = 8;

/** same_thread_group(): the model has one thread per task, so the same task. */
function same_thread_group(a: task_struct, b: task_struct): boolean {
  return a.group_leader === b.group_leader;
}

/** commoncap cap_ptrace_access_check(): the caller's capabilities must cover the target's, or CAP_SYS_PTRACE. */
function cap_ptrace_access_check(k: Kctx, child: task_struct): number {
  const caller = get_current(k).cred.cap_effective;
  const subset = [...child.cred.cap_effective].every((c) => caller.has(c));
  if (subset || caller.has(CAP_SYS_PTRACE)) return 0;
  return errno_reason(k, -EPERM, 'security/commoncap.c:cap_ptrace_access_check', `pid ${child.pid} holds capabilities the caller does not, and the caller lacks CAP_SYS_PTRACE`);
}

/** __ptrace_may_access(task, mode): 0 or -EPERM. */
export function __ptrace_may_access(k: Kctx, task: task_struct, mode: number): number {
  const site = 'kernel/ptrace.c:__ptrace_may_access';
  const cur = get_current(k);
  if (!(mode & PTRACE_MODE_FSCREDS) === !(mode & PTRACE_MODE_REALCREDS)) {
    WARN_ON_ONCE(k, true, site, 'denying ptrace access check without PTRACE_MODE_*CREDS');
    return -EPERM;
  }
  if (same_thread_group(task, cur)) return 0;
  const caller_uid = mode & PTRACE_MODE_FSCREDS ? cur.cred.euid : cur.cred.uid;
  const t = task.cred;
  const ok = (caller_uid === t.euid && caller_uid === t.uid) || cur.cred.cap_effective.has(CAP_SYS_PTRACE);
  if (!ok) return errno_reason(k, -EPERM, site, `the caller's uid ${caller_uid} is not pid ${task.pid}'s (uid ${t.uid}, euid ${t.euid}) and it lacks CAP_SYS_PTRACE`);
  // task_still_dumpable(): MODEL: every mm is SUID_DUMP_USER.
  return cap_ptrace_access_check(k, task);
}

/** ptrace_may_access(task, mode) */
export function ptrace_may_access(k: Kctx, task: task_struct, mode: number): boolean {
  return __ptrace_may_access(k, task, mode) === 0;
}

/**
 * kernel/fork.c mm_access(task, mode): the task's mm with a user reference, -ESRCH when it has
 * none (6.1/6.12; 5.4.1 returns NULL, which its callers turn into the same results), -EACCES
 * when it is not current's and ptrace_may_access() refuses. MODEL: exec_update_lock
 * (cred_guard_mutex in 5.4) is not modelled (no exec races a remote access here).
 */
export function* mm_access(k: Kctx, task: task_struct, mode: number): KThread<mm_struct | number> {
  const mm = get_task_mm(task);
  if (mm === null) return errno_reason(k, -ESRCH, 'kernel/fork.c:mm_access', `pid ${task.pid} has no mm (it exited)`);
  if (mm !== get_current(k).mm && !ptrace_may_access(k, task, mode)) {
    yield* mmput(k, mm);
    return errno_reason(k, -EACCES, 'kernel/fork.c:mm_access', `ptrace_may_access(pid ${task.pid}) refused`);
  }
  return mm;
}

/** ptrace_attach(task, request, addr, flags): PTRACE_ATTACH / PTRACE_SEIZE. */
function ptrace_attach(k: Kctx, task: task_struct, request: number, addr: number, flags: number): number {
  const site = 'kernel/ptrace.c:ptrace_attach';
  const seize = request === PTRACE_SEIZE;
  if (seize) {
    if (addr !== 0) return errno_reason(k, -EIO, site, 'PTRACE_SEIZE with addr != 0');
    if (flags & ~PTRACE_O_MASK) return errno_reason(k, -EIO, site, `PTRACE_SEIZE options 0x${flags.toString(16)} outside PTRACE_O_MASK`);
  }
  const cur = get_current(k);
  if (task.flags & PF_KTHREAD) return errno_reason(k, -EPERM, site, 'a kernel thread');
  if (same_thread_group(task, cur)) return errno_reason(k, -EPERM, site, 'the caller itself');
  const r = __ptrace_may_access(k, task, PTRACE_MODE_ATTACH_REALCREDS);
  if (r) return r;
  if (task.exited) return errno_reason(k, -EPERM, site, `pid ${task.pid} has exited`);
  if (task.ptrace) return errno_reason(k, -EPERM, site, `pid ${task.pid} is already traced`);
  task.ptrace = seize ? PT_PTRACED | PT_SEIZED : PT_PTRACED;
  task.parent = cur;
  // send_sig_info(SIGSTOP): MODEL: the idle tracee stops at once (see the header).
  if (!seize) task.ptrace_stopped = true;
  k.m.event(k.tid, 'ptrace-attach', [`pid:${cur.pid}`, `pid:${task.pid}`], site);
  return 0;
}

/** ptrace_check_attach(child, ignore_state): traced by current (and stopped unless ignore_state), else -ESRCH. */
function ptrace_check_attach(k: Kctx, child: task_struct, ignore_state: boolean): number {
  const site = 'kernel/ptrace.c:ptrace_check_attach';
  if (!child.ptrace || child.parent !== get_current(k)) return errno_reason(k, -ESRCH, site, `pid ${child.pid} is not traced by the caller`);
  if (!ignore_state && !child.ptrace_stopped) return errno_reason(k, -ESRCH, site, `pid ${child.pid} is traced but not stopped (TASK_TRACED)`);
  return 0;
}

/**
 * ptrace_access_vm(tsk, addr, buf, len, gup_flags): 0 bytes unless tsk is traced by current
 * (and its mm dumpable: MODEL always); else __access_remote_vm().
 */
export function* ptrace_access_vm(k: Kctx, tsk: task_struct, addr: number, buf: ReturnType<typeof remote_buffer>, len: number, gup_flags: number): KThread<number> {
  const mm = get_task_mm(tsk);
  if (mm === null) return 0;
  if (!tsk.ptrace || tsk.parent !== get_current(k)) {
    yield* mmput(k, mm);
    return 0;
  }
  const ret = yield* __access_remote_vm(k, mm, addr, buf, len, gup_flags);
  yield* mmput(k, mm);
  return ret;
}

/** The result of sys_ptrace: the errno or 0, and for a PEEK the tag of the word's first byte. */
export interface ptrace_result {
  readonly ret: number;
  readonly word: string | null;
}

/**
 * sys_ptrace(request, pid, addr, data) for the requests above, `data` of a POKE being the
 * content tag written (MODEL: the word's data). The task is looked up by the caller
 * (find_get_task_by_vpid: null → -ESRCH). Unknown requests → -EIO (ptrace_request's default).
 */
export function* sys_ptrace(k: Kctx, request: number, child: task_struct | null, addr: number, data: number, poke: string): KThread<ptrace_result> {
  const site = 'kernel/ptrace.c:sys_ptrace';
  const out = (ret: number, word: string | null = null): ptrace_result => ({ ret, word });
  if (child === null) return out(errno_reason(k, -ESRCH, site, 'no such pid'));
  if (request === PTRACE_ATTACH || request === PTRACE_SEIZE) return out(ptrace_attach(k, child, request, addr, data));
  const r = ptrace_check_attach(k, child, request === PTRACE_KILL || request === PTRACE_INTERRUPT);
  if (r) return out(r);
  switch (request) {
    case PTRACE_PEEKTEXT:
    case PTRACE_PEEKDATA: {
      // generic_ptrace_peekdata(): a whole word or -EIO.
      const buf = remote_buffer();
      const copied = yield* ptrace_access_vm(k, child, addr, buf, PTRACE_WORD, FOLL_FORCE);
      if (copied !== PTRACE_WORD) return out(errno_reason(k, -EIO, 'kernel/ptrace.c:generic_ptrace_peekdata', `${copied} of ${PTRACE_WORD} bytes at 0x${addr.toString(16)} could be read`));
      return out(0, remote_first_tag(buf));
    }
    case PTRACE_POKETEXT:
    case PTRACE_POKEDATA: {
      const buf = remote_buffer(poke);
      const copied = yield* ptrace_access_vm(k, child, addr, buf, PTRACE_WORD, FOLL_FORCE | FOLL_WRITE);
      return out(copied === PTRACE_WORD ? 0 : errno_reason(k, -EIO, 'kernel/ptrace.c:generic_ptrace_pokedata', `${copied} of ${PTRACE_WORD} bytes at 0x${addr.toString(16)} could be written`));
    }
    case PTRACE_INTERRUPT:
      // ptrace_request(): only a PTRACE_SEIZE'd tracee can be interrupted.
      if (!(child.ptrace & PT_SEIZED)) return out(errno_reason(k, -EIO, 'kernel/ptrace.c:ptrace_request', 'PTRACE_INTERRUPT of a tracee not attached with PTRACE_SEIZE'));
      child.ptrace_stopped = true;
      return out(0);
    case PTRACE_DETACH:
      // ptrace_detach(): valid_signal(data) else -EIO; the tracee is unlinked and resumes.
      if (data < 0 || data > 64) return out(errno_reason(k, -EIO, 'kernel/ptrace.c:ptrace_detach', `signal ${data} is not valid`));
      child.ptrace = 0;
      child.parent = null;
      child.ptrace_stopped = false;
      k.m.event(k.tid, 'ptrace-detach', [`pid:${child.pid}`], 'kernel/ptrace.c:ptrace_detach');
      return out(0);
    default:
      return out(errno_reason(k, -EIO, 'kernel/ptrace.c:ptrace_request', `request ${request} is not modelled or not known`));
  }
}
