/**
 * Op group: io_uring rings and fixed buffers (io_uring/io_uring.c, rsrc.c).
 */
import { IORING_REGISTER_BUFFERS, IORING_UNREGISTER_BUFFERS, io_uring_register, io_uring_setup } from '../../linux/io_uring/io_uring.js';
import type { iovec } from '../../linux/io_uring/io_uring.js';
import type { KThread } from '../../sched/index.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalNum, ret } from '../step.js';
import { a, int } from './flags.js';
import type { OpGroup } from './types.js';

function* opIoUringSetup(c: StepCtx): KThread<StepResult> {
  const fd = yield* io_uring_setup(c.k, evalNum(c, c.step.args.entries));
  if (fd >= 0) {
    const proc = [...c.rs.processes.entries()].find(([, t]) => t === c.k.current);
    if (proc !== undefined) c.rs.rings.push({ process: proc[0], fd });
  }
  return ret(fd);
}

function* opIoUringRegister(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const fd = evalNum(c, a.ring);
  const list = a.iovecs !== undefined && a.iovecs.kind === 'list' ? a.iovecs.items : [];
  const iov: iovec[] = list.map((it) => (it.kind === 'map' ? { iov_base: evalNum(c, it.entries.base), iov_len: evalNum(c, it.entries.len) } : { iov_base: 0, iov_len: 0 }));
  c.rs.usesIoUring = true;
  return ret(yield* io_uring_register(c.k, fd, IORING_REGISTER_BUFFERS, iov, iov.length));
}

function* opIoUringUnregister(c: StepCtx): KThread<StepResult> {
  return ret(yield* io_uring_register(c.k, evalNum(c, c.step.args.ring), IORING_UNREGISTER_BUFFERS, null, 0));
}

export const IO_URING_OPS = {
  io_uring_setup: { cls: 'syscall', args: [a('entries', int, 8)], doc: 'io_uring_setup(2): ring fd or -errno', result: 'fd or -errno', impl: opIoUringSetup },
  IORING_REGISTER_BUFFERS: {
    cls: 'syscall', args: [a('ring', int), a('iovecs', { kind: 'iovecs' })], doc: 'io_uring_register(2)', result: '0 or -errno', impl: opIoUringRegister,
  },
  IORING_UNREGISTER_BUFFERS: { cls: 'syscall', args: [a('ring', int)], doc: 'io_uring_register(2)', result: '0 or -errno', impl: opIoUringUnregister },
} satisfies OpGroup;
