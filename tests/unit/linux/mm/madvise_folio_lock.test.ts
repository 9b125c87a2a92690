/**
 * The folio lock of a PTE-mapped THP (mm/madvise.ts madvise_split_thp, pte_large_folio, shrink_page):
 * a madvise that finds the folio locked by another thread (standing here for that thread's split
 * window: the test sets PG_locked with folio_trylock) does not split it — before 6.10 its walk of
 * the table stops, from 6.10 the batch is skipped — and reclaim keeps a locked folio it isolated
 * (shrink_folio_list's folio_trylock comes first). Before the lock was modelled, every one of these
 * split or dropped the folio.
 */
import { describe, expect, it } from 'vitest';
import { machine, run, runAs, task } from './harness.js';
import { LAYOUT, setup } from './pte_thp.js';
import { waitUntil } from '../../../../src/sched/index.js';
import { isolate_for_migration, migrate_one_folio } from '../../../../src/linux/mm/gup_migrate.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PG_swapbacked, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, folio_order, folio_test_locked, folio_trylock, folio_unlock, pte_at, vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_madvise, sys_mmap } from '../../../../src/linux/syscalls.js';
import { MADV_COLD, MADV_FREE, MADV_PAGEOUT, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';

describe('a PTE-mapped THP whose folio lock another thread holds', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.6', 'v6.12', 'v6.18']) {
    for (const [name, advice] of [['MADV_COLD', MADV_COLD], ['MADV_FREE', MADV_FREE], ['MADV_PAGEOUT', MADV_PAGEOUT]] as const) {
      it(`${profile}: ${name} of part of it does not split it (the trylock fails)`, () => {
        const { m, t, x, head } = setup(profile);
        expect(folio_trylock(m, head)).toBe(true);
        // 511 of its 512 pages: a range that covers the folio in part, so every release would split it.
        expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE - PAGE_SIZE, advice))).toBe(0);
        expect(folio_order(m, head)).toBe(9);
        expect(folio_test_locked(m, head)).toBe(true);
        folio_unlock(m, head);
        // Unlocked, the same advice splits it.
        expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE - PAGE_SIZE, advice))).toBe(0);
        expect(folio_order(m, head)).toBe(0);
        expect(folio_test_locked(m, head)).toBe(false);
      });
    }
  }

  it('v6.12: reclaim keeps a whole lazy-free folio that is locked (MADV_PAGEOUT drops it once unlocked)', () => {
    const { m, t, x, mm, head } = setup('v6.12');
    expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_FREE))).toBe(0);
    expect(m.mem.s_flags[m.mem.slot_of(head)] & PG_swapbacked).toBe(0);
    expect(folio_trylock(m, head)).toBe(true);
    expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_PAGEOUT))).toBe(0);
    expect(folio_order(m, head)).toBe(9);
    expect(pte_pfn(pte_at(mm, x + 5 * PAGE_SIZE))).toBe(head + 5);
    folio_unlock(m, head);
    expect(runAs(m, t, (k) => sys_madvise(k, x, PMD_SIZE, MADV_PAGEOUT))).toBe(0);
    expect(pte_at(mm, x + 5 * PAGE_SIZE)).toBe(0);
  });
});

describe('migration of a folio another thread holds locked', () => {
  it('v6.12: migrate_one_folio sleeps in folio_lock() until the holder unlocks, then moves the page', () => {
    const m = machine('v6.12', LAYOUT);
    const t = task(m);
    const x = runAs(m, t, function* (k) {
      const mm = get_current(k).mm as mm_struct;
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* down_read(k, mm.mmap_lock, 'test');
      yield* handle_mm_fault(k, vma_lookup(mm, a)!, a, FAULT_FLAG_WRITE);
      up_read(k, mm.mmap_lock, 'test');
      return a;
    });
    const mm = t.mm!;
    const old = pte_pfn(pte_at(mm, x));
    const state = { migrating: false, mappedWhileLocked: -1 };
    let rc = 1;
    const holder = function* (k: Kctx) {
      expect(folio_trylock(k.m, old)).toBe(true);
      // Wait until the migration has started (it then blocks on the lock, or, unmodelled, finishes).
      yield* waitUntil('test:holder', { kind: 'waitqueue', object: 'test', detail: 'migration started' }, () => state.migrating);
      state.mappedWhileLocked = pte_pfn(pte_at(mm, x));
      folio_unlock(k.m, old);
      return 0;
    };
    const migrator = function* (k: Kctx) {
      state.migrating = true;
      expect(isolate_for_migration(k, old)).toBe(true);
      rc = yield* migrate_one_folio(k, old, 'contig-range');
      return rc;
    };
    const { r } = run(m, [{ t, body: holder }, { t, body: migrator }]);
    expect(r.status).toBe('done');
    // While the holder had the lock, the page had not moved.
    expect(state.mappedWhileLocked).toBe(old);
    expect(rc).toBe(0);
    expect(pte_pfn(pte_at(mm, x))).not.toBe(old);
  });
});
