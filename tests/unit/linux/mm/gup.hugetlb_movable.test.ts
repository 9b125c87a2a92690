/**
 * FOLL_LONGTERM pins of hugetlb folios that sit in ZONE_MOVABLE (the 2 MiB pool is
 * allocated with htlb_alloc_mask = GFP_HIGHUSER_MOVABLE): mm/gup.c
 * collect/migrate_longterm_unpinnable_pages (Debian 6.1.192) / _folios (6.12.117),
 * mm/hugetlb.c isolate_hugetlb + alloc_huge_page_nodemask / alloc_hugetlb_folio_nodemask,
 * mm/migrate.c unmap_and_move_huge_page. The real kernels (docs/conformance.md): 6.12
 * migrates the folio out of ZONE_MOVABLE and pins it; 6.1.192 fails -ENOMEM before
 * migrating (follow_hugetlb_page's grab refuses it); a never-faulted range fails -EFAULT
 * on both.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, run, MiB, PAGE, reports } from './gup_env.js';
import type { Env } from './gup_env.js';
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { __mm_populate, get_user_pages, pin_user_pages, unpin_user_pages } from '../../../../src/linux/mm/gup.js';
import { hugetlb_free_count, hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { sys_mmap } from '../../../../src/linux/syscalls.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import {
  compound_head, folio_order, is_migrate_cma_page, is_zone_movable_page, page_content, page_count, PageHuge, pt_walk, set_page_content,
} from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { ENOMEM } from '../../../../src/linux/include/uapi/linux/errno.js';

const HPAGE = 2 * MiB;
const NR = HPAGE / PAGE;
const LAYOUT = { dma32: 32 * MiB, normal: 64 * MiB, movable: 64 * MiB };

function hugeAnon(env: Env, pool: number, touch: boolean): number {
  expect(run(env, function* (k) {
    return hugetlb_pool_grow(k, 9, pool);
  })).toBe(pool);
  const a = run(env, (k) => sys_mmap(k, 0, HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0));
  expect(a).toBeGreaterThan(0);
  if (touch) {
    expect(run(env, (k) => __mm_populate(k, a, HPAGE, false))).toBe(0);
    set_page_content(env.m, mapped(env, a) + 7, 'data-7');
  }
  return a;
}

function mapped(env: Env, addr: number): number {
  const w = pt_walk(env.task.mm as mm_struct, addr);
  if (w.entry === 0) return -1;
  return w.level === 'pte' ? pte_pfn(w.entry) : pte_pfn(w.entry) + (Math.floor(addr / PAGE) % NR);
}

function pinLongterm(env: Env, a: number, pages: (number | null)[]): number {
  return run(env, function* (k: Kctx): KThread<number> {
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 'test');
    const r = yield* pin_user_pages(k, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages);
    up_read(k, mm.mmap_lock, 'test');
    return r;
  });
}

describe('hugetlb in CMA and FOLL_LONGTERM, v5.4 (check_and_migrate_cma_pages → new_non_cma_page)', () => {
  it('v5.4 get_user_pages(LONGTERM) migrates a CMA hugetlb folio to a fresh GFP_USER folio (never from the pool)', () => {
    const env = mkEnv('v5.4', { dma32: 32 * MiB, normal: 64 * MiB, cma: 64 * MiB });
    const a = hugeAnon(env, 2, true);
    const old = mapped(env, a);
    expect(is_migrate_cma_page(env.m, old)).toBe(true);
    const spare = env.m.hugetlb_free[0];
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    const r = run(env, function* (k: Kctx): KThread<number> {
      const mm = env.task.mm as mm_struct;
      yield* down_read(k, mm.mmap_lock, 'test');
      const n = yield* get_user_pages(k, a, NR, FOLL_WRITE | FOLL_LONGTERM, pages);
      up_read(k, mm.mmap_lock, 'test');
      return n;
    });
    expect(r).toBe(NR);
    const head = compound_head(env.m, pages[0] as number);
    expect(head).not.toBe(old);
    expect(head).not.toBe(spare);
    expect(is_migrate_cma_page(env.m, head)).toBe(false);
    expect(mapped(env, a)).toBe(head);
    expect(page_content(env.m, head + 7)).toBe('data-7');
    expect(env.m.hugetlb_free).toEqual([spare]);
  });
});

describe('hugetlb in ZONE_MOVABLE and FOLL_LONGTERM', () => {
  it('the 2 MiB pool lands in ZONE_MOVABLE when the machine has one (htlb_alloc_mask)', () => {
    const env = mkEnv('v6.12', LAYOUT);
    const a = hugeAnon(env, 2, true);
    expect(is_zone_movable_page(env.m, mapped(env, a))).toBe(true);
  });

  it('v6.12: a populated hugetlb folio is migrated out of ZONE_MOVABLE (fresh buddy folio), then pinned; data kept', () => {
    const env = mkEnv('v6.12', LAYOUT);
    const a = hugeAnon(env, 2, true);
    const old = mapped(env, a);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(NR);
    const head = compound_head(env.m, pages[0] as number);
    expect(head).not.toBe(old);
    expect(PageHuge(env.m, head)).toBe(true);
    expect(folio_order(env.m, head)).toBe(9);
    expect(is_zone_movable_page(env.m, head)).toBe(false);
    expect(mapped(env, a)).toBe(head);
    expect(pages[7]).toBe(head + 7);
    expect(page_content(env.m, head + 7)).toBe('data-7');
    // The fresh folio replaced the old one in the pool: the old frames went back to the
    // buddy allocator (temporary), the pool still has its free folio.
    expect(hugetlb_free_count(env.m, 9)).toBe(1);
    expect(PageHuge(env.m, old)).toBe(false);
    // One mapping + NR pins (hugetlb folios count pins in the folio pincount and one reference each).
    expect(page_count(env.m, head)).toBe(1 + NR);
    run(env, function* (k) {
      unpin_user_pages(k, pages, NR);
      return 0;
    });
    expect(page_count(env.m, head)).toBe(1);
  });

  it('v6.12: a populated hugetlb folio with another reference held is not migrated (-EAGAIN in the move): the pin fails -ENOMEM, folio left in place', () => {
    const env = mkEnv('v6.12', LAYOUT);
    const a = hugeAnon(env, 2, true);
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
    // migrate_pages() leaves the hugetlb folio on the list, so it reports a failure.
    expect(pinLongterm(env, a, pages)).toBe(-ENOMEM);
    expect(mapped(env, a)).toBe(old);
    expect(is_zone_movable_page(env.m, old)).toBe(true);
    expect(page_count(env.m, old)).toBe(before);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('v6.12 (bbe88753bd42): the target is a free pinnable pool folio first; the source returns to the pool', () => {
    // 2 MiB of ZONE_MOVABLE: the first pool folio lands there, the second falls back to ZONE_NORMAL.
    const env = mkEnv('v6.12', { dma32: 32 * MiB, normal: 64 * MiB, movable: 2 * MiB });
    const a = hugeAnon(env, 2, true);
    const old = mapped(env, a);
    expect(is_zone_movable_page(env.m, old)).toBe(true);
    const spare = env.m.hugetlb_free[0];
    expect(is_zone_movable_page(env.m, spare)).toBe(false);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(NR);
    expect(compound_head(env.m, pages[0] as number)).toBe(spare);
    expect(env.m.hugetlb_free).toEqual([old]);
    expect(page_content(env.m, spare + 7)).toBe('data-7');
  });

  it('v6.12 without bbe88753bd42 (the 5.4 target rule): a fresh buddy folio even with a pinnable pool folio free', () => {
    const env = mkEnv('v6.12-hugetlb-migration-target-pool', { dma32: 32 * MiB, normal: 64 * MiB, movable: 2 * MiB });
    const a = hugeAnon(env, 2, true);
    const old = mapped(env, a);
    const spare = env.m.hugetlb_free[0];
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(NR);
    const head = compound_head(env.m, pages[0] as number);
    expect(head).not.toBe(spare);
    expect(head).not.toBe(old);
    expect(is_zone_movable_page(env.m, head)).toBe(false);
    expect(env.m.hugetlb_free).toEqual([spare]);
    expect(PageHuge(env.m, old)).toBe(false);
  });

  it('v6.12: a never-faulted hugetlb range fails -EFAULT (no pinnable pool folio inside the pin scope)', () => {
    const env = mkEnv('v6.12', LAYOUT);
    const a = hugeAnon(env, 2, false);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(-14);
    expect(hugetlb_free_count(env.m, 9)).toBe(2);
  });

  it('v6.1: a never-faulted hugetlb range fails -EFAULT', () => {
    const env = mkEnv('v6.1', LAYOUT);
    const a = hugeAnon(env, 2, false);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(-14);
  });

  // Debian 6.1.192 follow_hugetlb_page() grabs with try_grab_folio(), whose FOLL_LONGTERM
  // check refuses an unpinnable page: WARN_ON_ONCE and -ENOMEM before any migration
  // (f442fa614137, v6.10, removed that; the real 6.1.192 kernel shows the same result).
  it('v6.1: a populated hugetlb folio in ZONE_MOVABLE → -ENOMEM (WARN in follow_hugetlb_page), folio left in place', () => {
    const env = mkEnv('v6.1', LAYOUT);
    const a = hugeAnon(env, 2, true);
    const old = mapped(env, a);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(-12);
    expect(mapped(env, a)).toBe(old);
    expect(is_zone_movable_page(env.m, old)).toBe(true);
    expect(page_count(env.m, old)).toBe(1);
    expect(reports(env, 'warn').some((w) => w.startsWith('mm/hugetlb.c:follow_hugetlb_page'))).toBe(true);
  });

  it('v6.1 + f442fa614137 (backport ablation): the slow path pins, so the folio is migrated as on 6.12', () => {
    const env = mkEnv('v6.1+gup-hugetlb-grab-no-longterm-check', LAYOUT);
    const a = hugeAnon(env, 2, true);
    const old = mapped(env, a);
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    expect(pinLongterm(env, a, pages)).toBe(NR);
    expect(compound_head(env.m, pages[0] as number)).not.toBe(old);
    expect(is_zone_movable_page(env.m, pages[0] as number)).toBe(false);
  });
});
