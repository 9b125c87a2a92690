/**
 * fallocate(2) on hugetlbfs files (memfd MFD_HUGETLB): fs/hugetlbfs/inode.c
 * hugetlbfs_fallocate / hugetlbfs_punch_hole / remove_inode_hugepages /
 * hugetlb_vmdelete_list, v5.4.1, Debian 6.1.192, Debian 6.12.117.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, run, MiB, PAGE } from '../mm/gup_env.js';
import type { Env } from '../mm/gup_env.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, MAP_PRIVATE, MAP_SHARED, MFD_HUGETLB, PROT_READ, PROT_WRITE,
} from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EOPNOTSUPP, ENOSPC } from '../../../../src/linux/include/uapi/linux/errno.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { get_user_pages, pin_user_pages, unpin_user_pages } from '../../../../src/linux/mm/gup.js';
import { hugetlb_free_count, hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { sys_fallocate, sys_ftruncate, sys_memfd_create, sys_mmap } from '../../../../src/linux/syscalls.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { folio_mapcount, folio_pincount, page_content, page_count, pt_walk, put_page } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { fget } from '../../../../src/linux/include/linux/fs.js';

const HPAGE = 2 * MiB;
const NR = HPAGE / PAGE;
const RW = PROT_READ | PROT_WRITE;
const LAYOUT = { dma32: 32 * MiB, normal: 64 * MiB };
const PUNCH = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
const FALLOC_FL_ZERO_RANGE = 0x10;

/** A memfd MFD_HUGETLB of `size` bytes, mapped MAP_SHARED (or private) rw; the pool holds `pool` 2 MiB folios. */
function setup(profile: string, pool: number, size: number, flags = MAP_SHARED): { env: Env; fd: number; a: number } {
  const env = mkEnv(profile, LAYOUT);
  const r = run(env, function* (k: Kctx): KThread<{ fd: number; a: number }> {
    expect(hugetlb_pool_grow(k, 9, pool)).toBe(pool);
    const fd = yield* sys_memfd_create(k, 'buf', MFD_HUGETLB);
    expect(yield* sys_ftruncate(k, fd, size)).toBe(0);
    const a = yield* sys_mmap(k, 0, size, RW, flags, fd, 0);
    return { fd, a };
  });
  expect(r.a).toBeGreaterThan(0);
  return { env, ...r };
}

function frameAt(env: Env, addr: number): number | null {
  const w = pt_walk(env.task.mm as mm_struct, addr);
  if (w.entry === 0) return null;
  return w.level === 'pte' ? pte_pfn(w.entry) : pte_pfn(w.entry) + (Math.floor(addr / PAGE) % NR);
}

function fileOf(env: Env, fd: number) {
  return run(env, function* (k: Kctx) {
    yield* [];
    return fget(k, fd);
  });
}

describe.each(['v5.4', 'v6.1', 'v6.12'])('hugetlbfs PUNCH_HOLE of whole huge pages (%s)', (profile) => {
  it('unmaps the page from the shared mapping, frees it to the pool; the next access faults a zeroed folio; i_size stays', () => {
    const { env, fd, a } = setup(profile, 2, 2 * HPAGE);
    run(env, (k) => user_store(k, a, 2 * HPAGE, 'old'));
    const f0 = frameAt(env, a) as number;
    const f1 = frameAt(env, a + HPAGE) as number;
    expect(hugetlb_free_count(env.m, 9)).toBe(0);
    expect(run(env, (k) => sys_fallocate(k, fd, PUNCH, 0, HPAGE))).toBe(0);
    expect(frameAt(env, a)).toBeNull(); // unmapped
    expect(frameAt(env, a + HPAGE)).toBe(f1); // outside the hole: untouched
    expect(hugetlb_free_count(env.m, 9)).toBe(1); // the punched folio is back in the pool
    expect(page_count(env.m, f0)).toBe(0);
    const file = fileOf(env, fd)!;
    expect(file.f_mapping.i_pages.has(0)).toBe(false);
    expect(file.f_mapping.i_pages.has(1)).toBe(true);
    expect(file.f_inode.i_size).toBe(2 * HPAGE);
    expect(run(env, (k) => user_load(k, a + 5 * PAGE))).toBe('');
    expect(run(env, (k) => user_load(k, a + HPAGE + 5 * PAGE))).toBe('old');
  });

  it('a long-term pinned folio stays allocated and pinned, detached from the file; the process sees a new folio; unpin frees it', () => {
    const { env, fd, a } = setup(profile, 2, HPAGE);
    run(env, (k) => user_store(k, a, HPAGE, 'old'));
    const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
    // v5.4 has no FOLL_PIN: its long-term pinners (VFIO, io_uring) take references with get_user_pages.
    const pinning = profile !== 'v5.4';
    const n = run(env, function* (k: Kctx): KThread<number> {
      const mm = env.task.mm as mm_struct;
      yield* down_read(k, mm.mmap_lock, 'test');
      const flags = FOLL_WRITE | FOLL_LONGTERM;
      const r = pinning ? yield* pin_user_pages(k, a, NR, flags, pages) : yield* get_user_pages(k, a, NR, flags, pages);
      up_read(k, mm.mmap_lock, 'test');
      return r;
    });
    expect(n).toBe(NR);
    const old = pages[0] as number;
    const refs = page_count(env.m, old);
    expect(run(env, (k) => sys_fallocate(k, fd, PUNCH, 0, HPAGE))).toBe(0);
    expect(hugetlb_free_count(env.m, 9)).toBe(1); // the pinned folio is NOT back in the pool
    expect(page_count(env.m, old)).toBe(refs - 2); // the mapping's and the page cache's references went
    if (pinning) expect(folio_pincount(env.m, old)).toBe(NR); // the pins are kept
    expect(folio_mapcount(env.m, old)).toBe(0);
    expect(env.m.mem.s_mapping[env.m.mem.slot_of(old)]).toBe(0); // detached from the file
    expect(page_content(env.m, old + 3)).toBe('old'); // the pin holder still sees the old data
    expect(run(env, (k) => user_load(k, a + 3 * PAGE))).toBe(''); // the process faults a fresh folio
    const fresh = frameAt(env, a) as number;
    expect(fresh).not.toBe(old);
    expect(hugetlb_free_count(env.m, 9)).toBe(0);
    run(env, function* (k: Kctx) {
      yield* [];
      if (pinning) unpin_user_pages(k, pages, NR);
      else for (const p of pages) put_page(env.m, p as number);
    });
    expect(page_count(env.m, old)).toBe(0);
    expect(hugetlb_free_count(env.m, 9)).toBe(1); // the last reference gone: back to the pool
  });

  it('a MAP_PRIVATE mapping loses its COW copy in the hole too (hugetlb_vmdelete_list unmaps every VMA of the file)', () => {
    const { env, fd, a } = setup(profile, 3, HPAGE, MAP_PRIVATE);
    run(env, (k) => user_store(k, a, PAGE, 'private'));
    const cow = frameAt(env, a) as number;
    expect(hugetlb_free_count(env.m, 9)).toBe(2);
    expect(run(env, (k) => sys_fallocate(k, fd, PUNCH, 0, HPAGE))).toBe(0);
    expect(frameAt(env, a)).toBeNull();
    expect(page_count(env.m, cow)).toBe(0);
    expect(hugetlb_free_count(env.m, 9)).toBe(3);
    expect(run(env, (k) => user_load(k, a))).toBe('');
  });

  it('errno: unknown mode bits → -EOPNOTSUPP; PUNCH_HOLE without KEEP_SIZE → -EOPNOTSUPP (vfs_fallocate)', () => {
    const { env, fd } = setup(profile, 1, HPAGE);
    expect(run(env, (k) => sys_fallocate(k, fd, FALLOC_FL_ZERO_RANGE, 0, HPAGE))).toBe(-EOPNOTSUPP);
    expect(run(env, (k) => sys_fallocate(k, fd, FALLOC_FL_PUNCH_HOLE, 0, HPAGE))).toBe(-EOPNOTSUPP);
  });
});

describe('hugetlbfs PUNCH_HOLE with edges inside huge pages', () => {
  function partial(profile: string) {
    const { env, fd, a } = setup(profile, 2, 2 * HPAGE);
    run(env, (k) => user_store(k, a, 2 * HPAGE, 'old'));
    const f0 = frameAt(env, a) as number;
    const f1 = frameAt(env, a + HPAGE) as number;
    // [1 MiB, 3 MiB): no whole huge page inside; the second half of page 0 and the first half of page 1.
    const r = run(env, (k) => sys_fallocate(k, fd, PUNCH, HPAGE / 2, HPAGE));
    return { env, a, r, f0, f1 };
  }

  it('v5.4: nothing happens (no whole huge page in the hole): data stays', () => {
    const { env, a, r, f0, f1 } = partial('v5.4');
    expect(r).toBe(0);
    expect(frameAt(env, a)).toBe(f0);
    expect(frameAt(env, a + HPAGE)).toBe(f1);
    expect(run(env, (k) => user_load(k, a + HPAGE / 2 + PAGE))).toBe('old');
    expect(run(env, (k) => user_load(k, a + HPAGE + PAGE))).toBe('old');
  });

  it.each(['v6.1', 'v6.12'])('%s: the partial pages are zeroed in place (68d32527d340), nothing is unmapped', (profile) => {
    const { env, a, r, f0, f1 } = partial(profile);
    expect(r).toBe(0);
    expect(frameAt(env, a)).toBe(f0);
    expect(frameAt(env, a + HPAGE)).toBe(f1);
    expect(run(env, (k) => user_load(k, a + HPAGE / 2 - PAGE))).toBe('old'); // before the hole
    expect(run(env, (k) => user_load(k, a + HPAGE / 2))).toBe(''); // first byte of the hole
    expect(run(env, (k) => user_load(k, a + HPAGE + HPAGE / 2 - PAGE))).toBe(''); // last 4 KiB of the hole
    expect(run(env, (k) => user_load(k, a + HPAGE + HPAGE / 2))).toBe('old'); // after the hole
  });

  it('v6.1 without 68d32527d340 behaves as v5.4', () => {
    const { env, a, r } = partial('v6.1-hugetlbfs-punch-zero-partial');
    expect(r).toBe(0);
    expect(run(env, (k) => user_load(k, a + HPAGE / 2))).toBe('old');
  });

  it('an unaligned hole punches only the whole huge pages inside it ([1 MiB, 4 MiB) → page 1 only; page 0 zeroed from 1 MiB on 6.1)', () => {
    for (const profile of ['v5.4', 'v6.1']) {
      const { env, fd, a } = setup(profile, 2, 2 * HPAGE);
      run(env, (k) => user_store(k, a, 2 * HPAGE, 'old'));
      const f0 = frameAt(env, a);
      expect(run(env, (k) => sys_fallocate(k, fd, PUNCH, HPAGE / 2, HPAGE + HPAGE / 2))).toBe(0);
      expect(frameAt(env, a), profile).toBe(f0);
      expect(frameAt(env, a + HPAGE), profile).toBeNull();
      expect(run(env, (k) => user_load(k, a + HPAGE / 2)), profile).toBe(profile === 'v5.4' ? 'old' : '');
      expect(run(env, (k) => user_load(k, a)), profile).toBe('old');
    }
  });
});

describe.each(['v5.4', 'v6.1', 'v6.12'])('hugetlbfs preallocation (%s)', (profile) => {
  it('mode 0 allocates the huge pages of the range, rounded outwards, and grows i_size to offset + len', () => {
    const { env, fd } = setup(profile, 3, HPAGE);
    const file = fileOf(env, fd)!;
    expect(file.f_mapping.i_pages.size).toBe(0);
    expect(run(env, (k) => sys_fallocate(k, fd, 0, HPAGE / 2, HPAGE + 1))).toBe(0);
    expect([...file.f_mapping.i_pages.keys()].sort()).toEqual([0, 1]);
    expect(file.f_inode.i_size).toBe(HPAGE / 2 + HPAGE + 1);
    expect(hugetlb_free_count(env.m, 9)).toBe(1);
    // Already present pages are kept, not replaced.
    const p0 = file.f_mapping.i_pages.get(0);
    expect(run(env, (k) => sys_fallocate(k, fd, FALLOC_FL_KEEP_SIZE, 0, 3 * HPAGE))).toBe(0);
    expect(file.f_mapping.i_pages.get(0)).toBe(p0);
    expect(file.f_mapping.i_pages.size).toBe(3);
    expect(file.f_inode.i_size).toBe(HPAGE / 2 + HPAGE + 1); // KEEP_SIZE
    expect(page_count(env.m, p0 as number)).toBe(1); // only the page cache's reference
  });

  it('an exhausted pool is -ENOSPC; the pages allocated before stay, i_size is not updated', () => {
    const { env, fd } = setup(profile, 1, HPAGE);
    const file = fileOf(env, fd)!;
    expect(run(env, (k) => sys_fallocate(k, fd, 0, 0, 3 * HPAGE))).toBe(-ENOSPC);
    expect(file.f_mapping.i_pages.size).toBe(1);
    expect(file.f_inode.i_size).toBe(HPAGE);
  });

  it('a preallocated page is what a later fault maps, with zeroed data even if the folio was used before', () => {
    const { env, fd, a } = setup(profile, 1, HPAGE);
    run(env, (k) => user_store(k, a + 7 * PAGE, PAGE, 'stale'));
    expect(run(env, (k) => sys_fallocate(k, fd, PUNCH, 0, HPAGE))).toBe(0);
    expect(run(env, (k) => sys_fallocate(k, fd, 0, 0, HPAGE))).toBe(0);
    const p = fileOf(env, fd)!.f_mapping.i_pages.get(0) as number;
    expect(run(env, (k) => user_load(k, a + 7 * PAGE))).toBe('');
    expect(frameAt(env, a)).toBe(p);
  });
});
