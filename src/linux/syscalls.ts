/**
 * The system-call entry points scenarios and tests call, under their kernel names
 * (arch/x86/kernel/sys_x86_64.c sys_mmap, mm/mmap.c ksys_mmap_pgoff / sys_munmap,
 * fs/open.c do_sys_open, fs/open.c close). Each runs as `current` (k.current) and
 * returns what the kernel returns: a value or a negative errno.
 *
 * Phase 1 set: sys_mmap, sys_munmap, sys_open, sys_close. (mprotect, madvise,
 * mlock, memfd_create, fork, execve, exit, ftruncate, fallocate follow.)
 */
import type { KThread } from '../sched/index.js';
import type { Kctx } from './kctx.js';
import { unsupported } from './include/linux/bug.js';
import type { file } from './include/linux/fs.js';
import { close_fd, fd_install, fget, fput, get_unused_fd_flags } from './include/linux/fs.js';
import { PAGE_SIZE } from './include/linux/mm_types.js';
import { MAP_ANONYMOUS, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_HUGETLB } from './include/uapi/asm-generic/mman.js';
import { EBADF, EINVAL } from './include/uapi/linux/errno.js';
import { filp_open } from './fs/libfs.js';
import { __vm_munmap, vm_mmap_pgoff } from './mm/mmap.js';

/**
 * ksys_mmap_pgoff(addr, len, prot, flags, fd, pgoff) (mm/mmap.c, v5.4/v6.1/v6.12).
 * MODEL: hugetlbfs files and MAP_HUGETLB are phase 2 (unsupported for now).
 */
export function* ksys_mmap_pgoff(k: Kctx, addr: number, len: number, prot: number, flags: number, fd: number, pgoff: number): KThread<number> {
  let f: file | null = null;
  if (!(flags & MAP_ANONYMOUS)) {
    f = fget(k, fd);
    if (!f) return -EBADF;
    if (f.f_inode.i_sb.s_type.kind === 'hugetlbfs') {
      yield* fput(k, f);
      return unsupported(k, 'mm/mmap.c:ksys_mmap_pgoff', 'hugetlbfs file mappings are not modelled yet');
    }
    if (flags & MAP_HUGETLB) {
      yield* fput(k, f);
      return -EINVAL;
    }
  } else if (flags & MAP_HUGETLB) {
    return unsupported(k, 'mm/mmap.c:ksys_mmap_pgoff', 'MAP_HUGETLB is not modelled yet');
  }
  flags &= ~(MAP_EXECUTABLE | MAP_DENYWRITE);
  const ret = yield* vm_mmap_pgoff(k, f, addr, len, prot, flags, pgoff);
  if (f) yield* fput(k, f);
  return ret;
}

/** sys_mmap(addr, len, prot, flags, fd, off) (x86-64): off must be page aligned. */
export function* sys_mmap(k: Kctx, addr: number, len: number, prot: number, flags: number, fd: number, off: number): KThread<number> {
  k.s.traceCall('sys_mmap', [addr, len, prot, flags, fd, off]);
  let ret: number;
  if (off % PAGE_SIZE !== 0 || off < 0) ret = -EINVAL;
  else ret = yield* ksys_mmap_pgoff(k, addr, len, prot, flags, fd, off / PAGE_SIZE);
  k.s.traceRet('sys_mmap', ret);
  return ret;
}

/** sys_munmap(addr, len): __vm_munmap(addr, len, true). */
export function* sys_munmap(k: Kctx, addr: number, len: number): KThread<number> {
  k.s.traceCall('sys_munmap', [addr, len]);
  const ret = yield* __vm_munmap(k, addr, len, true);
  k.s.traceRet('sys_munmap', ret);
  return ret;
}

/** sys_open(path, flags) / do_sys_open: an fd for an existing model file, or -errno. */
export function* sys_open(k: Kctx, path: string, flags: number): KThread<number> {
  const fd = get_unused_fd_flags(k, flags);
  if (fd < 0) return fd;
  const f = filp_open(k, path, flags);
  if (typeof f === 'number') return f;
  fd_install(k, fd, f);
  return fd;
}

/** sys_close(fd) */
export function* sys_close(k: Kctx, fd: number): KThread<number> {
  return yield* close_fd(k, fd);
}
