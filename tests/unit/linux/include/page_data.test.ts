import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from '../mm/harness.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { page_content, pt_walk, set_page_content } from '../../../../src/linux/include/linux/mm.js';
import { page_copy_bytes, page_read_bytes, page_write_bytes, render_runs, runs_slice } from '../../../../src/linux/include/linux/page_data.js';
import { alloc_pages } from '../../../../src/linux/mm/page_alloc.js';
import { GFP_KERNEL } from '../../../../src/linux/include/linux/gfp.js';
import { sys_mmap } from '../../../../src/linux/syscalls.js';
import { sys_fork } from '../../../../src/linux/kernel/fork.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';

describe('page data at byte granularity (include/linux/page_data.ts)', () => {
  it('a byte-range write overlays the page tag; reads give runs; a whole-page write is the plain tag again', () => {
    const m = machine('v6.12');
    const p = runAs(m, task(m), function* (k) { yield* []; return alloc_pages(k, GFP_KERNEL, 0) as number; });
    set_page_content(m, p, 'A');
    const slot = m.mem.slot_of(p);
    const plain = m.mem.s_content[slot];
    page_write_bytes(m, p, 16, 4, 'B');
    expect(page_read_bytes(m, p, 0, PAGE_SIZE)).toEqual([
      { offset: 0, len: 16, tag: 'A' }, { offset: 16, len: 4, tag: 'B' }, { offset: 20, len: PAGE_SIZE - 20, tag: 'A' },
    ]);
    expect(page_read_bytes(m, p, 17, 2)).toEqual([{ offset: 0, len: 2, tag: 'B' }]);
    expect(page_content(m, p)).toBe('A{16+4:B}');
    // Overlapping and touching writes merge; writing the base back removes the overlay.
    page_write_bytes(m, p, 18, 10, 'B');
    expect(page_content(m, p)).toBe('A{16+12:B}');
    page_write_bytes(m, p, 0, 100, 'A');
    expect(m.mem.s_content[slot]).toBe(plain);
    page_write_bytes(m, p, 0, PAGE_SIZE / 2, 'C');
    page_write_bytes(m, p, PAGE_SIZE / 2, PAGE_SIZE / 2, 'C');
    expect(page_content(m, p)).toBe('C');
  });

  it('a composite is interned once: two frames with the same bytes hold the same id', () => {
    const m = machine('v6.12');
    const [p, q] = runAs(m, task(m), function* (k) { yield* []; return [alloc_pages(k, GFP_KERNEL, 0) as number, alloc_pages(k, GFP_KERNEL, 0) as number]; });
    page_write_bytes(m, p, 100, 50, 'x');
    page_write_bytes(m, q, 100, 20, 'x');
    page_write_bytes(m, q, 120, 30, 'x');
    expect(m.mem.s_content[m.mem.slot_of(p)]).toBe(m.mem.s_content[m.mem.slot_of(q)]);
    expect(page_content(m, p)).toBe('{100+50:x}');
  });

  it('page_copy_bytes copies runs between frames at other offsets', () => {
    const m = machine('v6.12');
    const [p, q] = runAs(m, task(m), function* (k) { yield* []; return [alloc_pages(k, GFP_KERNEL, 0) as number, alloc_pages(k, GFP_KERNEL, 0) as number]; });
    set_page_content(m, p, 'P');
    page_write_bytes(m, p, 10, 10, 'x');
    set_page_content(m, q, 'Q');
    page_copy_bytes(m, q, 1000, p, 5, 20);
    expect(render_runs(page_read_bytes(m, q, 1000, 20))).toBe('P*5 x*10 P*5');
    expect(render_runs(page_read_bytes(m, q, 990, 40))).toBe('Q*10 P*5 x*10 P*5 Q*10');
    expect(runs_slice(page_read_bytes(m, q, 990, 40), 12, 5)).toEqual([{ offset: 0, len: 3, tag: 'P' }, { offset: 3, len: 2, tag: 'x' }]);
  });

  it('out-of-page ranges are a pinlab bug (an exception), never silent', () => {
    const m = machine('v6.12');
    const p = runAs(m, task(m), function* (k) { yield* []; return alloc_pages(k, GFP_KERNEL, 0) as number; });
    expect(() => page_write_bytes(m, p, PAGE_SIZE - 1, 2, 'x')).toThrow(/pinlab bug/);
    expect(() => page_read_bytes(m, p, -1, 2)).toThrow(/pinlab bug/);
  });

  for (const profile of ['v5.4', 'v6.1', 'v6.12'] as const) {
    it(`${profile}: a store of a few bytes across a page boundary; the COW copy after fork keeps them and a later store in the child changes only its copy`, () => {
      const m = machine(profile, { normal: 64 * MiB });
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* user_store(k, a, 2 * PAGE_SIZE, 'A');
        yield* user_store(k, a + PAGE_SIZE - 8, 16, 'B');
        const whole = yield* user_load(k, a + PAGE_SIZE - 16, 32);
        const one = yield* user_load(k, a + PAGE_SIZE);
        const pid = yield* sys_fork(k);
        return { a, whole, one, pid };
      });
      expect(r.whole).toBe('A*8 B*16 A*8');
      expect(r.one).toBe('B');
      const child = m.tasks.get(r.pid);
      if (child === undefined) throw new Error('no child');
      const seen = runAs(m, child, function* (k) {
        const before = yield* user_load(k, r.a + PAGE_SIZE - 8, 8);
        yield* user_store(k, r.a + PAGE_SIZE - 4, 2, 'C');
        return { before, after: yield* user_load(k, r.a + PAGE_SIZE - 8, 8) };
      });
      expect(seen).toEqual({ before: 'B', after: 'B*4 C*2 B*2' });
      const parentFrame = pte_pfn(pt_walk(t.mm as mm_struct, r.a).entry);
      expect(render_runs(page_read_bytes(m, parentFrame, PAGE_SIZE - 8, 8))).toBe('B');
    });
  }
});
