import { describe, expect, it } from 'vitest';
import { MiB, RoundRobinChooser, machine, run, runAs, task } from '../mm/harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { KThread } from '../../../../src/sched/index.js';
import type { Machine } from '../../../../src/linux/machine.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, pte_devmap, pte_pfn, pte_special, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, VM_FAULT_ERROR, compound_head, folio_mapcount, folio_order, folio_pincount, is_fsdax_page, page_content, page_count, page_ref_count, pt_walk, pte_at, put_page,
  vma_lookup, PageAnon, PageReserved,
} from '../../../../src/linux/include/linux/mm.js';
import { is_invalid_reserved_pfn, put_pfn, vaddr_get_pfn } from '../../../../src/linux/drivers/vfio/vfio_iommu_type1.js';
import { IOMMU_READ, IOMMU_WRITE } from '../../../../src/linux/drivers/iommu/iommu.js';
import { devdax_create } from '../../../../src/linux/drivers/dax/device.js';
import { sys_madvise, sys_mprotect } from '../../../../src/linux/mm/mprotect.js';
import { sys_fork } from '../../../../src/linux/kernel/fork.js';
import { FOLL_LONGTERM } from '../../../../src/linux/include/linux/foll.js';
import { get_user_pages_fast, pin_user_pages_fast } from '../../../../src/linux/mm/gup_fast.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_fallocate, sys_ftruncate, sys_mmap, sys_munmap, sys_open } from '../../../../src/linux/syscalls.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, MADV_NOHUGEPAGE, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_SYNC, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { get_user_pages, pin_user_pages, unpin_user_page, put_user_page } from '../../../../src/linux/mm/gup.js';
import { O_RDONLY, O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { point } from '../../../../src/sched/index.js';
import { EBADF, EINVAL, EOPNOTSUPP, ERESTARTSYS } from '../../../../src/linux/include/uapi/linux/errno.js';

const RW = PROT_READ | PROT_WRITE;

function daxMachine(profile: string): Machine {
  const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'pmem0', size: 16 * MiB, mode: 'fsdax' }] });
  mount_fs(m, '/mnt', 'ext4', { dax: 'pmem0' });
  create_file(m, '/mnt/f', 4 * PAGE_SIZE, (i) => `pmem:${i}`);
  return m;
}

function* touch(k: Kctx, addr: number, write: boolean) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, write ? FAULT_FLAG_WRITE : 0);
  up_read(k, mm.mmap_lock, 'test');
  return r;
}

/** A short-term (not FOLL_LONGTERM) pin, as O_DIRECT or 5.4 VFIO's remote path would take. */
function* shortPin(k: Kctx, addr: number, profile: string) {
  const mm = get_current(k).mm as mm_struct;
  const pages: (number | null)[] = [null];
  yield* down_read(k, mm.mmap_lock, 'test:pin');
  const n = profile === 'v5.4' ? yield* get_user_pages(k, addr, 1, FOLL_WRITE, pages) : yield* pin_user_pages(k, addr, 1, FOLL_WRITE, pages);
  up_read(k, mm.mmap_lock, 'test:pin');
  expect(n).toBe(1);
  return pages[0] as number;
}

/** Open /mnt/f, map 4 pages shared, write the first (a DAX fault) and pin it short-term: { fd, x, page }. */
function* pinnedDaxFile(k: Kctx, profile: string): KThread<{ fd: number; x: number; page: number }> {
  const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
  const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
  yield* touch(k, x, true);
  const page = yield* shortPin(k, x, profile);
  return { fd, x, page };
}

function release(k: Kctx, page: number, profile: string) {
  if (profile === 'v5.4') put_user_page(k, page);
  else unpin_user_page(k, page);
}

describe('fs-DAX mappings', () => {
  it('faults map the pmem block itself (devmap PTE, no page reference); writes go straight to pmem', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const a = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, x, false);
      yield* touch(k, x + PAGE_SIZE, true);
      return x;
    });
    const p0 = pte_at(t.mm!, a);
    expect(pte_devmap(p0)).toBe(true);
    expect(pte_write(p0)).toBe(false);
    expect(is_fsdax_page(m, pte_pfn(p0))).toBe(true);
    expect(page_content(m, pte_pfn(p0))).toBe('pmem:0');
    expect(page_ref_count(m, pte_pfn(p0))).toBe(1);
    expect(pte_write(pte_at(t.mm!, a + PAGE_SIZE))).toBe(true);
  });

  it('MAP_SHARED_VALIDATE | MAP_SYNC is accepted on an fs-DAX file', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const a = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      return yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
    });
    expect(a).toBeGreaterThan(0);
  });

  it('a private write copies the block into an anon page (VM_FAULT_DONE_COW path)', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const a = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_PRIVATE, fd, 0);
      yield* touch(k, x + 2 * PAGE_SIZE, true);
      return x;
    });
    const p = pte_pfn(pte_at(t.mm!, a + 2 * PAGE_SIZE));
    expect(PageAnon(m, p)).toBe(true);
    expect(is_fsdax_page(m, p)).toBe(false);
    expect(page_content(m, p)).toBe('pmem:2');
  });
});

/**
 * A device holds `setup.page` pinned for a few steps while another thread truncates the
 * file to 0: the truncate must wait for the unpin (round-robin schedule), then succeed.
 */
function truncateWhilePinned(m: Machine, t: ReturnType<typeof task>, setup: { fd: number; page: number }, profile: string, log: string[]): void {
  const { r, results } = run(m, [
    { t, body: function* (k) {
      for (let i = 0; i < 3; i++) yield* point('test:dma-in-flight');
      log.push('unpin');
      release(k, setup.page, profile);
      return 0;
    } },
    { t, body: function* (k) {
      log.push('truncate');
      const ret = yield* sys_ftruncate(k, setup.fd, 0);
      log.push('truncated');
      return ret;
    } },
  ], new RoundRobinChooser());
  expect(r.status).toBe('done');
  expect(results[1]).toBe(0);
  expect(log).toEqual(['truncate', 'unpin', 'truncated']);
}

describe('truncate of an fs-DAX file (dax_layout_busy_page)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12', 'v6.18']) {
    it(`${profile}: blocks while a page is pinned and completes after the unpin`, () => {
      const m = daxMachine(profile);
      const t = task(m);
      const log: string[] = [];
      const setup = runAs(m, t, function* (k) {
        const { fd, x, page } = yield* pinnedDaxFile(k, profile);
        return { fd, x, page };
      });
      expect(page_ref_count(m, setup.page)).toBeGreaterThan(1);
      truncateWhilePinned(m, t, setup, profile, log);
      const whats = m.events.map((e) => e.what);
      expect(whats.indexOf('truncate-wait')).toBeGreaterThan(-1);
      expect(whats.indexOf('truncate-wait')).toBeLessThan(whats.indexOf('truncate-wake'));
      expect(pte_at(t.mm!, setup.x)).toBe(0);
      expect(m.events.filter((e) => e.what === 'dax-block-free').length).toBe(4);
    });
  }

  it('without an unpin the truncate waits forever (the run deadlocks with the wait as reason)', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const setup = runAs(m, t, function* (k) {
      const { fd } = yield* pinnedDaxFile(k, 'v6.1');
      return { fd };
    });
    const { r } = run(m, [{ t, body: function* (k) { return yield* sys_ftruncate(k, setup.fd, 0); } }]);
    expect(r.status).toBe('deadlock');
    const v = r.violations.find((x) => x.kind === 'deadlock');
    expect(v && v.kind === 'deadlock' ? v.threads[0].reason.detail : '').toMatch(/dax_layout_busy_page/);
  });

  it('a signal ends the wait with -ERESTARTSYS and the file keeps its size', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const setup = runAs(m, t, function* (k) {
      const { fd } = yield* pinnedDaxFile(k, 'v6.1');
      return { fd };
    });
    const s0 = { killed: false };
    const { r, results } = run(m, [
      { t, body: function* (k) { return yield* sys_ftruncate(k, setup.fd, 0); } },
      { t, body: function* (k) {
        yield* point('test:before-signal');
        k.s.kill(0 as never, false);
        s0.killed = true;
        return 0;
      } },
    ], new RoundRobinChooser());
    expect(r.status).toBe('done');
    expect(s0.killed).toBe(true);
    expect(results[0]).toBe(-ERESTARTSYS);
    expect(m.inodes.get('/mnt/f')!.i_size).toBe(4 * PAGE_SIZE);
  });

  for (const profile of ['v5.4', 'v6.12', 'v6.18']) {
    it(`${profile}: a signal whose wake-up finds the page idle once invalidate_lock is retaken does not fail the truncate (___wait_var_event tests the condition before the signal)`, () => {
      // 6.12 / 6.18.26 include/linux/wait_bit.h ___wait_var_event(): after the cmd (ext4_wait_dax_page:
      // unlock, schedule, lock) the loop calls prepare_to_wait_event() (-ERESTARTSYS when a signal is
      // pending) and then tests the condition first: an idle page ends the wait with 0 whatever the signal.
      const m = daxMachine(profile);
      const t = task(m);
      const setup = runAs(m, t, function* (k) {
        const { fd, page } = yield* pinnedDaxFile(k, profile);
        return { fd, page };
      });
      const log: string[] = [];
      // T0 runs whenever it can, except for the one step after T0 resumed from the signal (which
      // ends at down_write of invalidate_lock): T1 then releases the page.
      let afterKill = -1;
      const chooser = {
        pickThread(enabled: readonly number[]): number {
          if (afterKill === 0 && enabled.includes(0)) {
            afterKill = 1;
            return 0;
          }
          if (afterKill === 1 && enabled.includes(1)) return 1;
          return enabled.includes(0) ? 0 : enabled[0];
        },
        pickData(): number {
          return 0;
        },
      };
      const { r, results } = run(m, [
        { t, body: function* (k) { return yield* sys_ftruncate(k, setup.fd, 0); } },
        { t, body: function* (k) {
          k.s.kill(0 as never, false);
          log.push('signal');
          afterKill = 0;
          yield* point('test:after-signal');
          release(k, setup.page, profile);
          log.push('unpin');
          return 0;
        } },
      ], chooser as never);
      expect(r.status).toBe('done');
      expect(log).toEqual(['signal', 'unpin']);
      expect(results[0]).toBe(0);
      expect(m.inodes.get('/mnt/f')!.i_size).toBe(0);
    });
  }

  it('dax_layout_busy_page ignores pins once nothing maps the file: the block is freed under the pin', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const { fd, x, page } = yield* pinnedDaxFile(k, 'v6.1');
      yield* sys_munmap(k, x, 4 * PAGE_SIZE);
      const ret = yield* sys_ftruncate(k, fd, 0);
      return { page, ret };
    });
    expect(r.ret).toBe(0);
    expect(page_count(m, r.page)).toBeGreaterThan(1); // still pinned ...
    expect(m.events.some((e) => e.what === 'dax-block-free' && e.objects[0] === `pfn:${r.page}`)).toBe(true); // ... but freed by the fs
  });

  for (const profile of ['v5.4', 'v6.12', 'v6.18-dax-busy-page-unmapped']) {
    const warns = profile !== 'v6.18-dax-busy-page-unmapped';
    it(`${profile}: truncating the entry of a page still referenced ${warns ? 'WARNs in dax_disassociate_entry (trunc && refcount > 1)' : 'does not WARN (dax_folio_put of an order-0 folio)'}`, () => {
      // 5.4.1, 6.1.192, 6.12 fs/dax.c dax_disassociate_entry(): WARN_ON_ONCE(trunc && page_ref_count(page) > 1);
      // 6.18.26: dax_disassociate_entry() → dax_folio_put(), which WARNs only while splitting a large folio.
      const m = daxMachine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const { fd, x, page } = yield* pinnedDaxFile(k, profile);
        yield* sys_munmap(k, x, 4 * PAGE_SIZE);
        const ret = yield* sys_ftruncate(k, fd, 0);
        return { page, ret };
      });
      expect(r.ret).toBe(0);
      const w = m.reports.filter((x) => x.kind === 'warn' && x.site === 'fs/dax.c:dax_disassociate_entry');
      expect(w.length).toBe(warns ? 1 : 0);
    });
  }

  for (const profile of ['v5.4', 'v6.12', 'v6.18-dax-busy-page-unmapped']) {
    it(`${profile}: a block freed under a reference and allocated again keeps its struct page's references (the pin is not forgotten)`, () => {
      // Nothing in ext4's block allocation (nor in 6.18.26 fs/dax.c) re-initialises the pmem block's struct
      // page: memmap init (__init_zone_device_page) runs once per device page, so the reference taken before the
      // truncate stays on the page when a write fault maps the block into the file again.
      const m = daxMachine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const { fd, x, page } = yield* pinnedDaxFile(k, profile);
        yield* sys_munmap(k, x, 4 * PAGE_SIZE);
        yield* sys_ftruncate(k, fd, 0);
        const before = page_ref_count(k.m, page);
        yield* sys_ftruncate(k, fd, 4 * PAGE_SIZE);
        const y = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        const again: number[] = [];
        for (let i = 0; i < 4; i++) {
          yield* touch(k, y + i * PAGE_SIZE, true);
          again.push(pte_pfn(pte_at(get_current(k).mm as mm_struct, y + i * PAGE_SIZE)));
        }
        const after = page_ref_count(k.m, page);
        yield* sys_munmap(k, y, 4 * PAGE_SIZE);
        release(k, page, profile);
        return { page, again, before, after };
      });
      expect(r.again).toContain(r.page); // the freed block is allocated again
      // The write fault's own reference (6.18.26: its map count) comes on top of the ones held before.
      expect(r.after).toBe(r.before + (profile.startsWith('v6.18') ? 1 : 0));
      expect(m.reports.filter((x) => x.kind === 'bug')).toEqual([]);
    });
  }

  it('punch hole waits the same way and frees only whole blocks in the hole', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const ro = yield* sys_open(k, '/mnt/f', O_RDONLY);
      return {
        noKeep: yield* sys_fallocate(k, fd, FALLOC_FL_PUNCH_HOLE, 0, PAGE_SIZE),
        badLen: yield* sys_fallocate(k, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 0),
        ro: yield* sys_fallocate(k, ro, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE_SIZE),
        unknown: yield* sys_fallocate(k, fd, 0x80, 0, PAGE_SIZE),
        ok: yield* sys_fallocate(k, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE_SIZE, 2 * PAGE_SIZE + 100),
      };
    });
    expect(r).toEqual({ noKeep: -EOPNOTSUPP, badLen: -EINVAL, ro: -EBADF, unknown: -EOPNOTSUPP, ok: 0 });
    const i = m.inodes.get('/mnt/f')!;
    expect([...i.dax_blocks.keys()].sort()).toEqual([0, 3]);
    expect(i.i_size).toBe(4 * PAGE_SIZE);
  });
});

describe('truncate of page-cache files', () => {
  it('ext4 (no DAX): truncation does not wait for a pinned page; the page lives on detached from the file', () => {
    const m = machine('v6.1');
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/g', 2 * PAGE_SIZE, (i) => `disk:${i}`);
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/g', O_RDWR);
      const x = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, x, true);
      const page = yield* shortPin(k, x, 'v6.1');
      const ret = yield* sys_ftruncate(k, fd, 0);
      return { page, ret, x };
    });
    expect(r.ret).toBe(0);
    expect(pte_at(t.mm!, r.x)).toBe(0);
    expect(m.inodes.get('/mnt/g')!.i_mapping.i_pages.size).toBe(0);
    expect(page_count(m, r.page)).toBe(1024); // only the pin keeps it
    runAs(m, t, function* (k) { unpin_user_page(k, r.page); return 0; });
    expect(page_count(m, r.page)).toBe(0);
  });

  it('tmpfs: ftruncate and punch hole drop the page cache', () => {
    const m = machine('v6.1');
    mount_fs(m, '/dev/shm', 'tmpfs');
    create_file(m, '/dev/shm/s', 4 * PAGE_SIZE);
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/dev/shm/s', O_RDWR);
      const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      for (let i = 0; i < 4; i++) yield* touch(k, x + i * PAGE_SIZE, true);
      const punch = yield* sys_fallocate(k, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE_SIZE, PAGE_SIZE);
      const afterPunch = [...m.inodes.get('/dev/shm/s')!.i_mapping.i_pages.keys()].sort();
      const tr = yield* sys_ftruncate(k, fd, 2 * PAGE_SIZE);
      return { x, punch, afterPunch, tr };
    });
    expect(r.punch).toBe(0);
    expect(r.afterPunch).toEqual([0, 2, 3]);
    expect(r.tr).toBe(0);
    expect([...m.inodes.get('/dev/shm/s')!.i_mapping.i_pages.keys()]).toEqual([0]);
    expect(pte_at(t.mm!, r.x + PAGE_SIZE)).toBe(0);
    expect(pte_at(t.mm!, r.x + 3 * PAGE_SIZE)).toBe(0);
    expect(pte_at(t.mm!, r.x)).not.toBe(0);
  });
});

describe('ZONE_DEVICE struct pages: PG_reserved from memmap init (5.4.1, 5.5-rc5, 5.6.4 memmap_init_zone_device; 6.1.192, 6.12.117 __init_zone_device_page)', () => {
  const ALL = ['v5.4', 'v5.5', 'v5.6', 'v6.1', 'v6.12'];
  for (const profile of ALL) {
    it(`${profile}: fs-DAX and device-DAX pages are PageReserved with refcount 1 once mapped; VFIO sees them as reserved`, () => {
      const m = machine(profile, {
        dma32: 16 * MiB, normal: 64 * MiB,
        pmem: [{ name: 'pmem0', size: 16 * MiB, mode: 'fsdax' }, { name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }],
      });
      mount_fs(m, '/mnt', 'ext4', { dax: 'pmem0' });
      create_file(m, '/mnt/f', 4 * PAGE_SIZE, (i) => `pmem:${i}`);
      devdax_create(m, '/dev/dax0.0', 'dax0.0', PAGE_SIZE);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, x, true);
        const dfd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
        const d = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, dfd, 0);
        yield* touch(k, d, true);
        return { fs: pte_pfn(pte_at(t.mm!, x)), dev: pte_pfn(pte_at(t.mm!, d)) };
      });
      for (const pfn of [r.fs, r.dev]) {
        expect(PageReserved(m, pfn)).toBe(true);
        expect(page_ref_count(m, pfn)).toBe(1);
        expect(is_invalid_reserved_pfn({ m } as Kctx, pfn)).toBe(true);
      }
      expect(is_fsdax_page(m, r.fs)).toBe(true);
    });
  }

  for (const profile of ['v5.4', 'v6.1']) {
    it(`${profile}: put_pfn() never drops a reference it finds on an fs-DAX page (reserved), so only the GUP caller's own release lets truncate go on`, () => {
      const m = daxMachine(profile);
      const t = task(m);
      const setup = runAs(m, t, function* (k) {
        const { fd, page } = yield* pinnedDaxFile(k, profile);
        return { fd, page };
      });
      const before = page_ref_count(m, setup.page);
      expect(before).toBeGreaterThan(1);
      // What VFIO's unmap would do with the pfn (drivers/vfio/vfio_iommu_type1.c put_pfn): nothing.
      expect(runAs(m, t, function* (k) { yield* point('test'); return put_pfn(k, setup.page, IOMMU_READ | IOMMU_WRITE); })).toBe(0);
      expect(page_ref_count(m, setup.page)).toBe(before);
      const { r } = run(m, [{ t, body: function* (k) { return yield* sys_ftruncate(k, setup.fd, 0); } }]);
      expect(r.status).toBe('deadlock');
    });
  }

  it('v5.4: the remote (non-long-term) VFIO pin of an fs-DAX page is refused and its reference dropped with put_page, not put_pfn: the page is idle again', () => {
    const m = daxMachine('v5.4');
    const owner = task(m);
    const x = runAs(m, owner, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, a, true);
      return a;
    });
    const pfn = pte_pfn(pte_at(owner.mm!, x));
    const other = task(m);
    const out = { v: -1 };
    const ret = runAs(m, other, function* (k) { return yield* vaddr_get_pfn(k, owner.mm!, x, IOMMU_READ | IOMMU_WRITE, out); });
    expect(ret).toBe(-EOPNOTSUPP);
    expect(m.events.some((e) => e.what === 'vfio-pin')).toBe(false);
    expect(page_ref_count(m, pfn)).toBe(1);
    expect(PageReserved(m, pfn)).toBe(true);
  });
});

/** A mount whose first file is `size` bytes: its blocks are the first of the 2 MiB-aligned region. */
function pmdMachine(profile: string, files: readonly { path: string; size: number }[] = [{ path: '/mnt/big', size: 4 * MiB }]): Machine {
  const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'pmem0', size: 16 * MiB, mode: 'fsdax' }] });
  mount_fs(m, '/mnt', 'ext4', { dax: 'pmem0' });
  for (const f of files) create_file(m, f.path, f.size, (i) => `${f.path}:${i}`);
  return m;
}

const FIX = 0x40000000; // 1 GiB: 2 MiB aligned

function* mapAt(k: Kctx, path: string, addr: number, len: number, flags: number, off = 0) {
  const fd = yield* sys_open(k, path, O_RDWR);
  return yield* sys_mmap(k, addr, len, RW, flags | (addr ? MAP_FIXED : 0), fd, off);
}

describe('fs-DAX PMD faults (dax_iomap_pmd_fault, 5.4.1 .. 6.12.117)', () => {
  for (const profile of ['v5.4', 'v5.5', 'v5.6', 'v6.1', 'v6.12']) {
    it(`${profile}: a fault in a 2 MiB-aligned, fully allocated block of a shared mapping maps one devmap PMD; writes make it writable`, () => {
      const m = pmdMachine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* mapAt(k, '/mnt/big', FIX, 4 * MiB, MAP_SHARED);
        const rd = yield* touch(k, a + PMD_SIZE + 5 * PAGE_SIZE, false);
        const w1 = pt_walk(t.mm!, a + PMD_SIZE);
        const wr = yield* touch(k, a + PMD_SIZE + 7 * PAGE_SIZE, true);
        return { a, rd, w1, wr, w2: pt_walk(t.mm!, a + PMD_SIZE) };
      });
      expect(r.rd & VM_FAULT_ERROR).toBe(0);
      expect(r.w1.level).toBe('pmd');
      expect(pte_devmap(r.w1.entry)).toBe(true);
      expect(pte_write(r.w1.entry)).toBe(false);
      const head = pte_pfn(r.w1.entry);
      expect(head % 512).toBe(0);
      expect(is_fsdax_page(m, head)).toBe(true);
      expect(page_content(m, head + 5)).toBe('/mnt/big:517');
      expect(pte_write(r.w2.entry)).toBe(true);
      // No page reference for the mapping; the 512 DAX entries are one PMD entry.
      expect(page_ref_count(m, head + 5)).toBe(1);
      const mapping = m.inodes.get('/mnt/big')!.i_mapping;
      expect([...mapping.dax_pmd_entries]).toEqual([512]);
      expect(mapping.nrpages).toBe(512);
      expect(m.reports.filter((x) => x.kind === 'unsupported')).toEqual([]);
    });
  }

  it('mmap without an address of a file of 2 MiB or more gets a 2 MiB-coloured address (thp_get_unmapped_area), so the first fault maps a PMD', () => {
    const m = pmdMachine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
      const a = yield* sys_mmap(k, 0, 2 * MiB, RW, MAP_SHARED, fd, 0);
      // From offset 4 KiB: only a length reaching a whole aligned 2 MiB block of the file is aligned.
      yield* sys_mmap(k, 0, 2 * MiB, RW, MAP_SHARED, fd, PAGE_SIZE);
      const b = yield* sys_mmap(k, 0, 4 * MiB - PAGE_SIZE, RW, MAP_SHARED, fd, PAGE_SIZE);
      yield* touch(k, a, false);
      return { a, b };
    });
    expect(r.a % PMD_SIZE).toBe(0);
    expect(r.b % PMD_SIZE).toBe(PAGE_SIZE); // address colour = file offset colour
    expect(pt_walk(t.mm!, r.a).level).toBe('pmd');
  });

  const fallbacks: readonly { desc: string; files?: readonly { path: string; size: number }[]; body: (k: Kctx) => Generator<never, number, unknown> | ReturnType<typeof mapAt> }[] = [
    { desc: 'address colour differs from the file offset colour', body: (k) => mapAt(k, '/mnt/big', FIX, 2 * MiB, MAP_SHARED, PAGE_SIZE) },
    { desc: 'the VMA does not cover the 2 MiB block', body: (k) => mapAt(k, '/mnt/big', FIX, 2 * MiB - PAGE_SIZE, MAP_SHARED) },
    { desc: 'i_size ends inside the 2 MiB block', files: [{ path: '/mnt/big', size: 2 * MiB - PAGE_SIZE }], body: (k) => mapAt(k, '/mnt/big', FIX, 2 * MiB, MAP_SHARED) },
    { desc: 'the blocks are not 2 MiB aligned on pmem', files: [{ path: '/mnt/small', size: PAGE_SIZE }, { path: '/mnt/big', size: 4 * MiB }], body: (k) => mapAt(k, '/mnt/big', FIX, 2 * MiB, MAP_SHARED) },
    {
      desc: 'MADV_NOHUGEPAGE', body: function* (k) {
        const a = yield* mapAt(k, '/mnt/big', FIX, 2 * MiB, MAP_SHARED);
        yield* sys_madvise(k, a, 2 * MiB, MADV_NOHUGEPAGE);
        return a;
      },
    },
    {
      desc: 'a 4 KiB DAX entry of the block exists (grab_mapping_entry)', body: function* (k) {
        const other = yield* mapAt(k, '/mnt/big', FIX + 8 * MiB, 2 * MiB, MAP_SHARED, PAGE_SIZE); // misaligned: PTE entries
        yield* touch(k, other, false);
        return yield* mapAt(k, '/mnt/big', FIX, 2 * MiB, MAP_SHARED);
      },
    },
  ];
  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    for (const fb of fallbacks) {
      it(`${profile}: falls back to a 4 KiB PTE when ${fb.desc}`, () => {
        const m = pmdMachine(profile, fb.files);
        const t = task(m);
        const r = runAs(m, t, function* (k) {
          const a = (yield* fb.body(k)) as number;
          return { a, ret: yield* touch(k, a + 3 * PAGE_SIZE, true) };
        });
        expect(r.ret & VM_FAULT_ERROR).toBe(0);
        const w = pt_walk(t.mm!, r.a + 3 * PAGE_SIZE);
        expect(w.level).toBe('pte');
        expect(pte_devmap(w.entry)).toBe(true);
        expect(m.reports.filter((x) => x.kind === 'unsupported')).toEqual([]);
      });
    }

    it(`${profile}: a private mapping maps a read-only PMD for reads; a write there drops the PMD and COWs one 4 KiB page`, () => {
      const m = pmdMachine(profile);
      const t = task(m);
      const a = runAs(m, t, function* (k) {
        const x = yield* mapAt(k, '/mnt/big', FIX, 2 * MiB, MAP_PRIVATE);
        yield* touch(k, x + PAGE_SIZE, false);
        expect(pt_walk(t.mm!, x).level).toBe('pmd');
        yield* touch(k, x + 9 * PAGE_SIZE, true);
        return x;
      });
      const cow = pt_walk(t.mm!, a + 9 * PAGE_SIZE);
      expect(cow.level).toBe('pte');
      expect(PageAnon(m, pte_pfn(cow.entry))).toBe(true);
      expect(page_content(m, pte_pfn(cow.entry))).toBe('/mnt/big:9');
      expect(pt_walk(t.mm!, a + PAGE_SIZE).entry).toBe(0); // the rest refaults
    });

    it(`${profile}: GUP through a devmap PMD references the 4 KiB page under the address; FOLL_LONGTERM is still refused; truncate waits for the pin`, () => {
      const m = pmdMachine(profile);
      const t = task(m);
      const setup = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
        const x = yield* sys_mmap(k, FIX, 2 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0);
        yield* touch(k, x, true);
        const mm = t.mm!;
        const lt: (number | null)[] = [null];
        yield* down_read(k, mm.mmap_lock, 'test');
        const nlt = profile === 'v5.4' ? yield* get_user_pages(k, x + 3 * PAGE_SIZE, 1, FOLL_WRITE | FOLL_LONGTERM, lt) : yield* pin_user_pages(k, x + 3 * PAGE_SIZE, 1, FOLL_WRITE | FOLL_LONGTERM, lt);
        up_read(k, mm.mmap_lock, 'test');
        const page = yield* shortPin(k, x + 3 * PAGE_SIZE, profile);
        return { fd, x, page, nlt };
      });
      expect(setup.nlt).toBe(-EOPNOTSUPP);
      const head = pte_pfn(pt_walk(t.mm!, setup.x).entry);
      expect(setup.page).toBe(head + 3);
      expect(page_ref_count(m, head + 3)).toBeGreaterThan(1);
      expect(page_ref_count(m, head)).toBe(1);
      const log: string[] = [];
      truncateWhilePinned(m, t, setup, profile, log);
      expect(pt_walk(t.mm!, setup.x).entry).toBe(0);
      expect(m.inodes.get('/mnt/big')!.i_mapping.dax_pmd_entries.size).toBe(0);
    });

    it(`${profile}: munmap of part of a PMD mapping splits it (zap): the rest of the VMA refaults as PTEs`, () => {
      const m = pmdMachine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const x = yield* mapAt(k, '/mnt/big', FIX, 2 * MiB, MAP_SHARED);
        yield* touch(k, x, false);
        const un = yield* sys_munmap(k, x + 1 * MiB, 1 * MiB);
        const gone = pt_walk(t.mm!, x).entry;
        const again = yield* touch(k, x + PAGE_SIZE, false);
        return { x, un, gone, again };
      });
      expect(r.un).toBe(0);
      expect(r.gone).toBe(0);
      expect(r.again & VM_FAULT_ERROR).toBe(0);
      expect(pt_walk(t.mm!, r.x + PAGE_SIZE).level).toBe('pte');
      expect(m.reports.filter((x) => x.kind === 'unsupported')).toEqual([]);
    });

    it(`${profile}: fork does not copy a DAX PMD (copy_huge_pmd skips non-anonymous VMAs), also in a private mapping with an anon_vma; the child refaults it`, () => {
      const m = pmdMachine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const x = yield* mapAt(k, '/mnt/big', FIX, 4 * MiB, MAP_PRIVATE);
        yield* touch(k, x + PAGE_SIZE, false); // PMD (read)
        yield* touch(k, x + PMD_SIZE + PAGE_SIZE, true); // 4 KiB COW: gives the VMA an anon_vma
        const pid = yield* sys_fork(k);
        return { x, pid };
      });
      expect(r.pid).toBeGreaterThan(0);
      const child = m.tasks.get(r.pid)!;
      expect(pt_walk(t.mm!, r.x).level).toBe('pmd');
      expect(pt_walk(child.mm!, r.x).entry).toBe(0);
      const cw = pt_walk(child.mm!, r.x + PMD_SIZE + PAGE_SIZE);
      expect(PageAnon(m, pte_pfn(cw.entry))).toBe(true);
      const again = runAs(m, child, function* (k) { return yield* touch(k, r.x + 2 * PAGE_SIZE, false); });
      expect(again & VM_FAULT_ERROR).toBe(0);
      expect(pt_walk(child.mm!, r.x).level).toBe('pmd');
      expect(m.reports.filter((x) => x.kind === 'unsupported')).toEqual([]);
    });
  }

  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: a PMD read fault over a whole 2 MiB hole maps the huge zero page (dax_pmd_load_hole); a shared write then maps the file's blocks`, () => {
      const m = pmdMachine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
        yield* sys_ftruncate(k, fd, 8 * MiB); // [4 MiB, 8 MiB) is a hole
        const x = yield* sys_mmap(k, FIX, 8 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0);
        yield* touch(k, x + 5 * MiB, false);
        yield* touch(k, x + 6 * MiB + PAGE_SIZE, false);
        const first = pt_walk(t.mm!, x + 4 * MiB).entry;
        const second = pt_walk(t.mm!, x + 6 * MiB).entry;
        yield* touch(k, x + 4 * MiB + 3 * PAGE_SIZE, true);
        return { x, first, second };
      });
      expect(m.reports.filter((x) => x.kind === 'unsupported')).toEqual([]);
      const zero = m.mem.huge_zero_pfn;
      expect(zero).toBeGreaterThan(0);
      // Both holes map the one huge zero folio, read-only, with a plain (not devmap) PMD.
      expect(pte_pfn(r.first)).toBe(zero);
      expect(pte_pfn(r.second)).toBe(zero);
      expect(pte_write(r.first)).toBe(false);
      expect(pte_devmap(r.first)).toBe(false);
      expect(folio_order(m, zero)).toBe(9);
      expect(page_count(m, zero)).toBe(1); // mappings take no reference
      // The shared write replaced the zero PMD of [4 MiB, 6 MiB) by the file's new blocks.
      const w = pt_walk(t.mm!, r.x + 4 * MiB);
      expect(w.level).toBe('pmd');
      expect(pte_devmap(w.entry)).toBe(true);
      expect(pte_write(w.entry)).toBe(true);
      expect(pte_pfn(pt_walk(t.mm!, r.x + 6 * MiB).entry)).toBe(zero);
      expect(m.inodes.get('/mnt/big')!.dax_blocks.size).toBe(1024 + 512);
    });
  }

  it('a private write over a huge zero PMD of a DAX hole zaps it and copies one 4 KiB page (do_cow_fault)', () => {
    const m = pmdMachine('v6.12');
    const t = task(m);
    const x = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
      yield* sys_ftruncate(k, fd, 8 * MiB);
      const a = yield* sys_mmap(k, FIX, 8 * MiB, RW, MAP_PRIVATE | MAP_FIXED, fd, 0);
      yield* touch(k, a + 4 * MiB, false);
      yield* touch(k, a + 4 * MiB + PAGE_SIZE, true);
      return a;
    });
    expect(m.reports.filter((x) => x.kind === 'unsupported')).toEqual([]);
    const w = pt_walk(t.mm!, x + 4 * MiB + PAGE_SIZE);
    expect(w.level).toBe('pte');
    expect(pte_write(w.entry)).toBe(true);
    expect(pte_pfn(w.entry)).not.toBe(m.mem.huge_zero_pfn);
    expect(pt_walk(t.mm!, x + 4 * MiB).entry).toBe(0); // the rest refaults
    expect(m.inodes.get('/mnt/big')!.dax_blocks.size).toBe(1024);
  });

  it('a shared write PMD fault over a 2 MiB hole allocates the blocks and maps a PMD when they are contiguous and aligned', () => {
    const m = pmdMachine('v6.12');
    const t = task(m);
    const x = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
      yield* sys_ftruncate(k, fd, 6 * MiB);
      const a = yield* sys_mmap(k, FIX, 6 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0);
      yield* touch(k, a + 4 * MiB + PAGE_SIZE, true);
      return a;
    });
    const w = pt_walk(t.mm!, x + 4 * MiB);
    expect(w.level).toBe('pmd');
    expect(pte_write(w.entry)).toBe(true);
    expect(page_content(m, pte_pfn(w.entry))).toBe('');
    expect(m.inodes.get('/mnt/big')!.dax_blocks.size).toBe(1536);
  });
});

describe('device-DAX pages per release: order 0 (5.4.1 .. 5.6.4), compound with align > 4 KiB from 14606001efb4 (6.1.192, 6.12.117)', () => {
  for (const profile of ['v5.4', 'v5.5', 'v5.6', 'v6.1', 'v6.12', 'v6.1-devdax-compound-pages']) {
    const compound = profile === 'v6.1' || profile === 'v6.12';
    it(`${profile}: a 2 MiB-aligned device is ${compound ? 'one order-9 folio per 2 MiB; pins of subpages go to the folio' : 'order-0 pages; each pin is its own'}`, () => {
      const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }] });
      devdax_create(m, '/dev/dax0.0', 'dax0.0', PMD_SIZE);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
        const a = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, a + PMD_SIZE + 3 * PAGE_SIZE, true);
        const pages: (number | null)[] = [null, null];
        const mm = t.mm!;
        yield* down_read(k, mm.mmap_lock, 'test');
        const n = profile.startsWith('v5.4') || profile.startsWith('v5.5')
          ? yield* get_user_pages(k, a + PMD_SIZE + 3 * PAGE_SIZE, 2, FOLL_WRITE | FOLL_LONGTERM, pages)
          : yield* pin_user_pages(k, a + PMD_SIZE + 3 * PAGE_SIZE, 2, FOLL_WRITE | FOLL_LONGTERM, pages);
        up_read(k, mm.mmap_lock, 'test');
        return { a, n, pages };
      });
      expect(r.n).toBe(2);
      const w = pt_walk(t.mm!, r.a + PMD_SIZE);
      expect(w.level).toBe('pmd');
      const head = pte_pfn(w.entry);
      const p3 = head + 3;
      expect(r.pages).toEqual([p3, p3 + 1]);
      for (const p of [head, p3, head + 511]) expect(PageReserved(m, p)).toBe(true);
      if (compound) {
        expect(folio_order(m, p3)).toBe(9);
        expect(compound_head(m, p3)).toBe(head);
        expect(page_ref_count(m, p3)).toBe(0); // a tail's own count
        expect(page_count(m, p3)).toBe(3); // the folio: 1 idle + 2 pins
        expect(folio_pincount(m, head)).toBe(2);
      } else {
        expect(folio_order(m, p3)).toBe(0);
        expect(page_ref_count(m, head)).toBe(1);
        // 5.4 / 5.5: get_user_pages (a reference); 5.6: FOLL_PIN is a plain reference too;
        // 6.1 without compound pages: GUP_PIN_COUNTING_BIAS.
        expect(page_ref_count(m, p3)).toBe(profile.startsWith('v6') ? 1025 : 2);
      }
    });
  }

  it('v6.1: a device with 4 KiB alignment keeps order-0 pages (vmemmap_shift stays 0)', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }] });
    devdax_create(m, '/dev/dax0.0', 'dax0.0', PAGE_SIZE);
    const t = task(m);
    const a = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
      const x = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, x, true);
      return x;
    });
    const p = pte_pfn(pte_at(t.mm!, a));
    expect(folio_order(m, p)).toBe(0);
    expect(PageReserved(m, p)).toBe(true);
  });
});

describe('device-DAX ->may_split (5.4.1 dev_dax_split, 6.1.192 / 6.12.117 dev_dax_may_split)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: munmap / mprotect may cut a device-DAX VMA only at a multiple of its alignment`, () => {
      const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }, { name: 'dax1.0', size: 16 * MiB, mode: 'devdax' }] });
      devdax_create(m, '/dev/dax0.0', 'dax0.0', PMD_SIZE);
      devdax_create(m, '/dev/dax1.0', 'dax1.0', PAGE_SIZE);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
        const a = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, a, true);
        const bad = yield* sys_munmap(k, a + PAGE_SIZE, PAGE_SIZE);
        const badprot = yield* sys_mprotect(k, a, PAGE_SIZE, PROT_READ);
        const still = pt_walk(t.mm!, a).level;
        const good = yield* sys_munmap(k, a + PMD_SIZE, PMD_SIZE);
        const fd1 = yield* sys_open(k, '/dev/dax1.0', O_RDWR);
        const b = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd1, 0);
        const small = yield* sys_munmap(k, b + PAGE_SIZE, PAGE_SIZE);
        return { bad, badprot, still, good, small };
      });
      expect(r).toEqual({ bad: -EINVAL, badprot: -EINVAL, still: 'pmd', good: 0, small: 0 });
    });
  }
});

describe('GUP-fast over a devmap PMD (__gup_device_huge_pmd: one grab per page)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: fs-DAX: each 4 KiB page under the PMD gets one reference; FOLL_LONGTERM leaves the fast path and is refused`, () => {
      const m = pmdMachine(profile, [{ path: '/mnt/big', size: 2 * MiB }]);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
        const a = yield* sys_mmap(k, 0, 2 * MiB, RW, MAP_SHARED, fd, 0);
        yield* touch(k, a, true);
        const pages: (number | null)[] = [null, null, null, null];
        const n = yield* get_user_pages_fast(k, a + PAGE_SIZE, 4, FOLL_WRITE, pages);
        const lt = profile === 'v5.4'
          ? yield* get_user_pages_fast(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, [null])
          : yield* pin_user_pages_fast(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, [null]);
        return { a, n, pages, lt };
      });
      const head = pte_pfn(pt_walk(t.mm!, r.a).entry);
      expect(pt_walk(t.mm!, r.a).level).toBe('pmd');
      expect(r.n).toBe(4);
      expect(r.pages).toEqual([head + 1, head + 2, head + 3, head + 4]);
      expect([0, 1, 2, 3, 4, 5].map((i) => page_ref_count(m, head + i))).toEqual([1, 2, 2, 2, 2, 1]);
      expect(r.lt).toBe(-EOPNOTSUPP);
    });
  }

  for (const profile of ['v5.4', 'v6.1']) {
    it(`${profile}: device-DAX 2 MiB: the references go to ${profile === 'v5.4' ? 'each order-0 page' : 'the compound folio'}`, () => {
      const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }] });
      devdax_create(m, '/dev/dax0.0', 'dax0.0', PMD_SIZE);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
        const a = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, a, true);
        const n = yield* get_user_pages_fast(k, a + PAGE_SIZE, 4, FOLL_WRITE, [null, null, null, null]);
        return { a, n };
      });
      const head = pte_pfn(pt_walk(t.mm!, r.a).entry);
      expect(r.n).toBe(4);
      if (profile === 'v5.4') expect([0, 1, 2, 3, 4, 5].map((i) => page_ref_count(m, head + i))).toEqual([1, 2, 2, 2, 2, 1]);
      else expect(page_count(m, head + 3)).toBe(5);
    });
  }
});

/**
 * A thread holds `page` pinned for a few steps while another truncates the file to 0 (round
 * robin); returns the order of the unpin and the truncate's start and end.
 */
function truncateRacingUnpin(m: Machine, t: ReturnType<typeof task>, fd: number, page: number): string[] {
  const log: string[] = [];
  const { r, results } = run(m, [
    { t, body: function* (k) {
      for (let i = 0; i < 3; i++) yield* point('test:dma-in-flight');
      log.push('unpin');
      unpin_user_page(k, page);
      return 0;
    } },
    { t, body: function* (k) {
      log.push('truncate');
      const ret = yield* sys_ftruncate(k, fd, 0);
      log.push('truncated');
      return ret;
    } },
  ], new RoundRobinChooser());
  expect(r.status).toBe('done');
  expect(results[1]).toBe(0);
  return log;
}

describe('fs-DAX and device-DAX as refcounted folios (v6.18: 38607c62b34b, aed877c2b425, e5cb23256347, cee91fa13a8e, bde708f1a65d)', () => {
  it('v6.18: a PTE fault maps a plain PTE holding a folio reference and a map count; the zap drops both and keeps ->mapping', () => {
    const m = daxMachine('v6.18');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      const rd = yield* touch(k, x, false);
      const ro = pte_at(t.mm!, x);
      yield* touch(k, x, true);
      return { x, rd, ro, rw: pte_at(t.mm!, x) };
    });
    expect(r.rd & VM_FAULT_ERROR).toBe(0);
    expect(pte_devmap(r.ro) || pte_special(r.ro)).toBe(false);
    expect(pte_write(r.ro)).toBe(false); // write-notify: the shared DAX VMA maps read-only first
    expect(pte_write(r.rw)).toBe(true); // ->page_mkwrite (the DAX fault) made the same PTE writable
    const p = pte_pfn(r.ro);
    expect(pte_pfn(r.rw)).toBe(p);
    expect(page_ref_count(m, p)).toBe(1);
    expect(folio_mapcount(m, p)).toBe(1);
    expect(page_content(m, p)).toBe('pmem:0');
    const mapping = m.inodes.get('/mnt/f')!.i_mapping;
    expect(m.mem.s_mapping[m.mem.slot_of(p)]).toBe(mapping.id);
    runAs(m, t, function* (k) { return yield* sys_munmap(k, r.x, 4 * PAGE_SIZE); });
    expect(page_ref_count(m, p)).toBe(0); // idle again
    expect(folio_mapcount(m, p)).toBe(0);
    expect(m.mem.s_mapping[m.mem.slot_of(p)]).toBe(mapping.id); // only dax_folio_put clears it
    expect(m.reports.filter((x) => x.kind === 'unsupported' || x.kind === 'bug')).toEqual([]);
  });

  it('v6.18: a PMD entry is one order-9 folio; a layout break splits it back into idle order-0 pages that keep their data', () => {
    const m = pmdMachine('v6.18');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
      const x = yield* sys_mmap(k, FIX, 2 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0);
      const f = yield* touch(k, x + 5 * PAGE_SIZE, false);
      return { fd, x, f, w: pt_walk(t.mm!, x) };
    });
    expect(r.f & VM_FAULT_ERROR).toBe(0);
    expect(r.w.level).toBe('pmd');
    expect(pte_devmap(r.w.entry) || pte_special(r.w.entry)).toBe(false);
    const head = pte_pfn(r.w.entry);
    expect(folio_order(m, head + 5)).toBe(9);
    expect(page_count(m, head + 5)).toBe(1); // the PMD mapping's reference, on the folio
    expect(folio_mapcount(m, head)).toBe(1);
    expect(page_content(m, head + 5)).toBe('/mnt/big:5');
    expect(runAs(m, t, function* (k) { return yield* sys_ftruncate(k, r.fd, 4 * MiB); })).toBe(0);
    expect(pt_walk(t.mm!, r.x).entry).toBe(0); // the break unmapped it ...
    const mapping = m.inodes.get('/mnt/big')!.i_mapping;
    expect(mapping.nrpages).toBe(0); // ... and removed every entry (bde708f1a65d)
    expect(mapping.dax_pmd_entries.size).toBe(0);
    for (const i of [0, 5, 511]) {
      expect(folio_order(m, head + i)).toBe(0);
      expect(page_ref_count(m, head + i)).toBe(0);
      expect(page_content(m, head + i)).toBe(`/mnt/big:${i}`);
    }
    expect(m.reports.filter((x) => x.kind === 'unsupported' || x.kind === 'bug' || x.kind === 'warn')).toEqual([]);
  });

  it('v6.18: a FOLL_PIN of one page of a PMD pins the folio (refcount +1, pincount +1); truncate waits for the unpin', () => {
    const m = pmdMachine('v6.18');
    const t = task(m);
    const s = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
      const x = yield* sys_mmap(k, FIX, 2 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0);
      yield* touch(k, x, true);
      const page = yield* shortPin(k, x + 3 * PAGE_SIZE, 'v6.18');
      const mm = t.mm!;
      yield* down_read(k, mm.mmap_lock, 'test');
      const lt = yield* pin_user_pages(k, x + 3 * PAGE_SIZE, 1, FOLL_WRITE | FOLL_LONGTERM, [null]);
      up_read(k, mm.mmap_lock, 'test');
      return { fd, x, page, lt };
    });
    expect(s.lt).toBe(-EOPNOTSUPP);
    const head = pte_pfn(pt_walk(t.mm!, s.x).entry);
    expect(page_count(m, head)).toBe(2);
    expect(folio_pincount(m, head)).toBe(1);
    expect(truncateRacingUnpin(m, t, s.fd, s.page)).toEqual(['truncate', 'unpin', 'truncated']);
    expect(folio_order(m, head)).toBe(0);
    expect(page_ref_count(m, head + 3)).toBe(0);
    expect(m.reports.filter((x) => x.kind === 'bug' || x.kind === 'warn')).toEqual([]);
  });

  for (const profile of ['v6.18', 'v6.18-gup-fsdax-longterm-unpinnable', 'v6.12']) {
    const pins = profile === 'v6.18-gup-fsdax-longterm-unpinnable';
    it(`${profile}: a long-term pin_user_pages_fast over a writable fs-DAX PTE ${pins ? 'is taken by the fast path' : 'is refused (-EOPNOTSUPP from the slow path)'}`, () => {
      const m = daxMachine(profile);
      const t = task(m);
      const n = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        // Writable: over a read-only PTE gup_must_unshare() sends a long-term pin of a file
        // page to the slow path in every release.
        yield* touch(k, x, true);
        return yield* pin_user_pages_fast(k, x, 1, FOLL_LONGTERM, [null]);
      });
      expect(n).toBe(pins ? 1 : -EOPNOTSUPP);
    });
  }

  for (const profile of ['v6.12', 'v6.18']) {
    it(`${profile}: with a pin left after munmap, the truncate of the unmapped file ${profile === 'v6.18' ? 'waits for it (cee91fa13a8e)' : 'does not wait'}`, () => {
      const m = daxMachine(profile);
      const t = task(m);
      const s = runAs(m, t, function* (k) {
        const { fd, x, page } = yield* pinnedDaxFile(k, profile);
        yield* sys_munmap(k, x, 4 * PAGE_SIZE);
        return { fd, page };
      });
      expect(truncateRacingUnpin(m, t, s.fd, s.page)).toEqual(profile === 'v6.18' ? ['truncate', 'unpin', 'truncated'] : ['truncate', 'truncated', 'unpin']);
    });
  }

  it('v6.18: a device-DAX 2 MiB fault maps the folio with a reference (refcount 2: idle 1 + the PMD); munmap gives it back to 1', () => {
    const m = machine('v6.18', { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }] });
    devdax_create(m, '/dev/dax0.0', 'dax0.0', PMD_SIZE);
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
      const a = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_SHARED, fd, 0);
      const f = yield* touch(k, a + 3 * PAGE_SIZE, true);
      return { a, f, w: pt_walk(t.mm!, a) };
    });
    expect(r.f & VM_FAULT_ERROR).toBe(0);
    expect(r.w.level).toBe('pmd');
    expect(pte_devmap(r.w.entry) || pte_special(r.w.entry)).toBe(false);
    const head = pte_pfn(r.w.entry);
    expect(page_count(m, head + 3)).toBe(2);
    expect(folio_mapcount(m, head)).toBe(1);
    runAs(m, t, function* (k) { return yield* sys_munmap(k, r.a, PMD_SIZE); });
    expect(page_count(m, head)).toBe(1);
    expect(folio_mapcount(m, head)).toBe(0);
    expect(m.reports.filter((x) => x.kind === 'unsupported' || x.kind === 'bug')).toEqual([]);
  });
});

describe('a shared write over the zero page of an fs-DAX hole (->pfn_mkwrite: the DAX fault maps a block in its place)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12', 'v6.18']) {
    it(`${profile}: the read maps the zero page; the write allocates a pmem block and maps it writable; the zero page keeps no data`, () => {
      const m = daxMachine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        yield* sys_ftruncate(k, fd, 8 * PAGE_SIZE); // pages 4-7 are a hole
        const x = yield* sys_mmap(k, 0, 8 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, x + 6 * PAGE_SIZE, false);
        const ro = pte_at(t.mm!, x + 6 * PAGE_SIZE);
        const w = yield* touch(k, x + 6 * PAGE_SIZE, true);
        return { x, ro, w, rw: pte_at(t.mm!, x + 6 * PAGE_SIZE) };
      });
      expect(pte_pfn(r.ro)).toBe(m.mem.zero_pfn);
      expect(r.w & VM_FAULT_ERROR).toBe(0);
      expect(pte_pfn(r.rw)).not.toBe(m.mem.zero_pfn);
      expect(is_fsdax_page(m, pte_pfn(r.rw))).toBe(true);
      expect(pte_write(r.rw)).toBe(true);
      expect(m.inodes.get('/mnt/f')!.dax_blocks.get(6)).toBe(pte_pfn(r.rw));
    });
  }
});

describe('dax_folio_put() of a PMD folio still referenced (6.18.26 fs/dax.c: WARN, the head page keeps its count)', () => {
  it('v6.18-dax-busy-page-unmapped: the truncate WARNs, page 0 keeps the GUP reference, and its put_page() frees it cleanly', () => {
    // 6.18.26 dax_folio_put(): folio_reset_order(), then for each page clear the compound head and
    // WARN_ON_ONCE(folio_ref_count(new_folio)); nothing resets a count, so page 0 (the old head) keeps
    // the folio's references and a put_page() on it afterwards drops its last one.
    const m = pmdMachine('v6.18-dax-busy-page-unmapped');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/big', O_RDWR);
      const x = yield* sys_mmap(k, FIX, 2 * MiB, RW, MAP_SHARED | MAP_FIXED, fd, 0);
      yield* touch(k, x, true);
      const mm = get_current(k).mm as mm_struct;
      const pages: (number | null)[] = [null];
      yield* down_read(k, mm.mmap_lock, 'test:gup');
      const n = yield* get_user_pages(k, x, 1, FOLL_WRITE, pages);
      up_read(k, mm.mmap_lock, 'test:gup');
      yield* sys_munmap(k, x, 2 * MiB);
      const t0 = yield* sys_ftruncate(k, fd, 0);
      return { n, page: pages[0] as number, t0 };
    });
    expect(r.n).toBe(1);
    expect(r.t0).toBe(0);
    expect(m.reports.filter((x) => x.kind === 'warn').map((x) => x.site)).toContain('fs/dax.c:dax_folio_put');
    expect(folio_order(m, r.page)).toBe(0);
    expect(page_ref_count(m, r.page)).toBe(1);
    put_page(m, r.page);
    expect(page_ref_count(m, r.page)).toBe(0);
    expect(m.reports.filter((x) => x.kind === 'bug')).toEqual([]);
  });
});
