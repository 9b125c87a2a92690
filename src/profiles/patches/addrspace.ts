/**
 * Patches of the address-space changes made under a pin (issue 12 item 4): mremap and
 * madvise behaviour that differs between the modelled releases. Kept in an area file of
 * its own so it merges beside the mm/ area.
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const addrspacePatches = {
  'mremap-dontunmap': {
    subject: 'mm/mremap: add MREMAP_DONTUNMAP to mremap()',
    commit: 'e346b3813067',
    author: 'Brian Geffon',
    release: 'v5.7',
    files: ['mm/mremap.c', 'include/uapi/linux/mman.h'],
    effect: 'changes-verdict',
    summary:
      'mremap() accepts MREMAP_DONTUNMAP (with MREMAP_MAYMOVE and old_len == new_len, else -EINVAL): the page ' +
      'tables move to the new address and the old VMA stays, empty (the next touch of a private anonymous one ' +
      'faults in a zero page); VM_LOCKED is cleared on the old VMA and locked_vm is left as it was. As first ' +
      'merged only private anonymous VMAs were allowed (-EINVAL otherwise). Before it (v5.4-v5.6) the flag is ' +
      'unknown: -EINVAL.',
    scenarios: ['addrspace/mremap-dontunmap-pinned'],
  },
  'mremap-dontunmap-all-mappings': {
    subject: 'mm: extend MREMAP_DONTUNMAP to non-anonymous mappings',
    commit: 'a4609387859f',
    author: 'Brian Geffon',
    release: 'v5.13',
    files: ['mm/mremap.c'],
    requires: ['mremap-dontunmap'],
    effect: 'changes-verdict',
    summary:
      'vma_to_resize() refuses MREMAP_DONTUNMAP only for VM_DONTEXPAND / VM_PFNMAP VMAs (-EINVAL); shared and ' +
      'file-backed mappings may be moved with it (6.1.192, 6.12.117).',
    scenarios: ['addrspace/mremap-dontunmap-shared'],
  },
  'mremap-hugetlb': {
    subject: 'mm, hugepages: add mremap() support for hugepage backed vma',
    commit: '550a7d60bd5e',
    author: 'Mina Almasry',
    release: 'v5.16',
    files: ['mm/mremap.c', 'mm/hugetlb.c'],
    effect: 'changes-verdict',
    summary:
      'sys_mremap() looks the VMA up first (no VMA at addr: -EFAULT, even for a shrink, which before it unmapped ' +
      'the tail without looking and returned addr) and lets a hugetlb VMA move (huge-page aligned, no ' +
      'expansion). Before it (v5.4-v5.6) vma_to_resize() refuses a hugetlb VMA with -EINVAL. MODEL: shared 2 MiB ' +
      'hugetlb VMAs move (move_hugetlb_page_tables) and shrink; private or 1 GiB ones are unsupported.',
    scenarios: ['addrspace/mremap-unmapped-shrink', 'addrspace/mremap-hugetlb-shared'],
  },
  'madvise-pageout-cow': {
    subject: 'mm: do not allow MADV_PAGEOUT for CoW pages',
    commit: '12e967fd8e4e',
    author: 'Michal Hocko',
    release: 'v5.6',
    files: ['mm/madvise.c'],
    effect: 'changes-verdict',
    summary:
      'madvise_cold_or_pageout_pte_range() leaves alone what another mapping also maps: a small page or a THP whose ' +
      'page_mapcount() is not 1 is skipped by MADV_COLD and MADV_PAGEOUT (the THP test moves before the partial-range ' +
      'split branch, where 5.4.1 had it). Before it (5.4.1; read there and in 5.6.4) a page shared with a fork child, ' +
      'or a whole THP mapped by the PMDs of parent and child, is deactivated or isolated and reclaimed: without swap a ' +
      'shared THP is split in both processes (shrink_page_list: add_to_swap fails, split_huge_page_to_list).',
    scenarios: ['addrspace/madv-thp-shared-cold-pageout', 'addrspace/madv-pageout-file'],
  },
  'madvise-free-refcount': {
    subject: 'mm: fix race between MADV_FREE reclaim and blkdev direct IO read',
    commit: '6c8e2a256915',
    author: 'Mauricio Faria de Oliveira',
    release: 'v5.18',
    files: ['mm/rmap.c', 'mm/vmscan.c'],
    effect: 'changes-verdict',
    summary:
      'try_to_unmap_one() discards a clean lazy-free (MADV_FREE) anonymous page only when its references are ' +
      'exactly isolation + mappings; a page with another reference (a GUP pin: VFIO, io_uring, O_DIRECT) is ' +
      'mapped again and made swap-backed, so the process keeps seeing it. Before it (v5.4.1) the PTE of a ' +
      'clean lazy-free page is dropped whatever its references: shrink_page_list() then cannot free the pinned ' +
      'page (page_ref_freeze fails) and keeps it, but the process has lost its mapping and reads zeroes while ' +
      'the device still reaches the old frame.',
    scenarios: ['addrspace/madv-free-pageout-pinned', 'addrspace/madv-thp-free-pageout'],
  },
  'vma-shared-maywrite': {
    subject: 'mm: drop the assumption that VM_SHARED always implies writable',
    commit: 'e8e17ee90eaf',
    author: 'Lorenzo Stoakes',
    release: 'v6.7',
    files: ['mm/madvise.c', 'include/linux/mm.h', 'mm/mmap.c', 'kernel/fork.c', 'mm/filemap.c'],
    effect: 'changes-verdict',
    summary:
      'madvise_remove() asks for a shared mapping that may be made writable (VM_SHARED and VM_MAYWRITE, ' +
      'vma_is_shared_maywrite) instead of one that is writable now (VM_SHARED and VM_WRITE): MADV_REMOVE on a ' +
      'PROT_READ shared mapping of a file opened for writing punches the hole (0) where v5.4 says -EACCES. ' +
      'Backported to the 6.1 and 5.15 stable series (Aug 2025): Debian 6.1.192 has it, as the real-kernel run of ' +
      'conformance/cases/addrspace/madv-remove-shmem-pinned-dma.yaml shows.',
    scenarios: ['addrspace/madv-remove-shmem-pinned'],
  },
  'madvise-rearrange': {
    subject: 'mm: rearrange madvise code to allow for reuse',
    commit: 'ac1e9acc5acf',
    author: 'Colin Cross',
    release: 'v5.16',
    files: ['mm/madvise.c'],
    effect: 'neutral',
    summary:
      'madvise_behavior() becomes madvise_vma_behavior(), called per VMA by madvise_walk_vmas() (read: 5.15.24 ' +
      'has madvise_behavior(), Debian 6.1.192 madvise_vma_behavior()). Same checks and results; only the ' +
      'function an errno reason names changes.',
    scenarios: [],
  },
  'madvise-free-folio': {
    subject: 'madvise: convert madvise_free_pte_range() to use a folio',
    commit: '98b211d6415f',
    author: 'Vishal Moola (Oracle)',
    release: 'v6.2',
    files: ['mm/madvise.c'],
    effect: 'changes-verdict',
    summary:
      'madvise_free_pte_range() asks whether a PTE-mapped large folio is mapped by this process only with ' +
      'folio_mapcount() (every PTE mapping of every page) instead of page_mapcount() of the page at hand (5.4.1 - ' +
      '5.15.24): a THP split into PTEs that this process maps once per page counts as shared, so MADV_FREE stops ' +
      'the walk of that page table there and neither splits nor frees any of it (read in 6.2.12). Id from the ' +
      'Fixes: tag of 0e0e9bd5f7b9.',
    scenarios: ['addrspace/madv-pte-thp-free-pageout'],
  },
  'madvise-free-estimated-sharers': {
    subject: "madvise:madvise_free_pte_range(): don't use mapcount() against large folio for sharing check",
    commit: '0e0e9bd5f7b9',
    author: 'Yin Fengwei',
    release: 'v6.5',
    files: ['mm/madvise.c'],
    requires: ['madvise-free-folio'],
    effect: 'changes-verdict',
    summary:
      'madvise_free_pte_range() uses folio_estimated_sharers(), the mapcount of the folio\'s first page, for its ' +
      'sharing test of a PTE-mapped large folio: a THP mapped once per page is split and its pages in the range ' +
      'made lazy-free again; one whose first page is not mapped here (estimated sharers 0) still stops the walk. ' +
      'Read in Debian 6.1.192 (a stable backport, in folio form), 6.5.0 and 6.6.9; 6.2.12 lacks it (6.2.y had ' +
      'ended). Id from the mainline commit list of 6.5-rc7.',
    scenarios: ['addrspace/madv-pte-thp-free-pageout'],
  },
  'madvise-cold-folio': {
    subject: 'madvise: convert madvise_cold_or_pageout_pte_range() to use folios',
    commit: '07e8c82b5eff',
    author: 'Vishal Moola (Oracle)',
    release: 'v6.3',
    files: ['mm/madvise.c'],
    effect: 'changes-verdict',
    summary:
      'madvise_cold_or_pageout_pte_range() asks whether a PTE-mapped large folio is mapped by this process only ' +
      'with folio_mapcount() instead of page_mapcount() of the page at hand (5.4.1 - 6.2.12, Debian 6.1.192). No ' +
      'modelled release has it without 2f406263e3e9, which replaced the test again (6.5). Id from the Fixes: tag ' +
      'of 2f406263e3e9.',
    scenarios: ['addrspace/madv-pte-thp-cold-pageout'],
  },
  'madvise-cold-estimated-sharers': {
    subject: "madvise:madvise_cold_or_pageout_pte_range(): don't use mapcount() against large folio for sharing check",
    commit: '2f406263e3e9',
    author: 'Yin Fengwei',
    release: 'v6.5',
    files: ['mm/madvise.c'],
    requires: ['madvise-cold-folio'],
    effect: 'changes-verdict',
    summary:
      'madvise_cold_or_pageout_pte_range() uses folio_estimated_sharers() (the first page\'s mapcount) for a ' +
      'PTE-mapped large folio: one whose first page is not mapped here stops the walk of the page table, where ' +
      '5.4.1 - 6.2.12 (page_mapcount of the page at hand) split it and advised its pages (read in 6.5.0, 6.6.9). ' +
      'Id from the mainline commit list of 6.5-rc7.',
    scenarios: ['addrspace/madv-pte-thp-cold-pageout'],
  },
  'madvise-cold-resched-batch': {
    subject: 'mm/madvise: add cond_resched() in madvise_cold_or_pageout_pte_range()',
    commit: 'b2f557a21bc8',
    author: 'Jiexun Wang',
    release: 'v6.7',
    files: ['mm/madvise.c'],
    effect: 'neutral',
    summary:
      'madvise_cold_or_pageout_pte_range() checks need_resched() every SWAP_CLUSTER_MAX (32) iterations of its loop ' +
      'over a page table and, when set, drops the PTE lock, calls cond_resched() and restarts at the same PTE: a ' +
      'scheduling point inside the table, where 5.4.1 - 6.6.9 hold the PTE lock over the whole table (absent in 6.6.9, ' +
      'present in 6.8.0, 6.9.0, 6.11.11, Debian 6.12.118 and 6.18.26; merged through mm-hotfixes-stable-2023-12-07, so ' +
      'first in v6.7; from 6.10 a large folio\'s batch counts as one iteration). It adds interleavings, not results, to ' +
      'the scenarios that walk 32 entries or more with another thread alive: their declared results are the same with ' +
      'and without it.',
    scenarios: ['concurrency/madv-cold-vs-madv-pageout-pte-thp'],
  },
} as const satisfies Record<string, PatchInfo>;

export const addrspaceReleaseAdds: ReleaseAdds<keyof typeof addrspacePatches> = {
  // Stable backports only (releases contain every patch of their release or earlier): vma-shared-maywrite is
  // v6.7 upstream, in Debian 6.1.192 by a stable backport.
  // madvise-free-estimated-sharers (v6.5) and the folio form of madvise_free_pte_range() it needs are in Debian
  // 6.1.192 by stable backport (read there); v6.2 (6.2.12) drops the first (releases.ts).
  'v6.1': ['vma-shared-maywrite', 'madvise-free-folio', 'madvise-free-estimated-sharers'],
};
