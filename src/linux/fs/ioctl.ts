/**
 * fs/ioctl.c: ioctl(2) on an fd of the current task — fdget (-EBADF on a closed fd), then the
 * file's f_op->unlocked_ioctl (vfs_ioctl: -ENOTTY when the file has none), then fdput.
 *
 * MODEL: the commands do_vfs_ioctl handles itself before the driver (FIOCLEX, FIONBIO,
 * FIGETBSZ, ...) are not modelled; every command goes to the driver.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { file, ioctl_arg } from '../include/linux/fs.js';
import { fget, fput } from '../include/linux/fs.js';
import { EBADF, ENOTTY } from '../include/uapi/linux/errno.js';

/** ioctl(fd, cmd, arg). */
export function* sys_ioctl(k: Kctx, fd: number, cmd: number, arg: ioctl_arg): KThread<number> {
  const f: file | null = fget(k, fd);
  if (f === null) return -EBADF;
  const op = f.f_op.unlocked_ioctl;
  const r = op === undefined ? -ENOTTY : yield* op(k, f, cmd, arg);
  yield* fput(k, f);
  return r;
}
