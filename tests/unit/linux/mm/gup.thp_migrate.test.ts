/**
 * FOLL_LONGTERM pins of anonymous THP (order-9) folios that sit in ZONE_MOVABLE (a THP
 * fault allocates with GFP_TRANSHUGE, movable): mm/gup.c collect/migrate_longterm_
 * unpinnable_pages (Debian 6.1.192) / _folios (6.12.117) → mm/migrate.c migrate_pages
 * with alloc_migration_target (a large source keeps its order) → migrate_folio_unmap /
 * migrate_folio_move, and on -ENOMEM try_split_folio → split_folio_to_list
 * (mm/huge_memory.c). See src/linux/mm/gup_migrate.ts.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, run, MiB, PAGE, reports, thpRange, mapped } from './gup_env.js';
import type { Env } from './gup_env.js';
import { MADV_DONTNEED, PROT_READ } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { __mm_populate, get_user_pages, pin_user_pages, unpin_user_pages } from '../../../../src/linux/mm/gup.js';
import { sys_madvise, sys_mprotect } from '../../../../src/linux/syscalls.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import {
  PageAnonExclusive, compound_head, folio_mapcount, folio_order, is_zone_movable_page, page_content, page_count, pt_walk, put_page,
  
} from '../../../../src/linux/include/linux/mm.js';
import { PG_isolated, PG_lru, PG_partially_mapped, PMD_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { alloc_pages, zone_free_pages } from '../../../../src/linux/mm/page_alloc.js';
import { isolate_for_migration, migrate_isolated_pages, putback_isolated_pages } from '../../../../src/linux/mm/gup_migrate.js';
import { GFP_USER, ZONE_MOVABLE, ZONE_NORMAL } from '../../../../src/linux/include/linux/gfp.js';
import { ENOMEM } from '../../../../src/linux/include/uapi/linux/errno.js';

const NR = PMD_SIZE / PAGE;
const LAYOUT = { normal: 16 * MiB, movable: 16 * MiB };



function pinLongterm(env: Env, a: number, pages: (number | null)[]): number {
  return run(env, function* (k: Kctx): KThread<number> {
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 'test');
    const r = yield* pin_user_pages(k, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages);
    up_read(k, mm.mmap_lock, 'test');
    return r;
  });
}

describe.each(['v6.1', 'v6.12'])('%s: long-term pin of a THP in ZONE_MOVABLE', (profile) => {
  it('a PMD-mapped THP is migrated whole to an order-9 folio outside ZONE_MOVABLE, stays PMD-mapped, data and exclusivity kept', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = thpRange(env, is_zone_movable_page);
    const old = mapped(env, a);
    const movableFree = zone_free_pages(env.m, ZONE_MOVABLE);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(NR);
    const head = compound_head(env.m, pages[0] as number);
    expect(head).not.toBe(old);
    expect(folio_order(env.m, head)).toBe(9);
    expect(is_zone_movable_page(env.m, head)).toBe(false);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pmd');
    expect(mapped(env, a)).toBe(head);
    expect(pages[300]).toBe(head + 300);
    expect(page_content(env.m, head + 7)).toBe('data-7');
    expect(page_content(env.m, head + 300)).toBe('data-300');
    expect(PageAnonExclusive(env.m, head + 300)).toBe(true);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(head)] & PG_isolated).toBe(0);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(head)] & PG_lru).toBe(PG_lru);
    // The old folio went back to the buddy allocator.
    expect(zone_free_pages(env.m, ZONE_MOVABLE)).toBe(movableFree + NR);
    expect(env.m.mem.slot_of(old)).toBe(0);
    expect(folio_mapcount(env.m, head)).toBe(1);
    expect(page_count(env.m, head)).toBeGreaterThan(1);
    run(env, function* (k: Kctx) {
      unpin_user_pages(k, pages, NR);
      return 0;
    });
    expect(page_count(env.m, head)).toBe(1);
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('a PTE-mapped THP (PMD split by mprotect of half the range) is migrated whole; every PTE maps the same offset of the new folio', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = thpRange(env, is_zone_movable_page);
    expect(run(env, (k) => sys_mprotect(k, a, PMD_SIZE / 2, PROT_READ))).toBe(0);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pte');
    const old = mapped(env, a);
    // Pin the writable upper half only (the read-only half would need FOLL_FORCE to be written).
    const half = NR / 2;
    const pages: (number | null)[] = new Array<number | null>(half).fill(null);
    const r = run(env, function* (k: Kctx): KThread<number> {
      const mm = env.task.mm as mm_struct;
      yield* down_read(k, mm.mmap_lock, 'test');
      const n = yield* pin_user_pages(k, a + PMD_SIZE / 2, half, FOLL_WRITE | FOLL_LONGTERM, pages);
      up_read(k, mm.mmap_lock, 'test');
      return n;
    });
    expect(r).toBe(half);
    const head = compound_head(env.m, pages[0] as number);
    expect(head).not.toBe(old);
    expect(folio_order(env.m, head)).toBe(9);
    expect(is_zone_movable_page(env.m, head)).toBe(false);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pte');
    for (const i of [0, 7, 255, 256, 300, 511]) expect(mapped(env, a + i * PAGE)).toBe(head + i);
    expect(pages[300 - half]).toBe(head + 300);
    expect(page_content(env.m, head + 7)).toBe('data-7');
    expect(page_content(env.m, head + 300)).toBe('data-300');
    expect(folio_mapcount(env.m, head)).toBe(NR);
    run(env, function* (k: Kctx) {
      unpin_user_pages(k, pages, half);
      return 0;
    });
    expect(page_count(env.m, head)).toBe(NR);
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('no order-9 block outside ZONE_MOVABLE: the THP is split and its pieces migrated; migrate_pages() reports success (nothing left on its list), so the retried GUP pins the base pages', () => {
    // ZONE_NORMAL of 4 MiB: take every frame as an order-0 page, then give 600 back, so
    // that more than 512 frames are free but no order-9 block is (the model's allocator
    // does not merge freed blocks). No DMA32 to fall back to.
    const env = mkEnv(profile, { normal: 4 * MiB, movable: 16 * MiB });
    const taken = run(env, function* (k: Kctx): KThread<number[]> {
      const out: number[] = [];
      for (let p = alloc_pages(k, GFP_USER, 0); p !== null; p = alloc_pages(k, GFP_USER, 0)) out.push(p);
      return out;
    });
    expect(taken.length).toBe(2 * NR - 1);
    for (const p of taken.slice(0, 600)) put_page(env.m, p);
    const free = zone_free_pages(env.m, ZONE_NORMAL);
    expect(free).toBeGreaterThanOrEqual(NR);
    expect(run(env, function* (k: Kctx): KThread<number | null> {
      return alloc_pages(k, GFP_USER, 9);
    })).toBe(null);
    const a = thpRange(env, is_zone_movable_page);
    const old = mapped(env, a);
    const movableFree = zone_free_pages(env.m, ZONE_MOVABLE);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    // Debian 6.1.192 / 6.12.117 migrate_pages(): "if (list_empty(from)) rc_gather = 0".
    expect(pinLongterm(env, a, pages)).toBe(NR);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pte');
    for (const i of [0, 7, 300, 511]) {
      const p = pages[i] as number;
      expect(p).toBe(mapped(env, a + i * PAGE));
      expect(p).not.toBe(old + i);
      expect(folio_order(env.m, p)).toBe(0);
      expect(is_zone_movable_page(env.m, p)).toBe(false);
      expect(env.m.mem.s_flags[env.m.mem.slot_of(p)] & PG_isolated).toBe(0);
    }
    expect(page_content(env.m, pages[7] as number)).toBe('data-7');
    expect(page_content(env.m, pages[300] as number)).toBe('data-300');
    expect(PageAnonExclusive(env.m, pages[300] as number)).toBe(true);
    expect(zone_free_pages(env.m, ZONE_NORMAL)).toBe(free - NR);
    expect(zone_free_pages(env.m, ZONE_MOVABLE)).toBe(movableFree + NR);
    // 6.12 (b1f202060afe): the 510 zero-filled pieces were mapped to the shared zero page
    // by the split and freed; the retried FOLL_WRITE GUP faulted new pages in. 6.1 moved all 512.
    const zp = env.m.events.filter((e) => e.what === 'zeropage').length;
    expect(zp).toBe(profile === 'v6.12' ? NR - 2 : 0);
    const moved = env.m.events.filter((e) => e.what === 'migrate').length;
    expect(moved).toBe(profile === 'v6.12' ? 2 : NR);
    run(env, function* (k: Kctx) {
      unpin_user_pages(k, pages, NR);
      return 0;
    });
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('no order-9 block and one frame too few for the pieces: 6.1 runs out (-ENOMEM, unmigrated pieces put back); 6.12 needs frames only for the 2 pieces with data and succeeds', () => {
    // 2 MiB of ZONE_NORMAL less the zero page: 511 frames for 512 pieces.
    const env = mkEnv(profile, { normal: 2 * MiB, movable: 16 * MiB });
    const free = zone_free_pages(env.m, ZONE_NORMAL);
    expect(free).toBe(NR - 1);
    const a = thpRange(env, is_zone_movable_page);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    const r = pinLongterm(env, a, pages);
    if (profile === 'v6.1') {
      expect(r).toBe(-ENOMEM);
      let moved = 0;
      for (let i = 0; i < NR; i++) {
        const p = mapped(env, a + i * PAGE);
        expect(folio_order(env.m, p)).toBe(0);
        expect(env.m.mem.s_flags[env.m.mem.slot_of(p)] & PG_isolated).toBe(0);
        expect(page_count(env.m, p)).toBe(1);
        if (!is_zone_movable_page(env.m, p)) moved++;
      }
      expect(moved).toBe(free);
      expect(zone_free_pages(env.m, ZONE_NORMAL)).toBe(0);
    } else {
      // The retried write GUP faults 510 pages in; the 511th frame is the last free one.
      expect(r).toBe(NR - 1);
      expect(page_content(env.m, mapped(env, a + 300 * PAGE))).toBe('data-300');
      run(env, function* (k: Kctx) {
        unpin_user_pages(k, pages, r);
        return 0;
      });
    }
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('a THP with another reference held (a FOLL_GET page) is not migrated: -ENOMEM, folio unchanged and back from isolation', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = thpRange(env, is_zone_movable_page);
    const old = mapped(env, a);
    const got: (number | null)[] = [null];
    expect(run(env, function* (k: Kctx): KThread<number> {
      const mm = env.task.mm as mm_struct;
      yield* down_read(k, mm.mmap_lock, 'test');
      const n = yield* get_user_pages(k, a + 5 * PAGE, 1, 0, got);
      up_read(k, mm.mmap_lock, 'test');
      return n;
    })).toBe(1);
    const before = page_count(env.m, old);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(-ENOMEM);
    expect(mapped(env, a)).toBe(old);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pmd');
    expect(folio_order(env.m, old)).toBe(9);
    expect(page_count(env.m, old)).toBe(before);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(old)] & PG_isolated).toBe(0);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('no order-9 target and another reference held: the split is refused (-EAGAIN), the THP stays whole and mapped, the pin fails -ENOMEM', () => {
    const env = mkEnv(profile, { normal: 2 * MiB, movable: 16 * MiB });
    const a = thpRange(env, is_zone_movable_page);
    const old = mapped(env, a);
    const got: (number | null)[] = [null];
    expect(run(env, function* (k: Kctx): KThread<number> {
      const mm = env.task.mm as mm_struct;
      yield* down_read(k, mm.mmap_lock, 'test');
      const n = yield* get_user_pages(k, a + 5 * PAGE, 1, 0, got);
      up_read(k, mm.mmap_lock, 'test');
      return n;
    })).toBe(1);
    const before = page_count(env.m, old);
    const free = zone_free_pages(env.m, ZONE_NORMAL);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(-ENOMEM);
    expect(folio_order(env.m, old)).toBe(9);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pmd');
    expect(page_count(env.m, old)).toBe(before);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(old)] & PG_isolated).toBe(0);
    expect(zone_free_pages(env.m, ZONE_NORMAL)).toBe(free);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('a partially mapped THP (one page zapped by MADV_DONTNEED): 6.1 migrates it whole; 6.12 splits it first (7262f208ca68) and migrates the pieces', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = thpRange(env, is_zone_movable_page);
    const old = mapped(env, a + PAGE);
    // MADV_DONTNEED of one page splits the PMD and zaps that PTE.
    expect(run(env, (k) => sys_madvise(k, a, PAGE, MADV_DONTNEED))).toBe(0);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(old)] & PG_partially_mapped).toBe(PG_partially_mapped);
    const pages: (number | null)[] = new Array<number | null>(NR - 1).fill(null);
    const r = run(env, function* (k: Kctx): KThread<number> {
      const mm = env.task.mm as mm_struct;
      yield* down_read(k, mm.mmap_lock, 'test');
      const n = yield* pin_user_pages(k, a + PAGE, NR - 1, FOLL_WRITE | FOLL_LONGTERM, pages);
      up_read(k, mm.mmap_lock, 'test');
      return n;
    });
    expect(r).toBe(NR - 1);
    expect(mapped(env, a)).toBe(-1);
    const p300 = pages[299] as number;
    expect(p300).toBe(mapped(env, a + 300 * PAGE));
    expect(is_zone_movable_page(env.m, p300)).toBe(false);
    expect(page_content(env.m, p300)).toBe('data-300');
    if (profile === 'v6.1') {
      const head = compound_head(env.m, p300);
      expect(folio_order(env.m, head)).toBe(9);
      expect(p300).toBe(head + 300);
      expect(folio_mapcount(env.m, head)).toBe(NR - 1);
    } else {
      expect(folio_order(env.m, p300)).toBe(0);
      expect(folio_order(env.m, pages[6] as number)).toBe(0);
      expect(page_content(env.m, pages[6] as number)).toBe('data-7');
    }
    run(env, function* (k: Kctx) {
      unpin_user_pages(k, pages, NR - 1);
      return 0;
    });
    expect(reports(env, 'unsupported')).toEqual([]);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('a THP split by mprotect but fully mapped is not partially mapped: migrated whole on both releases', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = thpRange(env, is_zone_movable_page);
    expect(run(env, (k) => sys_mprotect(k, a, PMD_SIZE / 2, PROT_READ))).toBe(0);
    const head = mapped(env, a);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(head)] & PG_partially_mapped).toBe(0);
  });
});


describe('v5.4: the CMA path (check_and_migrate_cma_pages → new_non_cma_page)', () => {
  it('migrate_pages on the 5.4 path moves an isolated THP whole (no unsupported report); see gup.thp_cma.test.ts for the GUP cases', () => {
    const env = mkEnv('v5.4', LAYOUT);
    const a = thpRange(env, is_zone_movable_page);
    const head = mapped(env, a);
    const failed = run(env, function* (k: Kctx): KThread<number> {
      expect(isolate_for_migration(k, head)).toBe(true);
      const n = yield* migrate_isolated_pages(k, [head], 'non-cma');
      putback_isolated_pages(k, [head]);
      return n;
    });
    expect(failed).toBe(0);
    expect(reports(env, 'unsupported')).toEqual([]);
    const now = mapped(env, a);
    expect(now).not.toBe(head);
    expect(folio_order(env.m, now)).toBe(9);
    expect(pt_walk(env.task.mm as mm_struct, a).level).toBe('pmd');
    expect(page_content(env.m, now + 300)).toBe('data-300');
  });
});
