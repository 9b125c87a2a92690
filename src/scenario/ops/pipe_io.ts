/**
 * Op group: page references that are not pins (issue #12 item 3) — pipes and vmsplice
 * (fs/pipe.c, fs/splice.c), read/write/pread/pwrite through the file's ->read / ->write
 * (/proc/<P>/mem) or ->read_iter / ->write_iter (fs/read_write.c: pipes, ext4 and tmpfs
 * page cache, fs-DAX), and io_uring IORING_OP_READ_FIXED / WRITE_FIXED on registered
 * buffers (io_uring/rw.c).
 */
import { do_pipe2 } from '../../linux/fs/pipe.js';
import { sys_vmsplice } from '../../linux/fs/splice.js';
import type { rw_buf } from '../../linux/fs/read_write.js';
import { ksys_pread64, ksys_pwrite64, ksys_read, ksys_write } from '../../linux/fs/read_write.js';
import { IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED, io_rw_fixed } from '../../linux/io_uring/rw.js';
import type { iovec } from '../../linux/io_uring/io_uring.js';
import { EINVAL } from '../../linux/include/uapi/linux/errno.js';
import type { data_run } from '../../linux/include/linux/page_data.js';
import type { KThread } from '../../sched/index.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalFlags, evalNum, ret } from '../step.js';
import { PIPE2_O_NAMES, SPLICE_F_NAMES, a, fl, int } from './flags.js';
import type { OpGroup } from './types.js';

function* opPipe2(c: StepCtx): KThread<StepResult> {
  const flags = evalFlags(c, c.step.args.flags, 'flags');
  if (flags === null) return ret(-EINVAL);
  const r = yield* do_pipe2(c.k, flags);
  if (typeof r === 'number') return ret(r, { rfd: null, wfd: null });
  return ret(0, { rfd: r[0], wfd: r[1] });
}

function* opVmsplice(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const flags = evalFlags(c, a.flags, 'flags');
  if (flags === null) return ret(-EINVAL);
  const list = a.iovecs !== undefined && a.iovecs.kind === 'list' ? a.iovecs.items : [];
  const iov: iovec[] = list.map((it) => (it.kind === 'map' ? { iov_base: evalNum(c, it.entries.base), iov_len: evalNum(c, it.entries.len) } : { iov_base: 0, iov_len: 0 }));
  return ret(yield* sys_vmsplice(c.k, evalNum(c, a.fd), iov, flags));
}

function* opRead(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return ret(yield* ksys_read(c.k, evalNum(c, a.fd), { addr: evalNum(c, a.buf) }, evalNum(c, a.length)));
}

function* opWrite(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return ret(yield* ksys_write(c.k, evalNum(c, a.fd), { addr: evalNum(c, a.buf) }, evalNum(c, a.length)));
}

/**
 * pread: into the user buffer `buf`, or (no buf) into a buffer the model does not lay out,
 * whose first byte's tag is `$r.content` (null when nothing was read).
 */
function* opPread(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const sink: data_run[] = [];
  const toUser = a.buf !== undefined && a.buf.kind !== 'null';
  const buf: rw_buf = toUser ? { addr: evalNum(c, a.buf) } : { sink };
  const r = yield* ksys_pread64(c.k, evalNum(c, a.fd), buf, evalNum(c, a.length), evalNum(c, a.offset));
  return ret(r, { content: !toUser && r > 0 && sink.length > 0 ? sink[0].tag : null });
}

/** pwrite: from the user buffer `buf`, or (no buf) `length` bytes of the content tag from a buffer the model does not lay out. */
function* opPwrite(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const buf: rw_buf = a.buf !== undefined && a.buf.kind !== 'null'
    ? { addr: evalNum(c, a.buf) }
    : { tag: a.content !== undefined && a.content.kind === 'str' ? a.content.value : '' };
  return ret(yield* ksys_pwrite64(c.k, evalNum(c, a.fd), buf, evalNum(c, a.length), evalNum(c, a.offset)));
}

function rwFixed(opcode: number): (c: StepCtx) => KThread<StepResult> {
  return function* (c) {
    const a = c.step.args;
    return ret(yield* io_rw_fixed(c.k, evalNum(c, a.ring), opcode, evalNum(c, a.fd), evalNum(c, a.addr), evalNum(c, a.len), evalNum(c, a.offset), evalNum(c, a.buf_index)));
  };
}

const FIXED_ARGS = [a('ring', int), a('fd', int), a('addr', int, undefined, 'inside a registered buffer'), a('len', int), a('offset', int, 0, '-1: the file position'), a('buf_index', int, 0)];

export const PIPE_IO_OPS = {
  pipe2: {
    cls: 'syscall', args: [a('flags', fl('O_', PIPE2_O_NAMES), 0)], outputs: ['rfd', 'wfd'],
    doc: 'pipe2(2): 0 or -errno; $r.rfd / $r.wfd the read and write ends', result: '0 or -errno; `$r.rfd`, `$r.wfd`', impl: opPipe2,
  },
  vmsplice: {
    cls: 'syscall', args: [a('fd', int), a('iovecs', { kind: 'iovecs' }, undefined, 'list of `{ base, len }`'), a('flags', fl('SPLICE_F_', SPLICE_F_NAMES), 0)],
    doc: 'vmsplice(2): user pages into a pipe as page references (no copy, no pin); from a read end: a copy out of the pipe',
    result: 'bytes or -errno', impl: opVmsplice,
  },
  read: {
    cls: 'syscall', args: [a('fd', int), a('buf', int, undefined, 'user address'), a('length', int)],
    doc: "read(2) at the file position into the process's memory (pipes, ext4/tmpfs page cache, fs-DAX)", result: 'bytes or -errno', impl: opRead,
  },
  write: {
    cls: 'syscall', args: [a('fd', int), a('buf', int, undefined, 'user address'), a('length', int)],
    doc: "write(2) at the file position from the process's memory", result: 'bytes or -errno', impl: opWrite,
  },
  pread: {
    cls: 'syscall', args: [a('fd', int), a('offset', int), a('length', int), a('buf', int, null, 'user address')], outputs: ['content'],
    doc: "pread64(2) into the process's memory at `buf`, or (no buf) into a private buffer: $r.content is the tag of the first byte read (null if none); through ->read (/proc/<P>/mem: access_remote_vm with FOLL_FORCE) or ->read_iter (-ESPIPE on a pipe)",
    result: 'bytes or -errno (fs/read_write.ts ksys_pread64; /proc/<P>/mem: the bytes before the first page GUP refuses, -EIO when none, -EFAULT when `buf` faults); `$r.content` (no buf): the tag of the first byte read',
    impl: opPread,
  },
  pwrite: {
    cls: 'syscall', args: [a('fd', int), a('offset', int), a('length', int), a('content', { kind: 'content' }, null, 'without buf'), a('buf', int, null, 'user address')],
    doc: 'pwrite64(2) of `length` bytes from the user buffer `buf`, or of the content tag from a private buffer; through ->write (/proc/<P>/mem: access_remote_vm with FOLL_WRITE | FOLL_FORCE) or ->write_iter',
    result: 'bytes or -errno (fs/read_write.ts ksys_pwrite64; -ESPIPE on a pipe)', impl: opPwrite,
  },
  IORING_OP_READ_FIXED: {
    cls: 'syscall', args: FIXED_ARGS,
    doc: 'one io_uring READ_FIXED (submit and wait): the file is read into the registered frames behind [addr, addr+len), whatever addr maps now',
    result: 'CQE res: bytes or -errno', impl: rwFixed(IORING_OP_READ_FIXED),
  },
  IORING_OP_WRITE_FIXED: {
    cls: 'syscall', args: FIXED_ARGS,
    doc: 'one io_uring WRITE_FIXED (submit and wait): what the registered frames behind [addr, addr+len) hold is written to the file',
    result: 'CQE res: bytes or -errno', impl: rwFixed(IORING_OP_WRITE_FIXED),
  },
} satisfies OpGroup;
