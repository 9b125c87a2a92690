/**
 * A THP mapped by PTEs only, whole, in one VMA (its PMD split by __split_huge_pmd) under
 * MADV_COLD / MADV_FREE / MADV_PAGEOUT (mm/madvise.ts pte_large_folio): before 6.10 the
 * folio is split in the walk; from 6.10 (v6.12, v6.18) a folio the range covers whole is
 * advised as one — not split by COLD, made lazy-free whole by FREE, and isolated whole by
 * PAGEOUT (then split by reclaim when swap-backed, or dropped when lazy-free and unreferenced).
 */
import { describe, expect, it } from 'vitest';
import { runAs } from './harness.js';
import { ptes, setup } from './pte_thp.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PG_swapbacked } from '../../../../src/linux/include/linux/mm_types.js';
import { folio_mapcount, folio_order, page_count, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_madvise } from '../../../../src/linux/syscalls.js';
import { get_user_pages } from '../../../../src/linux/mm/gup.js';
import { MADV_COLD, MADV_FREE, MADV_PAGEOUT } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';

describe('a whole PTE-mapped THP under MADV_COLD / FREE / PAGEOUT', () => {
  it('the set-up maps the folio by 512 PTEs, no PMD', () => {
    const { m, x, mm, head } = setup('v6.12');
    expect(pt_walk(mm, x).level).toBe('pte');
    expect(folio_order(m, head)).toBe(9);
    expect(folio_mapcount(m, head)).toBe(512);
    expect(ptes(mm, x)).toEqual(Array.from({ length: 512 }, (_, i) => head + i));
  });

  for (const [profile, split] of [['v5.4', true], ['v6.1', true], ['v6.6', true], ['v6.12', false], ['v6.18', false]] as const) {
    it(`${profile}: MADV_COLD ${split ? 'splits the folio in the walk' : 'leaves the folio whole (one batch)'}`, () => {
      const { m, t, x, mm, head } = setup(profile);
      expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_COLD))).toBe(0);
      expect(folio_order(m, head + 3)).toBe(split ? 0 : 9);
      expect(ptes(mm, x)[3]).toBe(head + 3);
    });

    it(`${profile}: MADV_FREE then MADV_PAGEOUT drop every page of an unreferenced folio`, () => {
      const { m, t, x, mm, head } = setup(profile);
      expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_FREE))).toBe(0);
      // 6.10+: lazy-free as one folio; before: 512 order-0 lazy-free pages.
      expect(folio_order(m, head)).toBe(split ? 0 : 9);
      expect(m.mem.s_flags[m.mem.slot_of(head + 5)] & PG_swapbacked).toBe(0);
      expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_PAGEOUT))).toBe(0);
      expect(ptes(mm, x).every((p) => p === 0)).toBe(true);
    });
  }

  it('v6.12: MADV_PAGEOUT isolates the whole folio; reclaim (no swap) splits it and keeps every page mapped (zero-filled ones by the zero page)', () => {
    const { m, t, x, mm, head } = setup('v6.12');
    expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_PAGEOUT))).toBe(0);
    expect(folio_order(m, head + 7)).toBe(0);
    // Every page stays mapped: by its own frame, or (zero-filled, thp-split-remap-zeropage) by the zero page.
    expect(ptes(mm, x).every((p, i) => p === head + i || p === m.mem.zero_pfn)).toBe(true);
    expect(ptes(mm, x).some((p) => p === m.mem.zero_pfn)).toBe(true);
  });

  it('v6.12: a referenced whole folio made lazy-free is kept by reclaim, mapped whole and swap-backed again', () => {
    const { m, t, x, mm, head } = setup('v6.12');
    const pages: number[] = [0];
    runAs(m, t, function* (k) {
      const mmx = get_current(k).mm as mm_struct;
      yield* down_read(k, mmx.mmap_lock, 'test');
      const n = yield* get_user_pages(k, x + 9 * PAGE_SIZE, 1, 0, pages);
      up_read(k, mmx.mmap_lock, 'test');
      return n;
    });
    expect(page_count(m, head)).toBe(513);
    expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_FREE))).toBe(0);
    expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_PAGEOUT))).toBe(0);
    expect(folio_order(m, head)).toBe(9);
    expect(ptes(mm, x)).toEqual(Array.from({ length: 512 }, (_, i) => head + i));
    expect(m.mem.s_flags[m.mem.slot_of(head)] & PG_swapbacked).not.toBe(0);
    expect(page_count(m, head)).toBe(513);
  });
});
