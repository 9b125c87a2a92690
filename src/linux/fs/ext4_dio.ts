/**
 * fs/ext4/file.c ext4_dio_read_iter() / ext4_dio_write_iter() — the O_DIRECT paths of a
 * regular (non-DAX) ext4 file: v5.4.1 (ext4_direct_IO → __blockdev_direct_IO), and from
 * v5.5 (PATCH(ext4-iomap-dio): b1b4705d54ab for reads, 378f32bab371 for writes) Debian
 * 6.1.192 and 6.12.117 (iomap_dio_rw with ext4_iomap_ops). The transfer itself is
 * fs/iomap/direct-io.ts.
 *
 * Read: inode_lock_shared around the transfer. Write: inode_lock; generic_write_checks
 * (O_APPEND: pos = i_size; nothing to write: 0); the transfer. A DAX file never comes here
 * (ext4_file_read_iter / write_iter send it to the DAX path first), and ext4_should_use_dio
 * (fs-verity, data journalling, inline data, encryption: buffered instead) is always true
 * for the model's files.
 * MODEL: the write always takes inode_lock exclusively (6.1/6.12 take it shared for an
 * aligned overwrite inside i_size); IOCB_NOWAIT is not offered.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { kiocb } from '../include/linux/fs.js';
import { IOCB_APPEND } from '../include/linux/fs.js';
import type { iov_iter } from '../include/linux/uio.js';
import { iov_iter_count } from '../include/linux/uio.js';
import { down_read, down_write, up_read, up_write } from '../kernel/locking/rwsem.js';
import { iomap_dio_rw } from './iomap/direct-io.js';

/** Does this release's ext4 do direct I/O through iomap (v5.5+) rather than fs/direct-io.c? */
function ext4_iomap_dio(k: Kctx): boolean {
  // PATCH(ext4-iomap-dio): b1b4705d54ab / 378f32bab371 — ext4_dio_read_iter / ext4_dio_write_iter call iomap_dio_rw.
  return k.patch('ext4-iomap-dio');
}

/** ext4_dio_read_iter(iocb, to): bytes or -errno. */
export function* ext4_dio_read_iter(k: Kctx, iocb: kiocb, to: iov_iter): KThread<number> {
  const i = iocb.ki_filp.f_inode;
  const site = ext4_iomap_dio(k) ? 'fs/ext4/file.c:ext4_dio_read_iter' : 'fs/ext4/inode.c:ext4_direct_IO_read';
  yield* down_read(k, i.i_rwsem, site);
  const ret = yield* iomap_dio_rw(k, iocb, to, false, ext4_iomap_dio(k));
  up_read(k, i.i_rwsem, site);
  return ret;
}

/** ext4_dio_write_iter(iocb, from): bytes or -errno. */
export function* ext4_dio_write_iter(k: Kctx, iocb: kiocb, from: iov_iter): KThread<number> {
  const i = iocb.ki_filp.f_inode;
  const site = ext4_iomap_dio(k) ? 'fs/ext4/file.c:ext4_dio_write_iter' : 'fs/ext4/inode.c:ext4_direct_IO_write';
  yield* down_write(k, i.i_rwsem, site);
  if (iocb.ki_flags & IOCB_APPEND) iocb.ki_pos = i.i_size;
  const ret = iov_iter_count(from) === 0 ? 0 : yield* iomap_dio_rw(k, iocb, from, true, ext4_iomap_dio(k));
  up_write(k, i.i_rwsem, site);
  return ret;
}
