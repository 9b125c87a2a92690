import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, pte_pfn, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, folio_order, page_count, pt_walk, vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_fork, sys_madvise, sys_mmap, sys_mprotect, sys_munmap } from '../../../../src/linux/syscalls.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { get_user_pages, pin_user_pages } from '../../../../src/linux/mm/gup.js';
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

describe('THP split, fork and COW', () => {
  it('partial munmap splits the PMD: the rest stays mapped by PTEs of the same folio', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    m.transparent_hugepage = 'always';
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const x = yield* alignedRegion(k);
      yield* fault(k, x, true);
      const head = pte_pfn(pt_walk(t.mm!, x).entry);
      const un = yield* sys_munmap(k, x, 16 * PAGE_SIZE);
      return { x, head, un };
    });
    expect(r.un).toBe(0);
    const w = pt_walk(t.mm!, r.x + 16 * PAGE_SIZE);
    expect(w.level).toBe('pte');
    expect(pte_pfn(w.entry)).toBe(r.head + 16);
    expect(page_count(m, r.head)).toBe(512 - 16);
    expect(m.events.some((e) => e.what === 'split-pmd')).toBe(true);
  });

  for (const [profile, childCopies] of [['v5.4', false], ['v6.1', true], ['v6.12', true]] as const) {
    it(`${profile}: fork after a pin of a THP ${childCopies ? 'splits it and gives the child 4 KiB copies (d042035eaf5f)' : 'shares it write-protected'}`, () => {
      const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB });
      m.transparent_hugepage = 'always';
      const parent = task(m);
      const r = runAs(m, parent, function* (k) {
        const x = yield* alignedRegion(k);
        yield* fault(k, x, true);
        const mm = parent.mm!;
        const pages: (number | null)[] = [null];
        yield* down_read(k, mm.mmap_lock, 'pin');
        const n = profile === 'v5.4'
          ? yield* get_user_pages(k, x, 1, FOLL_WRITE | FOLL_LONGTERM, pages)
          : yield* pin_user_pages(k, x, 1, FOLL_WRITE | FOLL_LONGTERM, pages);
        up_read(k, mm.mmap_lock, 'pin');
        const pid = yield* sys_fork(k);
        return { x, n, pinned: pages[0] as number, pid };
      });
      expect(r.n).toBe(1);
      const child = m.tasks.get(r.pid)!;
      const cw = pt_walk(child.mm!, r.x);
      const pw = pt_walk(parent.mm!, r.x);
      if (childCopies) {
        expect(pw.level).toBe('pte');
        expect(pte_write(pw.entry)).toBe(true);
        expect(pte_pfn(pw.entry)).toBe(r.pinned);
        expect(cw.level).toBe('pte');
        expect(folio_order(m, pte_pfn(cw.entry))).toBe(0);
      } else {
        expect(pw.level).toBe('pmd');
        expect(pte_write(pw.entry)).toBe(false);
        expect(pte_pfn(cw.entry)).toBe(pte_pfn(pw.entry));
      }
    });
  }

  it('v6.1: a write to a THP shared with a child (no pin) splits and copies one 4 KiB page', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    m.transparent_hugepage = 'always';
    const parent = task(m);
    const r = runAs(m, parent, function* (k) {
      const x = yield* alignedRegion(k);
      yield* fault(k, x, true);
      const head = pte_pfn(pt_walk(parent.mm!, x).entry);
      yield* sys_fork(k);
      yield* fault(k, x + 3 * PAGE_SIZE, true);
      return { x, head };
    });
    const w = pt_walk(parent.mm!, r.x + 3 * PAGE_SIZE);
    expect(w.level).toBe('pte');
    expect(pte_write(w.entry)).toBe(true);
    expect(folio_order(m, pte_pfn(w.entry))).toBe(0);
    expect(pte_pfn(pt_walk(parent.mm!, r.x + 4 * PAGE_SIZE).entry)).toBe(r.head + 4);
  });
});
