/**
 * io_uring fixed buffers: IORING_REGISTER_BUFFERS / IORING_UNREGISTER_BUFFERS.
 *
 *   5.4.1 / 5.6.4  fs/io_uring.c io_sqe_buffer_register() / io_sqe_buffer_unregister():
 *                  charge nr_pages to user->locked_vm first (io_account_mem, -ENOMEM over
 *                  RLIMIT_MEMLOCK), get_user_pages (5.6: pin_user_pages, an alias) with
 *                  FOLL_WRITE|FOLL_LONGTERM under mmap_sem with a vmas array, refuse any
 *                  file-backed VMA that is not hugetlbfs (-EOPNOTSUPP).
 *   Debian 6.1.192 io_uring/rsrc.c io_sqe_buffers_register() / io_pin_pages() /
 *                  io_buffer_account_pin(): pin first, then charge whole compound pages once
 *                  (PATCH(io-uring-hpage-accounting), de2939388be5) to user->locked_vm and
 *                  mm->pinned_vm; one file per buffer, shmem or hugetlbfs only
 *                  (PATCH(io-uring-reg-buf-same-file), edd478269640).
 *   Debian 6.12.117 io_uring/rsrc.c + memmap.c: pin_user_pages_fast(), no VMA checks (GUP
 *                  refuses writable long-term pins of files needing dirty tracking:
 *                  PATCH(io-uring-gup-file-check), 34ed8d0dcd69), huge-folio coalescing
 *                  (PATCH(io-uring-coalesce-hugepages), a8edbb424b13).
 *
 * MODEL: registered-buffer tags, sparse updates (IORING_REGISTER_BUFFERS2/UPDATE), the
 * rsrc-node quiesce wait, compat iovecs and IO through the buffers are not modelled.
 */
import { should_fail } from '../include/linux/fault_inject.js';
import { errno_reason, hex } from '../errno_reason.js';
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { WARN_ON_ONCE } from '../include/linux/bug.js';
import { EBUSY, EFAULT, EINVAL, ENOMEM, ENXIO, EOPNOTSUPP, EOVERFLOW } from '../include/uapi/linux/errno.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../include/linux/foll.js';
import { PageCompound, compound_head, folio_nr_pages, folio_order, vma_is_shmem } from '../include/linux/mm.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import type { vm_area_struct } from '../include/linux/mm_types.js';
import { RLIMIT_MEMLOCK, get_current, rlimit } from '../include/linux/sched.js';
import { down_read, up_read } from '../kernel/locking/rwsem.js';
import { get_user_pages, pin_user_pages, put_user_pages, unpin_user_page, unpin_user_pages } from '../mm/gup.js';
import type { page_array, vma_array } from '../mm/gup.js';
import { pin_user_pages_fast } from '../mm/gup_fast.js';
import type { io_ring_ctx, iovec, user_struct } from './io_uring.js';

/** struct io_mapped_ubuf */
export interface io_mapped_ubuf {
  readonly ubuf: number;
  readonly len: number;
  /** bvec[i].bv_page: one pfn per base page, or (6.12 coalesced) one head pfn per folio. */
  readonly bvec: number[];
  readonly nr_bvecs: number;
  /** 6.1/6.12: pages charged for this buffer (5.4: nr_bvecs). */
  readonly acct_pages: number;
  /** 6.12: log2 of the bytes one bvec covers (PAGE_SHIFT unless coalesced). */
  readonly folio_shift: number;
}

const SZ_1G = 1024 * 1024 * 1024;
/** UIO_MAXIOV (5.4 limit on nr_args) */
const UIO_MAXIOV = 1024;
/** IORING_MAX_REG_BUFFERS (6.x) */
const IORING_MAX_REG_BUFFERS = 1 << 14;
const ULONG_MAX = 2 ** 64 - 1;

/** is_file_hugepages(file): a hugetlbfs file. */
function is_file_hugepages(vma: vm_area_struct): boolean {
  return vma.vm_file !== null && vma.vm_file.f_inode.i_sb.s_type.kind === 'hugetlbfs';
}

/** Where the RLIMIT_MEMLOCK charge lives in this release (for the errno reason). */
function io_acct_site(k: Kctx): string {
  // PATCH(io-uring-rsrc-c) 735729844819: io_uring/rsrc.c
  if (k.patch('io-uring-rsrc-c')) return 'io_uring/rsrc.c:__io_account_mem';
  // PATCH(io-uring-dir) ed29b0b4fd83: io_uring/io_uring.c before the rsrc.c split
  const file = k.patch('io-uring-dir') ? 'io_uring/io_uring.c' : 'fs/io_uring.c';
  // PATCH(io-uring-mm-pinned-vm) 309758254ea6: the charge becomes __io_account_mem(user) (folded)
  return k.patch('io-uring-mm-pinned-vm') ? `${file}:__io_account_mem` : `${file}:io_account_mem`;
}

/**
 * Where a registered buffer's pages are pinned and their VMAs checked in this release (for
 * the errno reason): inline in io_sqe_buffer_register() up to 5.18, io_pin_pages() from 5.19
 * (fs/io_uring.c, then io_uring/rsrc.c from 6.0) and in io_uring/memmap.c in 6.12.
 */
function io_pin_site(k: Kctx): string {
  // PATCH(io-uring-coalesce-hugepages) a8edbb424b13: folded: io_pin_pages() in io_uring/memmap.c (6.12)
  if (k.patch('io-uring-coalesce-hugepages')) return 'io_uring/memmap.c:io_pin_pages';
  // PATCH(io-uring-pin-pages-helper) d8c2237d0aa9: the pin loop is io_pin_pages() (5.19)
  const fn = k.patch('io-uring-pin-pages-helper') ? 'io_pin_pages' : 'io_sqe_buffer_register';
  // PATCH(io-uring-rsrc-c) 735729844819: io_uring/rsrc.c
  if (k.patch('io-uring-rsrc-c')) return `io_uring/rsrc.c:${fn}`;
  // PATCH(io-uring-dir) ed29b0b4fd83: io_uring/io_uring.c before the rsrc.c split
  return k.patch('io-uring-dir') ? `io_uring/io_uring.c:${fn}` : `fs/io_uring.c:${fn}`;
}

/** __io_account_mem(user, nr_pages): charge user->locked_vm against RLIMIT_MEMLOCK (pages). */
export function __io_account_mem(k: Kctx, user: user_struct, nr_pages: number): number {
  if (!nr_pages) return 0;
  const page_limit = Math.floor(rlimit(k, RLIMIT_MEMLOCK) / PAGE_SIZE);
  if (user.locked_vm + nr_pages > page_limit) return errno_reason(k, -ENOMEM, io_acct_site(k), `the user's locked_vm (${user.locked_vm} pages) + ${nr_pages} pages would exceed RLIMIT_MEMLOCK (${page_limit} pages)`);
  user.locked_vm += nr_pages;
  return 0;
}

/** io_account_mem / io_unaccount_mem (6.x: user and mm_account->pinned_vm; 5.4: user only). */
function io_account_mem(k: Kctx, ctx: io_ring_ctx, nr_pages: number): number {
  if (ctx.user) {
    const r = __io_account_mem(k, ctx.user, nr_pages);
    if (r) return r;
  }
  if (ctx.mm_account) ctx.mm_account.pinned_vm += nr_pages;
  return 0;
}

function io_unaccount_mem(ctx: io_ring_ctx, nr_pages: number): void {
  if (ctx.user) ctx.user.locked_vm -= nr_pages;
  if (ctx.mm_account) ctx.mm_account.pinned_vm -= nr_pages;
}

/** Number of base pages a buffer spans. */
function span_pages(ubuf: number, len: number): number {
  return Math.floor((ubuf + len + PAGE_SIZE - 1) / PAGE_SIZE) - Math.floor(ubuf / PAGE_SIZE);
}

// ===========================================================================

/** io_sqe_buffers_register — dispatcher: the 5.4–5.12 body or the 5.13+ (rsrc table) body. */
export function* io_sqe_buffers_register(k: Kctx, ctx: io_ring_ctx, arg: readonly iovec[] | null, nr_args: number): KThread<number> {
  // PATCH(io-uring-rsrc-buffers) bd54b6fe3316: dispatch: the buf_data table body of 5.15.24 / 6.x (empty slots, IORING_MAX_REG_BUFFERS and shmem folded here)
  if (k.patch('io-uring-rsrc-buffers')) return yield* io_sqe_buffers_register__v5_13(k, ctx, arg, nr_args);
  return yield* io_sqe_buffer_register__v5_4(k, ctx, arg, nr_args);
}

/** io_sqe_buffers_unregister — 5.4: !user_bufs → -ENXIO; 6.x: !buf_data → -ENXIO. */
export function io_sqe_buffers_unregister(k: Kctx, ctx: io_ring_ctx): number {
  // PATCH(io-uring-rsrc-buffers) bd54b6fe3316: the buf_data table test (-ENXIO)
  if (!k.patch('io-uring-rsrc-buffers')) {
    if (!ctx.user_bufs) return -ENXIO;
  } else if (!ctx.buf_data) {
    return -ENXIO;
  }
  __io_sqe_buffers_unregister(k, ctx);
  return 0;
}

/** Free the table: unpin (5.4: put_user_page) every bvec page and uncharge. */
function __io_sqe_buffers_unregister(k: Kctx, ctx: io_ring_ctx): void {
  const bufs = ctx.user_bufs ?? [];
  for (let i = 0; i < ctx.nr_user_bufs; i++) {
    const imu = bufs[i];
    if (!imu) continue;
    for (const p of imu.bvec) {
      // PATCH(pin-user-pages-api) eddb1c228f79: unpin_user_page() instead of put_user_page()
      if (k.patch('pin-user-pages-api')) unpin_user_page(k, p);
      else put_user_pages(k, [p], 1);
    }
    if (imu.acct_pages) io_unaccount_mem(ctx, imu.acct_pages);
  }
  ctx.user_bufs = null;
  ctx.nr_user_bufs = 0;
  ctx.buf_data = false;
}

/**
 * 5.4.1 – 5.12.9 fs/io_uring.c io_sqe_buffer_register(ctx, arg, nr_args).
 * -EBUSY if buffers are registered; -EINVAL for nr_args 0 or > UIO_MAXIOV; per iovec:
 * -EFAULT for a NULL base, zero length, > 1 GiB, or an iovec past the user array;
 * charge nr_pages (ctx->account_mem; 5.9.1 also sqo_mm->pinned_vm) → -ENOMEM; pin under
 * mmap_sem; partial → -EFAULT; any file-backed VMA other than hugetlbfs → -EOPNOTSUPP;
 * 5.10.7–5.12.9 charge after the pin, per compound page (io_buffer_account_pin). Any
 * failure unregisters everything registered so far.
 */
function* io_sqe_buffer_register__v5_4(k: Kctx, ctx: io_ring_ctx, arg: readonly iovec[] | null, nr_args: number): KThread<number> {
  const site = 'fs/io_uring.c:io_sqe_buffer_register';
  if (ctx.user_bufs) return -EBUSY;
  if (!nr_args || nr_args > UIO_MAXIOV) return -EINVAL;
  ctx.user_bufs = new Array<io_mapped_ubuf | null>(nr_args).fill(null);
  const mm = get_current(k).mm;
  const last_hpage = { v: -1 };
  let ret = 0;
  for (let i = 0; i < nr_args; i++) {
    // io_copy_iov(): copy_from_user of iovec i.
    const iov = arg && i < arg.length ? arg[i] : null;
    if (!iov || should_fail(k, 'io_uring/rsrc.c:io_sqe_buffers_register:copy_from_user')) {
      ret = -EFAULT;
      break;
    }
    ret = -EFAULT;
    if (!iov.iov_base || !iov.iov_len) break;
    if (iov.iov_len > SZ_1G) break;
    const ubuf = iov.iov_base;
    const nr_pages = span_pages(ubuf, iov.iov_len);
    // PATCH(io-uring-hpage-accounting) de2939388be5: 5.10.7–5.12.9 charge after pinning (io_buffer_account_pin), not before
    const acct_after = k.patch('io-uring-hpage-accounting');
    // 5.4–5.8: user->locked_vm only; 5.9: also mm->pinned_vm (io_account_mem(ACCT_PINNED) with sqo_mm).
    const pre = !acct_after && (ctx.user || ctx.mm_account) ? nr_pages : 0;
    if (pre) {
      ret = io_account_mem(k, ctx, pre);
      if (ret) break;
    }
    // kvmalloc_array() of the pages/vmas arrays or of imu->bvec failing: -ENOMEM, this
    // buffer's charge undone, everything registered so far unregistered.
    if (should_fail(k, 'io_uring/rsrc.c:io_sqe_buffer_register:kvmalloc')) {
      ret = -ENOMEM;
      if (pre) io_unaccount_mem(ctx, pre);
      break;
    }
    const pages: page_array = new Array<number | null>(nr_pages).fill(null);
    const vmas: vma_array = new Array<vm_area_struct | null>(nr_pages).fill(null);
    ret = 0;
    if (mm === null) {
      ret = -EFAULT;
    } else {
      yield* down_read(k, mm.mmap_lock, site);
      // 5.6: pin_user_pages() (PATCH(pin-user-pages-api); an alias of get_user_pages there).
      const pret = k.patch('pin-user-pages-api')
        ? yield* pin_user_pages(k, ubuf, nr_pages, FOLL_WRITE | FOLL_LONGTERM, pages, vmas)
        : yield* get_user_pages(k, ubuf, nr_pages, FOLL_WRITE | FOLL_LONGTERM, pages, vmas);
      if (pret === nr_pages) {
        for (let j = 0; j < nr_pages; j++) {
          const vma = vmas[j] as vm_area_struct;
          if (vma.vm_file && !is_file_hugepages(vma)) {
            ret = errno_reason(k, -EOPNOTSUPP, 'fs/io_uring.c:io_sqe_buffer_register', `page ${j} of the buffer at ${hex(ubuf)} is in a file mapping other than hugetlbfs`);
            break;
          }
        }
      } else {
        ret = pret < 0 ? pret : -EFAULT;
      }
      up_read(k, mm.mmap_lock, site);
      if (ret && pret > 0) {
        // PATCH(pin-user-pages-api) eddb1c228f79: unpin_user_pages() instead of put_user_pages()
        if (k.patch('pin-user-pages-api')) unpin_user_pages(k, pages, pret);
        else put_user_pages(k, pages, pret);
      }
    }
    if (ret) {
      if (pre) io_unaccount_mem(ctx, pre);
      break;
    }
    let acct_pages = pre;
    if (acct_after) {
      const a = io_buffer_account_pin(k, ctx, pages as number[], last_hpage);
      if (a.ret) {
        unpin_user_pages(k, pages, nr_pages);
        ret = a.ret;
        break;
      }
      acct_pages = a.acct;
    }
    ctx.user_bufs[i] = {
      ubuf, len: iov.iov_len, bvec: pages as number[], nr_bvecs: nr_pages,
      acct_pages, folio_shift: 12,
    };
    ctx.nr_user_bufs++;
  }
  if (ret) {
    __io_sqe_buffers_unregister(k, ctx);
    return ret;
  }
  return 0;
}

/**
 * 6.1.192 / 6.12.117 io_sqe_buffers_register(ctx, arg, nr_args, tags = NULL).
 * -EBUSY / -EINVAL (nr_args 0 or > IORING_MAX_REG_BUFFERS); per iovec io_buffer_validate()
 * (NULL base with a length or zero length: -EFAULT; > 1 GiB: -EFAULT; overflow:
 * -EOVERFLOW; NULL base and zero length: an empty slot), io_sqe_buffer_register().
 */
function* io_sqe_buffers_register__v5_13(k: Kctx, ctx: io_ring_ctx, arg: readonly iovec[] | null, nr_args: number): KThread<number> {
  if (ctx.user_bufs) return -EBUSY;
  if (!nr_args || nr_args > IORING_MAX_REG_BUFFERS) return -EINVAL;
  ctx.user_bufs = new Array<io_mapped_ubuf | null>(nr_args).fill(null);
  const last_hpage = { v: -1 };
  let ret = 0;
  for (let i = 0; i < nr_args; i++, ctx.nr_user_bufs++) {
    let iov: iovec = { iov_base: 0, iov_len: 0 };
    if (arg) {
      const u = i < arg.length ? arg[i] : null;
      if (!u || should_fail(k, 'io_uring/rsrc.c:io_sqe_buffers_register:copy_from_user')) {
        ret = -EFAULT;
        break;
      }
      iov = u;
      ret = io_buffer_validate(iov);
      if (ret) break;
    }
    const r = yield* io_sqe_buffer_register__v5_13(k, ctx, iov, last_hpage);
    ret = r.ret;
    if (ret) break;
    ctx.user_bufs[i] = r.imu;
  }
  ctx.buf_data = true;
  if (ret) __io_sqe_buffers_unregister(k, ctx);
  return ret;
}

/** io_buffer_validate(iov) (6.1/6.12). */
function io_buffer_validate(iov: iovec): number {
  const acct_len = iov.iov_len + (PAGE_SIZE - 1);
  if (!iov.iov_base) return iov.iov_len ? -EFAULT : 0;
  if (!iov.iov_len) return -EFAULT;
  if (iov.iov_len > SZ_1G) return -EFAULT;
  if (iov.iov_base + acct_len > ULONG_MAX) return -EOVERFLOW;
  return 0;
}

/**
 * io_pin_pages(ubuf, len, &npages).
 * 6.1: mmap_read_lock; pin_user_pages(FOLL_WRITE|FOLL_LONGTERM, vmas); every VMA must
 * have the first VMA's file (-EINVAL); a file must be shmem or hugetlbfs (-EOPNOTSUPP);
 * a partial pin is -EFAULT. PATCH(io-uring-reg-buf-same-file).
 * 6.5/6.6 (PATCH(io-uring-gup-file-check)): the same under mmap_read_lock, without vmas and VMA
 * checks (GUP refuses writable long-term pins of file mappings that need dirty tracking).
 * 6.12: in io_uring/memmap.c, pin_user_pages_fast(FOLL_WRITE|FOLL_LONGTERM) without the
 * lock; 0 pages → WARN, -EINVAL; partial → -EFAULT.
 */
function* io_pin_pages(k: Kctx, ubuf: number, len: number): KThread<{ ret: number; pages: page_array }> {
  const site = 'io_uring/rsrc.c:io_pin_pages';
  if (ubuf + len > ULONG_MAX || ubuf + len + PAGE_SIZE - 1 > ULONG_MAX) return { ret: -EOVERFLOW, pages: [] };
  const nr_pages = span_pages(ubuf, len);
  const pages: page_array = new Array<number | null>(nr_pages).fill(null);
  // PATCH(io-uring-gup-file-check) 34ed8d0dcd69: io_pin_pages() leaves the file-backed check to GUP
  const gup_checks = k.patch('io-uring-gup-file-check');
  // PATCH(io-uring-coalesce-hugepages) a8edbb424b13: STAND-IN for the move of io_pin_pages() to io_uring/memmap.c
  // with pin_user_pages_fast() and no mmap_lock (6.5.0 and 6.6.9 still lock and call pin_user_pages(); commit
  // UNVERIFIED), folded on this entry.
  if (gup_checks && k.patch('io-uring-coalesce-hugepages')) {
    if (WARN_ON_ONCE(k, !nr_pages, 'io_uring/memmap.c:io_pin_pages', 'no pages')) return { ret: -EINVAL, pages };
    let ret = yield* pin_user_pages_fast(k, ubuf, nr_pages, FOLL_WRITE | FOLL_LONGTERM, pages);
    if (ret === nr_pages) return { ret: 0, pages };
    if (ret >= 0) {
      if (ret) unpin_user_pages(k, pages, ret);
      ret = -EFAULT;
    }
    return { ret, pages };
  }
  const mm = get_current(k).mm;
  if (mm === null) return { ret: -EFAULT, pages };
  // 6.5/6.6: the same lock and pin, without the vmas array and the VMA checks.
  const vmas: vma_array | null = gup_checks ? null : new Array<vm_area_struct | null>(nr_pages).fill(null);
  let ret = 0;
  yield* down_read(k, mm.mmap_lock, site);
  const pret = yield* pin_user_pages(k, ubuf, nr_pages, FOLL_WRITE | FOLL_LONGTERM, pages, vmas);
  if (pret === nr_pages && vmas !== null) {
    const file = (vmas[0] as vm_area_struct).vm_file;
    for (let i = 0; i < nr_pages; i++) {
      const vma = vmas[i] as vm_area_struct;
      // PATCH(io-uring-reg-buf-same-file)
      if (k.patch('io-uring-reg-buf-same-file') && vma.vm_file !== file) {
        ret = errno_reason(k, -EINVAL, io_pin_site(k), `the buffer at ${hex(ubuf)} spans VMAs of different files`);
        break;
      }
      if (!vma.vm_file) continue;
      if (!vma_is_shmem(vma) && !is_file_hugepages(vma)) {
        ret = errno_reason(k, -EOPNOTSUPP, io_pin_site(k), `page ${i} of the buffer at ${hex(ubuf)} is in a file mapping that is neither shmem nor hugetlbfs`);
        break;
      }
    }
  } else if (pret !== nr_pages) {
    ret = pret < 0 ? pret : -EFAULT;
  }
  up_read(k, mm.mmap_lock, site);
  if (ret && pret > 0) unpin_user_pages(k, pages, pret);
  return { ret, pages };
}

/**
 * headpage_already_acct(ctx, pages, nr_pages, hpage): a compound head already charged by
 * an earlier page of this buffer or by a buffer registered before on this ring.
 */
function headpage_already_acct(k: Kctx, ctx: io_ring_ctx, pages: readonly number[], nr: number, hpage: number): boolean {
  const m = k.m;
  for (let i = 0; i < nr; i++) if (PageCompound(m, pages[i]) && compound_head(m, pages[i]) === hpage) return true;
  const bufs = ctx.user_bufs ?? [];
  for (let i = 0; i < ctx.nr_user_bufs; i++) {
    const imu = bufs[i];
    if (!imu) continue;
    for (const p of imu.bvec) if (PageCompound(m, p) && compound_head(m, p) === hpage) return true;
  }
  return false;
}

/** io_buffer_account_pin(): small pages one each, a compound page once for its whole size. */
function io_buffer_account_pin(k: Kctx, ctx: io_ring_ctx, pages: readonly number[], last_hpage: { v: number }): { ret: number; acct: number } {
  const m = k.m;
  let acct = 0;
  for (let i = 0; i < pages.length; i++) {
    if (!PageCompound(m, pages[i])) {
      acct++;
      continue;
    }
    const hpage = compound_head(m, pages[i]);
    if (hpage === last_hpage.v) continue;
    last_hpage.v = hpage;
    if (headpage_already_acct(k, ctx, pages, i, hpage)) continue;
    acct += folio_nr_pages(m, hpage);
  }
  if (!acct) return { ret: 0, acct: 0 };
  const ret = io_account_mem(k, ctx, acct);
  return { ret, acct: ret ? 0 : acct };
}

/**
 * io_try_coalesce_buffer() + io_do_coalesce_buffer() (6.12, PATCH(io-uring-coalesce-hugepages)):
 * if the pages are runs of contiguous subpages of large folios of one size (first run may
 * start mid-folio, last may end early; the others whole), keep one page per folio
 * (the first one's own page, later heads) and unpin the other pins.
 */
function io_try_coalesce_buffer(k: Kctx, pages: number[]): { pages: number[]; shift: number; first_idx: number } | null {
  const m = k.m;
  if (pages.length <= 1) return null;
  const nr_mid = folio_nr_pages(m, pages[0]);
  if (nr_mid === 1) return null;
  const shift = 12 + folio_order(m, pages[0]);
  let folio = compound_head(m, pages[0]);
  const first_idx = pages[0] - folio;
  let count = 1;
  let nr_folios = 1;
  let nr_head = 0;
  for (let i = 1; i < pages.length; i++) {
    if (compound_head(m, pages[i]) === folio && pages[i] === pages[i - 1] + 1) {
      count++;
      continue;
    }
    if (nr_folios === 1) {
      if (pages[i - 1] - folio !== nr_mid - 1) return null;
      nr_head = count;
    } else if (count !== nr_mid) {
      return null;
    }
    folio = compound_head(m, pages[i]);
    if (folio_nr_pages(m, folio) !== nr_mid || pages[i] !== folio) return null;
    count = 1;
    nr_folios++;
  }
  if (nr_folios === 1) nr_head = count;
  // io_do_coalesce_buffer()
  const out: number[] = [compound_head(m, pages[0])];
  for (let i = 1; i < nr_head; i++) unpin_user_page(k, pages[i]);
  let j = nr_head;
  let left = pages.length - nr_head;
  for (let f = 1; f < nr_folios; f++) {
    out.push(pages[j]);
    const nr_unpin = Math.min(left - 1, nr_mid - 1);
    for (let u = 1; u <= nr_unpin; u++) unpin_user_page(k, pages[j + u]);
    j += nr_mid;
    left -= nr_mid;
  }
  return { pages: out, shift, first_idx };
}

/** io_sqe_buffer_register(ctx, iov, &imu, &last_hpage) (6.1 / 6.12). */
function* io_sqe_buffer_register__v5_13(k: Kctx, ctx: io_ring_ctx, iov: iovec, last_hpage: { v: number }): KThread<{ ret: number; imu: io_mapped_ubuf | null }> {
  if (!iov.iov_base) return { ret: 0, imu: null }; // the dummy (empty) buffer
  const pinned = yield* io_pin_pages(k, iov.iov_base, iov.iov_len);
  if (pinned.ret) return { ret: pinned.ret, imu: null };
  let pages = pinned.pages as number[];
  let shift = 12;
  // PATCH(io-uring-coalesce-hugepages)
  if (k.patch('io-uring-coalesce-hugepages')) {
    const c = io_try_coalesce_buffer(k, pages);
    if (c) {
      pages = c.pages;
      shift = c.shift;
    }
  }
  // kvmalloc() of the io_mapped_ubuf failing: -ENOMEM. Debian 6.1.192's, 6.5.0's and 6.6.9's
  // `done:` frees only the pages array and leaves every pin in place (a leak the fail-nth
  // campaign shows: pin-balance-at-exit); 6.12.117's unpins them.
  if (should_fail(k, 'io_uring/rsrc.c:io_sqe_buffer_register:kvmalloc')) {
    // PATCH(io-uring-reg-buf-unpin-on-error) e1c75831f682: the error path unpins the pages (what coalescing kept)
    if (k.patch('io-uring-reg-buf-unpin-on-error')) for (const p of pages) unpin_user_page(k, p);
    return { ret: -ENOMEM, imu: null };
  }
  const acc = io_buffer_account_pin(k, ctx, pages, last_hpage);
  if (acc.ret) {
    for (const p of pages) unpin_user_page(k, p);
    return { ret: acc.ret, imu: null };
  }
  return {
    ret: 0,
    imu: { ubuf: iov.iov_base, len: iov.iov_len, bvec: pages, nr_bvecs: pages.length, acct_pages: acc.acct, folio_shift: shift },
  };
}
