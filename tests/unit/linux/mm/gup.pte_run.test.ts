/**
 * The page-by-page walk of __get_user_pages() over PTE-mapped pages (which the model
 * runs as a plain loop between scheduling points, handing the first page that does not
 * follow at once back to the walk): every page of a mixed range is pinned exactly once
 * and recorded at its index, faults, VMA boundaries, huge leaves and R/O pages met in
 * the middle of a run are handled as for any page, and a fatal signal stops the walk
 * at the page it is seen on.
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, run, PAGE, reports, MiB } from './gup_env.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { pin_user_pages, unpin_user_pages } from '../../../../src/linux/mm/gup.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { folio_pincount, folio_order, page_count, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { sys_madvise, sys_mmap, sys_mprotect } from '../../../../src/linux/syscalls.js';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { user_store } from '../../../../src/linux/mm/uaccess.js';

const BASE = 0x4000_0000;
// 8 MiB in two VMAs: [0, 700) 4 KiB present | [700, 900) not present | [900, 1024) 4 KiB present |
// [1024, 1536) one THP (same VMA, met in the middle of a run) | [1536, 1600) present, read-only
// (its own VMA after mprotect) | [1600, 2048) 4 KiB present in the second mapping.
const N = 2048;

function* layout(k: Kctx): KThread<void> {
  expect(yield* sys_mmap(k, BASE, 6 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(BASE);
  expect(yield* sys_mmap(k, BASE + 6 * MiB, 2 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(BASE + 6 * MiB);
  for (let i = 0; i < N; i++) {
    if (i >= 700 && i < 900) continue;
    if (i >= 1024 && i < 1536) continue;
    expect(yield* user_store(k, BASE + i * PAGE, PAGE, `p${i}`)).toBe(0);
  }
  // The whole first mapping (one VMA) may have THPs; only [1024, 1536) still has an empty PMD.
  expect(yield* sys_madvise(k, BASE, 6 * MiB, MADV_HUGEPAGE)).toBe(0);
  expect(yield* user_store(k, BASE + 1024 * PAGE, PAGE, 'thp')).toBe(0);
  expect(yield* sys_mprotect(k, BASE + 1536 * PAGE, 64 * PAGE, PROT_READ)).toBe(0);
}

describe.each(['v5.6', 'v6.1', 'v6.12'])('__get_user_pages over a mixed range (%s)', (profile) => {
  // From page 0 the THP starts a 512-page step of the walk; from page 100 it is met in the
  // middle of a run of PTE-mapped pages.
  it.each([0, 100])('a read pin (no FOLL_WRITE) from page %i gets every page once, in order', (first) => {
    const env = mkEnv(profile, { dma32: 64 * MiB, normal: 256 * MiB });
    const mm = env.task.mm!;
    const pages: (number | null)[] = new Array<number | null>(N).fill(null);
    const r = run(env, function* (k) {
      yield* layout(k);
      yield* down_read(k, mm.mmap_lock, 't');
      const n = yield* pin_user_pages(k, BASE + first * PAGE, N - first, FOLL_LONGTERM, pages);
      up_read(k, mm.mmap_lock, 't');
      return n;
    });
    expect(r).toBe(N - first);
    expect(folio_order(env.m, pte_pfn(pt_walk(mm, BASE + 1024 * PAGE).entry))).toBe(9);
    pages.unshift(...new Array<number | null>(first).fill(null));
    for (let i = first; i < N; i++) {
      const w = pt_walk(mm, BASE + i * PAGE);
      const span = w.level === 'pmd' ? 512 : 1;
      expect(pages[i], `page ${i}`).toBe(pte_pfn(w.entry) + (i % span));
    }
    // 4 KiB anon pages: 1 (mapping) + the pin; the THP holds 512 pins. (5.6: plain references.)
    const bias = profile === 'v5.6' ? 1 : 1024;
    expect(page_count(env.m, pages[first]!)).toBe(1 + bias);
    expect(page_count(env.m, pages[1600]!)).toBe(1 + bias);
    if (profile !== 'v5.6') expect(folio_pincount(env.m, pages[1024]!)).toBe(512);
    run(env, function* (k) {
      unpin_user_pages(k, pages.slice(first), N - first);
      yield* [];
    });
    expect(page_count(env.m, pages[first]!)).toBe(1);
    expect(reports(env, 'bug')).toEqual([]);
  });

  it('a write pin stops with the count before the read-only VMA', () => {
    const env = mkEnv(profile, { dma32: 64 * MiB, normal: 256 * MiB });
    const mm = env.task.mm!;
    const pages: (number | null)[] = new Array<number | null>(N).fill(null);
    const r = run(env, function* (k) {
      yield* layout(k);
      yield* down_read(k, mm.mmap_lock, 't');
      const n = yield* pin_user_pages(k, BASE, N, FOLL_WRITE | FOLL_LONGTERM, pages);
      up_read(k, mm.mmap_lock, 't');
      return n;
    });
    expect(r).toBe(1536);
    expect(pages[1535]).not.toBeNull();
    expect(pages[1536]).toBeNull();
  });

  it('a fatal signal seen in the middle of a run stops the walk there', () => {
    const env = mkEnv(profile, { dma32: 64 * MiB, normal: 256 * MiB });
    const mm = env.task.mm!;
    const pages: (number | null)[] = new Array<number | null>(N).fill(null);
    const r = run(env, function* (k) {
      yield* layout(k);
      yield* down_read(k, mm.mmap_lock, 't');
      // Pages 700.. are not present: the fault path runs there; signal before the walk and
      // the walk must not get past the first page (the check comes before each follow).
      k.s.kill(k.tid, true);
      const n = yield* pin_user_pages(k, BASE, N, FOLL_LONGTERM, pages);
      up_read(k, mm.mmap_lock, 't');
      return n;
    });
    // 5.6 returns -ERESTARTSYS, 6.1/6.12 -EINTR (gup-fatal-signals): nothing pinned either way.
    expect(r).toBeLessThan(0);
    expect(pages[0]).toBeNull();
  });
});
