/**
 * block/bio.c: how a direct I/O bio takes and gives back the user pages it transfers to or
 * from — bio_iov_iter_get_pages() and bio_release_pages() (with lib/iov_iter.c underneath).
 *
 * - v5.4.1 (fs/direct-io.c dio_refill_pages → iov_iter_get_pages) and Debian 6.1.192
 *   (__bio_iov_iter_get_pages → iov_iter_get_pages2): get_user_pages_fast() of the user
 *   buffer, FOLL_WRITE when the I/O writes into it (a read); plain page references
 *   (FOLL_GET). Completion drops them with put_page() (bio_release_pages; a read's pages
 *   are dirtied first: bio_check_pages_dirty / set_page_dirty_lock).
 * - 6.5 and later (Debian 6.12.117): iov_iter_extract_pages → iov_iter_extract_user_pages
 *   → pin_user_pages_fast() (FOLL_PIN, so fork() copies a page under I/O for the child
 *   instead of sharing it), the bio flagged BIO_PAGE_PINNED; completion unpins
 *   (bio_release_page → unpin_user_page). PATCH(bio-extract-pin): a7e689dd1c06.
 * A bvec iterator (io_uring fixed buffers) takes no reference here (bio_iov_bvec_set): the
 * caller keeps the pages; the model's direct I/O comes from read/write/pread/pwrite only.
 *
 * Size: what GUP returns, trimmed to a multiple of the logical block size; nothing left →
 * -EFAULT (a GUP failure before any page: its errno).
 * MODEL: one bio per call (no bi_max_vecs limit); no P2PDMA (ITER_ALLOW_P2PDMA) or
 * FOLL_NOFAULT; the device under the model's ext4 has 512-byte logical blocks and a DMA
 * alignment of 511 (brd's defaults, the conformance guest's /mnt/ext4).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { FOLL_WRITE } from '../include/linux/foll.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import { put_page, set_page_dirty_lock } from '../include/linux/mm.js';
import { EFAULT } from '../include/uapi/linux/errno.js';
import { get_user_pages_fast } from '../mm/gup_fast.js';
import { pin_user_pages_fast } from '../mm/gup_fast.js';
import { unpin_user_page } from '../mm/gup.js';
import type { page_array } from '../mm/gup.js';

/** bdev_logical_block_size(bdev) of the model's block device (see the header). */
export const LOGICAL_BLOCK_SIZE = 512;
/** bdev_dma_alignment(bdev): a user buffer must start on this mask + 1. */
export const DMA_ALIGNMENT = 511;

/** struct bio, reduced: the user frames it holds (one per page of the buffer) and how it holds them. */
export interface bio {
  /** The frames, in buffer order; the first is entered at `offset`. */
  readonly pages: number[];
  offset: number;
  /** Bytes the bio covers. */
  size: number;
  /** BIO_PAGE_PINNED (FOLL_PIN) vs a plain reference (FOLL_GET). */
  readonly pinned: boolean;
}

/**
 * bio_iov_iter_get_pages(bio, iter) for a user buffer [addr, addr+len): the pages, or
 * -errno when none could be had. `to_user`: the I/O writes into the buffer (a read).
 */
export function* bio_iov_iter_get_pages(k: Kctx, addr: number, len: number, to_user: boolean): KThread<bio | number> {
  const gup_flags = to_user ? FOLL_WRITE : 0;
  const offset = addr % PAGE_SIZE;
  const nr = Math.ceil((offset + len) / PAGE_SIZE);
  const pages: page_array = new Array<number | null>(nr).fill(null);
  // PATCH(bio-extract-pin): a7e689dd1c06 — iov_iter_extract_pages pins (FOLL_PIN) where iov_iter_get_pages2 took references.
  const pinned = k.patch('bio-extract-pin');
  const got = pinned
    ? yield* pin_user_pages_fast(k, addr - offset, nr, gup_flags, pages)
    : yield* get_user_pages_fast(k, addr - offset, nr, gup_flags, pages);
  if (got <= 0) return got === 0 ? -EFAULT : got;
  let size = Math.min(len, got * PAGE_SIZE - offset);
  size -= size % LOGICAL_BLOCK_SIZE; // trim (iov_iter_revert of the partial block)
  const used = Math.ceil((offset + size) / PAGE_SIZE);
  // Pages GUP returned beyond the trimmed size go back at once.
  for (let i = size === 0 ? 0 : used; i < got; i++) release_page(k, pages[i] as number, pinned);
  if (size === 0) return -EFAULT;
  return { pages: pages.slice(0, used) as number[], offset, size, pinned };
}

/** bio_release_page(bio, page): unpin or put. */
function release_page(k: Kctx, page: number, pinned: boolean): void {
  if (pinned) unpin_user_page(k, page);
  else put_page(k.m, page);
}

/** bio_release_pages(bio, mark_dirty): every page of the bio, dirtied first for a read into it. */
export function bio_release_pages(k: Kctx, b: bio, mark_dirty: boolean): void {
  for (const page of b.pages) {
    if (mark_dirty) set_page_dirty_lock(k, page);
    release_page(k, page, b.pinned);
  }
}
