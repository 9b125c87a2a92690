/**
 * IORING_OP_READ_FIXED / IORING_OP_WRITE_FIXED on registered buffers: io_uring/rw.c
 * io_prep_rw (6.1) / io_prep_rw_fixed (6.12), io_read / io_write, and io_uring/rsrc.c
 * io_import_fixed (Debian 6.1.192, Debian 6.12.117; fs/io_uring.c in 5.4.1 / 5.6.4 has
 * the same checks in io_prep_rw / io_import_fixed).
 *
 * The I/O goes to the *registered* pages: io_import_fixed() builds an ITER_BVEC over
 * imu->bvec (the frames pinned at IORING_REGISTER_BUFFERS time), never looking at what
 * the process maps at the address now. So after munmap / mremap / a COW of the buffer's
 * range, a READ_FIXED still fills the old frames, and a WRITE_FIXED still writes what
 * they hold.
 *
 * Checks (CQE res): sqe->buf_index >= ctx->nr_user_bufs → -EFAULT; an empty (sparse)
 * slot → -EFAULT (6.1/6.12's dummy buffer spans nothing); addr + len overflowing or
 * [addr, addr+len) not inside [imu->ubuf, imu->ubuf + imu->len) → -EFAULT; the target fd
 * not open → -EBADF; io_read on a file without FMODE_READ (io_write: FMODE_WRITE) →
 * -EBADF; no ->read_iter / ->write_iter → -EINVAL. Offset -1 means the file position.
 *
 * MODEL: one step submits one SQE and waits for its CQE (io_uring_enter with
 * min_complete 1); the nonblocking first attempt and the io-wq punt are folded into one
 * blocking ->read_iter / ->write_iter call (the same result for the files modelled), run
 * under uring_lock (an unregister waits for it, as the request's rsrc node reference
 * makes it wait in the kernel); no
 * SQ/CQ ring memory, no linked or async-cancelled requests, no registered files.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { kiocb } from '../include/linux/fs.js';
import { FMODE_READ, FMODE_WRITE, fget, fput } from '../include/linux/fs.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import type { iov_iter } from '../include/linux/uio.js';
import { ITER_DEST, ITER_SOURCE, iov_iter_bvec } from '../include/linux/uio.js';
import { EBADF, EFAULT, EINVAL, EOPNOTSUPP } from '../include/uapi/linux/errno.js';
import { mutex_lock, mutex_unlock } from '../kernel/locking/mutex.js';
import { io_ring_ctx_of } from './io_uring.js';
import type { io_mapped_ubuf } from './rsrc.js';

/** include/uapi/linux/io_uring.h opcodes (5.4 .. 6.12 numbering). */
export const IORING_OP_READ_FIXED = 4;
export const IORING_OP_WRITE_FIXED = 5;

const U64_MAX = 2 ** 64 - 1;

/**
 * io_import_fixed(ddir, iter, imu, buf_addr, len): a bvec iterator over the registered
 * frames that back [buf_addr, buf_addr + len), or -EFAULT.
 * MODEL: a coalesced 6.12 buffer (one head pfn per folio, folio_shift > PAGE_SHIFT) is
 * expanded to its base pages, the first folio entered at the buffer's virtual offset in
 * a folio-sized block (the kernel keeps first_folio_page_idx; they agree for folios
 * mapped at their natural alignment, which are the ones the model coalesces).
 */
export function io_import_fixed(ddir: number, imu: io_mapped_ubuf | null, buf_addr: number, len: number): iov_iter | number {
  if (imu === null) return -EFAULT;
  if (buf_addr + len > U64_MAX) return -EFAULT;
  if (buf_addr < imu.ubuf || buf_addr + len > imu.ubuf + imu.len) return -EFAULT;
  const shift = imu.folio_shift;
  const fsize = 2 ** shift;
  const off0 = shift === 12 ? imu.ubuf % PAGE_SIZE : imu.ubuf % fsize;
  const start = off0 + (buf_addr - imu.ubuf);
  const firstPage = Math.floor(start / PAGE_SIZE);
  const lastPage = Math.floor((start + Math.max(len, 1) - 1) / PAGE_SIZE);
  const pages: number[] = [];
  for (let p = firstPage; p <= lastPage; p++) {
    const byte = p * PAGE_SIZE;
    pages.push(imu.bvec[Math.floor(byte / fsize)] + Math.floor((byte % fsize) / PAGE_SIZE));
  }
  return iov_iter_bvec(ddir, pages, start % PAGE_SIZE, len);
}

/**
 * Submit one READ_FIXED / WRITE_FIXED SQE on ring `ring_fd` and wait for it: the CQE res
 * (bytes, or -errno) — see the file header. A ring fd that is not an io_uring is
 * io_uring_enter's -EOPNOTSUPP (-EBADF for no file).
 */
export function* io_rw_fixed(k: Kctx, ring_fd: number, opcode: number, fd: number, addr: number, len: number, off: number, buf_index: number): KThread<number> {
  const site = opcode === IORING_OP_READ_FIXED ? 'io_uring/rw.c:io_read' : 'io_uring/rw.c:io_write';
  const rf = fget(k, ring_fd);
  if (rf === null) return -EBADF;
  const ctx = io_ring_ctx_of(k, ring_fd);
  if (ctx === null) {
    yield* fput(k, rf);
    return -EOPNOTSUPP;
  }
  yield* mutex_lock(k, ctx.uring_lock, 'io_uring/io_uring.c:io_submit_sqes');
  let res: number;
  out: {
    // io_prep_rw(_fixed): the buffer slot.
    if (buf_index < 0 || buf_index >= ctx.nr_user_bufs || ctx.user_bufs === null) {
      res = -EFAULT;
      break out;
    }
    const imu = ctx.user_bufs[buf_index] ?? null;
    const f = fget(k, fd);
    if (f === null) {
      res = -EBADF;
      break out;
    }
    const read = opcode === IORING_OP_READ_FIXED;
    const iter = io_import_fixed(read ? ITER_DEST : ITER_SOURCE, imu, addr, len);
    if (typeof iter === 'number') res = iter;
    else if (!(f.f_mode & (read ? FMODE_READ : FMODE_WRITE))) res = -EBADF;
    else {
      const op = read ? f.f_op.read_iter : f.f_op.write_iter;
      if (op === undefined) res = -EINVAL;
      else {
        const iocb: kiocb = { ki_filp: f, ki_pos: off === -1 ? f.f_pos : off, ki_flags: 0 };
        k.m.event(k.tid, read ? 'io-read-fixed' : 'io-write-fixed', [`file:${f.id}`, ...iter.type === 'bvec' ? iter.pages.map((p) => `pfn:${p}`) : []], site, `${addr}+${len}`);
        res = yield* op(k, iocb, iter);
        if (off === -1 && res > 0) f.f_pos = iocb.ki_pos;
      }
    }
    yield* fput(k, f);
  }
  mutex_unlock(k, ctx.uring_lock, 'io_uring/io_uring.c:io_submit_sqes');
  yield* fput(k, rf);
  return res;
}
