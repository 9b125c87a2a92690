/**
 * fs/read_write.c ksys_pread64() / ksys_pwrite64() → vfs_read() / vfs_write() →
 * rw_verify_area() → ->read / ->write — Linux 5.4.1, Debian 6.1.192, Debian 6.12.117 (the
 * same checks in each): pos < 0 → -EINVAL; a bad fd → -EBADF; a file opened without
 * FMODE_PREAD/PWRITE (pipes) → -ESPIPE; not open for reading/writing → -EBADF; a file
 * without ->read/->write → -EINVAL; (ssize_t)count < 0 → -EINVAL; pos + count past
 * LLONG_MAX → -EINVAL unless the file allows unsigned offsets (FMODE_UNSIGNED_OFFSET:
 * /proc/PID/mem); count capped at MAX_RW_COUNT.
 * MODEL: the user buffer is a kernel-model buffer of content tags (remote_buf): it is
 * always addressable (no access_ok / copy_to_user fault) — a write's data is the scenario's
 * tag. Regular files of the model's file systems have no ->read/->write yet (`unsupported`).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import type { file } from '../include/linux/fs.js';
import { FMODE_READ, FMODE_WRITE, fget, fput } from '../include/linux/fs.js';
import type { remote_buf } from '../include/linux/mm_types.js';
import { EBADF, EINVAL } from '../include/uapi/linux/errno.js';
import { errno_reason } from '../errno_reason.js';

/** MAX_RW_COUNT: INT_MAX & PAGE_MASK. */
export const MAX_RW_COUNT = 0x7ffff000;
/** LLONG_MAX as a double (loff_t sums above it wrap negative). */
const LLONG_MAX = 2 ** 63 - 1;
/** FMODE_UNSIGNED_OFFSET (include/linux/fs.h): the file accepts offsets past LLONG_MAX. */
export const FMODE_UNSIGNED_OFFSET = 0x2000;

/** rw_verify_area(rw, file, ppos, count): 0 or -errno (no LSM modelled). */
function rw_verify_area(k: Kctx, f: file, pos: number, count: number): number {
  const site = 'fs/read_write.c:rw_verify_area';
  if (count > LLONG_MAX) return errno_reason(k, -EINVAL, site, 'count does not fit ssize_t');
  if (pos + count > LLONG_MAX && !(f.f_mode & FMODE_UNSIGNED_OFFSET)) return errno_reason(k, -EINVAL, site, 'pos + count overflows loff_t');
  return 0;
}

/** vfs_read / vfs_write of `count` bytes at *pos through the file's ->read / ->write. */
function* vfs_rw(k: Kctx, f: file, buf: remote_buf, count: number, pos: { v: number }, write: boolean): KThread<number> {
  const site = write ? 'fs/read_write.c:vfs_write' : 'fs/read_write.c:vfs_read';
  if (!(f.f_mode & (write ? FMODE_WRITE : FMODE_READ))) return errno_reason(k, -EBADF, site, `the file is not open for ${write ? 'writing' : 'reading'}`);
  const op = write ? f.f_op.write : f.f_op.read;
  if (op === undefined) {
    // FMODE_CAN_READ/WRITE: set when the file has ->read(_iter)/->write(_iter). The model's
    // regular files have none yet: not a kernel -EINVAL.
    return unsupported(k, site, `${write ? 'write' : 'read'} of ${f.f_inode.path} (${f.f_op.owner}) is not modelled`);
  }
  const r = rw_verify_area(k, f, pos.v, count);
  if (r) return r;
  return yield* op(k, f, buf, Math.min(count, MAX_RW_COUNT), pos);
}

/** ksys_pread64(fd, buf, count, pos) / ksys_pwrite64: bytes or -errno. */
export function* ksys_prw64(k: Kctx, fd: number, buf: remote_buf, count: number, pos: number, write: boolean): KThread<number> {
  const site = write ? 'fs/read_write.c:ksys_pwrite64' : 'fs/read_write.c:ksys_pread64';
  if (pos < 0) return errno_reason(k, -EINVAL, site, `negative offset ${pos}`);
  const f = fget(k, fd);
  if (f === null) return errno_reason(k, -EBADF, site, `fd ${fd} is not open`);
  // FMODE_PREAD / FMODE_PWRITE: every file of the model is seekable (no pipes yet).
  const ret = yield* vfs_rw(k, f, buf, count, { v: pos }, write);
  yield* fput(k, f);
  return ret;
}
