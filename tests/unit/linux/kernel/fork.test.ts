import { describe, expect, it } from 'vitest';
import { RoundRobinChooser, machine, run, runAs, task } from '../mm/harness.js';
import { point } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_pfn, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, PageAnonExclusive, page_content, page_count, page_mapcount, pte_at, set_page_content, vma_lookup,
} from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { sys_fork } from '../../../../src/linux/kernel/fork.js';
import { do_exit } from '../../../../src/linux/kernel/exit.js';
import { sys_execve } from '../../../../src/linux/fs/exec.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { get_user_pages, pin_user_pages, unpin_user_page } from '../../../../src/linux/mm/gup.js';
import { O_CLOEXEC, O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';

const RW = PROT_READ | PROT_WRITE;

function* write(k: Kctx, addr: number, tag: string) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test:write');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, FAULT_FLAG_WRITE);
  up_read(k, mm.mmap_lock, 'test:write');
  set_page_content(k.m, pte_pfn(pte_at(mm, addr)), tag);
  return r;
}

/** Long-term pin one page for DMA the way each release's VFIO would (get_user_pages on 5.4, pin_user_pages on 6.x). */
function* pin(k: Kctx, addr: number, profile: string) {
  const mm = get_current(k).mm as mm_struct;
  const pages: (number | null)[] = [null];
  yield* down_read(k, mm.mmap_lock, 'test:pin');
  const n = profile === 'v5.4'
    ? yield* get_user_pages(k, addr, 1, FOLL_WRITE | FOLL_LONGTERM, pages)
    : yield* pin_user_pages(k, addr, 1, FOLL_WRITE | FOLL_LONGTERM, pages);
  up_read(k, mm.mmap_lock, 'test:pin');
  expect(n).toBe(1);
  return pages[0] as number;
}

describe('fork', () => {
  it('shares unpinned anon pages read-only (COW) with the child; the parent\'s write then copies', () => {
    for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
      const m = machine(profile);
      const parent = task(m);
      const r = runAs(m, parent, function* (k) {
        const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* write(k, a, 'v1');
        const pid = yield* sys_fork(k);
        return { a, pid };
      });
      const child = m.tasks.get(r.pid)!;
      const pp = pte_at(parent.mm!, r.a);
      const cp = pte_at(child.mm!, r.a);
      expect(pte_pfn(pp)).toBe(pte_pfn(cp));
      expect(pte_write(pp) || pte_write(cp)).toBe(false);
      expect(page_mapcount(m, pte_pfn(pp))).toBe(2);
      expect(PageAnonExclusive(m, pte_pfn(pp))).toBe(false);
      runAs(m, parent, function* (k) { return yield* write(k, r.a, 'v2'); });
      expect(pte_pfn(pte_at(parent.mm!, r.a))).not.toBe(pte_pfn(cp));
      expect(page_content(m, pte_pfn(cp))).toBe('v1');
      expect(child.mm!.locked_vm).toBe(0);
    }
  });

  it('after a long-term pin, v6.1/v6.12 copy the pinned page into the child (70e806e4e645); v5.4 shares it and the parent later COWs away from the DMA page', () => {
    const res: Record<string, { childGotCopy: boolean; parentStillOnPinned: boolean }> = {};
    for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
      const m = machine(profile);
      const parent = task(m);
      const r = runAs(m, parent, function* (k) {
        const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* write(k, a, 'before-fork');
        const pinned = yield* pin(k, a, profile);
        const pid = yield* sys_fork(k);
        // The parent writes after fork (e.g. refills the DMA buffer).
        yield* write(k, a, 'after-fork');
        return { a, pinned, pid };
      });
      const child = m.tasks.get(r.pid)!;
      const parentPfn = pte_pfn(pte_at(parent.mm!, r.a));
      const childPfn = pte_pfn(pte_at(child.mm!, r.a));
      res[profile] = { childGotCopy: childPfn !== r.pinned, parentStillOnPinned: parentPfn === r.pinned };
      if (profile !== 'v5.4') {
        expect(page_content(m, childPfn)).toBe('before-fork');
        expect(page_content(m, r.pinned)).toBe('after-fork'); // the device sees the parent's data
        expect(m.events.some((e) => e.what === 'fork-copy')).toBe(true);
        runAs(m, parent, function* (k) { unpin_user_page(k, r.pinned); return 0; });
        expect(page_count(m, r.pinned)).toBe(1);
      } else {
        expect(page_content(m, r.pinned)).toBe('before-fork'); // the device's page no longer is the parent's
      }
    }
    expect(res).toEqual({
      'v5.4': { childGotCopy: false, parentStillOnPinned: false },
      'v6.1': { childGotCopy: true, parentStillOnPinned: true },
      'v6.12': { childGotCopy: true, parentStillOnPinned: true },
    });
  });

  it('does not copy page tables of shared file mappings without anon_vma; the child shares the fd table', () => {
    const m = machine('v6.1');
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', PAGE_SIZE, () => 'disk');
    const parent = task(m);
    const r = runAs(m, parent, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* write(k, a, 'x');
      const pid = yield* sys_fork(k);
      return { a, pid, fd };
    });
    const child = m.tasks.get(r.pid)!;
    expect(pte_at(child.mm!, r.a)).toBe(0);
    expect(child.mm!.mmap.length).toBe(1);
    expect(child.files!.fd[r.fd]).toBe(parent.files!.fd[r.fd]);
    expect(child.files!.fd[r.fd]!.f_count).toBe(4); // two fd tables + the parent's VMA + the child's VMA
  });
});

describe('exit and execve', () => {
  it('exit tears down the mm (pages freed) before closing files', () => {
    const m = machine('v6.1');
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', PAGE_SIZE);
    const t = task(m);
    const free0 = m.mem.zones[1].nr_free + m.mem.zones[0].nr_free;
    runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* write(k, a, 'x');
      yield* write(k, a + PAGE_SIZE, 'y');
      yield* sys_open(k, '/mnt/f', O_RDWR);
      yield* do_exit(k, 0);
      return 0;
    });
    expect(t.mm).toBeNull();
    expect(t.exited).toBe(true);
    expect(m.mem.zones[1].nr_free + m.mem.zones[0].nr_free).toBe(free0);
    const order = m.events.filter((e) => e.what === 'mm-exit' || e.what === 'release').map((e) => e.what);
    expect(order).toEqual(['mm-exit', 'release']);
  });

  it('a pinned page outlives exit until the unpin', () => {
    const m = machine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* write(k, a, 'dma');
      const p = yield* pin(k, a, 'v6.1');
      yield* do_exit(k, 0);
      return p;
    });
    expect(page_count(m, r)).toBe(1024);
    expect(page_content(m, r)).toBe('dma');
    const k2 = task(m);
    runAs(m, k2, function* (k) { unpin_user_page(k, r); return 0; });
    expect(page_count(m, r)).toBe(0);
  });

  it('execve gives a fresh empty mm and closes O_CLOEXEC descriptors', () => {
    const m = machine('v6.1');
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', PAGE_SIZE);
    const t = task(m);
    const old = t.mm!;
    const r = runAs(m, t, function* (k) {
      yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      const keep = yield* sys_open(k, '/mnt/f', O_RDWR);
      const cloexec = yield* sys_open(k, '/mnt/f', O_RDWR | O_CLOEXEC);
      const ret = yield* sys_execve(k);
      return { keep, cloexec, ret };
    });
    expect(r.ret).toBe(0);
    expect(t.mm).not.toBe(old);
    expect(t.mm!.mmap).toEqual([]);
    expect(old.dead).toBe(true);
    expect(t.files!.fd[r.keep]).not.toBeNull();
    expect(t.files!.fd[r.cloexec]).toBeNull();
  });

  it('fork blocks while another thread holds the parent\'s mmap_lock', () => {
    const m = machine('v6.1');
    const t = task(m);
    const order: string[] = [];
    const { r, results } = run(m, [
      { t, body: function* (k) {
        yield* down_read(k, t.mm!.mmap_lock, 'holder');
        order.push('held');
        yield* point('test:holding');
        order.push('release');
        up_read(k, t.mm!.mmap_lock, 'holder');
        return 0;
      } },
      { t, body: function* (k) { const pid = yield* sys_fork(k); order.push('forked'); return pid; } },
    ], new RoundRobinChooser());
    expect(r.status).toBe('done');
    expect(results[1]).toBeGreaterThan(0);
    expect(order).toEqual(['held', 'release', 'forked']);
  });
});

describe('fork bookkeeping', () => {
  it('the child starts without has_pinned and locked_vm; write_protect_seq moves (and ends even) only where the release has it', () => {
    for (const [profile, seqMoves] of [['v5.4', false], ['v5.6', false], ['v6.1', true], ['v6.12', true]] as const) {
      const m = machine(profile);
      const parent = task(m);
      const r = runAs(m, parent, function* (k) {
        const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* write(k, a, 'x');
        parent.mm!.has_pinned = true; // as after a FOLL_PIN
        parent.mm!.locked_vm = 3;
        const seq0 = parent.mm!.write_protect_seq;
        const pid = yield* sys_fork(k);
        return { pid, seq0, seq1: parent.mm!.write_protect_seq };
      });
      const child = m.tasks.get(r.pid)!;
      expect(child.mm!.has_pinned).toBe(false);
      expect(child.mm!.locked_vm).toBe(0);
      expect(r.seq1 % 2).toBe(0);
      expect(r.seq1 !== r.seq0, profile).toBe(seqMoves);
    }
  });
});
