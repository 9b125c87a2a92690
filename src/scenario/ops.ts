/**
 * The operation catalogue: every step a scenario may use, with its arguments.
 *
 * This table is part of the scenario-format contract (docs/scenario-format.md): the
 * validator checks steps against it, the conformance translator maps the `syscall`
 * operations to real-kernel driver operations, and build.ts maps each name to a model
 * call. Flag names are kept as names (their values differ per release, e.g. FOLL_* in
 * 6.5+); the model resolves them.
 */

/** How an argument is written and checked. */
export type ArgType =
  /** An integer expression: integer, size (`2 pages`, `4K`), `$ref`, `$ref.field`, sums. */
  | { readonly kind: 'int' }
  /** Flags of one family: `A|B`, `[A, B]`, or an integer. `names` lists the accepted names. */
  | { readonly kind: 'flags'; readonly family: string; readonly names: readonly string[] }
  /** One name of a family (an enum), or an integer. */
  | { readonly kind: 'enum'; readonly family: string; readonly names: readonly string[] }
  /** A process name (bare `P` or `$P`). */
  | { readonly kind: 'process' }
  /** A process name this step defines (fork's child). */
  | { readonly kind: 'new-process' }
  /** A device name from setup.devices. */
  | { readonly kind: 'device' }
  /** A thread: `T<n>` or a thread's name. */
  | { readonly kind: 'thread' }
  /** A path: a setup file, or a device node (/dev/vfio/N, /dev/vfio/vfio, /dev/daxX.Y). */
  | { readonly kind: 'path' }
  | { readonly kind: 'bool' }
  /** A free string (memfd name). */
  | { readonly kind: 'string' }
  /** A content tag (a short string naming whose data a frame holds). */
  | { readonly kind: 'content' }
  /** A page array a GUP step produced: `$r.pages`. */
  | { readonly kind: 'pages' }
  /** A list of `{ base, len }` integer expressions. */
  | { readonly kind: 'iovecs' }
  /** A list of CAP_* names. */
  | { readonly kind: 'caps' };

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Default when omitted; `undefined` = required. Integers, flag strings, booleans. */
  readonly dflt?: number | string | boolean | null;
}

export type OpClass =
  /** A syscall or ioctl a real-kernel C driver can run. */
  | 'syscall'
  /** A device action a real-kernel driver can trigger (edu DMA). */
  | 'device'
  /** A kernel entry point only the model can call. */
  | 'kernel'
  /** Reading state (the `observe` step). */
  | 'observe';

export interface OpSpec {
  readonly name: string;
  readonly cls: OpClass;
  readonly args: readonly ArgSpec[];
  /** Output fields the result carries besides its value (`$r.pages`). */
  readonly outputs?: readonly string[];
  /** One line for docs and `--help`. */
  readonly doc: string;
}

// ---- flag families (names only; values belong to the model, per release) --------------

export const PROT_NAMES = ['PROT_NONE', 'PROT_READ', 'PROT_WRITE', 'PROT_EXEC'] as const;
export const MAP_NAMES = [
  'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE', 'MAP_FIXED', 'MAP_FIXED_NOREPLACE', 'MAP_ANONYMOUS',
  'MAP_POPULATE', 'MAP_LOCKED', 'MAP_NORESERVE', 'MAP_HUGETLB', 'MAP_SYNC', 'MAP_HUGE_2MB', 'MAP_HUGE_1GB',
] as const;
export const O_NAMES = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_CLOEXEC', 'O_DIRECT', 'O_SYNC', 'O_TRUNC'] as const;
export const MFD_NAMES = ['MFD_CLOEXEC', 'MFD_ALLOW_SEALING', 'MFD_HUGETLB', 'MFD_HUGE_2MB', 'MFD_HUGE_1GB'] as const;
export const FALLOC_NAMES = ['FALLOC_FL_KEEP_SIZE', 'FALLOC_FL_PUNCH_HOLE', 'FALLOC_FL_ZERO_RANGE', 'FALLOC_FL_COLLAPSE_RANGE', 'FALLOC_FL_INSERT_RANGE'] as const;
/** The advice sys_madvise models (mm/mprotect.ts); the others would only ever report `unsupported`, so they are not offered. */
export const MADV_NAMES = ['MADV_DONTNEED', 'MADV_HUGEPAGE', 'MADV_NOHUGEPAGE', 'MADV_DONTFORK', 'MADV_DOFORK'] as const;
export const FOLL_NAMES = [
  'FOLL_WRITE', 'FOLL_TOUCH', 'FOLL_GET', 'FOLL_DUMP', 'FOLL_FORCE', 'FOLL_NOWAIT', 'FOLL_POPULATE', 'FOLL_MLOCK',
  'FOLL_NOFAULT', 'FOLL_HWPOISON', 'FOLL_ANON', 'FOLL_LONGTERM', 'FOLL_SPLIT_PMD', 'FOLL_PIN', 'FOLL_FAST_ONLY',
  'FOLL_PCI_P2PDMA', 'FOLL_INTERRUPTIBLE', 'FOLL_HONOR_NUMA_FAULT', 'FOLL_REMOTE', 'FOLL_COW', 'FOLL_TRIED',
  'FOLL_MIGRATION', 'FOLL_SPLIT', 'FOLL_UNLOCKABLE', 'FOLL_MADV_POPULATE',
] as const;
export const VFIO_DMA_MAP_FLAG_NAMES = ['VFIO_DMA_MAP_FLAG_READ', 'VFIO_DMA_MAP_FLAG_WRITE', 'VFIO_DMA_MAP_FLAG_VADDR'] as const;
export const VFIO_DMA_UNMAP_FLAG_NAMES = ['VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP', 'VFIO_DMA_UNMAP_FLAG_ALL', 'VFIO_DMA_UNMAP_FLAG_VADDR'] as const;
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_NAMES = ['VFIO_IOMMU_DIRTY_PAGES_FLAG_START', 'VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP', 'VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP'] as const;
export const VFIO_IOMMU_TYPE_NAMES = ['VFIO_TYPE1_IOMMU', 'VFIO_TYPE1v2_IOMMU', 'VFIO_TYPE1_NESTING_IOMMU', 'VFIO_NOIOMMU_IOMMU'] as const;
export const VFIO_EXTENSION_NAMES = [
  ...VFIO_IOMMU_TYPE_NAMES, 'VFIO_DMA_CC_IOMMU', 'VFIO_EEH', 'VFIO_SPAPR_TCE_IOMMU', 'VFIO_UNMAP_ALL', 'VFIO_UPDATE_VADDR',
] as const;
export const IOMMU_IOAS_MAP_FLAG_NAMES = ['IOMMU_IOAS_MAP_FIXED_IOVA', 'IOMMU_IOAS_MAP_WRITEABLE', 'IOMMU_IOAS_MAP_READABLE'] as const;
export const IOMMU_OPTION_NAMES = ['IOMMU_OPTION_RLIMIT_MODE', 'IOMMU_OPTION_HUGE_PAGES'] as const;
export const IOMMU_OPTION_OP_NAMES = ['IOMMU_OPTION_OP_SET', 'IOMMU_OPTION_OP_GET'] as const;
export const IOMMU_PROT_NAMES = ['IOMMU_READ', 'IOMMU_WRITE', 'IOMMU_CACHE', 'IOMMU_NOEXEC', 'IOMMU_MMIO'] as const;
export const RLIMIT_NAMES = ['RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_NOFILE'] as const;
export const SIGNAL_NAMES = ['SIGKILL', 'SIGINT', 'SIGTERM', 'SIGUSR1'] as const;
/** pipe2(2) flags the model resolves (O_NOTIFICATION_PIPE, watch queues, is not offered). */
export const PIPE2_O_NAMES = ['O_CLOEXEC', 'O_NONBLOCK', 'O_DIRECT'] as const;
export const SPLICE_F_NAMES = ['SPLICE_F_MOVE', 'SPLICE_F_NONBLOCK', 'SPLICE_F_MORE', 'SPLICE_F_GIFT'] as const;
export const CAP_NAMES = ['CAP_IPC_LOCK', 'CAP_SYS_ADMIN', 'CAP_SYS_RAWIO', 'CAP_SYS_RESOURCE', 'CAP_DAC_OVERRIDE'] as const;

const int = { kind: 'int' } as const;
const fl = (family: string, names: readonly string[]): ArgType => ({ kind: 'flags', family, names });
const en = (family: string, names: readonly string[]): ArgType => ({ kind: 'enum', family, names });
const a = (name: string, type: ArgType, dflt?: ArgSpec['dflt']): ArgSpec => (dflt === undefined ? { name, type } : { name, type, dflt });

const GUP_LOCAL: readonly ArgSpec[] = [a('start', int), a('nr_pages', int), a('gup_flags', fl('FOLL_', FOLL_NAMES), 0), a('pages', { kind: 'bool' }, true), a('vmas', { kind: 'bool' }, false)];
const GUP_REMOTE: readonly ArgSpec[] = [a('mm', { kind: 'process' }, null), ...GUP_LOCAL, a('locked', { kind: 'bool' }, false)];
const GUP_FAST: readonly ArgSpec[] = [a('start', int), a('nr_pages', int), a('gup_flags', fl('FOLL_', FOLL_NAMES), 0)];

const opList: readonly OpSpec[] = [
  // ---- syscalls -------------------------------------------------------------------------
  { name: 'open', cls: 'syscall', args: [a('path', { kind: 'path' }), a('flags', fl('O_', O_NAMES), 'O_RDWR')], doc: 'open(2): fd or -errno' },
  { name: 'close', cls: 'syscall', args: [a('fd', int)], doc: 'close(2)' },
  { name: 'mmap', cls: 'syscall', args: [a('addr', int, 0), a('length', int), a('prot', fl('PROT_', PROT_NAMES)), a('flags', fl('MAP_', MAP_NAMES)), a('fd', int, -1), a('offset', int, 0)], doc: 'mmap(2): address or -errno' },
  { name: 'munmap', cls: 'syscall', args: [a('addr', int), a('length', int)], doc: 'munmap(2)' },
  { name: 'mprotect', cls: 'syscall', args: [a('addr', int), a('length', int), a('prot', fl('PROT_', PROT_NAMES))], doc: 'mprotect(2)' },
  { name: 'madvise', cls: 'syscall', args: [a('addr', int), a('length', int), a('advice', en('MADV_', MADV_NAMES))], doc: 'madvise(2)' },
  { name: 'mlock', cls: 'syscall', args: [a('addr', int), a('length', int)], doc: 'mlock(2)' },
  { name: 'munlock', cls: 'syscall', args: [a('addr', int), a('length', int)], doc: 'munlock(2)' },
  { name: 'memfd_create', cls: 'syscall', args: [a('name', { kind: 'string' }), a('flags', fl('MFD_', MFD_NAMES), 0)], doc: 'memfd_create(2): fd or -errno' },
  { name: 'ftruncate', cls: 'syscall', args: [a('fd', int), a('length', int)], doc: 'ftruncate(2)' },
  { name: 'fallocate', cls: 'syscall', args: [a('fd', int), a('mode', fl('FALLOC_FL_', FALLOC_NAMES), 0), a('offset', int), a('len', int)], doc: 'fallocate(2)' },
  { name: 'store', cls: 'syscall', args: [a('addr', int), a('length', int, 4096), a('content', { kind: 'content' })], doc: 'user-space memset of [addr, addr+length), byte-exact: 0 or -EFAULT (SIGSEGV)' },
  { name: 'load', cls: 'syscall', args: [a('addr', int), a('length', int, 1)], doc: "user-space read of [addr, addr+length) (one byte by default): the content tag, 'tag*len ...' runs when the bytes differ, or -EFAULT (SIGSEGV)" },
  { name: 'fork', cls: 'syscall', args: [a('child', { kind: 'new-process' })], outputs: ['pid'], doc: 'fork(2): the child pid; the child is the new process `child`' },
  { name: 'exit', cls: 'syscall', args: [], doc: "exit(2) of the thread's process" },
  { name: 'execve', cls: 'syscall', args: [], doc: "execve(2): the thread's process gets a new mm" },
  { name: 'setrlimit', cls: 'syscall', args: [a('resource', en('RLIMIT_', RLIMIT_NAMES)), a('cur', int), a('max', int, null)], doc: 'setrlimit(2); max defaults to cur' },
  { name: 'capset', cls: 'syscall', args: [a('drop', { kind: 'caps' })], doc: 'drop capabilities' },
  { name: 'kill', cls: 'syscall', args: [a('thread', { kind: 'thread' }), a('signal', en('SIG', SIGNAL_NAMES), 'SIGKILL')], doc: 'send a signal to a thread (tgkill)' },
  { name: 'VFIO_GET_API_VERSION', cls: 'syscall', args: [a('container', int)], doc: 'ioctl on the container fd' },
  { name: 'VFIO_CHECK_EXTENSION', cls: 'syscall', args: [a('container', int), a('extension', en('VFIO_', VFIO_EXTENSION_NAMES))], doc: 'ioctl on the container fd' },
  { name: 'VFIO_GROUP_SET_CONTAINER', cls: 'syscall', args: [a('group', int), a('container', int)], doc: 'ioctl on the group fd' },
  { name: 'VFIO_SET_IOMMU', cls: 'syscall', args: [a('container', int), a('type', en('VFIO_', VFIO_IOMMU_TYPE_NAMES))], doc: 'ioctl on the container fd' },
  { name: 'VFIO_GROUP_GET_DEVICE_FD', cls: 'syscall', args: [a('group', int), a('device', { kind: 'device' })], doc: 'ioctl on the group fd: device fd or -errno' },
  {
    name: 'VFIO_IOMMU_GET_INFO', cls: 'syscall', args: [a('container', int), a('argsz', int, 16)], outputs: ['flags', 'iova_pgsizes', 'argsz', 'caps', 'dma_avail', 'iova_ranges'],
    doc: 'ioctl on the container fd; $r.argsz is the size the kernel asks for, $r.caps the capability chain copied (names: IOVA_RANGE, MIGRATION, DMA_AVAIL; [] when argsz was too small), $r.dma_avail the DMA_AVAIL value or null',
  },
  { name: 'VFIO_IOMMU_MAP_DMA', cls: 'syscall', args: [a('container', int), a('vaddr', int), a('iova', int), a('size', int), a('flags', fl('VFIO_DMA_MAP_FLAG_', VFIO_DMA_MAP_FLAG_NAMES), 'VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE'), a('argsz', int, 32)], doc: 'ioctl on the container fd' },
  { name: 'VFIO_IOMMU_UNMAP_DMA', cls: 'syscall', args: [a('container', int), a('iova', int), a('size', int), a('flags', fl('VFIO_DMA_UNMAP_FLAG_', VFIO_DMA_UNMAP_FLAG_NAMES), 0), a('argsz', int, 24)], outputs: ['size'], doc: 'ioctl on the container fd; $r.size is the unmapped size' },
  {
    name: 'VFIO_IOMMU_DIRTY_PAGES', cls: 'syscall',
    args: [a('container', int), a('flags', fl('VFIO_IOMMU_DIRTY_PAGES_FLAG_', VFIO_IOMMU_DIRTY_PAGES_FLAG_NAMES)), a('iova', int, 0), a('size', int, 0), a('pgsize', int, 4096), a('argsz', int, null)],
    outputs: ['dirty'],
    doc: 'ioctl on the container fd (START, STOP, or GET_BITMAP of [iova, iova+size) at pgsize into a bitmap of exactly size/pgsize bits); argsz defaults to the struct size the flags need; $r.dirty lists the dirty page indexes (from iova) GET_BITMAP reported',
  },
  // iommufd (CONFIG_IOMMUFD: profile v6.12+iommufd). `iommufd` is the fd of /dev/iommu (or of /dev/vfio/vfio
  // served by iommufd); `size`/`argsz` default to the struct size and can be set to test the kernel's checks.
  { name: 'IOMMU_IOAS_ALLOC', cls: 'syscall', args: [a('iommufd', int), a('flags', int, 0), a('size', int, 12)], outputs: ['ioas_id'], doc: 'ioctl on an iommufd: a new IOAS; $r.ioas_id' },
  { name: 'IOMMU_DESTROY', cls: 'syscall', args: [a('iommufd', int), a('id', int), a('size', int, 8)], doc: 'ioctl on an iommufd: destroy an object (-EBUSY while in use)' },
  {
    name: 'IOMMU_IOAS_MAP', cls: 'syscall',
    args: [a('iommufd', int), a('ioas_id', int), a('user_va', int), a('length', int), a('iova', int, 0), a('flags', fl('IOMMU_IOAS_MAP_', IOMMU_IOAS_MAP_FLAG_NAMES), 'IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE'), a('reserved', int, 0), a('size', int, 40)],
    outputs: ['iova'], doc: 'ioctl on an iommufd: map user memory into an IOAS (pins only if a domain is attached); without IOMMU_IOAS_MAP_FIXED_IOVA the kernel picks $r.iova',
  },
  {
    name: 'IOMMU_IOAS_COPY', cls: 'syscall',
    args: [a('iommufd', int), a('dst_ioas_id', int), a('src_ioas_id', int), a('length', int), a('dst_iova', int, 0), a('src_iova', int), a('flags', fl('IOMMU_IOAS_MAP_', IOMMU_IOAS_MAP_FLAG_NAMES), 'IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE'), a('size', int, 40)],
    outputs: ['dst_iova'], doc: 'ioctl on an iommufd: map the pages behind a range of one IOAS into another (the same pins); $r.dst_iova',
  },
  { name: 'IOMMU_IOAS_UNMAP', cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('iova', int), a('length', int), a('size', int, 24)], outputs: ['length'], doc: 'ioctl on an iommufd: unmap whole areas (iova 0 + length 2^64-1: all); $r.length the bytes unmapped' },
  { name: 'IOMMU_IOAS_IOVA_RANGES', cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('num_iovas', int, 8), a('reserved', int, 0), a('size', int, 32)], outputs: ['num_iovas', 'out_iova_alignment', 'ranges'], doc: 'ioctl on an iommufd: the usable IOVA ranges ($r.ranges as "0xSTART-0xLAST"), their number and the IOVA alignment' },
  { name: 'IOMMU_IOAS_ALLOW_IOVAS', cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('iovas', { kind: 'iovecs' }), a('reserved', int, 0), a('size', int, 24)], doc: 'ioctl on an iommufd: restrict automatic IOVAs to the ranges { base: start, len } (last = start + len - 1)' },
  {
    name: 'IOMMU_OPTION', cls: 'syscall',
    args: [a('iommufd', int), a('option_id', en('IOMMU_OPTION_', IOMMU_OPTION_NAMES)), a('op', en('IOMMU_OPTION_OP_', IOMMU_OPTION_OP_NAMES)), a('object_id', int, 0), a('val64', int, 0), a('reserved', int, 0), a('size', int, 24)],
    outputs: ['val64'], doc: 'ioctl on an iommufd: RLIMIT_MODE (0 user->locked_vm, 1 mm->locked_vm) or an IOAS\'s HUGE_PAGES; $r.val64',
  },
  { name: 'IOMMU_IOAS_MAP_FILE', cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('file_fd', int), a('start', int, 0), a('length', int), a('iova', int, 0), a('flags', fl('IOMMU_IOAS_MAP_', IOMMU_IOAS_MAP_FLAG_NAMES), 'IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE'), a('size', int, 40)], outputs: ['iova'], doc: 'ioctl on an iommufd: map a memfd range (upstream 6.13+; 6.12 has no such command: -ENOTTY)' },
  { name: 'IOMMU_IOAS_CHANGE_PROCESS', cls: 'syscall', args: [a('iommufd', int), a('reserved', int, 0), a('size', int, 8)], doc: 'ioctl on an iommufd: move the pinned pages\' accounting to the calling process (upstream 6.13+; 6.12: -ENOTTY)' },
  { name: 'VFIO_DEVICE_BIND_IOMMUFD', cls: 'syscall', args: [a('device_fd', int), a('iommufd', int), a('flags', int, 0), a('argsz', int, 16)], outputs: ['devid'], doc: 'ioctl on a /dev/vfio/devices/vfioN fd: bind the device to an iommufd; $r.devid' },
  { name: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', cls: 'syscall', args: [a('device_fd', int), a('pt_id', int), a('flags', int, 0), a('argsz', int, 12)], outputs: ['pt_id'], doc: 'ioctl on a bound device cdev fd: attach to an IOAS (or hwpt); $r.pt_id the hwpt' },
  { name: 'VFIO_DEVICE_DETACH_IOMMUFD_PT', cls: 'syscall', args: [a('device_fd', int), a('flags', int, 0), a('argsz', int, 8)], doc: 'ioctl on a bound device cdev fd: detach' },
  { name: 'io_uring_setup', cls: 'syscall', args: [a('entries', int, 8)], doc: 'io_uring_setup(2): ring fd or -errno' },
  { name: 'IORING_REGISTER_BUFFERS', cls: 'syscall', args: [a('ring', int), a('iovecs', { kind: 'iovecs' })], doc: 'io_uring_register(2)' },
  { name: 'IORING_UNREGISTER_BUFFERS', cls: 'syscall', args: [a('ring', int)], doc: 'io_uring_register(2)' },
  // ---- page references that are not pins: pipes, vmsplice, read/write, io_uring fixed I/O (build-io.ts) ----
  { name: 'pipe2', cls: 'syscall', args: [a('flags', fl('O_', PIPE2_O_NAMES), 0)], outputs: ['rfd', 'wfd'], doc: 'pipe2(2): 0 or -errno; $r.rfd / $r.wfd the read and write ends' },
  { name: 'vmsplice', cls: 'syscall', args: [a('fd', int), a('iovecs', { kind: 'iovecs' }), a('flags', fl('SPLICE_F_', SPLICE_F_NAMES), 0)], doc: 'vmsplice(2): user pages into a pipe as page references (no copy, no pin): bytes or -errno; from a read end: a copy out of the pipe' },
  { name: 'read', cls: 'syscall', args: [a('fd', int), a('buf', int), a('length', int)], doc: "read(2) at the file position into the process's memory (pipes, ext4/tmpfs page cache, fs-DAX): bytes or -errno" },
  { name: 'write', cls: 'syscall', args: [a('fd', int), a('buf', int), a('length', int)], doc: "write(2) at the file position from the process's memory: bytes or -errno" },
  { name: 'pread', cls: 'syscall', args: [a('fd', int), a('buf', int), a('length', int), a('offset', int)], doc: "pread64(2) into the process's memory: bytes or -errno (-ESPIPE on a pipe)" },
  { name: 'pwrite', cls: 'syscall', args: [a('fd', int), a('offset', int), a('length', int), a('content', { kind: 'content' }, null), a('buf', int, null)], doc: 'pwrite64(2) of `length` bytes from the user buffer `buf`, or (no buf) of the content tag from a private buffer: bytes or -errno' },
  { name: 'IORING_OP_READ_FIXED', cls: 'syscall', args: [a('ring', int), a('fd', int), a('addr', int), a('len', int), a('offset', int, 0), a('buf_index', int, 0)], doc: 'one io_uring READ_FIXED (submit and wait): the file is read into the registered frames behind [addr, addr+len), whatever addr maps now; the CQE res' },
  { name: 'IORING_OP_WRITE_FIXED', cls: 'syscall', args: [a('ring', int), a('fd', int), a('addr', int), a('len', int), a('offset', int, 0), a('buf_index', int, 0)], doc: 'one io_uring WRITE_FIXED (submit and wait): what the registered frames behind [addr, addr+len) hold is written to the file; the CQE res' },
  // ---- device ---------------------------------------------------------------------------
  { name: 'device_dma_write', cls: 'device', args: [a('device', { kind: 'device' }), a('iova', int), a('length', int, 4096), a('content', { kind: 'content' })], doc: 'the device writes a content tag to [iova, iova+length) through the IOMMU, byte-exact: 0 or -EFAULT' },
  { name: 'device_dma_read', cls: 'device', args: [a('device', { kind: 'device' }), a('iova', int)], doc: 'the device reads at iova through the IOMMU: content tag or -EFAULT' },
  // ---- kernel entry points (model only) -------------------------------------------------
  { name: 'get_user_pages', cls: 'kernel', args: GUP_LOCAL, outputs: ['pages'], doc: 'mm/gup.c get_user_pages() on current->mm' },
  { name: 'pin_user_pages', cls: 'kernel', args: GUP_LOCAL, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages() on current->mm' },
  { name: 'get_user_pages_remote', cls: 'kernel', args: GUP_REMOTE, outputs: ['pages'], doc: 'mm/gup.c get_user_pages_remote(); mm_lock taken by the step' },
  { name: 'pin_user_pages_remote', cls: 'kernel', args: GUP_REMOTE, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages_remote(); mm_lock taken by the step' },
  { name: 'get_user_pages_fast', cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c get_user_pages_fast()' },
  { name: 'pin_user_pages_fast', cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages_fast()' },
  { name: 'get_user_pages_unlocked', cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c get_user_pages_unlocked()' },
  { name: 'pin_user_pages_unlocked', cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages_unlocked()' },
  { name: 'unpin_user_pages', cls: 'kernel', args: [a('pages', { kind: 'pages' }), a('dirty', { kind: 'bool' }, false)], doc: 'unpin_user_pages() / unpin_user_pages_dirty_lock()' },
  { name: 'put_pages', cls: 'kernel', args: [a('pages', { kind: 'pages' })], doc: 'put_page() on each page' },
  { name: 'vfio_pin_pages', cls: 'kernel', args: [a('container', int), a('iova', int), a('npage', int), a('prot', fl('IOMMU_', IOMMU_PROT_NAMES), 'IOMMU_READ|IOMMU_WRITE')], outputs: ['pages'], doc: 'drivers/vfio vfio_pin_pages() (mdev external pin)' },
  { name: 'vfio_unpin_pages', cls: 'kernel', args: [a('container', int), a('iova', int), a('npage', int)], doc: 'drivers/vfio vfio_unpin_pages()' },
  { name: 'iommufd_access_pin_pages', cls: 'kernel', args: [a('device', { kind: 'device' }), a('iova', int), a('npage', int), a('prot', fl('IOMMU_', IOMMU_PROT_NAMES), 'IOMMU_READ|IOMMU_WRITE')], outputs: ['pages'], doc: 'an emulated (mdev) device bound to an iommufd pins through vfio_pin_pages() → iommufd_access_pin_pages()' },
  { name: 'iommufd_access_unpin_pages', cls: 'kernel', args: [a('device', { kind: 'device' }), a('iova', int), a('npage', int)], doc: 'the emulated device unpins (vfio_unpin_pages() → iommufd_access_unpin_pages())' },
  { name: 'migrate_page', cls: 'kernel', args: [a('process', { kind: 'process' }), a('addr', int)], doc: 'a contiguous allocation (cma_alloc → alloc_contig_range) migrates the folio mapped at addr away: 0, -EBUSY, -ENOMEM, -EINTR; -EFAULT if nothing is mapped' },
  // ---- observation ---------------------------------------------------------------------
  { name: 'observe', cls: 'observe', args: [], doc: 'evaluate one probe now (see observe:)' },
];

export const OPS: ReadonlyMap<string, OpSpec> = new Map(opList.map((o) => [o.name, o]));
export const OP_NAMES: readonly string[] = opList.map((o) => o.name);

// ---- probes ---------------------------------------------------------------------------------

export type ProbeKind = 'frame' | 'zone' | 'cma' | 'refcount' | 'pincount' | 'locked_vm' | 'pinned_vm' | 'iommu' | 'content' | 'file_size' | 'thread' | 'holders';

export interface ProbeSpec {
  readonly kind: ProbeKind;
  /** `point`: `{ process, addr }`; `process`: a process name; `iommu`: `{ container, iova }`; `path`; `thread`. */
  readonly shape: 'point' | 'process' | 'iommu' | 'path' | 'thread';
  /** A real-kernel driver can read it (pagemap, zoneinfo, /proc/self/status, the data). */
  readonly conformance: boolean;
  readonly doc: string;
}

const probeList: readonly ProbeSpec[] = [
  { kind: 'frame', shape: 'point', conformance: true, doc: 'pfn mapped at addr, or null' },
  { kind: 'zone', shape: 'point', conformance: true, doc: 'zone name of that frame (DMA32, Normal, Movable, Device), or null' },
  { kind: 'cma', shape: 'point', conformance: false, doc: 'true if that frame is in a CMA pageblock' },
  { kind: 'refcount', shape: 'point', conformance: false, doc: 'page_ref_count of that frame' },
  { kind: 'pincount', shape: 'point', conformance: false, doc: 'FOLL_PIN pins of that frame' },
  { kind: 'locked_vm', shape: 'process', conformance: true, doc: 'mm->locked_vm in pages' },
  { kind: 'pinned_vm', shape: 'process', conformance: true, doc: 'mm->pinned_vm in pages' },
  { kind: 'iommu', shape: 'iommu', conformance: false, doc: 'pfn the container IOMMU maps at iova, or null' },
  { kind: 'content', shape: 'point', conformance: true, doc: 'content tag the process sees at addr, or null' },
  { kind: 'file_size', shape: 'path', conformance: true, doc: 'i_size of a file in bytes' },
  { kind: 'thread', shape: 'thread', conformance: false, doc: 'done, blocked or runnable' },
  {
    kind: 'holders', shape: 'process', conformance: false,
    doc: "what each long-lived page-reference holder the process reaches sees now (check/holders.ts): one string per page, 'pipe <data>' or '<vfio|iommufd|io_uring> <same|moved|unmapped> <data>'",
  },
];

export const PROBES: ReadonlyMap<string, ProbeSpec> = new Map(probeList.map((p) => [p.kind, p]));
export const PROBE_KINDS: readonly string[] = probeList.map((p) => p.kind);
