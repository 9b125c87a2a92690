/**
 * madvise(MADV_DONTNEED) on hugetlb VMAs: mm/madvise.c can_madv_lru_vma (v5.4.1:
 * -EINVAL), madvise_dontneed_free_valid_vma (90e7e7f5ef3f; 8ebe0a5eaaeb rounds the end
 * down — Debian 6.1.192, 6.12.117).
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, run, MiB, PAGE } from './gup_env.js';
import type { Env } from './gup_env.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { KThread } from '../../../../src/sched/index.js';
import {
  MADV_DONTNEED, MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, MAP_SHARED, MFD_HUGETLB, PROT_READ, PROT_WRITE,
} from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EINVAL } from '../../../../src/linux/include/uapi/linux/errno.js';
import { hugetlb_free_count, hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { sys_ftruncate, sys_madvise, sys_memfd_create, sys_mmap } from '../../../../src/linux/syscalls.js';
import { pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';

const HPAGE = 2 * MiB;
const RW = PROT_READ | PROT_WRITE;

function anon(profile: string): { env: Env; a: number } {
  const env = mkEnv(profile, { dma32: 32 * MiB, normal: 64 * MiB });
  const a = run(env, function* (k: Kctx): KThread<number> {
    hugetlb_pool_grow(k, 9, 2);
    const addr = yield* sys_mmap(k, 0, 2 * HPAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    yield* user_store(k, addr, PAGE, 'd0');
    yield* user_store(k, addr + HPAGE, PAGE, 'd1');
    return addr;
  });
  expect(hugetlb_free_count(env.m, 9)).toBe(0);
  return { env, a };
}

function mapped(env: Env, addr: number): number | null {
  const w = pt_walk(env.task.mm as mm_struct, addr);
  return w.entry === 0 ? null : pte_pfn(w.entry);
}

describe('MADV_DONTNEED on hugetlb', () => {
  it('v5.4: -EINVAL (can_madv_lru_vma refuses VM_HUGETLB); nothing is zapped', () => {
    const { env, a } = anon('v5.4');
    expect(run(env, (k) => sys_madvise(k, a, 2 * HPAGE, MADV_DONTNEED))).toBe(-EINVAL);
    expect(mapped(env, a)).not.toBeNull();
    expect(run(env, (k) => user_load(k, a))).toBe('d0');
  });

  it.each(['v6.1', 'v6.12'])('%s: a private mapping\'s huge pages are zapped and freed; the next touch faults a zeroed one', (profile) => {
    const { env, a } = anon(profile);
    const old = mapped(env, a);
    expect(run(env, (k) => sys_madvise(k, a, HPAGE, MADV_DONTNEED))).toBe(0);
    expect(mapped(env, a)).toBeNull();
    expect(mapped(env, a + HPAGE)).not.toBeNull();
    expect(hugetlb_free_count(env.m, 9)).toBe(1);
    expect(run(env, (k) => user_load(k, a))).toBe('');
    expect(run(env, (k) => user_load(k, a + HPAGE))).toBe('d1');
    expect(mapped(env, a)).toBe(old); // the only free folio in the pool
  });

  it.each(['v6.1', 'v6.12'])('%s: an unaligned start is -EINVAL; a length under a huge page rounds down to nothing (0)', (profile) => {
    const { env, a } = anon(profile);
    expect(run(env, (k) => sys_madvise(k, a + PAGE, PAGE, MADV_DONTNEED))).toBe(-EINVAL);
    expect(run(env, (k) => sys_madvise(k, a, HPAGE + PAGE, MADV_DONTNEED))).toBe(0);
    expect(mapped(env, a)).toBeNull(); // the first huge page only
    expect(mapped(env, a + HPAGE)).not.toBeNull();
    expect(run(env, (k) => sys_madvise(k, a + HPAGE, PAGE, MADV_DONTNEED))).toBe(0);
    expect(mapped(env, a + HPAGE)).not.toBeNull();
    expect(run(env, (k) => user_load(k, a + HPAGE))).toBe('d1');
  });

  it('6.1 without 8ebe0a5eaaeb: the end is rounded up, so a 4 KiB call drops the whole huge page', () => {
    const { env, a } = anon('v6.1-madvise-dontneed-hugetlb-align-down');
    expect(run(env, (k) => sys_madvise(k, a + HPAGE, PAGE, MADV_DONTNEED))).toBe(0);
    expect(mapped(env, a + HPAGE)).toBeNull();
    expect(run(env, (k) => user_load(k, a + HPAGE))).toBe('');
  });

  it('v6.1: a shared hugetlb memfd mapping is only unmapped; the page stays in the file and faults back with its data', () => {
    const env = mkEnv('v6.1', { dma32: 32 * MiB, normal: 64 * MiB });
    const r = run(env, function* (k: Kctx) {
      hugetlb_pool_grow(k, 9, 1);
      const fd = yield* sys_memfd_create(k, 'buf', MFD_HUGETLB);
      yield* sys_ftruncate(k, fd, HPAGE);
      const a = yield* sys_mmap(k, 0, HPAGE, RW, MAP_SHARED, fd, 0);
      yield* user_store(k, a, PAGE, 'shared');
      const before = mapped(env, a);
      const adv = yield* sys_madvise(k, a, HPAGE, MADV_DONTNEED);
      const gone = mapped(env, a);
      const back = yield* user_load(k, a);
      return { before, adv, gone, back, after: mapped(env, a) };
    });
    expect(r.adv).toBe(0);
    expect(r.gone).toBeNull();
    expect(r.back).toBe('shared');
    expect(r.after).toBe(r.before);
    expect(hugetlb_free_count(env.m, 9)).toBe(0);
  });
});
