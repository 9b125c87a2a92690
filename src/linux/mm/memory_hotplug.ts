/**
 * Memory offlining and onlining of one memory block: mm/memory_hotplug.c offline_pages()
 * (5.4.1: __offline_pages) and online_pages(), with the pieces of mm/page_isolation.c
 * they call (start_isolate_page_range → has_unmovable_pages, test_pages_isolated,
 * undo_isolate_page_range) — 5.4.1, 5.5-rc5, 5.6.4, Debian 6.1.192 and 6.12.117. The
 * sysfs side (memoryN/state, the block list) is drivers/base/memory.ts.
 *
 * offline_pages(start_pfn, nr_pages), per release:
 * 1. (PATCH(hotplug-no-holes), c5e79ef561b0, v5.5) a block with holes (frames that are no
 *    System RAM) → -EINVAL ("memory holes"); 5.4.1 offlines the RAM of such a block.
 *    A block whose RAM lies in more than one zone → -EINVAL (5.4.1 test_pages_in_a_zone;
 *    6.x memory_block_offline: mem->zone is NULL for such a block).
 * 2. start_isolate_page_range(MEMORY_OFFLINE): has_unmovable_pages() per pageblock: a CMA
 *    pageblock, a PG_reserved frame, and (outside ZONE_MOVABLE) an in-use frame that is
 *    neither on the LRU nor movable → -EBUSY ("failure to isolate range"). Otherwise the
 *    range becomes MIGRATE_ISOLATE: the allocator hands out nothing from it.
 * 3. The retry loop: signal_pending(current) → -EINTR ("signal backoff") and the range is
 *    un-isolated; cond_resched(); scan_movable_pages() finds the next in-use folio that is
 *    on the LRU (or an in-use hugetlb folio); do_migrate_range() isolates the folios from
 *    there to the end of the block and migrate_pages(MR_MEMORY_HOTPLUG) moves them (target
 *    GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL, so from any other zone); folios that did
 *    not move are put back and the scan starts again from the same pfn. When no movable
 *    folio is left, dissolve_free_huge_pages() then test_pages_isolated() (every frame
 *    free); an in-use frame left sends the whole loop round again.
 *    So a folio that cannot move — a short-term reference (a GUP get, an O_DIRECT pin, a
 *    pipe buffer) or a long-term pin that sits in the block — keeps offline_pages()
 *    looping until the reference goes (then it succeeds) or a signal arrives (-EINTR).
 * 4. Success: the range's free frames leave the allocator, present_pages drops, and
 *    (PATCH(hotplug-shrink-zone-offline), feee6b298916, v5.5) remove_pfn_range_from_zone()
 *    shrinks the zone's span when the block was at its edge (5.4.1 keeps the span until the
 *    memory is removed), which decides the zone a later plain `online` picks.
 *
 * online_pages(pfn, nr_pages, zone): zone_for_pfn_range() picks the zone — online_kernel:
 * the first kernel zone the block intersects, else ZONE_NORMAL; online_movable:
 * ZONE_MOVABLE; online (5.4.1 MMOP_ONLINE_KEEP, 6.x MMOP_ONLINE; default_zone_for_pfn):
 * the zone whose span already covers the block when exactly one of the kernel zone and
 * ZONE_MOVABLE does, else the kernel zone (movable_node is off); the zone span grows to
 * the block (move_pfn_range_to_zone → resize_zone_range) and its frames become free in
 * that zone.
 *
 * Locking contract: called under device_hotplug_lock (drivers/base/memory.ts takes it).
 * MODEL:
 * - mem_hotplug_begin()'s percpu rwsem, memory notifiers, pcp/LRU-cache disabling, kswapd
 *   and watermarks are not modelled; one node (the migration target may come from the
 *   same node, as the kernel's nodemask fallback allows with a single node);
 * - the kernel's retry loop spins (with cond_resched()) while a folio cannot move; a pass
 *   over an unchanged block gives the same result, so after a pass that changed nothing
 *   the model waits (an interruptible wait) until a folio of the block changes (a
 *   reference dropped, an unmap, a free), memory is freed elsewhere (a migration that
 *   found no target frame) or a signal arrives. It waits only while some folio of the
 *   block holds a reference beyond its mappings and page-cache entry; a pass that failed
 *   for want of a target frame alone (an injected allocation failure, `--fail-nth`) is
 *   run again at once, as the kernel does (with memory truly exhausted that repeats until
 *   the step bound). The explorer sees a thread
 *   that never finishes as blocked (a `deadlock`, and the `offline-progress` invariant),
 *   not as a spin that exhausts the step bound;
 * - migrate_pages() is the model's 6.1/6.12 body (mm/gup_migrate.ts) on every release:
 *   5.4.1's migrate_pages for MR_MEMORY_HOTPLUG reaches the same end states for the
 *   folios the model has (order 0, anonymous THP, hugetlb; 10 passes, the expected-
 *   reference test);
 * - free hugetlb folios in the block (dissolve_free_huge_pages, which needs the pool's
 *   reservations) and non-LRU movable pages (balloon, zsmalloc) are not modelled: a block
 *   holding a free hugetlb folio reports `unsupported`;
 * - is_longterm_pinnable_page() does not test MIGRATE_ISOLATE (6.1/6.12 do): a long-term
 *   GUP racing with the offline of a ZONE_MOVABLE block migrates the page anyway.
 */
import type { KThread } from '../../sched/index.js';
import { waitUntil } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import { unsupported } from '../include/linux/bug.js';
import { errno_reason, hex } from '../errno_reason.js';
import { ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL } from '../include/linux/gfp.js';
import type { zone_type } from '../include/linux/gfp.js';
import { folio_mapcount, page_label } from '../include/linux/mm.js';
import { HPAGE_PMD_ORDER, PAGE_SHIFT, PG_anon, PG_hugetlb, PG_hugetlb_free, PG_isolated, PG_lru, PG_reserved } from '../include/linux/mm_types.js';
import type { zone } from '../include/linux/mm_types.js';
import { EBUSY, EINTR, EINVAL } from '../include/uapi/linux/errno.js';
import { cond_resched, race_window, signal_pending } from '../kernel/sched.js';
import { isolate_for_migration, migrate_isolated_pages, putback_isolated_pages } from './gup_migrate.js';

const FILE = 'mm/memory_hotplug.c';

/** MMOP_* (include/linux/memory_hotplug.h): how a block is onlined (5.4.1: MMOP_ONLINE_KEEP for `online`). */
export const MMOP_OFFLINE = 0;
export const MMOP_ONLINE = 1;
export const MMOP_ONLINE_KERNEL = 2;
export const MMOP_ONLINE_MOVABLE = 3;

/** zone_end_pfn(zone) */
function zone_end_pfn(z: zone): number {
  return z.zone_start_pfn + z.spanned_pages;
}

/** zone_intersects(zone, start_pfn, nr_pages) (include/linux/mmzone.h): an empty zone intersects nothing. */
export function zone_intersects(z: zone, start_pfn: number, nr_pages: number): boolean {
  if (z.spanned_pages === 0) return false;
  return start_pfn < zone_end_pfn(z) && start_pfn + nr_pages > z.zone_start_pfn;
}

/**
 * default_kernel_zone_for_pfn(): the first of DMA32 (5.4.1: DMA32, Normal) the range
 * intersects, else ZONE_NORMAL. MODEL: no ZONE_DMA.
 */
function default_kernel_zone_for_pfn(m: Machine, start_pfn: number, nr_pages: number): zone {
  const zones = m.mem.zones;
  for (const z of [ZONE_DMA32, ZONE_NORMAL] as const) if (zone_intersects(zones[z], start_pfn, nr_pages)) return zones[z];
  return zones[ZONE_NORMAL];
}

/** zone_for_pfn_range(online_type, nid, start_pfn, nr_pages), contig-zones policy, movable_node off. */
export function zone_for_pfn_range(m: Machine, online_type: number, start_pfn: number, nr_pages: number): zone {
  if (online_type === MMOP_ONLINE_KERNEL) return default_kernel_zone_for_pfn(m, start_pfn, nr_pages);
  const movable = m.mem.zones[ZONE_MOVABLE];
  if (online_type === MMOP_ONLINE_MOVABLE) return movable;
  // default_zone_for_pfn()
  const kernel_zone = default_kernel_zone_for_pfn(m, start_pfn, nr_pages);
  const in_kernel = zone_intersects(kernel_zone, start_pfn, nr_pages);
  const in_movable = zone_intersects(movable, start_pfn, nr_pages);
  if (in_kernel !== in_movable) return in_kernel ? kernel_zone : movable;
  return kernel_zone;
}

/** The zones whose RAM lies in [start, end) (regions, with blocks onlined elsewhere), and whether every frame is RAM. */
export function range_zones(m: Machine, start: number, end: number): { zones: Set<zone_type>; ram: number } {
  const zones = new Set<zone_type>();
  let ram = 0;
  for (const r of m.mem.regions) {
    if (r.kind !== 'ram' || r.end_pfn <= start || r.start_pfn >= end) continue;
    zones.add(r.zone);
    ram += Math.min(end, r.end_pfn) - Math.max(start, r.start_pfn);
  }
  return { zones, ram };
}

/** The folio slot covering pfn (0 = a free frame), without touching the checker's journal. */
function slotAt(m: Machine, pfn: number): number {
  return m.mem.peek_slot(pfn);
}

/** MODEL's PageLRU for migration: page-cache folios carry PG_lru, anonymous ones count as on the LRU (mm/gup_migrate.ts). */
function on_lru(m: Machine, s: number): boolean {
  const f = m.mem.s_flags[s];
  if (f & PG_isolated) return false;
  return (f & PG_lru) !== 0 || ((f & PG_anon) !== 0 && m.mem.s_mapping[s] !== 0);
}

/** The next pfn after the folio in slot s. */
function after(m: Machine, s: number): number {
  return m.mem.s_pfn[s] + 2 ** m.mem.s_order[s];
}

/** The first pfn after `pfn` where another region starts or `pfn`'s own region ends, at most `end`. */
function next_region_pfn(m: Machine, pfn: number, end: number): number {
  let next = end;
  for (const r of m.mem.regions) {
    if (r.start_pfn > pfn && r.start_pfn < next) next = r.start_pfn;
    if (r.end_pfn > pfn && r.start_pfn <= pfn && r.end_pfn < next) next = r.end_pfn;
  }
  return next;
}

/**
 * has_unmovable_pages(start_pfn, end_pfn, MIGRATE_MOVABLE, MEMORY_OFFLINE) over the whole
 * range (mm/page_isolation.c 6.1/6.12; mm/page_alloc.c 5.4.1): the first frame that
 * makes isolation fail, or null.
 */
function has_unmovable_pages(m: Machine, start: number, end: number): number | null {
  const mem = m.mem;
  for (let pfn = start; pfn < end; pfn++) {
    const r = mem.region_of(pfn);
    if (r === null || r.kind !== 'ram') {
      // PERF: no RAM up to the next region (or to the end of this one): nothing to test there.
      pfn = next_region_pfn(m, pfn, end) - 1;
      continue;
    }
    if (r.cma) return pfn; // a MIGRATE_CMA pageblock is never isolated for offlining
    // PERF: the frames without a folio up to the region's end (or the next region's start) pass; go to the next in use.
    const stop = next_region_pfn(m, pfn, end);
    pfn = mem.next_folio_pfn(pfn, stop);
    if (pfn >= stop) {
      pfn = stop - 1;
      continue;
    }
    const s = slotAt(m, pfn);
    if (mem.s_flags[s] & PG_reserved) return pfn;
    if (r.zone === ZONE_MOVABLE) continue;
    if (mem.s_flags[s] & PG_hugetlb) {
      pfn = after(m, s) - 1;
      continue;
    }
    if (mem.s_ref[s] === 0) continue;
    if (!on_lru(m, s) && !(mem.s_flags[s] & PG_isolated)) return pfn;
    pfn = after(m, s) - 1;
  }
  return null;
}

/**
 * scan_movable_pages(start, end, &movable_pfn): the first pfn of an in-use folio that is on
 * the LRU, or of an in-use (migratable) hugetlb folio; null when none (-ENOENT).
 */
function scan_movable_pages(m: Machine, start: number, end: number): number | null {
  const mem = m.mem;
  for (let pfn = mem.next_folio_pfn(start, end); pfn < end; pfn = mem.next_folio_pfn(pfn + 1, end)) {
    const s = slotAt(m, pfn);
    if (on_lru(m, s) && mem.s_ref[s] > 0) return pfn;
    if (mem.s_flags[s] & PG_hugetlb && !(mem.s_flags[s] & (PG_hugetlb_free | PG_isolated)) && mem.s_ref[s] > 0) return pfn;
    pfn = after(m, s) - 1;
  }
  return null;
}

/**
 * do_migrate_range(start_pfn, end_pfn): isolate every in-use folio from start_pfn on
 * (isolate_lru_page / folio_isolate_hugetlb), then migrate_pages(MR_MEMORY_HOTPLUG) and put
 * back what did not move.
 */
function* do_migrate_range(k: Kctx, start: number, end: number): KThread<void> {
  const m = k.m;
  const mem = m.mem;
  const source: number[] = [];
  const alone = k.s.alone(k.tid);
  for (let pfn = mem.next_folio_pfn(start, end); pfn < end; pfn = mem.next_folio_pfn(pfn + 1, end)) {
    let s = slotAt(m, pfn);
    // No lock spans the loop (each isolation takes the LRU lock or the hugetlb lock for its
    // folio): before each in-use folio, another CPU can unmap, free, pin, or isolate it for a
    // migration of its own. That includes the first, found by the lockless
    // scan_movable_pages() just before. MODEL (speed only): not when the thread runs alone.
    if (!alone) {
      yield* race_window(k, `${FILE}:do_migrate_range:folio`, `${pfn}:${source.join(',')}`);
      s = slotAt(m, pfn);
      if (s === 0) continue;
    }
    const head = mem.s_pfn[s];
    pfn = after(m, s) - 1;
    // get_page_unless_zero(): a folio freed meanwhile is skipped.
    if (mem.s_ref[s] === 0 || mem.s_flags[s] & PG_hugetlb_free) continue;
    if (!(mem.s_flags[s] & PG_hugetlb) && !on_lru(m, s)) continue; // isolate_movable_page fails: no non-LRU movable pages in the model
    if (isolate_for_migration(k, head)) source.push(head);
  }
  if (source.length === 0) return;
  const failed = yield* migrate_isolated_pages(k, source, 'memory-hotplug');
  if (failed !== 0) {
    m.event(k.tid, 'offline-migrate-failed', source.map(page_label), `${FILE}:do_migrate_range`, failed);
    putback_isolated_pages(k, source);
  }
}

/**
 * The in-use folios of [start, end) as a string (slot, pfn, order, references, mappings,
 * flags): what the retry loop's next pass would read. Equal before and after a pass = no
 * progress.
 */
function range_state(m: Machine, start: number, end: number): string {
  const mem = m.mem;
  let out = '';
  for (let pfn = mem.next_folio_pfn(start, end); pfn < end; pfn = mem.next_folio_pfn(pfn + 1, end)) {
    const s = slotAt(m, pfn);
    out += `${s}:${mem.s_pfn[s]}:${mem.s_order[s]}:${mem.s_ref[s]}:${mem.s_map[s]}:${mem.s_flags[s]};`;
    pfn = after(m, s) - 1;
  }
  return out;
}

/**
 * Does a folio of [start, end) hold references beyond its mappings and its page-cache entry
 * (a pin, a GUP or pipe reference): what makes its move fail with -EAGAIN in every pass
 * (folio_expected_refs, mm/migrate.c)? Non-LRU in-use frames count too (nothing moves them).
 */
function extra_referenced(m: Machine, start: number, end: number): boolean {
  const mem = m.mem;
  for (let pfn = mem.next_folio_pfn(start, end); pfn < end; pfn = mem.next_folio_pfn(pfn + 1, end)) {
    const s = slotAt(m, pfn);
    const f = mem.s_flags[s];
    const cache = mem.s_mapping[s] !== 0 && !(f & PG_anon) ? 1 : 0;
    const maps = mem.s_order[s] > 0 ? folio_mapcount(m, mem.s_pfn[s]) : mem.s_map[s];
    if (mem.s_ref[s] > maps + cache || !(on_lru(m, s) || f & PG_hugetlb)) return true;
    pfn = after(m, s) - 1;
  }
  return false;
}

/** The heads of the in-use folios of [start, end), at most `max`. */
function busy_heads(m: Machine, start: number, end: number, max: number): number[] {
  const mem = m.mem;
  const out: number[] = [];
  for (let pfn = mem.next_folio_pfn(start, end); pfn < end && out.length < max; pfn = mem.next_folio_pfn(pfn + 1, end)) {
    const s = slotAt(m, pfn);
    out.push(mem.s_pfn[s]);
    pfn = after(m, s) - 1;
  }
  return out;
}

/** Free frames of all zones (NR_FREE_PAGES summed). */
function free_pages(m: Machine): number {
  let n = 0;
  for (const z of m.mem.zones) n += z.nr_free;
  return n;
}

/** test_pages_isolated(start_pfn, end_pfn, MEMORY_OFFLINE): 0 when every frame of the range is free, else -EBUSY. */
function test_pages_isolated(m: Machine, start: number, end: number): number {
  const pfn = m.mem.next_folio_pfn(start, end);
  if (pfn >= end) return 0;
  slotAt(m, pfn); // the lookup that finds the frame in use (a read the footprints see)
  return -EBUSY;
}

/**
 * shrink_zone_span(zone, start_pfn, end_pfn) (PATCH(hotplug-shrink-zone-offline)): when the
 * offlined range is at an edge of the span, the span ends at the nearest frame of the zone
 * that is still online (the kernel searches online sections; the model's online frames of
 * the zone are its regions' RAM outside offline ranges).
 */
function shrink_zone_span(m: Machine, z: zone, start: number, end: number, offline: (pfn: number) => boolean): void {
  const online: [number, number][] = [];
  for (const r of m.mem.regions) if (r.kind === 'ram' && r.zone === z.zone_idx) online.push([r.start_pfn, r.end_pfn]);
  const isOnline = (pfn: number): boolean => online.some(([s, e]) => pfn >= s && pfn < e) && !offline(pfn) && !(pfn >= start && pfn < end);
  const zend = zone_end_pfn(z);
  if (z.zone_start_pfn === start) {
    let p = end;
    while (p < zend && !isOnline(p)) p++;
    if (p < zend) {
      z.spanned_pages = zend - p;
      z.zone_start_pfn = p;
    } else {
      z.zone_start_pfn = 0;
      z.spanned_pages = 0;
    }
  } else if (zend === end) {
    let p = start - 1;
    while (p >= z.zone_start_pfn && !isOnline(p)) p--;
    if (p >= z.zone_start_pfn) z.spanned_pages = p - z.zone_start_pfn + 1;
    else {
      z.zone_start_pfn = 0;
      z.spanned_pages = 0;
    }
  }
}

/** pageblock_nr_pages on x86-64 (pageblock_order = HPAGE_PMD_ORDER). */
const pageblock_nr_pages = 2 ** HPAGE_PMD_ORDER;

/**
 * start_isolate_page_range(start_pfn, end_pfn, MIGRATE_MOVABLE, MEMORY_OFFLINE)
 * (mm/page_isolation.c; 5.4.1, 6.1.192, 6.12.117): one pageblock at a time,
 * set_migratetype_isolate() takes zone->lock, runs has_unmovable_pages() over the pageblock,
 * marks it MIGRATE_ISOLATE and moves its free frames to the isolate free list, and drops
 * the lock. Between two pageblocks (a scheduling point) another CPU can allocate from,
 * free into, fault into or pin in the pageblocks not isolated yet. On a failure the
 * pageblocks isolated so far are put back (undo_isolate_page_range) and the frame that
 * failed is returned; null when the whole range is isolated.
 * One pageblock is one step: zone->lock excludes allocation and freeing, the only paths
 * that move frames between the free lists and use; the folio state has_unmovable_pages()
 * reads (references, LRU) is read without a lock by the kernel too (a best-effort check
 * that the migration loop re-checks).
 * MODEL: the pageblocks go in address order. From v5.19 (isolate_single_pageblock, not in
 * the patch registry) the first and the last pageblock are isolated before the ones in
 * between; a failure then leaves a different set isolated for a moment, with the same
 * result.
 * MODEL (speed only): a thread that runs alone (Sched.alone) isolates the range in one
 * step; no other thread can see the pageblocks in between.
 */
function* start_isolate_page_range(k: Kctx, start_pfn: number, end_pfn: number): KThread<number | null> {
  const m = k.m;
  const mem = m.mem;
  if (k.s.alone(k.tid)) {
    const bad = has_unmovable_pages(m, start_pfn, end_pfn);
    if (bad === null) mem.isolate_range(start_pfn, end_pfn);
    return bad;
  }
  for (let pfn = start_pfn; pfn < end_pfn; pfn += pageblock_nr_pages) {
    if (pfn > start_pfn) yield* race_window(k, 'mm/page_isolation.c:start_isolate_page_range:pageblock', `${pfn - start_pfn}`);
    const pb_end = Math.min(end_pfn, pfn + pageblock_nr_pages);
    // set_migratetype_isolate(), under zone->lock.
    const bad = has_unmovable_pages(m, pfn, pb_end);
    if (bad !== null) {
      mem.undo_isolate_range(start_pfn, pfn);
      return bad;
    }
    mem.isolate_range(pfn, pb_end);
  }
  return null;
}

/**
 * offline_pages(start_pfn, nr_pages, zone) — see the header. 0, -EINVAL, -EBUSY or -EINTR.
 * `zone` is the block's zone (null: the block spans several zones). `offline(pfn)`: is the
 * frame in another block that is offline (for the zone span).
 */
export function* offline_pages(k: Kctx, start_pfn: number, nr_pages: number, zone_idx: zone_type | null, offline: (pfn: number) => boolean): KThread<number> {
  const m = k.m;
  const mem = m.mem;
  const end_pfn = start_pfn + nr_pages;
  const range = `[mem ${hex(start_pfn * 2 ** PAGE_SHIFT)}-${hex(end_pfn * 2 ** PAGE_SHIFT - 1)}]`;
  const { zones, ram } = range_zones(m, start_pfn, end_pfn);
  // PATCH(hotplug-no-holes): c5e79ef561b0 — a block with holes is refused.
  if (k.patch('hotplug-no-holes') && ram !== nr_pages) {
    return errno_reason(k, -EINVAL, `${FILE}:offline_pages`, `memory holes: ${ram} of the block's ${nr_pages} frames are System RAM ${range}`);
  }
  if (zone_idx === null || zones.size !== 1) {
    return errno_reason(k, -EINVAL, `${FILE}:offline_pages`, `multizone range: the block's RAM lies in ${zones.size} zones ${range}`);
  }
  const z = mem.zones[zone_idx];
  for (let pfn = mem.next_folio_pfn(start_pfn, end_pfn); pfn < end_pfn; pfn = mem.next_folio_pfn(pfn + 1, end_pfn)) {
    const s = slotAt(m, pfn);
    if (mem.s_flags[s] & PG_hugetlb_free) {
      return unsupported(k, `${FILE}:dissolve_free_huge_pages`, `pfn:${mem.s_pfn[s]} is a free hugetlb folio in the block: dissolving free huge pages (pool reservations) is not modelled`);
    }
    pfn = after(m, s) - 1;
  }
  const bad = yield* start_isolate_page_range(k, start_pfn, end_pfn);
  if (bad !== null) {
    m.event(k.tid, 'offline-unmovable', [page_label(bad)], 'mm/page_isolation.c:has_unmovable_pages');
    return errno_reason(k, -EBUSY, 'mm/page_isolation.c:start_isolate_page_range', `failure to isolate range: pfn:${bad} is unmovable (reserved, CMA, or a kernel page outside ZONE_MOVABLE) ${range}`);
  }
  m.event(k.tid, 'offline-isolate', [`memory:${hex(start_pfn * 2 ** PAGE_SHIFT)}`], `${FILE}:offline_pages`);
  for (;;) {
    let pfn = start_pfn;
    for (;;) {
      if (signal_pending(k)) {
        mem.undo_isolate_range(start_pfn, end_pfn);
        return errno_reason(k, -EINTR, `${FILE}:offline_pages`, `signal backoff: a signal arrived while the block was being emptied ${range}`);
      }
      yield* cond_resched(k, `${FILE}:offline_pages`);
      const found = scan_movable_pages(m, pfn, end_pfn);
      if (found === null) break;
      pfn = found;
      const before = range_state(m, start_pfn, end_pfn);
      yield* do_migrate_range(k, pfn, end_pfn);
      // Nothing changed: the next pass would fail the same way if a folio holds a reference
      // beyond its mappings and the page cache (wait for a change); if none does, the move
      // failed for want of a target frame, which the kernel's next pass asks for again.
      if (range_state(m, start_pfn, end_pfn) === before && extra_referenced(m, start_pfn, end_pfn)) {
        yield* wait_for_change(k, start_pfn, end_pfn, before);
      }
    }
    // dissolve_free_huge_pages(): the model refused free hugetlb folios above.
    if (test_pages_isolated(m, start_pfn, end_pfn) === 0) break;
    // An in-use frame that is not movable (not on the LRU): the kernel loops; wait for a change.
    yield* wait_for_change(k, start_pfn, end_pfn, range_state(m, start_pfn, end_pfn));
  }
  // __offline_isolated_pages() + zone accounting.
  mem.offline_isolated_range(start_pfn, end_pfn);
  z.present_pages -= ram;
  // PATCH(hotplug-shrink-zone-offline): feee6b298916 — remove_pfn_range_from_zone() shrinks the span.
  if (k.patch('hotplug-shrink-zone-offline')) shrink_zone_span(m, z, start_pfn, end_pfn, offline);
  m.event(k.tid, 'offline', [`memory:${hex(start_pfn * 2 ** PAGE_SHIFT)}`], `${FILE}:offline_pages`);
  return 0;
}

/**
 * MODEL: the retry loop over a block whose state did not change (see the header): wait,
 * interruptibly, until a folio of the block changes or a signal arrives.
 */
function* wait_for_change(k: Kctx, start: number, end: number, state: string): KThread<void> {
  const m = k.m;
  const heads = busy_heads(m, start, end, 4);
  // A migration that failed for want of a target frame can succeed once memory is freed elsewhere.
  const free = free_pages(m);
  m.event(k.tid, 'offline-retry', heads.map(page_label), `${FILE}:offline_pages`);
  yield* waitUntil(
    `${FILE}:offline_pages:retry`,
    { kind: 'waitqueue', object: heads.length > 0 ? page_label(heads[0]) : `memory:${hex(start * 2 ** PAGE_SHIFT)}`, detail: 'offline_pages: a page of the block cannot be migrated (an extra reference or pin)' },
    () => range_state(m, start, end) !== state || free_pages(m) !== free,
    'interruptible',
  );
}

/**
 * online_pages(pfn, nr_pages, zone) with zone_for_pfn_range() done by the caller: the span
 * of `zone` grows to the block (resize_zone_range) and its frames join the zone's free
 * lists. Always 0 here (the notifiers that could refuse are not modelled).
 */
export function online_pages(k: Kctx, pfn: number, nr_pages: number, z: zone): number {
  const mem = k.m.mem;
  // move_pfn_range_to_zone() → resize_zone_range()
  const end = pfn + nr_pages;
  if (z.spanned_pages === 0) {
    z.zone_start_pfn = pfn;
    z.spanned_pages = nr_pages;
  } else {
    const zs = Math.min(z.zone_start_pfn, pfn);
    const ze = Math.max(zone_end_pfn(z), end);
    z.zone_start_pfn = zs;
    z.spanned_pages = ze - zs;
  }
  // online_pages_range(): only System RAM comes online (5.4.1 can online a block with holes).
  for (const r of [...mem.regions]) {
    if (r.kind !== 'ram' || r.end_pfn <= pfn || r.start_pfn >= end) continue;
    const from = Math.max(pfn, r.start_pfn);
    const to = Math.min(end, r.end_pfn);
    mem.online_range(from, to, z.zone_idx);
    z.present_pages += to - from;
  }
  k.m.event(k.tid, 'online', [`memory:${hex(pfn * 2 ** PAGE_SHIFT)}`], `${FILE}:online_pages`, z.name);
  return 0;
}
