/**
 * include/uapi/asm-generic/errno-base.h, errno.h (x86-64 values), and the
 * kernel-internal include/linux/errno.h codes the model returns. Kernel functions
 * return these negated (`-EFAULT`), exactly as the kernel does.
 */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOTTY = 25;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const ERANGE = 34;
export const EDEADLK = 35;
export const ENOSYS = 38;
export const EOVERFLOW = 75;
export const EBADFD = 77;
export const EMSGSIZE = 90;
export const EOPNOTSUPP = 95;
export const EADDRINUSE = 98;
export const EREMOTEIO = 121;
export const EHWPOISON = 133;
/** Kernel-internal (include/linux/errno.h): never seen by user space as such. */
export const ERESTARTSYS = 512;
export const ENOTSUPP = 524;

const NAMES: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [ESRCH]: 'ESRCH', [EINTR]: 'EINTR', [EIO]: 'EIO', [ENXIO]: 'ENXIO',
  [E2BIG]: 'E2BIG', [EBADF]: 'EBADF', [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM', [EACCES]: 'EACCES',
  [EFAULT]: 'EFAULT', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST', [ENODEV]: 'ENODEV', [EINVAL]: 'EINVAL',
  [ENFILE]: 'ENFILE', [EMFILE]: 'EMFILE', [ENOTTY]: 'ENOTTY', [EFBIG]: 'EFBIG', [ENOSPC]: 'ENOSPC',
  [ESPIPE]: 'ESPIPE', [EROFS]: 'EROFS', [EMLINK]: 'EMLINK', [ERANGE]: 'ERANGE', [EDEADLK]: 'EDEADLK',
  [ENOSYS]: 'ENOSYS', [EOVERFLOW]: 'EOVERFLOW', [EBADFD]: 'EBADFD', [EOPNOTSUPP]: 'EOPNOTSUPP',
  [EMSGSIZE]: 'EMSGSIZE', [EADDRINUSE]: 'EADDRINUSE', [EPIPE]: 'EPIPE',
  [EREMOTEIO]: 'EREMOTEIO', [EHWPOISON]: 'EHWPOISON', [ERESTARTSYS]: 'ERESTARTSYS', [ENOTSUPP]: 'ENOTSUPP',
};

/** `-14` → `-EFAULT`; non-negative numbers are printed as they are. */
export function errname(ret: number): string {
  if (ret >= 0) return String(ret);
  const n = NAMES[-ret];
  return n === undefined ? String(ret) : `-${n}`;
}

/** `EFAULT` or `-EFAULT` → -14; undefined for unknown names. */
export function errnoByName(name: string): number | undefined {
  const bare = name.startsWith('-') ? name.slice(1) : name;
  for (const [k, v] of Object.entries(NAMES)) if (v === bare) return -Number(k);
  return undefined;
}
