/**
 * include/linux/fault-inject.h, lib/fault-inject.c: should_fail(), reduced to the
 * model's failure points, in the spirit of the kernel's fail-nth interface
 * (Documentation/fault-injection/fault-injection.rst, /proc/<pid>/task/<tid>/fail-nth,
 * used by tools/testing/selftests/iommu/iommufd_fail_nth.c).
 *
 * Every call the kernel can fail without a bug (a page or folio allocation, a kmalloc,
 * a migration target, a copy from user space, an IOMMU page-table allocation) asks
 * `should_fail(k, site)` first. With fault injection off (the default, and always during
 * a scenario's set-up) it answers false and makes no choice, so schedules and
 * explorations are unchanged. With it on (`Machine.fault_inject`), each call is a
 * two-way data choice (`ok` / `fail`) through the run's one chooser, recorded in the
 * schedule like any other choice; the fail-nth chooser (src/explore/failnth.ts) answers
 * `fail` at the n-th such call and `ok` everywhere else.
 *
 * Each site's label is `<kernel file>.c:<function>:<tag>`, and `FAILPOINTS` says what
 * the failing call returns in the kernel and what its caller then returns (read from the
 * release sources: v5.4.1, Debian 6.1.192, Debian 6.12.117; iommufd: 6.2.12, Debian 6.12.118). The caller's handling of
 * the failure is modelled at each site, not here.
 *
 * MODEL: the kernel's fault attributes (probability, interval, times, space,
 * ignore-gfp-wait, min-order) are not modelled: every site is eligible, every time, except
 * __GFP_NOFAIL page allocations (should_fail_alloc_page() never fails those).
 */
import type { Kctx } from '../../kctx.js';

export interface Failpoint {
  /** What the failed call itself gives back in the kernel. */
  readonly fails: string;
  /** What its caller does with that (the kernel's error path, as modelled). */
  readonly caller: string;
  /**
   * The errno the system call that made the call returns, when the failure always ends
   * it (checked by tests/faults/fail-nth.test.ts); null when callers recover or differ.
   */
  readonly errno: 'EFAULT' | 'ENOMEM' | null;
}

/** Every failure point of the model. A new site is a new entry here (tests check both ways). */
export const FAILPOINTS = {
  'mm/page_alloc.c:__alloc_pages:should_fail_alloc_page': {
    fails: 'NULL (no page); __GFP_NOFAIL requests never fail',
    caller: 'each caller\'s existing out-of-memory path: VM_FAULT_OOM → -ENOMEM from GUP / -EFAULT or SIGBUS for a user access, -ENOMEM from the page cache read, a fallback (huge zero page, THP → small pages)',
    errno: null,
  },
  'mm/migrate.c:alloc_migration_target:should_fail_alloc_page': {
    fails: 'NULL (no migration target)',
    caller: 'migrate_pages() -ENOMEM: the long-term pin unpins everything and returns -ENOMEM (6.1+) or pins in place (5.4–5.6 CMA path); alloc_contig_range -ENOMEM',
    errno: null,
  },
  'mm/gup.c:new_non_cma_page:should_fail_alloc_page': {
    fails: 'NULL (no migration target) [5.4–5.6 CMA path]',
    caller: 'migrate_pages() -ENOMEM: check_and_migrate_cma_pages() pins the pages where they are (5.4–5.6)',
    errno: null,
  },
  'mm/gup.c:__gup_longterm_locked:kcalloc': {
    fails: 'NULL (the vmas array a FOLL_LONGTERM call without one needs) [5.4–5.6]',
    caller: '__gup_longterm_locked() returns -ENOMEM before pinning anything (VFIO\'s page-at-a-time pin then maps what it pinned so far and tries again)',
    errno: null,
  },
  'mm/memory.c:do_anonymous_page:pte_alloc': {
    fails: 'the PTE table an anonymous first-touch fault needs cannot be allocated (pte_alloc → __pte_alloc → pte_alloc_one: NULL)',
    caller: 'do_anonymous_page() returns VM_FAULT_OOM before touching the page: GUP returns -ENOMEM (or the pages pinned so far); a user access goes to the OOM path',
    errno: null,
  },
  'mm/memory.c:__do_fault:pte_alloc_one': {
    fails: 'the PTE table a file/shmem first-touch fault preallocates before ->fault cannot be allocated (NULL)',
    caller: '__do_fault() returns VM_FAULT_OOM before calling ->fault: GUP returns -ENOMEM (or the pages pinned so far)',
    errno: null,
  },
  'kernel/fork.c:dup_mmap:vm_area_dup': {
    fails: 'NULL (the child\'s copy of a vm_area_struct)',
    caller: 'dup_mmap() stops with -ENOMEM; the half-built mm is torn down (the parent\'s PTEs already write-protected for COW stay so) and fork returns -ENOMEM',
    errno: 'ENOMEM',
  },
  'mm/mmap.c:mmap_region:vm_area_alloc': {
    fails: 'NULL (kmem_cache_zalloc of the vm_area_struct)',
    caller: 'mmap_region() returns -ENOMEM before the new VMA exists (MODEL: a MAP_FIXED mapping it replaces is already unmapped, as in 5.4–6.1; 6.12 restores it)',
    errno: 'ENOMEM',
  },
  'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_ioctl:copy_from_user': {
    fails: 'bytes not copied (the user struct is unreadable)',
    caller: 'VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA return -EFAULT before any work',
    errno: 'EFAULT',
  },
  'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map:kzalloc': {
    fails: 'NULL (struct vfio_dma)',
    caller: 'vfio_dma_do_map() returns -ENOMEM; nothing pinned, dma_avail unchanged',
    errno: 'ENOMEM',
  },
  'drivers/vfio/vfio_iommu_type1.c:vfio_batch_init:__get_free_page': {
    fails: 'NULL (the batch\'s page of page pointers) [5.12+]',
    caller: 'not an error: the batch falls back to its one-entry array (capacity 1)',
    errno: null,
  },
  'drivers/iommu/iommu.c:iommu_map:alloc_pgtable': {
    fails: 'the IOMMU driver cannot allocate a page-table page: -ENOMEM from the driver\'s map callback',
    caller: 'iommu_map() unmaps what it mapped of the range and returns -ENOMEM; vfio_iommu_map() unmaps the other domains, vfio_pin_map_dma() unpins the chunk and removes the whole vfio_dma (MAP_DMA -ENOMEM, locked_vm restored)',
    errno: null,
  },
  'io_uring/rsrc.c:io_sqe_buffers_register:copy_from_user': {
    fails: 'bytes not copied (the iovec is unreadable)',
    caller: 'IORING_REGISTER_BUFFERS returns -EFAULT; buffers registered so far are unregistered',
    errno: 'EFAULT',
  },
  'io_uring/rsrc.c:io_sqe_buffer_register:kvmalloc': {
    fails: 'NULL (the pages array / struct io_mapped_ubuf)',
    caller: 'IORING_REGISTER_BUFFERS returns -ENOMEM; buffers registered so far are unregistered; 5.4/5.6: this buffer unaccounted first; 6.12: its pages unpinned; Debian 6.1.192: its pages stay pinned (leaked)',
    errno: 'ENOMEM',
  },
  // iommufd (6.2+ with CONFIG_IOMMUFD): the kernel's own iommufd_should_fail() points (active with
  // CONFIG_IOMMUFD_TEST, which every +iommufd profile has, as the judge build and the selftest's
  // iommufd_fail_nth need), and the allocations of the ioctls' objects. Read in 6.2.12 and Debian 6.12.118.
  'drivers/iommu/iommufd/main.c:iommufd_fops_ioctl:copy_struct_from_user': {
    fails: 'bytes not copied (the command struct is unreadable past its size word)',
    caller: 'the ioctl returns -EFAULT before the command runs',
    errno: 'EFAULT',
  },
  'drivers/iommu/iommufd/main.c:_iommufd_object_alloc:kzalloc': {
    fails: 'NULL (the IOAS object) [MODEL: only IOMMU_IOAS_ALLOC asks; the other objects\' allocations are not failure points]',
    caller: 'IOMMU_IOAS_ALLOC returns -ENOMEM; no object id is used up',
    errno: 'ENOMEM',
  },
  'drivers/iommu/iommufd/pages.c:iopt_alloc_pages:kzalloc': {
    fails: 'NULL (struct iopt_pages)',
    caller: 'IOMMU_IOAS_MAP (and the compat VFIO_IOMMU_MAP_DMA) return -ENOMEM before an area exists; nothing pinned',
    errno: 'ENOMEM',
  },
  'drivers/iommu/iommufd/io_pagetable.c:iopt_alloc_area_pages:kzalloc': {
    fails: 'NULL (struct iopt_area)',
    caller: 'iopt_alloc_area_pages() returns -ENOMEM before taking the IOVA; the map or copy frees its pages list and returns -ENOMEM',
    errno: 'ENOMEM',
  },
  'drivers/iommu/iommufd/io_pagetable.c:iopt_table_enforce_dev_resv_regions:iommufd_should_fail': {
    fails: '-EINVAL (iommufd_should_fail() at entry)',
    caller: 'the attach of the device to the IOAS fails -EINVAL with nothing reserved: the auto domain is freed, the device stays bound and unattached',
    errno: null,
  },
  'drivers/iommu/iommufd/pages.c:pfn_reader_user_pin:iommufd_should_fail': {
    fails: '-EFAULT (iommufd_should_fail() before the pin call)',
    caller: 'the pfn reader stops: a domain fill unmaps and unpins what it pinned so far (map, attach, copy fail -EFAULT), an access pin unwinds its earlier areas',
    errno: null,
  },
  'drivers/iommu/iommufd/pages.c:pfn_reader_user_update_pinned:iommufd_should_fail': {
    fails: '-ENOMEM (iommufd_should_fail() before charging what was pinned)',
    caller: 'as a failed charge over RLIMIT_MEMLOCK: the fill or access pin unpins everything it pinned, nothing stays charged',
    errno: null,
  },
} as const satisfies Record<string, Failpoint>;

export type FailpointId = keyof typeof FAILPOINTS;

/** Is `label` one of the model's failure points (a choice the fail-nth chooser answers)? */
export function isFailpoint(label: string): label is FailpointId {
  return Object.prototype.hasOwnProperty.call(FAILPOINTS, label);
}

/** The choice's option names: index 1 fails the call. */
const FAIL_OPTIONS = ['ok', 'fail'] as const;

/**
 * should_fail(attr, size): does this call fail? Off (no choice at all) unless the
 * machine's fault injection is on and a scenario thread is running.
 */
export function should_fail(k: Kctx, site: FailpointId): boolean {
  const s = k.m.sched;
  if (!k.m.fault_inject || s === null || !s.inThread) return false;
  return s.chooseInline(site, FAIL_OPTIONS) === 1;
}
