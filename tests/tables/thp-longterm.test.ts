/**
 * Long-term GUP of an anonymous THP, table style: profile × where the THP sits (a CMA
 * pageblock, ZONE_MOVABLE) × situation (an order-9 target free, no order-9 block but
 * enough frames, another reference held, first page zapped) → return value and where the
 * pinned pages end up, from an oracle written from each release's source:
 * - 5.4.1 / 5.5-rc5 / 5.6.4 mm/gup.c check_and_migrate_cma_pages + new_non_cma_page,
 *   mm/migrate.c migrate_pages / unmap_and_move (split and retry on -ENOMEM); any failure
 *   ends migration and pins in place; ZONE_MOVABLE is not migrated at all;
 * - Debian 6.1.192 / 6.12.117 mm/gup.c migrate_longterm_unpinnable_pages / _folios,
 *   mm/migrate.c migrate_pages (split on -ENOMEM; 0 when every piece moved; 6.12 splits a
 *   partially mapped THP first); a failure is -ENOMEM.
 * See tests/unit/linux/mm/gup.thp_cma.test.ts and gup.thp_migrate.test.ts for the details.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../src/sched/index.js';
import type { Kctx } from '../../src/linux/kctx.js';
import { mkEnv, run, MiB, PAGE, reports } from '../unit/linux/mm/gup_env.js';
import type { Env } from '../unit/linux/mm/gup_env.js';
import { MADV_DONTNEED, MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../src/linux/include/linux/foll.js';
import { __mm_populate, get_user_pages, pin_user_pages, unpin_user_pages } from '../../src/linux/mm/gup.js';
import { sys_madvise, sys_mmap } from '../../src/linux/syscalls.js';
import { down_read, up_read } from '../../src/linux/kernel/locking/rwsem.js';
import {
  folio_order, is_migrate_cma_page, is_zone_movable_page, page_content, pt_walk, put_page, set_page_content,
} from '../../src/linux/include/linux/mm.js';
import { PMD_SIZE, pte_pfn } from '../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../src/linux/include/linux/mm_types.js';
import { alloc_pages } from '../../src/linux/mm/page_alloc.js';
import { GFP_USER } from '../../src/linux/include/linux/gfp.js';
import { ENOMEM } from '../../src/linux/include/uapi/linux/errno.js';

const NR = PMD_SIZE / PAGE;
const PROFILES = ['v5.4', 'v5.5', 'v5.6', 'v6.1', 'v6.12'] as const;
type Prof = (typeof PROFILES)[number];
const PLACES = ['cma', 'movable'] as const;
type Place = (typeof PLACES)[number];
const SITUATIONS = ['target', 'no-huge-target', 'extra-ref', 'partially-mapped'] as const;
type Situation = (typeof SITUATIONS)[number];
type Where = 'moved-whole' | 'split-moved' | 'in-place';

function old(p: Prof): boolean {
  return p === 'v5.4' || p === 'v5.5' || p === 'v5.6';
}

/** The oracle: what the release's source does (see the header). */
function oracle(p: Prof, place: Place, sit: Situation): { ret: number; where: Where | null; why: string } {
  const nr = sit === 'partially-mapped' ? NR - 1 : NR;
  if (old(p)) {
    if (place === 'movable') return { ret: nr, where: 'in-place', why: '5.x migrates only CMA pages' };
    if (sit === 'extra-ref') return { ret: nr, where: 'in-place', why: 'move -EAGAIN → migrate_allow = false, pinned in CMA' };
    if (sit === 'no-huge-target') return { ret: nr, where: 'split-moved', why: 'new_non_cma_page fails → split, head retried, tails queued' };
    return { ret: nr, where: 'moved-whole', why: 'new_non_cma_page order 9; no partially-mapped test in 5.x' };
  }
  if (sit === 'extra-ref') return { ret: -ENOMEM, where: null, why: 'folio_migrate_mapping -EAGAIN → migration failure is -ENOMEM' };
  if (sit === 'no-huge-target') return { ret: nr, where: 'split-moved', why: 'try_split_folio; list empty → migrate_pages 0 → retry pins pieces' };
  if (sit === 'partially-mapped' && p === 'v6.12') return { ret: nr, where: 'split-moved', why: '7262f208ca68: a partially mapped THP is split first' };
  return { ret: nr, where: 'moved-whole', why: 'alloc_migration_target keeps the order' };
}

function layout(place: Place): { dma32: number; normal: number; cma?: number; movable?: number } {
  return place === 'cma' ? { dma32: 4 * MiB, normal: 16 * MiB, cma: 16 * MiB } : { dma32: 4 * MiB, normal: 16 * MiB, movable: 16 * MiB };
}

function unpinnable(env: Env, pfn: number): boolean {
  return is_migrate_cma_page(env.m, pfn) || is_zone_movable_page(env.m, pfn);
}

function setup(env: Env, sit: Situation): { a: number; head: number } {
  if (sit === 'no-huge-target') {
    // Take every non-movable frame as an order-0 page, give 600 back: frames but no order-9 block.
    const taken = run(env, function* (k: Kctx): KThread<number[]> {
      const out: number[] = [];
      for (let p = alloc_pages(k, GFP_USER, 0); p !== null; p = alloc_pages(k, GFP_USER, 0)) out.push(p);
      return out;
    });
    for (const p of taken.slice(0, 600)) put_page(env.m, p);
  }
  const a = run(env, function* (k: Kctx): KThread<number> {
    const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const x = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
    yield* sys_madvise(k, x, PMD_SIZE, MADV_HUGEPAGE);
    yield* __mm_populate(k, x, PMD_SIZE, false);
    return x;
  });
  const w = pt_walk(env.task.mm as mm_struct, a);
  expect(w.level).toBe('pmd');
  const head = pte_pfn(w.entry);
  expect(folio_order(env.m, head)).toBe(9);
  expect(unpinnable(env, head)).toBe(true);
  set_page_content(env.m, head + 7, 'data-7');
  set_page_content(env.m, head + 300, 'data-300');
  if (sit === 'extra-ref') {
    const got: (number | null)[] = [null];
    expect(gup(env, a + 5 * PAGE, 1, 0, got, true)).toBe(1);
  }
  if (sit === 'partially-mapped') expect(run(env, (k) => sys_madvise(k, a, PAGE, MADV_DONTNEED))).toBe(0);
  return { a, head };
}

function gup(env: Env, a: number, nr: number, flags: number, pages: (number | null)[], plainGet = false): number {
  return run(env, function* (k: Kctx): KThread<number> {
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 'table');
    const pin = !plainGet && !(env.m.profile.name === 'v5.4' || env.m.profile.name === 'v5.5');
    const r = pin ? yield* pin_user_pages(k, a, nr, flags, pages) : yield* get_user_pages(k, a, nr, flags, pages);
    up_read(k, mm.mmap_lock, 'table');
    return r;
  });
}

describe('long-term GUP of an anonymous THP: profile × placement × situation', () => {
  for (const p of PROFILES) {
    for (const place of PLACES) {
      for (const sit of SITUATIONS) {
        const o = oracle(p, place, sit);
        it(`${p} | THP in ${place} | ${sit} → ${o.ret}${o.where ? `, ${o.where}` : ''}  [${o.why}]`, () => {
          const env = mkEnv(p, layout(place));
          const { a, head } = setup(env, sit);
          const first = sit === 'partially-mapped' ? 1 : 0;
          const nr = NR - first;
          const pages: (number | null)[] = new Array<number | null>(nr).fill(null);
          const r = gup(env, a + first * PAGE, nr, FOLL_WRITE | FOLL_LONGTERM, pages);
          expect(r).toBe(o.ret);
          expect(reports(env, 'unsupported')).toEqual([]);
          expect(reports(env, 'bug')).toEqual([]);
          if (r <= 0) return;
          const p300 = pages[300 - first] as number;
          expect(page_content(env.m, p300)).toBe('data-300');
          if (o.where === 'in-place') {
            expect(p300).toBe(head + 300);
          } else {
            expect(p300).not.toBe(head + 300);
            expect(unpinnable(env, p300)).toBe(false);
            expect(folio_order(env.m, p300)).toBe(o.where === 'moved-whole' ? 9 : 0);
          }
          run(env, function* (k: Kctx) {
            if (old(p) && p !== 'v5.6') for (let i = 0; i < r; i++) put_page(k.m, pages[i] as number);
            else unpin_user_pages(k, pages, r);
            return 0;
          });
        });
      }
    }
  }
});
