/**
 * The system-call entry points scenarios and tests call, under their kernel names
 * (arch/x86/kernel/sys_x86_64.c sys_mmap, mm/mmap.c ksys_mmap_pgoff / sys_munmap,
 * fs/open.c do_sys_open, fs/open.c close). Each runs as `current` (k.current) and
 * returns what the kernel returns: a value or a negative errno.
 *
 * Here: sys_mmap, sys_munmap, sys_open, sys_close, sys_ftruncate, sys_fallocate.
 * Elsewhere under their kernel homes: sys_fork (kernel/fork.ts), do_exit
 * (kernel/exit.ts), sys_execve (fs/exec.ts); re-exported below.
 */
import type { KThread } from '../sched/index.js';
import type { Kctx } from './kctx.js';
import type { file } from './include/linux/fs.js';
import { close_fd, fd_install, fget, fput, get_unused_fd_flags, put_unused_fd } from './include/linux/fs.js';
import { PAGE_SIZE } from './include/linux/mm_types.js';
import { MAP_ANONYMOUS, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_HUGETLB, MAP_HUGE_MASK, MAP_HUGE_SHIFT } from './include/uapi/asm-generic/mman.js';
import { huge_page_size, hugetlb_file_setup } from './mm/hugetlb.js';

function ALIGN(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
import { EBADF, EINVAL } from './include/uapi/linux/errno.js';
import { do_filp_open, do_sys_ftruncate, ksys_fallocate } from './fs/open.js';
import { __vm_munmap, vm_mmap_pgoff } from './mm/mmap.js';

/**
 * ksys_mmap_pgoff(addr, len, prot, flags, fd, pgoff) (mm/mmap.c, v5.4/v6.1/v6.12).
 * hugetlbfs files: len is rounded up to the huge page size; MAP_HUGETLB gets an
 * anonymous hugetlbfs file of the MAP_HUGE_* size (-EINVAL for a size without a pool).
 */
export function* ksys_mmap_pgoff(k: Kctx, addr: number, len: number, prot: number, flags: number, fd: number, pgoff: number): KThread<number> {
  let f: file | null = null;
  if (!(flags & MAP_ANONYMOUS)) {
    f = fget(k, fd);
    if (!f) return -EBADF;
    if (f.f_inode.i_sb.s_type.kind === 'hugetlbfs') {
      len = ALIGN(len, huge_page_size(f.f_inode.i_sb.huge_order));
    } else if (flags & MAP_HUGETLB) {
      yield* fput(k, f);
      return -EINVAL;
    }
  } else if (flags & MAP_HUGETLB) {
    const log = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
    if (log !== 0 && log !== 21 && log !== 30) return -EINVAL; // hstate_sizelog(): no such hstate
    len = ALIGN(len, huge_page_size(log === 30 ? 18 : 9));
    const hf = hugetlb_file_setup(k, 'anon_hugepage', len, log);
    if (typeof hf === 'number') return hf;
    f = hf;
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

/**
 * sys_open(path, flags) / do_sys_open: reserve an fd, open the file (its ->open runs:
 * device nodes such as /dev/vfio/vfio and /dev/vfio/<group> reach their driver here),
 * install it; on failure the fd is given back. An fd or -errno.
 */
export function* sys_open(k: Kctx, path: string, flags: number): KThread<number> {
  k.s.traceCall('sys_open', [path, flags]);
  let fd = get_unused_fd_flags(k, flags);
  if (fd >= 0) {
    const f = yield* do_filp_open(k, path, flags);
    if (typeof f === 'number') {
      put_unused_fd(k, fd);
      fd = f;
    } else {
      fd_install(k, fd, f);
    }
  }
  k.s.traceRet('sys_open', fd);
  return fd;
}

/** sys_ftruncate(fd, length) */
export function* sys_ftruncate(k: Kctx, fd: number, length: number): KThread<number> {
  k.s.traceCall('sys_ftruncate', [fd, length]);
  const ret = yield* do_sys_ftruncate(k, fd, length);
  k.s.traceRet('sys_ftruncate', ret);
  return ret;
}

/** sys_fallocate(fd, mode, offset, len) */
export function* sys_fallocate(k: Kctx, fd: number, mode: number, offset: number, len: number): KThread<number> {
  k.s.traceCall('sys_fallocate', [fd, mode, offset, len]);
  const ret = yield* ksys_fallocate(k, fd, mode, offset, len);
  k.s.traceRet('sys_fallocate', ret);
  return ret;
}

/** sys_close(fd) */
export function* sys_close(k: Kctx, fd: number): KThread<number> {
  return yield* close_fd(k, fd);
}

export { sys_fork } from './kernel/fork.js';
export { do_exit } from './kernel/exit.js';
export { sys_execve } from './fs/exec.js';
export { sys_mprotect, sys_madvise, sys_mlock, sys_mlock2, sys_munlock } from './mm/mprotect.js';
export { sys_memfd_create } from './mm/memfd.js';
