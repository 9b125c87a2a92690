/**
 * Op group: remote access to another process's memory (issue #12 item 2) — ptrace
 * PEEK/POKE and the attach requests (kernel/ptrace.ts), process_vm_readv/writev
 * (mm/process_vm_access.ts: pin_user_pages_remote, no FOLL_FORCE). /proc/<P>/mem is read
 * and written by the pipe_io group's pread/pwrite (fs/read_write.ts → ->read/->write of
 * fs/proc/base.ts: access_remote_vm with FOLL_FORCE); its `open` is the mm group's.
 */
import { unsupported } from '../../linux/include/linux/bug.js';
import { EINVAL } from '../../linux/include/uapi/linux/errno.js';
import * as ptraceMod from '../../linux/kernel/ptrace.js';
import { process_vm_rw } from '../../linux/mm/process_vm_access.js';
import type { iovec } from '../../linux/mm/process_vm_access.js';
import type { KThread } from '../../sched/index.js';
import type { ArgValue } from '../ast.js';
import type { StepResult } from '../state.js';
import type { OpImpl, StepCtx } from '../step.js';
import { evalFlags, evalNum, processTask, ret } from '../step.js';
import { PTRACE_NAMES, a, en, int } from './flags.js';
import type { OpGroup } from './types.js';

/** A scenario process that still has steps to run: a tracee must be idle (kernel/ptrace.ts MODEL). */
function busyProcess(c: StepCtx, name: string): boolean {
  return c.scenario.threads.some((t) => {
    if (t.process !== name) return false;
    const tid = c.rs.threadIds.get(t.name);
    return tid !== undefined && tid !== c.tid && c.k.s.view(tid).state !== 'done';
  });
}

function* opPtrace(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const request = evalFlags(c, a.request, 'request');
  if (request === null) return ret(-EINVAL);
  const name = a.pid.kind === 'str' ? a.pid.value : '';
  const task = processTask(c, a.pid);
  if ((request === ptraceMod.PTRACE_ATTACH || request === ptraceMod.PTRACE_INTERRUPT) && busyProcess(c, name)) {
    return ret(unsupported(c.k, 'scenario:ptrace', `process ${name} still runs steps: the model stops only an idle tracee`));
  }
  const poke = a.content !== undefined && a.content.kind === 'str' ? a.content.value : '';
  const r = yield* ptraceMod.sys_ptrace(c.k, request, task, evalNum(c, a.addr), evalNum(c, a.data), poke);
  const peek = request === ptraceMod.PTRACE_PEEKDATA || request === ptraceMod.PTRACE_PEEKTEXT;
  return ret(peek && r.ret === 0 ? r.word : r.ret);
}

/** struct iovec fields are a pointer and a size_t: a negative value is that u64 (as a double: every such value is past the checks' limits). */
function u64Num(c: StepCtx, v: ArgValue): number {
  const n = evalNum(c, v);
  return n < 0 ? n + 2 ** 64 : n;
}

function iovArg(c: StepCtx, v: ArgValue | undefined): iovec[] {
  const list = v !== undefined && v.kind === 'list' ? v.items : [];
  return list.map((it) => (it.kind === 'map' ? { iov_base: u64Num(c, it.entries.base), iov_len: u64Num(c, it.entries.len) } : { iov_base: 0, iov_len: 0 }));
}

function processVmRw(write: boolean): OpImpl {
  return function* (c) {
    const a = c.step.args;
    const task = processTask(c, a.pid);
    return ret(yield* process_vm_rw(c.k, task, iovArg(c, a.local), iovArg(c, a.remote), evalNum(c, a.flags), write));
  };
}

const PROC = { kind: 'process' } as const;
const IOV = { kind: 'iovecs' } as const;

export const REMOTE_OPS = {
  ptrace: {
    cls: 'syscall',
    args: [a('request', en('PTRACE_', PTRACE_NAMES)), a('pid', PROC), a('addr', int, 0), a('data', int, 0), a('content', { kind: 'content' }, '')],
    doc: 'ptrace(2) of process `pid`: ATTACH (the idle tracee stops), SEIZE, INTERRUPT, DETACH: 0 or -errno; PEEKTEXT/PEEKDATA: the tag of the first byte of the word at addr, or -errno; POKETEXT/POKEDATA: writes the word (content tag `content`): 0 or -errno',
    result: '0 or -errno; PEEK*: the tag of the word\'s first byte (kernel/ptrace.ts: -ESRCH unless traced by the caller and stopped, -EIO when the 8-byte word cannot be copied whole, -EPERM from __ptrace_may_access / commoncap)',
    impl: opPtrace,
  },
  process_vm_readv: {
    cls: 'syscall', args: [a('pid', PROC), a('local', IOV), a('remote', IOV), a('flags', int, 0)],
    doc: "process_vm_readv(2): copy from process `pid`'s remote iovecs into the caller's local iovecs (pin_user_pages_remote, no FOLL_FORCE): bytes or -errno",
    result: 'bytes copied (up to the first remote page GUP refuses) or, when none, -errno (-EINVAL flags/iovecs, -EFAULT, -ESRCH, -EPERM)',
    impl: processVmRw(false),
  },
  process_vm_writev: {
    cls: 'syscall', args: [a('pid', PROC), a('local', IOV), a('remote', IOV), a('flags', int, 0)],
    doc: "process_vm_writev(2): copy the caller's local iovecs into process `pid`'s remote iovecs (FOLL_WRITE, no FOLL_FORCE): bytes or -errno",
    result: 'bytes copied or, when none, -errno (a read-only mapping is -EFAULT: no FOLL_FORCE)',
    impl: processVmRw(true),
  },
} satisfies OpGroup;
