/**
 * fs/read_write.c (v5.4.1, Debian 6.1.192, Debian 6.12.117): read(2), write(2),
 * pread64(2), pwrite64(2) → vfs_read / vfs_write → the file's ->read_iter /
 * ->write_iter (new_sync_read / new_sync_write build the kiocb and a one-buffer
 * iterator). Any file whose file_operations carry read_iter / write_iter is served:
 * pipes (fs/pipe.ts), ext4 and tmpfs files (mm/filemap_rw.ts), /proc/PID/mem and others
 * that set them.
 *
 * Checks, in the kernel's order:
 * - fdget: no such fd → -EBADF; pread/pwrite: a negative position → -EINVAL, a file
 *   without FMODE_PREAD / FMODE_PWRITE (a pipe: stream_open) → -ESPIPE;
 * - vfs_read / vfs_write: not open for reading / writing → -EBADF; no ->read_iter /
 *   ->write_iter (nor ->read / ->write) → -EINVAL; !access_ok(buf, count) → -EFAULT;
 *   rw_verify_area: a negative position, or pos + count overflowing loff_t → -EINVAL;
 *   count clamped to MAX_RW_COUNT; count 0 → ->read_iter is still called (it returns 0).
 * - read/write use and advance file->f_pos (fdget_pos: f_pos_lock is not modelled; the
 *   scenario threads of one process do not share a file position concurrently in the corpus).
 * O_DIRECT on the file becomes IOCB_DIRECT, O_APPEND IOCB_APPEND (iocb_flags()).
 *
 * MODEL: files of drivers whose read/write the model does not implement (VFIO device
 * region access; hugetlbfs_read_iter) report `unsupported` instead of -EINVAL; fsnotify and the
 * file_start_write freeze protection are not modelled.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import type { file, kiocb } from '../include/linux/fs.js';
import {
  FMODE_PREAD, FMODE_PWRITE, FMODE_READ, FMODE_WRITE, IOCB_APPEND, IOCB_DIRECT, O_APPEND, O_DIRECT, fget, fput,
} from '../include/linux/fs.js';
import { TASK_SIZE } from '../include/linux/mm_types.js';
import type { iov_iter } from '../include/linux/uio.js';
import { ITER_DEST, ITER_SOURCE, iov_iter_tag, iov_iter_ubuf } from '../include/linux/uio.js';
import { EBADF, EFAULT, EINVAL, ESPIPE } from '../include/uapi/linux/errno.js';
import { MAX_RW_COUNT } from './splice.js';

/** Owners whose kernel file_operations have a read (resp. write) method the model does not implement. */
const READ_NOT_MODELLED = new Set(['vfio', 'hugetlbfs']);
const WRITE_NOT_MODELLED = new Set(['vfio']);

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

/** rw_verify_area(): 0 or -EINVAL (the position and the end must be valid loff_t). */
function rw_verify_area(pos: number, count: number): number {
  if (pos < 0) return -EINVAL;
  if (pos + count > Number.MAX_SAFE_INTEGER) return -EINVAL;
  return 0;
}

/** The user buffer of a read or write: an address in current's memory, or (MODEL) a tag source. */
export type rw_buf = { readonly addr: number } | { readonly tag: string };

/**
 * vfs_read(file, buf, count, pos) — bytes read or -errno; `pos.v` advanced.
 * `buf` is a user address of current.
 */
export function* vfs_read(k: Kctx, f: file, buf: number, count: number, pos: { v: number }): KThread<number> {
  if (!(f.f_mode & FMODE_READ)) return -EBADF;
  const read_iter = f.f_op.read_iter;
  if (read_iter === undefined) return READ_NOT_MODELLED.has(f.f_op.owner) ? unsupported(k, 'fs/read_write.c:vfs_read', `read(2) of a ${f.f_op.owner} file`) : -EINVAL;
  if (count < 0 || !access_ok(buf, count)) return -EFAULT;
  const v = rw_verify_area(pos.v, count);
  if (v) return v;
  const n = Math.min(count, MAX_RW_COUNT);
  const iocb = init_sync_kiocb(f, pos.v);
  const it = iov_iter_ubuf(ITER_DEST, buf, n);
  const ret = yield* read_iter(k, iocb, it);
  pos.v = iocb.ki_pos;
  return ret;
}

/** vfs_write(file, buf, count, pos) — bytes written or -errno; `pos.v` advanced. */
export function* vfs_write(k: Kctx, f: file, buf: rw_buf, count: number, pos: { v: number }): KThread<number> {
  if (!(f.f_mode & FMODE_WRITE)) return -EBADF;
  const write_iter = f.f_op.write_iter;
  if (write_iter === undefined) return WRITE_NOT_MODELLED.has(f.f_op.owner) ? unsupported(k, 'fs/read_write.c:vfs_write', `write(2) of a ${f.f_op.owner} file`) : -EINVAL;
  if (count < 0 || ('addr' in buf && !access_ok(buf.addr, count))) return -EFAULT;
  const v = rw_verify_area(pos.v, count);
  if (v) return v;
  const n = Math.min(count, MAX_RW_COUNT);
  const iocb = init_sync_kiocb(f, pos.v);
  const it: iov_iter = 'addr' in buf ? iov_iter_ubuf(ITER_SOURCE, buf.addr, n) : iov_iter_tag(buf.tag, n);
  const ret = yield* write_iter(k, iocb, it);
  pos.v = iocb.ki_pos;
  return ret;
}

/** ksys_read(fd, buf, count) */
export function* ksys_read(k: Kctx, fd: number, buf: number, count: number): KThread<number> {
  const f = fget(k, fd);
  if (f === null) return -EBADF;
  const pos = { v: f.f_pos };
  const ret = yield* vfs_read(k, f, buf, count, pos);
  if (ret >= 0) f.f_pos = pos.v;
  yield* fput(k, f);
  return ret;
}

/** ksys_write(fd, buf, count) */
export function* ksys_write(k: Kctx, fd: number, buf: rw_buf, count: number): KThread<number> {
  const f = fget(k, fd);
  if (f === null) return -EBADF;
  const pos = { v: f.f_pos };
  const ret = yield* vfs_write(k, f, buf, count, pos);
  if (ret >= 0) f.f_pos = pos.v;
  yield* fput(k, f);
  return ret;
}

/** ksys_pread64(fd, buf, count, pos) */
export function* ksys_pread64(k: Kctx, fd: number, buf: number, count: number, pos: number): KThread<number> {
  if (pos < 0) return -EINVAL;
  const f = fget(k, fd);
  if (f === null) return -EBADF;
  let ret: number;
  if (f.f_mode & FMODE_PREAD) ret = yield* vfs_read(k, f, buf, count, { v: pos });
  else ret = -ESPIPE;
  yield* fput(k, f);
  return ret;
}

/** ksys_pwrite64(fd, buf, count, pos) */
export function* ksys_pwrite64(k: Kctx, fd: number, buf: rw_buf, count: number, pos: number): KThread<number> {
  if (pos < 0) return -EINVAL;
  const f = fget(k, fd);
  if (f === null) return -EBADF;
  let ret: number;
  if (f.f_mode & FMODE_PWRITE) ret = yield* vfs_write(k, f, buf, count, { v: pos });
  else ret = -ESPIPE;
  yield* fput(k, f);
  return ret;
}
