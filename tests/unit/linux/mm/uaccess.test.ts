import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from './harness.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, pte_dirty, pte_pfn, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import { PageAnon, is_zero_pfn, page_content, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { sys_mmap, sys_munmap, sys_open } from '../../../../src/linux/syscalls.js';
import { sys_mprotect } from '../../../../src/linux/mm/mprotect.js';
import { sys_fork } from '../../../../src/linux/kernel/fork.js';
import {
  MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE,
} from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EFAULT } from '../../../../src/linux/include/uapi/linux/errno.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { PF_MEMALLOC_PIN, get_current } from '../../../../src/linux/include/linux/sched.js';
import { page_zonenum } from '../../../../src/linux/include/linux/mm.js';
import { ZONE_MOVABLE } from '../../../../src/linux/include/linux/gfp.js';
import { devdax_create } from '../../../../src/linux/drivers/dax/device.js';
import { PageReserved, page_count } from '../../../../src/linux/include/linux/mm.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';

const RW = PROT_READ | PROT_WRITE;

describe('user-space store / load (arch/x86/mm/fault.c do_user_addr_fault)', () => {
  for (const profile of ['v6.1', 'v6.12'] as const) {
    it(`${profile}: a load of untouched anon memory maps the zero page; a store then COWs a private anon page with the data`, () => {
      const m = machine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        const ld0 = yield* user_load(k, a);
        const zero = pte_pfn(pt_walk(t.mm as mm_struct, a).entry);
        const st = yield* user_store(k, a, PAGE_SIZE, 'A');
        const e = pt_walk(t.mm as mm_struct, a).entry;
        const ld1 = yield* user_load(k, a + 100);
        const ld2 = yield* user_load(k, a + PAGE_SIZE);
        return { a, ld0, zero, st, e, ld1, ld2 };
      });
      expect(r.ld0).toBe('');
      expect(is_zero_pfn(m, r.zero)).toBe(true);
      expect(r.st).toBe(0);
      expect(pte_write(r.e) && pte_dirty(r.e)).toBe(true);
      expect(is_zero_pfn(m, pte_pfn(r.e))).toBe(false);
      expect(PageAnon(m, pte_pfn(r.e))).toBe(true);
      expect(page_content(m, pte_pfn(r.e))).toBe('A');
      expect(r.ld1).toBe('A');
      expect(r.ld2).toBe('');
    });
  }

  it('SIGSEGV cases are -EFAULT: no VMA, store to a read-only VMA, load from PROT_NONE (PTEs kept by mprotect)', () => {
    const m = machine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 3 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      const st0 = yield* user_store(k, a, 3 * PAGE_SIZE, 'A');
      const mp1 = yield* sys_mprotect(k, a + PAGE_SIZE, PAGE_SIZE, PROT_READ);
      const mp2 = yield* sys_mprotect(k, a + 2 * PAGE_SIZE, PAGE_SIZE, PROT_NONE);
      const ro = yield* user_store(k, a + PAGE_SIZE, PAGE_SIZE, 'B');
      const roLoad = yield* user_load(k, a + PAGE_SIZE);
      const none = yield* user_load(k, a + 2 * PAGE_SIZE);
      // A memset across a read-only page stops there: the first page keeps the new data.
      const across = yield* user_store(k, a, 2 * PAGE_SIZE, 'C');
      const first = yield* user_load(k, a);
      const un = yield* sys_munmap(k, a, 3 * PAGE_SIZE);
      const gone = yield* user_load(k, a);
      return { st0, mp1, mp2, ro, roLoad, none, across, first, un, gone };
    });
    expect(r).toEqual({ st0: 0, mp1: 0, mp2: 0, ro: -EFAULT, roLoad: 'A', none: -EFAULT, across: -EFAULT, first: 'C', un: 0, gone: -EFAULT });
  });

  it('a store after fork breaks COW: parent and child see their own data', () => {
    const m = machine('v6.12');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* user_store(k, a, PAGE_SIZE, 'A');
      const before = pte_pfn(pt_walk(t.mm as mm_struct, a).entry);
      const pid = yield* sys_fork(k);
      const shared = pte_write(pt_walk(t.mm as mm_struct, a).entry);
      const st = yield* user_store(k, a, PAGE_SIZE, 'B');
      const after = pte_pfn(pt_walk(t.mm as mm_struct, a).entry);
      const child = m.tasks.get(pid);
      const cpfn = child?.mm ? pte_pfn(pt_walk(child.mm, a).entry) : null;
      return { pid, shared, st, before, after, cpfn, mine: yield* user_load(k, a) };
    });
    expect(r.pid).toBeGreaterThan(0);
    expect(r.shared).toBe(false);
    expect(r.st).toBe(0);
    expect(r.mine).toBe('B');
    expect(r.cpfn).toBe(r.before);
    expect(page_content(m, r.cpfn as number)).toBe('A');
    // 6.12: the page is shared with the child, so the parent's write copies.
    expect(r.after).not.toBe(r.before);
  });

  it('a store to a never-touched private hugetlb mapping faults a pool folio in (PMD leaf, data per subpage)', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      hugetlb_pool_grow(k, 9, 1);
      const a = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      const st = yield* user_store(k, a + PAGE_SIZE, PAGE_SIZE, 'H');
      return { st, w: pt_walk(t.mm as mm_struct, a), l0: yield* user_load(k, a), l1: yield* user_load(k, a + PAGE_SIZE) };
    });
    expect(r.st).toBe(0);
    expect(r.w.level).toBe('pmd');
    expect(r.l0).toBe('');
    expect(r.l1).toBe('H');
  });
});

describe('hugetlb pool placement and PF_MEMALLOC_PIN (mm/hugetlb.c, 6.1.192 / 6.12.117)', () => {
  it('2 MiB pool folios are allocated movable; inside a pin scope a ZONE_MOVABLE pool folio is not handed out (SIGBUS → -EFAULT)', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB, movable: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const got = hugetlb_pool_grow(k, 9, 2);
      const zone = page_zonenum(m, m.hugetlb_free[0]);
      const a = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      const cur = get_current(k);
      cur.flags |= PF_MEMALLOC_PIN;
      const pinned = yield* user_store(k, a, PAGE_SIZE, 'X');
      cur.flags &= ~PF_MEMALLOC_PIN;
      const plain = yield* user_store(k, a, PAGE_SIZE, 'X');
      return { got, zone, pinned, plain };
    });
    expect(r).toEqual({ got: 2, zone: ZONE_MOVABLE, pinned: -EFAULT, plain: 0 });
  });
});

describe('device-DAX pages (drivers/dax/device.c; mm/mm_init.c __init_zone_device_page)', () => {
  it('are PageReserved with refcount 1 when faulted in, for every subpage of a PMD leaf', () => {
    const m = machine('v6.12', { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }] });
    devdax_create(m, '/dev/dax0.0', 'dax0.0');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
      const a = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_SHARED, fd, 0);
      const st = yield* user_store(k, a, PMD_SIZE, 'D');
      const base = pte_pfn(pt_walk(t.mm as mm_struct, a).entry);
      return { st, base, ld: yield* user_load(k, a + PMD_SIZE - PAGE_SIZE) };
    });
    expect(r.st).toBe(0);
    expect(r.ld).toBe('D');
    for (const off of [0, 1, 300, 511]) {
      expect(PageReserved(m, r.base + off)).toBe(true);
      expect(page_count(m, r.base + off)).toBe(1);
    }
  });
});
