/**
 * Patches of file I/O that take user pages (issue 12 item 3): O_DIRECT reads and writes,
 * which hand the user buffer's pages to the block layer for the duration of the I/O. Kept
 * in an area file of its own so it merges beside the others.
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const ioPatches = {
  'ext4-iomap-dio': {
    subject: 'ext4: introduce direct I/O read using iomap infrastructure',
    commit: 'b1b4705d54ab',
    author: 'Matthew Bobrowski',
    release: 'v5.5',
    files: ['fs/ext4/file.c', 'fs/ext4/inode.c', 'fs/iomap/direct-io.c'],
    effect: 'changes-verdict',
    summary:
      'ext4 direct I/O goes through iomap_dio_rw() (ext4_dio_read_iter; the write side, ext4_dio_write_iter, is ' +
      '378f32bab371 "ext4: introduce direct I/O write using iomap infrastructure" of the same release, folded here). ' +
      'Alignment is checked per mapped block in iomap_dio_bio_iter(), so a misaligned read of a hole (or at/after ' +
      'EOF) succeeds, zeroing the buffer; before it (v5.4.1, fs/direct-io.c do_blockdev_direct_IO) any misaligned ' +
      'request (pos, buffer or count off the logical block) is -EINVAL before any block is read or written (after writing the range back and, ' +
      'for a write, invalidating it). Both take the user pages with ' +
      'get_user_pages_fast() references for the I/O. A buffer page GUP cannot take in the middle of a read: ' +
      'fs/direct-io.c returns the bytes done (dio_complete drops the -EFAULT; generic_file_read_iter tries the rest ' +
      'buffered), iomap returns -EFAULT (dio->error) although the first pages were read into.',
    scenarios: ['io/odirect-align', 'io/odirect-fault-mid-buffer'],
    folds: [{ change: 'ext4_dio_write_iter through iomap_dio_rw (the write side; same alignment rules for writes)', commit: '378f32bab371', from: 'v5.5', by: 'v5.5' }],
  },
  'bio-extract-pin': {
    subject: 'block: Convert bio_iov_iter_get_pages to use iov_iter_extract_pages',
    commit: 'a7e689dd1c06',
    author: 'David Howells',
    release: 'v6.5',
    files: ['block/bio.c', 'block/blk.h', 'lib/iov_iter.c'],
    effect: 'changes-verdict',
    summary:
      'A direct I/O bio pins the user buffer (iov_iter_extract_pages → pin_user_pages_fast, FOLL_PIN; the bio flagged ' +
      'BIO_PAGE_PINNED, unpinned by bio_release_page) where it took plain references (iov_iter_get_pages2 → ' +
      'get_user_pages_fast, FOLL_GET; put_page). A fork() while an O_DIRECT read is in flight then copies the pinned ' +
      'page for the child (page_needs_cow_for_dma / page_try_dup_anon_rmap) and the parent keeps the frame the read ' +
      'lands in; with references the page is shared, the parent\'s next write to it copies it, and the read lands in ' +
      'the frame the child keeps (the parent loses the data). Debian 6.1.192 takes references; 6.5.0 and 6.12.117 pin.',
    scenarios: ['io/odirect-fork-during-read'],
    folds: [{ change: 'BIO_PAGE_PINNED and bio_release_page() (the unpin at completion)', commit: 'fd363244e883', from: 'v6.5', by: 'v6.5' }],
  },
  'tmpfs-odirect': {
    subject: 'tmpfs: trivial support for direct IO',
    commit: 'e88e0d366f9c',
    author: 'Hugh Dickins',
    release: 'v6.6',
    files: ['mm/shmem.c'],
    effect: 'changes-verdict',
    summary:
      'shmem_file_open() sets FMODE_CAN_ODIRECT: open(2) of a tmpfs file with O_DIRECT succeeds and its reads and ' +
      'writes are the buffered ones (no page of the user buffer is taken). Before it the open is -EINVAL (the ' +
      'mapping has no ->direct_IO).',
    scenarios: ['io/odirect-align', 'io/odirect-fault-mid-buffer'],
  },
} as const satisfies Record<string, PatchInfo>;

export const ioReleaseAdds: ReleaseAdds<keyof typeof ioPatches> = {};
