/**
 * Each file system attaches its file_operations to the regular inodes it creates (i_fop, as
 * ext4_iget/ext4_create, shmem_get_inode and hugetlbfs_get_inode do), and open() takes them
 * from the inode: no table of file systems decides a file's fops at open time.
 */
import { describe, expect, it } from 'vitest';
import { machine, runAs, task } from '../mm/harness.js';
import type { file_operations } from '../../../../src/linux/include/linux/fs.js';
import { O_RDWR, fget } from '../../../../src/linux/include/linux/fs.js';
import { create_file, filp_open, mount_fs, new_inode, sb_of_path } from '../../../../src/linux/fs/libfs.js';
import { ext4_file_operations } from '../../../../src/linux/fs/ext4.js';
import { shmem_file_operations, shmem_file_setup } from '../../../../src/linux/mm/shmem.js';
import { hugetlb_file_setup, hugetlbfs_file_operations } from '../../../../src/linux/mm/hugetlb.js';
import { sys_open } from '../../../../src/linux/syscalls.js';

describe('i_fop: file operations per inode', () => {
  it('a file created on ext4, tmpfs or hugetlbfs carries its file system\'s fops, and open() uses them', () => {
    const m = machine();
    mount_fs(m, '/mnt', 'ext4');
    mount_fs(m, '/tmp', 'tmpfs');
    mount_fs(m, '/huge', 'hugetlbfs');
    const want: [string, file_operations][] = [['/mnt/f', ext4_file_operations], ['/tmp/f', shmem_file_operations], ['/huge/f', hugetlbfs_file_operations]];
    const t = task(m);
    for (const [path, fops] of want) {
      const i = create_file(m, path, 4096);
      expect(i.i_fop).toBe(fops);
      const same = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, path, O_RDWR);
        return fget(k, fd)?.f_op === fops;
      });
      expect(same).toBe(true);
    }
  });

  it('memfd/shmem and hugetlb files set up inside the kernel get their fops on the inode too', () => {
    const m = machine();
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const s = shmem_file_setup(k, 'memfd:x', 4096);
      const h = hugetlb_file_setup(k, 'memfd:h', 2 << 20, 0);
      return { shmem: s.f_inode.i_fop === shmem_file_operations, hugetlb: typeof h === 'number' ? h : h.f_inode.i_fop === hugetlbfs_file_operations };
    });
    expect(r).toEqual({ shmem: true, hugetlb: true });
  });

  it('an inode whose creator set no fops opens with empty operations named after its file system', () => {
    const m = machine();
    mount_fs(m, '/dev', 'devtmpfs');
    const i = new_inode(m, sb_of_path(m, '/dev/x')!, '/dev/x', 0o020600, 0);
    m.inodes.set('/dev/x', i);
    const t = task(m);
    const fop = runAs(m, t, function* (k) {
      const f = filp_open(k, '/dev/x', O_RDWR);
      return typeof f === 'number' ? f : JSON.stringify(f.f_op);
    });
    expect(fop).toBe(JSON.stringify({ owner: 'devtmpfs' }));
  });
});
