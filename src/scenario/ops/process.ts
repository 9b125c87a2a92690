/**
 * Op group: process life and credentials — fork, exit, execve, setrlimit, capset, kill.
 */
import { unsupported } from '../../linux/include/linux/bug.js';
import { EINVAL, EPERM } from '../../linux/include/uapi/linux/errno.js';
import type { task_struct } from '../../linux/include/linux/sched.js';
import { CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, RLIMIT_AS, RLIMIT_MEMLOCK, RLIMIT_NOFILE, capable } from '../../linux/include/linux/sched.js';
import { sys_execve } from '../../linux/fs/exec.js';
import { sys_fork } from '../../linux/kernel/fork.js';
import { do_exit } from '../../linux/kernel/exit.js';
import type { KThread } from '../../sched/index.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalInt, noPoint, ret } from '../step.js';
import { RLIMIT_NAMES, SIGNAL_NAMES, a, en, int } from './flags.js';
import type { OpGroup } from './types.js';

/** fork(2): the child becomes the scenario process named by `child`. */
function* opFork(c: StepCtx): KThread<StepResult> {
  const pid = yield* sys_fork(c.k);
  const childName = c.step.args.child.kind === 'str' ? c.step.args.child.value : '';
  if (pid > 0) {
    const t = c.k.m.tasks.get(pid);
    if (t !== undefined) c.rs.processes.set(childName, t as task_struct);
  } else {
    c.rs.failedForks.add(childName);
  }
  return ret(pid, { pid });
}

/** exit(2) of the thread's process; the thread runs no further steps. */
function* opExit(c: StepCtx): KThread<StepResult> {
  yield* do_exit(c.k, 0);
  return ret(0);
}

/** execve(2): the thread's process gets a new mm (fds without O_CLOEXEC stay open). */
function* opExecve(c: StepCtx): KThread<StepResult> {
  return ret(yield* sys_execve(c.k));
}

const RLIMITS: Readonly<Record<string, number>> = { RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_NOFILE };

export const CAPS: Readonly<Record<string, number>> = { CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_DAC_OVERRIDE: 1 };

/**
 * kernel/sys.c do_prlimit() (v5.4 … v6.12, unchanged in what is modelled): cur > max
 * is -EINVAL; raising the hard limit needs CAP_SYS_RESOURCE (-EPERM).
 */
function* opSetrlimit(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const resName = a.resource.kind === 'flags' ? a.resource.names[0] : '';
  const res = RLIMITS[resName];
  if (res === undefined) return ret(unsupported(c.k, 'kernel/sys.c:do_prlimit', `resource ${resName}`));
  const cur = Number(evalInt(c.rs, a.cur));
  const max = a.max === undefined || a.max.kind === 'null' ? cur : Number(evalInt(c.rs, a.max));
  const t = c.k.current;
  if (cur > max) return ret(-EINVAL);
  const old = t.rlim[res];
  if (max > old.rlim_max && !capable(c.k, CAP_SYS_RESOURCE)) return ret(-EPERM);
  t.rlim[res] = { rlim_cur: cur, rlim_max: max };
  yield* noPoint();
  return ret(0);
}

/** capset(2) reduced to dropping effective capabilities (always allowed). */
function* opCapset(c: StepCtx): KThread<StepResult> {
  const v = c.step.args.drop;
  if (v !== undefined && v.kind === 'flags') for (const n of v.names) c.k.current.cred.cap_effective.delete(CAPS[n]);
  yield* noPoint();
  return ret(0);
}

/** tgkill(2) of a scenario thread: the runtime delivers the signal (SIGKILL is fatal). */
function* opKill(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const name = a.thread.kind === 'str' ? a.thread.value : '';
  const tid = c.rs.threadIds.get(name);
  if (tid === undefined) return ret(-EINVAL);
  const sig = a.signal !== undefined && a.signal.kind === 'flags' ? a.signal.names[0] : 'SIGKILL';
  c.k.s.kill(tid, sig === 'SIGKILL');
  yield* noPoint();
  return ret(0);
}

export const PROCESS_OPS = {
  fork: {
    cls: 'syscall', args: [a('child', { kind: 'new-process' })], outputs: ['pid'], doc: 'fork(2): the child pid; the child is the new process `child`',
    result: 'child pid (`$r.pid`) or -errno', impl: opFork,
  },
  exit: { cls: 'syscall', args: [], doc: "exit(2) of the thread's process", result: "the thread's process exits (exit_mm, close files)", impl: opExit },
  execve: { cls: 'syscall', args: [], doc: "execve(2): the thread's process gets a new mm", result: "replaces the process's mm (fds without CLOEXEC stay)", impl: opExecve },
  setrlimit: {
    cls: 'syscall', args: [a('resource', en('RLIMIT_', RLIMIT_NAMES)), a('cur', int), a('max', int, null, '`cur`')], doc: 'setrlimit(2); max defaults to cur',
    result: '0 or -errno', impl: opSetrlimit,
  },
  capset: { cls: 'syscall', args: [a('drop', { kind: 'caps' })], doc: 'drop capabilities', result: '0', impl: opCapset },
  kill: {
    cls: 'syscall', args: [a('thread', { kind: 'thread' }), a('signal', en('SIG', SIGNAL_NAMES), 'SIGKILL')], doc: 'send a signal to a thread (tgkill)',
    result: '0', impl: opKill,
  },
} satisfies OpGroup;
