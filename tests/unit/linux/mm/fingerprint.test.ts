import { describe, expect, it } from 'vitest';
import { machine, runAs, task } from './harness.js';
import type { Machine } from '../../../../src/linux/machine.js';
import { mm_fingerprint } from '../../../../src/linux/mm/fingerprint.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, get_page, pte_at, put_page, vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { sys_mmap, sys_fork } from '../../../../src/linux/syscalls.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';

function build(): { m: Machine; a: number } {
  const m = machine('v6.1');
  const t = task(m);
  const a = runAs(m, t, function* (k) {
    const x = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    yield* down_read(k, t.mm!.mmap_lock, 't');
    yield* handle_mm_fault(k, vma_lookup(t.mm!, x)!, x, FAULT_FLAG_WRITE);
    up_read(k, t.mm!.mmap_lock, 't');
    return x;
  });
  return { m, a };
}

describe('mm_fingerprint', () => {
  it('is a pure function of the state: two identical runs agree, and reading does not change it', () => {
    const x = build();
    const y = build();
    expect(mm_fingerprint(x.m)).toBe(mm_fingerprint(y.m));
    expect(mm_fingerprint(x.m)).toBe(mm_fingerprint(x.m));
    expect(mm_fingerprint(x.m)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes with a refcount, a PTE, a fork, and comes back when the change is undone', () => {
    const { m, a } = build();
    const f0 = mm_fingerprint(m);
    const t = [...m.tasks.values()][0];
    const p = pte_pfn(pte_at(t.mm!, a));
    get_page(m, p);
    const f1 = mm_fingerprint(m);
    expect(f1).not.toBe(f0);
    put_page(m, p);
    expect(mm_fingerprint(m)).toBe(f0);
    runAs(m, t, function* (k) { return yield* sys_fork(k); });
    expect(mm_fingerprint(m)).not.toBe(f0);
  });
});
