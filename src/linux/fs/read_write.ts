/**
 * fs/read_write.c (v5.4.1, Debian 6.1.192, Debian 6.12.117): read(2), write(2),
 * pread64(2), pwrite64(2) → vfs_read / vfs_write → the file's ->read / ->write when it
 * has them (/proc/PID/mem: fs/proc/base.ts), else ->read_iter / ->write_iter
 * (new_sync_read / new_sync_write build the kiocb and a one-buffer iterator): pipes
 * (fs/pipe.ts), ext4 and tmpfs files (mm/filemap_rw.ts) and others that set them. The
 * preference is the same in each release (5.4.1: __vfs_read / __vfs_write; 6.1 and 6.12:
 * inline in vfs_read / vfs_write).
 *
 * Checks, in the kernel's order:
 * - fdget: no such fd → -EBADF; pread/pwrite: a negative position → -EINVAL, a file
 *   without FMODE_PREAD / FMODE_PWRITE (a pipe: stream_open) → -ESPIPE;
 * - vfs_read / vfs_write: not open for reading / writing → -EBADF; neither ->read(_iter)
 *   nor ->write(_iter) (FMODE_CAN_READ / FMODE_CAN_WRITE unset) → -EINVAL;
 *   !access_ok(buf, count) → -EFAULT; rw_verify_area: (ssize_t)count < 0 → -EINVAL; a
 *   negative position, or pos + count overflowing loff_t → -EINVAL unless the file allows
 *   unsigned offsets (FMODE_UNSIGNED_OFFSET: /proc/PID/mem; a negative position then is
 *   -EOVERFLOW when count reaches past 2^64); count clamped to MAX_RW_COUNT; count 0 → the
 *   method is still called (it returns 0).
 * - read/write use and advance file->f_pos (fdget_pos: f_pos_lock is not modelled; the
 *   scenario threads of one process do not share a file position concurrently in the corpus).
 * O_DIRECT on the file becomes IOCB_DIRECT, O_APPEND IOCB_APPEND (iocb_flags()).
 *
 * The user buffer (rw_buf): an address in current's memory, or (MODEL) a buffer the
 * scenario does not lay out — a tag source for a write (`pwrite` of a content tag), a sink
 * keeping the runs read for a read (`pread` without `buf`: `$r.content`). Both stand for
 * the conformance driver's malloc'd buffer, so access_ok() is judged on the count alone.
 *
 * MODEL: files of drivers whose read/write the model does not implement (VFIO device
 * region access; hugetlbfs_read_iter) report `unsupported` instead of -EINVAL; fsnotify,
 * security_file_permission and the file_start_write freeze protection are not modelled.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import type { file, kiocb } from '../include/linux/fs.js';
import {
  FMODE_PREAD, FMODE_PWRITE, FMODE_READ, FMODE_WRITE, IOCB_APPEND, IOCB_DIRECT, MAX_RW_COUNT, O_APPEND, O_DIRECT, fget, fput,
} from '../include/linux/fs.js';
import { TASK_SIZE } from '../include/linux/mm_types.js';
import type { data_run } from '../include/linux/page_data.js';
import type { iov_iter } from '../include/linux/uio.js';
import { ITER_DEST, ITER_SOURCE, iov_iter_sink, iov_iter_tag, iov_iter_ubuf } from '../include/linux/uio.js';
import { EBADF, EFAULT, EINVAL, EOVERFLOW, ESPIPE } from '../include/uapi/linux/errno.js';
import { errno_reason } from '../errno_reason.js';

export { MAX_RW_COUNT };

/** FMODE_UNSIGNED_OFFSET (include/linux/fs.h): the file accepts offsets past LLONG_MAX. */
export const FMODE_UNSIGNED_OFFSET = 0x2000;
/** LLONG_MAX as a double (loff_t sums above it wrap negative). */
const LLONG_MAX = 2 ** 63 - 1;

/** Owners whose kernel file_operations have a read (resp. write) method the model does not implement. */
const READ_NOT_MODELLED = new Set(['vfio', 'hugetlbfs', 'mem']);
const WRITE_NOT_MODELLED = new Set(['vfio', 'mem']);

/** The user buffer of a read or write: an address in current's memory, or (MODEL) a tag source / a sink (see the header). */
export type rw_buf = { readonly addr: number } | { readonly tag: string } | { readonly sink: data_run[] };

/** iocb_flags(file) / init_sync_kiocb(): IOCB_* from the open flags. */
function init_sync_kiocb(f: file, pos: number): kiocb {
  let ki_flags = 0;
  if (f.f_flags & O_APPEND) ki_flags |= IOCB_APPEND;
  if (f.f_flags & O_DIRECT) ki_flags |= IOCB_DIRECT;
  return { ki_filp: f, ki_pos: pos, ki_flags };
}

/** access_ok(addr, size): the range lies below TASK_SIZE_MAX. */
export function access_ok(addr: number, size: number): boolean {
  return addr >= 0 && size >= 0 && addr + size <= TASK_SIZE;
}

/** access_ok of a read/write buffer: a model buffer has no address (its count alone is judged). */
function buf_access_ok(buf: rw_buf, count: number): boolean {
  return 'addr' in buf ? access_ok(buf.addr, count) : access_ok(0, count);
}

/** rw_verify_area(rw, file, ppos, count): 0 or -errno (no LSM, no fsnotify permission hooks). */
function rw_verify_area(k: Kctx, f: file, pos: number, count: number): number {
  const site = 'fs/read_write.c:rw_verify_area';
  if (count > LLONG_MAX) return errno_reason(k, -EINVAL, site, 'count does not fit ssize_t');
  const unsigned_offsets = (f.f_mode & FMODE_UNSIGNED_OFFSET) !== 0;
  if (pos < 0) {
    if (!unsigned_offsets) return errno_reason(k, -EINVAL, site, `negative position ${pos}`);
    if (count >= -pos) return errno_reason(k, -EOVERFLOW, site, 'pos + count wraps past 2^64');
  } else if (pos + count > LLONG_MAX && !unsigned_offsets) {
    return errno_reason(k, -EINVAL, site, 'pos + count overflows loff_t');
  }
  return 0;
}

/** The one-buffer iterator over a read's or write's user buffer (new_sync_read/write's iov_iter_ubuf). */
function buf_iter(direction: number, buf: rw_buf, n: number): iov_iter {
  if ('addr' in buf) return iov_iter_ubuf(direction, buf.addr, n);
  if ('tag' in buf) {
    if (direction !== ITER_SOURCE) throw new Error('pinlab bug: a tag buffer is a write source only');
    return iov_iter_tag(buf.tag, n);
  }
  if (direction !== ITER_DEST) throw new Error('pinlab bug: a sink buffer is a read destination only');
  return iov_iter_sink(buf.sink, n);
}

/**
 * vfs_read(file, buf, count, pos) / vfs_write(file, buf, count, pos): bytes or -errno;
 * `pos.v` advanced. ->read / ->write first, else ->read_iter / ->write_iter.
 */
function* vfs_rw(k: Kctx, f: file, buf: rw_buf, count: number, pos: { v: number }, write: boolean): KThread<number> {
  const site = write ? 'fs/read_write.c:vfs_write' : 'fs/read_write.c:vfs_read';
  if (!(f.f_mode & (write ? FMODE_WRITE : FMODE_READ))) return errno_reason(k, -EBADF, site, `the file is not open for ${write ? 'writing' : 'reading'}`);
  const op = write ? f.f_op.write : f.f_op.read;
  const op_iter = write ? f.f_op.write_iter : f.f_op.read_iter;
  if (op === undefined && op_iter === undefined) {
    if ((write ? WRITE_NOT_MODELLED : READ_NOT_MODELLED).has(f.f_op.owner)) return unsupported(k, site, `${write ? 'write' : 'read'}(2) of a ${f.f_op.owner} file`);
    return errno_reason(k, -EINVAL, site, `${f.f_op.owner} files have no ->${write ? 'write' : 'read'}(_iter)`);
  }
  if (count < 0 || !buf_access_ok(buf, count)) return errno_reason(k, -EFAULT, site, 'access_ok() refuses the buffer');
  const v = rw_verify_area(k, f, pos.v, count);
  if (v) return v;
  const n = Math.min(count, MAX_RW_COUNT);
  const it = buf_iter(write ? ITER_SOURCE : ITER_DEST, buf, n);
  if (op !== undefined) return yield* op(k, f, it, n, pos);
  const iocb = init_sync_kiocb(f, pos.v);
  const ret = yield* (op_iter as NonNullable<typeof op_iter>)(k, iocb, it);
  pos.v = iocb.ki_pos;
  return ret;
}

/** vfs_read(file, buf, count, pos) — bytes read or -errno; `pos.v` advanced. */
export function* vfs_read(k: Kctx, f: file, buf: rw_buf, count: number, pos: { v: number }): KThread<number> {
  return yield* vfs_rw(k, f, buf, count, pos, false);
}

/** vfs_write(file, buf, count, pos) — bytes written or -errno; `pos.v` advanced. */
export function* vfs_write(k: Kctx, f: file, buf: rw_buf, count: number, pos: { v: number }): KThread<number> {
  return yield* vfs_rw(k, f, buf, count, pos, true);
}

/** ksys_read(fd, buf, count) / ksys_write: at and advancing the file position. */
function* ksys_rw(k: Kctx, fd: number, buf: rw_buf, count: number, write: boolean): KThread<number> {
  const f = fget(k, fd);
  if (f === null) return errno_reason(k, -EBADF, write ? 'fs/read_write.c:ksys_write' : 'fs/read_write.c:ksys_read', `fd ${fd} is not open`);
  const pos = { v: f.f_pos };
  const ret = yield* vfs_rw(k, f, buf, count, pos, write);
  if (ret >= 0) f.f_pos = pos.v;
  yield* fput(k, f);
  return ret;
}

/** ksys_read(fd, buf, count) */
export function* ksys_read(k: Kctx, fd: number, buf: rw_buf, count: number): KThread<number> {
  return yield* ksys_rw(k, fd, buf, count, false);
}

/** ksys_write(fd, buf, count) */
export function* ksys_write(k: Kctx, fd: number, buf: rw_buf, count: number): KThread<number> {
  return yield* ksys_rw(k, fd, buf, count, true);
}

/** ksys_pread64(fd, buf, count, pos) / ksys_pwrite64: at `pos`, the file position untouched. */
function* ksys_prw64(k: Kctx, fd: number, buf: rw_buf, count: number, pos: number, write: boolean): KThread<number> {
  const site = write ? 'fs/read_write.c:ksys_pwrite64' : 'fs/read_write.c:ksys_pread64';
  if (pos < 0) return errno_reason(k, -EINVAL, site, `negative offset ${pos}`);
  const f = fget(k, fd);
  if (f === null) return errno_reason(k, -EBADF, site, `fd ${fd} is not open`);
  let ret: number;
  if (f.f_mode & (write ? FMODE_PWRITE : FMODE_PREAD)) ret = yield* vfs_rw(k, f, buf, count, { v: pos }, write);
  else ret = errno_reason(k, -ESPIPE, site, 'the file is a stream (no FMODE_PREAD / FMODE_PWRITE)');
  yield* fput(k, f);
  return ret;
}

/** ksys_pread64(fd, buf, count, pos) */
export function* ksys_pread64(k: Kctx, fd: number, buf: rw_buf, count: number, pos: number): KThread<number> {
  return yield* ksys_prw64(k, fd, buf, count, pos, false);
}

/** ksys_pwrite64(fd, buf, count, pos) */
export function* ksys_pwrite64(k: Kctx, fd: number, buf: rw_buf, count: number, pos: number): KThread<number> {
  return yield* ksys_prw64(k, fd, buf, count, pos, true);
}
