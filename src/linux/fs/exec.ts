/**
 * fs/exec.c: execve() reduced to its effect on memory and files — exec_mmap()
 * installs a fresh mm and mmput()s the old one (its pages stay alive only while
 * something else references them, e.g. a long-term pin), then do_close_on_exec()
 * closes O_CLOEXEC descriptors. Read in 5.4.1 and Debian 6.1.192.
 *
 * MODEL: no binary is loaded (the new mm is empty); credentials are unchanged.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { close_fd } from '../include/linux/fs.js';
import { get_current } from '../include/linux/sched.js';
import { EINTR } from '../include/uapi/linux/errno.js';
import { mm_alloc, mmput } from '../kernel/fork.js';
import { down_write_killable, up_write } from '../kernel/locking/rwsem.js';

/** exec_mmap(mm): switch current to the new mm; the old one loses current's reference. */
function* exec_mmap(k: Kctx): KThread<number> {
  const t = get_current(k);
  const old = t.mm;
  const mm = mm_alloc(k.m);
  mm.owner_pid = t.pid;
  if (old) {
    // 5.4 and 6.x take the old mmap_lock (killable) around the switch.
    if (yield* down_write_killable(k, old.mmap_lock, 'fs/exec.c:exec_mmap')) {
      yield* mmput(k, mm);
      return -EINTR;
    }
  }
  t.mm = mm;
  if (old) {
    up_write(k, old.mmap_lock, 'fs/exec.c:exec_mmap');
    yield* mmput(k, old);
  }
  return 0;
}

/** sys_execve(): a new, empty address space; close-on-exec files closed. Returns 0 or -errno. */
export function* sys_execve(k: Kctx): KThread<number> {
  const t = get_current(k);
  k.s.traceCall('sys_execve', [t.pid]);
  const r = yield* exec_mmap(k);
  if (r) {
    k.s.traceRet('sys_execve', r);
    return r;
  }
  if (t.files) {
    for (const fd of [...t.files.close_on_exec].sort((a, b) => a - b)) yield* close_fd(k, fd);
  }
  k.m.event(k.tid, 'exec', [`pid:${t.pid}`, `mm:${(t.mm as { id: number }).id}`], 'fs/exec.c:begin_new_exec');
  k.s.traceRet('sys_execve', 0);
  return 0;
}
