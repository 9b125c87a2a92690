/**
 * io_uring per-user accounting of compound pages (de2939388be5, in 6.1.192 / 6.12.117:
 * io_buffer_account_pin / headpage_already_acct) and 6.12 coalescing (a8edbb424b13),
 * on an anonymous THP mapped by one PMD. MODEL: the memory model does not create THPs
 * on faults yet, so the test installs the PMD mapping itself (the state do_huge_pmd_anonymous_page
 * leaves: an order-9 anon folio, PMD-mapped once, refcount 1).
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, mmap, run, MiB, PAGE } from '../mm/gup_env.js';
import type { Env } from '../mm/gup_env.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { IORING_REGISTER_BUFFERS, IORING_UNREGISTER_BUFFERS, io_ring_ctx_of, io_uring_register, io_uring_setup } from '../../../../src/linux/io_uring/io_uring.js';
import { find_vma, folio_pincount, page_count, set_pmd_at } from '../../../../src/linux/include/linux/mm.js';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER, mk_pte } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct, vm_area_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { alloc_pages } from '../../../../src/linux/mm/page_alloc.js';
import { GFP_TRANSHUGE } from '../../../../src/linux/include/linux/gfp.js';
import { anon_vma_prepare, page_add_new_anon_rmap } from '../../../../src/linux/mm/rmap.js';

const HPAGE = 2 * MiB;

/** An anon private mapping with one PMD-mapped THP at a 2 MiB-aligned address; returns [addr, head]. */
function thp(env: Env): [number, number] {
  const a = mmap(env, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  const addr = Math.ceil(a / HPAGE) * HPAGE;
  const head = run(env, function* (k) {
    const mm = env.task.mm as mm_struct;
    const vma = find_vma(mm, addr) as vm_area_struct;
    anon_vma_prepare(k, vma);
    const p = alloc_pages(k, GFP_TRANSHUGE, 9) as number;
    page_add_new_anon_rmap(k, p, vma, addr, true);
    set_pmd_at(mm, addr, mk_pte(p, _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_PSE));
    return p;
  });
  return [addr, head];
}

function ring(env: Env): number {
  return run(env, (k) => io_uring_setup(k, 8));
}

describe('io_uring accounting of a THP-backed buffer', () => {
  // ring: the 8-entry ring's own 2 pages, charged by io_uring_create() before 26bfa89e25f4 (v5.12).
  for (const [prof, acct, ring_acct] of [['v5.4', 1, 2], ['v5.6', 1, 2], ['v6.1', 512, 0], ['v6.12', 512, 0]] as const) {
    it(`${prof}: a one-page buffer inside a THP charges ${acct} page(s) to user->locked_vm`, () => {
      const env = mkEnv(prof, { dma32: 64 * MiB, normal: 256 * MiB }, { memlock: 64 * MiB });
      const [addr] = thp(env);
      const fd = ring(env);
      expect(run(env, (k) => io_uring_register(k, fd, IORING_REGISTER_BUFFERS, [{ iov_base: addr + 5 * PAGE, iov_len: PAGE }], 1))).toBe(0);
      const ctx = run(env, function* (k) { return io_ring_ctx_of(k, fd); });
      expect(ctx?.user?.locked_vm).toBe(ring_acct + acct);
      expect(run(env, (k) => io_uring_register(k, fd, IORING_UNREGISTER_BUFFERS, null, 0))).toBe(0);
      expect(ctx?.user?.locked_vm).toBe(ring_acct);
    });
  }

  it('v6.1: two buffers in the same THP charge it once (headpage_already_acct); each subpage pin counts in the folio pincount', () => {
    const env = mkEnv('v6.1', undefined, { memlock: 64 * MiB });
    const [addr, head] = thp(env);
    const fd = ring(env);
    const iovs = [{ iov_base: addr, iov_len: 4 * PAGE }, { iov_base: addr + 100 * PAGE, iov_len: 4 * PAGE }];
    expect(run(env, (k) => io_uring_register(k, fd, IORING_REGISTER_BUFFERS, iovs, 2))).toBe(0);
    const ctx = run(env, function* (k) { return io_ring_ctx_of(k, fd); });
    expect(ctx?.user?.locked_vm).toBe(512);
    expect(folio_pincount(env.m, head)).toBe(8);
    expect(page_count(env.m, head)).toBe(1 + 8);
    expect(run(env, (k) => io_uring_register(k, fd, IORING_UNREGISTER_BUFFERS, null, 0))).toBe(0);
    expect(folio_pincount(env.m, head)).toBe(0);
    expect(page_count(env.m, head)).toBe(1);
  });

  it('v6.12: a buffer covering the whole THP is coalesced to one bvec holding one pin (a8edbb424b13); v6.1 keeps 512 pins', () => {
    for (const [prof, pins, nr] of [['v6.1', 512, 512], ['v6.12', 1, 1]] as const) {
      const env = mkEnv(prof, undefined, { memlock: 64 * MiB });
      const [addr, head] = thp(env);
      const fd = ring(env);
      expect(run(env, (k) => io_uring_register(k, fd, IORING_REGISTER_BUFFERS, [{ iov_base: addr, iov_len: HPAGE }], 1))).toBe(0);
      const ctx = run(env, function* (k) { return io_ring_ctx_of(k, fd); });
      expect(ctx?.user_bufs?.[0]?.nr_bvecs).toBe(nr);
      expect(folio_pincount(env.m, head)).toBe(pins);
      expect(ctx?.user?.locked_vm).toBe(512);
      expect(run(env, (k) => io_uring_register(k, fd, IORING_UNREGISTER_BUFFERS, null, 0))).toBe(0);
      expect(folio_pincount(env.m, head)).toBe(0);
      expect(page_count(env.m, head)).toBe(1);
    }
  });
});
