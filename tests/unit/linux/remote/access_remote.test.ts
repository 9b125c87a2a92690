/**
 * The remote-access model driven directly (mm/access_remote.ts, fs/proc/base.ts,
 * fs/read_write.ts, kernel/ptrace.ts, mm/process_vm_access.ts): exact byte counts at
 * unaligned addresses and across holes, -EIO only when nothing was copied, the /proc
 * open's checks, the ptrace attach rules, process_vm_* argument checks and partial counts.
 */
import { describe, expect, it } from 'vitest';
import { machine, runAs, task } from '../mm/harness.js';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EACCES, EBADF, EFAULT, EINVAL, EIO, EPERM, ESRCH } from '../../../../src/linux/include/uapi/linux/errno.js';
import { O_RDONLY, O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { sys_mmap, sys_munmap, sys_open } from '../../../../src/linux/syscalls.js';
import { sys_fork } from '../../../../src/linux/kernel/fork.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { ksys_pread64, ksys_pwrite64 } from '../../../../src/linux/fs/read_write.js';
import type { data_run } from '../../../../src/linux/include/linux/page_data.js';
import { access_process_vm, remote_buffer } from '../../../../src/linux/mm/access_remote.js';
import { PTRACE_ATTACH, PTRACE_PEEKDATA, PTRACE_SEIZE, sys_ptrace } from '../../../../src/linux/kernel/ptrace.js';
import { UIO_MAXIOV, process_vm_rw } from '../../../../src/linux/mm/process_vm_access.js';
import { FOLL_FORCE } from '../../../../src/linux/include/linux/foll.js';
import type { task_struct } from '../../../../src/linux/include/linux/sched.js';

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;

describe('access_remote_vm through /proc/self/mem', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: an unaligned read across a hole copies up to the hole; a read starting in it is -EIO`, () => {
      const m = machine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, 3 * PAGE_SIZE, RW, ANON, -1, 0);
        yield* user_store(k, a, PAGE_SIZE, 'A');
        yield* sys_munmap(k, a + PAGE_SIZE, PAGE_SIZE);
        const fd = yield* sys_open(k, '/proc/self/mem', O_RDWR);
        const sink: data_run[] = [];
        const partial = yield* ksys_pread64(k, fd, { sink }, 3 * PAGE_SIZE, a + 100);
        const inHole = yield* ksys_pread64(k, fd, { sink: [] }, 16, a + PAGE_SIZE + 8);
        const neg = yield* ksys_pread64(k, fd, { sink: [] }, 16, -1);
        const badfd = yield* ksys_pread64(k, 77, { sink: [] }, 16, a);
        const rofd = yield* sys_open(k, '/proc/self/mem', O_RDONLY);
        const rowrite = yield* ksys_pwrite64(k, rofd, { tag: 'X' }, 8, a);
        return { partial, runs: sink, inHole, neg, badfd, rowrite };
      });
      expect(r.partial).toBe(PAGE_SIZE - 100);
      expect(r.runs).toEqual([{ offset: 0, len: PAGE_SIZE - 100, tag: 'A' }]);
      expect(r.inHole).toBe(-EIO);
      expect(r.neg).toBe(-EINVAL);
      expect(r.badfd).toBe(-EBADF);
      expect(r.rowrite).toBe(-EBADF);
    });
  }

  it('a read of more than a page copies the bytes of the pages it crosses, in order', () => {
    const m = machine('v6.12');
    const t = task(m);
    const runs = runAs(m, t, function* (k) {
      const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, ANON, -1, 0);
      yield* user_store(k, a, PAGE_SIZE, 'A');
      yield* user_store(k, a + PAGE_SIZE, PAGE_SIZE, 'B');
      const fd = yield* sys_open(k, '/proc/self/mem', O_RDONLY);
      const sink: data_run[] = [];
      const n = yield* ksys_pread64(k, fd, { sink }, PAGE_SIZE + 10, a + 5);
      return { n, runs: sink };
    });
    expect(runs.n).toBe(PAGE_SIZE + 10);
    expect(runs.runs).toEqual([{ offset: 0, len: PAGE_SIZE - 5, tag: 'A' }, { offset: PAGE_SIZE - 5, len: 15, tag: 'B' }]);
  });

  for (const profile of ['v5.4', 'v6.12']) {
    it(`${profile}: pread into a user buffer copies byte-exact through copy_to_user; pwrite from one writes only its bytes; a faulting buffer is -EFAULT`, () => {
      const m = machine(profile);
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const a = yield* sys_mmap(k, 0, 3 * PAGE_SIZE, RW, ANON, -1, 0);
        yield* user_store(k, a, PAGE_SIZE, 'A');
        yield* user_store(k, a + 10, 6, 'B');
        yield* user_store(k, a + PAGE_SIZE, PAGE_SIZE, 'C');
        const fd = yield* sys_open(k, '/proc/self/mem', O_RDWR);
        const rd = yield* ksys_pread64(k, fd, { addr: a + PAGE_SIZE + 100 }, 20, a + 4);
        const got = yield* user_load(k, a + PAGE_SIZE + 96, 28);
        const wr = yield* ksys_pwrite64(k, fd, { addr: a + 12 }, 3, a + PAGE_SIZE + 2);
        const after = yield* user_load(k, a + PAGE_SIZE, 8);
        yield* sys_munmap(k, a + 2 * PAGE_SIZE, PAGE_SIZE);
        // The buffer's second half is unmapped: copy_to_user faults after the first chunk.
        const fault = yield* ksys_pread64(k, fd, { addr: a + 2 * PAGE_SIZE - 8 }, 16, a);
        const wfault = yield* ksys_pwrite64(k, fd, { addr: a + 2 * PAGE_SIZE - 8 }, 16, a);
        return { rd, got, wr, after, fault, wfault };
      });
      expect(r).toEqual({ rd: 20, got: 'C*4 A*6 B*6 A*8 C*4', wr: 3, after: 'C*2 B*3 C*3', fault: -EFAULT, wfault: -EFAULT });
    });
  }

  it('access_process_vm of a task without an mm copies nothing', () => {
    const m = machine('v6.1');
    const t = task(m);
    const kt = task(m, { comm: 'kworker', kthread: true });
    const n = runAs(m, t, (k) => access_process_vm(k, kt, 0x10000, remote_buffer(), 8, FOLL_FORCE));
    expect(n).toBe(0);
  });
});

describe('who may access another process', () => {
  function pair(profile: string, uidB: number, caps: number[] = []): { m: ReturnType<typeof machine>; a: task_struct; b: task_struct } {
    const m = machine(profile);
    const a = task(m, { uid: 1000, caps });
    const b = task(m, { uid: uidB, caps: [] });
    return { m, a, b };
  }

  it('another uid: /proc/<pid>/mem is -EACCES, process_vm_readv -EPERM, PTRACE_ATTACH -EPERM; CAP_SYS_PTRACE + CAP_DAC_OVERRIDE open them', () => {
    const { m, a, b } = pair('v6.12', 0);
    const r = runAs(m, a, function* (k) {
      const open = yield* sys_open(k, `/proc/${b.pid}/mem`, O_RDONLY);
      const local = yield* sys_mmap(k, 0, PAGE_SIZE, RW, ANON, -1, 0);
      const pvm = yield* process_vm_rw(k, b, [{ iov_base: local, iov_len: 8 }], [{ iov_base: 0x10000, iov_len: 8 }], 0, false);
      const attach = (yield* sys_ptrace(k, PTRACE_ATTACH, b, 0, 0, '')).ret;
      return { open, pvm, attach };
    });
    expect(r).toEqual({ open: -EACCES, pvm: -EPERM, attach: -EPERM });
    const p2 = pair('v6.12', 0, [19, 1]);
    const r2 = runAs(p2.m, p2.a, function* (k) {
      const open = yield* sys_open(k, `/proc/${p2.b.pid}/mem`, O_RDONLY);
      const attach = (yield* sys_ptrace(k, PTRACE_ATTACH, p2.b, 0, 0, '')).ret;
      return { open, attach };
    });
    expect(r2.open).toBeGreaterThanOrEqual(0);
    expect(r2.attach).toBe(0);
  });

  it('PEEKDATA needs a stopped tracee of the caller: -ESRCH before attach and after SEIZE', () => {
    const m = machine('v6.1');
    const p = task(m);
    const r = runAs(m, p, function* (k) {
      const a = yield* sys_mmap(k, 0, PAGE_SIZE, RW, ANON, -1, 0);
      yield* user_store(k, a, PAGE_SIZE, 'A');
      const pid = yield* sys_fork(k);
      const child = m.tasks.get(pid) as task_struct;
      const early = (yield* sys_ptrace(k, PTRACE_PEEKDATA, child, a, 0, '')).ret;
      const seize = (yield* sys_ptrace(k, PTRACE_SEIZE, child, 0, 0, '')).ret;
      const running = (yield* sys_ptrace(k, PTRACE_PEEKDATA, child, a, 0, '')).ret;
      const none = (yield* sys_ptrace(k, PTRACE_PEEKDATA, null, a, 0, '')).ret;
      return { early, seize, running, none };
    });
    expect(r).toEqual({ early: -ESRCH, seize: 0, running: -ESRCH, none: -ESRCH });
  });
});

describe('process_vm_readv/writev', () => {
  it('checks flags and iovecs before the target; copies nothing for empty vectors', () => {
    const m = machine('v6.12');
    const p = task(m);
    const r = runAs(m, p, function* (k) {
      const a = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, RW, ANON, -1, 0);
      const one = [{ iov_base: a, iov_len: 8 }];
      const flags = yield* process_vm_rw(k, p, one, one, 1, false);
      const many = yield* process_vm_rw(k, p, Array.from({ length: UIO_MAXIOV + 1 }, () => ({ iov_base: a, iov_len: 1 })), one, 0, false);
      const negLocal = yield* process_vm_rw(k, p, [{ iov_base: a, iov_len: 2 ** 63 }], one, 0, false);
      const badLocal = yield* process_vm_rw(k, p, [{ iov_base: 2 ** 47, iov_len: 8 }], one, 0, false);
      const negRemote = yield* process_vm_rw(k, null, one, [{ iov_base: a, iov_len: 2 ** 63 }], 0, false);
      const emptyLocal = yield* process_vm_rw(k, null, [], one, 0, false);
      const emptyRemote = yield* process_vm_rw(k, null, one, [{ iov_base: a, iov_len: 0 }], 0, false);
      const noTask = yield* process_vm_rw(k, null, one, one, 0, false);
      const unmappedRemote = yield* process_vm_rw(k, p, one, [{ iov_base: 0x1000, iov_len: 8 }], 0, false);
      const localFault = yield* process_vm_rw(k, p, [{ iov_base: 0x1000, iov_len: 8 }], one, 0, false);
      const twoVecs = yield* process_vm_rw(k, p, [{ iov_base: a + PAGE_SIZE, iov_len: 16 }], [{ iov_base: a, iov_len: 8 }, { iov_base: 0x1000, iov_len: 8 }], 0, false);
      return { flags, many, negLocal, badLocal, negRemote, emptyLocal, emptyRemote, noTask, unmappedRemote, localFault, twoVecs };
    });
    expect(r).toEqual({
      flags: -EINVAL, many: -EINVAL, negLocal: -EINVAL, badLocal: -EFAULT, negRemote: -EINVAL, emptyLocal: 0, emptyRemote: 0,
      noTask: -ESRCH, unmappedRemote: -EFAULT, localFault: -EFAULT, twoVecs: 8,
    });
  });
});
