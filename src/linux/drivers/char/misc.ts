/**
 * drivers/char/misc.c (5.4.1, Debian 6.1.192, 6.12.117): misc_register() and
 * misc_open(). A misc device is a character device of major 10 whose minor names a
 * registered `struct miscdevice`; devtmpfs creates its node at /dev/<nodename or
 * name>. Opening the node finds the device by minor, swaps the file's operations for
 * the device's own (replace_fops), stores the miscdevice in file->private_data and
 * then runs the device's ->open, which may overwrite private_data.
 *
 * Locking contract: misc_mtx around the list in the kernel; the model's registration
 * happens at set-up and its open takes no lock (misc_open holds misc_mtx only for
 * the lookup, which cannot block on anything the model runs concurrently).
 *
 * MODEL: no dynamic minors (callers pass the fixed minor, e.g. VFIO_MINOR), no
 * deregistration, and the node's mode is recorded but file permissions are not
 * checked by the model's open(2).
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import { EBUSY, ENODEV } from '../../include/uapi/linux/errno.js';
import { chrdev_create } from '../../fs/chrdev.js';

/** include/linux/miscdevice.h: the minors the model uses. */
export const VFIO_MINOR = 196;

/** struct miscdevice (the fields the model needs). */
export interface miscdevice {
  readonly minor: number;
  readonly name: string;
  readonly fops: file_operations;
  /** Path under /dev (`vfio/vfio`); null: the name. */
  readonly nodename: string | null;
  /** Node mode bits (S_IRUGO | S_IWUGO = 0o666 for vfio). */
  readonly mode: number;
}

/**
 * misc_open(inode, file): the registered device of the inode's minor (-ENODEV if
 * none), then replace_fops + private_data = the miscdevice + the device's ->open.
 */
function* misc_open(k: Kctx, i: inode, f: file): KThread<number> {
  const c = i.i_private as miscdevice | null;
  if (c === null || k.m.misc.get(c.minor) !== c) return -ENODEV;
  f.f_op = c.fops;
  f.private_data = c;
  if (c.fops.open) return yield* c.fops.open(k, i, f);
  return 0;
}

/** The file_operations of every misc node before misc_open swaps them (misc_fops). */
export const misc_fops: file_operations = { owner: 'misc', open: misc_open };

/**
 * misc_register(misc): a minor already taken → -EBUSY; otherwise the device is listed
 * and its node appears at /dev/<nodename ?? name>. Returns 0 or -errno.
 */
export function misc_register(k: Kctx, misc: miscdevice): number {
  if (k.m.misc.has(misc.minor)) return -EBUSY;
  k.m.misc.set(misc.minor, misc);
  const ino = chrdev_create(k.m, `/dev/${misc.nodename ?? misc.name}`, misc_fops, misc);
  ino.i_mode = (ino.i_mode & ~0o777) | (misc.mode & 0o777);
  k.m.event(k.tid, 'misc-register', [`misc:${misc.minor}`], 'drivers/char/misc.c:misc_register', misc.minor);
  return 0;
}
