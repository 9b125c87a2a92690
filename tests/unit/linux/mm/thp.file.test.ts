/**
 * The model never creates a file-backed large folio: THP is only for anonymous VMAs
 * (mm/huge_memory.ts thp_vma_suitable → vma_is_anonymous), shmem/tmpfs/memfd and the
 * page cache allocate order-0 folios (mm/shmem.ts, mm/filemap.ts: shmem_enabled and
 * large page-cache folios are not modelled), and hugetlbfs folios are PG_hugetlb (their
 * own migration path). So the `unsupported` guards for a file-backed large folio in
 * mm/gup_migrate.ts and mm/huge_memory.ts split_huge_page_to_list are unreachable; this
 * test fails if a change to the model starts creating one.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import { MiB, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { Machine } from '../../../../src/linux/machine.js';
import { PG_anon, PG_hugetlb, PMD_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { FOLL_LONGTERM } from '../../../../src/linux/include/linux/foll.js';
import { __mm_populate, get_user_pages, pin_user_pages, put_user_page, unpin_user_page } from '../../../../src/linux/mm/gup.js';
import { sys_ftruncate, sys_madvise, sys_memfd_create, sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, MFD_HUGETLB, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';

const RW = PROT_READ | PROT_WRITE;

/** Every large folio in RAM that is not anonymous (and, unless `hugetlb`, not hugetlb either). */
function fileLargeFolios(m: Machine, hugetlb = false): number[] {
  const mem = m.mem;
  const out: number[] = [];
  for (const r of mem.regions) {
    if (r.kind !== 'ram') continue;
    for (let pfn = r.start_pfn; pfn < r.end_pfn; pfn++) {
      const s = mem.slot_of(pfn);
      if (s === 0 || mem.s_pfn[s] !== pfn || mem.s_order[s] === 0) continue;
      if (!(mem.s_flags[s] & (hugetlb ? PG_anon : PG_anon | PG_hugetlb))) out.push(pfn);
    }
  }
  return out;
}

/** Map 4 MiB of the file at file offset 0 on a 2 MiB-aligned address (as a file THP would need). */
function* mapAligned(k: Kctx, fd: number, flags: number): KThread<number> {
  const raw = yield* sys_mmap(k, 0, 3 * PMD_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const a = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
  return yield* sys_mmap(k, a, 2 * PMD_SIZE, RW, flags | MAP_FIXED, fd, 0);
}

describe.each(['v5.4', 'v6.1', 'v6.12'])('%s: no file-backed large folio is ever created', (profile) => {
  it("with transparent_hugepage=always and MADV_HUGEPAGE: memfd, tmpfs, ext4 shared and private mappings fault in order-0 folios; a long-term pin of each finds no large folio to move", () => {
    const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB, movable: 64 * MiB });
    m.transparent_hugepage = 'always';
    mount_fs(m, '/tmp', 'tmpfs');
    create_file(m, '/tmp/t', 2 * PMD_SIZE);
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', 2 * PMD_SIZE, (i) => `disk-${i}`);
    const t = task(m);
    runAs(m, t, function* (k) {
      expect(hugetlb_pool_grow(k, 9, 1)).toBe(1);
      const fds: [number, number][] = [];
      const mfd = yield* sys_memfd_create(k, 'm', 0);
      expect(yield* sys_ftruncate(k, mfd, 2 * PMD_SIZE)).toBe(0);
      fds.push([mfd, MAP_SHARED]);
      fds.push([yield* sys_open(k, '/tmp/t', O_RDWR), MAP_SHARED]);
      fds.push([yield* sys_open(k, '/mnt/f', O_RDWR), MAP_SHARED]);
      fds.push([yield* sys_open(k, '/mnt/f', O_RDWR), MAP_PRIVATE]);
      const hfd = yield* sys_memfd_create(k, 'h', MFD_HUGETLB);
      expect(yield* sys_ftruncate(k, hfd, PMD_SIZE)).toBe(0);
      for (const [fd, flags] of fds) {
        const a = yield* mapAligned(k, fd, flags);
        expect(a).toBeGreaterThan(0);
        expect(yield* sys_madvise(k, a, 2 * PMD_SIZE, MADV_HUGEPAGE)).toBe(0);
        expect(yield* __mm_populate(k, a, 2 * PMD_SIZE, false)).toBe(0);
        const mm = get_current(k).mm as mm_struct;
        const pages: (number | null)[] = [null];
        yield* down_read(k, mm.mmap_lock, 'test');
        const n = profile === 'v5.4'
          ? yield* get_user_pages(k, a, 1, FOLL_LONGTERM, pages)
          : yield* pin_user_pages(k, a, 1, FOLL_LONGTERM, pages);
        up_read(k, mm.mmap_lock, 'test');
        expect(n).toBe(1);
        if (profile === 'v5.4') put_user_page(k, pages[0] as number);
        else unpin_user_page(k, pages[0] as number);
      }
      // The hugetlb memfd: a large file-backed folio, but PG_hugetlb (migrated by unmap_and_move_huge_page).
      const h = yield* sys_mmap(k, 0, PMD_SIZE, RW, MAP_SHARED, hfd, 0);
      expect(yield* __mm_populate(k, h, PMD_SIZE, false)).toBe(0);
      return 0;
    });
    expect(fileLargeFolios(m)).toEqual([]);
    // The scan does see a file-backed large folio when there is one: the hugetlbfs folio.
    expect(fileLargeFolios(m, true).length).toBe(1);
    expect(m.reports.filter((r) => r.kind === 'unsupported')).toEqual([]);
  });
});
