/**
 * Flag families of the op table (names only; the values belong to the model, per release:
 * e.g. FOLL_* changed in 6.5) and the helpers the group files declare arguments with.
 */
import type { ArgSpec, ArgType } from './types.js';

// ---- flag families (names only; values belong to the model, per release) --------------

export const PROT_NAMES = ['PROT_NONE', 'PROT_READ', 'PROT_WRITE', 'PROT_EXEC'] as const;
export const MAP_NAMES = [
  'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE', 'MAP_FIXED', 'MAP_FIXED_NOREPLACE', 'MAP_ANONYMOUS',
  'MAP_POPULATE', 'MAP_LOCKED', 'MAP_NORESERVE', 'MAP_HUGETLB', 'MAP_SYNC', 'MAP_HUGE_2MB', 'MAP_HUGE_1GB',
] as const;
export const O_NAMES = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_CLOEXEC', 'O_DIRECT', 'O_SYNC', 'O_TRUNC'] as const;
export const MFD_NAMES = ['MFD_CLOEXEC', 'MFD_ALLOW_SEALING', 'MFD_HUGETLB', 'MFD_HUGE_2MB', 'MFD_HUGE_1GB'] as const;
export const FALLOC_NAMES = ['FALLOC_FL_KEEP_SIZE', 'FALLOC_FL_PUNCH_HOLE', 'FALLOC_FL_ZERO_RANGE', 'FALLOC_FL_COLLAPSE_RANGE', 'FALLOC_FL_INSERT_RANGE'] as const;
/** The advice sys_madvise models (mm/mprotect.ts, mm/madvise.ts); the others would only ever report `unsupported`, so they are not offered. */
export const MADV_NAMES = [
  'MADV_DONTNEED', 'MADV_HUGEPAGE', 'MADV_NOHUGEPAGE', 'MADV_DONTFORK', 'MADV_DOFORK',
  'MADV_FREE', 'MADV_COLD', 'MADV_PAGEOUT', 'MADV_WILLNEED', 'MADV_REMOVE', 'MADV_WIPEONFORK', 'MADV_KEEPONFORK',
] as const;
/** mremap(2) flags (include/uapi/linux/mman.h; MREMAP_DONTUNMAP from v5.7). */
export const MREMAP_NAMES = ['MREMAP_MAYMOVE', 'MREMAP_FIXED', 'MREMAP_DONTUNMAP'] as const;
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
export const IOMMU_VFIO_IOAS_OP_NAMES = ['IOMMU_VFIO_IOAS_GET', 'IOMMU_VFIO_IOAS_SET', 'IOMMU_VFIO_IOAS_CLEAR'] as const;
export const IOMMU_PROT_NAMES = ['IOMMU_READ', 'IOMMU_WRITE', 'IOMMU_CACHE', 'IOMMU_NOEXEC', 'IOMMU_MMIO'] as const;
export const RLIMIT_NAMES = ['RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_NOFILE'] as const;
export const SIGNAL_NAMES = ['SIGKILL', 'SIGINT', 'SIGTERM', 'SIGUSR1'] as const;
export const CAP_NAMES = ['CAP_IPC_LOCK', 'CAP_SYS_ADMIN', 'CAP_SYS_RAWIO', 'CAP_SYS_RESOURCE', 'CAP_DAC_OVERRIDE', 'CAP_SYS_PTRACE'] as const;
/** The ptrace requests modelled (kernel/ptrace.ts). */
export const PTRACE_NAMES = ['PTRACE_ATTACH', 'PTRACE_SEIZE', 'PTRACE_INTERRUPT', 'PTRACE_DETACH', 'PTRACE_PEEKTEXT', 'PTRACE_PEEKDATA', 'PTRACE_POKETEXT', 'PTRACE_POKEDATA'] as const;
/** pipe2(2) flags the model resolves (O_NOTIFICATION_PIPE, watch queues, is not offered). */
export const PIPE2_O_NAMES = ['O_CLOEXEC', 'O_NONBLOCK', 'O_DIRECT'] as const;
export const SPLICE_F_NAMES = ['SPLICE_F_MOVE', 'SPLICE_F_NONBLOCK', 'SPLICE_F_MORE', 'SPLICE_F_GIFT'] as const;

export const int = { kind: 'int' } as const;
export const fl = (family: string, names: readonly string[]): ArgType => ({ kind: 'flags', family, names });
export const en = (family: string, names: readonly string[]): ArgType => ({ kind: 'enum', family, names });
/** An argument: required when `dflt` is undefined; `note` shows in the catalogue. */
export const a = (name: string, type: ArgType, dflt?: ArgSpec['dflt'], note?: string): ArgSpec => ({
  name, type, ...(dflt === undefined ? {} : { dflt }), ...(note === undefined ? {} : { note }),
});

