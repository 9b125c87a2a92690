/**
 * io_uring fixed buffers per release (fs/io_uring.c 5.4.1/5.6.4, io_uring/rsrc.c Debian
 * 6.1.192 and 6.12.117): EBUSY/ENXIO/EFAULT/EINVAL rules, file-backed refusal,
 * per-user accounting of whole compound pages, pins and unregistration.
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, mmap, run, MiB, PAGE, reports } from '../mm/gup_env.js';
import type { Env } from '../mm/gup_env.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import {
  IORING_REGISTER_BUFFERS, IORING_UNREGISTER_BUFFERS, io_ring_ctx_of, io_uring_register, io_uring_setup, io_uring_user, ring_pages,
} from '../../../../src/linux/io_uring/io_uring.js';
import type { iovec } from '../../../../src/linux/io_uring/io_uring.js';
import { __mm_populate } from '../../../../src/linux/mm/gup.js';
import { page_count, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { create_file, filp_open, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { vm_mmap_pgoff } from '../../../../src/linux/mm/mmap.js';
import { shmem_file_setup } from '../../../../src/linux/mm/shmem.js';
import { CAP_IPC_LOCK } from '../../../../src/linux/include/linux/sched.js';
import { sys_close } from '../../../../src/linux/syscalls.js';

const PROFILES = ['v5.4', 'v5.6', 'v6.1', 'v6.12'] as const;

function ring(env: Env): number {
  const fd = run(env, (k) => io_uring_setup(k, 8));
  expect(fd).toBeGreaterThanOrEqual(0);
  return fd;
}

function reg(env: Env, fd: number, iovs: readonly iovec[] | null, nr = iovs?.length ?? 1): number {
  return run(env, (k) => io_uring_register(k, fd, IORING_REGISTER_BUFFERS, iovs, nr));
}

function unreg(env: Env, fd: number): number {
  return run(env, (k) => io_uring_register(k, fd, IORING_UNREGISTER_BUFFERS, null, 0));
}

function anon(env: Env, n: number): number {
  const a = mmap(env, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  expect(run(env, (k) => __mm_populate(k, a, n * PAGE, false))).toBe(0);
  return a;
}

function pfn(env: Env, addr: number): number {
  return pte_pfn(pt_walk(env.task.mm as mm_struct, addr).entry);
}

function fileMap(env: Env, path: string, n: number, flags: number): number {
  const f = run(env, function* (k) {
    const r = filp_open(k, path, O_RDWR);
    if (typeof r === 'number') throw new Error('open');
    return r;
  });
  const a = run(env, (k) => vm_mmap_pgoff(k, f, 0, n * PAGE, PROT_READ | PROT_WRITE, flags, 0));
  expect(run(env, (k) => __mm_populate(k, a, n * PAGE, false))).toBe(0);
  return a;
}

describe('IORING_REGISTER_BUFFERS / UNREGISTER_BUFFERS', () => {
  for (const prof of PROFILES) {
    it(`${prof}: anon buffer registers with a long-term pin per page and is charged to the user; unregister releases both`, () => {
      const env = mkEnv(prof);
      const fd = ring(env);
      const a = anon(env, 4);
      const p0 = pfn(env, a);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 4 * PAGE }])).toBe(0);
      const bias = prof === 'v6.1' || prof === 'v6.12' ? 1024 : 1; // FOLL_PIN accounting from 5.7 (3faa52c03f44)
      // 5.4/5.6 also charged the 8-entry ring's own 2 pages at io_uring_setup() (until 26bfa89e25f4, v5.12).
      const ring_acct = prof === 'v6.1' || prof === 'v6.12' ? 0 : 2;
      expect(page_count(env.m, p0)).toBe(1 + bias);
      expect(run(env, function* (k) { return io_uring_user(k, 1000)?.locked_vm; })).toBe(ring_acct + 4);
      expect(reg(env, fd, [{ iov_base: a, iov_len: PAGE }])).toBe(-16); // -EBUSY: already registered
      expect(unreg(env, fd)).toBe(0);
      expect(page_count(env.m, p0)).toBe(1);
      expect(unreg(env, fd)).toBe(-6); // -ENXIO: nothing registered
      const ctx = run(env, function* (k) { return io_ring_ctx_of(k, fd); });
      expect(ctx?.user?.locked_vm).toBe(ring_acct);
      expect(run(env, (k) => sys_close(k, fd))).toBe(0);
      expect(ctx?.user?.locked_vm).toBe(0); // io_ring_ctx_free gives the ring's pages back
    });

    it(`${prof}: io_uring_setup ${prof.startsWith('v5') ? 'charges ring_pages() to RLIMIT_MEMLOCK' : 'charges nothing'} (26bfa89e25f4)`, () => {
      const env = mkEnv(prof, undefined, { memlock: PAGE });
      const fd = run(env, (k) => io_uring_setup(k, 1));
      if (prof.startsWith('v5')) expect(fd).toBe(-12); // 2 pages > 1
      else expect(fd).toBeGreaterThanOrEqual(0);
      expect(run(env, function* (k) { return io_uring_user(k, 1000)?.locked_vm; })).toBe(0);
    });

    it(`${prof}: argument errors (-EINVAL nr_args 0, -EFAULT NULL arg / zero length / > 1 GiB)`, () => {
      const env = mkEnv(prof);
      const fd = ring(env);
      const a = anon(env, 1);
      expect(reg(env, fd, [], 0)).toBe(-22);
      expect(reg(env, fd, null, 1)).toBe(-14);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 0 }])).toBe(-14);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 2 * 1024 * MiB }])).toBe(-14);
      expect(run(env, (k) => io_uring_register(k, fd, IORING_UNREGISTER_BUFFERS, null, 1))).toBe(-22);
    });

    it(`${prof}: RLIMIT_MEMLOCK: over the limit → -ENOMEM, unless CAP_IPC_LOCK at ring creation`, () => {
      const env = mkEnv(prof, undefined, { memlock: 2 * PAGE });
      const fd = ring(env);
      const a = anon(env, 4);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 4 * PAGE }])).toBe(-12);
      expect(page_count(env.m, pfn(env, a))).toBe(1); // nothing left pinned
      const env2 = mkEnv(prof, undefined, { memlock: 2 * PAGE, caps: [CAP_IPC_LOCK] });
      const fd2 = ring(env2);
      const b = anon(env2, 4);
      expect(reg(env2, fd2, [{ iov_base: b, iov_len: 4 * PAGE }])).toBe(0);
    });

    it(`${prof}: memfd (shmem) buffer: ${prof === 'v5.4' || prof === 'v5.6' ? '-EOPNOTSUPP (only hugetlbfs files)' : 'accepted'}`, () => {
      const env = mkEnv(prof);
      const fd = ring(env);
      const f = run(env, function* (k) { return shmem_file_setup(k, 'memfd:x', 2 * PAGE); });
      const a = run(env, (k) => vm_mmap_pgoff(k, f, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
      expect(run(env, (k) => __mm_populate(k, a, 2 * PAGE, false))).toBe(0);
      const want = prof === 'v5.4' || prof === 'v5.6' ? -95 : 0;
      expect(reg(env, fd, [{ iov_base: a, iov_len: 2 * PAGE }])).toBe(want);
      if (want < 0) expect(page_count(env.m, pfn(env, a))).toBe(2); // page cache + mapping: pins dropped
    });

    it(`${prof}: ext4 MAP_SHARED buffer: ${prof === 'v6.12' ? '-EFAULT (GUP refuses the writable long-term pin)' : '-EOPNOTSUPP (io_uring refuses file-backed memory)'}`, () => {
      const env = mkEnv(prof);
      mount_fs(env.m, '/mnt', 'ext4');
      create_file(env.m, '/mnt/f', 2 * PAGE);
      const fd = ring(env);
      const a = fileMap(env, '/mnt/f', 2, MAP_SHARED);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 2 * PAGE }])).toBe(prof === 'v6.12' ? -14 : -95);
    });

    it(`${prof}: ext4 MAP_PRIVATE buffer: ${prof === 'v6.12' ? 'accepted (COW copies are anon)' : '-EOPNOTSUPP'}`, () => {
      const env = mkEnv(prof);
      mount_fs(env.m, '/mnt', 'ext4');
      create_file(env.m, '/mnt/f', 2 * PAGE);
      const fd = ring(env);
      const a = fileMap(env, '/mnt/f', 2, MAP_PRIVATE);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 2 * PAGE }])).toBe(prof === 'v6.12' ? 0 : -95);
    });

    it(`${prof}: closing the ring unregisters the buffers and unpins`, () => {
      const env = mkEnv(prof);
      const fd = ring(env);
      const a = anon(env, 2);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 2 * PAGE }])).toBe(0);
      expect(run(env, (k) => sys_close(k, fd))).toBe(0);
      expect(page_count(env.m, pfn(env, a))).toBe(1);
      expect(reports(env, 'warn')).toEqual([]);
    });
  }

  it('v6.1: a buffer spanning two files → -EINVAL (edd478269640); v5.6: -EOPNOTSUPP for the shmem part', () => {
    for (const [prof, want] of [['v6.1', -22], ['v5.6', -95]] as const) {
      const env = mkEnv(prof);
      const fd = ring(env);
      // Two adjacent anon + shmem mappings: allocate 2 pages anon, then MAP_FIXED a shmem page over the second.
      const a = anon(env, 2);
      const f = run(env, function* (k) { return shmem_file_setup(k, 'memfd:y', PAGE); });
      const b = run(env, (k) => vm_mmap_pgoff(k, f, a + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | 0x10, 0));
      expect(b).toBe(a + PAGE);
      expect(run(env, (k) => __mm_populate(k, b, PAGE, false))).toBe(0);
      expect(reg(env, fd, [{ iov_base: a, iov_len: 2 * PAGE }])).toBe(want);
    }
  });
});

describe('ring_pages (fs/io_uring.c 5.4.1 / 5.6.4)', () => {
  it('rounds the ring block and the SQE array each to a power-of-two page count', () => {
    expect(ring_pages(1, 2)).toBe(2); // 388-byte ring block + one 64-byte SQE
    expect(ring_pages(8, 16)).toBe(2);
    expect(ring_pages(64, 128)).toBe(1 + 1); // 2368 + 256 bytes; 4 KiB of SQEs
    expect(ring_pages(128, 256)).toBe(2 + 2); // 4416 + 512 bytes → 2 pages; 8 KiB of SQEs
    expect(ring_pages(4096, 8192)).toBe(64 + 64); // 147776 bytes → 37 pages → order 6; 256 KiB of SQEs
    expect(ring_pages(32768, 65536)).toBe(512 + 512);
  });
});
