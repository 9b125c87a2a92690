/** A THP mapped by 512 PTEs of one order-9 folio (its PMD split), for the madvise tests. */
import { MiB, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, pte_at, vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { __split_huge_pmd } from '../../../../src/linux/mm/huge_memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_madvise, sys_mmap } from '../../../../src/linux/syscalls.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, down_write, up_read, up_write } from '../../../../src/linux/kernel/locking/rwsem.js';

export const LAYOUT = { dma32: 16 * MiB, normal: 64 * MiB };

/** A written THP at a 2 MiB boundary whose PMD is then split: 512 PTEs of one order-9 folio, one VMA. */
export function* pteMappedThp(k: Kctx) {
  const mm = get_current(k).mm as mm_struct;
  const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const x = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
  yield* sys_madvise(k, x, PMD_SIZE, MADV_HUGEPAGE);
  yield* down_read(k, mm.mmap_lock, 'test');
  yield* handle_mm_fault(k, vma_lookup(mm, x)!, x, FAULT_FLAG_WRITE);
  up_read(k, mm.mmap_lock, 'test');
  yield* down_write(k, mm.mmap_lock, 'test');
  __split_huge_pmd(k, vma_lookup(mm, x)!, x);
  up_write(k, mm.mmap_lock, 'test');
  return x;
}

/** The pfn each of the 512 PTEs from x maps (0: none). */
export function ptes(mm: mm_struct, x: number): number[] {
  return Array.from({ length: 512 }, (_, i) => {
    const e = pte_at(mm, x + i * PAGE_SIZE);
    return e === 0 ? 0 : pte_pfn(e);
  });
}

export function setup(profile: string) {
  const m = machine(profile, LAYOUT);
  const t = task(m);
  const x = runAs(m, t, pteMappedThp);
  const mm = t.mm!;
  const head = pte_pfn(pte_at(mm, x));
  return { m, t, x, mm, head };
}

