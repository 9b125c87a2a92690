/**
 * Backing × operation matrix in the style of tools/testing/selftests/mm/gup_longterm.c:
 * a const table of backings (how to get a mapping) and a const table of operations
 * (what to do with it), each result checked against an oracle written from the
 * release's source. Every
 * combination runs: a case the model cannot do must fail loudly, never be skipped.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../src/sched/index.js';
import { GiB, MiB, machine, runAs, task } from '../unit/linux/mm/harness.js';
import type { Kctx } from '../../src/linux/kctx.js';
import type { Machine } from '../../src/linux/machine.js';
import type { mm_struct } from '../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, pte_pfn, pte_write, pte_present } from '../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, VM_FAULT_ERROR, pt_walk, vma_lookup, page_content, set_page_content, pfn_valid, page_ref_count } from '../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../src/linux/mm/memory.js';
import { get_current } from '../../src/linux/include/linux/sched.js';
import { sys_ftruncate, sys_madvise, sys_memfd_create, sys_mmap, sys_munmap, sys_open, sys_fork } from '../../src/linux/syscalls.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_HUGETLB, MAP_HUGE_1GB, MAP_PRIVATE, MAP_SHARED, MFD_HUGETLB, PROT_READ, PROT_WRITE } from '../../src/linux/include/uapi/asm-generic/mman.js';
import { EFAULT, EOPNOTSUPP } from '../../src/linux/include/uapi/linux/errno.js';
import { down_read, up_read } from '../../src/linux/kernel/locking/rwsem.js';
import { hugetlb_pool_grow } from '../../src/linux/mm/hugetlb.js';
import type { file_operations } from '../../src/linux/include/linux/fs.js';
import { O_RDWR } from '../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../src/linux/fs/libfs.js';
import { chrdev_create } from '../../src/linux/fs/chrdev.js';
import { devdax_create } from '../../src/linux/drivers/dax/device.js';
import { remap_pfn_range, vma_page_prot } from '../../src/linux/mm/memory.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../src/linux/include/linux/foll.js';
import { get_user_pages, pin_user_pages, unpin_user_page, put_user_page } from '../../src/linux/mm/gup.js';
import { is_invalid_reserved_pfn } from '../../src/linux/drivers/vfio/vfio_iommu_type1.js';

const RW = PROT_READ | PROT_WRITE;
const PROFILES = ['v5.4', 'v6.1', 'v6.12'] as const;
type Profile = (typeof PROFILES)[number];

interface Backing {
  readonly desc: string;
  /** Bytes mapped (the operations touch the first page). */
  readonly size: number;
  /** Set-up outside any thread (mounts, files, devices). */
  readonly prepare?: (m: Machine) => void;
  /** Map it as the task; returns the address. */
  readonly map: (k: Kctx) => KThread<number>;
  /** The mapping has no struct pages (PFNMAP). */
  readonly pfnmap?: boolean;
  /** Long-term pin oracle (§3.1): 'ok' or the errno. */
  readonly longterm: (p: Profile) => 'ok' | number;
  /**
   * VFIO's is_invalid_reserved_pfn() for the faulted page: ZONE_DEVICE pages are PageReserved
   * from memmap init in every release (5.4.1 memmap_init_zone_device, 6.x __init_zone_device_page),
   * a BAR pfn has no struct page; RAM pages are neither.
   */
  readonly reserved?: true;
  /** The first fault maps a PMD leaf (THP, device-DAX with 2 MiB align, fs-DAX over an aligned 2 MiB extent). */
  readonly pmd?: true;
  /**
   * A write after a read still finds a PMD leaf. Anon THP: the read maps the huge zero page;
   * the write then maps a fresh THP on 5.4–5.6, and from 3917c80280c9 (v5.8) splits the zero
   * PMD and copies one 4 KiB page. Default: `pmd`.
   */
  readonly pmdAfterReadWrite?: (p: Profile) => boolean;
}

const bar: file_operations = {
  owner: 'testbar',
  *mmap(k, f, vma) {
    void f;
    const r = k.m.mem.regions.find((x) => x.name === 'bar0')!;
    return remap_pfn_range(k, vma, vma.vm_start, r.start_pfn, vma.vm_end - vma.vm_start, vma_page_prot(vma) | 0x2);
  },
};

function* openMap(k: Kctx, path: string, size: number, flags: number): KThread<number> {
  const fd = yield* sys_open(k, path, O_RDWR);
  return yield* sys_mmap(k, 0, size, RW, flags, fd, 0);
}

const BACKINGS: readonly Backing[] = [
  { desc: 'anon private', size: PAGE_SIZE, map: (k) => sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), longterm: () => 'ok' },
  { desc: 'anon shared', size: PAGE_SIZE, map: (k) => sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0), longterm: () => 'ok' },
  {
    desc: 'THP (anon, order 9, MADV_HUGEPAGE)', size: PMD_SIZE, pmd: true, pmdAfterReadWrite: (p) => p === 'v5.4',
    map: function* (k) {
      // Over-map and align to 2 MiB, as THP users do.
      const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      const a = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
      yield* sys_madvise(k, a, PMD_SIZE, MADV_HUGEPAGE);
      return a;
    },
    longterm: () => 'ok',
  },
  {
    desc: 'hugetlb 2 MiB', size: PMD_SIZE,
    map: function* (k) { hugetlb_pool_grow(k, 9, 2); return yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0); },
    longterm: () => 'ok',
  },
  {
    desc: 'hugetlb 1 GiB', size: PUD_SIZE,
    map: function* (k) { hugetlb_pool_grow(k, 18, 1); return yield* sys_mmap(k, 0, PUD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0); },
    longterm: () => 'ok',
  },
  {
    desc: 'memfd', size: PAGE_SIZE,
    map: function* (k) {
      const fd = yield* sys_memfd_create(k, 'm', 0);
      yield* sys_ftruncate(k, fd, PAGE_SIZE);
      return yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, fd, 0);
    },
    longterm: () => 'ok',
  },
  {
    desc: 'memfd hugetlb', size: PMD_SIZE,
    map: function* (k) {
      hugetlb_pool_grow(k, 9, 2);
      const fd = yield* sys_memfd_create(k, 'h', MFD_HUGETLB);
      yield* sys_ftruncate(k, fd, PMD_SIZE);
      return yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_SHARED, fd, 0);
    },
    longterm: () => 'ok',
  },
  {
    desc: 'tmpfs', size: PAGE_SIZE,
    prepare: (m) => { mount_fs(m, '/tmp', 'tmpfs'); create_file(m, '/tmp/t', PAGE_SIZE); },
    map: (k) => openMap(k, '/tmp/t', PAGE_SIZE, MAP_SHARED), longterm: () => 'ok',
  },
  {
    desc: 'ext4 page cache, shared', size: PAGE_SIZE,
    prepare: (m) => { mount_fs(m, '/mnt', 'ext4'); create_file(m, '/mnt/f', PAGE_SIZE, () => 'disk'); },
    map: (k) => openMap(k, '/mnt/f', PAGE_SIZE, MAP_SHARED),
    // 6.5+ (in 6.12): writable long-term pins of dirty-tracked shared file mappings are refused.
    longterm: (p) => (p === 'v6.12' ? -EFAULT : 'ok'),
  },
  {
    desc: 'ext4 page cache, private', size: PAGE_SIZE,
    prepare: (m) => { mount_fs(m, '/mnt', 'ext4'); create_file(m, '/mnt/f', PAGE_SIZE, () => 'disk'); },
    map: (k) => openMap(k, '/mnt/f', PAGE_SIZE, MAP_PRIVATE), longterm: () => 'ok',
  },
  {
    desc: 'fs-DAX (ext4 -o dax)', size: PAGE_SIZE,
    prepare: (m) => { mount_fs(m, '/pmem', 'ext4', { dax: 'pmem0' }); create_file(m, '/pmem/f', PAGE_SIZE, () => 'pmem'); },
    map: (k) => openMap(k, '/pmem/f', PAGE_SIZE, MAP_SHARED), longterm: () => -EOPNOTSUPP, reserved: true,
  },
  {
    // dax_iomap_pmd_fault: the file's blocks are the first 2 MiB of the region (aligned), and
    // thp_get_unmapped_area gives the mapping a 2 MiB-aligned address.
    desc: 'fs-DAX 2 MiB file (PMD mapping)', size: PMD_SIZE,
    prepare: (m) => { mount_fs(m, '/pmem', 'ext4', { dax: 'pmem0' }); create_file(m, '/pmem/h', PMD_SIZE, (i) => `pmem:${i}`); },
    map: (k) => openMap(k, '/pmem/h', PMD_SIZE, MAP_SHARED), longterm: () => -EOPNOTSUPP, reserved: true, pmd: true,
  },
  {
    desc: 'device-DAX (/dev/dax0.0, 2 MiB align)', size: PMD_SIZE,
    prepare: (m) => { devdax_create(m, '/dev/dax0.0', 'dax0.0'); },
    map: (k) => openMap(k, '/dev/dax0.0', PMD_SIZE, MAP_SHARED), longterm: () => 'ok', reserved: true, pmd: true,
  },
  {
    desc: 'PFNMAP (device BAR)', size: PAGE_SIZE, pfnmap: true,
    prepare: (m) => { chrdev_create(m, '/dev/bar', bar); },
    map: (k) => openMap(k, '/dev/bar', PAGE_SIZE, MAP_SHARED), longterm: () => -EFAULT, reserved: true,
  },
];

function world(profile: Profile): Machine {
  return machine(profile, {
    dma32: 64 * MiB, normal: 2 * GiB,
    pmem: [{ name: 'pmem0', size: 16 * MiB, mode: 'fsdax' }, { name: 'dax0.0', size: 16 * MiB, mode: 'devdax' }],
    bars: [{ name: 'bar0', size: 1 * MiB }],
  });
}

function* fault(k: Kctx, addr: number, write: boolean): KThread<number> {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'table');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, write ? FAULT_FLAG_WRITE : 0);
  up_read(k, mm.mmap_lock, 'table');
  return r;
}

interface Op {
  readonly key: string;
  readonly desc: string;
  readonly run: (m: Machine, b: Backing, p: Profile) => void;
}

const OPS: readonly Op[] = [
  {
    key: 'fault',
    desc: 'read then write fault maps the page writable',
    run: (m, b, p) => {
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* b.map(k);
        const rd = yield* fault(k, a, false);
        const wr = yield* fault(k, a, true);
        return { a, rd, wr };
      });
      expect(r.rd & VM_FAULT_ERROR).toBe(0);
      expect(r.wr & VM_FAULT_ERROR).toBe(0);
      const w = pt_walk(t.mm!, r.a);
      expect(pte_present(w.entry)).toBe(true);
      if (b.pmdAfterReadWrite) expect(w.level, 'PMD leaf after read + write').toBe(b.pmdAfterReadWrite(p) ? 'pmd' : 'pte');
      else if (b.pmd) expect(w.level).toBe('pmd');
      expect(pte_write(w.entry)).toBe(true);
      expect(m.reports.filter((x) => x.kind !== 'warn')).toEqual([]);
    },
  },
  {
    key: 'pin',
    desc: 'FOLL_LONGTERM | FOLL_WRITE pin follows the release rules',
    run: (m, b, p) => {
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* b.map(k);
        const mm = t.mm!;
        const pages: (number | null)[] = [null];
        yield* down_read(k, mm.mmap_lock, 'table:pin');
        const n = p === 'v5.4'
          ? yield* get_user_pages(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages)
          : yield* pin_user_pages(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages);
        up_read(k, mm.mmap_lock, 'table:pin');
        if (n === 1 && pages[0] !== null) {
          if (p === 'v5.4') put_user_page(k, pages[0]);
          else unpin_user_page(k, pages[0]);
        }
        return n;
      });
      const want = b.longterm(p);
      expect(r).toBe(want === 'ok' ? 1 : want);
      expect(m.reports.filter((x) => x.kind === 'unsupported')).toEqual([]);
    },
  },
  {
    key: 'reserved',
    desc: 'the faulted pfn is invalid or reserved to VFIO exactly for ZONE_DEVICE and BAR memory',
    run: (m, b) => {
      const t = task(m);
      const pfn = runAs(m, t, function* (k) {
        const a = yield* b.map(k);
        yield* fault(k, a, true);
        return pte_pfn(pt_walk(t.mm!, a).entry);
      });
      expect(is_invalid_reserved_pfn({ m } as Kctx, pfn)).toBe(b.reserved === true);
      if (pfn_valid(m, pfn)) expect(page_ref_count(m, pfn)).toBeGreaterThan(0);
    },
  },
  {
    key: 'fork',
    desc: 'data written before fork is what the child sees; munmap removes the mapping',
    run: (m, b) => {
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* b.map(k);
        yield* fault(k, a, true);
        const pfn = pte_pfn(pt_walk(t.mm!, a).entry);
        if (!b.pfnmap) set_page_content(m, pfn, 'parent');
        const pid = yield* sys_fork(k);
        const un = yield* sys_munmap(k, a, b.size);
        return { a, pfn, pid, un };
      });
      expect(r.un).toBe(0);
      expect(vma_lookup(t.mm!, r.a)).toBeNull();
      const child = m.tasks.get(r.pid)!;
      expect(vma_lookup(child.mm!, r.a)).not.toBeNull();
      if (!b.pfnmap && pfn_valid(m, r.pfn)) expect(page_content(m, r.pfn)).toBe('parent');
    },
  },
];


describe('backings × operations (gup_longterm.c style)', () => {
  for (const p of PROFILES) {
    for (const b of BACKINGS) {
      for (const op of OPS) {
        it(`${p} | ${b.desc} | ${op.desc}`, () => {
          const m = world(p);
          b.prepare?.(m);
          op.run(m, b, p);
        });
      }
    }
  }
});
