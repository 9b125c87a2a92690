/**
 * A hugetlb COW copy (mm/hugetlb.c hugetlb_cow / hugetlb_wp → copy_user_huge_page /
 * copy_user_large_folio) copies the whole folio: data written to any subpage before the
 * fork is in the copy. MODEL: the data are per-subpage tags.
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, run, MiB, PAGE } from './gup_env.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { KThread } from '../../../../src/sched/index.js';
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { sys_fork, sys_mmap } from '../../../../src/linux/syscalls.js';
import { pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';

describe.each(['v5.4', 'v6.1', 'v6.12'])('hugetlb COW copy keeps every subpage\'s data (%s)', (profile) => {
  it('after fork, the parent\'s write copies the folio with the data of all its subpages', () => {
    const env = mkEnv(profile, { dma32: 32 * MiB, normal: 64 * MiB });
    const r = run(env, function* (k: Kctx): KThread<{ a: number; pid: number }> {
      hugetlb_pool_grow(k, 9, 2);
      const a = yield* sys_mmap(k, 0, 2 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      yield* user_store(k, a + 7 * PAGE, PAGE, 'seven');
      yield* user_store(k, a, PAGE, 'zero-th');
      const pid = yield* sys_fork(k);
      return { a, pid };
    });
    const child = env.m.tasks.get(r.pid)!;
    const before = pte_pfn(pt_walk(env.task.mm as mm_struct, r.a).entry);
    run(env, (k) => user_store(k, r.a, PAGE, 'parent'));
    const after = pte_pfn(pt_walk(env.task.mm as mm_struct, r.a).entry);
    expect(after).not.toBe(before); // copied
    expect(run(env, (k) => user_load(k, r.a + 7 * PAGE))).toBe('seven');
    expect(run(env, (k) => user_load(k, r.a))).toBe('parent');
    expect(run(env, (k) => user_load(k, r.a + 7 * PAGE), child)).toBe('seven');
    expect(run(env, (k) => user_load(k, r.a), child)).toBe('zero-th');
  });
});
