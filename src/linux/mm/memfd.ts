/**
 * mm/memfd.c memfd_create(name, flags) — v5.4.1, Debian 6.1.192, Debian 6.12.117:
 * an unlinked tmpfs file (shmem_file_setup) of size 0, or with MFD_HUGETLB a
 * hugetlbfs file (hugetlb_file_setup with the MFD_HUGE_* size); installed in a new
 * fd (O_CLOEXEC with MFD_CLOEXEC). Unknown flags → -EINVAL; the flag set grows with
 * PATCH(memfd-noexec) 105ff5339f49 (v6.3: MFD_NOEXEC_SEAL 0x8, MFD_EXEC 0x10).
 * MODEL: seals are not modelled (MFD_ALLOW_SEALING is accepted and ignored); a
 * failed hugetlb_file_setup leaves the reserved fd unused (the kernel puts it back).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { file } from '../include/linux/fs.js';
import { O_CLOEXEC, fd_install, get_unused_fd_flags } from '../include/linux/fs.js';
import { hugetlb_file_setup } from './hugetlb.js';
import { MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_HUGETLB } from '../include/uapi/asm-generic/mman.js';
import { EINVAL } from '../include/uapi/linux/errno.js';
import { shmem_file_setup } from './shmem.js';

const MFD_NOEXEC_SEAL = 0x0008;
const MFD_EXEC = 0x0010;
const MFD_HUGE_SHIFT = 26;
const MFD_HUGE_MASK = 0x3f;
/** NAME_MAX - strlen("memfd:") */
const MFD_NAME_MAX_LEN = 255 - 6;

export function* sys_memfd_create(k: Kctx, uname: string, flags: number): KThread<number> {
  // PATCH(memfd-noexec): 105ff5339f49 — MFD_NOEXEC_SEAL / MFD_EXEC join MFD_ALL_FLAGS.
  const MFD_ALL_FLAGS = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | (k.patch('memfd-noexec') ? MFD_NOEXEC_SEAL | MFD_EXEC : 0);
  if (!(flags & MFD_HUGETLB)) {
    if (flags & ~MFD_ALL_FLAGS) return -EINVAL;
  } else if (flags & ~(MFD_ALL_FLAGS | (MFD_HUGE_MASK << MFD_HUGE_SHIFT))) {
    return -EINVAL;
  }
  if (uname.length > MFD_NAME_MAX_LEN) return -EINVAL;
  const fd = get_unused_fd_flags(k, flags & MFD_CLOEXEC ? O_CLOEXEC : 0);
  if (fd < 0) return fd;
  let f: file;
  if (flags & MFD_HUGETLB) {
    const hf = hugetlb_file_setup(k, `memfd:${uname}`, 0, (flags >>> MFD_HUGE_SHIFT) & MFD_HUGE_MASK);
    if (typeof hf === 'number') return hf;
    f = hf;
  } else {
    f = shmem_file_setup(k, `memfd:${uname}`, 0);
  }
  fd_install(k, fd, f);
  return fd;
}
