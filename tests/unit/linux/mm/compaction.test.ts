/**
 * alloc_contig_range() over the folio behind a user address (src/linux/mm/compaction.ts):
 * mm/page_alloc.c alloc_contig_range / __alloc_contig_migrate_range and mm/compaction.c
 * isolate_migratepages_block with cc->alloc_contig, per release (1da2f328fa64 THP,
 * ae37c7ff79f1 hugetlb).
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, run, MiB, PAGE, reports } from './gup_env.js';
import type { Env } from './gup_env.js';
import {
  MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_HUGETLB, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE,
} from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { __mm_populate, get_user_pages, pin_user_pages, unpin_user_pages } from '../../../../src/linux/mm/gup.js';
import { sys_madvise, sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { compound_head, folio_order, page_content, page_count, pt_walk, put_page, set_page_content } from '../../../../src/linux/include/linux/mm.js';
import { PG_isolated, PG_lru, PMD_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { alloc_contig_range_folio } from '../../../../src/linux/mm/compaction.js';
import { EBUSY, EINTR } from '../../../../src/linux/include/uapi/linux/errno.js';

const LAYOUT = { dma32: 16 * MiB, normal: 64 * MiB };

/** The frame mapping `addr` (PTE, PMD or PUD leaf), or -1. */
function mapped(env: Env, addr: number): number {
  const w = pt_walk(env.task.mm as mm_struct, addr);
  if (w.entry === 0) return -1;
  const nr = w.level === 'pmd' ? 512 : w.level === 'pud' ? 512 * 512 : 1;
  return pte_pfn(w.entry) + (Math.floor(addr / PAGE) % nr);
}

function anonPage(env: Env, tag: string): number {
  const a = run(env, (k) => sys_mmap(k, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
  set_page_content(env.m, mapped(env, a), tag);
  return a;
}

function contig(env: Env, addr: number): number {
  return run(env, (k) => alloc_contig_range_folio(k, mapped(env, addr)));
}

function gup(env: Env, a: number, nr: number, flags: number, pin: boolean): (number | null)[] {
  const pages: (number | null)[] = new Array<number | null>(nr).fill(null);
  const r = run(env, function* (k: Kctx): KThread<number> {
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 'test');
    const n = pin ? yield* pin_user_pages(k, a, nr, flags, pages) : yield* get_user_pages(k, a, nr, flags, pages);
    up_read(k, mm.mmap_lock, 'test');
    return n;
  });
  expect(r).toBe(nr);
  return pages;
}

describe.each(['v5.6', 'v6.1', 'v6.12'])('%s: alloc_contig_range over a user page', (profile) => {
  const six = profile !== 'v5.6';

  it('an idle anonymous page is migrated: new frame mapped, data kept, old frame freed', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'A');
    const old = mapped(env, a);
    expect(contig(env, a)).toBe(0);
    const now = mapped(env, a);
    expect(now).not.toBe(old);
    expect(page_content(env.m, now)).toBe('A');
    expect(page_count(env.m, old)).toBe(0);
    expect(page_count(env.m, now)).toBe(1);
  });

  it('a pinned anonymous page is skipped before isolation: -EBUSY, nothing moves, no reference leaks', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'P');
    const pages = gup(env, a, 1, FOLL_WRITE | FOLL_LONGTERM, true);
    const old = mapped(env, a);
    const refs = page_count(env.m, old);
    expect(contig(env, a)).toBe(-EBUSY);
    expect(mapped(env, a)).toBe(old);
    expect(page_count(env.m, old)).toBe(refs);
    expect(env.m.mem.s_flags[env.m.mem.slot_of(old)] & PG_isolated).toBe(0);
    run(env, function* (k: Kctx): KThread<void> {
      unpin_user_pages(k, pages as number[], 1);
      yield* down_read(k, (env.task.mm as mm_struct).mmap_lock, 'test');
      up_read(k, (env.task.mm as mm_struct).mmap_lock, 'test');
    });
    expect(contig(env, a)).toBe(0);
    expect(mapped(env, a)).not.toBe(old);
  });

  it('a plain GUP reference (FOLL_GET) blocks the migration too, until it is put', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'G');
    const pages = gup(env, a, 1, FOLL_WRITE, false);
    expect(contig(env, a)).toBe(-EBUSY);
    put_page(env.m, pages[0] as number);
    expect(contig(env, a)).toBe(0);
  });

  it('a page-cache page with an extra reference is isolated, fails the move (-EAGAIN) and goes back: -EBUSY', () => {
    const env = mkEnv(profile, LAYOUT);
    mount_fs(env.m, '/mnt', 'tmpfs');
    create_file(env.m, '/mnt/f', PAGE, () => 'F');
    const a = run(env, function* (k: Kctx): KThread<number> {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      return yield* sys_mmap(k, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    });
    const old = mapped(env, a);
    const data = page_content(env.m, old);
    const pages = gup(env, a, 1, 0, false);
    const refs = page_count(env.m, old);
    expect(contig(env, a)).toBe(-EBUSY);
    expect(mapped(env, a)).toBe(old);
    expect(page_count(env.m, old)).toBe(refs);
    const flags = env.m.mem.s_flags[env.m.mem.slot_of(old)];
    expect(flags & PG_isolated).toBe(0);
    expect(flags & PG_lru).toBe(PG_lru);
    put_page(env.m, pages[0] as number);
    expect(contig(env, a)).toBe(0);
    expect(mapped(env, a)).not.toBe(old);
    expect(page_content(env.m, mapped(env, a))).toBe(data);
  });

  it('an anonymous THP: skipped before 1da2f328fa64 (-EBUSY), migrated whole after', () => {
    const env = mkEnv(profile, LAYOUT);
    const x = run(env, function* (k: Kctx): KThread<number> {
      const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      const al = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
      expect(yield* sys_madvise(k, al, PMD_SIZE, MADV_HUGEPAGE)).toBe(0);
      expect(yield* __mm_populate(k, al, PMD_SIZE, false)).toBe(0);
      return al;
    });
    const old = mapped(env, x);
    expect(folio_order(env.m, old)).toBe(9);
    set_page_content(env.m, old + 5, 'T5');
    const rc = contig(env, x + 5 * PAGE);
    if (!six) {
      expect(rc).toBe(-EBUSY);
      expect(mapped(env, x)).toBe(old);
      return;
    }
    expect(rc).toBe(0);
    const now = mapped(env, x);
    expect(now).not.toBe(old);
    expect(folio_order(env.m, compound_head(env.m, now))).toBe(9);
    expect(pt_walk(env.task.mm as mm_struct, x).level).toBe('pmd');
    expect(page_content(env.m, now + 5)).toBe('T5');
    expect(reports(env, 'unsupported')).toEqual([]);
  });

  it('an in-use hugetlb page: skipped before ae37c7ff79f1 (-EBUSY), migrated after', () => {
    const env = mkEnv(profile, LAYOUT);
    expect(run(env, function* (k: Kctx): KThread<number> { return hugetlb_pool_grow(k, 9, 2); })).toBe(2);
    const h = run(env, (k) => sys_mmap(k, 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0));
    const old = mapped(env, h);
    set_page_content(env.m, old, 'H');
    const rc = contig(env, h);
    if (!six) {
      expect(rc).toBe(-EBUSY);
      expect(mapped(env, h)).toBe(old);
      return;
    }
    expect(rc).toBe(0);
    expect(mapped(env, h)).not.toBe(old);
    expect(page_content(env.m, mapped(env, h))).toBe('H');
  });

  it('the shared zero page (reserved) cannot be isolated: -EBUSY', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = run(env, function* (k: Kctx): KThread<number> {
      const x = yield* sys_mmap(k, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      return x;
    });
    expect(mapped(env, a)).toBeGreaterThanOrEqual(0);
    expect(contig(env, a)).toBe(-EBUSY);
  });

  it('a fatal signal pending ends the call with -EINTR before anything moves', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'S');
    const old = mapped(env, a);
    const rc = run(env, function* (k: Kctx): KThread<number> {
      k.s.kill(k.tid, true);
      return yield* alloc_contig_range_folio(k, old);
    });
    expect(rc).toBe(-EINTR);
    expect(mapped(env, a)).toBe(old);
  });
});
