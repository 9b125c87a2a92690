/**
 * alloc_contig_range() over the folio that backs one user address — the path a
 * contiguous allocation (cma_alloc(), also memory offlining and gigantic hugetlb
 * allocation) takes when a user page sits in the range it wants: mm/page_alloc.c
 * alloc_contig_range / __alloc_contig_migrate_range and mm/compaction.c
 * isolate_migratepages_range → isolate_migratepages_block with cc->alloc_contig set,
 * then migrate_pages(..., MR_CONTIG_RANGE) — 5.4.1, Debian 6.1.192, 6.12.117.
 *
 * Steps, per release:
 * 1. start_isolate_page_range(): a reserved frame (the zero page, ZONE_DEVICE pages)
 *    makes the range unmovable (has_unmovable_pages) → -EBUSY.
 * 2. isolate_migratepages_block(), for the folio:
 *    - hugetlb: before PATCH(contig-range-hugetlb) ae37c7ff79f1 (5.13) skipped like any
 *      compound page; from it isolate_or_dissolve_huge_page() isolates an in-use hugetlb
 *      folio for migration;
 *    - a THP: before PATCH(contig-range-thp) 1da2f328fa64 (5.7) skipped (compound pages
 *      are never isolated); from it isolated whole when cc->alloc_contig;
 *    - not on the LRU → skipped;
 *    - an anonymous folio (no page_mapping) with more references than mappings — a
 *      pin, a GUP reference — is skipped before isolation (5.4.1: page_count >
 *      page_mapcount; 6.1/6.12: the same test after the scanner's own temporary
 *      reference, folio_ref_count - 1 > folio_mapcount);
 *    - otherwise isolated (a page-cache folio with an extra reference is isolated and
 *      fails later, in the move).
 *    A skipped folio stays in the range; test_pages_isolated() then finds it in use and
 *    the call returns -EBUSY.
 * 3. migrate_pages(): alloc_migration_target (5.4.1: alloc_migrate_target, the same
 *    movable user mask) gives the target; the move needs the folio's references to be
 *    exactly its mappings + page cache + isolation (folio_migrate_mapping), else -EAGAIN;
 *    -ENOMEM (no target) ends the call with -ENOMEM; a folio that did not move is put
 *    back and, after the tries, the call is -EBUSY.
 * 4. fatal_signal_pending → -EINTR (checked at the top of the migrate loop).
 * Returns 0 when the folio moved away (the range is free), or -EBUSY / -ENOMEM / -EINTR.
 *
 * Locking contract: no mmap_lock (the rmap walk of migration finds the mappings); the
 * caller holds nothing.
 *
 * MODEL:
 * - the range is exactly the folio at the address (no pageblock alignment, no
 *   MIGRATE_ISOLATE marking, no neighbouring frames); on success the freed frames are
 *   not handed to a caller (cma_alloc would own them) but stay free;
 * - the target is allocated with GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL (the
 *   6.1.192 mask; 5.4.1's GFP_HIGHUSER_MOVABLE is the same zones on x86-64); 6.12.117
 *   passes the caller's gfp (cma_alloc: GFP_KERNEL, never a movable zone) — not
 *   modelled, it only changes which zone the target comes from;
 * - migrate_pages' 10 passes are modelled (mm/gup_migrate.ts migrate_retry_passes: a
 *   reference dropped between two passes lets the folio move); the 5 tries of
 *   __alloc_contig_migrate_range around them (re-isolation, another 10 passes each) are
 *   not;
 * - no reclaim of clean page-cache pages (reclaim_clean_pages_from_list), no
 *   non-LRU movable pages (balloon, zsmalloc), 5.4's has_unmovable_pages THP details.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { PageReserved, compound_head, folio_mapcount, folio_order, page_count, page_label } from '../include/linux/mm.js';
import { PG_anon, PG_hugetlb } from '../include/linux/mm_types.js';
import { EBUSY, EINTR, ENOMEM } from '../include/uapi/linux/errno.js';
import { fatal_signal_pending } from '../kernel/sched.js';
import { isolate_for_migration, migrate_one_folio, putback_isolated_pages } from './gup_migrate.js';

const FILE = 'mm/page_alloc.c:alloc_contig_range';

/**
 * isolate_migratepages_block(cc) with cc->alloc_contig for the one folio: true when it
 * is now isolated, false when the scanner skips it (see the header, step 2).
 */
function isolate_contig_folio(k: Kctx, head: number): boolean {
  const m = k.m;
  const mem = m.mem;
  const s = mem.slot_of(head);
  const hugetlb = (mem.s_flags[s] & PG_hugetlb) !== 0;
  if (hugetlb) {
    // PATCH(contig-range-hugetlb): ae37c7ff79f1 — an in-use hugetlb folio is isolated.
    if (!k.patch('contig-range-hugetlb')) return false;
    return isolate_for_migration(k, head);
  }
  // PATCH(contig-range-thp): 1da2f328fa64 — compound pages are no longer skipped for alloc_contig.
  if (folio_order(m, head) > 0 && !k.patch('contig-range-thp')) return false;
  // The racy pre-check: an anonymous folio referenced beyond its mappings cannot move.
  const anon = (mem.s_flags[s] & PG_anon) !== 0;
  if (anon && page_count(m, head) > folio_mapcount(m, head)) return false;
  return isolate_for_migration(k, head);
}

/**
 * alloc_contig_range(start, end, MIGRATE_CMA, gfp) for the folio of `pfn` (MODEL: the
 * range is that folio). 0, -EBUSY, -ENOMEM or -EINTR.
 */
export function* alloc_contig_range_folio(k: Kctx, pfn: number): KThread<number> {
  const m = k.m;
  const head = compound_head(m, pfn);
  // start_isolate_page_range → has_unmovable_pages: a reserved frame cannot be isolated.
  if (PageReserved(m, head)) return -EBUSY;
  if (page_count(m, head) === 0) return 0; // already free: nothing to migrate
  if (fatal_signal_pending(k)) return -EINTR;
  if (!isolate_contig_folio(k, head)) {
    m.event(k.tid, 'contig-busy', [page_label(head)], `${FILE}:test_pages_isolated`);
    return -EBUSY;
  }
  const rc = yield* migrate_one_folio(k, head, 'contig-range');
  if (rc === 0) return 0;
  putback_isolated_pages(k, [head]);
  // migrate_pages() -ENOMEM ends __alloc_contig_migrate_range with it; any other failure
  // leaves the folio in the range: test_pages_isolated() → -EBUSY.
  if (rc === -ENOMEM) return -ENOMEM;
  m.event(k.tid, 'contig-busy', [page_label(head)], `${FILE}:test_pages_isolated`);
  return -EBUSY;
}
