import { describe, expect, it } from 'vitest';
import { GiB, MiB, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, pte_pfn, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, PageAnon, PageAnonExclusive, PageHuge, VM_FAULT_SIGBUS, VM_HUGETLB, folio_order, page_count, page_mapcount, pt_walk, vma_lookup,
} from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_ftruncate, sys_memfd_create, sys_mmap, sys_munmap, sys_open } from '../../../../src/linux/syscalls.js';
import {
  MAP_ANONYMOUS, MAP_FIXED, MAP_HUGETLB, MAP_HUGE_1GB, MAP_HUGE_2MB, MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED, MFD_HUGETLB, PROT_READ, PROT_WRITE,
} from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EINVAL, ENOMEM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { hugetlb_free_count, hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';

const RW = PROT_READ | PROT_WRITE;

function* fault(k: Kctx, addr: number, write: boolean) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, write ? FAULT_FLAG_WRITE : 0);
  up_read(k, mm.mmap_lock, 'test');
  return r;
}

describe('hugetlb', () => {
  it('MAP_HUGETLB 2 MiB: pool folios map as PMD leaves, anon exclusive, returned to the pool on munmap', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const got = hugetlb_pool_grow(k, 9, 4);
      const a = yield* sys_mmap(k, 0, 2 * PMD_SIZE - 5, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      const f = yield* fault(k, a + PMD_SIZE + 123, true);
      const free1 = hugetlb_free_count(m, 9);
      const w = pt_walk(t.mm!, a + PMD_SIZE);
      const p = pte_pfn(w.entry);
      const flags = { huge: PageHuge(m, p), anon: PageAnon(m, p), excl: PageAnonExclusive(m, p), order: folio_order(m, p) };
      const un = yield* sys_munmap(k, a, 2 * PMD_SIZE);
      return { got, a, f, free1, w, flags, un };
    });
    expect(r.got).toBe(4);
    expect(r.a % PMD_SIZE).toBe(0);
    expect(r.f).toBe(0);
    expect(r.w.level).toBe('pmd');
    expect(pte_write(r.w.entry)).toBe(true);
    expect(r.flags).toEqual({ huge: true, anon: true, excl: true, order: 9 });
    expect(r.free1).toBe(3);
    expect(r.un).toBe(0);
    expect(hugetlb_free_count(m, 9)).toBe(4);
    expect(t.mm!.mmap.length).toBe(0);
  });

  it('reservation: mapping more than the pool without MAP_NORESERVE is ENOMEM; with it, the fault is SIGBUS', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      hugetlb_pool_grow(k, 9, 1);
      const over = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      const nr = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE, -1, 0);
      const f1 = yield* fault(k, nr, true);
      const f2 = yield* fault(k, nr + PMD_SIZE, true);
      const badSize = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (22 << 26), -1, 0);
      const unalignedFixed = yield* sys_mmap(k, 0x40001000, PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
      return { over, f1, f2, badSize, unalignedFixed };
    });
    expect(r).toEqual({ over: -ENOMEM, f1: 0, f2: VM_FAULT_SIGBUS, badSize: -EINVAL, unalignedFixed: -EINVAL });
  });

  it('1 GiB pages: the pool needs non-movable memory; mapped as PUD leaves', () => {
    const small = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB, movable: 2 * GiB });
    const r0 = runAs(small, task(small), function* (k) {
      const got = hugetlb_pool_grow(k, 18, 1);
      const a = yield* sys_mmap(k, 0, PUD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
      return { got, a };
    });
    // GFP_HIGHUSER (not movable): no 1 GiB folio from ZONE_MOVABLE or a 64 MiB Normal zone.
    expect(r0).toEqual({ got: 0, a: -ENOMEM });
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 2 * GiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const got = hugetlb_pool_grow(k, 18, 1);
      const a = yield* sys_mmap(k, 0, PUD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
      const f = yield* fault(k, a + 5 * PAGE_SIZE, false);
      return { got, a, f };
    });
    expect(r.got).toBe(1);
    expect(r.a % PUD_SIZE).toBe(0);
    expect(r.f).toBe(0);
    const w = pt_walk(t.mm!, r.a + 77 * PAGE_SIZE);
    expect(w.level).toBe('pud');
    expect(pte_write(w.entry)).toBe(false); // private read fault: read-only until a write
    expect(folio_order(m, pte_pfn(w.entry))).toBe(18);
  });

  it('hugetlbfs files and memfd MFD_HUGETLB are shared through their page cache', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    mount_fs(m, '/mnt/huge', 'hugetlbfs', { huge_order: 9 });
    create_file(m, '/mnt/huge/h', 2 * PMD_SIZE);
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      hugetlb_pool_grow(k, 9, 4);
      const fd = yield* sys_open(k, '/mnt/huge/h', O_RDWR);
      const a = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_SHARED, fd, 0);
      const b = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_SHARED, fd, 0);
      yield* fault(k, a, true);
      yield* fault(k, b + 7, false);
      const mfd = yield* sys_memfd_create(k, 'hb', MFD_HUGETLB | (21 << 26));
      const tr = yield* sys_ftruncate(k, mfd, PMD_SIZE);
      const c = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_SHARED, mfd, 0);
      const fc = yield* fault(k, c, true);
      return { a, b, c, tr, fc };
    });
    const pa = pte_pfn(pt_walk(t.mm!, r.a).entry);
    const pb = pte_pfn(pt_walk(t.mm!, r.b).entry);
    expect(pa).toBe(pb);
    expect(page_mapcount(m, pa)).toBe(2);
    expect(page_count(m, pa)).toBe(3); // page cache + two mappings
    expect(vma_lookup(t.mm!, r.a)!.vm_flags & VM_HUGETLB).toBe(VM_HUGETLB);
    expect(r.tr).toBe(0);
    expect(r.fc).toBe(0);
    expect(PageHuge(m, pte_pfn(pt_walk(t.mm!, r.c).entry))).toBe(true);
    void MAP_HUGE_2MB;
  });
});

describe('hugetlbfs truncation', () => {
  it('ftruncate down unmaps and drops the folios back to the pool; unaligned sizes are EINVAL', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      hugetlb_pool_grow(k, 9, 2);
      const fd = yield* sys_memfd_create(k, 'h', MFD_HUGETLB);
      yield* sys_ftruncate(k, fd, 2 * PMD_SIZE);
      const a = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_SHARED, fd, 0);
      yield* fault(k, a, true);
      yield* fault(k, a + PMD_SIZE, true);
      const p1 = pte_pfn(pt_walk(t.mm!, a + PMD_SIZE).entry);
      const bad = yield* sys_ftruncate(k, fd, PAGE_SIZE);
      const ok = yield* sys_ftruncate(k, fd, PMD_SIZE);
      return { a, p1, bad, ok };
    });
    expect(r.bad).toBe(-EINVAL);
    expect(r.ok).toBe(0);
    expect(pt_walk(t.mm!, r.a + PMD_SIZE).entry).toBe(0);
    expect(pt_walk(t.mm!, r.a).entry).not.toBe(0);
    expect(page_count(m, r.p1)).toBe(0);
    expect(hugetlb_free_count(m, 9)).toBe(1);
  });
});
