/**
 * mm/page_alloc.c: __alloc_pages_nodemask() (v5.4) / __alloc_pages() (v6.1, v6.12),
 * reduced to where a page comes from: the zonelist walk from gfp_zone() down
 * (Movable → Normal → DMA32), the migratetype, CMA eligibility, and the per-task
 * allocation scope.
 *
 * Which attempt sees the scope:
 * - before PATCH(alloc-fastpath-task-gfp) (da6df1b0fcfa, v5.13): the first
 *   get_page_from_freelist() uses the caller's mask; current_gfp_context() applies
 *   only in the slow path. So inside memalloc_nocma_save() a movable allocation still
 *   lands in CMA whenever the fast attempt succeeds there.
 *   From PATCH(alloc-nocma-fastpath) (8510e69c8efe, v5.9) that fast attempt at least drops
 *   ALLOC_CMA for a task inside memalloc_nocma_save() (current_alloc_flags(), 5.9.1-5.12.9).
 * - after it: current_gfp_context() is applied before the fast attempt.
 * CMA pageblocks serve only MIGRATE_MOVABLE requests (ALLOC_CMA). Within a zone:
 * - before PATCH(cma-prefer-movable) (16867664936e, v5.8): CMA is a fallback when
 *   the zone's non-CMA blocks cannot serve the request;
 * - after it: CMA first when the zone's free CMA pages exceed half its free pages.
 *
 * MODEL: no watermarks, reclaim, compaction or per-cpu lists: the fast attempt
 * fails only when no eligible zone has a free block, the slow path is the same walk
 * with the scoped mask, and nothing sleeps (plain function). One node.
 */
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import { MIGRATE_MOVABLE, gfp_migratetype, gfp_zone, ZONE_DMA32 } from '../include/linux/gfp.js';
import type { gfp_t } from '../include/linux/gfp.js';
import { current_gfp_context } from '../include/linux/sched_mm.js';
import { PF_MEMALLOC_NOCMA, get_current } from '../include/linux/sched.js';
import { page_label, put_page } from '../include/linux/mm.js';
import { PG_reserved, SlotRun } from '../include/linux/mm_types.js';
import { __GFP_NOFAIL } from '../include/linux/gfp.js';
import { should_fail } from '../include/linux/fault_inject.js';
import type { FailpointId } from '../include/linux/fault_inject.js';

/**
 * get_page_from_freelist(), reduced: walk the zonelist for `gfp` and take a block.
 * Returns the head pfn of a new folio (refcount 1), or null.
 */
function get_page_from_freelist(k: Kctx, gfp: gfp_t, order: number, alloc_cma = true): number | null {
  const mem = k.m.mem;
  const high = gfp_zone(gfp);
  const movable = gfp_migratetype(gfp) === MIGRATE_MOVABLE && alloc_cma;
  for (let z = high; z >= ZONE_DMA32; z--) {
    const zone = mem.zones[z];
    if (zone.present_pages === 0) continue;
    let pfn: number | null = null;
    // PATCH(cma-prefer-movable): 16867664936e — prefer CMA when it holds over half the free pages.
    if (movable && k.patch('cma-prefer-movable') && zone.nr_free_cma > Math.floor(zone.nr_free / 2)) {
      pfn = mem.takeFree(zone, order, true);
    }
    if (pfn === null) pfn = mem.takeFree(zone, order, false);
    if (pfn === null && movable) pfn = mem.takeFree(zone, order, true); // __rmqueue_cma_fallback
    if (pfn !== null) {
      const s = mem.newSlot(pfn, order);
      mem.s_ref[s] = 1;
      return pfn;
    }
  }
  return null;
}

/**
 * alloc_pages(gfp, order) / __alloc_pages(): a new folio of 2^order frames with
 * refcount 1 (order > 0 is always compound: the model treats every high-order
 * allocation as __GFP_COMP), or null when memory is exhausted.
 * Fault injection: prepare_alloc_pages() asks should_fail_alloc_page() first (never
 * for __GFP_NOFAIL); a failed request returns NULL as an exhausted zone list does.
 * MODEL: `site` (not a kernel parameter) names the failure point, so a migration
 * target's allocation is told apart from the rest in fail-nth reports.
 */
export function alloc_pages(k: Kctx, gfp: gfp_t, order: number, site: FailpointId = 'mm/page_alloc.c:__alloc_pages:should_fail_alloc_page'): number | null {
  if (!(gfp & __GFP_NOFAIL) && should_fail(k, site)) return null;
  // PATCH(alloc-fastpath-task-gfp): da6df1b0fcfa — the scope applies to the fast attempt too.
  const scoped_fast = k.patch('alloc-fastpath-task-gfp');
  const fastMask = scoped_fast ? current_gfp_context(k, gfp) : gfp;
  // 5.9.1-5.12.9 current_alloc_flags(): the fast attempt of a task inside memalloc_nocma_save() loses
  // ALLOC_CMA (its mask keeps __GFP_MOVABLE, so ZONE_MOVABLE stays allowed).
  // PATCH(alloc-nocma-fastpath) 8510e69c8efe: PF_MEMALLOC_NOCMA honoured by the fast path
  const alloc_cma = scoped_fast || !k.patch('alloc-nocma-fastpath') || (get_current(k).flags & PF_MEMALLOC_NOCMA) === 0;
  let pfn = get_page_from_freelist(k, fastMask, order, alloc_cma);
  if (pfn === null) {
    // __alloc_pages_slowpath() with the scoped mask.
    pfn = get_page_from_freelist(k, current_gfp_context(k, gfp), order);
  }
  if (pfn !== null && k.m.recordEvents) k.m.event(k.tid, 'alloc', [page_label(pfn)], 'mm/page_alloc.c:__alloc_pages', order);
  return pfn;
}

/**
 * MODEL (speed only): up to `n` successive alloc_pages(gfp, 0) calls at once (a fault-in of
 * a run of PTEs by a thread that runs alone: mm/gup_speed.ts), the new pages written to
 * out[0 ..] in the order those calls return them (their folio slots to slots[0 ..]), each a
 * new folio with refcount 1.
 * Taken only where every call would succeed from the same zone through the fast attempt
 * without fault injection or object events: the zone the walk reaches first that has free
 * frames, one without CMA frames when the request may use CMA (so neither the CMA
 * preference nor its fallback can apply) and whose frames come from its free list or bump
 * pointers (MemMap.takeFreeRun). Returns how many it allocated; 0 leaves the calls to the
 * caller (which then makes them one by one). Tested against the calls in
 * tests/unit/linux/mm/gup-speed.test.ts.
 */
export function alloc_pages_run(k: Kctx, gfp: gfp_t, n: number, out: number[], slots: number[]): number {
  const m = k.m;
  if (m.recordEvents || (m.fault_inject && !(gfp & __GFP_NOFAIL))) return 0;
  // The fast attempt's mask and CMA eligibility, as alloc_pages() computes them.
  // PATCH(alloc-fastpath-task-gfp): da6df1b0fcfa — as alloc_pages()
  const scoped_fast = k.patch('alloc-fastpath-task-gfp');
  const mask = scoped_fast ? current_gfp_context(k, gfp) : gfp;
  // PATCH(alloc-nocma-fastpath) 8510e69c8efe: as alloc_pages()
  const alloc_cma = scoped_fast || !k.patch('alloc-nocma-fastpath') || (get_current(k).flags & PF_MEMALLOC_NOCMA) === 0;
  const movable = gfp_migratetype(mask) === MIGRATE_MOVABLE && alloc_cma;
  const mem = m.mem;
  for (let z = gfp_zone(mask); z >= ZONE_DMA32; z--) {
    const zone = mem.zones[z];
    if (zone.present_pages === 0) continue;
    if (movable && zone.ranges.some((r) => r.cma)) return 0;
    const got = mem.takeFreeRun(zone, n, out);
    if (got < 0) return 0;
    if (got === 0) continue;
    // The new slots are journaled as runs (MemMap.touch_run), as newSlot() one by one would.
    const run = new SlotRun(mem);
    for (let i = 0; i < got; i++) {
      // newSlot() may grow (replace) the slot arrays: index them only after it returns.
      const s = mem.newSlot(out[i], 0, false);
      mem.s_ref[s] = 1;
      slots[i] = s;
      run.add(s);
    }
    run.flush();
    return got;
  }
  return 0;
}

/** alloc_page(gfp) */
export function alloc_page(k: Kctx, gfp: gfp_t): number | null {
  return alloc_pages(k, gfp, 0);
}

/** __free_pages(page, order): drop the allocation reference (frees at zero). */
export function __free_pages(m: Machine, page: number, _order: number): void {
  put_page(m, page);
}

/** Free pages of a zone (NR_FREE_PAGES), for tests and reports. */
export function zone_free_pages(m: Machine, zone: number): number {
  return m.mem.zones[zone].nr_free;
}

/**
 * The struct page of a ZONE_DEVICE (pmem) frame as the pgmap's memmap init leaves it.
 * mm/page_alloc.c memmap_init_zone_device(), loop body (5.4.1, 5.5-rc5, 5.6.4), and
 * mm/mm_init.c __init_zone_device_page() (Debian 6.1.192, 6.12.117): __init_single_page()
 * gives refcount 1, then PG_reserved is set on every page of the range — fs-DAX
 * (MEMORY_DEVICE_FS_DAX) and device-DAX (MEMORY_DEVICE_DEVDAX / _GENERIC) alike; in 6.x
 * only DEVICE_PRIVATE and DEVICE_COHERENT pages go back to refcount 0 (not modelled).
 * `order` > 0 is memmap_init_compound() (6.x, pgmap->vmemmap_shift): one compound page,
 * the head keeping refcount 1 and every page (tails too) PG_reserved.
 * MODEL: done lazily, the first time the model touches the frame (the kernel does the whole
 * namespace when the pgmap is set up); returns the folio's slot. Returns the existing slot
 * if the frame already has one.
 */
export function __init_zone_device_page(m: Machine, pfn: number, order = 0): number {
  const mem = m.mem;
  const had = mem.slot_of(pfn);
  if (had !== 0) return had;
  // newSlot() may grow (replace) the slot arrays: index them only after it returns.
  const s = mem.newSlot(pfn, order);
  mem.s_ref[s] = 1;
  mem.s_flags[s] |= PG_reserved;
  return s;
}
