/** kernel/sys.c do_prlimit, kernel/capability.c capset, kernel/signal.c do_tkill (src/linux/kernel/{sys,capability,signal}.ts). */
import { describe, expect, it } from 'vitest';
import { Kctx } from '../../../../src/linux/kctx.js';
import { CAP_IPC_LOCK, CAP_SYS_RESOURCE, RLIMIT_MEMLOCK, RLIM_NLIMITS } from '../../../../src/linux/include/linux/sched.js';
import { EINVAL, EPERM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { SIGKILL, SIGUSR1 } from '../../../../src/linux/include/uapi/asm-generic/signal.js';
import { do_prlimit } from '../../../../src/linux/kernel/sys.js';
import { sys_capset } from '../../../../src/linux/kernel/capability.js';
import { do_tkill } from '../../../../src/linux/kernel/signal.js';
import type { ThreadId } from '../../../../src/sched/index.js';
import { DefaultChooser, Sched } from '../../../../src/sched/index.js';
import { machine, task } from '../mm/harness.js';

function ctx(caps: readonly number[]): Kctx {
  const m = machine();
  const s = new Sched({ chooser: new DefaultChooser() });
  return new Kctx(m, s, 0 as ThreadId, task(m, { caps, memlock: 4096 }));
}

describe('do_prlimit', () => {
  it('rejects a soft limit above the hard one and an unknown resource', () => {
    const k = ctx([CAP_SYS_RESOURCE]);
    expect(do_prlimit(k, k.current, RLIMIT_MEMLOCK, { rlim_cur: 8192, rlim_max: 4096 })).toBe(-EINVAL);
    expect(do_prlimit(k, k.current, RLIM_NLIMITS, { rlim_cur: 0, rlim_max: 0 })).toBe(-EINVAL);
    expect(k.current.rlim[RLIMIT_MEMLOCK]).toEqual({ rlim_cur: 4096, rlim_max: 4096 });
  });
  it('needs CAP_SYS_RESOURCE to raise the hard limit, not to lower it', () => {
    const k = ctx([]);
    expect(do_prlimit(k, k.current, RLIMIT_MEMLOCK, { rlim_cur: 8192, rlim_max: 8192 })).toBe(-EPERM);
    expect(do_prlimit(k, k.current, RLIMIT_MEMLOCK, { rlim_cur: 1024, rlim_max: 2048 })).toBe(0);
    expect(k.current.rlim[RLIMIT_MEMLOCK]).toEqual({ rlim_cur: 1024, rlim_max: 2048 });
    const root = ctx([CAP_SYS_RESOURCE]);
    expect(do_prlimit(root, root.current, RLIMIT_MEMLOCK, { rlim_cur: 8192, rlim_max: 8192 })).toBe(0);
  });
});

describe('capset', () => {
  it('drops effective capabilities and refuses to gain one', () => {
    const k = ctx([CAP_IPC_LOCK, CAP_SYS_RESOURCE]);
    expect(sys_capset(k, new Set([CAP_SYS_RESOURCE]))).toBe(0);
    expect([...k.current.cred.cap_effective]).toEqual([CAP_SYS_RESOURCE]);
    expect(sys_capset(k, new Set([CAP_SYS_RESOURCE, CAP_IPC_LOCK]))).toBe(-EPERM);
    expect([...k.current.cred.cap_effective]).toEqual([CAP_SYS_RESOURCE]);
  });
});

describe('do_tkill', () => {
  it('makes SIGKILL fatal and any other signal pending only', () => {
    const k = ctx([]);
    const t1 = k.s.spawn('a', function* () {});
    const t2 = k.s.spawn('b', function* () {});
    expect(do_tkill(k, t1, SIGUSR1)).toBe(0);
    expect(do_tkill(k, t2, SIGKILL)).toBe(0);
    expect(k.s.signalPending(t1)).toBe('nonfatal');
    expect(k.s.signalPending(t2)).toBe('fatal');
  });
});
