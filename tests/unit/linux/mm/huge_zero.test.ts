/**
 * The huge zero page (mm/huge_memory.c get_huge_zero_page / mm_get_huge_zero_page /
 * set_huge_zero_page, do_huge_pmd_wp_page, copy_huge_pmd, zap_huge_pmd,
 * __split_huge_zero_page_pmd; mm/gup.c follow_trans_huge_pmd / follow_huge_pmd and the
 * gup-fast PMD walk) per release.
 */
import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, pte_pfn, pte_special, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, PageAnon, folio_order, folio_pincount, is_zero_pfn, page_count, page_mapcount, pt_walk, vma_lookup,
} from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { MMF_HUGE_ZERO_PAGE } from '../../../../src/linux/mm/huge_memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_fork, sys_madvise, sys_mmap, sys_munmap } from '../../../../src/linux/syscalls.js';
import { FOLL_DUMP, FOLL_GET, FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { follow_page_mask, get_user_pages, pin_user_pages, unpin_user_pages } from '../../../../src/linux/mm/gup.js';
import { pin_user_pages_fast } from '../../../../src/linux/mm/gup_fast.js';
import { do_exit } from '../../../../src/linux/kernel/exit.js';
import { MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { EFAULT } from '../../../../src/linux/include/uapi/linux/errno.js';

const RW = PROT_READ | PROT_WRITE;
const LAYOUT = { dma32: 16 * MiB, normal: 64 * MiB };

function* fault(k: Kctx, addr: number, write: boolean) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, write ? FAULT_FLAG_WRITE : 0);
  up_read(k, mm.mmap_lock, 'test');
  return r;
}

/** A 2 MiB-aligned MADV_HUGEPAGE range of private anonymous memory (never written). */
function* thpRegion(k: Kctx) {
  const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const x = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
  yield* sys_madvise(k, x, PMD_SIZE, MADV_HUGEPAGE);
  return x;
}

function hasHugeZero(mm: mm_struct): boolean {
  return Math.floor(mm.flags / 2 ** MMF_HUGE_ZERO_PAGE) % 2 === 1;
}

/** GUP of nr pages at addr under mmap_lock: get_user_pages on 5.4 (no pin API), pin_user_pages after. */
function* gup(k: Kctx, profile: string, addr: number, nr: number, flags: number) {
  const mm = get_current(k).mm as mm_struct;
  const pages: (number | null)[] = new Array<number | null>(nr).fill(null);
  yield* down_read(k, mm.mmap_lock, 'test');
  const n = profile === 'v5.4' ? yield* get_user_pages(k, addr, nr, flags, pages) : yield* pin_user_pages(k, addr, nr, flags, pages);
  up_read(k, mm.mmap_lock, 'test');
  return { n, pages: pages as number[] };
}

describe('huge zero page: read faults', () => {
  for (const profile of ['v5.4', 'v5.6', 'v6.1', 'v6.12']) {
    it(`${profile}: read faults on two never-written THP ranges of two processes map the same order-9 folio, allocated once and referenced per mm`, () => {
      const m = machine(profile, LAYOUT);
      const a = task(m);
      const b = task(m);
      const x = runAs(m, a, function* (k) { const r = yield* thpRegion(k); yield* fault(k, r + 7 * PAGE_SIZE, false); return r; });
      const y = runAs(m, b, function* (k) { const r = yield* thpRegion(k); yield* fault(k, r, false); return r; });
      const wa = pt_walk(a.mm!, x);
      const wb = pt_walk(b.mm!, y);
      expect(wa.level).toBe('pmd');
      expect(pte_pfn(wa.entry)).toBe(m.mem.huge_zero_pfn);
      expect(pte_pfn(wb.entry)).toBe(m.mem.huge_zero_pfn);
      expect(pte_write(wa.entry)).toBe(false);
      expect(folio_order(m, m.mem.huge_zero_pfn)).toBe(9);
      expect(is_zero_pfn(m, m.mem.huge_zero_pfn)).toBe(false);
      // No page reference and no mapcount per mapping; one huge_zero_refcount per mm + the shrinker's.
      expect(page_count(m, m.mem.huge_zero_pfn)).toBe(1);
      expect(page_mapcount(m, m.mem.huge_zero_pfn)).toBe(0);
      expect(m.mem.huge_zero_refcount).toBe(3);
      expect(hasHugeZero(a.mm!) && hasHugeZero(b.mm!)).toBe(true);
      expect(m.events.filter((e) => e.what === 'huge-zero-alloc')).toHaveLength(1);
    });
  }

  it('use_zero_page = 0: a read fault allocates a THP of its own', () => {
    const m = machine('v6.1', LAYOUT);
    m.transparent_hugepage_use_zero_page = false;
    const t = task(m);
    const x = runAs(m, t, function* (k) { const r = yield* thpRegion(k); yield* fault(k, r, false); return r; });
    const w = pt_walk(t.mm!, x);
    expect(w.level).toBe('pmd');
    expect(m.mem.huge_zero_pfn).toBe(-1);
    expect(PageAnon(m, pte_pfn(w.entry))).toBe(true);
  });

  it('munmap drops the PMD but not the mm reference; __mmput at exit drops that; fork gives the child its own', () => {
    const m = machine('v6.12', LAYOUT);
    const parent = task(m);
    const r = runAs(m, parent, function* (k) {
      const x = yield* thpRegion(k);
      yield* fault(k, x, false);
      const pid = yield* sys_fork(k);
      const afterFork = m.mem.huge_zero_refcount;
      const un = yield* sys_munmap(k, x, PMD_SIZE);
      return { x, pid, afterFork, un, afterUnmap: m.mem.huge_zero_refcount };
    });
    const child = m.tasks.get(r.pid)!;
    expect(pte_pfn(pt_walk(child.mm!, r.x).entry)).toBe(m.mem.huge_zero_pfn);
    expect(pte_write(pt_walk(child.mm!, r.x).entry)).toBe(false);
    expect(r.afterFork).toBe(3);
    expect(r.un).toBe(0);
    expect(pt_walk(parent.mm!, r.x).entry).toBe(0);
    expect(r.afterUnmap).toBe(3);
    runAs(m, child, function* (k) { yield* do_exit(k, 0); });
    expect(m.mem.huge_zero_refcount).toBe(2);
    expect(page_count(m, m.mem.huge_zero_pfn)).toBe(1);
    expect(m.reports).toEqual([]);
  });
});

describe('huge zero page: write faults per release', () => {
  for (const [profile, freshThp] of [['v5.4', true], ['v5.5', true], ['v5.6', true], ['v6.1', false], ['v6.12', false]] as const) {
    it(`${profile}: a write after a read ${freshThp ? 'maps a fresh zeroed THP in place of the zero PMD' : 'splits the zero PMD (3917c80280c9) and copies one 4 KiB page; the rest map the 4 KiB zero page'}`, () => {
      const m = machine(profile, LAYOUT);
      const t = task(m);
      const x = runAs(m, t, function* (k) {
        const r = yield* thpRegion(k);
        yield* fault(k, r, false);
        yield* fault(k, r + 5 * PAGE_SIZE, true);
        return r;
      });
      const w = pt_walk(t.mm!, x + 5 * PAGE_SIZE);
      expect(pte_write(w.entry)).toBe(true);
      expect(pte_pfn(w.entry)).not.toBe(m.mem.huge_zero_pfn + 5);
      if (freshThp) {
        expect(w.level).toBe('pmd');
        expect(folio_order(m, pte_pfn(w.entry))).toBe(9);
        expect(PageAnon(m, pte_pfn(w.entry))).toBe(true);
      } else {
        expect(w.level).toBe('pte');
        expect(folio_order(m, pte_pfn(w.entry))).toBe(0);
        const other = pt_walk(t.mm!, x + 6 * PAGE_SIZE);
        expect(is_zero_pfn(m, pte_pfn(other.entry))).toBe(true);
        expect(pte_special(other.entry)).toBe(true);
      }
      expect(page_count(m, m.mem.huge_zero_pfn)).toBe(1);
      expect(m.reports).toEqual([]);
    });
  }

  it('v5.4: when the VMA no longer allows THP (MADV_NOHUGEPAGE after the read), the write splits instead', () => {
    const m = machine('v5.4', LAYOUT);
    const t = task(m);
    const x = runAs(m, t, function* (k) {
      const r = yield* thpRegion(k);
      yield* fault(k, r, false);
      yield* sys_madvise(k, r, PMD_SIZE, MADV_NOHUGEPAGE);
      yield* fault(k, r, true);
      return r;
    });
    const w = pt_walk(t.mm!, x);
    expect(w.level).toBe('pte');
    expect(folio_order(m, pte_pfn(w.entry))).toBe(0);
  });
});

describe('huge zero page: GUP', () => {
  it('FOLL_DUMP does not return the huge zero page (-EFAULT); a real THP is returned', () => {
    const m = machine('v6.1', LAYOUT);
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const x = yield* thpRegion(k);
      yield* fault(k, x, false);
      const y = yield* thpRegion(k);
      yield* fault(k, y, true);
      const mm = t.mm!;
      const zero = follow_page_mask(k, vma_lookup(mm, x)!, x + PAGE_SIZE, FOLL_DUMP | FOLL_GET);
      const thp = follow_page_mask(k, vma_lookup(mm, y)!, y + PAGE_SIZE, FOLL_DUMP | FOLL_GET);
      return { zero, thp, y };
    });
    expect(r.zero).toBe(-EFAULT);
    expect(r.thp).toBe(pte_pfn(pt_walk(t.mm!, r.y).entry) + 1);
  });

  for (const profile of ['v5.6', 'v6.1', 'v6.12']) {
    it(`${profile}: a short-term R/O pin of a huge zero PMD takes a reference (and on 6.x a pincount) on the huge zero folio`, () => {
      const m = machine(profile, LAYOUT);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const x = yield* thpRegion(k);
        yield* fault(k, x, false);
        const g = yield* gup(k, profile, x + 3 * PAGE_SIZE, 2, 0);
        const ref = page_count(m, m.mem.huge_zero_pfn);
        const pins = folio_pincount(m, m.mem.huge_zero_pfn);
        unpin_user_pages(k, g.pages, g.n);
        return { ...g, ref, pins };
      });
      expect(r.n).toBe(2);
      expect(r.pages).toEqual([m.mem.huge_zero_pfn + 3, m.mem.huge_zero_pfn + 4]);
      expect(r.ref).toBe(3);
      expect(r.pins).toBe(profile === 'v5.6' ? 0 : 2);
      expect(page_count(m, m.mem.huge_zero_pfn)).toBe(1);
      expect(m.reports).toEqual([]);
    });
  }

  for (const [profile, unshares] of [['v5.4', false], ['v5.6', false], ['v6.1', false], ['v6.12', true]] as const) {
    it(`${profile}: a long-term R/O pin of a never-written MADV_HUGEPAGE range ${unshares ? 'unshares: 512 fresh 4 KiB anon pages (84209e87c696), the PMD split' : 'pins the shared huge zero folio 512 times'}`, () => {
      const m = machine(profile, LAYOUT);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const x = yield* thpRegion(k);
        const g = yield* gup(k, profile, x, 512, FOLL_LONGTERM);
        return { x, ...g };
      });
      expect(r.n).toBe(512);
      const zero = m.mem.huge_zero_pfn;
      expect(zero).toBeGreaterThan(0); // the first (read) fault mapped it on every release
      if (unshares) {
        expect(new Set(r.pages).size).toBe(512);
        expect(r.pages.every((p) => folio_order(m, p) === 0 && PageAnon(m, p) && p !== zero)).toBe(true);
        expect(pt_walk(t.mm!, r.x).level).toBe('pte');
        expect(pte_pfn(pt_walk(t.mm!, r.x + 9 * PAGE_SIZE).entry)).toBe(r.pages[9]);
        expect(page_count(m, zero)).toBe(1);
      } else {
        expect(r.pages).toEqual(Array.from({ length: 512 }, (_, i) => zero + i));
        expect(pt_walk(t.mm!, r.x).level).toBe('pmd');
        expect(page_count(m, zero)).toBe(1 + 512);
        expect(folio_pincount(m, zero)).toBe(profile === 'v6.1' ? 512 : 0);
      }
    });
  }

  for (const [profile, fast] of [['v6.1', true], ['v6.12', false]] as const) {
    it(`${profile}: pin_user_pages_fast(FOLL_LONGTERM) R/O over a huge zero PMD ${fast ? 'pins the huge zero folio in the lockless walk' : 'leaves the lockless walk (gup_must_unshare without a VMA) and unshares in the slow path'}`, () => {
      const m = machine(profile, LAYOUT);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const x = yield* thpRegion(k);
        yield* fault(k, x, false);
        const pages: (number | null)[] = new Array<number | null>(4).fill(null);
        const n = yield* pin_user_pages_fast(k, x, 4, FOLL_LONGTERM, pages);
        return { x, n, pages: pages as number[] };
      });
      expect(r.n).toBe(4);
      const zero = m.mem.huge_zero_pfn;
      if (fast) {
        expect(r.pages).toEqual([zero, zero + 1, zero + 2, zero + 3]);
        expect(folio_pincount(m, zero)).toBe(4);
      } else {
        expect(r.pages.some((p) => p >= zero && p < zero + 512)).toBe(false);
        expect(folio_pincount(m, zero)).toBe(0);
        expect(pt_walk(t.mm!, r.x).level).toBe('pte');
      }
    });
  }

  for (const [profile, freshThp] of [['v5.4', true], ['v6.1', false], ['v6.12', false]] as const) {
    it(`${profile}: FOLL_WRITE over a huge zero PMD breaks COW first (${freshThp ? 'one fresh THP' : 'split, one 4 KiB copy per page pinned'})`, () => {
      const m = machine(profile, LAYOUT);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const x = yield* thpRegion(k);
        yield* fault(k, x, false);
        const g = yield* gup(k, profile, x, 2, FOLL_WRITE | FOLL_LONGTERM);
        return { x, ...g };
      });
      expect(r.n).toBe(2);
      const zero = m.mem.huge_zero_pfn;
      expect(r.pages.some((p) => p >= zero && p < zero + 512)).toBe(false);
      expect(r.pages.every((p) => PageAnon(m, p))).toBe(true);
      expect(folio_order(m, r.pages[0])).toBe(freshThp ? 9 : 0);
      expect(pt_walk(t.mm!, r.x).level).toBe(freshThp ? 'pmd' : 'pte');
      if (!freshThp) expect(is_zero_pfn(m, pte_pfn(pt_walk(t.mm!, r.x + 2 * PAGE_SIZE).entry))).toBe(true);
    });
  }
});

describe('COW of a THP shared with a child, 5.4–5.6 body (do_huge_pmd_wp_page before 3917c80280c9)', () => {
  function* sharedThp(k: Kctx) {
    const x = yield* thpRegion(k);
    yield* fault(k, x, true);
    const mm = get_current(k).mm as mm_struct;
    const old = pte_pfn(pt_walk(mm, x).entry);
    const pid = yield* sys_fork(k);
    return { x, old, pid };
  }

  for (const profile of ['v5.4', 'v5.5', 'v5.6']) {
    it(`${profile}: the parent's write copies the whole THP into a new order-9 folio; the child keeps the old one`, () => {
      const m = machine(profile, LAYOUT);
      const parent = task(m);
      const r = runAs(m, parent, function* (k) {
        const s = yield* sharedThp(k);
        const ret = yield* fault(k, s.x + 9 * PAGE_SIZE, true);
        return { ...s, ret };
      });
      const w = pt_walk(parent.mm!, r.x + 9 * PAGE_SIZE);
      expect(w.level).toBe('pmd');
      expect(pte_write(w.entry)).toBe(true);
      expect(pte_pfn(w.entry)).not.toBe(r.old);
      expect(folio_order(m, pte_pfn(w.entry))).toBe(9);
      const child = m.tasks.get(r.pid)!;
      expect(pte_pfn(pt_walk(child.mm!, r.x).entry)).toBe(r.old);
      expect(page_count(m, r.old)).toBe(1);
      expect(page_mapcount(m, r.old)).toBe(1);
      expect(m.reports).toEqual([]);
    });
  }

  it('v5.4: with THP no longer allowed in the VMA, do_huge_pmd_wp_page_fallback copies all 512 subpages into 4 KiB pages', () => {
    const m = machine('v5.4', LAYOUT);
    const parent = task(m);
    const r = runAs(m, parent, function* (k) {
      const s = yield* sharedThp(k);
      yield* sys_madvise(k, s.x, PMD_SIZE, MADV_NOHUGEPAGE);
      yield* fault(k, s.x + 9 * PAGE_SIZE, true);
      return s;
    });
    const pfns = new Set<number>();
    for (let i = 0; i < 512; i++) {
      const w = pt_walk(parent.mm!, r.x + i * PAGE_SIZE);
      expect(w.level).toBe('pte');
      expect(pte_write(w.entry)).toBe(true);
      expect(folio_order(m, pte_pfn(w.entry))).toBe(0);
      pfns.add(pte_pfn(w.entry));
    }
    expect(pfns.size).toBe(512);
    expect(page_count(m, r.old)).toBe(1); // the child's mapping only
    expect(m.reports).toEqual([]);
  });
});
