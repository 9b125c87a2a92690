import { describe, expect, it } from 'vitest';
import { machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, VM_DONTCOPY, VM_HUGEPAGE, VM_LOCKED, VM_NOHUGEPAGE, VM_WRITE, find_vma, pte_at, vma_lookup,
} from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current, CAP_IPC_LOCK } from '../../../../src/linux/include/linux/sched.js';
import {
  sys_close, sys_ftruncate, sys_madvise, sys_memfd_create, sys_mlock, sys_mlock2, sys_mmap, sys_mprotect, sys_munlock, sys_fork,
} from '../../../../src/linux/syscalls.js';
import {
  MADV_DONTFORK, MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, MFD_CLOEXEC, PROT_READ, PROT_WRITE,
} from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EACCES, EAGAIN, EINVAL, ENOMEM, EPERM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function* touch(k: Kctx, addr: number) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, FAULT_FLAG_WRITE);
  up_read(k, mm.mmap_lock, 'test');
  return r;
}

describe('mprotect', () => {
  it('splits VMAs, write-protects PTEs, and returns the kernel errors', () => {
    const m = machine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, ANON, -1, 0);
      yield* touch(k, a + PAGE_SIZE);
      const ro = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      return {
        a,
        ok: yield* sys_mprotect(k, a + PAGE_SIZE, PAGE_SIZE, PROT_READ),
        unaligned: yield* sys_mprotect(k, a + 1, PAGE_SIZE, PROT_READ),
        zero: yield* sys_mprotect(k, a, 0, PROT_READ),
        badProt: yield* sys_mprotect(k, a, PAGE_SIZE, 0x40),
        hole: yield* sys_mprotect(k, a + 3 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ),
        // a shared mapping of a file opened read-only would be EACCES; here: shared anon without VM_MAYWRITE? it has it.
        ro,
      };
    });
    expect(r).toMatchObject({ ok: 0, unaligned: -EINVAL, zero: 0, badProt: -EINVAL, hole: -ENOMEM });
    const v = find_vma(t.mm!, r.a + PAGE_SIZE)!;
    expect([v.vm_start - r.a, v.vm_end - r.a]).toEqual([PAGE_SIZE, 2 * PAGE_SIZE]);
    expect(v.vm_flags & VM_WRITE).toBe(0);
    expect(pte_write(pte_at(t.mm!, r.a + PAGE_SIZE))).toBe(false);
    // the hole case changed the last page before failing
    expect(find_vma(t.mm!, r.a + 3 * PAGE_SIZE)!.vm_flags & VM_WRITE).toBe(0);
  });

  it('asking for write on a MAP_SHARED mapping without VM_MAYWRITE is EACCES', () => {
    const m = machine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      const v = find_vma(t.mm!, a)!;
      v.vm_flags &= ~0x20; // as if the file were open read-only: no VM_MAYWRITE
      return yield* sys_mprotect(k, a, PAGE_SIZE, RW);
    });
    expect(r).toBe(-EACCES);
  });
});

describe('madvise', () => {
  it('DONTNEED zaps (private anon refaults as zero), HUGEPAGE/NOHUGEPAGE/DONTFORK set flags, holes are ENOMEM', () => {
    const m = machine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, ANON, -1, 0);
      yield* touch(k, a);
      const dn = yield* sys_madvise(k, a, PAGE_SIZE, MADV_DONTNEED);
      const hp = yield* sys_madvise(k, a + PAGE_SIZE, PAGE_SIZE, MADV_HUGEPAGE);
      const nhp = yield* sys_madvise(k, a + 2 * PAGE_SIZE, PAGE_SIZE, MADV_NOHUGEPAGE);
      const df = yield* sys_madvise(k, a + 3 * PAGE_SIZE, PAGE_SIZE, MADV_DONTFORK);
      const bad = yield* sys_madvise(k, a, PAGE_SIZE, 1000);
      const unaligned = yield* sys_madvise(k, a + 5, PAGE_SIZE, MADV_DONTNEED);
      const hole = yield* sys_madvise(k, a + 3 * PAGE_SIZE, 3 * PAGE_SIZE, MADV_DONTNEED);
      const pid = yield* sys_fork(k);
      return { a, dn, hp, nhp, df, bad, unaligned, hole, pid };
    });
    expect(r).toMatchObject({ dn: 0, hp: 0, nhp: 0, df: 0, bad: -EINVAL, unaligned: -EINVAL, hole: -ENOMEM });
    expect(pte_at(t.mm!, r.a)).toBe(0);
    expect(find_vma(t.mm!, r.a + PAGE_SIZE)!.vm_flags & VM_HUGEPAGE).toBe(VM_HUGEPAGE);
    expect(find_vma(t.mm!, r.a + 2 * PAGE_SIZE)!.vm_flags & VM_NOHUGEPAGE).toBe(VM_NOHUGEPAGE);
    expect(find_vma(t.mm!, r.a + 3 * PAGE_SIZE)!.vm_flags & VM_DONTCOPY).toBe(VM_DONTCOPY);
    const child = m.tasks.get(r.pid)!;
    expect(child.mm!.mmap.some((v) => v.vm_start === r.a + 3 * PAGE_SIZE)).toBe(false);
  });
});

describe('mlock / munlock', () => {
  it('locks VMAs, charges locked_vm (shared with other accounting), populates, and unlocks', () => {
    const m = machine('v6.1');
    const t = task(m, { memlock: 3 * PAGE_SIZE });
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, ANON, -1, 0);
      const l = yield* sys_mlock(k, a + PAGE_SIZE, 2 * PAGE_SIZE);
      const lockedAfter = t.mm!.locked_vm;
      const again = yield* sys_mlock(k, a + PAGE_SIZE, 2 * PAGE_SIZE); // already locked: not counted twice
      const over = yield* sys_mlock(k, a, 4 * PAGE_SIZE);
      const bad = yield* sys_mlock2(k, a, PAGE_SIZE, 2);
      const u = yield* sys_munlock(k, a, 4 * PAGE_SIZE);
      return { a, l, lockedAfter, again, over, bad, u };
    });
    expect(r).toMatchObject({ l: 0, lockedAfter: 2, again: 0, over: -ENOMEM, bad: -EINVAL, u: 0 });
    expect(pte_at(t.mm!, r.a + PAGE_SIZE)).not.toBe(0); // populated
    expect(t.mm!.locked_vm).toBe(0);
    expect(t.mm!.mmap.every((v) => (v.vm_flags & VM_LOCKED) === 0)).toBe(true);
  });

  it('RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK is EPERM; with it, any size', () => {
    const m = machine('v6.1');
    const t0 = task(m, { memlock: 0 });
    expect(runAs(m, t0, function* (k) {
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, ANON, -1, 0);
      return yield* sys_mlock(k, a, PAGE_SIZE);
    })).toBe(-EPERM);
    const t1 = task(m, { memlock: 0, caps: [CAP_IPC_LOCK] });
    expect(runAs(m, t1, function* (k) {
      const a = yield* sys_mmap(k, 0, 8 * PAGE_SIZE, RW, ANON, -1, 0);
      return yield* sys_mlock(k, a, 8 * PAGE_SIZE);
    })).toBe(0);
    expect(t1.mm!.locked_vm).toBe(8);
    void EAGAIN;
  });
});

describe('memfd_create', () => {
  for (const [profile, execOk] of [['v6.1', false], ['v6.12', true]] as const) {
    it(`${profile}: a tmpfs file of size 0 that ftruncate grows and mmap shares; MFD_EXEC ${execOk ? 'accepted' : 'EINVAL'}`, () => {
      const m = machine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_memfd_create(k, 'buf', MFD_CLOEXEC);
        const size0 = t.files!.fd[fd]!.f_inode.i_size;
        const tr = yield* sys_ftruncate(k, fd, 2 * PAGE_SIZE);
        const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, a);
        const exec = yield* sys_memfd_create(k, 'x', 0x10);
        const bad = yield* sys_memfd_create(k, 'y', 0x100);
        yield* sys_close(k, fd);
        return { fd, size0, tr, a, exec, bad };
      });
      expect(r.size0).toBe(0);
      expect(r.tr).toBe(0);
      expect(pte_write(pte_at(t.mm!, r.a))).toBe(true);
      expect(r.bad).toBe(-EINVAL);
      if (execOk) expect(r.exec).toBeGreaterThanOrEqual(0);
      else expect(r.exec).toBe(-EINVAL);
      expect(t.files!.close_on_exec.has(r.fd)).toBe(false); // closed
    });
  }
});
