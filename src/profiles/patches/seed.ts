/**
 * The seed patch pair (John Hubbard's FOLL_PIN series, first in v5.6) and the
 * hypothetical ablation that shows why FOLL_LONGTERM and a droppable `locked` could
 * not mix. See 
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const seedPatches = {
  'gup-remote-longterm': {
    subject: "mm: fix get_user_pages_remote()'s handling of FOLL_LONGTERM",
    commit: 'c4237f8b1f4f',
    author: 'John Hubbard',
    release: 'v5.6',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'get_user_pages_remote() accepts FOLL_LONGTERM when locked is NULL and routes the call through ' +
      '__gup_longterm_locked() (temporary vmas, no-CMA scope, fs-DAX check, CMA migration); with a ' +
      'non-NULL locked it still refuses (WARN, -EINVAL). Before it, FOLL_LONGTERM was always -EINVAL there.',
    scenarios: ['gup/remote-longterm-no-locked', 'gup/remote-longterm-locked'],
  },
  'vfio-longterm-via-gup': {
    subject: 'vfio: fix FOLL_LONGTERM use, simplify get_user_pages_remote() call',
    commit: '3567813eae5e',
    author: 'John Hubbard',
    release: 'v5.6',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['gup-remote-longterm'],
    effect: 'changes-verdict',
    summary:
      'vaddr_get_pfn() always pins with get_user_pages_remote(FOLL_LONGTERM) under one mmap_sem hold, ' +
      'dropping the mm == current->mm split and the hand-written fs-DAX check; remote (mdev) pins now ' +
      'migrate CMA pages like local ones.',
    scenarios: ['seed/mdev-pin-cma', 'vfio/mdev-remote-pin-cma'],
  },
  'hypo-longterm-honours-locked': {
    subject: 'HYPOTHETICAL: get_user_pages_remote() honours a non-NULL locked together with FOLL_LONGTERM',
    commit: null,
    hypothetical: true,
    author: 'pinlab',
    release: '-',
    files: ['mm/gup.c'],
    requires: ['gup-remote-longterm'],
    effect: 'changes-verdict',
    summary:
      'Removes the locked != NULL refusal that c4237f8b1f4f kept, so a long-term GUP may drop mmap_sem ' +
      'on VM_FAULT_RETRY and re-take it; the post-hoc fs-DAX check over vmas[] then misses a VMA that ' +
      'replaced the range while the lock was dropped.',
    scenarios: ['seed/longterm-locked-race'],
  },
} as const satisfies Record<string, PatchInfo>;

/** Stable backports of this area per release tree (patches in by first release need no listing). */
export const seedReleaseAdds: ReleaseAdds<keyof typeof seedPatches> = {};
