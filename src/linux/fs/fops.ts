/**
 * The file_operations of the model's regular files per file system: which ->mmap
 * each file gets (ext4_file_mmap, shmem_mmap, hugetlbfs_file_mmap, dax).
 */
import type { file_operations, inode } from '../include/linux/fs.js';
import { ext4_file_operations } from './ext4.js';
import { shmem_file_operations } from '../mm/shmem.js';
import { hugetlbfs_file_operations } from '../mm/hugetlb.js';

export function fs_file_operations(i: inode): file_operations {
  if (i.i_fop) return i.i_fop;
  switch (i.i_sb.s_type.kind) {
    case 'ext4':
      return ext4_file_operations;
    case 'tmpfs':
      return shmem_file_operations;
    case 'hugetlbfs':
      return hugetlbfs_file_operations;
    default:
      return { owner: i.i_sb.s_type.name };
  }
}
