/**
 * O_DIRECT's hold on the user buffer (block/bio.ts): plain references before 6.5 (FOLL_GET),
 * pins from 6.5 (FOLL_PIN, a7e689dd1c06), given back at completion; and a direct read/write
 * through ksys_pread64/pwrite64 of an ext4 file leaves the counts as they were; a buffer with a
 * PROT_NONE page mid-way (a short read on v5.4.1, -EFAULT through iomap; gup-fast refuses the entry).
 */
import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from '../mm/harness.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { PageDirty, page_count, pt_walk, put_page } from '../../../../src/linux/include/linux/mm.js';
import type { inode } from '../../../../src/linux/include/linux/fs.js';
import { O_DIRECT, O_RDWR, inode_data } from '../../../../src/linux/include/linux/fs.js';
import { sys_ftruncate, sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { sys_mprotect } from '../../../../src/linux/mm/mprotect.js';
import { get_user_pages_fast_only } from '../../../../src/linux/mm/gup_fast.js';
import { EFAULT, EINVAL } from '../../../../src/linux/include/uapi/linux/errno.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_NONE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { ksys_pread64, ksys_pwrite64 } from '../../../../src/linux/fs/read_write.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { bio_iov_iter_get_pages, bio_release_pages } from '../../../../src/linux/block/bio.js';

const RW = PROT_READ | PROT_WRITE;

describe('O_DIRECT: bio_iov_iter_get_pages / bio_release_pages (block/bio.c)', () => {
  for (const [profile, bias] of [['v5.4', 1], ['v6.1', 1], ['v6.5', 1024], ['v6.12', 1024]] as const) {
    it(`${profile}: the bio holds the buffer's pages by ${bias === 1 ? 'a reference (FOLL_GET)' : 'a pin (FOLL_PIN)'} until it is released`, () => {
      const m = machine(profile, { normal: 64 * MiB });
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* user_store(k, a, 2 * PAGE_SIZE, 'x');
        const frames = [0, 1].map((i) => pte_pfn(pt_walk(t.mm as mm_struct, a + i * PAGE_SIZE).entry));
        const before = frames.map((f) => page_count(m, f));
        const b = yield* bio_iov_iter_get_pages(k, a + 512, PAGE_SIZE, true);
        if (typeof b === 'number') return { err: b };
        const held = frames.map((f) => page_count(m, f));
        bio_release_pages(k, b, true);
        return { before, held, after: frames.map((f) => page_count(m, f)), pinned: b.pinned, size: b.size, pages: b.pages.length };
      });
      expect(r).toMatchObject({ pinned: bias !== 1, size: PAGE_SIZE, pages: 2 });
      const { before, held, after } = r as { before: number[]; held: number[]; after: number[] };
      expect(held).toEqual(before.map((c) => c + bias));
      expect(after).toEqual(before);
    });
  }

  for (const profile of ['v5.4', 'v6.1', 'v6.12'] as const) {
    it(`${profile}: a direct write and read of an ext4 file move the bytes and leave the buffer's counts as they were`, () => {
      const m = machine(profile, { normal: 64 * MiB });
      mount_fs(m, '/mnt', 'ext4');
      create_file(m, '/mnt/f', 2 * PAGE_SIZE, () => 'disk');
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR | O_DIRECT);
        const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* user_store(k, a, 2 * PAGE_SIZE, 'u');
        const frame = pte_pfn(pt_walk(t.mm as mm_struct, a).entry);
        const before = page_count(m, frame);
        const wr = yield* ksys_pwrite64(k, fd, { addr: a }, 512, 1024);
        const rd = yield* ksys_pread64(k, fd, { addr: a + PAGE_SIZE }, 2048, 512);
        const seen = yield* user_load(k, a + PAGE_SIZE, 2048);
        return { wr, rd, seen, countsKept: page_count(m, frame) === before };
      });
      expect(r).toEqual({ wr: 512, rd: 2048, seen: 'disk*512 u*512 disk*1024', countsKept: true });
    });
  }
});

describe('a misaligned O_DIRECT request on v5.4.1 flushes the page cache before its -EINVAL', () => {
  // generic_file_read_iter / ext4_direct_IO_read write the range back, generic_file_direct_write
  // also invalidates it, and only then does do_blockdev_direct_IO check the alignment.
  it('v5.4: a misaligned direct read writes a dirty cached page back; a misaligned direct write drops a clean one', () => {
    const m = machine('v5.4', { normal: 64 * MiB });
    mount_fs(m, '/mnt', 'ext4');
    create_file(m, '/mnt/f', 2 * PAGE_SIZE, () => 'disk');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const bfd = yield* sys_open(k, '/mnt/f', O_RDWR);
      const fd = yield* sys_open(k, '/mnt/f', O_RDWR | O_DIRECT);
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* user_store(k, a, PAGE_SIZE, 'u');
      const bw = yield* ksys_pwrite64(k, bfd, { tag: 'B' }, 8, 0);
      const i = m.inodes.get('/mnt/f') as inode;
      const dirtyBefore = PageDirty(m, i.i_mapping.i_pages.get(0) as number);
      const rd = yield* ksys_pread64(k, fd, { addr: a }, 512, 1);
      const dirtyAfter = PageDirty(m, i.i_mapping.i_pages.get(0) as number);
      const block0 = inode_data(i, 0);
      const br = yield* ksys_pread64(k, bfd, { addr: a }, 8, PAGE_SIZE);
      const cachedBefore = i.i_mapping.i_pages.has(1);
      const wr = yield* ksys_pwrite64(k, fd, { addr: a }, 512, PAGE_SIZE + 1);
      return { bw, dirtyBefore, rd, dirtyAfter, block0, br, cachedBefore, wr, cachedAfter: i.i_mapping.i_pages.has(1) };
    });
    expect(r).toEqual({ bw: 8, dirtyBefore: true, rd: -EINVAL, dirtyAfter: false, block0: 'disk{0+8:B}', br: 8, cachedBefore: true, wr: -EINVAL, cachedAfter: false });
  });
});

describe('O_DIRECT with a PROT_NONE page in the middle of the buffer (fs/direct-io.c, fs/iomap/direct-io.c)', () => {
  for (const [profile, rd, wr, hole] of [['v5.4', 4096, 'unsupported', null], ['v6.1', -EFAULT, -EFAULT, ''], ['v6.12', -EFAULT, -EFAULT, '']] as const) {
    it(`${profile}: read ${rd}, first page read into; write ${wr}${hole === null ? '' : ', a hole written before the fault stays a hole'}`, () => {
      const m = machine(profile, { normal: 64 * MiB });
      mount_fs(m, '/mnt', 'ext4');
      create_file(m, '/mnt/f', 3 * PAGE_SIZE, () => 'disk');
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR | O_DIRECT);
        const a = yield* sys_mmap(k, 0, 3 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* user_store(k, a, 3 * PAGE_SIZE, 'u');
        const mp = yield* sys_mprotect(k, a + PAGE_SIZE, PAGE_SIZE, PROT_NONE);
        const got = yield* ksys_pread64(k, fd, { addr: a }, 3 * PAGE_SIZE, 0);
        const first = yield* user_load(k, a, 4);
        const third = yield* user_load(k, a + 2 * PAGE_SIZE, 4);
        if (profile === 'v5.4') return { mp, got, first, third };
        const grow = yield* sys_ftruncate(k, fd, 5 * PAGE_SIZE);
        const put = yield* ksys_pwrite64(k, fd, { addr: a }, 2 * PAGE_SIZE, 3 * PAGE_SIZE);
        const back = yield* ksys_pread64(k, fd, { addr: a + 2 * PAGE_SIZE }, 8, 3 * PAGE_SIZE);
        return { mp, got, first, third, grow, put, back, holeseen: yield* user_load(k, a + 2 * PAGE_SIZE, 8) };
      });
      if (profile === 'v5.4') expect(r).toEqual({ mp: 0, got: rd, first: 'disk', third: 'u' });
      else expect(r).toEqual({ mp: 0, got: rd, first: 'disk', third: 'u', grow: 0, put: wr, back: 8, holeseen: hole });
    });
  }

  it('gup-fast refuses a PROT_NONE entry (no _PAGE_USER) and takes it again after mprotect restores access', () => {
    const m = machine('v6.12', { normal: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* user_store(k, a, PAGE_SIZE, 'u');
      const pages: (number | null)[] = [null];
      yield* sys_mprotect(k, a, PAGE_SIZE, PROT_NONE);
      const none = yield* get_user_pages_fast_only(k, a, 1, 0, pages);
      yield* sys_mprotect(k, a, PAGE_SIZE, PROT_READ);
      const ro = yield* get_user_pages_fast_only(k, a, 1, 0, pages);
      if (ro === 1) put_page(m, pages[0] as number);
      return { none, ro };
    });
    expect(r).toEqual({ none: 0, ro: 1 });
  });
});
