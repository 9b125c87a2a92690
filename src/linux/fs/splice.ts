/**
 * fs/splice.c vmsplice(2) (v5.4.1, Debian 6.1.192, Debian 6.12.117): vmsplice_to_pipe()
 * → iter_to_pipe(), and vmsplice_to_user() (a copy out of the pipe).
 *
 * vmsplice of user memory into a pipe does not copy: iter_to_pipe() takes *references*
 * on the user's pages — iov_iter_get_pages (5.4) / iov_iter_get_pages2 (6.1, 6.12) →
 * get_user_pages_fast(addr, n, 0): FOLL_GET, no FOLL_WRITE (the iterator is a source),
 * no FOLL_PIN, no FOLL_LONGTERM, up to 16 pages per call — and adds one pipe buffer per
 * page (user_page_pipe_buf_ops, byte window = the part of the page the iovec covers).
 * So the pipe holds the frames the process mapped at vmsplice time; a later read of the
 * pipe copies what those frames hold *then*. Without FOLL_WRITE a never-written private
 * anonymous page is the shared zero page, and nothing breaks COW for the pipe: a later
 * write by the process goes into the same frame when it is writable in place, or into a
 * fresh COW copy (then the pipe keeps the old frame). SPLICE_F_GIFT only sets
 * PIPE_BUF_FLAG_GIFT on the buffers (it matters to splice-to-file stealing, not modelled).
 *
 * vmsplice_to_pipe(): pipe_lock, wait_for_space() (no readers: -EPIPE; full: -EAGAIN
 * with SPLICE_F_NONBLOCK, else wait — O_NONBLOCK on the file is not consulted), then
 * iter_to_pipe(); the pipe filling up part-way ends it with what was added (or -EAGAIN).
 * A fault in get_user_pages_fast stops it the same way (-EFAULT when nothing was added).
 *
 * Syscall checks (all three releases): flags outside SPLICE_F_ALL → -EINVAL; a file
 * neither FMODE_WRITE nor FMODE_READ, or not a pipe → -EBADF; import_iovec's checks
 * (-EINVAL for more than UIO_MAXIOV segments or a negative length sum beyond
 * MAX_RW_COUNT; -EFAULT for an unreadable iovec array is not modelled: the scenario gives
 * the iovecs). A zero-length iovec list returns 0.
 *
 * MODEL: the 5.4 and 6.x loops differ only in how a partial failure returns the
 * unused pages (5.4 puts them as it walks; 6.x reverts the iterator and puts them): the
 * model puts them in both. IOCB/pipe_clear_nowait (6.12) changes nothing modelled.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { page_array } from '../mm/gup.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import { FMODE_READ, FMODE_WRITE, MAX_RW_COUNT, fget, fput } from '../include/linux/fs.js';
import type { file } from '../include/linux/fs.js';
import { put_page } from '../include/linux/mm.js';
import { ITER_DEST, copy_page_to_iter, iov_iter_ubuf } from '../include/linux/uio.js';
import type { iovec } from '../io_uring/io_uring.js';
import { EAGAIN, EBADF, EFAULT, EINVAL, EPIPE, ERESTARTSYS } from '../include/uapi/linux/errno.js';
import { mutex_lock, mutex_unlock, wait_event_interruptible } from '../kernel/locking/mutex.js';
import { signal_pending } from '../kernel/sched.js';
import { get_user_pages_fast } from '../mm/gup_fast.js';
import type { pipe_buffer, pipe_inode_info } from './pipe.js';
import { PIPE_BUF_FLAG_GIFT, add_to_pipe, get_pipe_info, pipe_buf_release, pipe_empty, pipe_full } from './pipe.js';

// include/linux/splice.h
export const SPLICE_F_MOVE = 0x01;
export const SPLICE_F_NONBLOCK = 0x02;
export const SPLICE_F_MORE = 0x04;
export const SPLICE_F_GIFT = 0x08;
export const SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;

/** include/uapi/linux/uio.h UIO_MAXIOV */
const UIO_MAXIOV = 1024;

/** wait_for_space(pipe, flags): 0, -EPIPE, -EAGAIN (SPLICE_F_NONBLOCK) or -ERESTARTSYS; pipe->mutex held (dropped while waiting). */
function* wait_for_space(k: Kctx, pipe: pipe_inode_info, flags: number, site: string): KThread<number> {
  for (;;) {
    if (pipe.readers === 0) return -EPIPE; // and SIGPIPE (not modelled)
    if (!pipe_full(pipe)) return 0;
    if (flags & SPLICE_F_NONBLOCK) return -EAGAIN;
    if (signal_pending(k)) return -ERESTARTSYS;
    // pipe_wait_writable(): drop the lock, sleep until there is room, retake it.
    mutex_unlock(k, pipe.mutex, site);
    const w = yield* wait_event_interruptible(k, pipe.wr_wait, () => !pipe_full(pipe) || pipe.readers === 0, site, `pipe:${pipe.id} full`);
    yield* mutex_lock(k, pipe.mutex, site);
    if (w < 0) return -ERESTARTSYS;
  }
}

/** iter_to_pipe(from, pipe, flags): bytes added to the pipe, or -errno when none. */
function* iter_to_pipe(k: Kctx, segs: readonly iovec[], pipe: pipe_inode_info, buf_flags: number): KThread<number> {
  let total = 0;
  let ret = 0;
  for (const seg of segs) {
    let addr = seg.iov_base;
    let left = seg.iov_len;
    while (left > 0) {
      // iov_iter_get_pages2(from, pages, ~0UL, 16, &start): at most 16 pages of this segment.
      const start = addr % PAGE_SIZE;
      const n = Math.min(16, Math.ceil((start + left) / PAGE_SIZE));
      const pages: page_array = new Array<number | null>(n).fill(null);
      const got = yield* get_user_pages_fast(k, addr - start, n, 0, pages);
      if (got <= 0) return total ? total : got === 0 ? -EFAULT : got;
      let size = Math.min(left, got * PAGE_SIZE - start);
      let off = start;
      for (let i = 0; i < got; i++) {
        const page = pages[i] as number;
        const len = Math.min(size, PAGE_SIZE - off);
        const buf: pipe_buffer = { page, offset: off, len, ops: 'user_page_pipe_buf_ops', flags: buf_flags };
        ret = add_to_pipe(k, pipe, buf);
        if (ret < 0) {
          // add_to_pipe dropped this page; the rest are put back too.
          for (let j = i + 1; j < got; j++) put_page(k.m, pages[j] as number);
          return total ? total : ret;
        }
        total += ret;
        size -= len;
        addr += len;
        left -= len;
        off = 0;
      }
    }
  }
  return total ? total : ret;
}

/** vmsplice_to_pipe(file, iter, flags) */
function* vmsplice_to_pipe(k: Kctx, f: file, segs: readonly iovec[], flags: number): KThread<number> {
  const site = 'fs/splice.c:vmsplice_to_pipe';
  const buf_flag = flags & SPLICE_F_GIFT ? PIPE_BUF_FLAG_GIFT : 0;
  const pipe = get_pipe_info(f);
  if (pipe === null) return -EBADF;
  yield* mutex_lock(k, pipe.mutex, site);
  let ret = yield* wait_for_space(k, pipe, flags, site);
  if (ret === 0) ret = yield* iter_to_pipe(k, segs, pipe, buf_flag);
  mutex_unlock(k, pipe.mutex, site);
  return ret;
}

/**
 * vmsplice_to_user(file, iter, flags): for a read-only pipe fd, a plain copy out of the
 * pipe (__splice_from_pipe with pipe_to_user), without waiting when nothing is there and
 * there are no writers.
 */
function* vmsplice_to_user(k: Kctx, f: file, segs: readonly iovec[], flags: number): KThread<number> {
  const site = 'fs/splice.c:vmsplice_to_user';
  const pipe = get_pipe_info(f);
  if (pipe === null) return -EBADF;
  let ret = 0;
  yield* mutex_lock(k, pipe.mutex, site);
  out: for (const seg of segs) {
    const it = iov_iter_ubuf(ITER_DEST, seg.iov_base, seg.iov_len);
    while (it.count > 0) {
      // splice_from_pipe_next(): wait for data unless there are no writers (or NONBLOCK).
      while (pipe_empty(pipe)) {
        if (pipe.writers === 0 || ret > 0) break out;
        if (flags & SPLICE_F_NONBLOCK) {
          ret = -EAGAIN;
          break out;
        }
        mutex_unlock(k, pipe.mutex, site);
        const w = yield* wait_event_interruptible(k, pipe.rd_wait, () => !pipe_empty(pipe) || pipe.writers === 0, site, `pipe:${pipe.id} empty`);
        yield* mutex_lock(k, pipe.mutex, site);
        if (w < 0) {
          ret = -ERESTARTSYS;
          break out;
        }
      }
      const buf = pipe.bufs[0];
      const n = Math.min(buf.len, it.count);
      const done = yield* copy_page_to_iter(k, buf.page, buf.offset, n, it);
      if (done < n) {
        // pipe_to_user: a short copy is -EFAULT for this buffer.
        if (ret === 0) ret = done < 0 ? done : -EFAULT;
        break out;
      }
      ret += n;
      buf.offset += n;
      buf.len -= n;
      if (buf.len === 0) {
        pipe.bufs.shift();
        pipe_buf_release(k, pipe, buf);
      }
    }
  }
  mutex_unlock(k, pipe.mutex, site);
  return ret;
}

/** vmsplice(fd, iov, nr_segs, flags) — see the file header. */
export function* sys_vmsplice(k: Kctx, fd: number, iov: readonly iovec[], flags: number): KThread<number> {
  if (flags & ~SPLICE_F_ALL) return -EINVAL;
  const f = fget(k, fd);
  if (f === null) return -EBADF;
  try {
    const writing = (f.f_mode & FMODE_WRITE) !== 0;
    if (!writing && (f.f_mode & FMODE_READ) === 0) return -EBADF;
    // import_iovec(): segment count and total length checks.
    if (iov.length > UIO_MAXIOV) return -EINVAL;
    let total = 0;
    const segs: iovec[] = [];
    for (const v of iov) {
      if (v.iov_len < 0 || v.iov_len > Number.MAX_SAFE_INTEGER) return -EINVAL;
      const len = Math.min(v.iov_len, MAX_RW_COUNT - total);
      if (len > 0) segs.push({ iov_base: v.iov_base, iov_len: len });
      total += len;
    }
    if (total === 0) return 0;
    return writing ? yield* vmsplice_to_pipe(k, f, segs, flags) : yield* vmsplice_to_user(k, f, segs, flags);
  } finally {
    yield* fput(k, f);
  }
}
