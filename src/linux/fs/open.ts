/**
 * fs/open.c do_sys_ftruncate() / do_truncate(), fs/attr.c notify_change(ATTR_SIZE)
 * dispatching to the file system's ->setattr, and fs/open.c vfs_fallocate() —
 * v5.4.1, Debian 6.1.192, Debian 6.12.117.
 *
 * ftruncate: length < 0 → -EINVAL; bad fd → -EBADF; not a regular file or not open
 * for writing → -EINVAL; otherwise inode_lock (i_rwsem for write) around
 * ->setattr: ext4_setattr (layout break, page cache, blocks) or shmem_setattr
 * (page cache). vfs_fallocate: offset < 0 or len <= 0 → -EINVAL; PUNCH_HOLE
 * without KEEP_SIZE → -EOPNOTSUPP; not open for writing → -EBADF; no ->fallocate
 * → -EOPNOTSUPP. do_filp_open / do_dentry_open: the open(2) path below sys_open.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { file, inode } from '../include/linux/fs.js';
import { FMODE_PREAD, FMODE_PWRITE, FMODE_WRITE, S_ISREG, fget, fput } from '../include/linux/fs.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../include/uapi/asm-generic/mman.js';
import { EBADF, EINVAL, ENODEV, EOPNOTSUPP } from '../include/uapi/linux/errno.js';
import { down_write, up_write } from '../kernel/locking/rwsem.js';
import { truncate_pagecache, unmap_mapping_range_now } from '../mm/truncate.js';
import { hugetlb_vmtruncate } from '../mm/hugetlb.js';
import { ext4_setattr_size } from './ext4.js';
import { filp_open } from './libfs.js';

/** shmem_setattr(ATTR_SIZE) / simple_setattr: i_size and the page cache. */
function* shmem_setattr_size(k: Kctx, i: inode, newsize: number): KThread<number> {
  const old = i.i_size;
  i.i_size = newsize;
  if (newsize < old) yield* truncate_pagecache(k, i, newsize);
  return 0;
}

/** notify_change(dentry, ATTR_SIZE) → inode->i_op->setattr. Caller holds inode_lock. */
export function* notify_change_size(k: Kctx, i: inode, newsize: number): KThread<number> {
  switch (i.i_sb.s_type.kind) {
    case 'ext4':
      return yield* ext4_setattr_size(k, i, newsize);
    case 'tmpfs':
      return yield* shmem_setattr_size(k, i, newsize);
    case 'hugetlbfs':
      // hugetlbfs_setattr(): a size that is not a multiple of the huge page size is -EINVAL.
      if (newsize % (PAGE_SIZE * 2 ** i.i_sb.huge_order)) return -EINVAL;
      if (newsize < i.i_size) return hugetlb_vmtruncate(k, i, newsize, unmap_mapping_range_now);
      i.i_size = newsize;
      return 0;
    default:
      return -EINVAL;
  }
}

/** do_truncate(dentry, length, ...): inode_lock around notify_change. */
export function* do_truncate(k: Kctx, i: inode, length: number): KThread<number> {
  if (length < 0) return -EINVAL;
  yield* down_write(k, i.i_rwsem, 'fs/open.c:do_truncate');
  const ret = yield* notify_change_size(k, i, length);
  up_write(k, i.i_rwsem, 'fs/open.c:do_truncate');
  return ret;
}

/** do_sys_ftruncate(fd, length, small) */
export function* do_sys_ftruncate(k: Kctx, fd: number, length: number): KThread<number> {
  if (length < 0) return -EINVAL;
  const f = fget(k, fd);
  if (!f) return -EBADF;
  let error = -EINVAL;
  const i = f.f_inode;
  if (S_ISREG(i.i_mode) && f.f_mode & FMODE_WRITE) error = yield* do_truncate(k, i, length);
  yield* fput(k, f);
  return error;
}

/** vfs_fallocate(file, mode, offset, len) via ksys_fallocate(fd, ...) */
export function* ksys_fallocate(k: Kctx, fd: number, mode: number, offset: number, len: number): KThread<number> {
  const f = fget(k, fd);
  if (!f) return -EBADF;
  let ret: number;
  out: {
    if (offset < 0 || len <= 0) { ret = -EINVAL; break out; }
    if (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE)) { ret = -EOPNOTSUPP; break out; }
    if (!(f.f_mode & FMODE_WRITE)) { ret = -EBADF; break out; }
    if (!S_ISREG(f.f_inode.i_mode)) { ret = -ENODEV; break out; }
    if (!f.f_op.fallocate) { ret = -EOPNOTSUPP; break out; }
    ret = yield* f.f_op.fallocate(k, f, mode, offset, len);
  }
  yield* fput(k, f);
  return ret;
}

/**
 * fs/open.c do_dentry_open() (5.4.1, Debian 6.1.192, 6.12.117), reduced: the new file
 * already has the inode's file_operations (the file system's, or a device node's
 * i_fop: def_chr_fops → chrdev_open / misc_open); their ->open runs now. A non-zero
 * return fails the open and the file is dropped without ->release (FMODE_OPENED was
 * never set).
 */
export function* do_dentry_open(k: Kctx, f: file): KThread<number> {
  // Every file open(2) makes can be pread/pwritten (stream_open() takes it back for streams).
  f.f_mode |= FMODE_PREAD | FMODE_PWRITE;
  const open = f.f_op.open;
  if (!open) return 0;
  return yield* open(k, f.f_inode, f);
}

/**
 * do_filp_open(path, flags): the path lookup (MODEL: an exact match in the machine's
 * inode table; -ENOENT otherwise) and do_dentry_open(). A file or -errno.
 */
export function* do_filp_open(k: Kctx, path: string, flags: number): KThread<file | number> {
  const f = filp_open(k, path, flags);
  if (typeof f === 'number') return f;
  const err = yield* do_dentry_open(k, f);
  return err ? err : f;
}

/** Bytes to whole pages (for callers computing punched ranges). */
export function pages_in(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE);
}
