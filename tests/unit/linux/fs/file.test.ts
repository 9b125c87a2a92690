import { describe, expect, it } from 'vitest';
import { machine, runAs, task } from '../mm/harness.js';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { file, file_operations, inode } from '../../../../src/linux/include/linux/fs.js';
import { FMODE_READ, FMODE_WRITE, O_CLOEXEC, O_RDWR, O_WRONLY, alloc_file, close_fd, fd_install, fget, fput, get_unused_fd_flags } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs, new_inode, sb_of_path } from '../../../../src/linux/fs/libfs.js';
import { sys_close, sys_open } from '../../../../src/linux/syscalls.js';
import { EBADF, EMFILE, ENOENT } from '../../../../src/linux/include/uapi/linux/errno.js';

describe('struct file and the fd table', () => {
  it('a driver file: release runs once, on the last reference', () => {
    const m = machine();
    const t = task(m);
    const released: number[] = [];
    const fops: file_operations = {
      owner: 'testdrv',
      *release(k: Kctx, i: inode, f: file): KThread<number> { void k; void i; released.push(f.id); return 0; },
    };
    mount_fs(m, '/dev', 'devtmpfs');
    const i = new_inode(m, sb_of_path(m, '/dev/x')!, '/dev/x', 0o020600, 0);
    const r = runAs(m, t, function* (k) {
      const f = alloc_file(k, i, O_RDWR, fops, { cookie: 1 });
      const fd = get_unused_fd_flags(k, O_CLOEXEC);
      fd_install(k, fd, f);
      const g = fget(k, fd)!;
      const bad = fget(k, fd + 5);
      const c1 = yield* close_fd(k, fd);
      const releasedAfterClose = released.length;
      yield* fput(k, g);
      const c2 = yield* close_fd(k, fd);
      return { fd, mode: f.f_mode, bad, c1, releasedAfterClose, c2 };
    });
    expect(r).toEqual({ fd: 0, mode: FMODE_READ | FMODE_WRITE, bad: null, c1: 0, releasedAfterClose: 0, c2: -EBADF });
    expect(released.length).toBe(1);
  });

  it('open of a missing path is ENOENT; the fd limit is EMFILE; fds are reused lowest-first', () => {
    const m = machine();
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/a', 4096);
    const t = task(m, { nofile: 2 });
    const r = runAs(m, t, function* (k) {
      const missing = yield* sys_open(k, '/mnt/none', O_RDWR);
      const a = yield* sys_open(k, '/mnt/a', O_WRONLY);
      const b = yield* sys_open(k, '/mnt/a', O_RDWR);
      const c = yield* sys_open(k, '/mnt/a', O_RDWR);
      yield* sys_close(k, a);
      const d = yield* sys_open(k, '/mnt/a', O_RDWR);
      return { missing, a, b, c, d };
    });
    expect(r).toEqual({ missing: -ENOENT, a: 0, b: 1, c: -EMFILE, d: 0 });
  });
});
