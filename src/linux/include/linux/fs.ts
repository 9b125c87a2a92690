/**
 * include/linux/fs.h, include/linux/file.h, include/linux/fdtable.h (v5.4, v6.1,
 * v6.12): struct file, file_operations, inode, address_space, super_block and the
 * fd table with fd_install / fget / fput / close_fd.
 *
 * file_operations methods are generators (they can sleep), so other parts create
 * their own files: the VFIO helper container/group/device files, the GUP helper an
 * io_uring ring file. Create one with alloc_file(k, ...) and install it with
 * fd_install(k, get_unused_fd_flags(k, flags), f).
 *
 * MODEL: fput() on the last reference runs ->release synchronously in the caller
 * (as __fput_sync); the kernel defers it to task_work at return to user space, which
 * only moves the point where it happens to the end of the same syscall.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import type { rw_semaphore } from '../../kernel/locking/rwsem.js';
import { EBADF, EMFILE } from '../uapi/linux/errno.js';
import type { vm_area_struct } from './mm_types.js';
import type { iov_iter } from './uio.js';
import { get_current } from './sched.js';

// include/uapi/asm-generic/fcntl.h
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
export const O_CLOEXEC = 0o2000000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECT = 0o40000;

// include/linux/fs.h
export const FMODE_READ = 0x1;
export const FMODE_WRITE = 0x2;
/** The file can be pread (FMODE_PREAD; pipes and other streams lack it: -ESPIPE). */
export const FMODE_PREAD = 0x8;
/** The file can be pwritten (FMODE_PWRITE). */
export const FMODE_PWRITE = 0x10;

/** MAX_RW_COUNT (include/linux/fs.h): INT_MAX & PAGE_MASK, the most one read/write/splice moves. */
export const MAX_RW_COUNT = 0x7ffff000;

// struct kiocb ki_flags (include/linux/fs.h)
export const IOCB_APPEND = 1 << 1;
export const IOCB_DIRECT = 1 << 2;
export const IOCB_NOWAIT = 1 << 7;

/** struct kiocb: one read or write in flight (the file, the position, IOCB_* flags). */
export interface kiocb {
  readonly ki_filp: file;
  ki_pos: number;
  ki_flags: number;
}

// include/uapi/linux/stat.h
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export function S_ISREG(mode: number): boolean {
  return (mode & S_IFMT) === S_IFREG;
}
export function S_ISCHR(mode: number): boolean {
  return (mode & S_IFMT) === S_IFCHR;
}

/** inode->i_flags S_DAX (1 << 13 with CONFIG_FS_DAX, include/linux/fs.h). */
export const S_DAX = 1 << 13;
/** inode->i_flags S_SWAPFILE etc. are not modelled. */

/** A file system type the model implements. */
export type fs_kind =
  /** ext4-like block file system with a page cache (optionally mounted -o dax: fs-DAX). */
  | 'ext4'
  /** tmpfs / shmem (also memfd and MAP_SHARED|MAP_ANONYMOUS). */
  | 'tmpfs'
  | 'hugetlbfs'
  /** Character devices: /dev/daxX.Y, /dev/vfio/*, ... */
  | 'devtmpfs'
  /** anon_inode: io_uring rings, VFIO device fds. */
  | 'anon_inodefs'
  /** procfs: /proc/<pid>/mem (fs/proc/base.ts). */
  | 'proc';

export interface file_system_type {
  readonly name: string;
  readonly kind: fs_kind;
  /**
   * What the file system does to a regular-file inode it creates: its own inode set-up sets
   * inode->i_fop (ext4_iget / ext4_create, shmem_get_inode, hugetlbfs_get_inode, v5.4 … v6.12),
   * so open() finds the file's file_operations on the inode. null: no regular files in the model.
   */
  readonly init_reg_inode: ((i: inode) => void) | null;
}

/** struct super_block */
export interface super_block {
  readonly id: number;
  readonly s_type: file_system_type;
  /** Mount point path (model). */
  readonly s_id: string;
  /** Mounted -o dax (ext4 on pmem): every regular file gets S_DAX. */
  readonly dax: boolean;
  /** The pmem region backing a dax mount or a device-DAX instance (region name), or null. */
  readonly dax_region: string | null;
  /** hugetlbfs: the huge page order of this mount (9 or 18). */
  readonly huge_order: number;
  /** MODEL: the block allocator of a DAX mount: pmem pfns never handed out start at `next`; freed ones are reused LIFO. */
  readonly dax_alloc: { next: number; readonly end: number; readonly free: number[] } | null;
}

/** struct address_space */
export interface address_space {
  readonly id: number;
  readonly host: inode;
  /** The page cache: page index → pfn (head pfn of the folio caching it). MODEL: large folios are stored at their first index only. */
  readonly i_pages: Map<number, number>;
  nrpages: number;
  /** i_mmap: the VMAs mapping this file (the interval tree). */
  readonly i_mmap: Set<vm_area_struct>;
  /** i_mmap_rwsem */
  readonly i_mmap_rwsem: rw_semaphore;
  /**
   * mapping->invalidate_lock (v5.15+); in v5.4 the same role is ext4's
   * EXT4_I(inode)->i_mmap_sem. Truncate / hole punch hold it for write, DAX (and, on
   * a miss, page-cache) faults for read.
   */
  readonly invalidate_lock: rw_semaphore;
  /** a_ops in the model: which fault/writeback path applies. */
  readonly a_ops: 'ext4' | 'shmem' | 'hugetlbfs' | 'dax' | 'none';
  /**
   * DAX only: first index of each PMD entry (DAX_PMD, one xarray entry of order 9 in the
   * kernel). MODEL: i_pages holds every index of such an entry (the block's pfn), this set
   * says which indexes belong to one PMD entry.
   */
  readonly dax_pmd_entries: Set<number>;
}

/** struct inode */
export interface inode {
  readonly i_ino: number;
  i_mode: number;
  /** Bytes. */
  i_size: number;
  i_flags: number;
  i_nlink: number;
  readonly i_sb: super_block;
  readonly i_mapping: address_space;
  /** i_rwsem (inode_lock). */
  readonly i_rwsem: rw_semaphore;
  /** Model path for reports (`/mnt/f`, `memfd:buf`, `/dev/dax0.0`). */
  readonly path: string;
  /** For device inodes: the driver's own data (VFIO group, dax device, ...). */
  i_private: unknown;
  /** i_fop: the file_operations open() gives files of this inode, set by the file system that created it (or cdev_add/misc for device nodes). */
  i_fop: file_operations | null;
  /** fs-DAX / device-DAX: file block (page index) → pmem pfn. */
  readonly dax_blocks: Map<number, number>;
  /**
   * MODEL: the data on the backing store, per page index (ext4 blocks written back,
   * or the initial file contents); absent = a hole / zeroes. Unused by tmpfs.
   */
  readonly i_data: Map<number, string>;
  /**
   * MODEL (sparse page cache): a file's initial contents as a rule, not an i_data entry
   * per page (a 1 TiB disk image has 2^28 pages): page `index` < `pages` holds
   * `data(index)` unless i_data has an entry for it or a freed range in `gone` covers it.
   * Read through libfs.ts inode_data(). Null when the file was created without data.
   */
  i_data_init: { readonly pages: number; readonly data: (index: number) => string | undefined; readonly gone: number[] } | null;
}

/** The data of page `index` on the backing store (i_data, else the initial contents), or undefined for a hole. */
export function inode_data(i: inode, index: number): string | undefined {
  const d = i.i_data.get(index);
  if (d !== undefined) return d;
  const init = i.i_data_init;
  if (init === null || index >= init.pages) return undefined;
  for (let g = 0; g < init.gone.length; g += 2) if (index >= init.gone[g] && index < init.gone[g + 1]) return undefined;
  return init.data(index);
}

/** Forget the backing-store data of page indices [first, last) (freed blocks). */
export function inode_data_free(i: inode, first: number, last: number): void {
  for (const index of [...i.i_data.keys()]) if (index >= first && index < last) i.i_data.delete(index);
  const init = i.i_data_init;
  if (init !== null && first < Math.min(last, init.pages)) init.gone.push(first, Math.min(last, init.pages));
}

/** ioctl argument: a user pointer value or, in the model, the ioctl's decoded struct. */
export type ioctl_arg = unknown;

/** struct file_operations: generator methods; absent methods behave as the kernel's NULL ops. */
export interface file_operations {
  /** Owning module/driver name for traces. */
  readonly owner: string;
  /** ->open(inode, file), run by open(2) once the struct file exists (do_dentry_open); non-zero fails the open. */
  readonly open?: (k: Kctx, i: inode, f: file) => KThread<number>;
  readonly mmap?: (k: Kctx, f: file, vma: vm_area_struct) => KThread<number>;
  readonly unlocked_ioctl?: (k: Kctx, f: file, cmd: number, arg: ioctl_arg) => KThread<number>;
  readonly release?: (k: Kctx, i: inode, f: file) => KThread<number>;
  readonly fallocate?: (k: Kctx, f: file, mode: number, offset: number, len: number) => KThread<number>;
  /**
   * ->read(file, buf, count, ppos) / ->write: bytes or -errno; `pos` is *ppos (updated).
   * vfs_read / vfs_write prefer these to ->read_iter / ->write_iter (fs/read_write.ts).
   * MODEL: the `char __user *buf` is a one-buffer iterator (include/linux/uio.ts: a user
   * address of current, or a model buffer the scenario does not lay out); the method's
   * copy_to_user / copy_from_user are copy_to_iter / copy_from_iter on it.
   */
  readonly read?: (k: Kctx, f: file, buf: iov_iter, count: number, pos: { v: number }) => KThread<number>;
  readonly write?: (k: Kctx, f: file, buf: iov_iter, count: number, pos: { v: number }) => KThread<number>;
  /** ->read_iter(iocb, to): bytes read into the iterator (include/linux/uio.ts), or -errno; advances iocb.ki_pos. */
  readonly read_iter?: (k: Kctx, iocb: kiocb, to: iov_iter) => KThread<number>;
  /** ->write_iter(iocb, from): bytes written from the iterator, or -errno; advances iocb.ki_pos. */
  readonly write_iter?: (k: Kctx, iocb: kiocb, from: iov_iter) => KThread<number>;
  /** mmap_supported_flags: MAP_* bits beyond LEGACY_MAP_MASK that MAP_SHARED_VALIDATE accepts (ext4: MAP_SYNC). */
  readonly mmap_supported_flags?: number;
}

/** struct file */
export interface file {
  /** MODEL: identity (`file:N`). */
  readonly id: number;
  readonly f_inode: inode;
  readonly f_mapping: address_space;
  f_mode: number;
  f_flags: number;
  /** Mutable as in the kernel: misc_open / chrdev_open replace it with the driver's (replace_fops). */
  f_op: file_operations;
  private_data: unknown;
  /** f_count */
  f_count: number;
  /** f_pos: the file position read(2)/write(2) use and advance (pread/pwrite leave it). */
  f_pos: number;
}

/** struct files_struct with its fdtable. */
export interface files_struct {
  readonly id: number;
  count: number;
  /** fd → file (null: free slot). */
  readonly fd: (file | null)[];
  /** fds with close-on-exec. */
  readonly close_on_exec: Set<number>;
  /**
   * fds taken by get_unused_fd_flags() and not yet installed (the kernel's open_fds bit
   * set with a NULL slot): another thread sharing the table must not get them.
   */
  readonly reserved: Set<number>;
  /** RLIMIT_NOFILE at creation (model). */
  max_fds: number;
}

/** file_inode(f) */
export function file_inode(f: file): inode {
  return f.f_inode;
}

/** IS_DAX(inode) */
export function IS_DAX(i: inode): boolean {
  return (i.i_flags & S_DAX) !== 0;
}

/** get_file(f): take a reference. */
export function get_file(f: file): file {
  f.f_count++;
  return f;
}

/**
 * alloc_file_pseudo / anon_inode_getfile / dentry_open, reduced: a new struct file
 * with one reference for `inode`. f_mode from the O_ACCMODE bits of `flags`.
 */
export function alloc_file(k: Kctx, i: inode, flags: number, fop: file_operations, private_data: unknown = null): file {
  const acc = flags & O_ACCMODE;
  const f_mode = (acc === O_RDONLY || acc === O_RDWR ? FMODE_READ : 0) | (acc === O_WRONLY || acc === O_RDWR ? FMODE_WRITE : 0);
  return { id: k.m.nextId('file'), f_inode: i, f_mapping: i.i_mapping, f_mode, f_flags: flags, f_op: fop, private_data, f_count: 1, f_pos: 0 };
}

/** files of current, or null for a kernel thread. */
function files_of(k: Kctx): files_struct | null {
  return get_current(k).files;
}

/** get_unused_fd_flags(flags): lowest free fd, or -EMFILE. */
export function get_unused_fd_flags(k: Kctx, flags: number): number {
  const fs = files_of(k);
  if (!fs) return -EMFILE;
  // The lowest slot neither installed nor reserved (alloc_fd: the first zero bit of open_fds).
  let fd = 0;
  while (fd < fs.fd.length && (fs.fd[fd] !== null || fs.reserved.has(fd))) fd++;
  if (fd >= fs.max_fds) return -EMFILE;
  if (fd === fs.fd.length) fs.fd.push(null);
  // Reserved until fd_install() or put_unused_fd(): a thread sharing this table may run
  // in between (the open may sleep), and must not be handed the same slot.
  fs.reserved.add(fd);
  if (flags & O_CLOEXEC) fs.close_on_exec.add(fd);
  else fs.close_on_exec.delete(fd);
  return fd;
}

/** put_unused_fd(fd): give back a slot reserved by get_unused_fd_flags() that was never installed. */
export function put_unused_fd(k: Kctx, fd: number): void {
  const fs = files_of(k);
  if (!fs || fd < 0 || fd >= fs.fd.length) return;
  if (fs.fd[fd] !== null) throw new Error(`pinlab bug: put_unused_fd(${fd}) of an installed fd`);
  fs.reserved.delete(fd);
  fs.close_on_exec.delete(fd);
}

/** fd_install(fd, file): the file's reference moves into the table. */
export function fd_install(k: Kctx, fd: number, f: file): void {
  const fs = files_of(k);
  if (!fs || fd < 0) throw new Error('pinlab bug: fd_install without a files table or with a bad fd');
  while (fs.fd.length <= fd) fs.fd.push(null);
  fs.fd[fd] = f;
  fs.reserved.delete(fd);
  k.m.event(k.tid, 'fd_install', [`file:${f.id}`], 'fs/file.c:fd_install', fd);
}

/** fget(fd): the file with a new reference, or null. */
export function fget(k: Kctx, fd: number): file | null {
  const fs = files_of(k);
  const f = fs && fd >= 0 && fd < fs.fd.length ? fs.fd[fd] : null;
  if (!f) return null;
  f.f_count++;
  return f;
}

/**
 * fput(f): drop a reference; on the last one, ->release runs and the file's
 * mapping-less state is gone. See the MODEL note at the top of this file.
 */
export function* fput(k: Kctx, f: file): KThread<void> {
  if (f.f_count <= 0) throw new Error(`pinlab bug: fput of file:${f.id} with f_count ${f.f_count}`);
  f.f_count--;
  if (f.f_count > 0) return;
  k.m.event(k.tid, 'release', [`file:${f.id}`], 'fs/file_table.c:__fput');
  if (f.f_op.release) yield* f.f_op.release(k, f.f_inode, f);
}

/** close_fd(fd) (v5.11+; __close_fd before): 0 or -EBADF. */
export function* close_fd(k: Kctx, fd: number): KThread<number> {
  const fs = files_of(k);
  const f = fs && fd >= 0 && fd < fs.fd.length ? fs.fd[fd] : null;
  if (!fs || !f) return -EBADF;
  fs.fd[fd] = null;
  fs.close_on_exec.delete(fd);
  yield* fput(k, f);
  return 0;
}
