/**
 * Direct I/O of a regular file (O_DIRECT: IOCB_DIRECT) between a user buffer and the
 * blocks on the backing store, bypassing the page cache: fs/iomap/direct-io.c
 * __iomap_dio_rw() / iomap_dio_bio_iter() / iomap_dio_hole_iter() (ext4 from v5.5, Debian
 * 6.1.192, Debian 6.12.117) and, before ext4 moved to iomap (v5.4.1), fs/direct-io.c
 * do_blockdev_direct_IO(), which does the same transfers with another order of checks.
 *
 * In order:
 * 1. (v5.4.1 only) the page cache of the range is written back and, for a write, invalidated
 *    (step 3) first; then the request must be aligned: pos, the buffer address and the count
 *    on the logical block size (the file system block size first, then the device's; the
 *    model's device: 512 bytes): else -EINVAL.
 * 2. A read starting at or past i_size returns 0.
 * 3. (iomap) The page cache of the range is written back (filemap_write_and_wait_range: dirty
 *    cached pages reach the blocks), and for a write the range's cached pages are
 *    invalidated (invalidate_inode_pages2_range), so later buffered reads see the new blocks.
 * 4. Block by block (the model's blocks are pages): a read of a hole or an unwritten
 *    extent zeroes that part of the user buffer at once (iomap_dio_hole_iter →
 *    iov_iter_zero: no page is taken, no alignment is checked); a mapped block (or any
 *    block of a write) must be aligned — pos and length on the logical block size, the
 *    buffer address on the DMA alignment (iomap_dio_bio_iter: -EINVAL) — and its user pages
 *    are taken by bio_iov_iter_get_pages (block/bio.ts: references before 6.5, pins after).
 * 5. The bios are submitted and the caller sleeps until they complete: THE window in which
 *    another thread (or fork, MADV_DONTNEED, munmap) changes what the process maps at the
 *    buffer while the device still reaches the frames the bio holds. At completion the
 *    data move between those frames and the blocks — a read lands in the frames taken at
 *    submission whatever the process maps now — and bio_release_pages drops the references
 *    or pins (a read's pages are dirtied).
 * 6. A write that ends past i_size grows it; a read's result is cut at i_size
 *    (iomap_dio_complete). Any error makes the whole call return it (dio->error).
 *
 * A buffer page GUP cannot take (unmapped, PROT_NONE, read-only for a read) in the middle
 * of the request stops the submission there; the bios already submitted still complete:
 * - iomap (v5.5+; Debian 6.1.192 and 6.12.117 read): bio_iov_iter_get_pages keeps the pages
 *   it got and fails only when it got none, iomap_dio_bio_iter returns the bytes it
 *   submitted and the next iteration's -EFAULT becomes dio->error: the call returns -EFAULT
 *   whatever was moved before (ext4 passes no IOMAP_DIO_PARTIAL). A read's data before the
 *   fault is in the buffer; a write's data reached the blocks that were already written,
 *   while blocks that were holes stay holes (ext4_iomap_alloc gave them unwritten extents
 *   inside i_size, which ext4_dio_write_end_io converts only on success; past i_size they
 *   are allocated and ext4_handle_inode_extension truncates them on the error).
 * - fs/direct-io.c (v5.4.1): dio_refill_pages returns the GUP error; dio_complete turns
 *   -EFAULT into the bytes already done (dio->result) for a read, so a read is short (its
 *   caller, generic_file_read_iter, then tries the rest buffered: mm/filemap_rw.ts). A write
 *   that faults before any block was mapped returns -EFAULT; one that faults later depends on
 *   the extent layout, which the model does not have (`unsupported`): if the block mapping
 *   get_block returned reaches past the faulting page, dio_refill_pages writes ZERO_PAGE into
 *   those blocks and the call returns -EFAULT (page_errors); if not, it returns the short count
 *   and __generic_file_write_iter writes the rest buffered (which faults at once: the short
 *   count stands). Read in the 5.4.1 tree (lightcheen/linux-5.4.0 @ 144e8e60c6b5: fs/direct-io.c,
 *   fs/ext4/inode.c ext4_direct_IO, mm/filemap.c generic_file_direct_write, touched only by the
 *   import commit).
 *
 * MODEL: blocks are page-sized and a block's data is the inode's i_data (page_data.ts
 * strings); one bio per block; all bios complete at one scheduling point, in submission
 * order; a write's invalidation that would have to unmap a mapped page or drop a page
 * someone else holds (invalidate_inode_pages2_range's -EBUSY and ext4's fallback to a
 * buffered write) is `unsupported`; the page cache is not invalidated again after the write
 * (kiocb_invalidate_post_direct_write: nothing can have cached the range meanwhile in the
 * corpus); the PTE dirty bits of written-back pages are not cleaned; only a user buffer
 * (`buf`) is modelled — a private model buffer or an io_uring fixed buffer (bvec) is
 * `unsupported`. fs/direct-io.c takes page references for holes too and zeroes them; the
 * model zeroes the buffer as iomap does (the same bytes).
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { unsupported } from '../../include/linux/bug.js';
import type { inode, kiocb } from '../../include/linux/fs.js';
import { inode_data } from '../../include/linux/fs.js';
import { ClearPageDirty, PageDirty, page_content, page_count, page_mapcount } from '../../include/linux/mm.js';
import { PAGE_SIZE } from '../../include/linux/mm_types.js';
import type { data_run } from '../../include/linux/page_data.js';
import { data_read_bytes, data_write_runs, page_read_bytes, page_write_runs, runs_append, runs_slice } from '../../include/linux/page_data.js';
import type { iov_iter } from '../../include/linux/uio.js';
import { copy_to_iter, iov_iter_advance, iov_iter_count } from '../../include/linux/uio.js';
import { EFAULT, EINVAL } from '../../include/uapi/linux/errno.js';
import { race_window } from '../../kernel/sched.js';
import { delete_from_page_cache } from '../../mm/filemap.js';
import type { bio } from '../../block/bio.js';
import { DMA_ALIGNMENT, LOGICAL_BLOCK_SIZE, bio_iov_iter_get_pages, bio_release_pages } from '../../block/bio.js';
import { errno_reason } from '../../errno_reason.js';

/** filemap_write_and_wait_range(mapping, start, end): dirty cached pages of [start, end) reach the blocks. */
function filemap_write_and_wait_range(k: Kctx, i: inode, start: number, end: number): void {
  for (let index = Math.floor(start / PAGE_SIZE); index * PAGE_SIZE < end; index++) {
    const page = i.i_mapping.i_pages.get(index);
    if (page === undefined || !PageDirty(k.m, page)) continue;
    i.i_data.set(index, page_content(k.m, page));
    ClearPageDirty(k.m, page);
  }
}

/**
 * invalidate_inode_pages2_range(mapping, start, end) for a direct write: 0, or the
 * `unsupported` errno when a cached page is mapped or held beyond the cache (see the header).
 */
function invalidate_for_dio_write(k: Kctx, i: inode, start: number, end: number, site: string): number {
  for (let index = Math.floor(start / PAGE_SIZE); index * PAGE_SIZE < end; index++) {
    const page = i.i_mapping.i_pages.get(index);
    if (page === undefined) continue;
    if (page_mapcount(k.m, page) > 0 || page_count(k.m, page) > 1) {
      return unsupported(k, site, `O_DIRECT write over page ${index} of ${i.path}, which is mapped or referenced beyond the page cache (unmap + invalidation, or the buffered fallback on -EBUSY)`);
    }
    delete_from_page_cache(k, i.i_mapping, index);
  }
  return 0;
}

/** The range's cached pages reach the blocks; a write's are then dropped: 0 or the `unsupported` errno. */
function dio_flush_range(k: Kctx, i: inode, pos: number, count: number, write: boolean, site: string): number {
  filemap_write_and_wait_range(k, i, pos, pos + count);
  return write ? invalidate_for_dio_write(k, i, pos, pos + count, site) : 0;
}

/** One block's transfer, submitted and waiting for completion. */
interface dio_piece {
  readonly b: bio;
  readonly index: number;
  /** Offset of the transfer in the block (page). */
  readonly off: number;
}

/** The bytes the bio's user frames hold (a write's source), as runs relative to the transfer. */
function bio_read_frames(k: Kctx, b: bio): data_run[] {
  const out: data_run[] = [];
  for (let t = 0; t < b.size;) {
    const abs = b.offset + t;
    const n = Math.min(PAGE_SIZE - (abs % PAGE_SIZE), b.size - t);
    runs_append(out, t, page_read_bytes(k.m, b.pages[Math.floor(abs / PAGE_SIZE)], abs % PAGE_SIZE, n));
    t += n;
  }
  return out;
}

/** Write runs (relative to the transfer) into the bio's user frames (a read's completion). */
function bio_write_frames(k: Kctx, b: bio, runs: readonly data_run[]): void {
  for (let t = 0; t < b.size;) {
    const abs = b.offset + t;
    const n = Math.min(PAGE_SIZE - (abs % PAGE_SIZE), b.size - t);
    page_write_runs(k.m, b.pages[Math.floor(abs / PAGE_SIZE)], abs % PAGE_SIZE, runs_slice(runs, t, n));
    t += n;
  }
}

/**
 * iomap_dio_rw(iocb, iter, ...) / do_blockdev_direct_IO: bytes transferred or -errno; the
 * caller holds inode_lock (shared for a read, exclusive for a write). `iomap`: the release
 * does ext4 direct I/O through iomap (PATCH(ext4-iomap-dio) read at the caller).
 */
export function* iomap_dio_rw(k: Kctx, iocb: kiocb, iter: iov_iter, write: boolean, iomap: boolean): KThread<number> {
  const site = iomap ? 'fs/iomap/direct-io.c:__iomap_dio_rw' : 'fs/direct-io.c:do_blockdev_direct_IO';
  const i = iocb.ki_filp.f_inode;
  if (iter.type !== 'ubuf') return unsupported(k, site, `O_DIRECT ${write ? 'from' : 'into'} a ${iter.type === 'bvec' ? 'registered (bvec)' : 'private model'} buffer: only a user buffer (\`buf\`) is modelled`);
  const pos = iocb.ki_pos;
  const count = iov_iter_count(iter);
  if (count === 0) return 0;
  const misaligned = (n: number, mask: number): boolean => n % (mask + 1) !== 0;
  // v5.4.1: the callers of do_blockdev_direct_IO flush the range first — generic_file_read_iter and
  // ext4_direct_IO_read write it back, generic_file_direct_write writes it back and invalidates it —
  // so a misaligned request still does that before its -EINVAL. iomap: after the read's EOF test.
  if (!iomap) {
    const r = dio_flush_range(k, i, pos, count, write, site);
    if (r) return r;
    if (misaligned(pos, LOGICAL_BLOCK_SIZE - 1) || misaligned(iter.addr, LOGICAL_BLOCK_SIZE - 1) || misaligned(count, LOGICAL_BLOCK_SIZE - 1)) {
      return errno_reason(k, -EINVAL, site, `pos ${pos}, buffer 0x${iter.addr.toString(16)} or count ${count} is not a multiple of the ${LOGICAL_BLOCK_SIZE}-byte logical block`);
    }
  }
  if (!write && pos >= i.i_size) return 0;
  if (iomap) {
    const r = dio_flush_range(k, i, pos, count, write, site);
    if (r) return r;
  }
  const pieces: dio_piece[] = [];
  let done = 0;
  let err = 0;
  while (done < count) {
    const p = pos + done;
    const index = Math.floor(p / PAGE_SIZE);
    const off = p % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - off, count - done);
    if (!write && inode_data(i, index) === undefined) {
      // A hole: iomap_dio_hole_iter zeroes the buffer now (a fault there ends the call: -EFAULT).
      const z = yield* copy_to_iter(k, [{ offset: 0, len: n, tag: '' }], n, iter);
      if (z < n) {
        if (!iomap && done + Math.max(z, 0) > 0) {
          // fs/direct-io.c zeroes holes in pages it took first: a fault there ends a short read (dio_complete).
          done += Math.max(z, 0);
          break;
        }
        err = z < 0 ? z : errno_reason(k, -EFAULT, site, 'zeroing the user buffer faulted');
        break;
      }
      done += n;
      continue;
    }
    if (iomap && (misaligned(p, LOGICAL_BLOCK_SIZE - 1) || misaligned(n, LOGICAL_BLOCK_SIZE - 1) || misaligned(iter.addr, DMA_ALIGNMENT))) {
      err = errno_reason(k, -EINVAL, 'fs/iomap/direct-io.c:iomap_dio_bio_iter', `block ${index}: pos ${p} or length ${n} off the ${LOGICAL_BLOCK_SIZE}-byte logical block, or buffer 0x${iter.addr.toString(16)} off the DMA alignment`);
      break;
    }
    const b = yield* bio_iov_iter_get_pages(k, iter.addr, n, !write);
    if (typeof b === 'number') {
      if (!iomap && done > 0) {
        // dio_refill_pages' error after some blocks: a read keeps the bytes done (dio_complete);
        // a write fills the rest of the mapped extent with ZERO_PAGE (see the header).
        if (write) err = unsupported(k, site, `O_DIRECT write whose buffer faults after ${done} bytes: the rest of the mapped extent is written from ZERO_PAGE, and the model has no extent layout`);
        break;
      }
      err = b;
      break;
    }
    pieces.push({ b, index, off });
    iov_iter_advance(iter, b.size);
    done += b.size;
  }
  // submit_bio for each piece, then sleep until the last completes (blk_io_schedule).
  // The frames each bio holds and where they go are this thread's state across the point.
  if (pieces.length > 0) yield* race_window(k, `${site}:io-in-flight`, pieces.map((p) => `${p.b.pages.join('.')}+${p.b.offset}:${p.index}+${p.off}:${p.b.size}`).join(',') + `/${err}`);
  for (const { b, index, off } of pieces) {
    const old = inode_data(i, index);
    // A failed write leaves a block that was a hole a hole (unwritten extent not converted, or truncated past i_size).
    if (write && !(err && old === undefined)) i.i_data.set(index, data_write_runs(k.m, old, off, bio_read_frames(k, b)));
    else if (!write) bio_write_frames(k, b, data_read_bytes(k.m, old, off, b.size));
    bio_release_pages(k, b, !write);
  }
  if (err) return err;
  if (write) {
    if (pos + done > i.i_size) i.i_size = pos + done;
    iocb.ki_pos += done;
    return done;
  }
  const ret = Math.min(done, i.i_size - pos);
  iocb.ki_pos += ret;
  return ret;
}
