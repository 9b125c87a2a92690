/**
 * The file_operations open() gives a file: the inode's i_fop, which the file system that
 * created the inode set (fs/open.c do_dentry_open: f->f_op = fops_get(inode->i_fop)) —
 * ext4_file_operations, shmem_file_operations, hugetlbfs_file_operations, a char device's
 * fops. An inode without one (no file system here gives it none) gets empty operations.
 */
import type { file_operations, inode } from '../include/linux/fs.js';

export function fs_file_operations(i: inode): file_operations {
  return i.i_fop ?? { owner: i.i_sb.s_type.name };
}
