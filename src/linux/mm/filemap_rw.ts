/**
 * read(2)/write(2) of regular files through the page cache, and of fs-DAX files:
 * - mm/filemap.c filemap_read() (generic_file_read_iter; ext4_file_read_iter for a
 *   buffered ext4 file) and mm/shmem.c shmem_file_read_iter();
 * - mm/filemap.c generic_perform_write() with ext4's write_begin/write_end
 *   (ext4_buffered_write_iter) and shmem's (shmem_write_begin via
 *   generic_file_write_iter), after generic_write_checks();
 * - fs/dax.c dax_iomap_rw() (ext4_dax_read_iter / ext4_dax_write_iter): the copy goes
 *   straight to or from the persistent-memory block, no page cache.
 * Debian 6.1.192 and 6.12.117 (folio-based there; the same page-level effects), and
 * v5.4.1 (generic_file_buffered_read / the same write loop).
 *
 * Per page: a read copies min(PAGE_SIZE - offset, i_size - pos, count) bytes from the
 * cached page (read from the backing store first on a miss: one I/O scheduling point)
 * and stops at EOF; tmpfs reads a hole as zeroes without allocating (SGP_READ / ZERO_PAGE).
 * A write takes inode_lock, handles O_APPEND (pos = i_size), then per page finds or
 * creates the cache page (ext4 reads the old block for a partial write; tmpfs allocates
 * a zeroed page), copies the user bytes into it (a user fault ends the write: the bytes
 * written so far, or -EFAULT), marks it dirty and grows i_size. The copy is byte-exact
 * (include/linux/page_data.ts).
 *
 * Locks: inode_lock (i_rwsem for write) around buffered and DAX writes, shared around DAX
 * reads; buffered reads take none.
 * O_DIRECT (IOCB_DIRECT) on ext4 goes to fs/ext4_dio.ts (iomap_dio_rw); tmpfs has no
 * direct I/O of its own (6.6+ accepts O_DIRECT and does buffered I/O; before, the open
 * fails); a DAX file's I/O is always DAX. MODEL: no readahead, no s_maxbytes (-EFBIG) limit, no
 * file_remove_privs / timestamps, no writeback (dirty pages stay in the cache), no
 * copy-in retry after a short atomic copy (the fault is taken inside the copy).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import type { file, inode, kiocb } from '../include/linux/fs.js';
import { IOCB_APPEND, IOCB_DIRECT, IS_DAX } from '../include/linux/fs.js';
import { SetPageDirty, put_page } from '../include/linux/mm.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import type { iov_iter } from '../include/linux/uio.js';
import { copy_page_from_iter, copy_page_to_iter, iov_iter_count } from '../include/linux/uio.js';
import { EFAULT, ENOMEM, ENOSPC } from '../include/uapi/linux/errno.js';
import { down_read, down_write, up_read, up_write } from '../kernel/locking/rwsem.js';
import { race_window } from '../kernel/sched.js';
import { dax_block } from '../fs/dax.js';
import { find_get_page, page_cache_read } from './filemap.js';
import { shmem_getpage } from './shmem.js';
import { ext4_dio_read_iter, ext4_dio_write_iter } from '../fs/ext4_dio.js';

/** The cache page of `index` for a read (referenced), null for a tmpfs hole (zeroes), or -ENOMEM. */
function* read_page(k: Kctx, i: inode, index: number): KThread<number | null> {
  const mapping = i.i_mapping;
  const cached = find_get_page(k.m, mapping, index);
  if (cached !== null) return cached;
  if (mapping.a_ops === 'shmem') return null; // shmem_get_folio(SGP_READ): a hole reads as ZERO_PAGE
  // filemap_get_pages → page_cache_sync_readahead / filemap_create_folio: read the block.
  const page = page_cache_read(k, mapping, index);
  if (page === null) return -ENOMEM;
  yield* race_window(k, 'mm/filemap.c:filemap_read:io-wait');
  return page;
}

/** filemap_read / shmem_file_read_iter / dax_iomap_rw(READ) — bytes read, or -errno when none. */
export function* generic_file_read_iter(k: Kctx, iocb: kiocb, to: iov_iter): KThread<number> {
  const i = iocb.ki_filp.f_inode;
  if (iocb.ki_flags & IOCB_DIRECT && !IS_DAX(i) && i.i_mapping.a_ops === 'ext4') {
    const ret = yield* ext4_dio_read_iter(k, iocb, to);
    // v5.4.1 generic_file_read_iter: a short direct read that is neither an error nor at EOF
    // reads the rest through the page cache (generic_file_buffered_read(iocb, iter, retval)).
    // PATCH(ext4-iomap-dio): b1b4705d54ab — ext4_dio_read_iter returns iomap_dio_rw's result as is.
    if (k.patch('ext4-iomap-dio') || ret < 0 || iov_iter_count(to) === 0 || iocb.ki_pos >= i.i_size) return ret;
    return yield* filemap_read(k, iocb, to, ret);
  }
  if (iocb.ki_flags & IOCB_DIRECT && !IS_DAX(i) && i.i_mapping.a_ops !== 'shmem') return unsupported(k, 'mm/filemap.c:generic_file_read_iter', `O_DIRECT reads of ${i.i_mapping.a_ops} files are not modelled`);
  return yield* filemap_read(k, iocb, to, 0);
}

/** The page-cache or DAX copy loop; `already`: bytes a direct read moved before (v5.4.1's fallback). */
function* filemap_read(k: Kctx, iocb: kiocb, to: iov_iter, already: number): KThread<number> {
  const i = iocb.ki_filp.f_inode;
  const dax = IS_DAX(i);
  if (dax) yield* down_read(k, i.i_rwsem, 'fs/ext4/file.c:ext4_dax_read_iter');
  let done = already;
  let err = 0;
  while (iov_iter_count(to) > 0) {
    const pos = iocb.ki_pos;
    if (pos >= i.i_size) break;
    const index = Math.floor(pos / PAGE_SIZE);
    const offset = pos % PAGE_SIZE;
    const nr = Math.min(PAGE_SIZE - offset, i.i_size - pos, iov_iter_count(to));
    let page: number | null;
    if (dax) {
      const b = dax_block(k, i, index, false);
      page = typeof b === 'number' ? b : null; // a hole reads as zeroes
    } else {
      page = yield* read_page(k, i, index);
      if (page !== null && page < 0) {
        err = page;
        break;
      }
    }
    const copied = yield* copy_page_to_iter(k, page, offset, nr, to);
    if (!dax && page !== null) put_page(k.m, page);
    if (copied < 0) {
      err = copied;
      break;
    }
    iocb.ki_pos += copied;
    done += copied;
    if (copied < nr) {
      err = -EFAULT;
      break;
    }
  }
  if (dax) up_read(k, i.i_rwsem, 'fs/ext4/file.c:ext4_dax_read_iter');
  return done > 0 ? done : err;
}

/**
 * ext4_buffered_write_iter / generic_file_write_iter (shmem) / ext4_dax_write_iter —
 * bytes written, or -errno when none.
 */
export function* generic_file_write_iter(k: Kctx, iocb: kiocb, from: iov_iter): KThread<number> {
  const i = iocb.ki_filp.f_inode;
  const site = IS_DAX(i) ? 'fs/ext4/file.c:ext4_dax_write_iter' : i.i_mapping.a_ops === 'shmem' ? 'mm/filemap.c:generic_file_write_iter' : 'fs/ext4/file.c:ext4_buffered_write_iter';
  if (iocb.ki_flags & IOCB_DIRECT && !IS_DAX(i) && i.i_mapping.a_ops === 'ext4') return yield* ext4_dio_write_iter(k, iocb, from);
  if (iocb.ki_flags & IOCB_DIRECT && !IS_DAX(i) && i.i_mapping.a_ops !== 'shmem') return unsupported(k, site, `O_DIRECT writes of ${i.i_mapping.a_ops} files are not modelled`);
  yield* down_write(k, i.i_rwsem, site);
  // generic_write_checks(): O_APPEND writes at the end; nothing to write is 0.
  if (iocb.ki_flags & IOCB_APPEND) iocb.ki_pos = i.i_size;
  const ret = iov_iter_count(from) === 0 ? 0 : yield* generic_perform_write(k, i, iocb, from);
  up_write(k, i.i_rwsem, site);
  return ret;
}

/** The page a write of page `index` goes into (referenced), or -errno. */
function write_begin(k: Kctx, f: file, index: number): number {
  const i = f.f_inode;
  const mapping = i.i_mapping;
  if (IS_DAX(i)) {
    const b = dax_block(k, i, index, true);
    return b === 'ENOSPC' ? -ENOSPC : b === null ? -ENOSPC : b;
  }
  if (mapping.a_ops === 'shmem') return shmem_getpage(k, f, index) ?? -ENOMEM;
  // grab_cache_page_write_begin + ext4_block_write_begin: the cached page, else the old block read in.
  const cached = find_get_page(k.m, mapping, index);
  if (cached !== null) return cached;
  return page_cache_read(k, mapping, index) ?? -ENOMEM;
}

/** generic_perform_write(iocb, i) — see the file header (inode_lock held). */
function* generic_perform_write(k: Kctx, i: inode, iocb: kiocb, from: iov_iter): KThread<number> {
  let written = 0;
  let status = 0;
  const dax = IS_DAX(i);
  while (iov_iter_count(from) > 0) {
    const pos = iocb.ki_pos;
    const index = Math.floor(pos / PAGE_SIZE);
    const offset = pos % PAGE_SIZE;
    const bytes = Math.min(PAGE_SIZE - offset, iov_iter_count(from));
    const page = write_begin(k, iocb.ki_filp, index);
    if (page < 0) {
      status = page;
      break;
    }
    const copied = yield* copy_page_from_iter(k, page, offset, bytes, from);
    // write_end: the page is dirty, i_size grows to cover what was copied.
    if (copied > 0 && !dax) SetPageDirty(k.m, page);
    if (!dax) put_page(k.m, page);
    if (copied < 0) {
      status = copied;
      break;
    }
    if (copied > 0 && pos + copied > i.i_size) i.i_size = pos + copied;
    iocb.ki_pos += copied;
    written += copied;
    if (copied < bytes) {
      status = -EFAULT;
      break;
    }
  }
  return written > 0 ? written : status;
}
