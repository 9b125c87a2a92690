/**
 * include/linux/uio.h and lib/iov_iter.c (v5.4.1, Debian 6.1.192, Debian 6.12.117):
 * struct iov_iter and the copies between a page and an iterator — copy_page_to_iter()
 * (read paths: pipe_read, filemap_read, vmsplice_to_user) and copy_page_from_iter()
 * (write paths: pipe_write, generic_perform_write).
 *
 * Kinds modelled:
 * - 'ubuf': one user buffer of current ([addr, addr+count)); ITER_UBUF / a one-segment
 *   ITER_IOVEC. The copy takes user faults (uaccess.ts) and stops at the first page that
 *   faults, so a short copy is what copy_to_user / copy_from_user leave.
 * - 'bvec': a page vector (ITER_BVEC): io_uring's registered buffers (io_import_fixed).
 *   The copy goes to or from those frames, whatever the process maps now.
 * - 'tag': MODEL: a private kernel-side or user buffer the model does not lay out in memory,
 *   holding `count` bytes of one tag (the scenario `pwrite` of a content tag: the guest
 *   driver's malloc'd buffer). A source only.
 * - 'sink': MODEL: the destination counterpart (the scenario `pread` without `buf`: the guest
 *   driver's malloc'd buffer): it keeps the runs copied into it, in order. A destination only.
 * The same iterator stands for the `char __user *buf` of a file's ->read / ->write
 * (include/linux/fs.ts): copy_to_iter / copy_from_iter below are then the method's
 * copy_to_user / copy_from_user of a kernel buffer.
 * Data move as runs of tags (include/linux/page_data.ts).
 *
 * MODEL: no ITER_KVEC / XARRAY / DISCARD, no multi-segment iovecs (a scenario step names
 * one buffer); `nofault` (FOLL_NOFAULT) is not modelled.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import type { data_run } from './page_data.js';
import { page_read_bytes, page_write_runs, runs_append, runs_slice } from './page_data.js';
import { PAGE_SIZE } from './mm_types.js';
import { copy_from_user_runs, copy_to_user_runs } from '../../mm/uaccess.js';

/** Data direction as the kernel names it: ITER_SOURCE (WRITE: data leave the iterator) / ITER_DEST (READ). */
export const ITER_SOURCE = 1;
export const ITER_DEST = 0;

export type iov_iter =
  | { readonly type: 'ubuf'; readonly data_source: number; addr: number; count: number }
  | { readonly type: 'bvec'; readonly data_source: number; readonly pages: readonly number[]; offset: number; count: number }
  | { readonly type: 'tag'; readonly data_source: typeof ITER_SOURCE; readonly tag: string; count: number }
  | { readonly type: 'sink'; readonly data_source: typeof ITER_DEST; readonly runs: data_run[]; at: number; count: number };

/** iov_iter_ubuf(i, direction, buf, count) */
export function iov_iter_ubuf(direction: number, addr: number, count: number): iov_iter {
  return { type: 'ubuf', data_source: direction, addr, count };
}

/** iov_iter_bvec(i, direction, bvec, nr_segs, count) over whole pages, starting `offset` bytes into the first. */
export function iov_iter_bvec(direction: number, pages: readonly number[], offset: number, count: number): iov_iter {
  return { type: 'bvec', data_source: direction, pages, offset, count };
}

/** MODEL: a source iterator of `count` bytes of `tag` (see the header). */
export function iov_iter_tag(tag: string, count: number): iov_iter {
  return { type: 'tag', data_source: ITER_SOURCE, tag, count };
}

/** MODEL: a destination iterator of `count` bytes that keeps what is copied into it in `runs` (see the header). */
export function iov_iter_sink(runs: data_run[], count: number): iov_iter {
  return { type: 'sink', data_source: ITER_DEST, runs, at: 0, count };
}

export function iov_iter_count(i: iov_iter): number {
  return i.count;
}

/** iov_iter_rw(i): WRITE (1) for a source, READ (0) for a destination. */
export function iov_iter_rw(i: iov_iter): number {
  return i.data_source;
}

/** iov_iter_advance(i, n) */
export function iov_iter_advance(i: iov_iter, n: number): void {
  if (i.type === 'ubuf') i.addr += n;
  else if (i.type === 'bvec') i.offset += n;
  else if (i.type === 'sink') i.at += n;
  i.count -= n;
}

/** iov_iter_revert(i, n): step the iterator back by n bytes it advanced over. */
export function iov_iter_revert(i: iov_iter, n: number): void {
  if (i.type === 'ubuf') i.addr -= n;
  else if (i.type === 'bvec') i.offset -= n;
  else if (i.type === 'sink') throw new Error('pinlab bug: a sink iterator is never reverted (its runs are kept)');
  i.count += n;
}

/** The frame and in-page offset of byte `at` of a bvec iterator's pages. */
function bvec_at(i: { readonly pages: readonly number[]; offset: number }, at: number): { page: number; off: number } {
  const abs = i.offset + at;
  return { page: i.pages[Math.floor(abs / PAGE_SIZE)], off: abs % PAGE_SIZE };
}

/** Write runs (relative to 0, covering `len` bytes) at the iterator's position; bytes copied. */
function* iter_write_runs(k: Kctx, i: iov_iter, runs: readonly data_run[], len: number): KThread<number> {
  if (i.type === 'ubuf') {
    const left = yield* copy_to_user_runs(k, i.addr, runs, len);
    if (left < 0) return left;
    return len - left;
  }
  if (i.type === 'bvec') {
    for (let done = 0; done < len;) {
      const { page, off } = bvec_at(i, done);
      const n = Math.min(PAGE_SIZE - off, len - done);
      page_write_runs(k.m, page, off, runs_slice(runs, done, n));
      done += n;
    }
    return len;
  }
  if (i.type === 'sink') {
    runs_append(i.runs, i.at, runs);
    return len;
  }
  throw new Error('pinlab bug: a tag iterator is a source only');
}

/** Read `len` bytes at the iterator's position as runs; short when a user page faults. */
function* iter_read_runs(k: Kctx, i: iov_iter, len: number): KThread<data_run[] | number> {
  if (i.type === 'ubuf') {
    const r = yield* copy_from_user_runs(k, i.addr, len);
    return typeof r === 'number' ? r : r.runs;
  }
  if (i.type === 'bvec') {
    const out: data_run[] = [];
    for (let done = 0; done < len;) {
      const { page, off } = bvec_at(i, done);
      const n = Math.min(PAGE_SIZE - off, len - done);
      runs_append(out, done, page_read_bytes(k.m, page, off, n));
      done += n;
    }
    return out;
  }
  if (i.type === 'sink') throw new Error('pinlab bug: a sink iterator is a destination only');
  return len > 0 ? [{ offset: 0, len, tag: i.tag }] : [];
}

/**
 * copy_to_iter(addr, bytes, i): copy `bytes` of a kernel buffer (its runs, relative to its
 * start) to the iterator and advance it; the number copied (short at a user fault), or an
 * `unsupported` errno. A ->read's copy_to_user(buf, kbuf, n) is this on its `buf`.
 */
export function* copy_to_iter(k: Kctx, runs: readonly data_run[], bytes: number, i: iov_iter): KThread<number> {
  if (i.data_source !== ITER_DEST) throw new Error('pinlab bug: copy_to_iter into a source iterator');
  const n = Math.min(bytes, i.count);
  const done = yield* iter_write_runs(k, i, runs_slice(runs, 0, n), n);
  if (done > 0) iov_iter_advance(i, done);
  return done;
}

/**
 * copy_from_iter(addr, bytes, i): copy `bytes` from the iterator into a kernel buffer and
 * advance it; the runs copied (relative to the buffer's start; fewer bytes at a user fault),
 * or an `unsupported` errno. A ->write's copy_from_user(kbuf, buf, n) is this on its `buf`.
 */
export function* copy_from_iter(k: Kctx, bytes: number, i: iov_iter): KThread<data_run[] | number> {
  if (i.data_source !== ITER_SOURCE) throw new Error('pinlab bug: copy_from_iter from a destination iterator');
  const n = Math.min(bytes, i.count);
  const runs = yield* iter_read_runs(k, i, n);
  if (typeof runs === 'number') return runs;
  const done = runs.reduce((a, r) => a + r.len, 0);
  if (done > 0) iov_iter_advance(i, done);
  return runs;
}

/**
 * copy_page_to_iter(page, offset, bytes, i): copy bytes [offset, offset+bytes) of a frame
 * (inside it) to the iterator and advance it; the number copied (short at a user fault),
 * or an `unsupported` errno. `page` null stands for zero bytes (a hole read through
 * ZERO_PAGE, as shmem_file_read_iter does).
 */
export function* copy_page_to_iter(k: Kctx, page: number | null, offset: number, bytes: number, i: iov_iter): KThread<number> {
  if (i.data_source !== ITER_DEST) throw new Error('pinlab bug: copy_page_to_iter into a source iterator');
  const n = Math.min(bytes, i.count);
  const runs = page === null || k.m.mem.slot_of(page) === 0 ? [{ offset: 0, len: n, tag: '' }] : page_read_bytes(k.m, page, offset, n);
  const done = yield* iter_write_runs(k, i, runs, n);
  if (done > 0) iov_iter_advance(i, done);
  return done;
}

/**
 * copy_page_from_iter(page, offset, bytes, i): copy from the iterator into bytes
 * [offset, offset+bytes) of a frame and advance it; the number copied (short at a user
 * fault), or an `unsupported` errno.
 */
export function* copy_page_from_iter(k: Kctx, page: number, offset: number, bytes: number, i: iov_iter): KThread<number> {
  if (i.data_source !== ITER_SOURCE) throw new Error('pinlab bug: copy_page_from_iter from a destination iterator');
  const n = Math.min(bytes, i.count);
  const runs = yield* iter_read_runs(k, i, n);
  if (typeof runs === 'number') return runs;
  const done = runs.reduce((a, r) => a + r.len, 0);
  if (done > 0 && k.m.mem.slot_of(page) !== 0) page_write_runs(k.m, page, offset, runs);
  if (done > 0) iov_iter_advance(i, done);
  return done;
}
