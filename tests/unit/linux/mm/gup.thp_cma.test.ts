/**
 * FOLL_LONGTERM of an anonymous THP that sits in CMA on the 5.4–5.6 path: mm/gup.c
 * check_and_migrate_cma_pages → migrate_pages(new_non_cma_page) → unmap_and_move, and
 * on -ENOMEM for the THP split_huge_page_to_list(page, from) with the head retried at
 * once and the tails at the end of the list (5.4.1 / 5.5-rc5 / 5.6.4 mm/gup.c,
 * mm/migrate.c, mm/huge_memory.c). When migrate_pages() reports any failure the caller
 * stops migrating, puts the rest back and pins the pages where they are.
 *
 * Layouts: ZONE_NORMAL is all CMA, so the THP fault (GFP_TRANSHUGE, movable) lands in
 * CMA; the non-CMA target comes from ZONE_DMA32, sized to give or deny an order-9 block.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, run, MiB, PAGE, reports, thpRange, mapped } from './gup_env.js';
import type { Env } from './gup_env.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { __mm_populate, get_user_pages } from '../../../../src/linux/mm/gup.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import {
  compound_head, folio_order, is_migrate_cma_page, page_content, page_count, pt_walk, put_page, 
} from '../../../../src/linux/include/linux/mm.js';
import { PG_isolated, PMD_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { alloc_pages, zone_free_pages } from '../../../../src/linux/mm/page_alloc.js';
import { GFP_USER, ZONE_DMA32 } from '../../../../src/linux/include/linux/gfp.js';

const NR = PMD_SIZE / PAGE;
const OLD = ['v5.4', 'v5.5', 'v5.6'] as const;
/** 4 MiB of DMA32: one free order-9 block after the zero page. */
const TARGET = { dma32: 4 * MiB, normal: 16 * MiB, cma: 16 * MiB };
/** 2 MiB of DMA32 less the zero page: 511 free frames, no order-9 block. */
const TIGHT = { dma32: 2 * MiB, normal: 16 * MiB, cma: 16 * MiB };



function gup(env: Env, a: number, nr: number, flags: number, pages: (number | null)[]): number {
  return run(env, function* (k: Kctx): KThread<number> {
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 'test');
    const r = yield* get_user_pages(k, a, nr, flags, pages);
    up_read(k, mm.mmap_lock, 'test');
    return r;
  });
}

function release(env: Env, pages: (number | null)[], n: number): void {
  for (let i = 0; i < n; i++) put_page(env.m, pages[i] as number);
}

/** Take every DMA32 frame as order-0 pages, then give `back` of them: free frames, no order-9 block. */
function fragmentDma32(env: Env, back: number): void {
  const taken = run(env, function* (k: Kctx): KThread<number[]> {
    const out: number[] = [];
    for (let p = alloc_pages(k, GFP_USER, 0); p !== null; p = alloc_pages(k, GFP_USER, 0)) out.push(p);
    return out;
  });
  for (const p of taken.slice(0, back)) put_page(env.m, p);
  expect(run(env, function* (k: Kctx): KThread<number | null> {
    return alloc_pages(k, GFP_USER, 9);
  })).toBe(null);
}

describe.each(OLD)('%s: long-term GUP of a THP in CMA (check_and_migrate_cma_pages)', (profile) => {
  it('an order-9 block outside CMA: the THP moves whole (new_non_cma_page), stays PMD-mapped, data kept', () => {
    const env = mkEnv(profile, TARGET);
    const a = thpRange(env, is_migrate_cma_page);
    const old = mapped(env, a);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(gup(env, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages)).toBe(NR);
    const head = compound_head(env.m, pages[0] as number);
    expect(head).not.toBe(old);
    expect(folio_order(env.m, head)).toBe(9);
    expect(is_migrate_cma_page(env.m, head)).toBe(false);
    expect(env.m.mem.region_of(head)?.zone).toBe(ZONE_DMA32);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pmd');
    expect(pages[300]).toBe(head + 300);
    expect(page_content(env.m, head + 7)).toBe('data-7');
    expect(page_content(env.m, head + 300)).toBe('data-300');
    expect(env.m.mem.slot_of(old)).toBe(0); // the CMA folio went back to the allocator
    release(env, pages, NR);
    expect(page_count(env.m, head)).toBe(1);
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('no order-9 block outside CMA: migrate_pages splits the THP and moves the 512 pieces; the pins land on order-0 pages', () => {
    const env = mkEnv(profile, { ...TARGET });
    fragmentDma32(env, 600);
    const a = thpRange(env, is_migrate_cma_page);
    const old = mapped(env, a);
    const free = zone_free_pages(env.m, ZONE_DMA32);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(gup(env, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages)).toBe(NR);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pte');
    for (const i of [0, 7, 300, 511]) {
      const p = pages[i] as number;
      expect(p).toBe(mapped(env, a + i * PAGE));
      expect(p).not.toBe(old + i);
      expect(folio_order(env.m, p)).toBe(0);
      expect(is_migrate_cma_page(env.m, p)).toBe(false);
      expect(page_count(env.m, p)).toBe(2); // the mapping and the GUP reference
    }
    expect(page_content(env.m, pages[7] as number)).toBe('data-7');
    expect(page_content(env.m, pages[300] as number)).toBe('data-300');
    // 5.4 has no zero-page remap on split: every piece took a frame.
    expect(zone_free_pages(env.m, ZONE_DMA32)).toBe(free - NR);
    release(env, pages, NR);
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('an order-9 target but another reference held: the move fails (-EAGAIN), migration is given up and the THP is pinned where it is, in CMA', () => {
    const env = mkEnv(profile, TARGET);
    const a = thpRange(env, is_migrate_cma_page);
    const old = mapped(env, a);
    const got: (number | null)[] = [null];
    expect(gup(env, a + 5 * PAGE, 1, 0, got)).toBe(1);
    const before = page_count(env.m, old);
    const free = zone_free_pages(env.m, ZONE_DMA32);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(gup(env, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages)).toBe(NR);
    expect(pages[0]).toBe(old);
    expect(pages[300]).toBe(old + 300);
    expect(is_migrate_cma_page(env.m, pages[300] as number)).toBe(true);
    expect(folio_order(env.m, old)).toBe(9);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pmd');
    expect(page_count(env.m, old)).toBe(before + NR);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(old)] & PG_isolated).toBe(0);
    expect(zone_free_pages(env.m, ZONE_DMA32)).toBe(free); // the unused target went back
    release(env, pages, NR);
    expect(page_count(env.m, old)).toBe(before);
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('no order-9 target and another reference held: the split is refused (-EBUSY ends migrate_pages), the THP stays whole and is pinned in CMA', () => {
    const env = mkEnv(profile, TIGHT);
    const a = thpRange(env, is_migrate_cma_page);
    const old = mapped(env, a);
    const got: (number | null)[] = [null];
    expect(gup(env, a + 5 * PAGE, 1, 0, got)).toBe(1);
    const before = page_count(env.m, old);
    const free = zone_free_pages(env.m, ZONE_DMA32);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(gup(env, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages)).toBe(NR);
    expect(pages[7]).toBe(old + 7);
    expect(folio_order(env.m, old)).toBe(9);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pmd');
    expect(is_migrate_cma_page(env.m, old)).toBe(true);
    expect(zone_free_pages(env.m, ZONE_DMA32)).toBe(free);
    release(env, pages, NR);
    expect(page_count(env.m, old)).toBe(before);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(old)] & PG_isolated).toBe(0);
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('no order-9 target and one frame too few for the pieces: the last tail gets -ENOMEM, the rest moved; every page is pinned where it then is', () => {
    const env = mkEnv(profile, TIGHT);
    const free = zone_free_pages(env.m, ZONE_DMA32);
    expect(free).toBe(NR - 1);
    const a = thpRange(env, is_migrate_cma_page);
    const old = mapped(env, a);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(gup(env, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages)).toBe(NR);
    let inCma = 0;
    for (let i = 0; i < NR; i++) {
      const p = pages[i] as number;
      expect(p).toBe(mapped(env, a + i * PAGE));
      expect(folio_order(env.m, p)).toBe(0);
      expect(env.m.mem.s_flags[env.m.mem.slot_of(p)] & PG_isolated).toBe(0);
      expect(page_count(env.m, p)).toBe(2);
      if (is_migrate_cma_page(env.m, p)) inCma++;
    }
    // 5.4 retries the head at once and puts the tails at the end: the last tail is the one left.
    expect(inCma).toBe(1);
    expect(pages[NR - 1]).toBe(old + NR - 1);
    expect(page_content(env.m, pages[300] as number)).toBe('data-300');
    expect(zone_free_pages(env.m, ZONE_DMA32)).toBe(0);
    release(env, pages, NR);
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });
});
