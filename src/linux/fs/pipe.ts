/**
 * fs/pipe.c and include/linux/pipe_fs_i.h (v5.4.1, Debian 6.1.192, Debian 6.12.117):
 * anonymous pipes — pipe2(), pipe_read(), pipe_write(), pipe_release(), the pipe buffer
 * ring and its buffer operations.
 *
 * A pipe buffer holds a page *reference* and a byte window (offset, len) into it. Two
 * kinds matter here:
 * - anon_pipe_buf_ops: pipe_write() copies the writer's bytes into a page of its own
 *   (alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT)); a short write merges into the last
 *   buffer when PIPE_BUF_FLAG_CAN_MERGE is set (not in O_DIRECT "packet" mode). Release
 *   keeps a page nobody else holds as pipe->tmp_page (a one-deep cache) or puts it.
 * - user_page_pipe_buf_ops (fs/splice.c): vmsplice() puts the *user's own page* in the
 *   buffer (a FOLL_GET reference from get_user_pages_fast, not a pin). Release puts the
 *   page.
 * pipe_read() copies from the buffer's page at *read* time (copy_page_to_iter), so a
 * reader sees what the page holds then — for a vmspliced page, what the process (or a
 * device) wrote into it after the vmsplice, as long as the frame is still that page.
 *
 * Capacity: pipe->max_usage buffers (PIPE_DEF_BUFFERS = 16 by default; F_SETPIPE_SZ is
 * not modelled), whatever their lengths. pipe_read() on an empty pipe with writers waits
 * (interruptibly) unless O_NONBLOCK (-EAGAIN); with no writers it returns 0. pipe_write()
 * with no readers is -EPIPE (and SIGPIPE, not modelled: the model only returns the errno);
 * on a full pipe it waits unless O_NONBLOCK (-EAGAIN when nothing was written).
 *
 * The three releases read and write the same way for what is modelled (5.4's ring is
 * nrbufs/curbuf, 5.5+ head/tail; 6.12 also honours IOCB_NOWAIT, which nothing here sets).
 * Locking: pipe->mutex (__pipe_lock in 6.1, mutex_lock(&pipe->mutex) in 6.12) around both
 * paths; copies to and from user memory may fault under it, as in the kernel.
 *
 * MODEL: no FIFOs (named pipes), no watch queues (O_NOTIFICATION_PIPE is `unsupported`),
 * no F_SETPIPE_SZ / pipe-user-pages limits, no SIGPIPE delivery, no splice(2)/tee(2);
 * the zero-length write path is not special-cased beyond returning 0.
 */
import type { KThread } from '../../sched/index.js';
import { Mutex, WaitQueueHead } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import { unsupported } from '../include/linux/bug.js';
import type { file, file_operations, inode, kiocb } from '../include/linux/fs.js';
import {
  FMODE_READ, FMODE_WRITE, O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY, S_IFREG, alloc_file, fd_install, get_unused_fd_flags, put_unused_fd,
} from '../include/linux/fs.js';
import { GFP_HIGHUSER } from '../include/linux/gfp.js';
import { page_count, page_label, put_page } from '../include/linux/mm.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import type { iov_iter } from '../include/linux/uio.js';
import { copy_page_from_iter, copy_page_to_iter, iov_iter_count } from '../include/linux/uio.js';
import { EAGAIN, EFAULT, EINVAL, ENOMEM, EPIPE, ERESTARTSYS } from '../include/uapi/linux/errno.js';
import { mutex_lock, mutex_unlock, wait_event_interruptible } from '../kernel/locking/mutex.js';
import { signal_pending } from '../kernel/sched.js';
import { alloc_page } from '../mm/page_alloc.js';
import { mount_fs, new_inode, sb_of_path } from './libfs.js';

/** include/linux/pipe_fs_i.h */
export const PIPE_DEF_BUFFERS = 16;
export const PIPE_BUF_FLAG_LRU = 0x01;
export const PIPE_BUF_FLAG_ATOMIC = 0x02;
export const PIPE_BUF_FLAG_GIFT = 0x04;
export const PIPE_BUF_FLAG_PACKET = 0x08;
export const PIPE_BUF_FLAG_CAN_MERGE = 0x10;

/** include/uapi/linux/watch_queue.h O_NOTIFICATION_PIPE (= O_EXCL). */
const O_NOTIFICATION_PIPE = 0o200;

/** Which pipe_buf_operations a buffer has. */
export type pipe_buf_ops = 'anon_pipe_buf_ops' | 'user_page_pipe_buf_ops';

/** struct pipe_buffer */
export interface pipe_buffer {
  readonly page: number;
  offset: number;
  len: number;
  readonly ops: pipe_buf_ops;
  flags: number;
}

/** struct pipe_inode_info */
export interface pipe_inode_info {
  /** MODEL: identity (`pipe:N`) for events and the holder probe. */
  readonly id: number;
  readonly mutex: Mutex;
  readonly rd_wait: WaitQueueHead;
  readonly wr_wait: WaitQueueHead;
  /** The occupied slots, oldest (tail) first. MODEL: an array instead of the head/tail ring. */
  readonly bufs: pipe_buffer[];
  readonly max_usage: number;
  readers: number;
  writers: number;
  /** The one-deep page cache of anon_pipe_buf_release(). */
  tmp_page: number | null;
  readonly inode: inode;
}

export function pipe_full(pipe: pipe_inode_info): boolean {
  return pipe.bufs.length >= pipe.max_usage;
}

export function pipe_empty(pipe: pipe_inode_info): boolean {
  return pipe.bufs.length === 0;
}

/** get_pipe_info(file, for_splice): the pipe behind a pipe file, or null. */
export function get_pipe_info(f: file): pipe_inode_info | null {
  return f.f_op === pipefifo_fops ? (f.private_data as pipe_inode_info) : null;
}

/** pipe_buf_release(pipe, buf): the buffer's ->release. */
export function pipe_buf_release(k: Kctx, pipe: pipe_inode_info, buf: pipe_buffer): void {
  k.m.event(k.tid, 'pipe-buf-release', [`pipe:${pipe.id}`, page_label(buf.page)], 'fs/pipe.c:pipe_buf_release', buf.ops);
  if (buf.ops === 'anon_pipe_buf_ops' && page_count(k.m, buf.page) === 1 && pipe.tmp_page === null) {
    // anon_pipe_buf_release(): keep a page nobody else uses as the next write's page.
    pipe.tmp_page = buf.page;
    return;
  }
  put_page(k.m, buf.page);
}

/**
 * add_to_pipe(pipe, buf) (fs/splice.c): the buffer goes in at the head, its reference with
 * it: its length, or -EPIPE (no readers) / -EAGAIN (full), the reference then dropped.
 */
export function add_to_pipe(k: Kctx, pipe: pipe_inode_info, buf: pipe_buffer): number {
  let ret: number;
  if (pipe.readers === 0) ret = -EPIPE;
  else if (pipe_full(pipe)) ret = -EAGAIN;
  else {
    pipe.bufs.push(buf);
    k.m.event(k.tid, 'pipe-buf-add', [`pipe:${pipe.id}`, page_label(buf.page)], 'fs/splice.c:add_to_pipe', `${buf.ops} ${buf.offset}+${buf.len}`);
    return buf.len;
  }
  pipe_buf_release(k, pipe, buf);
  return ret;
}

/** pipe_read(iocb, to) — see the file header. */
function* pipe_read(k: Kctx, iocb: kiocb, to: iov_iter): KThread<number> {
  const site = 'fs/pipe.c:pipe_read';
  const filp = iocb.ki_filp;
  const pipe = filp.private_data as pipe_inode_info;
  let total_len = iov_iter_count(to);
  if (total_len === 0) return 0;
  let ret = 0;
  yield* mutex_lock(k, pipe.mutex, site);
  for (;;) {
    while (!pipe_empty(pipe)) {
      const buf = pipe.bufs[0];
      // MODEL: PIPE_BUF_FLAG_WHOLE (-ENOBUFS) exists only for watch-queue notes, not modelled.
      const chars = Math.min(buf.len, total_len);
      const written = yield* copy_page_to_iter(k, buf.page, buf.offset, chars, to);
      if (written < 0) {
        mutex_unlock(k, pipe.mutex, site);
        return ret > 0 ? ret : written;
      }
      if (written < chars) {
        if (ret === 0) ret = -EFAULT;
        break;
      }
      ret += chars;
      buf.offset += chars;
      buf.len -= chars;
      if (buf.flags & PIPE_BUF_FLAG_PACKET) {
        // A packet buffer: the rest of it is dropped and the read ends here.
        total_len = chars;
        buf.len = 0;
      }
      if (buf.len === 0) {
        pipe.bufs.shift();
        pipe_buf_release(k, pipe, buf);
      }
      total_len -= chars;
      if (total_len === 0) break;
    }
    if (total_len === 0 || ret < 0) break;
    if (pipe.writers === 0) break;
    if (ret) break;
    if (filp.f_flags & O_NONBLOCK) {
      ret = -EAGAIN;
      break;
    }
    mutex_unlock(k, pipe.mutex, site);
    const w = yield* wait_event_interruptible(k, pipe.rd_wait, () => !pipe_empty(pipe) || pipe.writers === 0, site, `pipe:${pipe.id} empty`);
    if (w < 0) return -ERESTARTSYS;
    yield* mutex_lock(k, pipe.mutex, site);
  }
  mutex_unlock(k, pipe.mutex, site);
  return ret;
}

/** pipe_write(iocb, from) — see the file header. */
function* pipe_write(k: Kctx, iocb: kiocb, from: iov_iter): KThread<number> {
  const site = 'fs/pipe.c:pipe_write';
  const filp = iocb.ki_filp;
  const pipe = filp.private_data as pipe_inode_info;
  const total_len = iov_iter_count(from);
  if (total_len === 0) return 0;
  let ret = 0;
  yield* mutex_lock(k, pipe.mutex, site);
  out: {
    if (pipe.readers === 0) {
      ret = -EPIPE; // and SIGPIPE (not modelled)
      break out;
    }
    // Merge a short write into the last buffer when it fits there.
    const chars = total_len & (PAGE_SIZE - 1);
    if (chars !== 0 && !pipe_empty(pipe)) {
      const buf = pipe.bufs[pipe.bufs.length - 1];
      const offset = buf.offset + buf.len;
      if ((buf.flags & PIPE_BUF_FLAG_CAN_MERGE) && offset + chars <= PAGE_SIZE) {
        const copied = yield* copy_page_from_iter(k, buf.page, offset, chars, from);
        if (copied < 0 || copied < chars) {
          ret = copied < 0 ? copied : -EFAULT;
          break out;
        }
        ret = copied;
        buf.len += copied;
        if (iov_iter_count(from) === 0) break out;
      }
    }
    for (;;) {
      if (pipe.readers === 0) {
        if (!ret) ret = -EPIPE;
        break;
      }
      if (!pipe_full(pipe)) {
        let page = pipe.tmp_page;
        if (page === null) {
          page = alloc_page(k, GFP_HIGHUSER);
          if (page === null) {
            if (!ret) ret = -ENOMEM;
            break;
          }
        }
        pipe.tmp_page = null;
        const buf: pipe_buffer = { page, offset: 0, len: 0, ops: 'anon_pipe_buf_ops', flags: filp.f_flags & O_DIRECT ? PIPE_BUF_FLAG_PACKET : PIPE_BUF_FLAG_CAN_MERGE };
        pipe.bufs.push(buf);
        k.m.event(k.tid, 'pipe-buf-add', [`pipe:${pipe.id}`, page_label(page)], site, 'anon_pipe_buf_ops');
        const copied = yield* copy_page_from_iter(k, page, 0, PAGE_SIZE, from);
        if (copied < 0) {
          if (!ret) ret = copied;
          break;
        }
        if (copied < PAGE_SIZE && iov_iter_count(from) !== 0) {
          // A fault part-way: the bytes copied into this buffer are not counted and its
          // length stays 0. MODEL: the kernel leaves the empty buffer in its slot until a
          // reader passes it; the model releases it at once.
          pipe.bufs.pop();
          pipe_buf_release(k, pipe, buf);
          if (!ret) ret = -EFAULT;
          break;
        }
        ret += copied;
        buf.len = copied;
        if (iov_iter_count(from) === 0) break;
      }
      if (!pipe_full(pipe)) continue;
      if (filp.f_flags & O_NONBLOCK) {
        if (!ret) ret = -EAGAIN;
        break;
      }
      if (signal_pending(k)) {
        if (!ret) ret = -ERESTARTSYS;
        break;
      }
      mutex_unlock(k, pipe.mutex, site);
      const w = yield* wait_event_interruptible(k, pipe.wr_wait, () => !pipe_full(pipe) || pipe.readers === 0, site, `pipe:${pipe.id} full`);
      yield* mutex_lock(k, pipe.mutex, site);
      if (w < 0) {
        if (!ret) ret = -ERESTARTSYS;
        break;
      }
    }
  }
  mutex_unlock(k, pipe.mutex, site);
  return ret;
}

/** free_pipe_info(pipe): every buffer released, the cached page put. */
function free_pipe_info(k: Kctx, pipe: pipe_inode_info): void {
  while (pipe.bufs.length > 0) pipe_buf_release(k, pipe, pipe.bufs.shift() as pipe_buffer);
  if (pipe.tmp_page !== null) put_page(k.m, pipe.tmp_page);
  pipe.tmp_page = null;
}

/** pipe_release(inode, file): one end closed; the last close frees the pipe. */
function* pipe_release(k: Kctx, _i: inode, f: file): KThread<number> {
  const site = 'fs/pipe.c:pipe_release';
  const pipe = f.private_data as pipe_inode_info;
  yield* mutex_lock(k, pipe.mutex, site);
  if (f.f_mode & FMODE_READ) pipe.readers--;
  if (f.f_mode & FMODE_WRITE) pipe.writers--;
  const last = pipe.readers === 0 && pipe.writers === 0;
  mutex_unlock(k, pipe.mutex, site);
  if (last) free_pipe_info(k, pipe);
  return 0;
}

/** pipefifo_fops (the read_iter / write_iter / release of an anonymous pipe). */
export const pipefifo_fops: file_operations = {
  owner: 'pipe',
  read_iter: pipe_read,
  write_iter: pipe_write,
  release: pipe_release,
};

/** The pipes reachable from open files, for the fingerprint and the holder probe (id order). */
export function live_pipes(m: Machine): pipe_inode_info[] {
  const seen = new Map<number, pipe_inode_info>();
  for (const t of m.tasks.values()) {
    for (const f of t.files?.fd ?? []) {
      const p = f === null ? null : get_pipe_info(f);
      if (p !== null) seen.set(p.id, p);
    }
  }
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

/** A fingerprint of every live pipe's buffers (the explorer's state key; run.ts). */
export function pipe_fingerprint(m: Machine): string {
  return live_pipes(m).map((p) => `${p.id}:${p.readers}:${p.writers}:${p.tmp_page ?? '-'}:${p.mutex.fingerprint()}:${p.bufs.map((b) => `${b.page}.${b.offset}.${b.len}.${b.flags}.${b.ops === 'anon_pipe_buf_ops' ? 'a' : 'u'}`).join(',')}`).join('|');
}

/** get_pipe_inode(): the pipefs inode and its pipe_inode_info (alloc_pipe_info). */
function get_pipe_inode(k: Kctx): pipe_inode_info {
  const path = 'pipe:';
  const sb = sb_of_path(k.m, path) ?? mount_fs(k.m, path, 'anon_inodefs');
  const id = k.m.nextId('pipe');
  const ino = new_inode(k.m, sb, `pipe:[${id}]`, S_IFREG, 0);
  return {
    id, mutex: new Mutex(`pipe->mutex(pipe:${id})`), rd_wait: new WaitQueueHead(`rd_wait(pipe:${id})`), wr_wait: new WaitQueueHead(`wr_wait(pipe:${id})`),
    bufs: [], max_usage: PIPE_DEF_BUFFERS, readers: 1, writers: 1, tmp_page: null, inode: ino,
  };
}

/**
 * do_pipe2(fildes, flags) / create_pipe_files(): [read fd, write fd], or -errno. Flags
 * other than O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE are -EINVAL;
 * O_DIRECT makes a packet-mode pipe.
 */
export function* do_pipe2(k: Kctx, flags: number): KThread<[number, number] | number> {
  yield* [];
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE)) return -EINVAL;
  if (flags & O_NOTIFICATION_PIPE) return unsupported(k, 'fs/pipe.c:create_pipe_files', 'O_NOTIFICATION_PIPE (watch queues) is not modelled');
  const pipe = get_pipe_inode(k);
  const fdr = get_unused_fd_flags(k, flags);
  if (fdr < 0) {
    free_pipe_info(k, pipe);
    return fdr;
  }
  const fdw = get_unused_fd_flags(k, flags);
  if (fdw < 0) {
    put_unused_fd(k, fdr);
    free_pipe_info(k, pipe);
    return fdw;
  }
  const keep = flags & (O_NONBLOCK | O_DIRECT);
  // stream_open(): no FMODE_PREAD / FMODE_PWRITE (pread/pwrite on a pipe is -ESPIPE).
  const fr = alloc_file(k, pipe.inode, O_RDONLY | keep, pipefifo_fops, pipe);
  const fw = alloc_file(k, pipe.inode, O_WRONLY | keep, pipefifo_fops, pipe);
  k.m.event(k.tid, 'pipe-create', [`pipe:${pipe.id}`, `file:${fr.id}`, `file:${fw.id}`], 'fs/pipe.c:do_pipe2', `${fdr},${fdw}`);
  fd_install(k, fdr, fr);
  fd_install(k, fdw, fw);
  return [fdr, fdw];
}
