/**
 * The migration primitives GUP's long-term path calls (mm/migrate.c, mm/vmscan.c,
 * mm/hugetlb.c), seen from gup.c. This file is the adapter between gup.ts and the
 * memory model; until the memory model has its own migration (mm/migrate.ts, owned by
 * the memory helper), it carries a small implementation of the part GUP needs.
 *
 * isolate_for_migration(k, head) — isolate_lru_page (5.4: 0 on success) /
 *   folio_isolate_lru (6.x): a folio on the LRU is taken off it with an extra
 *   reference; hugetlb folios (isolate_huge_page / isolate_hugetlb) likewise.
 *   Returns true if the folio is now isolated.
 * migrate_isolated_pages(k, heads, target) — migrate_pages(): for each isolated folio,
 *   allocate a target page (5.4 new_non_cma_page / 6.x alloc_migration_target: GFP_USER,
 *   never CMA or ZONE_MOVABLE, inside current's pin allocation scope), and move it only
 *   if nothing but its mappings, its page-cache entry and the isolation hold references
 *   (the kernel's expected-refcount test in folio_migrate_mapping); then every PTE that
 *   mapped the old frame maps the new one and the old frame is freed. Returns the
 *   number of folios not migrated.
 * putback_isolated_pages(k, heads) — putback_movable_pages(): back on the LRU, isolation
 *   reference dropped, for the folios still isolated.
 *
 * Hugetlb folios (Debian 6.1.192 and 6.12.117, read side by side: mm/gup.c
 * collect_longterm_unpinnable_pages/folios → mm/hugetlb.c isolate_hugetlb (6.1.192:
 * folio_isolate_hugetlb), migrate_longterm_unpinnable_pages/folios → mm/migrate.c
 * migrate_pages → migrate_hugetlbs → unmap_and_move_huge_page, target from
 * alloc_migration_target → htlb_modify_alloc_mask → alloc_huge_page_nodemask (6.1) /
 * alloc_hugetlb_folio_nodemask (6.12)): see unmap_and_move_huge_page below. The two
 * releases' bodies agree on every step the model has (6.12 only adds __GFP_THISNODE to
 * the fresh allocation, a no-op with one node), so one body serves both.
 *
 * Anonymous THP (order-9) folios, PMD- or PTE-mapped: migrated whole to an order-9
 * target, or split into order-0 folios when none can be allocated; see
 * migrate_isolated_pages and migrate_large_or_base_folio (6.1/6.12) and
 * migrate_pages__v5_4 / unmap_and_move__v5_4 / new_non_cma_page (5.4–5.6, the CMA path).
 *
 * MODEL: order-0, anonymous THP and hugetlb folios (the model never creates a
 * file-backed large folio: the guard for one reports unsupported); the rmap walk scans
 * every mm's page tables; MIGRATE_SYNC always (6.12's first MIGRATE_ASYNC passes end the
 * same way for these folios). A folio whose references do not match is retried for up to
 * 10 passes of migrate_pages, with a scheduling point before each attempt
 * (migrate_retry_passes), then counted as failed.
 */
import type { KThread } from '../../sched/index.js';
import { waitUntil } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import {
  GFP_HIGHUSER_MOVABLE, GFP_TRANSHUGE, GFP_USER, ZONE_MOVABLE, __GFP_HIGHMEM, __GFP_MOVABLE, __GFP_NOWARN, __GFP_RECLAIM,
  __GFP_RETRY_MAYFAIL,
} from '../include/linux/gfp.js';
import { copy_page_content, folio_mapcount, folio_order, folio_test_locked, page_count, page_label, put_page } from '../include/linux/mm.js';
import { split_huge_page_to_list } from './huge_memory.js';
import {
  HPAGE_PUD_ORDER, PG_anon, PG_head, PG_hugetlb, PG_hugetlb_free, PG_isolated, PG_lru, PG_partially_mapped, PG_uptodate, mk_pte, pte_flags,
  pte_pfn,
} from '../include/linux/mm_types.js';
import { PF_MEMALLOC_PIN, get_current } from '../include/linux/sched.js';
import { is_longterm_pinnable_page } from '../include/linux/mm.js';
import type { address_space } from '../include/linux/fs.js';
import { alloc_pages } from './page_alloc.js';
import { EAGAIN, EBUSY, ENOMEM } from '../include/uapi/linux/errno.js';
import { race_window } from '../kernel/sched.js';

/**
 * Who asks for the migration, which fixes the target's allocation: 'non-cma' (5.4–5.6
 * GUP, new_non_cma_page), 'longterm-pin' (6.x GUP, alloc_migration_target inside the pin
 * scope), 'contig-range' (alloc_contig_range's alloc_migration_target, a movable user
 * mask: mm/compaction.ts), 'memory-hotplug' (offline_pages' do_migrate_range: the same
 * GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL mask, mm/memory_hotplug.ts).
 */
export type migrate_target = 'non-cma' | 'longterm-pin' | 'contig-range' | 'memory-hotplug';

export function isolate_for_migration(k: Kctx, head: number): boolean {
  const mem = k.m.mem;
  const s = mem.slot_of(head);
  if (s === 0) return false;
  const f = mem.s_flags[s];
  if (f & PG_hugetlb) return isolate_hugetlb(k, head);
  if (f & PG_isolated) return false;
  // Anonymous and page-cache folios sit on the LRU once mapped; the model marks PG_lru
  // only for page-cache pages, so anonymous folios count as on the LRU too.
  if (!(f & PG_lru) && mem.s_mapping[s] === 0) return false;
  mem.s_flags[s] = (f & ~PG_lru) | PG_isolated;
  mem.s_ref[s] += 1;
  k.m.event(k.tid, 'isolate', [page_label(head)], 'mm/vmscan.c:isolate_lru_page');
  return true;
}

/** The page-cache address_space with this id, found through the VMAs mapping it. */
function mapping_by_id(k: Kctx, id: number): address_space | null {
  for (const mm of k.m.mms) {
    for (const vma of mm.mmap) {
      const f = vma.vm_file;
      if (f && f.f_mapping.id === id) return f.f_mapping;
    }
  }
  return null;
}

/**
 * Replace every PTE that maps a frame of [from, from + nr) by one mapping the frame at
 * the same offset from `to` (remove_migration_ptes after try_to_migrate).
 */
function move_ptes(k: Kctx, from: number, to: number, nr: number): number {
  let n = 0;
  for (const mm of k.m.mms) {
    for (const t of mm.pgd.pmd.values()) {
      if (typeof t === 'number') continue;
      const a = t.pte;
      for (let i = 0; i < a.length; i++) {
        const e = a[i];
        if (e === 0) continue;
        const pfn = pte_pfn(e);
        if (pfn >= from && pfn < from + nr) {
          a[i] = mk_pte(to + (pfn - from), pte_flags(e));
          n++;
        }
      }
    }
  }
  return n;
}

/**
 * migrate_pages() as GUP's long-term path calls it; the 5.4–5.6 body (target 'non-cma',
 * new_non_cma_page) is migrate_pages__v5_4 below. For 6.1/6.12:
 * migrate_pages(from, alloc_migration_target, NULL, mtc, MIGRATE_SYNC, MR_LONGTERM_PIN) —
 * mm/migrate.c, Debian 6.1.192 (migrate_pages → migrate_pages_batch) and 6.12.117
 * (migrate_hugetlbs, then migrate_pages_sync → migrate_pages_batch); the steps the model
 * has are the same in both except where a patch says:
 * - hugetlb folios first (migrate_hugetlbs → unmap_and_move_huge_page, in both trees;
 *   -ENOMEM ends the call);
 * - PATCH(migrate-split-partially-mapped) (6.12): a partially mapped THP is split first
 *   (try_split_folio) and counts as one failure; its pieces follow the list;
 * - then each other folio through migrate_folio_unmap + migrate_folio_move
 *   (migrate_large_or_base_folio below; a PTE-mapped THP, partially mapped or not, moves
 *   whole). -ENOMEM for an order-0 folio ends the call (the rest stay unmigrated).
 *   -ENOMEM for a THP (no order-9 target) falls back to try_split_folio() →
 *   split_folio_to_list(): on success the THP counts as one failure and its order-0
 *   pieces are migrated after the list (6.1.192: the split_folio_migration pass with
 *   no_split_folio_counting; 6.12: a MIGRATE_ASYNC migrate_pages_batch over
 *   split_folios), their own failures not counted; a split refused with -EAGAIN is
 *   retried for MR_LONGTERM_PIN (large_retry / retry) and, the model's state being
 *   unchanged between passes, ends up counted as failed;
 * - at the end both trees return 0 when nothing is left on the list (every folio and
 *   every split piece moved), whatever was counted: a THP whose pieces all moved is a
 *   success, and GUP retries and pins the pieces.
 * Returns the number of folios counted as not migrated (0 = success), or for the 5.4
 * body possibly the negative errno that ended the call. Split pieces left unmigrated are
 * put back here (the kernel hands them to the caller's putback through ret_folios).
 */
export function* migrate_isolated_pages(k: Kctx, heads: readonly number[], target: migrate_target): KThread<number> {
  // 'non-cma' is the 5.4–5.6 caller (check_and_migrate_cma_pages with new_non_cma_page);
  // the 6.x callers pass alloc_migration_target's long-term pin control.
  if (target === 'non-cma') return yield* migrate_pages__v5_4(k, heads);
  return yield* migrate_pages__v6_1(k, heads, target);
}

/**
 * One isolated folio through migrate_pages() without the list machinery, for callers
 * that need its errno (mm/compaction.ts): a hugetlb folio through
 * unmap_and_move_huge_page, any other through migrate_folio_unmap + migrate_folio_move.
 * 0, -EAGAIN (references other than mappings, cache and isolation) or -ENOMEM (no
 * target). MODEL: a THP without an order-9 target is not split (the kernel's
 * try_split_folio fallback): reported unsupported, -ENOMEM returned.
 */
export function* migrate_one_folio(k: Kctx, head: number, target: migrate_target): KThread<number> {
  const mem = k.m.mem;
  const attempt = (h: number): KThread<number> =>
    mem.s_flags[mem.slot_of(h)] & PG_hugetlb ? unmap_and_move_huge_page(k, h, target) : migrate_large_or_base_folio(k, h, target);
  let rc = yield* attempt(head);
  if (rc === -EAGAIN) {
    const left = yield* migrate_retry_passes(k, [head], attempt, (_h, r) => {
      rc = r;
    });
    if (left.length > 0) rc = -EAGAIN;
  }
  if (rc === -ENOMEM && folio_order(k.m, head) > 0 && !(mem.s_flags[mem.slot_of(head)] & PG_hugetlb)) {
    unsupported(k, 'mm/migrate.c:migrate_pages', `splitting THP pfn:${head} after -ENOMEM (try_split_folio) for ${target} is not modelled`);
  }
  return rc;
}

/**
 * The folio lock of a folio on the list: migrate_folio_unmap() (6.1.192, 6.12.117) and
 * __unmap_and_move() (5.4.1) trylock it and, in MIGRATE_SYNC (every caller the model has: GUP's
 * long-term migration, alloc_contig_range, offline_pages), sleep in folio_lock() while another
 * thread holds it; try_split_folio() does the same before a split. The model's migration holds
 * the lock within one step, so only a lock held across scheduling points by another thread (a
 * madvise split window, mm/madvise.ts) makes it wait; the step goes on once it is released.
 */
function* migrate_folio_lock(k: Kctx, head: number, site: string): KThread<void> {
  const m = k.m;
  if (!folio_test_locked(m, head)) return;
  yield* waitUntil(`${site}:folio_lock`, { kind: 'waitqueue', object: page_label(head), detail: 'folio_lock: another thread holds the folio lock' },
    () => !folio_test_locked(m, head));
}

/** NR_MAX_MIGRATE_PAGES_RETRY (mm/migrate.c, 5.4.1 .. 6.12.117). */
const NR_MAX_MIGRATE_PAGES_RETRY = 10;

/**
 * The retry passes of migrate_pages(): a folio that failed with -EAGAIN (a reference
 * beyond the expected ones: a pin, a GUP reference, a concurrent fault) stays on the list
 * and is tried again in the next pass, up to NR_MAX_MIGRATE_PAGES_RETRY passes in all
 * (5.4.1 migrate_pages; 6.1.192 migrate_pages / migrate_hugetlbs; 6.12.117 three
 * MIGRATE_ASYNC passes then seven MIGRATE_SYNC ones, the same outcome for these folios).
 * Each attempt starts with the cond_resched() of the list walk, where the holder of the
 * extra reference may drop it. `busy` are the folios that failed the first pass; returns
 * those still failing with -EAGAIN after the last pass (any other error ends a folio's
 * retries and is left to `done`, which sees every later result).
 */
function* migrate_retry_passes(
  k: Kctx, busy: readonly number[], attempt: (head: number) => KThread<number>, done: (head: number, rc: number) => void,
): KThread<number[]> {
  let list = [...busy];
  for (let pass = 1; pass < NR_MAX_MIGRATE_PAGES_RETRY && list.length > 0; pass++) {
    const again: number[] = [];
    for (const head of list) {
      yield* race_window(k, 'mm/migrate.c:migrate_pages:retry', `${pass}:${head}`);
      const rc = yield* attempt(head);
      if (rc === -EAGAIN) again.push(head);
      else done(head, rc);
    }
    list = again;
  }
  return list;
}

/** migrate_pages() as Debian 6.1.192 / 6.12.117 run it for GUP: see migrate_isolated_pages. */
function* migrate_pages__v6_1(k: Kctx, heads: readonly number[], target: migrate_target): KThread<number> {
  const m = k.m;
  const mem = m.mem;
  let failed = 0;
  const split: number[] = [];
  // migrate_hugetlbs() runs before the other folios.
  const huge = heads.filter((h) => (mem.s_flags[mem.slot_of(h)] & PG_hugetlb) !== 0);
  const rest = heads.filter((h) => (mem.s_flags[mem.slot_of(h)] & PG_hugetlb) === 0);
  // Folios (or split pieces) still on the list at the end: not migrated.
  let left = 0;
  const hbusy: number[] = [];
  for (let i = 0; i < huge.length; i++) {
    // migrate_hugetlbs(): -ENOMEM (no target folio) ends the whole call at once.
    const rc = yield* unmap_and_move_huge_page(k, huge[i], target);
    if (rc === -ENOMEM) return failed + heads.length - i;
    if (rc === -EAGAIN) hbusy.push(huge[i]);
    else if (rc !== 0) {
      failed++;
      left++;
    }
  }
  let enomem = false;
  const hleft = yield* migrate_retry_passes(k, hbusy, (h) => unmap_and_move_huge_page(k, h, target), (_h, rc) => {
    if (rc === -ENOMEM) enomem = true;
    if (rc !== 0) {
      failed++;
      left++;
    }
  });
  failed += hleft.length;
  left += hleft.length;
  if (enomem) return failed + rest.length;
  const busy: number[] = [];
  for (let i = 0; i < rest.length; i++) {
    const head = rest[i];
    const large = folio_order(m, head) > 0;
    // PATCH(migrate-split-partially-mapped): 7262f208ca68 — a partially mapped THP is split
    // first (try_split_folio); it counts as one failure, its pieces follow the list. If the
    // split is refused it is migrated like any other folio.
    if (large && k.patch('migrate-split-partially-mapped') && mem.s_flags[mem.slot_of(head)] & PG_partially_mapped) {
      yield* migrate_folio_lock(k, head, 'mm/migrate.c:try_split_folio');
      const pieces = split_huge_page_to_list(k, head);
      if (typeof pieces !== 'number') {
        failed++;
        split.push(...pieces);
        continue;
      }
    }
    const rc = yield* migrate_large_or_base_folio(k, head, target);
    if (rc === 0) continue;
    if (rc === -ENOMEM && large) {
      // try_split_folio(): the THP counts as failed; its pieces are tried after the list.
      failed++;
      // A split refused with -EAGAIN (the only refusal the model has) is retried by the
      // kernel for MR_LONGTERM_PIN in the next passes and the list goes on; nothing
      // changes between the model's passes, so it stays counted as failed.
      yield* migrate_folio_lock(k, head, 'mm/migrate.c:try_split_folio');
      const pieces = split_huge_page_to_list(k, head);
      if (typeof pieces !== 'number') split.push(...pieces);
      else left++;
      continue;
    }
    if (rc === -ENOMEM) {
      // An order-0 folio without a target: the whole call ends.
      putback_isolated_pages(k, split);
      return failed + rest.length - i;
    }
    if (rc === -EAGAIN) {
      busy.push(head);
      continue;
    }
    failed++;
    left++;
  }
  const still = yield* migrate_retry_passes(k, busy, (h) => migrate_large_or_base_folio(k, h, target), (_h, rc) => {
    if (rc !== 0) {
      failed++;
      left++;
    }
  });
  failed += still.length;
  left += still.length;
  for (let i = 0; i < split.length; i++) {
    // The split pieces: failures are not counted; -ENOMEM still ends the pass.
    const rc = yield* migrate_large_or_base_folio(k, split[i], target);
    if (rc === 0) continue;
    left += rc === -ENOMEM ? split.length - i : 1;
    if (rc === -ENOMEM) break;
  }
  putback_isolated_pages(k, split);
  // migrate_pages() reports success when nothing is left on the list, even though a
  // split THP was counted as failed (its pieces all moved).
  return left === 0 ? 0 : failed;
}

/**
 * The migration target for a non-hugetlb folio: alloc_migration_target(src, mtc) with
 * GUP's control (GFP_USER | __GFP_NOWARN) — mm/migrate.c, Debian 6.1.192 and 6.12.117
 * (same body): a large folio keeps its order, with __GFP_RECLAIM cleared and
 * GFP_TRANSHUGE added (which carries __GFP_MOVABLE); a source in ZONE_MOVABLE adds
 * __GFP_HIGHMEM. The allocation runs inside GUP's memalloc_pin_save() scope, where
 * current_gfp_context() strips __GFP_MOVABLE (mm/page_alloc.ts), so the target comes
 * from ZONE_NORMAL or below and never from CMA.
 */
function alloc_migration_target(k: Kctx, head: number, target: migrate_target): number | null {
  const m = k.m;
  const order = folio_order(m, head);
  // __alloc_contig_migrate_range's control (Debian 6.1.192): GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL.
  let gfp = target === 'contig-range' || target === 'memory-hotplug' ? GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL : GFP_USER | __GFP_NOWARN;
  if (order > 0) gfp = (gfp & ~__GFP_RECLAIM) | GFP_TRANSHUGE;
  const r = m.mem.region_of(head);
  if (r && r.zone === ZONE_MOVABLE) gfp |= __GFP_HIGHMEM;
  return alloc_pages(k, gfp, order, 'mm/migrate.c:alloc_migration_target:should_fail_alloc_page');
}


/**
 * An isolated folio whose only remaining reference is the isolation's was freed
 * under the migration (every user dropped it): clear the isolation, drop that last
 * reference and report it done (mm/migrate.c, 6.1/6.12: the folio_ref_count() == 1
 * check before unmapping). Returns true when that happened.
 */
function release_if_last_ref(k: Kctx, head: number): boolean {
  const m = k.m;
  if (page_count(m, head) !== 1) return false;
  m.mem.s_flags[m.mem.slot_of(head)] &= ~PG_isolated;
  put_page(m, head);
  return true;
}

/** The file mapping of a page-cache folio (null for anon) and whether the cache holds a reference to it. */
function folio_cache_ref(k: Kctx, head: number): { mapping: address_space | null; cacheRef: 0 | 1 } {
  const mem = k.m.mem;
  const s = mem.slot_of(head);
  const mapping = mem.s_mapping[s] !== 0 && !(mem.s_flags[s] & PG_anon) ? mapping_by_id(k, mem.s_mapping[s]) : null;
  return { mapping, cacheRef: mapping !== null && mapping.i_pages.get(mem.s_index[s]) === head ? 1 : 0 };
}

/**
 * folio_expected_refs() (mm/migrate.c, 6.1/6.12): the references a folio may have
 * when it is moved — its mappings, the page cache's, and the isolation's. Any more
 * (a pin, a GUP reference) makes the move fail with -EAGAIN.
 */
function folio_expected_refs(k: Kctx, head: number, cacheRef: 0 | 1): number {
  return folio_mapcount(k.m, head) + cacheRef + 1;
}

/**
 * migrate_folio_unmap() + migrate_folio_move() for one isolated non-hugetlb folio —
 * mm/migrate.c, Debian 6.1.192 and 6.12.117:
 * 1. only the isolation reference left: the folio was freed meanwhile; done (0);
 * 2. no target (alloc_migration_target) → -ENOMEM;
 * 3. unmap (try_to_migrate: a PMD-mapped THP gets a PMD migration entry, PTE mappings
 *    PTE migration entries) and move the mapping: folio_migrate_mapping() freezes the
 *    folio at its expected references (isolation, plus the page cache for a file
 *    folio) — any other holder (a pin) gives -EAGAIN and the target goes back;
 * 4. copy data and flags (per subpage, with PageAnonExclusive), map the new folio where
 *    the old one was (remove_migration_ptes / remove_migration_pmd: a PMD mapping stays
 *    a PMD mapping, PTE mappings stay PTEs at the same offsets), and release the old one.
 * Returns 0, -ENOMEM or -EAGAIN.
 * The caller retries an -EAGAIN folio (migrate_retry_passes). MODEL: a partially mapped anonymous THP is reported
 * unsupported (6.12.117 splits such a folio first — migrate_pages_batch's deferred-split
 * check — which the model does not track); file-backed large folios are unsupported.
 */
function* migrate_large_or_base_folio(k: Kctx, head: number, target: migrate_target): KThread<number> {
  const m = k.m;
  const mem = m.mem;
  const s = mem.slot_of(head);
  if (s === 0 || mem.s_pfn[s] !== head || !(mem.s_flags[s] & PG_isolated)) return -EAGAIN;
  if (mem.s_order[s] > 0 && !(mem.s_flags[s] & PG_anon)) {
    // Unreachable: the model creates no file-backed large folio (no shmem THP, no
    // page-cache large folios; see tests/unit/linux/mm/thp.file.test.ts). Kept as a guard.
    unsupported(k, 'mm/migrate.c:migrate_pages', `migrating a file-backed large folio (pfn:${head}) is not modelled`);
    return -EAGAIN;
  }
  // Freed from under us (migrate_folio_done): the isolation reference was the last one.
  if (release_if_last_ref(k, head)) return 0;
  const np = alloc_migration_target(k, head, target);
  if (np === null) return -ENOMEM;
  yield* migrate_folio_lock(k, head, 'mm/migrate.c:migrate_folio_unmap');
  const { mapping, cacheRef } = folio_cache_ref(k, head);
  // folio_migrate_mapping(): only the isolation, the mappings and the cache may hold it.
  if (page_count(m, head) !== folio_expected_refs(k, head, cacheRef)) {
    put_page(m, np);
    return -EAGAIN;
  }
  yield* move_folio(k, head, np, cacheRef, mapping, target, 'mm/migrate.c:migrate_pages');
  return 0;
}

/**
 * The move itself, once the references matched (5.4.1 __unmap_and_move → move_to_new_page
 * → migrate_page_move_mapping / migrate_page_copy → remove_migration_ptes; 6.1/6.12
 * migrate_folio_unmap + migrate_folio_move, same end state): copy data and flags (per
 * subpage, with PageAnonExclusive), map the new folio where the old one was (a PMD
 * mapping stays a PMD mapping, PTE mappings stay PTEs at the same offsets, unmapped
 * subpages stay unmapped), put the new folio on the LRU, and release the old one.
 */
function* move_folio(
  k: Kctx, head: number, np: number, cacheRef: 0 | 1, mapping: address_space | null, target: migrate_target, site: string,
): KThread<void> {
  const m = k.m;
  const mem = m.mem;
  const s = mem.slot_of(head);
  const order = mem.s_order[s];
  const n = 2 ** order;
  const ns = mem.slot_of(np);
  if (order === 0) {
    copy_page_content(m, np, head);
  } else {
    // folio_migrate_copy() / folio_migrate_flags(): data and per-subpage state move over.
    mem.s_content[ns] = mem.s_content[s];
    for (const mp of [mem.sub_content, mem.sub_flags, mem.sub_map]) {
      if (mp.size === 0) continue;
      for (let i = 0; i < n; i++) {
        const v = mp.get(head + i);
        if (v === undefined) continue;
        mp.set(np + i, v);
        mp.delete(head + i);
      }
    }
  }
  const mapcount = folio_mapcount(m, head);
  // __migrate_folio_move(): the new folio goes on the LRU (folio_add_lru).
  mem.s_flags[ns] = (mem.s_flags[s] & ~PG_isolated) | PG_lru;
  mem.s_mapping[ns] = mem.s_mapping[s];
  mem.s_index[ns] = mem.s_index[s];
  mem.s_map[ns] = mem.s_map[s];
  mem.s_ptemaps[ns] = mem.s_ptemaps[s];
  // The new folio holds one reference per mapping and one for the cache.
  mem.s_ref[ns] = mapcount + cacheRef;
  if (order > 0) move_huge_leaves(k, head, np, order);
  move_ptes(k, head, np, n);
  if (cacheRef && mapping) mapping.i_pages.set(mem.s_index[s], np);
  // The old folio: no mappings, no cache entry; the isolation reference goes last.
  mem.s_map[s] = 0;
  mem.s_ptemaps[s] = 0;
  mem.s_mapping[s] = 0;
  mem.s_ref[s] = 1;
  mem.s_flags[s] &= ~PG_isolated;
  m.event(k.tid, 'migrate', [page_label(head), page_label(np)], site, target);
  put_page(m, head);
  yield* race_window(k, 'mm/migrate.c:migrate_pages:after-move');
}

// ===========================================================================
// 5.4–5.6: migrate_pages(&cma_page_list, new_non_cma_page, NULL, 0, MIGRATE_SYNC,
// MR_CONTIG_RANGE) from check_and_migrate_cma_pages.

/**
 * new_non_cma_page(page, private) — mm/gup.c, 5.4.1 (5.5-rc5 and 5.6.4 the same): the
 * target for a folio leaving CMA, on the source's node, with __GFP_NOWARN:
 * - hugetlb: alloc_migrate_huge_page (see alloc_hugetlb_migration_target);
 * - a THP (PageTransHuge): an order-9 folio with GFP_TRANSHUGE less __GFP_MOVABLE (so
 *   that CMA, which serves only movable requests, is never chosen), prepared as a THP;
 * - anything else: one page with GFP_USER (not movable: never CMA, never ZONE_MOVABLE).
 * __GFP_HIGHMEM is added for a PageHighMem source, which x86-64 never has. The caller
 * is outside any no-CMA scope here (__gup_longterm_locked restored it before
 * check_and_migrate_cma_pages), which does not matter: the masks are not movable.
 */
function new_non_cma_page(k: Kctx, head: number): number | null {
  const order = folio_order(k.m, head);
  if (order > 0) {
    const thp = alloc_pages(k, (GFP_TRANSHUGE | __GFP_NOWARN) & ~__GFP_MOVABLE, order, 'mm/gup.c:new_non_cma_page:should_fail_alloc_page');
    if (thp !== null) k.m.mem.s_flags[k.m.mem.slot_of(thp)] |= PG_head | PG_uptodate; // prep_transhuge_page
    return thp;
  }
  return alloc_pages(k, GFP_USER | __GFP_NOWARN, 0, 'mm/gup.c:new_non_cma_page:should_fail_alloc_page');
}

/**
 * unmap_and_move(new_non_cma_page, NULL, 0, page, force, MIGRATE_SYNC, MR_CONTIG_RANGE)
 * for one isolated non-hugetlb folio (order 0 or a THP) — mm/migrate.c 5.4.1 / 5.6.4:
 * 1. the isolation reference is the only one left: freed meanwhile, done (0);
 * 2. no target from new_non_cma_page → -ENOMEM;
 * 3. __unmap_and_move: try_to_unmap (a PMD-mapped THP gets a PMD migration entry —
 *    x86-64 has THP migration — PTE mappings PTE migration entries, whether or not every
 *    subpage is mapped), then migrate_page_move_mapping: an anonymous page must be down
 *    to the isolation reference (expected_page_refs), a page-cache page to that plus the
 *    cache's; anything else (a pin, a GUP reference) → -EAGAIN and the old PTEs come back;
 * 4. copy, map the new folio where the old one was, free the old (move_folio).
 * Returns 0, -ENOMEM or -EAGAIN.
 * MODEL: 5.4.1 asks new_non_cma_page for the target before the freed-meanwhile test
 * (5.5-rc5 and 5.6.4 test first); the model tests first in all three. They differ only
 * when the folio was freed by a concurrent unmap and no target can be had (5.4.1 then
 * fails with -ENOMEM); the upstream commit that swapped them is not identified.
 */
function* unmap_and_move__v5_4(k: Kctx, head: number): KThread<number> {
  const m = k.m;
  const mem = m.mem;
  const s = mem.slot_of(head);
  if (s === 0 || mem.s_pfn[s] !== head || !(mem.s_flags[s] & PG_isolated)) return -EAGAIN;
  if (mem.s_order[s] > 0 && !(mem.s_flags[s] & PG_anon)) {
    // Unreachable: the model creates no file-backed large folio (see migrate_large_or_base_folio).
    unsupported(k, 'mm/migrate.c:unmap_and_move', `migrating a file-backed large folio (pfn:${head}) is not modelled`);
    return -EAGAIN;
  }
  if (release_if_last_ref(k, head)) return 0;
  const np = new_non_cma_page(k, head);
  if (np === null) return -ENOMEM;
  yield* migrate_folio_lock(k, head, 'mm/migrate.c:__unmap_and_move');
  const { mapping, cacheRef } = folio_cache_ref(k, head);
  if (page_count(m, head) !== folio_expected_refs(k, head, cacheRef)) {
    put_page(m, np);
    return -EAGAIN;
  }
  yield* move_folio(k, head, np, cacheRef, mapping, 'non-cma', 'mm/migrate.c:unmap_and_move');
  return 0;
}

/**
 * migrate_pages(from, new_non_cma_page, ...) — mm/migrate.c 5.4.1 (5.5-rc5 and 5.6.4
 * the same loop), in list order, hugetlb and other folios alike:
 * - success: off the list;
 * - -EAGAIN: stays on the list for the next of up to 10 passes, then counts as one
 *   failure;
 * - -ENOMEM for a THP (no order-9 target outside CMA): split_huge_page_to_list(page,
 *   from) — the tails go to the end of the list, the head (now order 0) is retried at
 *   once; if the split is refused (-EBUSY: a reference beyond the mappings and the
 *   isolation, can_split_huge_page) the call ends returning that error;
 * - -ENOMEM otherwise (an order-0 page or a hugetlb folio without a target): the call
 *   ends at once, returning -ENOMEM, the rest left on the list.
 * Returns the number of folios not migrated, or the negative errno that ended the call;
 * either non-zero value makes check_and_migrate_cma_pages give up migrating and pin the
 * pages where they are. Split pieces left unmigrated are put back here (the kernel
 * leaves them on the caller's list, which the caller puts back on failure).
 * An -EAGAIN folio is retried in up to 10 passes (migrate_retry_passes).
 */
function* migrate_pages__v5_4(k: Kctx, heads: readonly number[]): KThread<number> {
  const m = k.m;
  const mem = m.mem;
  const from = [...heads];
  const pieces: number[] = [];
  const busy: number[] = [];
  let failed = 0;
  for (let i = 0; i < from.length; i++) {
    const page = from[i];
    const huge = (mem.s_flags[mem.slot_of(page)] & PG_hugetlb) !== 0;
    let rc = huge ? yield* unmap_and_move_huge_page(k, page, 'non-cma') : yield* unmap_and_move__v5_4(k, page);
    if (rc === -ENOMEM && !huge && folio_order(m, page) > 0) {
      yield* migrate_folio_lock(k, page, 'mm/migrate.c:migrate_pages:split');
      const split = split_huge_page_to_list(k, page);
      if (typeof split === 'number') {
        // 5.4.1 split_huge_page_to_list refuses with -EBUSY (6.x: -EAGAIN, as the model's split returns).
        rc = -EBUSY;
      } else {
        // The tails join the end of the list; the head is retried at once.
        from.push(...split.slice(1));
        pieces.push(...split.slice(1));
        rc = yield* unmap_and_move__v5_4(k, page);
      }
    }
    if (rc === -ENOMEM || (rc < 0 && rc !== -EAGAIN)) {
      putback_isolated_pages(k, pieces);
      return rc;
    }
    if (rc === -EAGAIN) busy.push(page);
  }
  let ended = 0;
  const still = yield* migrate_retry_passes(k, busy, (h) => (mem.s_flags[mem.slot_of(h)] & PG_hugetlb ? unmap_and_move_huge_page(k, h, 'non-cma') : unmap_and_move__v5_4(k, h)), (_h, rc) => {
    // -ENOMEM in a later pass ends the call with it (MODEL: the folios after it in that pass are still tried).
    if (rc < 0 && ended === 0) ended = rc;
  });
  if (ended < 0) {
    putback_isolated_pages(k, pieces);
    return ended;
  }
  failed += still.length;
  if (failed) putback_isolated_pages(k, pieces);
  return failed;
}

export function putback_isolated_pages(k: Kctx, heads: readonly number[]): void {
  const mem = k.m.mem;
  for (const head of heads) {
    const s = mem.slot_of(head);
    if (s === 0 || mem.s_pfn[s] !== head || !(mem.s_flags[s] & PG_isolated)) continue;
    mem.s_flags[s] &= ~PG_isolated;
    // folio_putback_hugetlb(): a hugetlb folio goes back to the hstate's active list, not the LRU.
    if (mem.s_mapping[s] !== 0 && !(mem.s_flags[s] & PG_hugetlb)) mem.s_flags[s] |= PG_lru;
    put_page(k.m, head);
  }
}

// ===========================================================================
// Hugetlb folios.

/**
 * isolate_hugetlb(folio, list) — mm/hugetlb.c (6.12.117; 6.1.192 folio_isolate_hugetlb):
 * only a hugetlb head that is migratable (HPageMigratable: in use and mapped or in the
 * page cache, not free in the pool, not already isolated) and still referenced is
 * taken, with an extra reference. MODEL: PG_isolated stands for the cleared
 * migratable bit while the folio sits on the migration list.
 */
function isolate_hugetlb(k: Kctx, head: number): boolean {
  const mem = k.m.mem;
  const s = mem.slot_of(head);
  const f = mem.s_flags[s];
  if (!(f & PG_head) || f & (PG_hugetlb_free | PG_isolated) || mem.s_ref[s] === 0) return false;
  mem.s_flags[s] = f | PG_isolated;
  mem.s_ref[s] += 1;
  k.m.event(k.tid, 'isolate', [page_label(head)], 'mm/hugetlb.c:isolate_hugetlb');
  return true;
}

/**
 * The target of a hugetlb migration: alloc_migration_target() with the long-term pin
 * control (GFP_USER | __GFP_NOWARN), which htlb_modify_alloc_mask() replaces by the
 * hstate's own mask (GFP_HIGHUSER_MOVABLE for a 2 MiB hstate, keeping only
 * __GFP_NOWARN / __GFP_THISNODE), then alloc_huge_page_nodemask (6.1.192) /
 * alloc_hugetlb_folio_nodemask (6.12.117):
 * 1. a free pool folio (dequeue_huge_page_node_exact / dequeue_hugetlb_folio_node_exact),
 *    skipping one that is not long-term pinnable while PF_MEMALLOC_PIN is set — which it
 *    is here: GUP migrates inside its memalloc_pin_save() scope;
 * 2. else, for a non-gigantic hstate, a fresh folio from the buddy allocator
 *    (alloc_migrate_huge_page / alloc_migrate_hugetlb_folio), where the pin scope strips
 *    __GFP_MOVABLE (current_gfp_context), marked temporary (HPageTemporary) so that it is
 *    not counted in the pool; a gigantic (1 GiB) hstate gets nothing.
 * Before PATCH(hugetlb-migration-target-pool) (5.4.1 check_and_migrate_cma_pages →
 * new_non_cma_page) the pool is never tried: only step 2, with GFP_USER | __GFP_NOWARN.
 * MODEL: available_huge_pages() is the free count (reservations are per-inode counts
 * in the model and are not subtracted); one node.
 */
function alloc_hugetlb_migration_target(k: Kctx, order: number): { pfn: number; temporary: boolean } | null {
  const m = k.m;
  const mem = m.mem;
  // PATCH(hugetlb-migration-target-pool) bbe88753bd42: the pool dequeue skips unpinnable folios inside the pin scope
  const pin = k.patch('hugetlb-migration-target-pool') && (get_current(k).flags & PF_MEMALLOC_PIN) !== 0;
  // PATCH(hugetlb-migration-target-pool): bbe88753bd42 — the pool is tried first.
  const pool = k.patch('hugetlb-migration-target-pool');
  const i = !pool ? -1
    : m.hugetlb_free.findLastIndex((p) => mem.s_order[mem.slot_of(p)] === order && (!pin || is_longterm_pinnable_page(k, p))); // head first (hugetlb.ts)
  if (i >= 0) {
    const pfn = m.hugetlb_free.splice(i, 1)[0];
    const s = mem.slot_of(pfn);
    mem.s_flags[s] = PG_hugetlb | PG_head | PG_uptodate;
    mem.s_ref[s] = 1;
    mem.s_content[s] = 0;
    m.event(k.tid, 'alloc', [page_label(pfn)], 'mm/hugetlb.c:dequeue_hugetlb_folio_nodemask', order);
    return { pfn, temporary: false };
  }
  if (order >= HPAGE_PUD_ORDER) return null; // hstate_is_gigantic()
  // Before the patch: GFP_USER (new_non_cma_page); after: the hstate's mask (htlb_modify_alloc_mask).
  const pfn = alloc_pages(k, (pool ? GFP_HIGHUSER_MOVABLE : GFP_USER) | __GFP_NOWARN, order,
    pool ? 'mm/migrate.c:alloc_migration_target:should_fail_alloc_page' : 'mm/gup.c:new_non_cma_page:should_fail_alloc_page');
  if (pfn === null) return null;
  const s = mem.slot_of(pfn);
  mem.s_flags[s] = PG_hugetlb | PG_head | PG_uptodate;
  return { pfn, temporary: true };
}

/** Give an unused target back: a pool folio to the pool, a temporary one to the buddy allocator. */
function free_hugetlb_target(k: Kctx, t: { pfn: number; temporary: boolean }): void {
  const mem = k.m.mem;
  const s = mem.slot_of(t.pfn);
  if (t.temporary) mem.s_flags[s] &= ~(PG_hugetlb | PG_head);
  put_page(k.m, t.pfn);
}

/** Replace every huge leaf (PMD or PUD) that maps folio `from` by one mapping `to`. */
function move_huge_leaves(k: Kctx, from: number, to: number, order: number): number {
  let n = 0;
  for (const mm of k.m.mms) {
    const table = order >= HPAGE_PUD_ORDER ? mm.pgd.pud : mm.pgd.pmd;
    for (const [key, e] of table) {
      if (typeof e !== 'number' || e === 0 || pte_pfn(e) !== from) continue;
      table.set(key, mk_pte(to, pte_flags(e)));
      n++;
    }
  }
  return n;
}

/**
 * unmap_and_move_huge_page(get_new_folio, put_new_folio, private, src, force, mode,
 * reason, ret) — mm/migrate.c, Debian 6.1.192 and 6.12.117 (same steps): a folio whose
 * only reference is the isolation one was freed meanwhile (put back, success); no
 * target → -ENOMEM; otherwise unmap it everywhere (try_to_migrate), move the mapping
 * (anon: folio_migrate_mapping with no mapping; hugetlbfs: migrate_huge_page_move_mapping,
 * which freezes at cache + isolation references → -EAGAIN if anything else holds it),
 * copy the data, map the new folio where the old one was (remove_migration_ptes),
 * move_hugetlb_state() (a temporary target becomes the pool folio, the source becomes
 * temporary and goes back to the buddy allocator when released), and put the source back.
 * Returns 0, -ENOMEM or -EAGAIN.
 */
function* unmap_and_move_huge_page(k: Kctx, head: number, target: migrate_target): KThread<number> {
  // 5.4.1 (isolate_huge_page / unmap_and_move_huge_page, read) takes the same steps but has
  // no freed-under-us shortcut; that case cannot arise under GUP's mmap_lock (the folio is
  // still mapped), so the one body serves all releases.
  const m = k.m;
  const mem = m.mem;
  const s = mem.slot_of(head);
  if (!(mem.s_flags[s] & PG_isolated)) return -EAGAIN;
  // Freed from under us: folio_putback_hugetlb() and done.
  if (release_if_last_ref(k, head)) return 0;
  const order = folio_order(m, head);
  const dst = alloc_hugetlb_migration_target(k, order);
  if (dst === null) return -ENOMEM;
  const { mapping, cacheRef } = folio_cache_ref(k, head);
  if (page_count(m, head) !== folio_expected_refs(k, head, cacheRef)) {
    // A reference other than the mappings, the cache and the isolation (e.g. a pin
    // taken meanwhile): the freeze fails; the target goes back.
    free_hugetlb_target(k, dst);
    return -EAGAIN;
  }
  const np = dst.pfn;
  const ns = mem.slot_of(np);
  const n = 2 ** order;
  // folio_migrate_copy()/folio_migrate_flags(): data and per-subpage state move over.
  mem.s_content[ns] = mem.s_content[s];
  for (const mp of [mem.sub_content, mem.sub_flags, mem.sub_map]) {
    if (mp.size === 0) continue;
    for (let i = 0; i < n; i++) {
      const v = mp.get(head + i);
      if (v === undefined) continue;
      mp.set(np + i, v);
      mp.delete(head + i);
    }
  }
  mem.s_flags[ns] = mem.s_flags[s] & ~(PG_isolated | PG_lru);
  mem.s_mapping[ns] = mem.s_mapping[s];
  mem.s_index[ns] = mem.s_index[s];
  mem.s_map[ns] = mem.s_map[s];
  mem.s_ptemaps[ns] = mem.s_ptemaps[s];
  // The new folio holds what the old one held for its mappings and the page cache.
  mem.s_ref[ns] = folio_mapcount(m, head) + cacheRef;
  move_huge_leaves(k, head, np, order);
  if (cacheRef && mapping) mapping.i_pages.set(mem.s_index[s], np);
  // The old folio: no mappings, no cache entry; the isolation reference goes last.
  mem.s_map[s] = 0;
  mem.s_ptemaps[s] = 0;
  mem.s_mapping[s] = 0;
  mem.s_ref[s] = 1;
  mem.s_flags[s] &= ~PG_isolated;
  // move_hugetlb_state(): the source takes over the temporary status and so is
  // released to the buddy allocator (update_and_free_hugetlb_folio), not to the pool.
  if (dst.temporary) mem.s_flags[s] &= ~(PG_hugetlb | PG_head);
  m.event(k.tid, 'migrate', [page_label(head), page_label(np)], 'mm/migrate.c:unmap_and_move_huge_page', target);
  put_page(m, head);
  yield* race_window(k, 'mm/migrate.c:migrate_pages:after-move');
  return 0;
}
