import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from '../mm/harness.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { sys_madvise } from '../../../../src/linux/mm/mprotect.js';
import { MADV_DONTNEED, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EBADF, EFAULT } from '../../../../src/linux/include/uapi/linux/errno.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { IORING_REGISTER_BUFFERS, io_uring_register, io_uring_setup } from '../../../../src/linux/io_uring/io_uring.js';
import { IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED, io_rw_fixed } from '../../../../src/linux/io_uring/rw.js';
import { do_pipe2 } from '../../../../src/linux/fs/pipe.js';
import { sys_vmsplice } from '../../../../src/linux/fs/splice.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { holdingBytes, pageRefHoldings } from '../../../../src/check/holders.js';
import { render_runs } from '../../../../src/linux/include/linux/page_data.js';

const RW = PROT_READ | PROT_WRITE;

describe('io_uring READ_FIXED / WRITE_FIXED (io_uring/rw.c, rsrc.c io_import_fixed) and the holder reader', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12'] as const) {
    it(`${profile}: after MADV_DONTNEED the fixed read lands in the registered frame, not in what the address maps now`, () => {
      const m = machine(profile, { normal: 64 * MiB });
      mount_fs(m, '/mnt', 'tmpfs');
      create_file(m, '/mnt/f', PAGE_SIZE);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/f', O_RDWR);
        const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        yield* user_store(k, a, 2 * PAGE_SIZE, 'A');
        const ring = yield* io_uring_setup(k, 8);
        const reg = yield* io_uring_register(k, ring, IORING_REGISTER_BUFFERS, [{ iov_base: a, iov_len: 2 * PAGE_SIZE }], 1);
        const pinned = pte_pfn(pt_walk(t.mm as mm_struct, a).entry);
        const w = yield* io_rw_fixed(k, ring, IORING_OP_WRITE_FIXED, fd, a + 10, 20, 0, 0);
        yield* sys_madvise(k, a, 2 * PAGE_SIZE, MADV_DONTNEED);
        yield* user_store(k, a, 16, 'B');
        const rd = yield* io_rw_fixed(k, ring, IORING_OP_READ_FIXED, fd, a + 100, 30, 0, 0);
        const seen = yield* user_load(k, a + 100, 30);
        const out = yield* io_rw_fixed(k, ring, IORING_OP_READ_FIXED, fd, a + 2 * PAGE_SIZE - 10, 20, 0, 0);
        const badIdx = yield* io_rw_fixed(k, ring, IORING_OP_READ_FIXED, fd, a, 1, 0, 1);
        const badFd = yield* io_rw_fixed(k, ring, IORING_OP_READ_FIXED, 77, a, 1, 0, 0);
        const holders = pageRefHoldings(m).filter((h) => h.holder === 'io_uring');
        return { reg, w, rd, seen, out, badIdx, badFd, pinned, holders, data: holders.map((h) => render_runs(holdingBytes(m, h))) };
      });
      expect(r).toMatchObject({ reg: 0, w: 20, rd: 30, seen: '', out: -EFAULT, badIdx: -EFAULT, badFd: -EBADF });
      expect(r.holders.map((h) => h.pfn)[0]).toBe(r.pinned);
      expect(r.holders[0].processPfn).not.toBe(r.pinned);
      // The registered frame got the file bytes: the file's first 20 bytes are A (the fixed write), then zeroes.
      expect(r.data[0]).toBe('A*120 zero*10 A*3966');
    });
  }

  it('v6.12: the holder reader lists vmspliced pipe buffers with their byte window and what they hold now', () => {
    const m = machine('v6.12', { normal: 64 * MiB });
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* user_store(k, a, PAGE_SIZE, 'X');
      const fds = yield* do_pipe2(k, 0);
      if (typeof fds === 'number') throw new Error('pipe2');
      yield* sys_vmsplice(k, fds[1], [{ iov_base: a + 8, iov_len: 8 }], 0);
      yield* user_store(k, a + 12, 2, 'Y');
      return pageRefHoldings(m).filter((h) => h.holder === 'pipe').map((h) => ({ off: h.offset, len: h.len, live: h.live, data: render_runs(holdingBytes(m, h)) }));
    });
    expect(r).toEqual([{ off: 8, len: 8, live: true, data: 'X*4 Y*2 X*2' }]);
  });
});
