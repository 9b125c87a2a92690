import { describe, expect, it } from 'vitest';
import { MiB, TableChooser, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_dirty, pte_pfn, pte_special, pte_write, pte_wrprotect } from '../../../../src/linux/include/linux/mm_types.js';
import {
  ClearPageAnonExclusive, FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_WRITE, PageAnon, PageAnonExclusive, PageDirty,
  VM_FAULT_MAJOR, VM_FAULT_OOM, VM_FAULT_RETRY, VM_FAULT_SIGBUS, VM_FAULT_WRITE, get_page, page_content, page_count, page_mapcount,
  put_page, pte_at, set_page_content, set_pte_at, vma_lookup,
} from '../../../../src/linux/include/linux/mm.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { handle_mm_fault, vm_fault_to_errno } from '../../../../src/linux/mm/memory.js';
import { ENOMEM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { sys_mmap, sys_munmap, sys_open } from '../../../../src/linux/syscalls.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';

/** Fault `addr` with mmap_lock held for read; returns the vm_fault_t and whether the lock was still held after. */
function* fault(k: Kctx, addr: number, flags: number): Generator<never, { ret: number; held: boolean }, number> {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test:fault') as Generator<never, void, number>;
  const vma = vma_lookup(mm, addr)!;
  const ret = yield* handle_mm_fault(k, vma, addr, flags) as Generator<never, number, number>;
  const held = mm.mmap_lock.state.readers.includes(k.tid);
  if (held) up_read(k, mm.mmap_lock, 'test:fault');
  return { ret, held };
}

describe('anonymous faults', () => {
  it('a read maps the zero page (special, read-only); a write then COWs it into an exclusive anon page', () => {
    for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
      const m = machine(profile);
      const t = task(m);
      const mm = t.mm!;
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        const rd = yield* fault(k, a, 0);
        const pteR = pte_at(mm, a);
        const wr = yield* fault(k, a, FAULT_FLAG_WRITE);
        return { a, rd, pteR, wr };
      });
      expect(r.rd.ret).toBe(0);
      expect(pte_pfn(r.pteR)).toBe(m.mem.zero_pfn);
      expect(pte_special(r.pteR)).toBe(true);
      expect(pte_write(r.pteR)).toBe(false);
      const pte = pte_at(mm, r.a);
      const p = pte_pfn(pte);
      expect(p).not.toBe(m.mem.zero_pfn);
      expect(pte_write(pte) && pte_dirty(pte)).toBe(true);
      expect(PageAnon(m, p)).toBe(true);
      expect(page_mapcount(m, p)).toBe(1);
      expect(page_count(m, p)).toBe(1);
      expect(PageAnonExclusive(m, p), profile).toBe(profile !== 'v5.4');
      expect(r.wr.ret, profile).toBe(profile === 'v6.12' ? 0 : VM_FAULT_WRITE);
    }
  });

  it('do_wp_page on a shared-looking anon page with an extra (GUP) reference: v5.4 reuses it in place, v6.1 copies', () => {
    const out: Record<string, { same: boolean; oldCount: number }> = {};
    for (const profile of ['v5.4', 'v6.1']) {
      const m = machine(profile);
      const t = task(m);
      const mm = t.mm!;
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* fault(k, a, FAULT_FLAG_WRITE);
        const p = pte_pfn(pte_at(mm, a));
        set_page_content(m, p, 'parent-v1');
        // What fork would leave behind: the PTE write-protected and the page no longer exclusive;
        // and a GUP reference held by someone (get_page).
        set_pte_at(mm, a, pte_wrprotect(pte_at(mm, a)));
        if (profile !== 'v5.4') ClearPageAnonExclusive(m, p);
        get_page(m, p);
        yield* fault(k, a, FAULT_FLAG_WRITE);
        return { p, now: pte_pfn(pte_at(mm, a)) };
      });
      out[profile] = { same: r.p === r.now, oldCount: page_count(m, r.p) };
      if (!out[profile].same) expect(page_content(m, r.now)).toBe('parent-v1');
      put_page(m, r.p);
    }
    expect(out['v5.4']).toEqual({ same: true, oldCount: 2 });
    expect(out['v6.1']).toEqual({ same: false, oldCount: 1 });
  });

  it('a fault beyond a VMA in the file is SIGBUS', () => {
    const m = machine();
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', PAGE_SIZE);
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
      return (yield* fault(k, a + PAGE_SIZE, 0)).ret;
    });
    expect(r).toBe(VM_FAULT_SIGBUS);
  });
});

describe('page-cache faults and FAULT_FLAG_ALLOW_RETRY', () => {
  function setup(profile: string) {
    const m = machine(profile);
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', 4 * PAGE_SIZE, (i) => `disk:${i}`);
    return m;
  }

  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: a miss with ALLOW_RETRY drops mmap_lock, reads, returns VM_FAULT_RETRY; the retry hits`, () => {
      const m = setup(profile);
      const t = task(m);
      const mm = t.mm!;
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        const first = yield* fault(k, a + PAGE_SIZE, FAULT_FLAG_ALLOW_RETRY);
        const second = yield* fault(k, a + PAGE_SIZE, FAULT_FLAG_ALLOW_RETRY);
        return { a, first, second };
      });
      expect(r.first).toEqual({ ret: VM_FAULT_RETRY, held: false });
      expect(r.second.held).toBe(true);
      expect(r.second.ret & VM_FAULT_RETRY).toBe(0);
      const p = pte_pfn(pte_at(mm, r.a + PAGE_SIZE));
      expect(page_content(m, p)).toBe('disk:1');
      expect(page_count(m, p)).toBe(2); // page cache + the mapping
      expect(m.events.some((e) => e.what === 'mmap-unlock-for-io')).toBe(true);
    });
  }

  it('without ALLOW_RETRY the read happens under the lock (VM_FAULT_MAJOR); RETRY_NOWAIT keeps the lock', () => {
    const m = setup('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
      const sync = yield* fault(k, a, 0);
      const nowait = yield* fault(k, a + 2 * PAGE_SIZE, FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT);
      return { sync, nowait };
    });
    expect(r.sync.held).toBe(true);
    expect(r.sync.ret & VM_FAULT_MAJOR).toBe(VM_FAULT_MAJOR);
    expect(r.nowait).toEqual({ ret: VM_FAULT_RETRY, held: true });
  });

  it('the io choice: a clean, unmapped cached page may have been evicted, so the fault waits for I/O', () => {
    for (const [pick, expected] of [[0, { ret: 0, held: true }], [1, { ret: VM_FAULT_RETRY, held: false }]] as const) {
      const m = setup('v6.1');
      const t = task(m);
      const chooser = new TableChooser({ 'mm/filemap.c:filemap_fault:io': pick });
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        yield* fault(k, a, 0); // page 0 read into the cache and mapped
        yield* sys_munmap(k, a, 4 * PAGE_SIZE); // now only the page cache holds it
        const b = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        const f = yield* fault(k, b, FAULT_FLAG_ALLOW_RETRY);
        return { ...f, ret: f.ret & VM_FAULT_RETRY };
      }, chooser);
      expect(r, `pick ${pick}`).toEqual(expected);
      expect(chooser.seen).toContain('mm/filemap.c:filemap_fault:io');
    }
  });

  it('a shared write fault on ext4 goes through page_mkwrite and dirties the page', () => {
    const m = setup('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      const rd = yield* fault(k, a, 0);
      const ro = pte_write(pte_at(t.mm!, a));
      const wr = yield* fault(k, a, FAULT_FLAG_WRITE);
      return { a, rd, ro, wr };
    });
    expect(r.ro).toBe(false); // write-notify: read faults map read-only
    const pte = pte_at(t.mm!, r.a);
    expect(pte_write(pte)).toBe(true);
    expect(PageDirty(m, pte_pfn(pte))).toBe(true);
  });

  it('a private write fault on a file copies the page into a new anon page', () => {
    const m = setup('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      yield* fault(k, a + 3 * PAGE_SIZE, FAULT_FLAG_WRITE);
      return a;
    });
    const p = pte_pfn(pte_at(t.mm!, r + 3 * PAGE_SIZE));
    expect(PageAnon(m, p)).toBe(true);
    expect(page_content(m, p)).toBe('disk:3');
    const cached = t.mm!.mmap[0].vm_file!.f_mapping.i_pages.get(3)!;
    expect(cached).not.toBe(p);
    expect(page_count(m, cached)).toBe(1); // only the page cache
  });
});

describe('shared anonymous memory (shmem)', () => {
  it('MAP_SHARED|MAP_ANONYMOUS faults go to one shmem page cache; writes map writable at once', () => {
    const m = machine('v6.1', { normal: 32 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      yield* fault(k, a, 0);
      return a;
    });
    const pte = pte_at(t.mm!, r);
    expect(pte_write(pte)).toBe(true);
    const p = pte_pfn(pte);
    expect(PageAnon(m, p)).toBe(false);
    expect(page_count(m, p)).toBe(2);
    expect(t.mm!.mmap[0].vm_file!.f_mapping.i_pages.get(0)).toBe(p);
  });
});

describe('exhaustion', () => {
  it('an anon write fault with no free memory is VM_FAULT_OOM (vm_fault_to_errno: -ENOMEM)', () => {
    const m = machine('v6.1', { normal: 2 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 600 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      let last = 0;
      let n = 0;
      for (; n < 600; n++) {
        last = (yield* fault(k, a + n * PAGE_SIZE, FAULT_FLAG_WRITE)).ret;
        if (last) break;
      }
      return { last, n };
    });
    expect(r.last).toBe(VM_FAULT_OOM);
    expect(vm_fault_to_errno(r.last, 0)).toBe(-ENOMEM);
    expect(r.n).toBe(511);
  });
});
