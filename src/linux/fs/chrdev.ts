/**
 * Character devices of the model: a devtmpfs inode (S_IFCHR) at a /dev path whose
 * open files use the driver's file_operations — fs/char_dev.c chrdev_open reduced
 * to a lookup. Drivers (device-DAX here; VFIO, test devices elsewhere) register
 * with chrdev_create() and are opened with filp_open / sys_open like files.
 */
import type { Machine } from '../machine.js';
import type { file_operations, inode } from '../include/linux/fs.js';
import { S_DAX, S_IFCHR } from '../include/linux/fs.js';
import { mount_fs, new_inode, sb_of_path } from './libfs.js';

/** MODEL set-up: the device node `path` served by `fops` (driver data in i_private). */
export function chrdev_create(m: Machine, path: string, fops: file_operations, i_private: unknown = null, dax = false): inode {
  let sb = sb_of_path(m, path);
  if (!sb || sb.s_type.kind !== 'devtmpfs') sb = m.mounts.get('/dev') ?? mount_fs(m, '/dev', 'devtmpfs');
  const i = new_inode(m, sb, path, S_IFCHR | 0o600, 0);
  i.i_private = i_private;
  if (dax) i.i_flags |= S_DAX;
  i.i_fop = fops;
  m.inodes.set(path, i);
  return i;
}

