import { describe, expect, it } from 'vitest';
import { MiB, RoundRobinChooser, machine, run, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, VM_LOCKED, VM_MAYWRITE, VM_READ, VM_SHARED, VM_WRITE, find_vma, page_count, pte_at, vma_lookup,
} from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { sys_close, sys_mmap, sys_munmap, sys_open } from '../../../../src/linux/syscalls.js';
import {
  MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_LOCKED, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_SYNC, PROT_READ, PROT_WRITE,
} from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EACCES, EAGAIN, EBADF, EEXIST, EINVAL, ENOMEM, EOPNOTSUPP, EPERM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { O_RDONLY, O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { CAP_IPC_LOCK, get_current } from '../../../../src/linux/include/linux/sched.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function* touch(k: Kctx, addr: number, write = true) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, write ? FAULT_FLAG_WRITE : 0);
  up_read(k, mm.mmap_lock, 'test');
  return r;
}

describe('sys_mmap', () => {
  it('creates top-down, page-aligned VMAs with kernel vm_flags', () => {
    const m = machine();
    const t = task(m);
    const [a, b] = runAs(m, t, function* (k) {
      return [yield* sys_mmap(k, 0, 3 * PAGE_SIZE + 1, RW, ANON, -1, 0), yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, ANON, -1, 0)];
    });
    expect(a % PAGE_SIZE).toBe(0);
    expect(b).toBeLessThan(a);
    const va = find_vma(t.mm!, a)!;
    expect(va.vm_end - va.vm_start).toBe(4 * PAGE_SIZE);
    expect(va.vm_flags & (VM_READ | VM_WRITE | VM_MAYWRITE | VM_SHARED)).toBe(VM_READ | VM_WRITE | VM_MAYWRITE);
    expect(va.vm_pgoff).toBe(a / PAGE_SIZE);
    expect(t.mm!.total_vm).toBe(5);
  });

  it('returns the kernel errno for bad input', () => {
    const m = machine('v6.1');
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', 4 * PAGE_SIZE);
    const t = task(m, { memlock: 2 * PAGE_SIZE });
    const r = runAs(m, t, function* (k) {
      const ro = yield* sys_open(k, '/mnt/f', O_RDONLY);
      const rw = yield* sys_open(k, '/mnt/f', O_RDWR);
      const fixed = yield* sys_mmap(k, 0x10000000, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0);
      return {
        len0: yield* sys_mmap(k, 0, 0, RW, ANON, -1, 0),
        unalignedFixed: yield* sys_mmap(k, 0x10000001, PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0),
        unalignedOff: yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, rw, 123),
        badType: yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_ANONYMOUS, -1, 0),
        anonValidate: yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0),
        badFd: yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, 99, 0),
        noreplace: yield* sys_mmap(k, fixed + PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
        sharedWriteRo: yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, ro, 0),
        validateSync: yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED_VALIDATE | MAP_SYNC, rw, 0),
        legacySync: yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED | MAP_SYNC, rw, 0),
        lockedOver: yield* sys_mmap(k, 0, 3 * PAGE_SIZE, RW, ANON | MAP_LOCKED, -1, 0),
        beyond: yield* sys_mmap(k, 2 ** 47 - PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED, -1, 0),
      };
    });
    expect(r).toMatchObject({
      len0: -EINVAL, unalignedFixed: -EINVAL, unalignedOff: -EINVAL, badType: -EINVAL, anonValidate: -EINVAL, badFd: -EBADF,
      noreplace: -EEXIST, sharedWriteRo: -EACCES, validateSync: -EOPNOTSUPP, lockedOver: -EAGAIN, beyond: -ENOMEM,
    });
    // MAP_SHARED drops unknown flags, but VM_SYNC was already computed from MAP_SYNC, and
    // ext4_file_mmap refuses VM_SYNC on a non-DAX file (daxdev_mapping_supported).
    expect(r.legacySync).toBe(-EOPNOTSUPP);
  });

  it('MAP_LOCKED: RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK is EPERM; the capability bypasses the limit and locked_vm counts pages', () => {
    const m = machine();
    const t0 = task(m, { memlock: 0 });
    expect(runAs(m, t0, function* (k) { return yield* sys_mmap(k, 0, PAGE_SIZE, RW, ANON | MAP_LOCKED, -1, 0); })).toBe(-EPERM);
    const t1 = task(m, { memlock: 0, caps: [CAP_IPC_LOCK] });
    // VM_LOCKED population goes through GUP's __mm_populate (recorded as unsupported until wired).
    const a = runAs(m, t1, function* (k) { return yield* sys_mmap(k, 0, 3 * PAGE_SIZE, RW, ANON | MAP_LOCKED, -1, 0); });
    expect(a).toBeGreaterThan(0);
    expect(t1.mm!.locked_vm).toBe(3);
    expect(find_vma(t1.mm!, a)!.vm_flags & VM_LOCKED).toBe(VM_LOCKED);
    runAs(m, t1, function* (k) { return yield* sys_munmap(k, a, 3 * PAGE_SIZE); });
    expect(t1.mm!.locked_vm).toBe(0);
  });

  it('MAP_FIXED over an existing mapping replaces it: the old VMA is freed and its pages released', () => {
    const m = machine();
    const t = task(m);
    const free0 = m.mem.zones[1].nr_free + m.mem.zones[0].nr_free;
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, ANON, -1, 0);
      yield* touch(k, a + PAGE_SIZE);
      const b = yield* sys_mmap(k, a + PAGE_SIZE, PAGE_SIZE, PROT_READ, ANON | MAP_FIXED, -1, 0);
      return { a, b };
    });
    const old = t.mm!.mmap[0];
    expect(r.b).toBe(r.a + PAGE_SIZE);
    expect(t.mm!.mmap.map((v) => [v.vm_start - r.a, v.vm_end - r.a])).toEqual([[0, PAGE_SIZE], [PAGE_SIZE, 2 * PAGE_SIZE], [2 * PAGE_SIZE, 4 * PAGE_SIZE]]);
    expect(old.id).toBe(1); // the original struct keeps the lower part (__split_vma)
    expect(t.mm!.mmap.filter((v) => v.vm_freed)).toEqual([]);
    expect(pte_at(t.mm!, r.a + PAGE_SIZE)).toBe(0);
    expect(m.mem.zones[1].nr_free + m.mem.zones[0].nr_free).toBe(free0);
    expect(m.events.some((e) => e.what === 'vma-free')).toBe(true);
  });
});

describe('sys_munmap', () => {
  it('splits, zaps, frees pages and marks the VMA freed; errors as the kernel', () => {
    const m = machine('v6.1', { normal: 32 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 8 * PAGE_SIZE, RW, ANON, -1, 0);
      for (let i = 0; i < 8; i++) yield* touch(k, a + i * PAGE_SIZE);
      const p3 = pte_pfn(pte_at(t.mm!, a + 3 * PAGE_SIZE));
      const un = yield* sys_munmap(k, a + 2 * PAGE_SIZE, 3 * PAGE_SIZE);
      return {
        a, p3, un,
        unaligned: yield* sys_munmap(k, a + 1, PAGE_SIZE),
        zero: yield* sys_munmap(k, a, 0),
        nothing: yield* sys_munmap(k, 0x1000000, PAGE_SIZE),
      };
    });
    expect(r).toMatchObject({ un: 0, unaligned: -EINVAL, zero: -EINVAL, nothing: 0 });
    expect(page_count(m, r.p3)).toBe(0);
    expect(t.mm!.mmap.map((v) => [(v.vm_start - r.a) / PAGE_SIZE, (v.vm_end - r.a) / PAGE_SIZE])).toEqual([[0, 2], [5, 8]]);
    expect(pte_at(t.mm!, r.a + 2 * PAGE_SIZE)).toBe(0);
    expect(pte_at(t.mm!, r.a + 5 * PAGE_SIZE)).not.toBe(0);
    expect(t.mm!.total_vm).toBe(5);
  });

  it('downgrades mmap_lock to read for the zap, so a reader can run during it', () => {
    const m = machine();
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', PAGE_SIZE);
    const t = task(m);
    const a = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const x = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, x, false);
      yield* sys_close(k, fd);
      return x;
    });
    // munmap drops the last file reference in remove_vma, after the downgrade: a reader
    // (T1) that queued for mmap_lock while munmap held it for write gets in before that.
    const order: string[] = [];
    const releaseFn = (): void => { order.push('release'); };
    const f = t.mm!.mmap[0].vm_file!;
    const fop = f.f_op;
    (f as { f_op: typeof fop }).f_op = { ...fop, *release(k2, i, ff) { releaseFn(); return fop.release ? yield* fop.release(k2, i, ff) : 0; } };
    const { r } = run(m, [
      { t, body: function* (k) { const ret = yield* sys_munmap(k, a, PAGE_SIZE); order.push('munmap-done'); return ret; } },
      { t, body: function* (k) {
        yield* down_read(k, t.mm!.mmap_lock, 'reader');
        order.push(`reader-in:${t.mm!.mmap_lock.state.writer === null ? 'no-writer' : 'writer'}`);
        up_read(k, t.mm!.mmap_lock, 'reader');
        return 0;
      } },
    ], new RoundRobinChooser());
    expect(r.status).toBe('done');
    expect(order).toContain('release');
    expect(order[0]).toBe('reader-in:no-writer');
    expect(order.indexOf('reader-in:no-writer')).toBeLessThan(order.indexOf('release'));
  });
});

describe('MAP_POPULATE', () => {
  it('faults the whole range in through mm_populate (private writable: COW broken now)', () => {
    for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
      const m = machine(profile);
      const t = task(m);
      const a = runAs(m, t, function* (k) { return yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, ANON | MAP_POPULATE, -1, 0); });
      for (let i = 0; i < 4; i++) {
        const pte = pte_at(t.mm!, a + i * PAGE_SIZE);
        expect(pte, `${profile} page ${i}`).not.toBe(0);
        expect(pte_pfn(pte)).not.toBe(m.mem.zero_pfn);
      }
      expect(m.reports).toEqual([]);
    }
  });
});

describe('unlinked shared memory is freed with its last reference', () => {
  it('munmap of MAP_SHARED|MAP_ANONYMOUS and of MAP_HUGETLB gives the pages back', async () => {
    const { hugetlb_free_count, hugetlb_pool_grow } = await import('../../../../src/linux/mm/hugetlb.js');
    const { MAP_HUGETLB } = await import('../../../../src/linux/include/uapi/asm-generic/mman.js');
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    const t = task(m);
    const free0 = m.mem.zones[0].nr_free + m.mem.zones[1].nr_free;
    runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      for (let i = 0; i < 4; i++) yield* touch(k, a + i * PAGE_SIZE);
      yield* sys_munmap(k, a, 4 * PAGE_SIZE);
      return 0;
    });
    expect(m.mem.zones[0].nr_free + m.mem.zones[1].nr_free).toBe(free0);
    runAs(m, t, function* (k) {
      hugetlb_pool_grow(k, 9, 1);
      const a = yield* sys_mmap(k, 0, 2 * MiB, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      yield* touch(k, a);
      expect(hugetlb_free_count(m, 9)).toBe(0);
      yield* sys_munmap(k, a, 2 * MiB);
      return 0;
    });
    expect(hugetlb_free_count(m, 9)).toBe(1);
  });
});
