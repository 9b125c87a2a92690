import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, pte_pfn, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, folio_order, page_count, pt_walk, vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_madvise, sys_mmap, sys_mprotect, sys_munmap } from '../../../../src/linux/syscalls.js';
import { MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';

const RW = PROT_READ | PROT_WRITE;

function* fault(k: Kctx, addr: number, write: boolean) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, write ? FAULT_FLAG_WRITE : 0);
  up_read(k, mm.mmap_lock, 'test');
  return r;
}

function* alignedRegion(k: Kctx) {
  const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
}

describe('anonymous THP', () => {
  it("'madvise' mode: only MADV_HUGEPAGE regions get a PMD-mapped order-9 folio; NOHUGEPAGE and 'never' get 4 KiB pages", () => {
    for (const [mode, advice, expectThp] of [
      ['madvise', MADV_HUGEPAGE, true], ['madvise', -1, false], ['always', -1, true], ['always', MADV_NOHUGEPAGE, false], ['never', MADV_HUGEPAGE, false],
    ] as const) {
      const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
      m.transparent_hugepage = mode;
      const t = task(m);
      const a = runAs(m, t, function* (k) {
        const x = yield* alignedRegion(k);
        if (advice >= 0) yield* sys_madvise(k, x, PMD_SIZE, advice);
        yield* fault(k, x + 5 * PAGE_SIZE, false);
        return x;
      });
      const w = pt_walk(t.mm!, a + 5 * PAGE_SIZE);
      expect(w.level === 'pmd', `${mode}/${advice}`).toBe(expectThp);
      expect(folio_order(m, pte_pfn(w.entry))).toBe(expectThp ? 9 : 0);
    }
  });

  it('falls back to 4 KiB pages when no order-9 block is free', () => {
    const m = machine('v6.1', { normal: 2 * MiB });
    m.transparent_hugepage = 'always';
    const t = task(m);
    const a = runAs(m, t, function* (k) { const x = yield* alignedRegion(k); yield* fault(k, x, true); return x; });
    expect(pt_walk(t.mm!, a).level).toBe('pte');
  });

  it('mprotect write-protects the PMD; a write after restoring write reuses the folio; munmap frees it', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    m.transparent_hugepage = 'always';
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const x = yield* alignedRegion(k);
      yield* fault(k, x, true);
      const p = pte_pfn(pt_walk(t.mm!, x).entry);
      yield* sys_mprotect(k, x, PMD_SIZE, PROT_READ);
      const roAfter = pte_write(pt_walk(t.mm!, x).entry);
      yield* sys_mprotect(k, x, PMD_SIZE, RW);
      yield* fault(k, x + PAGE_SIZE, true);
      const after = pt_walk(t.mm!, x).entry;
      const un = yield* sys_munmap(k, x, PMD_SIZE);
      return { p, roAfter, same: pte_pfn(after) === p, rw: pte_write(after), un };
    });
    expect(r).toMatchObject({ roAfter: false, same: true, rw: true, un: 0 });
    expect(page_count(m, r.p)).toBe(0);
  });
});
