import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from '../mm/harness.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { page_count, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { O_NONBLOCK, O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { sys_close, sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EAGAIN, EBADF, EINVAL, EPIPE, ESPIPE } from '../../../../src/linux/include/uapi/linux/errno.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { do_pipe2 } from '../../../../src/linux/fs/pipe.js';
import { SPLICE_F_NONBLOCK, sys_vmsplice } from '../../../../src/linux/fs/splice.js';
import { ksys_pread64, ksys_pwrite64, ksys_read, ksys_write } from '../../../../src/linux/fs/read_write.js';
import { mount_fs, create_file } from '../../../../src/linux/fs/libfs.js';

const RW = PROT_READ | PROT_WRITE;

describe('pipes, vmsplice, read/write (fs/pipe.c, fs/splice.c, fs/read_write.c)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12'] as const) {
    it(`${profile}: a vmspliced page is read at read time: the reader sees what the process wrote after the vmsplice`, () => {
      const m = machine(profile, { normal: 64 * MiB });
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* user_store(k, a, PAGE_SIZE, 'old');
        const fds = yield* do_pipe2(k, 0);
        if (typeof fds === 'number') return { err: fds };
        const [rfd, wfd] = fds;
        const frame = pte_pfn(pt_walk(t.mm as mm_struct, a).entry);
        const refBefore = page_count(m, frame);
        const vs = yield* sys_vmsplice(k, wfd, [{ iov_base: a + 100, iov_len: 200 }], 0);
        const refAfter = page_count(m, frame);
        yield* user_store(k, a + 150, 10, 'new');
        const b = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        const rd = yield* ksys_read(k, rfd, { addr: b }, 4096);
        const seen = yield* user_load(k, b, 200);
        yield* sys_close(k, wfd);
        const eof = yield* ksys_read(k, rfd, { addr: b }, 4096);
        const pr = yield* ksys_pread64(k, rfd, { addr: b }, 1, 0);
        return { vs, refBefore, refAfter, rd, seen, eof, pr, refEnd: page_count(m, frame) };
      });
      expect(r).toMatchObject({ vs: 200, rd: 200, seen: 'old*50 new*10 old*140', eof: 0, pr: -ESPIPE });
      expect((r as { refAfter: number }).refAfter).toBe((r as { refBefore: number }).refBefore + 1);
      expect((r as { refEnd: number }).refEnd).toBe((r as { refBefore: number }).refBefore);
    });
  }

  it('v6.12: a written pipe copies at write time; O_NONBLOCK empty read is -EAGAIN; a full pipe refuses vmsplice with SPLICE_F_NONBLOCK; -EPIPE without readers', () => {
    const m = machine('v6.12', { normal: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 32 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* user_store(k, a, 32 * PAGE_SIZE, 'x');
      const fds = yield* do_pipe2(k, O_NONBLOCK);
      if (typeof fds === 'number') throw new Error(`pipe2 ${fds}`);
      const [rfd, wfd] = fds;
      const empty = yield* ksys_read(k, rfd, { addr: a }, 10);
      const w = yield* ksys_write(k, wfd, { addr: a }, 10);
      yield* user_store(k, a, 10, 'y');
      const rd = yield* ksys_read(k, rfd, { addr: a + PAGE_SIZE }, 10);
      const seen = yield* user_load(k, a + PAGE_SIZE, 10);
      const vs = yield* sys_vmsplice(k, wfd, [{ iov_base: a, iov_len: 20 * PAGE_SIZE }], SPLICE_F_NONBLOCK);
      const vs2 = yield* sys_vmsplice(k, wfd, [{ iov_base: a, iov_len: PAGE_SIZE }], SPLICE_F_NONBLOCK);
      const bad = yield* sys_vmsplice(k, wfd, [{ iov_base: a, iov_len: 1 }], 0x100);
      const badfd = yield* sys_vmsplice(k, 99, [{ iov_base: a, iov_len: 1 }], 0);
      yield* sys_close(k, rfd);
      const epipe = yield* ksys_write(k, wfd, { addr: a }, 10);
      return { empty, w, rd, seen, vs, vs2, bad, badfd, epipe };
    });
    expect(r).toEqual({ empty: -EAGAIN, w: 10, rd: 10, seen: 'x', vs: 16 * PAGE_SIZE, vs2: -EAGAIN, bad: -EINVAL, badfd: -EBADF, epipe: -EPIPE });
  });

  for (const fs of ['ext4', 'tmpfs'] as const) {
    it(`v6.1: pwrite of a few bytes into a ${fs} file, pread back, and the shared mapping sees them`, () => {
      const m = machine('v6.1', { normal: 64 * MiB });
      mount_fs(m, '/mnt', fs);
      create_file(m, '/mnt/f', 2 * PAGE_SIZE, () => (fs === 'ext4' ? 'disk' : undefined));
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* user_store(k, a, 16, 'u');
        const pw = yield* ksys_pwrite64(k, fd, { addr: a }, 16, PAGE_SIZE - 8);
        const pr = yield* ksys_pread64(k, fd, { addr: a + 100 }, 32, PAGE_SIZE - 16);
        const seen = yield* user_load(k, a + 100, 32);
        const map = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_SHARED, fd, 0);
        const viaMap = yield* user_load(k, map + PAGE_SIZE - 8, 16);
        const tail = yield* ksys_pread64(k, fd, { addr: a + 200 }, 100, 2 * PAGE_SIZE - 10);
        const beyond = yield* ksys_pread64(k, fd, { addr: a + 200 }, 100, 3 * PAGE_SIZE);
        const tag = yield* ksys_pwrite64(k, fd, { tag: 'T' }, 10, 2 * PAGE_SIZE);
        return { pw, pr, seen, viaMap, tail, beyond, tag, size: m.inodes.get('/mnt/f')?.i_size };
      });
      const base = fs === 'ext4' ? 'disk' : '';
      expect(r).toEqual({ pw: 16, pr: 32, seen: `${base || 'zero'}*8 u*16 ${base || 'zero'}*8`, viaMap: 'u', tail: 10, beyond: 0, tag: 10, size: 2 * PAGE_SIZE + 10 });
    });
  }
});
