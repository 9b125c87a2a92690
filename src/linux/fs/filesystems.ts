/**
 * fs/filesystems.c get_fs_type(): the file_system_type a mount of `kind` uses. Each file
 * system declares its own (ext4_fs_type, shmem_fs_type, hugetlbfs_fs_type) with the inode
 * set-up that attaches its file_operations; devtmpfs and the anon inode fs create only
 * inodes whose fops their creators set (cdev_add / misc_register, anon_inode_getfile).
 *
 * MODEL: the registry is this lookup (the kernel's register_filesystem list).
 */
import type { file_system_type, fs_kind } from '../include/linux/fs.js';
import { ext4_fs_type } from './ext4.js';
import { shmem_fs_type } from '../mm/shmem.js';
import { hugetlbfs_fs_type } from '../mm/hugetlb.js';

const devtmpfs_fs_type: file_system_type = { name: 'devtmpfs', kind: 'devtmpfs', init_reg_inode: null };
const anon_inode_fs_type: file_system_type = { name: 'anon_inodefs', kind: 'anon_inodefs', init_reg_inode: null };

export function get_fs_type(kind: fs_kind): file_system_type {
  switch (kind) {
    case 'ext4':
      return ext4_fs_type;
    case 'tmpfs':
      return shmem_fs_type;
    case 'hugetlbfs':
      return hugetlbfs_fs_type;
    case 'devtmpfs':
      return devtmpfs_fs_type;
    case 'anon_inodefs':
      return anon_inode_fs_type;
  }
}
