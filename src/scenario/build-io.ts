/**
 * Scenario ops of page references that are not pins (issue #12 item 3): pipes and vmsplice
 * (fs/pipe.c, fs/splice.c), read/write/pread/pwrite through the file's ->read_iter /
 * ->write_iter (fs/read_write.c: pipes, ext4 and tmpfs page cache, fs-DAX), and io_uring
 * IORING_OP_READ_FIXED / WRITE_FIXED on registered buffers (io_uring/rw.c).
 */
import { do_pipe2 } from '../linux/fs/pipe.js';
import { sys_vmsplice } from '../linux/fs/splice.js';
import type { rw_buf } from '../linux/fs/read_write.js';
import { ksys_pread64, ksys_pwrite64, ksys_read, ksys_write } from '../linux/fs/read_write.js';
import { io_rw_fixed } from '../linux/io_uring/rw.js';
import type { iovec } from '../linux/io_uring/io_uring.js';
import { EINVAL } from '../linux/include/uapi/linux/errno.js';
import type { KThread } from '../sched/index.js';
import type { StepResult } from './state.js';
import type { StepCtx } from './build.js';
import { evalFlags, evalNum, ret } from './build.js';

export function* opPipe2(c: StepCtx): KThread<StepResult> {
  const flags = evalFlags(c, c.step.args.flags, 'flags');
  if (flags === null) return ret(-EINVAL);
  const r = yield* do_pipe2(c.k, flags);
  if (typeof r === 'number') return ret(r, { rfd: null, wfd: null });
  return ret(0, { rfd: r[0], wfd: r[1] });
}

export function* opVmsplice(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const flags = evalFlags(c, a.flags, 'flags');
  if (flags === null) return ret(-EINVAL);
  const list = a.iovecs !== undefined && a.iovecs.kind === 'list' ? a.iovecs.items : [];
  const iov: iovec[] = list.map((it) => (it.kind === 'map' ? { iov_base: evalNum(c, it.entries.base), iov_len: evalNum(c, it.entries.len) } : { iov_base: 0, iov_len: 0 }));
  return ret(yield* sys_vmsplice(c.k, evalNum(c, a.fd), iov, flags));
}

export function* opRead(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return ret(yield* ksys_read(c.k, evalNum(c, a.fd), evalNum(c, a.buf), evalNum(c, a.length)));
}

export function* opWrite(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return ret(yield* ksys_write(c.k, evalNum(c, a.fd), { addr: evalNum(c, a.buf) }, evalNum(c, a.length)));
}

export function* opPread(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return ret(yield* ksys_pread64(c.k, evalNum(c, a.fd), evalNum(c, a.buf), evalNum(c, a.length), evalNum(c, a.offset)));
}

/** pwrite: from the user buffer `buf`, or (no buf) `length` bytes of the content tag from a buffer the model does not lay out. */
export function* opPwrite(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const buf: rw_buf = a.buf !== undefined && a.buf.kind !== 'null'
    ? { addr: evalNum(c, a.buf) }
    : { tag: a.content !== undefined && a.content.kind === 'str' ? a.content.value : '' };
  return ret(yield* ksys_pwrite64(c.k, evalNum(c, a.fd), buf, evalNum(c, a.length), evalNum(c, a.offset)));
}

export function rwFixed(opcode: number): (c: StepCtx) => KThread<StepResult> {
  return function* (c) {
    const a = c.step.args;
    return ret(yield* io_rw_fixed(c.k, evalNum(c, a.ring), opcode, evalNum(c, a.fd), evalNum(c, a.addr), evalNum(c, a.len), evalNum(c, a.offset), evalNum(c, a.buf_index)));
  };
}


