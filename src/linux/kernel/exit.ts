/**
 * kernel/exit.c: do_exit() reduced to what pinning cares about — exit_mm() (drop
 * the mm: the last user runs exit_mmap) and then exit_files() (drop the fd table:
 * the last reference closes every file, running ->release of files whose last
 * reference it was). The order (mm before files) is the kernel's in 5.4, 6.1, 6.12.
 *
 * MODEL: no signals to the parent, no zombie state; the task is marked exited.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { files_struct } from '../include/linux/fs.js';
import { fput } from '../include/linux/fs.js';
import { PF_EXITING, get_current } from '../include/linux/sched.js';
import { mmput } from './fork.js';

/** exit_mm(): current gives up its mm. */
export function* exit_mm(k: Kctx): KThread<void> {
  const t = get_current(k);
  const mm = t.mm;
  if (!mm) return;
  t.mm = null;
  yield* mmput(k, mm);
}

/** put_files_struct(files): the last reference closes every open file. */
export function* put_files_struct(k: Kctx, files: files_struct): KThread<void> {
  files.count--;
  if (files.count > 0) return;
  for (let fd = 0; fd < files.fd.length; fd++) {
    const f = files.fd[fd];
    if (!f) continue;
    files.fd[fd] = null;
    yield* fput(k, f);
  }
}

/** exit_files(tsk) */
export function* exit_files(k: Kctx): KThread<void> {
  const t = get_current(k);
  const files = t.files;
  if (!files) return;
  t.files = null;
  yield* put_files_struct(k, files);
}

/** do_exit(code) / sys_exit_group(code): never returns to user space (the thread ends after it). */
export function* do_exit(k: Kctx, code: number): KThread<void> {
  const t = get_current(k);
  k.s.traceCall('do_exit', [t.pid, code]);
  t.flags |= PF_EXITING;
  yield* exit_mm(k);
  yield* exit_files(k);
  t.exited = true;
  k.m.event(k.tid, 'exit', [`pid:${t.pid}`], 'kernel/exit.c:do_exit', code);
  k.s.traceRet('do_exit', code);
}
