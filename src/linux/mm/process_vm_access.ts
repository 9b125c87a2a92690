/**
 * mm/process_vm_access.c process_vm_readv(2) / process_vm_writev(2) — Linux 5.4.1, Debian
 * 6.1.192, Debian 6.12.117 — with the iovec checks of lib/iov_iter.c (import_iovec,
 * iovec_from_user).
 *
 * process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, write):
 * - flags != 0 → -EINVAL;
 * - the local iovecs (import_iovec): more than UIO_MAXIOV (1024) → -EINVAL; a length that
 *   is negative as ssize_t → -EINVAL; a segment outside the user address space
 *   (access_ok: base + len above TASK_SIZE_MAX) → -EFAULT; lengths are capped so the total
 *   stays at most MAX_RW_COUNT; a total of 0 → 0 (nothing else is checked);
 * - the remote iovecs (iovec_from_user): more than UIO_MAXIOV → -EINVAL, a negative length
 *   → -EINVAL; no address check;
 * - process_vm_rw_core: no remote page at all (every length 0) → 0; the task (none →
 *   -ESRCH); mm_access(PTRACE_MODE_ATTACH_REALCREDS): -EACCES becomes -EPERM, no mm →
 *   -ESRCH; then each remote iovec in turn while the local iterator has room:
 *   process_vm_rw_single_vec pins (6.1/6.12: pin_user_pages_remote, FOLL_PIN; 5.4.1:
 *   get_user_pages_remote, FOLL_GET) up to PVM_MAX_USER_PAGES (1024) pages at a time with
 *   FOLL_WRITE for a write and NO FOLL_FORCE, under mmap_lock for read with a droppable
 *   `locked`; none pinned → -EFAULT; copies page by page between the pinned pages and the
 *   local iovecs (copy_page_to_iter / copy_page_from_iter, which fault the caller's own
 *   pages in: a local fault stops the copy, -EFAULT), then unpins (dirtying them for a
 *   write; put_page in 5.4.1);
 * - the result is the number of bytes copied if any, else the error: a read across a hole
 *   returns the bytes before the hole.
 * PATCH(foll-pin-counting) (the FOLL_PIN series, 5.7+) selects pin_user_pages_remote.
 * Data move byte-exact (page_data.ts runs: remote_copy in mm/access_remote.ts on the remote
 * side, copy_to_user / copy_from_user of the caller's memory on the local side).
 * The copies on the caller's side are user accesses of its mm (mm/uaccess.ts: faults with
 * the user-fault rules). 5.4.1 checks the local iovecs segment by segment (negative length
 * and access_ok in one loop; the first bad segment decides the errno), 6.x checks every
 * length before any address (a bad address before a negative length gives -EINVAL); the
 * model uses the 6.x order for every release.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { errno_reason } from '../errno_reason.js';
import { FOLL_WRITE } from '../include/linux/foll.js';
import type { mm_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import type { task_struct } from '../include/linux/sched.js';
import { EACCES, EFAULT, EINVAL, EPERM, ESRCH } from '../include/uapi/linux/errno.js';
import { down_read, up_read } from '../kernel/locking/rwsem.js';
import { mmput } from '../kernel/fork.js';
import { PTRACE_MODE_ATTACH_REALCREDS, mm_access } from '../kernel/ptrace.js';
import { remote_buffer, remote_copy } from './access_remote.js';
import { get_user_pages_remote, pin_user_pages_remote, unpin_user_pages_dirty_lock } from './gup.js';
import { put_page } from '../include/linux/mm.js';
import type { page_array } from './gup.js';
import { copy_from_user_runs, copy_to_user_runs } from './uaccess.js';
import { MAX_RW_COUNT } from '../include/linux/fs.js';

/** struct iovec */
export interface iovec {
  readonly iov_base: number;
  readonly iov_len: number;
}

/** UIO_MAXIOV */
export const UIO_MAXIOV = 1024;
/** PVM_MAX_USER_PAGES: 2 pages of struct page pointers (8 bytes each). */
export const PVM_MAX_USER_PAGES = (2 * PAGE_SIZE) / 8;
/** TASK_SIZE_MAX on x86-64 with 4-level paging: (1 << 47) - PAGE_SIZE. */
const TASK_SIZE_MAX = 2 ** 47 - PAGE_SIZE;
/** A length whose ssize_t value is negative (>= 2^63; a negative number here is the same u64 seen signed). */
const SSIZE_NEG = 2 ** 63;

function ssize_negative(len: number): boolean {
  return len < 0 || len >= SSIZE_NEG;
}

/** The local iov_iter: segments, the current position, and what is left. */
interface iov_iter {
  readonly iov: iovec[];
  seg: number;
  off: number;
  count: number;
}

/** access_ok(addr, size) on x86-64. */
function access_ok(addr: number, size: number): boolean {
  return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}

/** import_iovec(dir, lvec, liovcnt, ...): the iterator or -errno. */
function import_iovec(k: Kctx, lvec: readonly iovec[]): iov_iter | number {
  const site = 'lib/iov_iter.c:import_iovec';
  if (lvec.length > UIO_MAXIOV) return errno_reason(k, -EINVAL, site, `${lvec.length} local iovecs (UIO_MAXIOV is ${UIO_MAXIOV})`);
  for (const v of lvec) if (ssize_negative(v.iov_len)) return errno_reason(k, -EINVAL, site, 'a local iovec length is negative as ssize_t');
  const iov: iovec[] = [];
  let total = 0;
  for (const v of lvec) {
    let len = v.iov_len;
    if (lvec.length === 1 && len > MAX_RW_COUNT) len = MAX_RW_COUNT; // import_ubuf caps first
    if (!access_ok(v.iov_base, len)) return errno_reason(k, -EFAULT, site, `local iovec 0x${v.iov_base.toString(16)}+${len} is outside the user address space`);
    if (len > MAX_RW_COUNT - total) len = MAX_RW_COUNT - total;
    total += len;
    iov.push({ iov_base: v.iov_base, iov_len: len });
  }
  return { iov, seg: 0, off: 0, count: total };
}

/**
 * copy_page_to_iter / copy_page_from_iter of `copy` bytes of `page` at `offset`: the local
 * side is user memory of current (faults taken as user accesses). Returns the bytes copied.
 */
function* copy_page_iter(k: Kctx, page: number, offset: number, copy: number, it: iov_iter, write: boolean): KThread<number> {
  let done = 0;
  while (done < copy && it.count > 0) {
    const v = it.iov[it.seg];
    if (it.off >= v.iov_len) {
      it.seg++;
      it.off = 0;
      continue;
    }
    const at = v.iov_base + it.off;
    const piece = Math.min(copy - done, v.iov_len - it.off, PAGE_SIZE - (at % PAGE_SIZE));
    if (write) {
      // copy_from_user of the local piece into the remote page, byte-exact; a fault stops it.
      const r = yield* copy_from_user_runs(k, at, piece);
      if (typeof r === 'number') return done;
      remote_copy(k, page, offset + done, piece - r.left, true, remote_buffer(r.runs));
      if (r.left > 0) return done + piece - r.left;
    } else {
      const buf = remote_buffer();
      remote_copy(k, page, offset + done, piece, false, buf);
      const left = yield* copy_to_user_runs(k, at, buf.runs, piece);
      if (left < 0) return done;
      if (left > 0) return done + piece - left;
    }
    done += piece;
    it.off += piece;
    it.count -= piece;
  }
  return done;
}

/** process_vm_rw_pages(pages, offset, len, iter, write): 0 or -EFAULT (a local fault). */
function* process_vm_rw_pages(k: Kctx, pages: page_array, offset: number, len: number, it: iov_iter, write: boolean): KThread<number> {
  let i = 0;
  while (len && it.count) {
    const page = pages[i++] as number;
    const copy = Math.min(PAGE_SIZE - offset, len);
    const copied = yield* copy_page_iter(k, page, offset, copy, it, write);
    len -= copied;
    if (copied < copy && it.count) return errno_reason(k, -EFAULT, 'mm/process_vm_access.c:process_vm_rw_pages', 'a fault on the caller\'s own buffer');
    offset = 0;
  }
  return 0;
}

/** process_vm_rw_single_vec(addr, len, iter, pages, mm, task, write) */
function* process_vm_rw_single_vec(k: Kctx, addr: number, len: number, it: iov_iter, mm: mm_struct, write: boolean): KThread<number> {
  const site = 'mm/process_vm_access.c:process_vm_rw_single_vec';
  let pa = addr - (addr % PAGE_SIZE);
  let start_offset = addr - pa;
  let rc = 0;
  if (len === 0) return 0;
  let nr_pages = Math.floor((addr + len - 1) / PAGE_SIZE) - Math.floor(addr / PAGE_SIZE) + 1;
  const flags = write ? FOLL_WRITE : 0;
  // PATCH(foll-pin-counting): pin_user_pages_remote (FOLL_PIN) instead of get_user_pages_remote.
  const pin = k.patch('foll-pin-counting');
  while (!rc && nr_pages && it.count) {
    const want = Math.min(nr_pages, PVM_MAX_USER_PAGES);
    const pages: page_array = new Array<number | null>(want).fill(null);
    const locked = { v: 1 };
    yield* down_read(k, mm.mmap_lock, site);
    const got = pin
      ? yield* pin_user_pages_remote(k, mm, pa, want, flags, pages, null, locked)
      : yield* get_user_pages_remote(k, mm, pa, want, flags, pages, null, locked);
    if (locked.v) up_read(k, mm.mmap_lock, site);
    if (got <= 0) return errno_reason(k, -EFAULT, site, `no page could be had at 0x${pa.toString(16)}`);
    const bytes = Math.min(got * PAGE_SIZE - start_offset, len);
    rc = yield* process_vm_rw_pages(k, pages, start_offset, bytes, it, write);
    len -= bytes;
    start_offset = 0;
    nr_pages -= got;
    pa += got * PAGE_SIZE;
    if (pin) unpin_user_pages_dirty_lock(k, pages, got, write);
    else for (let n = got; n > 0; n--) put_page(k.m, pages[n - 1] as number);
  }
  return rc;
}

/** process_vm_rw_core(pid, iter, rvec, riovcnt, flags, write) */
function* process_vm_rw_core(k: Kctx, task: task_struct | null, it: iov_iter, rvec: readonly iovec[], write: boolean): KThread<number> {
  let nr_pages = 0;
  for (const v of rvec) {
    if (v.iov_len > 0) nr_pages = Math.max(nr_pages, Math.floor((v.iov_base + v.iov_len - 1) / PAGE_SIZE) - Math.floor(v.iov_base / PAGE_SIZE) + 1);
  }
  if (nr_pages === 0) return 0;
  if (task === null) return errno_reason(k, -ESRCH, 'mm/process_vm_access.c:process_vm_rw_core', 'no such pid');
  const mm = yield* mm_access(k, task, PTRACE_MODE_ATTACH_REALCREDS);
  if (typeof mm === 'number') return mm === -EACCES ? errno_reason(k, -EPERM, 'mm/process_vm_access.c:process_vm_rw_core', 'mm_access refused (-EACCES is reported as -EPERM)') : mm;
  const total_len = it.count;
  let rc = 0;
  for (let i = 0; i < rvec.length && it.count && !rc; i++) rc = yield* process_vm_rw_single_vec(k, rvec[i].iov_base, rvec[i].iov_len, it, mm, write);
  const copied = total_len - it.count;
  if (copied) rc = copied;
  yield* mmput(k, mm);
  return rc;
}

/**
 * process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, write): bytes copied or -errno.
 * `task` is the task of `pid` (find_get_task_by_vpid; null: none).
 */
export function* process_vm_rw(k: Kctx, task: task_struct | null, lvec: readonly iovec[], rvec: readonly iovec[], flags: number, write: boolean): KThread<number> {
  const site = 'mm/process_vm_access.c:process_vm_rw';
  if (flags !== 0) return errno_reason(k, -EINVAL, site, `flags 0x${flags.toString(16)} (must be 0)`);
  const it = import_iovec(k, lvec);
  if (typeof it === 'number') return it;
  if (!it.count) return 0;
  if (rvec.length > UIO_MAXIOV) return errno_reason(k, -EINVAL, 'lib/iov_iter.c:iovec_from_user', `${rvec.length} remote iovecs (UIO_MAXIOV is ${UIO_MAXIOV})`);
  for (const v of rvec) if (ssize_negative(v.iov_len)) return errno_reason(k, -EINVAL, 'lib/iov_iter.c:iovec_from_user', 'a remote iovec length is negative as ssize_t');
  return yield* process_vm_rw_core(k, task, it, rvec, write);
}
