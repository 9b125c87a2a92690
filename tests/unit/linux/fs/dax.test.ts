import { describe, expect, it } from 'vitest';
import { MiB, RoundRobinChooser, machine, run, runAs, task } from '../mm/harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { Machine } from '../../../../src/linux/machine.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_devmap, pte_pfn, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, is_fsdax_page, page_content, page_count, page_ref_count, pte_at, vma_lookup, PageAnon, PageReserved,
} from '../../../../src/linux/include/linux/mm.js';
import { is_invalid_reserved_pfn, put_pfn, vaddr_get_pfn } from '../../../../src/linux/drivers/vfio/vfio_iommu_type1.js';
import { IOMMU_READ, IOMMU_WRITE } from '../../../../src/linux/drivers/iommu/iommu.js';
import { devdax_create } from '../../../../src/linux/drivers/dax/device.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_fallocate, sys_ftruncate, sys_mmap, sys_munmap, sys_open } from '../../../../src/linux/syscalls.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_SYNC, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
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

describe('truncate of an fs-DAX file (dax_layout_busy_page)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: blocks while a page is pinned and completes after the unpin`, () => {
      const m = daxMachine(profile);
      const t = task(m);
      const log: string[] = [];
      const setup = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, x, true);
        const page = yield* shortPin(k, x, profile);
        return { fd, x, page };
      });
      expect(page_ref_count(m, setup.page)).toBeGreaterThan(1);
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
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, x, true);
      yield* shortPin(k, x, 'v6.1');
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
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, x, true);
      yield* shortPin(k, x, 'v6.1');
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

  it('dax_layout_busy_page ignores pins once nothing maps the file: the block is freed under the pin', () => {
    const m = daxMachine('v6.1');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
      yield* touch(k, x, true);
      const page = yield* shortPin(k, x, 'v6.1');
      yield* sys_munmap(k, x, 4 * PAGE_SIZE);
      const ret = yield* sys_ftruncate(k, fd, 0);
      return { page, ret };
    });
    expect(r.ret).toBe(0);
    expect(page_count(m, r.page)).toBeGreaterThan(1); // still pinned ...
    expect(m.events.some((e) => e.what === 'dax-block-free' && e.objects[0] === `pfn:${r.page}`)).toBe(true); // ... but freed by the fs
  });

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
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const x = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        yield* touch(k, x, true);
        const page = yield* shortPin(k, x, profile);
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
