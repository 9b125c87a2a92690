/** Registry entries for mm/ outside gup.c: faults, COW and fork, migration, page allocation scopes, fs-DAX. */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const mmPatches = {
  'cma-prefer-movable': {
    subject: 'mm,page_alloc,cma: conditionally prefer cma pageblocks for movable allocations',
    commit: '16867664936e',
    author: 'Roman Gushchin',
    release: 'v5.8',
    files: ['mm/page_alloc.c'],
    effect: 'changes-verdict',
    summary:
      '__rmqueue() takes a movable allocation from CMA pageblocks first when the zone has more free CMA pages ' +
      'than half its free pages; before it CMA served movable requests only as a fallback. Decides whether ' +
      'faulted-in user pages land in CMA (and so whether long-term GUP must migrate them). First in 5.8: ' +
      '__rmqueue() of 5.7.14 has no such test, 5.8.1 has it.',
    scenarios: ['mm/cma-preferred-for-movable'],
  },
  'alloc-fastpath-task-gfp': {
    subject: 'mm: apply per-task gfp constraints in fast path',
    commit: 'da6df1b0fcfa',
    author: 'Pavel Tatashin',
    release: 'v5.13',
    files: ['mm/page_alloc.c'],
    effect: 'changes-verdict',
    summary:
      'current_gfp_context() (PF_MEMALLOC_NOCMA/PIN) is applied before the first get_page_from_freelist() ' +
      'attempt; before it the scope only narrowed the slow path, so a fault inside memalloc_nocma_save() could ' +
      'still return a CMA page. Id from the mainline commit list of the series that also holds d1e153fea2a8.',
    scenarios: [],
  },
  'memalloc-pin': {
    subject: 'mm cma: rename PF_MEMALLOC_NOCMA to PF_MEMALLOC_PIN',
    commit: '1a08ae36cf8b',
    author: 'Pavel Tatashin',
    release: 'v5.13',
    files: ['include/linux/sched.h', 'include/linux/sched/mm.h', 'mm/gup.c', 'mm/hugetlb.c'],
    effect: 'neutral',
    summary:
      'memalloc_nocma_save()/restore() and PF_MEMALLOC_NOCMA become memalloc_pin_save()/restore() and ' +
      'PF_MEMALLOC_PIN (same bit, same __GFP_MOVABLE stripping); callers in the model dispatch on this entry. ' +
      'Id from the same mainline commit list as da6df1b0fcfa.',
    scenarios: ['gup/cma-longterm-migrates'],
  },
  'wp-reuse-refcount': {
    subject: 'mm: do_wp_page() simplification',
    commit: '09854ba94c6a',
    author: 'Linus Torvalds',
    release: 'v5.9',
    files: ['mm/memory.c'],
    effect: 'changes-verdict',
    summary:
      'do_wp_page() reuses an anonymous page in place only when its refcount is 1 (no GUP reference or pin ' +
      'outstanding); before it reuse depended on the mapcount (reuse_swap_page), so a page referenced by GUP ' +
      'but mapped once was written in place (the CVE-2020-29374 read side). Id from a stable dependency list; ' +
      'the subject is the one the Fixes: tags and review mails citing 09854ba94c6a give ("mm: do_wp_page() ' +
      'simplification", introduced in 5.9).',
    scenarios: ['gup/bug9-gup-after-fork-leak'],
  },
  'anon-exclusive': {
    subject: 'mm: remember exclusively mapped anonymous pages with PG_anon_exclusive',
    commit: '6c287605fd56',
    author: 'David Hildenbrand',
    release: 'v5.19',
    files: ['mm/memory.c', 'mm/rmap.c', 'mm/huge_memory.c', 'mm/hugetlb.c', 'include/linux/page-flags.h'],
    effect: 'changes-verdict',
    summary:
      'Anonymous pages carry PageAnonExclusive: set when a fault maps a new or reused anon page, cleared when ' +
      'fork shares it. do_wp_page() reuses an exclusive page without looking at counts; a shared one is reused ' +
      'only with refcount 1 (then marked exclusive). FAULT_FLAG_UNSHARE copies a shared anon page for R/O pins.',
    scenarios: ['gup/bug9-gup-after-fork-leak'],
  },
  'vm-fault-write-removed': {
    subject: 'mm: remove VM_FAULT_WRITE',
    commit: 'cb8d86331343',
    author: 'David Hildenbrand',
    release: 'v6.2',
    files: ['mm/memory.c', 'mm/huge_memory.c', 'mm/gup.c', 'include/linux/mm_types.h'],
    effect: 'neutral',
    summary:
      'handle_mm_fault() no longer reports VM_FAULT_WRITE after breaking COW or reusing a page; GUP had stopped ' +
      'relying on it (FOLL_COW removal in 5535be309971). The model returns the bit only without this entry.',
    scenarios: ['gup/readonly-write'],
  },
  'map-droppable': {
    subject: 'mm: add MAP_DROPPABLE for designating always lazily freeable mappings',
    commit: '9651fcedf7b9',
    author: 'Jason A. Donenfeld',
    release: 'v6.11',
    files: ['mm/mmap.c', 'include/uapi/linux/mman.h'],
    effect: 'neutral',
    summary:
      'MAP_TYPE value 0x08 becomes a valid anonymous mapping type (droppable memory); before it mmap() returns ' +
      '-EINVAL for it. The model returns -EINVAL without this entry and records `unsupported` with it.',
    scenarios: ['gup/anon-gup-write'],
  },
  'mm-has-pinned': {
    subject: 'mm: Introduce mm_struct.has_pinned',
    commit: '008cfe4418b3',
    author: 'Peter Xu',
    release: 'v5.9',
    files: ['mm/gup.c', 'include/linux/mm_types.h'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'An mm remembers that a FOLL_PIN GUP (slow path in __get_user_pages_locked(), and gup-fast) ever ran on it; ' +
      'the flag is never cleared (a bit, MMF_HAS_PINNED, since a458b76a4171 in 5.13). The fork-time copy of pinned ' +
      'pages only looks at pages of such an mm. Without it no mm is marked and fork shares pinned pages. Came with ' +
      '70e806e4e645 in the same v5.9 series (id seen in that series\' commit lists).',
    scenarios: ['gup/bug8-pin-then-fork-cow'],
  },
  'fork-copy-pinned': {
    subject: 'mm: Do early cow for pinned pages during fork() for ptes',
    commit: '70e806e4e645',
    author: 'Peter Xu',
    release: 'v5.9',
    files: ['mm/memory.c'],
    requires: ['mm-has-pinned'],
    effect: 'changes-verdict',
    summary:
      'At fork, an anonymous page of a COW mapping that page_maybe_dma_pinned() (in an mm that has pinned) is copied ' +
      'for the child instead of being shared and write-protected, so the parent keeps writing to the page the ' +
      'device holds. Before it (v5.4) fork shares the pinned page, the parent\'s next write COWs away from it and ' +
      'the device and the process diverge. Id from a stable dependency list; subject confirmed in the v5.9 pull ' +
      'listing. PTEs only: hugetlb folios came later (hugetlb-fork-copy-pinned, 4eae4efa2c29, v5.12).',
    scenarios: ['gup/bug8-pin-then-fork-cow'],
  },
  'hugetlb-fork-copy-pinned': {
    subject: 'hugetlb: do early cow when page pinned on src mm',
    commit: '4eae4efa2c29',
    author: 'Peter Xu',
    release: 'v5.12',
    files: ['mm/hugetlb.c'],
    requires: ['fork-copy-pinned'],
    effect: 'changes-verdict',
    summary:
      'copy_hugetlb_page_range() gives the child a copy of an anonymous hugetlb folio of a COW mapping that may be ' +
      'DMA-pinned (mm has pinned), as 70e806e4e645 did for PTEs in 5.9; before it a pinned hugetlb folio is shared ' +
      'write-protected at fork and the parent\'s next write copies it away from the pin. Posted as v5 5/5 of Peter ' +
      'Xu\'s series on 17 Feb 2021; the full id is in a mainline commit list between the v5.12-rc2 and -rc3 merges.',
    scenarios: ['gup/hugetlb-pin-then-fork'],
  },
  'memfd-noexec': {
    subject: 'mm/memfd: add MFD_NOEXEC_SEAL and MFD_EXEC',
    commit: '105ff5339f49',
    author: 'Jeff Xu',
    release: 'v6.3',
    files: ['mm/memfd.c', 'include/uapi/linux/memfd.h'],
    effect: 'neutral',
    summary:
      'memfd_create() accepts MFD_NOEXEC_SEAL (0x8) and MFD_EXEC (0x10); before it those bits are -EINVAL. Only ' +
      'argument validation changes in the model (exec sealing is not modelled).',
    scenarios: ['gup/memfd-longterm-write'],
  },
  'fork-split-pinned-thp': {
    subject: "mm/thp: Split huge pmds/puds if they're pinned when fork()",
    commit: 'd042035eaf5f',
    author: 'Peter Xu',
    release: 'v5.9',
    files: ['mm/huge_memory.c', 'mm/memory.c'],
    requires: ['fork-copy-pinned'],
    effect: 'changes-verdict',
    summary:
      'copy_huge_pmd() splits the parent\'s PMD when the THP may be DMA-pinned (COW mapping, mm has pinned) and ' +
      'lets the PTE copy give the child 4 KiB copies; before it (v5.4) a pinned THP is shared write-protected and ' +
      'the parent later COWs away from it. In 6.1 the same decision is page_try_dup_anon_rmap(compound).',
    scenarios: ['gup/thp-pin-then-fork'],
  },
  'devdax-compound-pages': {
    subject: 'device-dax: compound devmap support',
    commit: '14606001efb4',
    author: 'Joao Martins',
    release: 'v5.17',
    files: ['drivers/dax/device.c'],
    effect: 'changes-verdict',
    summary:
      'dev_dax_probe() sets pgmap->vmemmap_shift from the device alignment, so memmap init (memmap_init_compound, ' +
      'from the same series) makes each align-sized block of a device-DAX namespace with align > 4 KiB one ' +
      'compound page (order 9 for 2 MiB): head refcount 1, tails 0, all PageReserved; dax_set_mapping() sets ' +
      'page->mapping on the head only. GUP references and FOLL_PIN pins of any subpage go to the folio (refcount + ' +
      'folio pincount, no GUP_PIN_COUNTING_BIAS). Before it (5.4–5.6) every device-DAX page is order 0. Id from a ' +
      'mainline commit list of the series (linux-next carried the same subject under other ids).',
    scenarios: ['vfio/map-devdax'],
  },
  'fsdax-refcounted-folios': {
    subject: 'fs/dax: properly refcount fs dax pages',
    commit: '38607c62b34b',
    author: 'Alistair Popple',
    release: 'v6.15',
    files: ['fs/dax.c', 'mm/memremap.c', 'mm/mm_init.c', 'mm/gup.c', 'include/linux/dax.h'],
    effect: 'changes-verdict',
    summary:
      'fs-DAX pages become ordinary refcounted folios: memmap init leaves an fs-DAX page at refcount 0 ' +
      '(__init_zone_device_page), idle means refcount 0 (dax_page_is_idle), a new DAX entry sets the folio\'s ' +
      'mapping and index and, for a PMD entry, makes its 512 pages one compound folio (dax_folio_init), split ' +
      'back to order-0 pages when the entry goes (dax_folio_put); a fault maps the page with a reference and a ' +
      'map count (vmf_insert_page_mkwrite, vmf_insert_folio_pmd: plain PTE/PMD entries, neither special nor ' +
      'devmap), so zap, rmap and GUP treat them as file folios; dax_busy_page() is busy when the folio\'s ' +
      'references exceed its map count; the last put wakes a waiting truncate (free_zone_device_folio). ' +
      'Before it (5.4.1 to 6.12.118) an fs-DAX page is an order-0 ZONE_DEVICE page idle at refcount 1 that ' +
      'mappings do not count (devmap entries), busy above 1. Read in 6.18.26 fs/dax.c, mm/memory.c, ' +
      'mm/huge_memory.c, mm/memremap.c, mm/mm_init.c (fs/dax.ts, mm/page_alloc.ts, fs/ext4.ts). Id from ' +
      'Fixes: tags of v6.15-rc and later fixes ("Fixes: 38607c62b34b").',
    scenarios: ['concurrency/truncate-vs-pin-in-dax-pmd', 'gup/fsdax-pmd-folio'],
  },
  'devdax-refcounted-mapping': {
    subject: 'device/dax: properly refcount device dax pages when mapping',
    commit: 'aed877c2b425',
    author: 'Alistair Popple',
    release: 'v6.15',
    files: ['drivers/dax/device.c', 'mm/gup.c', 'mm/huge_memory.c', 'mm/memory.c'],
    effect: 'changes-verdict',
    summary:
      'device-DAX faults map folios with references and map counts (vmf_insert_page_mkwrite, ' +
      'vmf_insert_folio_pmd) instead of special devmap entries: a mapped 2 MiB device-DAX folio has refcount ' +
      '1 (memmap init, kept idle: free_zone_device_folio resets MEMORY_DEVICE_GENERIC to 1) + 1 per PMD ' +
      'mapping, and GUP pins it as an ordinary large folio. Read in 6.18.26 drivers/dax/device.c ' +
      '(drivers/dax/device.ts). MODEL: no PUD (1 GiB) alignment. Id as quoted by its author in a September ' +
      '2025 patch mail ("Prior to aed877c2b425 ("device/dax: properly refcount device dax pages when ' +
      'mapping")"), and in the akpm/mm post-receive list of 18 Mar 2025 beside 38607c62b34b.',
    scenarios: ['vfio/map-devdax'],
  },
  'gup-fsdax-longterm-unpinnable': {
    subject: 'mm/gup: don\'t allow FOLL_LONGTERM pinning of FS DAX pages',
    commit: 'e5cb23256347',
    author: 'Alistair Popple',
    release: 'v6.15',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    effect: 'changes-verdict',
    summary:
      'folio_is_longterm_pinnable() answers false for an fs-DAX folio, so gup-fast\'s grab ' +
      '(try_grab_folio_fast) refuses a FOLL_LONGTERM pin of one, now that the devmap test that used to stop ' +
      'gup-fast there is gone; the slow path refuses it in check_vma_flags() as before. Read in 6.18.26 ' +
      'include/linux/mm.h (include/linux/mm.ts is_longterm_pinnable_page). Id from the akpm/mm post-receive ' +
      'list of 18 Mar 2025 (mm-everything revlist), in the run of the series whose other ids (38607c62b34b, ' +
      'aed877c2b425, bde708f1a65d) are the mainline ones Fixes: tags cite.',
    scenarios: ['gup/fsdax-pmd-folio'],
  },
  'dax-busy-page-unmapped': {
    subject: 'fs/dax: return unmapped busy pages from dax_layout_busy_page_range()',
    commit: 'cee91fa13a8e',
    author: 'Alistair Popple',
    release: 'v6.15',
    files: ['fs/dax.c'],
    effect: 'changes-verdict',
    summary:
      'dax_layout_busy_page_range() no longer returns early when no VMA maps the file (mapping_mapped): a ' +
      'truncate or hole punch of an fs-DAX file that is no longer mmapped still waits for pages a GUP ' +
      'reference or pin holds. Before it (5.4.1 to 6.12.118) such a truncate frees the blocks under the pin. ' +
      'Read in 6.18.26 fs/dax.c (fs/dax.ts dax_layout_busy_page). Id from the akpm/mm post-receive list of ' +
      '18 Mar 2025, same series and list as gup-fsdax-longterm-unpinnable.',
    scenarios: ['gup/fsdax-unmapped-truncate'],
  },
  'dax-break-layouts-remove-entries': {
    subject: 'fs/dax: always remove DAX page-cache entries when breaking layouts',
    commit: 'bde708f1a65d',
    author: 'Alistair Popple',
    release: 'v6.15',
    files: ['fs/dax.c', 'fs/ext4/inode.c'],
    effect: 'changes-verdict',
    summary:
      'dax_break_layout() (ext4_break_layouts through dax_break_layout_inode) removes every DAX entry of the ' +
      'file once no page is busy (dax_delete_mapping_range), so each block\'s folio loses its mapping and a ' +
      'PMD folio is split back to order-0 pages, even when the size change keeps the blocks. Read in 6.18.26 ' +
      'fs/dax.c and fs/ext4/inode.c (fs/ext4.ts ext4_break_layouts). Id from Fixes: tags ' +
      '("Fixes: bde708f1a65d") and a kernel test robot report on torvalds/linux master.',
    scenarios: ['gup/fsdax-pmd-folio'],
  },
  'hugetlb-pool-batch': {
    subject: 'hugetlb: restructure pool allocations',
    commit: 'd67e32f26713',
    author: 'Mike Kravetz',
    release: 'v6.7',
    files: ['mm/hugetlb.c'],
    effect: 'changes-verdict',
    summary:
      'Growing the pool (nr_hugepages, boot-time hugepages=) gathers the new folios on a local list with list_add and ' +
      'enqueues them together from its head (prep_and_add_allocated_folios), so the first folio allocated ends up ' +
      'at the head of the free list and is the first one handed out. Before it (5.4.1, 6.1.192) each new folio was ' +
      'freed into the pool as soon as it was allocated (put_page / free_huge_page → enqueue at the head), so the ' +
      'last one allocated came out first. Freeing a used folio enqueues at the head in every release. Id from ' +
      'later Fixes: tags; read in Debian 6.12.117 (set_max_huge_pages, prep_and_add_allocated_folios).',
    scenarios: ['mm/hugetlb-pool-order'],
  },
  'hugetlbfs-punch-zero-partial': {
    subject: 'hugetlbfs: zero partial pages during fallocate hole punch',
    commit: '68d32527d340',
    author: 'Mike Kravetz',
    release: 'v5.19',
    files: ['fs/hugetlbfs/inode.c'],
    effect: 'changes-verdict',
    summary:
      'hugetlbfs_punch_hole() zeroes the parts of the huge pages at either edge of the hole in place ' +
      '(hugetlbfs_zero_partial_page) and takes inode_lock even when the hole holds no whole huge page; before ' +
      'it (v5.4-v5.6) a punch that covers no whole huge page does nothing and partial pages keep their data. ' +
      'Id from a kernel.org post-receive list of mainline commits (beside 034e5afad921); the code is in the ' +
      '5.19.0, 6.1.192 and 6.12.117 trees and not in 5.6.4.',
    scenarios: ['mm/hugetlb-punch-partial', 'mm/hugetlb-punch-pinned'],
  },
  'madvise-dontneed-hugetlb': {
    subject: 'mm: enable MADV_DONTNEED for hugetlb mappings',
    commit: '90e7e7f5ef3f',
    author: 'Mike Kravetz',
    release: 'v5.18',
    files: ['mm/madvise.c'],
    effect: 'changes-verdict',
    summary:
      'madvise(MADV_DONTNEED) on a hugetlb VMA zaps the huge pages (madvise_dontneed_free_valid_vma: start ' +
      'must be huge-page aligned, else -EINVAL; the end is rounded up to a huge page); before it ' +
      'can_madv_lru_vma() refuses VM_HUGETLB with -EINVAL (v5.4-v5.6). Id from the Fixes: tags of later ' +
      'hugetlb MADV_DONTNEED fixes; the 5.19.0 tree has the rounding up.',
    scenarios: ['mm/hugetlb-madv-dontneed'],
  },
  'madvise-dontneed-hugetlb-align-down': {
    subject: 'mm,madvise,hugetlb: fix unexpected data loss with MADV_DONTNEED on hugetlbfs',
    commit: '8ebe0a5eaaeb',
    author: 'Rik van Riel',
    release: 'v6.1',
    files: ['mm/madvise.c'],
    requires: ['madvise-dontneed-hugetlb'],
    effect: 'changes-verdict',
    summary:
      'The end of a hugetlb MADV_DONTNEED range is rounded down to a huge page instead of up, so a length ' +
      'shorter than a huge page zaps nothing (returns 0) rather than the whole huge page. Id from the Fixes: tag ' +
      'of "mm,madvise,hugetlb: check for 0-length range after end address adjustment"; present in the 6.1.192 ' +
      '(ALIGN_DOWN), 6.5.0 and 6.12.117 trees, absent in 5.19.0. 6.1 has it from mainline: the 6.0.y stable ' +
      'backport of 2 November 2022 ("commit 8ebe0a5eaaeb upstream") shows it in mainline during the 6.1-rc ' +
      'cycle.',
    scenarios: ['mm/hugetlb-madv-dontneed'],
  },
  'exit-mmap-write-lock': {
    subject: 'mm: protect free_pgtables with mmap_lock write lock in exit_mmap',
    commit: '64591e8605d6',
    author: 'Suren Baghdasaryan',
    release: 'v5.18',
    files: ['mm/mmap.c'],
    effect: 'changes-verdict',
    summary:
      'exit_mmap() takes mmap_lock for write around the whole tear-down (unmap_vmas, free_pgtables, ' +
      'remove_vma); before it (v5.4-v5.6) it takes no lock outside the OOM-victim path, so a thread that holds ' +
      'mmap_lock of the dying mm (with only an mm_count reference) is not waited for. Id from Suren ' +
      'Baghdasaryan\'s own reference in the process_mrelease discussion; the 5.19.0 tree has it (release ' +
      'UNVERIFIED: queued in Feb 2022).',
    scenarios: [],
  },
  'exit-mmap-read-lock-unmap': {
    subject: 'mm: drop oom code from exit_mmap',
    commit: 'bf3980c85212',
    author: 'Suren Baghdasaryan',
    release: 'v6.0',
    files: ['mm/mmap.c'],
    requires: ['exit-mmap-write-lock'],
    effect: 'neutral',
    summary:
      'exit_mmap() zaps the page tables (unmap_vmas) under mmap_lock for read, drops it, then takes it for write ' +
      'for free_pgtables and remove_vma (the 6.1.192 and 6.12.117 shape); the OOM-victim reaping block goes. ' +
      'A holder of mmap_lock is waited for either way. Id from Linus Torvalds\'s remark that this commit ' +
      'changed exit_mmap from the write lock over the whole sequence to starting with the read lock.',
    scenarios: [],
  },
  'exit-mmap-empty-write-lock': {
    subject: 'fork: use __mt_dup() to duplicate maple tree in dup_mmap()',
    commit: 'd24062914837',
    author: 'Peng Zhang',
    release: 'v6.8',
    files: ['kernel/fork.c', 'mm/mmap.c', 'mm/memory.c'],
    requires: ['exit-mmap-read-lock-unmap'],
    effect: 'neutral',
    summary:
      'exit_mmap() of an mm with no VMAs (or a dup_mmap() that failed half-way, marked with XA_ZERO_ENTRY) ' +
      'drops the read lock and then takes mmap_lock for write before destroying the tree; before it (6.1.192) ' +
      'it returned after the read lock. Id from the Fixes: tags of later dup_mmap fixes; the change is in the ' +
      'patch as posted (v5 10/10) and in the 6.12.117 tree.',
    scenarios: [],
  },
  'migrate-split-partially-mapped': {
    subject: 'mm/migrate: split source folio if it is on deferred split list',
    commit: '7262f208ca68',
    author: 'Zi Yan',
    release: 'v6.10',
    files: ['mm/migrate.c'],
    effect: 'changes-verdict',
    summary:
      'migrate_pages_batch() splits a large folio that sits on the deferred split list before migrating it ' +
      '(try_split_folio), counts it as one failure and migrates the order-0 pieces after the list; 8422acdc97ed ' +
      '("mm: introduce a pageflag for partially mapped folios", v6.12) narrowed the test to folios flagged ' +
      'partially mapped (some subpages unmapped), which is what the model checks. Before it (5.4, 6.1) such a ' +
      'THP is migrated whole. Release: v6.10 (a kernel test robot report against it on torvalds master during ' +
      'the 6.10-rc cycle, and Hugh Dickins\'s fix of it was "a hotfix to 6.10-rc, not needed for stable", so ' +
      '6.9 does not have it); the id is the one named by the Fixes: tags of its follow-ups.',
    folds: [
      { change: 'the split is narrowed to folios flagged partially mapped (8422acdc97ed, "mm: introduce a pageflag for partially mapped folios")', commit: '8422acdc97ed', from: 'v6.12', by: 'v6.12' },
      { change: 'madvise_cold_or_pageout_pte_range() takes the PTEs mapping consecutive pages of a large folio as one batch (folio_pte_batch): a folio the range covers whole is deactivated or isolated whole, not split; one it covers in part is split unless folio_likely_mapped_shared(), and a failed split or a shared folio skips the batch instead of ending the walk of the page table (Ryan Roberts, "mm: madvise: avoid split during MADV_PAGEOUT and MADV_COLD"; absent in 6.9.0 (ec-jt/linux-6.9.0 @ dd616aa63), present in 6.11.11 (segzix/linux-6.11.11 @ 323e1467a) and Debian 6.12.117; madvise.ts pte_large_folio). The store holds it only in mm-unstable and linux-next commit lists of April 2024 (ids that were rebased), so its mainline id is not verified', commit: null, from: 'v6.10', by: 'v6.11' },
      { change: 'madvise_free_pte_range() batches a large folio the same way and marks a whole one lazy-free as one (Lance Yang, "mm/madvise: optimize lazyfreeing with mTHP in madvise_free"; absent in 6.9.0, present in 6.11.11 and Debian 6.12.117; madvise.ts pte_large_folio). Only mm-unstable and linux-next ids are in the store', commit: null, from: 'v6.10', by: 'v6.11' },
      { change: 'folio_estimated_sharers() becomes folio_likely_mapped_shared() (a folio with more mappings than pages, or a PMD mapping, counts as shared; else the first page mapped more than once), used by both PTE paths above (present in 6.11.11; 6.9.0 still tests folio_estimated_sharers() > 1 in the COLD/PAGEOUT path and != 1 in the FREE path; madvise.ts folio_likely_mapped_shared). Only an mm-unstable id is in the store', commit: null, from: 'v6.10', by: 'v6.11' },
    ],
    scenarios: ['io_uring/register-thp-partially-mapped', 'addrspace/madv-pte-thp-free-pageout', 'addrspace/madv-pte-thp-cold-pageout'],
  },
  'thp-split-remap-zeropage': {
    subject: 'mm: remap unused subpages to shared zeropage when splitting isolated thp',
    commit: 'b1f202060afe',
    author: 'Yu Zhao',
    release: 'v6.12',
    files: ['mm/huge_memory.c', 'mm/migrate.c'],
    effect: 'changes-verdict',
    summary:
      'When an anonymous THP is split (__split_huge_page → remap_page with RMP_USE_SHARED_ZEROPAGE), a mapped ' +
      'subpage whose data is all zeroes is mapped to the shared zero page instead of back to itself ' +
      '(try_to_map_unused_to_zeropage; not for mlocked folios or VM_LOCKED VMAs), and the piece is freed. ' +
      'Id from the mainline commit list that also holds 8422acdc97ed.',
    scenarios: ['io_uring/register-thp-partially-mapped', 'io_uring/register-thp-cma-no-huge-target', 'addrspace/madv-thp-cold-pageout'],
  },
  'thp-cow-split': {
    subject: 'thp: change CoW semantics for anon-THP',
    commit: '3917c80280c9',
    author: 'Kirill A. Shutemov',
    release: 'v5.8',
    files: ['mm/huge_memory.c'],
    effect: 'changes-verdict',
    summary:
      'do_huge_pmd_wp_page() no longer allocates a new THP for a write fault on a shared THP or on the huge zero ' +
      'page: it splits the PMD and lets the fault copy one 4 KiB page (a huge zero PMD becomes 512 PTEs of the ' +
      '4 KiB zero page). Before it (5.4–5.6) a write to a huge zero PMD in a THP-enabled VMA maps a fresh zeroed ' +
      'order-9 folio, and a write to a shared THP copies the whole folio into a new THP (or, when the VMA no longer ' +
      'allows THP, into 512 new 4 KiB pages: do_huge_pmd_wp_page_fallback). Id and subject from the Fixes: tags of ' +
      'later fixes (v5.8+).',
    scenarios: ['mm/huge-zero-write-after-read', 'mm/thp-cow-after-fork', 'vfio/map-huge-zero-rw-after-read'],
  },
  'contig-range-thp': {
    subject: 'mm,thp,compaction,cma: allow THP migration for CMA allocations',
    commit: '1da2f328fa64',
    author: 'Rik van Riel',
    release: 'v5.7',
    files: ['mm/compaction.c', 'mm/page_alloc.c'],
    effect: 'changes-verdict',
    summary:
      'isolate_migratepages_block() stops skipping compound pages when the scan is for alloc_contig_range() ' +
      '(cc->alloc_contig): a THP in a range cma_alloc wants is isolated and migrated whole. Before it a THP ' +
      'made the range busy (-EBUSY). Read in mm/compaction.ts (the migrate_page scenario operation).',
    scenarios: ['mm/migrate-page-contig'],
  },
  'contig-range-hugetlb': {
    subject: 'mm: make alloc_contig_range handle in-use hugetlb pages',
    commit: 'ae37c7ff79f1',
    author: 'Oscar Salvador',
    release: 'v5.13',
    files: ['mm/compaction.c', 'mm/hugetlb.c', 'include/linux/hugetlb.h'],
    effect: 'changes-verdict',
    summary:
      'isolate_migratepages_block() with cc->alloc_contig hands an in-use hugetlb folio to ' +
      'isolate_or_dissolve_huge_page(), which isolates it for migration; before it a hugetlb page in the range ' +
      'was skipped as a compound page and alloc_contig_range() failed with -EBUSY.',
    scenarios: ['mm/migrate-page-contig'],
  },
  'hotplug-no-holes': {
    subject: "mm/memory_hotplug.c: don't allow to online/offline memory blocks with holes",
    commit: 'c5e79ef561b0',
    author: 'David Hildenbrand',
    release: 'v5.5',
    files: ['mm/memory_hotplug.c'],
    effect: 'changes-verdict',
    summary:
      'offline_pages() refuses a memory block whose frames are not all System RAM with -EINVAL ("memory holes"); ' +
      'before it (5.4.1 __offline_pages) the RAM of such a block was isolated, emptied and offlined. Read in ' +
      'mm/memory_hotplug.ts. Id and subject from later commits that cite it (5.5-rc5 has the check, 5.4.1 not).',
    folds: [
      {
        change:
          'check_and_migrate_cma_pages() keeps the re-GUP result in a signed long (gup.ts): 5.4.1 stores it in its ' +
          'unsigned long nr_pages, so a failed re-GUP (-errno) passes the `> 0` test and the check loop walks ' +
          'pages[] past its end (an oops). zhong jiang, "mm: Unsigned \'nr_pages\' always larger than zero" ' +
          '(linux-mm, September-October 2019; Andrew Morton asked for the `long ret` form 5.5-rc5 has). Its ' +
          'mainline id is not identified: the store has the thread (v1, v2 and Andrew Morton\'s request of 16 ' +
          'October 2019 for a resend) but no commit list, stable mail or Fixes: tag that names the merged commit; ' +
          'the release is bracketed by 5.4.1 (unsigned) and 5.5-rc5 (signed). Folded into this entry only because ' +
          'it is a v5.5 change with no entry of its own: the ' +
          'two are unrelated. Searched again (helper-13f): find_string "nr_pages\' always larger than zero" (10 hits, all mails of the v1/v2 ' +
          'thread, none after 16 October 2019), pages search for a stable or upstream mail on check_and_migrate_cma_pages: none',
        commit: null,
        from: 'v5.5',
        by: 'v5.5',
      },
    ],
    scenarios: ['hotplug/offline-block-with-holes', 'gup/cma-longterm-repin-killed'],
  },
  'hotplug-shrink-zone-offline': {
    subject: 'mm/memory_hotplug: shrink zones when offlining memory',
    commit: 'feee6b298916',
    author: 'David Hildenbrand',
    release: 'v5.5',
    files: ['mm/memory_hotplug.c'],
    effect: 'changes-verdict',
    summary:
      'offline_pages() ends with remove_pfn_range_from_zone(), which shrinks the zone span when the offlined ' +
      'block was at its edge; 5.4.1 shrank it only when the memory was removed. A later plain `online` of that ' +
      'block then finds no zone spanning it and picks the kernel zone (ZONE_NORMAL) instead of ZONE_MOVABLE ' +
      '(default_zone_for_pfn). Read in mm/memory_hotplug.ts (5.5-rc5 has it, 5.4.1 not).',
    scenarios: ['hotplug/offline-online-zone'],
  },
  'alloc-nocma-fastpath': {
    subject: 'mm/page_alloc: fix memalloc_nocma_{save/restore} APIs',
    commit: '8510e69c8efe',
    author: 'Joonsoo Kim',
    release: 'v5.9',
    files: ['mm/page_alloc.c'],
    effect: 'changes-verdict',
    summary:
      'current_alloc_flags(): the first get_page_from_freelist() of a task inside memalloc_nocma_save() loses ' +
      'ALLOC_CMA, so a movable allocation there (a long-term GUP\'s fault, a migration target) no longer comes ' +
      'from CMA pageblocks through the fast path; before it (5.4.1-5.8.1) only the slow path saw the scope. ' +
      'Present in 5.9.1-5.12.9; 5.15.24 has none (alloc-fastpath-task-gfp applies the whole scope to the fast ' +
      'path instead). Id and subject from the Fixes: tag of its pcplist follow-up and a mainline commit list.',
    scenarios: [],
  },
} as const satisfies Record<string, PatchInfo>;

/** Stable backports of this area per release tree (patches in by first release need no listing). */
export const mmReleaseAdds: ReleaseAdds<keyof typeof mmPatches> = {};
