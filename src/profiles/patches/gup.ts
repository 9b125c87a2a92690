/**
 * Registry entries for mm/gup.c: GUP/PUP entry points, FOLL_* validation, FOLL_LONGTERM
 * rules, GUP-fast, pin accounting. The seed pair (c4237f8b1f4f, 3567813eae5e) lives in
 * seed.ts.
 *
 * Commit ids: from from
 * Fixes: tags or commit lists found with the search tools, as noted per entry. Where the
 * first release is only bracketed by the trees read, the summary says so.
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const gupPatches = {
  'pin-user-pages-api': {
    subject: 'mm/gup: introduce pin_user_pages*() and FOLL_PIN',
    commit: 'eddb1c228f79',
    author: 'John Hubbard',
    release: 'v5.6',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    effect: 'changes-verdict',
    summary:
      'pin_user_pages(), pin_user_pages_fast(), pin_user_pages_remote(), unpin_user_page(s)(_dirty_lock) appear; ' +
      'in 5.6 they are plain aliases of the get_user_pages*() twins (FOLL_PIN is not even OR-ed in) and unpin is ' +
      'put_page(). FOLL_PIN (0x40000) is defined and get_user_pages/_remote/_fast WARN and return -EINVAL when a ' +
      'caller passes it; the gup-fast flag mask also admits FOLL_FORCE and FOLL_PIN. (5.6.4 read.)',
    scenarios: ['gup/get-with-foll-pin'],
  },
  'foll-pin-counting': {
    subject: 'mm/gup: track FOLL_PIN pages',
    commit: '3faa52c03f44',
    author: 'John Hubbard',
    release: 'v5.7',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    requires: ['pin-user-pages-api'],
    effect: 'changes-verdict',
    summary:
      'pin_user_pages*() OR in FOLL_PIN; a pin of a small page adds GUP_PIN_COUNTING_BIAS (1024) to the refcount and ' +
      'unpin subtracts it, so page_maybe_dma_pinned() can tell pins from references; pin_* reject FOLL_GET (WARN, ' +
      '-EINVAL). get_user_pages_fast() passes FOLL_GET, and gup-fast\'s flag mask admits it (5.7.14 mask: WRITE, ' +
      'LONGTERM, FORCE, PIN, GET; 5.6.4 without GET). Id seen in a stable dependency list; Debian 6.1.192 read.',
    scenarios: ['gup/pin-with-foll-get'],
  },
  'foll-pin-hpage-pincount': {
    subject: 'mm/gup: page->hpage_pinned_refcount: exact pin counts for huge pages',
    commit: '47e29d32afba',
    author: 'John Hubbard',
    release: 'v5.7',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'Pins of large folios count in a separate pincount (+1 refcount, +1 pincount per pinned subpage) instead of ' +
      'the 1024 bias. In Debian 6.1.192 every large folio has it (compound_pincount in page[1]; folio_test_large()).',
    scenarios: ['gup/thp-pin-refcount'],
  },
  'gup-retry-multiple': {
    subject: 'mm/gup: allow VM_FAULT_RETRY for multiple times',
    commit: '4426e945df58',
    author: 'Peter Xu',
    release: 'v5.7',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'After a VM_FAULT_RETRY the single-page re-fault in __get_user_pages_locked() passes `locked` again (with ' +
      'FOLL_TRIED), so it may drop mmap_lock again and is repeated until it succeeds; before it, the re-fault ran ' +
      'with locked = NULL (no ALLOW_RETRY) exactly once. Id from a syzbot bisection and a Fixes: tag. The 6.1 ' +
      'body the model switches on it also carries ae46d2aa6a7f (5.7, Fixes: 4426e945df58: -EINTR when the retry ' +
      'loop sees a fatal signal before anything was pinned; seen in its lore posting).',
    scenarios: ['gup/retry-twice-vs-munmap'],
  },
  'gup-fatal-signals': {
    subject: 'mm/gup: allow to react to fatal signals',
    commit: '71335f37c5e8',
    author: 'Peter Xu',
    release: 'v5.7',
    files: ['mm/gup.c'],
    requires: ['gup-retry-multiple'],
    effect: 'changes-verdict',
    summary:
      'The retry loop checks fatal_signal_pending() before re-taking mmap_lock (killable) and returns -EINTR if ' +
      'nothing was pinned yet; faults get FAULT_FLAG_KILLABLE. The model also switches __get_user_pages()\'s own ' +
      'fatal-signal return from -ERESTARTSYS (5.4-5.6) to -EINTR (6.1) on this patch, although the v5 posting of this ' +
      'patch (lore, 2019-09-26) does not change that line: it is Michal Hocko\'s "mm, gup: return EINTR when gup is ' +
      'interrupted by fatal signals" (posted 9 April 2020, after 5.6, acked by Linus Torvalds and left to the mm ' +
      'tree), whose commit id is UNVERIFIED, so the two stay folded here. Its release is settled: 5.6.4 returns ' +
      '-ERESTARTSYS there, 5.7.14, 5.8.1, 5.9.1, 5.10.7, 5.11.14, 5.12.9 and 5.15.24 return -EINTR.',
    folds: [
      { change: '__get_user_pages() returns -EINTR instead of -ERESTARTSYS for a fatal signal (Michal Hocko, "mm, gup: return EINTR when gup is interrupted by fatal signals", posted 9 April 2020; -ERESTARTSYS in 5.6.4, -EINTR in 5.7.14; gup.ts fatal_errno). Searched again (helper-13f): find_string on the subject finds only the patch and Linus Torvalds\'s reply (9 April 2020); the quoted-subject form of a Fixes: tag, the pages, issues and code corpora (subject and commit text) give no id. Its mm/gup.c post-image blob (50681f0286de) is the base of Michal Hocko\'s "mm, mempolicy: fix up gup usage in lookup_node" of 21 April 2020, so it was in the mm tree by then. Not ae46d2aa6a7f ("mm/gup: Let __get_user_pages_locked() return -EINTR for fatal signal", Hillf Danton/Peter Xu), which changes the retry loop, not __get_user_pages()', commit: null, from: 'v5.7', by: 'v5.7' },
    ],
    scenarios: [],
  },
  'gup-fast-longterm-cma-check': {
    subject: 'mm/gup: fix omission of check on FOLL_LONGTERM in gup fast path',
    commit: 'df3a0a21b698',
    author: 'Pingfan Liu',
    release: 'v5.7',
    files: ['mm/gup.c'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'GUP-fast with FOLL_PIN|FOLL_LONGTERM stops at a page that may not be pinned long-term (CMA then; later also ' +
      'ZONE_MOVABLE, MIGRATE_ISOLATE and device-coherent) so the slow path migrates it; 5.4-5.6 pinned CMA pages ' +
      'found by the lockless walk in place. The check sits in the gup-fast grab helper (try_grab_compound_head() in ' +
      '5.7.14-5.15.24: is_migrate_cma_page() until 5.12.9, is_pinnable_page() in 5.15.24), which the hugetlb slow ' +
      'path also uses from hugetlb-grab-refs-once (0fa5bc4023c1, v5.12): the model reads both there ' +
      '(gup.ts hugetlb_grab_refuses_longterm; 5.12.9 follow_hugetlb_page() WARNs and fails -ENOMEM).',
    scenarios: ['gup/cma-pin-fast-longterm'],
  },
  'gup-no-longterm-for-get': {
    subject: "mm/gup: don't permit users to call get_user_pages with FOLL_LONGTERM",
    commit: '447f3e45c18a',
    author: 'Barry Song',
    release: 'v5.10',
    files: ['mm/gup.c'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'is_valid_gup_flags(): get_user_pages(), get_user_pages_remote() and get_user_pages_fast() WARN and return ' +
      '-EINVAL for FOLL_PIN or FOLL_LONGTERM, so only pin_user_pages*() can request a long-term pin. Closes again ' +
      'the get_user_pages_remote(FOLL_LONGTERM) path the seed patch opened. Id from a commit list.',
    scenarios: ['gup/remote-longterm-no-locked', 'gup/cma-gup-fast-longterm'],
  },
  'gup-longterm-unpin': {
    subject: 'mm/gup: use unpin_user_pages() in __gup_longterm_locked()',
    commit: '96e1fac162cc',
    author: 'Jason Gunthorpe',
    release: 'v5.10',
    files: ['mm/gup.c'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'The fs-DAX error path and the CMA-migration path drop FOLL_PIN pins with unpin (subtracting the 1024 bias) ' +
      'instead of put_page(); 5.7-5.9 leaked 1023 references per page. The model ' +
      'reads it where 6.1/6.12 still unpin before migrating (migrate_longterm_unpinnable_pages); the fs-DAX path ' +
      'it also fixed is gone by 6.1, and 5.4-5.6 pins are plain references.',
    scenarios: ['gup/cma-longterm-migrates'],
  },
  'gup-dax-check-in-vma-flags': {
    subject: 'mm/gup: remove the vma allocation from gup_longterm_locked()',
    commit: '52650c8b466b',
    author: 'Jason Gunthorpe',
    release: 'v5.11',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'The fs-DAX refusal for FOLL_LONGTERM moves from the post-hoc, all-or-nothing check_dax_vmas() over a ' +
      'temporary vmas[] array into check_vma_flags(): -EOPNOTSUPP per VMA, under mmap_lock, during the walk (a ' +
      'range reaching an fs-DAX VMA after good pages returns the partial count). Removes the §1.4 hazard.',
    scenarios: ['gup/fsdax-longterm', 'seed/vfio-map-fsdax', 'gup/bug2-longterm-droppable-lock'],
  },
  'gup-fast-wp-seq': {
    subject: 'mm/gup: prevent gup_fast from racing with COW during fork',
    commit: '57efa1fe5957',
    author: 'Jason Gunthorpe',
    release: 'v5.11',
    files: ['mm/gup.c'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'GUP-fast with FOLL_PIN samples mm->write_protect_seq; if fork() is write-protecting (odd) or the count ' +
      'changed, everything the lockless walk pinned is unpinned and the slow path does the work.',
    scenarios: [],
  },
  'gup-migration-isolation-errors': {
    subject: 'mm/gup: check for isolation errors',
    commit: '6e7f34ebb8d2',
    author: 'Pavel Tatashin',
    release: 'v5.12',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'A page that could not be isolated for migration is no longer silently pinned in place: the whole GUP is ' +
      'retried. Id from a Fixes:/dependency list.',
    scenarios: [],
  },
  'gup-migration-failure-error': {
    subject: 'mm/gup: return an error on migration failure',
    commit: 'f0f4463837da',
    author: 'Pavel Tatashin',
    release: 'v5.12',
    files: ['mm/gup.c'],
    requires: ['gup-migration-isolation-errors'],
    effect: 'changes-verdict',
    summary:
      'When migrating unpinnable pages fails, the long-term GUP drops every pin it took and returns -ENOMEM ' +
      'instead of re-pinning in place and reporting success. The model reads it ' +
      'in the 6.x check_and_migrate_movable_pages(); the ablation GUPs once more without migrating, as 5.11 did.',
    scenarios: ['gup/cma-longterm-migration-fails'],
  },
  'gup-migrate-movable-zone': {
    subject: 'mm/gup: migrate pinned pages out of movable zone',
    commit: 'd1e153fea2a8',
    author: 'Pavel Tatashin',
    release: 'v5.13',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    requires: ['gup-migration-failure-error'],
    effect: 'changes-verdict',
    summary:
      'Pages in ZONE_MOVABLE are not long-term pinnable either (is_pinnable_page(), zero page exempt): they are ' +
      'migrated out before a long-term pin like CMA pages, so pins no longer block memory hot-unplug. Debian ' +
      '6.1.192 also treats MIGRATE_ISOLATE pageblocks and device-coherent pages as unpinnable ' +
      '(is_longterm_pinnable_page()), which 5.15.24\'s is_pinnable_page() does not: MODEL: neither is modelled ' +
      '(no MIGRATE_ISOLATE pageblocks, no device-coherent memory), so no switch reads those later commits.',
    scenarios: ['gup/movable-longterm'],
  },
  'gup-hugetlb-grab-no-longterm-check': {
    subject: 'mm: gup: stop abusing try_grab_folio',
    commit: 'f442fa614137',
    author: 'Yang Shi',
    release: 'v6.10',
    files: ['mm/gup.c', 'mm/huge_memory.c', 'mm/internal.h'],
    requires: ['gup-fast-longterm-cma-check'],
    effect: 'changes-verdict',
    summary:
      'The slow GUP path stops using the gup-fast grab helper, whose FOLL_LONGTERM check refuses pages that may ' +
      'not be pinned long-term. Before it (read in Debian 6.1.192: follow_hugetlb_page() → try_grab_folio()), a ' +
      'long-term pin of a hugetlb folio in ZONE_MOVABLE or CMA WARNs and fails -ENOMEM instead of migrating it ' +
      '(the real 6.1.192 kernel: -ENOMEM, folio left in ZONE_MOVABLE; 6.12.117: migrated and pinned). ' +
      'follow_hugetlb_page() has grabbed through the gup-fast helper (then try_grab_compound_head) since ' +
      '0fa5bc4023c1 (v5.12, seen in the follow-up diff of 82e5d378b0e4); the helper has had its long-term check ' +
      'since df3a0a21b698 (v5.7: try_grab_compound_head() tests FOLL_LONGTERM + is_migrate_cma_page() in 5.7.14 ' +
      'and 5.12.9, not in 5.6.4), so the slow hugetlb path refuses from v5.12 on.',
    folds: [
      { change: 'gup-fast\'s shared body (gup_fast_fallback(), named so by gup-fast-rename) returns 0 for nr_pages == 0 before marking the mm as pinned or checking the range, and -EOVERFLOW when nr_pages << PAGE_SHIFT overflows (read in Debian 6.12.118 mm/gup.c, absent from 6.5.0 and 6.6.9; gup_fast.ts gup_fast_range). Its commit is not identified: no commit list or Fixes: tag read names it. Searched again (helper-13f): the Debian changelog of linux 6.12.118-1 lists both checks under ChangeLog-6.12.118 as stable backports, "mm/gup: fix out-of-bounds write for nr_pages == 0 in GUP-fast" and "mm/gup: check for overflow when converting nr_pages to bytes in GUP-fast", so they reached 6.12.y only in 6.12.118 and their mainline commits are later than the 6.7-6.12 window this fold gives (6.18.26 predates them). find_string on both subjects: 0 hits; on check_shl_overflow(nr_pages, PAGE_SHIFT: pKVM code only. Their mainline ids and release stay unknown, so the fold stays (its bracket is what the trees read allow, not the real history)', commit: null, from: 'v6.7', by: 'v6.12' },
    ],
    scenarios: ['gup/hugetlb-movable-longterm'],
  },
  'hugetlb-grab-refs-once': {
    subject: 'mm/hugetlb: grab head page refcount once for group of subpages',
    commit: '0fa5bc4023c1',
    author: 'Joao Martins',
    release: 'v5.12',
    files: ['mm/hugetlb.c', 'mm/gup.c', 'include/linux/mm.h'],
    effect: 'neutral',
    summary:
      'follow_hugetlb_page() records the subpages from the address to the end of the huge page (or of the request) ' +
      'in one step and takes their references with one grab of the head, instead of one reference per subpage ' +
      'per loop turn. Read in Debian 6.1.192 (refs = min3(...), try_grab_folio(page, refs, flags)); 5.6.4 still ' +
      'takes one per subpage. The end state is the same; the walk has fewer iterations (scheduling points). The ' +
      'release is taken from the series it came in (v5.12 merge window); the id is the one seen in several trees\' ' +
      'commit lists.',
    scenarios: ['gup/huge-leaf-bulk-grab'],
  },
  'gup-thp-page-increm': {
    subject: 'mm/gup: accelerate thp gup even for "pages != NULL"',
    commit: '57edfcfd3419',
    author: 'Peter Xu',
    release: 'v6.6',
    files: ['mm/gup.c'],
    effect: 'neutral',
    summary:
      '__get_user_pages() keeps the page_mask of a huge leaf even when it fills pages[]: the rest of the THP (and, ' +
      'once follow_hugetlb_page() was retired in the same series, of a hugetlb page) is covered in one iteration, ' +
      'with the extra references taken by one try_grab_folio(folio, page_increm - 1); a failure there drops the ' +
      'first reference and returns -EFAULT. Before it (6.1) the mask is cleared whenever pages or vmas are filled. ' +
      'Read in Debian 6.12.117; the id is the one named by later Fixes: tags.',
    scenarios: ['gup/huge-leaf-bulk-grab'],
  },
  'gup-retire-follow-hugetlb-page': {
    subject: 'mm/gup: retire follow_hugetlb_page()',
    commit: '4849807114b8',
    author: 'Peter Xu',
    release: 'v6.6',
    files: ['mm/gup.c', 'mm/hugetlb.c', 'include/linux/hugetlb.h'],
    effect: 'changes-verdict',
    summary:
      'Hugetlb VMAs are walked by __get_user_pages() itself (follow_page_mask → hugetlb_follow_page_mask) instead of ' +
      'follow_hugetlb_page(). The visible difference the model keeps: a fatal signal pending when the walk reaches ' +
      'a hugetlb VMA ends it with follow_hugetlb_page()\'s initial err, -EFAULT, on 5.4.1–6.1.192 (or the count ' +
      'pinned so far), and with the generic -EINTR (-ERESTARTSYS before 5.7) after it. Mainline id and subject from ' +
      'the v6.6 mm merge\'s commit list, next to 57edfcfd3419.',
    scenarios: ['gup/hugetlb-fatal-signal'],
  },
  'hugetlb-migration-target-pool': {
    subject: 'mm/hugetlb: make hugetlb migration callback CMA aware',
    commit: 'bbe88753bd42',
    author: 'Joonsoo Kim',
    release: 'v5.9',
    files: ['mm/gup.c', 'mm/hugetlb.c', 'include/linux/hugetlb.h'],
    effect: 'changes-verdict',
    summary:
      'Migrating a hugetlb folio for a long-term pin used to take a fresh buddy folio only (5.4.1 new_non_cma_page → ' +
      'alloc_migrate_huge_page, GFP_USER: never from the pool, whose folios were assumed to sit in CMA); from here ' +
      'the target comes from alloc_huge_page_nodemask(): a free pool folio first, skipping unpinnable ones inside ' +
      'the pin allocation scope (PF_MEMALLOC_NOCMA, later PF_MEMALLOC_PIN), then a fresh one. Debian 6.1.192 and ' +
      '6.12.117 reach the same through alloc_migration_target(). The same commit makes every dequeue of a pool folio ' +
      'inside the scope skip CMA folios (dequeue_huge_page_node_exact(): no such test in 5.8.1, `nocma && ' +
      'is_migrate_cma_page()` in 5.9.1-5.12.9, `pin && !is_pinnable_page()` from 5.15.24): the model reads it in ' +
      'hugetlb.ts alloc_huge_page and gup_migrate.ts alloc_hugetlb_migration_target. Id from the Fixes:/reference ' +
      'list of a later series (the commit itself was not read; the 5.4.1, 5.8.1, 5.9.1 and 6.x code around it was).',
    scenarios: ['gup/hugetlb-longterm-pool-target'],
  },
  'gup-cma-alloc-scope': {
    subject: 'mm/gup: restrict CMA region by using allocation scope API',
    commit: '41b4dc14ee80',
    author: 'Joonsoo Kim',
    release: 'v5.9',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'The no-CMA allocation scope of __gup_longterm_locked() lasts until after check_and_migrate_cma_pages() ' +
      '(5.8.1 restores it before, 5.9.1 at `out:`), so migration targets and the re-GUP are allocated inside it ' +
      '(gup.ts __gup_longterm_locked__v5_4). Id: Greg Kroah-Hartman\'s list of the commits a failed stable ' +
      'backport depends on ("41b4dc14ee80 (\'mm/gup: restrict CMA region by using allocation scope API\')", next ' +
      'to bbe88753bd42 of the same v5.9 series) and a mainline commit list.',
    scenarios: [],
  },
  'gup-anon-exclusive-unshare': {
    subject: 'mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page',
    commit: 'a7f226604170',
    author: 'David Hildenbrand',
    release: 'v5.19',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    requires: ['anon-exclusive'],
    effect: 'changes-verdict',
    summary:
      'FOLL_PIN without FOLL_WRITE on a read-only PTE of an anonymous page that is not PageAnonExclusive makes ' +
      'follow_page return -EMLINK; GUP then faults with FAULT_FLAG_UNSHARE (copy if shared) and pins the exclusive ' +
      'copy. GUP-fast stops there. Id confirmed by a Fixes: tag.',
    scenarios: ['gup/ro-pin-after-fork'],
  },
  'gup-foll-cow-removed': {
    subject: 'mm/gup: fix FOLL_FORCE COW security issue and remove FOLL_COW',
    commit: '5535be309971',
    author: 'David Hildenbrand',
    release: 'v6.0',
    files: ['mm/gup.c'],
    requires: ['gup-anon-exclusive-unshare'],
    effect: 'changes-verdict',
    summary:
      'FOLL_COW is gone; a FOLL_FORCE write may follow a read-only PTE only in a private, VM_MAYWRITE, !VM_WRITE ' +
      'mapping whose page is anonymous and PageAnonExclusive (and no soft-dirty/uffd-wp tracking wants a fault). ' +
      'Before it (5.4-5.19): FOLL_COW set after a COW write fault plus a dirty PTE sufficed (CVE-2022-2590).',
    scenarios: [],
  },
  'gup-hugetlb-no-force-write': {
    subject: 'mm/gup: disallow FOLL_FORCE|FOLL_WRITE on hugetlb mappings',
    commit: 'f347454d0341',
    author: 'David Hildenbrand',
    release: 'v6.2',
    files: ['mm/gup.c', 'mm/hugetlb.c'],
    effect: 'changes-verdict',
    summary:
      'check_vma_flags() refuses a FOLL_FORCE write to a hugetlb VMA without VM_WRITE (-EFAULT), and hugetlb_wp() ' +
      'WARNs and returns VM_FAULT_SIGSEGV if such a write fault reaches it. Before it (5.4.1 hugetlb_cow) the fault ' +
      'made the huge PTE writable in the read-only private mapping (reusing an exclusive anon page, or copying into ' +
      'a new writable one), so the forced write succeeded and the process could then write the page through its ' +
      'read-only mapping. In Debian 6.1.192 via a stable backport (both hunks read there). The id is the one in the ' +
      'mm tree\'s v6.2 commit lists.',
    scenarios: ['gup/hugetlb-force-write-ro'],
  },
  'hugetlb-foll-force-write': {
    subject: 'mm/hugetlb: support FOLL_FORCE|FOLL_WRITE',
    commit: '052ccfbcc6cd',
    author: 'Guillaume Morin',
    release: 'v6.14',
    files: ['mm/gup.c', 'mm/hugetlb.c'],
    requires: ['gup-hugetlb-no-force-write'],
    effect: 'changes-verdict',
    summary:
      'check_vma_flags() lets a FOLL_FORCE write reach a read-only private hugetlb VMA again (f347454d0341 had ' +
      'refused it with -EFAULT), and hugetlb_wp() stops WARNing on such a write fault: it reuses an exclusive anon ' +
      'folio or copies into a new one, but leaves the huge PTE read-only unless the VMA has VM_WRITE ' +
      '(set_huge_ptep_maybe_writable, make_huge_pte(..., !unshare && VM_WRITE)); the GUP walk follows the ' +
      'exclusive anon folio read-only through can_follow_write_common(). So, unlike 5.4, the process never gets ' +
      'a writable mapping out of it. Id and v6.14 release: the akpm/mm `linus` branch after the v6.14 merge ' +
      '(kernel.org post-receive list of 28 January 2025); the diff was read in its v4 posting (Guillaume Morin, ' +
      'December 2024) and all of its hunks are in 6.18.26 (mm/gup.c check_vma_flags, mm/hugetlb.c hugetlb_wp, ' +
      'make_huge_pte).',
    folds: [
      { change: 'gup_fast_fallback() no longer returns 0 early for nr_pages == 0, no longer checks nr_pages << PAGE_SHIFT for overflow and drops access_ok() (the TASK_SIZE_MAX test covers it): read, Debian 6.12.118 has all three, 6.18.26 none (gup_fast.ts gup_fast_range). Searched again (helper-13f): the first two are not removed in mainline: they are the 6.12.118 stable backports named in the fold on gup-hugetlb-grab-no-longterm-check, which 6.18.26 predates; only the access_ok() drop is a mainline change of 6.13-6.18, whose commit was not searched for to the end', commit: null, from: 'v6.13', by: 'v6.18' },
    ],
    scenarios: ['gup/hugetlb-force-write-ro', 'remote/proc-mem-write-ro-hugetlb'],
  },
  'gup-zero-page-no-pin': {
    subject: "mm: Don't pin ZERO_PAGE in pin_user_pages()",
    commit: 'c8070b787519',
    author: 'David Howells',
    release: 'v6.5',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'try_grab_page()/try_grab_folio() do not take a pin on the shared zero page and gup_put_folio() ignores it, ' +
      'so pins of never-touched anon memory leave the zero page\'s refcount alone. In Debian 6.1.192 through the ' +
      'stable backport 476c1dfefab8 (6.1.130; read in Debian\'s linux-source-6.1), whose first form returned the wrong value ' +
      'from the bool-returning 6.1 try_grab_page() (a later stable fix; the model follows the fixed 6.1.192). ' +
      'Subject and author from the series (David Howells, block tree, v6.5-rc1).',
    scenarios: ['gup/zero-page-longterm-ro'],
  },
  'gup-reliable-ro-longterm': {
    subject: 'mm/gup: reliable R/O long-term pinning in COW mappings',
    commit: '84209e87c696',
    author: 'David Hildenbrand',
    release: 'v6.2',
    files: ['mm/gup.c', 'mm/internal.h'],
    requires: ['gup-anon-exclusive-unshare'],
    effect: 'changes-verdict',
    summary:
      'gup_must_unshare() also asks to unshare for FOLL_PIN|FOLL_LONGTERM without FOLL_WRITE on a read-only PTE of ' +
      'a non-anonymous page (page cache, zero page) in a COW mapping: the pin lands on a private anonymous copy, ' +
      'so later writes by the process are seen through the pin.',
    scenarios: ['gup/zero-page-longterm-ro', 'gup/huge-zero-longterm-ro', 'vfio/map-huge-zero-ro'],
  },
  'gup-fast-rename': {
    subject: 'mm/gup: consistently name GUP-fast functions',
    commit: '23babe1934d7',
    author: 'David Hildenbrand',
    release: 'v6.10',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'A rename: internal_get_user_pages_fast() becomes gup_fast_fallback() (and the lockless walkers gup_fast_*). ' +
      'What changes in the model is the function the gup-fast flag-mask WARN and its errno reasons name ' +
      '(gup_fast.ts gup_fast_entry_name): a declared WARN site. 6.6.9 has internal_get_user_pages_fast(), Debian ' +
      '6.12.117 gup_fast_fallback(). Id: a developer\'s review mail ("renamed from internal_get_user_pages_fast in ' +
      'commit 23babe1934d7") and the v6.10 mm commit lists; posted April 2024.',
    scenarios: ['gup/fast-honor-numa-fault'],
  },
  'gup-split-pmd-hugetlb': {
    subject: 'mm/gup: reject FOLL_SPLIT_PMD with hugetlb VMAs',
    commit: '8977752c8056',
    author: 'David Hildenbrand',
    release: 'v6.15',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'check_vma_flags() refuses FOLL_SPLIT_PMD on a hugetlb VMA with -EOPNOTSUPP (pmd_trans_huge() is also true ' +
      'for a hugetlb PMD, so the split path could be reached; CVE-2025-22034). Absent from 6.5.0 and 6.6.9, ' +
      'present in Debian 6.12.117 (the 6.12.23 stable backport) and 6.18.26. Id: the CVE record lists it with ' +
      'three stable backports (2e877ff34922, 48d28417c66c, fd900832e844), and it is the id the mm series has in ' +
      'the post-receive commit lists that carry the whole device-exclusive series; earlier mm-unstable lists show ' +
      'it under other, pre-merge ids. 6.14.0 is affected, so it entered mainline in the 6.15 cycle.',
    scenarios: ['gup/split-pmd-hugetlb'],
  },
  'gup-foll-mlock-removed': {
    subject: 'mm/munlock: delete FOLL_MLOCK and FOLL_POPULATE',
    commit: 'b67bf49ce7aa',
    author: 'Hugh Dickins',
    release: 'v5.18',
    files: ['mm/gup.c', 'mm/internal.h', 'include/linux/mm.h'],
    effect: 'neutral',
    summary:
      'populate_vma_page_range() stops passing FOLL_POPULATE and FOLL_MLOCK (mlocking moves to the fault and rmap ' +
      'paths) and returns at once for a VM_LOCKONFAULT VMA, which FOLL_POPULATE used to leave unfaulted (gup.ts). ' +
      '5.15.24 passes both flags, Debian 6.1.192 only FOLL_TOUCH with the early return; that the early return came ' +
      'with this commit is taken from its subject (the flag it deletes was the LOCKONFAULT switch), the diff was not ' +
      'read. MODEL: the per-page mlock is not modelled, so mlock() faults in the same pages either way. Id: a ' +
      'mainline bisection of an LTP memcg test to it (Mike Galbraith, March 2022) and the v5.18 pull shortlog ' +
      '(Hugh Dickins\'s mlock series through the folio tree).',
    scenarios: ['mm/mlock-populate'],
  },
  'gup-pfn-eexist': {
    subject: 'mm/gup: follow_pfn_pte(): -EEXIST cleanup',
    commit: '65462462ffb2',
    author: 'John Hubbard',
    release: 'v5.18',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      '__get_user_pages() stops at a PTE that has a pfn but no struct page (follow_page_mask() → -EEXIST) when the ' +
      'caller wants pages, returning what it has or -EEXIST; before it (5.15.24) the slot was skipped and pages[i] ' +
      'left unset (gup.ts __get_user_pages). Id: the mainline commit lists of John Hubbard\'s "mm/gup: some ' +
      'cleanups" series (v5.18; the list whose order matches the mainline log, next to ad6c441266dc and ' +
      '73fd16d8080f).',
    scenarios: [],
  },
  'gup-no-get-user-pages-locked': {
    subject: 'mm/gup: remove unused get_user_pages_locked()',
    commit: '73fd16d8080f',
    author: 'John Hubbard',
    release: 'v5.18',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    effect: 'changes-verdict',
    summary:
      'get_user_pages_locked() is removed (no callers left); the model reports a call of it on a release without ' +
      'it as unsupported (gup.ts get_user_pages_locked). 5.15.24 has it, Debian 6.1.192 not. Id: the same v5.18 ' +
      'commit lists as 65462462ffb2.',
    scenarios: [],
  },
  'gup-longterm-locked': {
    subject: 'mm/gup: remove the restriction on locked with FOLL_LONGTERM',
    commit: '53b2d09bdd12',
    author: 'Jason Gunthorpe',
    release: 'v6.2',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'FOLL_LONGTERM with a droppable lock: pin_user_pages_remote() (and get_user_pages_remote()) pass a non-NULL ' +
      'locked to __gup_longterm_locked(), which re-takes mmap_lock between migration retries and drops it again at ' +
      'the end; get_user_pages_unlocked() (so pin_user_pages_unlocked() and the gup-fast fallback) takes ' +
      'FOLL_LONGTERM (gup.ts __gup_longterm_locked__v6_2, get_user_pages_unlocked__v6_2; gup_fast.ts). It builds on ' +
      'check_vma_flags() refusing fs-DAX (52650c8b466b, so no vmas array is needed after a dropped lock), not ' +
      'declared as `requires` because the corpus ablates that patch from 6.12, where the 6.3 body is used. Read: ' +
      'Debian 6.1.192 refuses it (__get_user_pages_remote: WARN, -EINVAL), 6.2.12 and 6.2.1 allow it. Id: the ' +
      'commit list of the mainline merge of mm-stable-2022-12-13 (e2ca6ba6ba01), as a kernel.org post-receive ' +
      'list of a tree fast-forwarded to it shows it (the linux-next lists of November 2022 carry earlier, ' +
      'pre-merge ids of the same patch); the list also has 84209e87c696 and f347454d0341 at the ids the ' +
      'registry gives them.',
    scenarios: ['gup/bug2-longterm-droppable-lock'],
  },
  'foll-pci-p2pdma': {
    subject: 'mm: introduce FOLL_PCI_P2PDMA to gate getting PCI P2PDMA pages',
    commit: '4003f107fa2e',
    author: 'Logan Gunthorpe',
    release: 'v6.2',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    effect: 'changes-verdict',
    summary:
      'FOLL_PCI_P2PDMA (0x100000 in 6.2.12) is a flag callers may pass: gup-fast\'s flag mask admits it, and ' +
      'check_vma_flags() refuses it together with FOLL_LONGTERM (-EOPNOTSUPP; from 6.3 is_valid_gup_args() ' +
      'WARNs and fails the call instead). MODEL: no P2PDMA pages exist, so only the flag checks are modelled. ' +
      'Block tree for v6.2 (read in 6.2.12 mm/gup.c: the mask in internal_get_user_pages_fast and the ' +
      'check_vma_flags test; absent from Debian 6.1.192); id and subject as cited in the registry\'s earlier fold.',
    scenarios: ['gup/fast-p2pdma-flag'],
  },
  'gup-unlockable': {
    subject: 'mm/gup: add FOLL_UNLOCKABLE',
    commit: 'f04740f54594',
    author: 'Jason Gunthorpe',
    release: 'v6.3',
    files: ['mm/gup.c', 'mm/internal.h'],
    effect: 'changes-verdict',
    summary:
      'is_valid_gup_args() replaces the per-wrapper checks (internal flags, *locked must be 1, GET+PIN, LONGTERM ' +
      'without PIN, pages == NULL, LONGTERM+P2PDMA; pin_user_pages/_remote/_unlocked return 0 on failure), a ' +
      'non-NULL locked becomes FOLL_UNLOCKABLE, and FOLL_LONGTERM keeps working with a droppable lock (the 6.2 ' +
      'step that first allowed it is gup-longterm-locked, 53b2d09bdd12); read from the 6.12.117 ' +
      'tree, absent from 6.2.12.',
    scenarios: ['gup/bug2-longterm-droppable-lock', 'gup/remote-longterm-locked', 'gup/pin-with-foll-get'],
  },
  'gup-fast-task-size-max': {
    subject: 'x86-64: make access_ok() independent of LAM',
    commit: '6014bc27561f',
    author: 'Linus Torvalds',
    release: 'v6.4',
    files: ['mm/gup.c', 'arch/x86/include/asm/uaccess_64.h', 'arch/x86/mm/extable.c'],
    effect: 'neutral',
    summary:
      'x86-64 access_ok() stops comparing against TASK_SIZE_MAX (it only tests the sign bit, so tagged LAM ' +
      'addresses pass), and gup-fast gains its own `end > TASK_SIZE_MAX` test returning -EFAULT before ' +
      'access_ok(). For gup-fast the answer is the same -EFAULT as the old access_ok() gave (only the reason ' +
      'changes; gup_fast.ts gup_fast_range). 6.2.12 has no such test, 6.5.0 has it. Id and subject from the ' +
      'Fixes: tags of later x86 uaccess fixes and the v6.4 commit list (next to 6ccdc91d6af9 "x86: mm: remove ' +
      'architecture-specific \'access_ok()\' define").',
    scenarios: ['gup/fast-range-limits'],
  },
  'gup-fast-overflow-errno': {
    subject: 'mm/gup: do not return 0 from pin_user_pages_fast() for bad args',
    commit: '9883c7f84053',
    author: 'Jason Gunthorpe',
    release: 'v6.5',
    files: ['mm/gup.c'],
    requires: ['gup-fast-reorganize'],
    effect: 'changes-verdict',
    summary:
      'A gup-fast range whose start + len wraps returns -EOVERFLOW instead of 0 (callers cannot act on a 0; ' +
      'syzbot tripped on it). 6.2.12 and Debian 6.1.192 return 0, 6.5.0 -EOVERFLOW. Id: the 6.4.y stable ' +
      'backport ("commit 9883c7f84053 upstream", 9 August 2023), which applies on 6.4 and so entered mainline ' +
      'in the 6.5 cycle.',
    scenarios: ['gup/fast-range-limits'],
  },
  'gup-remove-vmas': {
    subject: 'mm/gup: remove vmas array from internal GUP functions',
    commit: 'b2cac248191b',
    author: 'Lorenzo Stoakes',
    release: 'v6.5',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    effect: 'changes-verdict',
    summary:
      'The last of the series that removes the vmas argument: get_user_pages() (54d020692b34), ' +
      'pin_user_pages_remote() (0b295316b3a9), get_user_pages_remote() (ca5e863233e8), pin_user_pages() ' +
      '(4c630f307455) lose it and the internal functions stop filling a vmas array (this commit). The model has ' +
      'one switch for the series: a call that passes a vmas array has no counterpart from 6.5 and is reported ' +
      'unsupported (gup.ts no_vmas_in_6_12). Read: 6.2.12 get_user_pages() takes vmas, 6.5.0 does not. Ids: the ' +
      'commit list of the mainline merge of mm-stable-2023-06-24-19-15 (6e17c6de3ddf) as a kernel.org ' +
      'post-receive list shows it, next to 311150343e69 "mm/gup: add missing gup_must_unshare() check to ' +
      'gup_huge_pgd()".',
    scenarios: [],
  },
  'foll-honor-numa-fault': {
    subject: 'mm/gup: reintroduce FOLL_NUMA as FOLL_HONOR_NUMA_FAULT',
    commit: 'd74943a2f3cd',
    author: 'David Hildenbrand',
    release: 'v6.5',
    files: ['mm/gup.c', 'include/linux/mm_types.h'],
    effect: 'changes-verdict',
    summary:
      'FOLL_HONOR_NUMA_FAULT (1 << 12) is a flag callers may pass (GUP then treats a NUMA-hinting PROT_NONE entry ' +
      'as absent and faults); gup-fast\'s flag mask admits it (6.5.0, 6.6.9, 6.12.117 masks read; the 6.2.12 mask ' +
      'has no such bit). MODEL: no NUMA hinting faults exist, so only the flag check is modelled. Id from the ' +
      'torvalds/linux commit lists of August 2023 (merged for v6.5-rc, Cc: stable; the 6.1-stable backport failed ' +
      'to apply). Split out of gup-unlockable, where it was folded.',
    scenarios: ['gup/fast-honor-numa-fault'],
  },
  'gup-writable-file-longterm': {
    subject: 'mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings',
    commit: '8ac268436e6d',
    author: 'Lorenzo Stoakes',
    release: 'v6.5',
    files: ['mm/gup.c', 'mm/mmap.c'],
    effect: 'changes-verdict',
    summary:
      'check_vma_flags(): FOLL_WRITE|FOLL_PIN|FOLL_LONGTERM on a non-anonymous VMA that needs dirty tracking ' +
      '(shared, writable, file system with writeback/page_mkwrite: not shmem/hugetlbfs) returns -EFAULT ' +
      '.',
    scenarios: ['gup/ext4-shared-longterm-write', 'gup/bug11-io-uring-ext4-shared'],
  },
  'gup-fast-writable-file-longterm': {
    subject: 'mm/gup: disallow FOLL_LONGTERM GUP-fast writing to file-backed mappings',
    commit: 'a6e79df92e4a',
    author: 'Lorenzo Stoakes',
    release: 'v6.5',
    files: ['mm/gup.c'],
    requires: ['gup-writable-file-longterm'],
    effect: 'changes-verdict',
    summary:
      'GUP-fast refuses PIN|LONGTERM|WRITE on a file folio that is not shmem/hugetlb (folio_fast_pin_allowed / ' +
      'gup_fast_folio_allowed), so the slow path decides (and returns -EFAULT). Without it, a writable PTE lets ' +
      'pin_user_pages_fast() pin the page without ever reaching the slow-path check.',
    scenarios: ['gup/fast-ext4-shared-longterm-write'],
  },
  'gup-fast-dedup': {
    subject: 'mm/gup: refactor and de-duplicate gup_fast() code',
    commit: '376a34efa4ee',
    author: 'John Hubbard',
    release: 'v5.8',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    requires: ['foll-pin-counting'],
    effect: 'changes-verdict',
    summary:
      'Adds FOLL_FAST_ONLY: internal_get_user_pages_fast() admits it in its flag mask and then never falls back to ' +
      'the slow path, and __get_user_pages_fast() becomes that body with FOLL_GET|FOLL_FAST_ONLY, a negative result ' +
      'turned into 0 (5.7.14: a separate walk after its own wrap and access_ok() tests; FOLL_FAST_ONLY is an unknown ' +
      'bit to the mask, WARN and -EINVAL; 5.8.1: in the mask). Id and date (2020-06-03) as Peter Xu cites it in ' +
      '"[PATCH 3/4] mm/gup: Remove enfornced COW mechanism" (linux-mm, 21 August 2020); its linux-next ids differ. ' +
      'Text read in v2 of the patch (linux-kernel, 21 May 2020).',
    scenarios: ['gup/fast-flag-mask'],
  },
  'gup-fast-only': {
    subject: 'mm/gup.c: convert to use get_user_{page|pages}_fast_only()',
    commit: 'dadbb612f6e5',
    author: 'Souptick Joarder',
    release: 'v5.8',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    requires: ['foll-pin-counting', 'gup-fast-dedup'],
    effect: 'neutral',
    summary:
      '__get_user_pages_fast(start, nr_pages, write, pages) becomes get_user_pages_fast_only(start, nr_pages, ' +
      'gup_flags, pages): the caller\'s gup_flags reach internal_get_user_pages_fast() (with FOLL_GET|FOLL_FAST_ONLY) ' +
      'instead of the write bit alone. 5.7.14 has __get_user_pages_fast(), 5.8.1 get_user_pages_fast_only(). No ' +
      'scenario op calls it (its kernel callers, KVM and perf, are not modelled), so no verdict changes: the FOLL_FAST_ONLY ' +
      'mask that did is gup-fast-dedup. Id and subject from the mainline commit list of the v5.8 merge window (akpm batch).',
    folds: [
      { change: 'pin_user_pages_unlocked() exists (John Hubbard, "mm/gup: introduce pin_user_pages_unlocked", posted May 2020 for v5.8; absent in 5.7.14, present in 5.8.1; gup.ts). Searched again (helper-13f): find_string on the subject finds only v1 and v2 of the series (17 and 31 May 2020); no Fixes: tag or commit list quotes it; the v5.8 merge-window lists of torvalds/linux are not in the store', commit: null, from: 'v5.8', by: 'v5.8' },
    ],
    scenarios: ['gup/fast-flag-mask'],
  },
  'gup-foll-nofault': {
    subject: 'gup: Introduce FOLL_NOFAULT flag to disable page faults',
    commit: '55b8fe703bc5',
    author: 'Andreas Gruenbacher',
    release: 'v5.16',
    files: ['mm/gup.c', 'include/linux/mm.h'],
    effect: 'changes-verdict',
    summary:
      'FOLL_NOFAULT (0x80, the value FOLL_SPLIT had) makes GUP fail instead of faulting, and gup-fast\'s flag ' +
      'mask admits it (5.15.24 mask: WRITE, LONGTERM, FORCE, PIN, GET, FAST_ONLY; Debian 6.1.192 adds NOFAULT). ' +
      'Id from the mainline commit list of the gfs2 page-fault series (v5.16).',
    scenarios: ['gup/fast-flag-mask'],
  },
  'gup-fast-reorganize': {
    subject: 'mm/gup: reorganize internal_get_user_pages_fast()',
    commit: 'c28b1fc70390',
    author: 'Jason Gunthorpe',
    release: 'v5.11',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'internal_get_user_pages_fast() tests start + len for wrap-around with check_add_overflow() (returning 0) ' +
      'instead of end <= start, and moves the lockless walk into lockless_pages_from_mm(). The visible ' +
      'difference: nr_pages <= 0 passes the wrap test and returns 0 after access_ok() instead of before. 5.9.1 ' +
      'has `end <= start`, 5.10.7 check_add_overflow() (the 5.10 stable series took it with 57efa1fe5957: ' +
      '"[PATCH 5.10 446/717]"). Id from the mainline commit list next to 57efa1fe5957 and 52650c8b466b.',
    scenarios: ['gup/fast-flag-mask'],
  },
  'gup-cow-break-read': {
    subject: 'gup: document and work around "COW can break either way" issue',
    commit: '17839856fd58',
    author: 'Linus Torvalds',
    release: 'v5.8',
    files: ['mm/gup.c', 'mm/huge_memory.c'],
    effect: 'changes-verdict',
    summary:
      'GUP with FOLL_GET or FOLL_PIN on a COW mapping (private, may-write) always asks for write access ' +
      '(should_force_cow_break(): foll_flags |= FOLL_WRITE), so a read GUP of a page shared with a fork breaks ' +
      'the COW first and the caller gets its own copy; gup-fast only takes pages from writable PTEs (fast_flags ' +
      '|= FOLL_WRITE unless FOLL_FAST_ONLY), and can_follow_write_pte()/_pmd() accept FOLL_COW with a dirty entry ' +
      'without FOLL_FORCE, so that forced walk ends on the COWed read-only PTE. The first fix of CVE-2020-29374 (GUP after fork reading the other ' +
      'process\'s later writes). In 5.7.14 and 5.7.6 through the 5.7.3 stable backport; 5.8.1 has it; 5.9.1 ' +
      'not (removed by a308c71bf1e6 when 09854ba94c6a fixed the write side in do_wp_page()).',
    scenarios: ['gup/bug9-gup-after-fork-leak'],
  },
  'gup-remove-enforced-cow': {
    subject: 'mm/gup: Remove enfornced COW mechanism',
    commit: 'a308c71bf1e6',
    author: 'Peter Xu',
    release: 'v5.9',
    files: ['mm/gup.c', 'mm/huge_memory.c'],
    requires: ['gup-cow-break-read', 'wp-reuse-refcount'],
    effect: 'changes-verdict',
    summary:
      'Drops should_force_cow_break() and the gup-fast FOLL_WRITE forcing of 17839856fd58: a read GUP maps the ' +
      'shared page again, and do_wp_page()\'s refcount rule (09854ba94c6a) makes the process copy on its next ' +
      'write instead. Absent in 5.9.1 (no should_force_cow_break), present in 5.8.1. Id named as the follow-up ' +
      'of 17839856fd58 in list material.',
    scenarios: ['gup/bug9-gup-after-fork-leak'],
  },
} as const satisfies Record<string, PatchInfo>;

/** Stable backports of this area per release tree (patches in by first release need no listing). */
export const gupReleaseAdds: ReleaseAdds<keyof typeof gupPatches> = {
  // 5.7.14 carries the 5.7.3 stable backport of 17839856fd58 (should_force_cow_break() read there).
  'v5.7': ['gup-cow-break-read'],
  // 5.10.7 carries c28b1fc70390 and 57efa1fe5957 from the 5.10.4 stable series (check_add_overflow and
  // write_protect_seq read there).
  'v5.10': ['gup-fast-reorganize', 'gup-fast-wp-seq'],
  // Debian 6.1.192: both hunks of f347454d0341 and the 6.1.130 backport 476c1dfefab8 of c8070b787519 read there.
  'v6.1': ['gup-hugetlb-no-force-write', 'gup-zero-page-no-pin'],
  // Debian 6.12.117: the 6.12.23 stable backport of 8977752c8056 (the FOLL_SPLIT_PMD test in check_vma_flags read there).
  'v6.12': ['gup-split-pmd-hugetlb'],
};
