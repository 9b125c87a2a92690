/**
 * Patches of iommufd (drivers/iommu/iommufd/, the iommufd side of drivers/vfio/) between the
 * release that introduced it (6.2) and the newest tree read (6.18.26): the changes whose
 * behaviour the model encodes, read in 6.2.12, 6.5.3 (Ubuntu, christian-bendiksen/
 * ubuntu-linux-6.5.3 @ 679cd7267), 6.6.9, Debian 6.12.118 and 6.18.26. Kept in an area file
 * of its own so it merges beside the others.
 *
 * Commit ids come from the torvalds/linux post-receive lists, the iommufd pull requests and
 * the "commit X upstream" lines of the stable review mails that carried them; a change whose
 * own id was not found is folded (`folds`, commit null) into the entry whose release brackets
 * it in the trees read, with the reason.
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const iommufdPatches = {
  'iommufd-vfio-noiommu': {
    subject: 'vfio: Support VFIO_NOIOMMU with iommufd',
    commit: 'c9a397cee9f5',
    author: 'Jason Gunthorpe',
    release: 'v6.3',
    files: ['drivers/iommu/iommufd/vfio_compat.c', 'drivers/vfio/iommufd.c', 'drivers/vfio/group.c'],
    effect: 'changes-verdict',
    summary:
      'Splits iommufd_vfio_compat_ioas_id() into iommufd_vfio_compat_ioas_create() (VFIO_GROUP_SET_CONTAINER with an ' +
      'iommufd) and iommufd_vfio_compat_ioas_get_id() (device open). Before it (6.2.12) opening a device of the ' +
      'group called the create-or-get function again, so after IOMMU_VFIO_IOAS CLEAR (or IOMMU_DESTROY of the ' +
      'compat IOAS) the open made a new compat IOAS and attached to it; since it the open fails -ENODEV (6.5.3, ' +
      '6.12.118 vfio_iommufd_compat_attach_ioas). The no-IOMMU mode it adds is not modelled. Id from the iommufd ' +
      "tree's for-next (linux-next post-receive list, February 2023), merged for v6.3.",
    scenarios: ['iommufd/compat-ioas-cleared-open'],
  },
  'iommufd-batch-carry-end': {
    subject: 'iommufd: Set end correctly when doing batch carry',
    commit: 'b7c822fa6b77',
    author: 'Jason Gunthorpe',
    release: 'v6.5',
    files: ['drivers/iommu/iommufd/pages.c'],
    effect: 'neutral',
    summary:
      'batch_clear_carry() leaves the carried pfns as the batch\'s one entry (end = 1; 6.2.12 sets end = 0, so the ' +
      'next pfn added overwrites the carry and batch_unpin() of a later span reads past the entries: unpinning the ' +
      'wrong pages, or the NULL dereference of the report) while __iopt_area_unfill_domain() unmaps a contiguous run ' +
      'that an access still holds part of. MODEL: the model\'s pfn batch holds one pfn per index and never carries, ' +
      'so its unfill path is the fixed one on every release (the 6.2 profiles do not reproduce the bug). In 6.4.8 ' +
      'and 6.5.3 via stable (Debian changelog; 6.5.3 read). Also between 6.2.12 and 6.5.3 (commit not identified): ' +
      'iopt_unmap_iova_range() retries the access unmap notification up to 100 times where 6.2.12 WARNs and fails ' +
      '-EDEADLOCK if an access still holds the area after one; the model\'s access drivers always unpin on the ' +
      'first notification, so it has the retry loop on every release.',
    scenarios: [],
  },
  'iommufd-prevent-align-overflow': {
    subject: 'iommufd: Prevent ALIGN() overflow',
    commit: 'b42497e3c0e7',
    author: 'Jason Gunthorpe',
    release: 'v6.17',
    files: ['drivers/iommu/iommufd/io_pagetable.c'],
    effect: 'changes-verdict',
    summary:
      'iopt_alloc_iova() clamps the alignment it derives from the user address and length to the huge page size ' +
      '(PAGE_SIZE without THP) and checks the aligned start with check_add_overflow(). Before it (6.2.12 to 6.6.9) ' +
      'the alignment is the lowest set bit of the user address, or the length rounded up to a power of two, ' +
      'unbounded: a 1 GiB-aligned buffer gets a 1 GiB-aligned IOVA where 6.12 places it at the next 2 MiB. In ' +
      'Debian 6.12.43 via stable (changelog), so in the 6.12 profiles; 6.6.9 lacks it. Mainline id from the ' +
      '"commit X upstream" line of the 6.16 and 6.6 stable reviews.',
    scenarios: ['iommufd/map-alignment'],
  },
  'iommufd-map-needs-rw': {
    subject: 'iommufd: Do not allow creating areas without READ or WRITE',
    commit: '996dc53ac289',
    author: 'Jason Gunthorpe',
    release: 'v6.11',
    files: ['drivers/iommu/iommufd/ioas.c'],
    effect: 'changes-verdict',
    summary:
      'IOMMU_IOAS_MAP and IOMMU_IOAS_COPY refuse flags with neither READABLE nor WRITEABLE (-EINVAL, after the ' +
      '-EOPNOTSUPP and -EOVERFLOW checks); before it (6.2.12 to 6.6.9) such an area is mapped with IOMMU_CACHE ' +
      'alone. Read in ioas.c of 6.6.9 (absent), Debian 6.12.118 and 6.18.26 (present). Id: the iommu tree\'s ' +
      'post-receive list of its fixes branch (with the v6.11-rc5 tag) and the "commit 996dc53ac289 upstream" line ' +
      'of the 6.6 and 6.10 stable reviews; so 6.6.9 (the v6.6 profile) predates its 6.6.y backport.',
    scenarios: ['iommufd/map-flags-no-rw'],
  },
  'iommufd-compat-unmap-empty': {
    subject: "iommufd: Make vfio_compat's unmap succeed if the range is already empty",
    commit: 'afb47765f923',
    author: 'Jason Gunthorpe',
    release: 'v6.18',
    files: ['drivers/iommu/iommufd/io_pagetable.c', 'drivers/iommu/iommufd/ioas.c'],
    effect: 'changes-verdict',
    summary:
      'iopt_unmap_iova_range() returns 0 when nothing is mapped in the range and IOMMU_IOAS_UNMAP says -ENOENT for ' +
      '0 bytes itself, so the VFIO compat VFIO_IOMMU_UNMAP_DMA of an empty range succeeds with size 0, as type1 ' +
      'does; before it (6.2.12 to 6.6.9) that unmap is -ENOENT. IOMMU_IOAS_UNMAP answers the same either way. In ' +
      'Debian 6.12.118 via stable (the 6.12 stable review of 21 November 2025, "Upstream commit" line).',
    scenarios: ['iommufd/compat-unmap-empty'],
  },
  'iommufd-unmap-advance-start': {
    subject: 'iommufd: Fix a race with concurrent allocation and unmap',
    commit: '8602018b1f17',
    author: 'Sina Hassani',
    release: 'v7.1',
    files: ['drivers/iommu/iommufd/io_pagetable.c'],
    effect: 'changes-verdict',
    summary:
      'iopt_unmap_iova_range() moves the start of its search past each area it unmapped. Before it the loop looks ' +
      'again from the original start after re-taking iova_rwsem, so an IOMMU_IOAS_MAP that placed a new area in ' +
      'IOVA the unmap already cleared (while the lock was dropped to unfill domains) is found too: unmapped with ' +
      'the rest, or, still being filled (pages == NULL), the unmap fails -EBUSY (the symptom the commit reports). ' +
      'Merged in the v7.1 merge window (torvalds/linux post-receive list of 17 April 2026); in Debian 6.12.118 via ' +
      'stable, not in 6.18.26 (read), so v6.18 drops it.',
    scenarios: ['iommufd/unmap-races-map'],
  },
  'iommufd-hwpt-alloc': {
    subject: 'iommufd: Add IOMMU_HWPT_ALLOC',
    commit: '7074d7bd67d4',
    author: 'Jason Gunthorpe',
    release: 'v6.6',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/hw_pagetable.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds IOMMU_HWPT_ALLOC (0x89) to the iommufd_ioctl_ops table: 6.2.12 and 6.5.3 end the table at IOMMU_VFIO_IOAS ' +
      '(0x88), 6.6.9 has it.' +
      'The command itself is not modelled (`unsupported`); before it the number is outside the ioctl table ' +
      '(-ENOTTY). Id from the torvalds/linux post-receive list of 31 August 2023 (v6.6 merge ' +
      'window); its linux-next id of March 2023 (8295188cc9e6) is an earlier version of the series.',
    scenarios: [],
  },
  'iommufd-get-hw-info': {
    subject: 'iommufd: Add IOMMU_GET_HW_INFO',
    commit: '55dd4023cead',
    author: 'Yi Liu',
    release: 'v6.6',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/device.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds IOMMU_GET_HW_INFO (0x8a) to the ioctl table (6.6.9 has it, 6.5.3 not).' +
      'The command itself is not modelled (`unsupported`); before it the number is outside the ioctl table ' +
      '(-ENOTTY). Id from the ' +
      'torvalds/linux post-receive list of 31 August 2023 (v6.6 merge window).',
    scenarios: [],
  },
  'iommufd-hwpt-set-dirty-tracking': {
    subject: 'iommufd: Add IOMMU_HWPT_SET_DIRTY_TRACKING',
    commit: 'e2a4b2947849',
    author: 'Joao Martins',
    release: 'v6.7',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/hw_pagetable.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds IOMMU_HWPT_SET_DIRTY_TRACKING (0x8b) to the ioctl table (Debian 6.12.118 has it, 6.6.9 not).' +
      'The command itself is not modelled (`unsupported`); before it the number is outside the ioctl table ' +
      '(-ENOTTY). ' +
      'Id from the torvalds/linux post-receive list of 2 November 2023 (v6.7 merge window, for-linus-iommufd); ' +
      'the 6.8.0 tree (vivo50kff/linux-6.8) has it (no 6.7 tree found).',
    scenarios: [],
  },
  'iommufd-hwpt-get-dirty-bitmap': {
    subject: 'iommufd: Add IOMMU_HWPT_GET_DIRTY_BITMAP',
    commit: 'b9a60d6f850e',
    author: 'Joao Martins',
    release: 'v6.7',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/hw_pagetable.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds IOMMU_HWPT_GET_DIRTY_BITMAP (0x8c) to the ioctl table (Debian 6.12.118 has it, 6.6.9 not).' +
      'The command itself is not modelled (`unsupported`); before it the number is outside the ioctl table ' +
      '(-ENOTTY). ' +
      'Id from the torvalds/linux post-receive list of 2 November 2023 (v6.7 merge window, for-linus-iommufd); ' +
      'the 6.8.0 tree (vivo50kff/linux-6.8) has it (no 6.7 tree found).',
    scenarios: [],
  },
  'iommufd-hwpt-invalidate': {
    subject: 'iommufd: Add IOMMU_HWPT_INVALIDATE',
    commit: '8ac8f36809a6',
    author: 'Yi Liu',
    release: 'v6.8',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/hw_pagetable.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds IOMMU_HWPT_INVALIDATE (0x8d) to the ioctl table (Debian 6.12.118 has it, 6.6.9 not).' +
      'The command itself is not modelled (`unsupported`); before it the number is outside the ioctl table ' +
      '(-ENOTTY). ' +
      'Id from the post-receive list of the iommufd tree\'s for-next branch (jgg/iommufd, 2 January 2024), which ' +
      'is pulled into mainline unrebased; v6.8 is that merge window (6.7 was released on 7 January 2024). The ' +
      'same id is in linux-next of 3 January 2024 (next-20240103), and the 6.8.0 tree (vivo50kff/linux-6.8) ' +
      'has the command.',
    scenarios: [],
  },
  'iommufd-fault-queue-alloc': {
    subject: 'iommufd: Add iommufd fault object',
    commit: '07838f7fd529',
    author: 'Lu Baolu',
    release: 'v6.11',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/fault.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds the fault object and IOMMU_FAULT_QUEUE_ALLOC (0x8e, struct iommu_fault_alloc) to the ioctl table ' +
      '(Debian 6.12.118 has it, 6.6.9 not).' +
      'The command itself is not modelled (`unsupported`); before it the number is outside the ioctl table ' +
      '(-ENOTTY). Id from the Fixes: tags of later fixes (Lu Baolu, ' +
      'Zhenzhong Duan) and the linux-next post-receive list of 10 July 2024 (the week before 6.10 was ' +
      'released), so it was queued for the v6.11 merge window; trees: 6.9.0 (ec-jt/linux-6.9.0) lacks the ' +
      'command, 6.11.11 (segzix/linux-6.11.11) has it (no 6.10 tree could be fetched).',
    scenarios: [],
  },
  'iommufd-veventq-alloc': {
    subject: 'iommufd: Add IOMMUFD_OBJ_VEVENTQ and IOMMUFD_CMD_VEVENTQ_ALLOC',
    commit: 'e36ba5ab808e',
    author: 'Nicolin Chen',
    release: 'v6.15',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/eventq.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds the vIOMMU event queue and IOMMU_VEVENTQ_ALLOC (0x93) to the ioctl table (6.18.26 has it, Debian 6.12.118 ' +
      'not). The command itself is not modelled (`unsupported`); before it the number is outside the table (-ENOTTY). ' +
      'Id from the Fixes: tags of later fixes (Cc: stable) and the linux-next lists of March 2025 (v6.15 merge window). ' +
      'Trees: 6.14.0 (perishh/linux-6.14) lacks it, 6.17.0 (busysteve/linux-6.17.0-rust-ported-c, whose ' +
      'iommufd files only its import commit touches) has it; no 6.15 or 6.16 tree found.',
    scenarios: [],
  },
  'iommufd-hw-queue-alloc': {
    subject: 'iommufd/viommu: Add IOMMUFD_CMD_HW_QUEUE_ALLOC ioctl',
    commit: '2238ddc2b056',
    author: 'Nicolin Chen',
    release: 'v6.17',
    files: ['drivers/iommu/iommufd/main.c', 'drivers/iommu/iommufd/viommu.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'Adds IOMMU_HW_QUEUE_ALLOC (0x94) to the ioctl table (6.18.26 has it, Debian 6.12.118 not). The command itself ' +
      'is not modelled (`unsupported`); before it the number is outside the table (-ENOTTY). Id from the Fixes: tag ' +
      'of a later fix (Akhilesh Patil) and the merged lists (an earlier linux-next version was c4e9e9b4227e); v8 of ' +
      'the series was posted in July 2025, for the v6.17 merge window. Trees: 6.14.0 lacks it, 6.17.0 ' +
      '(busysteve/linux-6.17.0-rust-ported-c) has it; no 6.15 or 6.16 tree found.',
    scenarios: [],
  },
  'iommufd-map-file': {
    subject: 'iommufd: Add IOMMU_IOAS_MAP_FILE',
    commit: 'f4986a72d6e4',
    author: 'Steve Sistare',
    release: 'v6.13',
    files: ['drivers/iommu/iommufd/ioas.c', 'drivers/iommu/iommufd/io_pagetable.c', 'drivers/iommu/iommufd/pages.c', 'include/uapi/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'IOMMU_IOAS_MAP_FILE (0x8f) maps a range of a memfd (shmem or hugetlbfs file) by file offset: its iopt_pages ' +
      'are of type IOPT_ADDRESS_FILE and are pinned with memfd_pin_folios(), not through a VMA, so the mapping ' +
      'survives the process and needs no user address. Before it the command number is outside the table (-ENOTTY). ' +
      'Ids from the iommufd 6.13 merge window pull (20 November 2024) and the torvalds/linux post-receive list.',
    folds: [
      { change: 'IOMMU_VIOMMU_ALLOC (0x90) and IOMMU_VDEVICE_ALLOC (0x91) (not modelled: unsupported)', commit: null, from: 'v6.13', by: 'v6.13' },
    ],
    scenarios: ['iommufd/live-update-map-file'],
  },
  'iommufd-change-process': {
    subject: 'iommufd: Add IOMMU_IOAS_CHANGE_PROCESS',
    commit: '829ed626499c',
    author: 'Steve Sistare',
    release: 'v6.13',
    files: ['drivers/iommu/iommufd/ioas.c', 'drivers/iommu/iommufd/main.c', 'include/uapi/linux/iommufd.h'],
    requires: ['iommufd-map-file'],
    effect: 'changes-verdict',
    summary:
      'IOMMU_IOAS_CHANGE_PROCESS (0x92) moves the pinned-page accounting of every mapping of the context to the ' +
      'calling process (its mm, group leader and user): it charges the new owner first (one charge per account ' +
      'mode, undone on failure) and then uncharges the old one. Every area of every IOAS must be a file mapping ' +
      '(-EINVAL otherwise, nothing changed); __reserved non-zero is -EOPNOTSUPP. Before it the command number is ' +
      'outside the table (-ENOTTY). Id from the iommufd 6.13 merge window pull (20 November 2024).',
    scenarios: ['iommufd/live-update-map-file'],
  },
} as const satisfies Record<string, PatchInfo>;

/** Stable backports of this area per release tree (patches in by first release need no listing). */
export const iommufdReleaseAdds: ReleaseAdds<keyof typeof iommufdPatches> = {
  // Debian 6.12.117/118 carry the ALIGN() overflow fix (6.12.43), the compat unmap of an empty range and the
  // unmap/allocation race fix (read in 6.12.118's io_pagetable.c and ioas.c).
  'v6.12': ['iommufd-prevent-align-overflow', 'iommufd-compat-unmap-empty', 'iommufd-unmap-advance-start'],
};
