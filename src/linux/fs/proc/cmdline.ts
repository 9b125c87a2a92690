/**
 * fs/proc/base.c: /proc/PID/cmdline — proc_pid_cmdline_read(), get_task_cmdline(),
 * get_mm_cmdline(), get_mm_proctitle(). The same code in 5.4.1, Debian 6.1.192 and Debian
 * 6.12.117 (the rewrite these releases share entered in 5.2).
 *
 * The inode: S_IFREG|0444, i_fop = proc_pid_cmdline_ops (->read, generic llseek).
 * proc_pid_cmdline_read(file, buf, count, ppos): the task gone → -ESRCH; no mm (exited, kernel
 * thread) → 0; else get_mm_cmdline(), and *ppos advances by a positive result.
 *
 * get_mm_cmdline(mm, buf, count, ppos):
 * - env_end == 0 (not spawned far enough) → 0; the four bounds are read under arg_lock;
 *   arg_start >= arg_end → 0;
 * - the environment counts only when it starts exactly at arg_end (env_start == arg_end and
 *   env_end >= env_start), else it is treated as empty; len = env_end - arg_start; a position
 *   at or past len → 0, count is cut to len - pos;
 * - "setproctitle" rule: one byte at arg_end - 1 is read with access_remote_vm(FOLL_ANON); if
 *   it was read and is not NUL, get_mm_proctitle(): one page from arg_start (FOLL_ANON), the
 *   string up to and including its first NUL (or all bytes read), from pos, at most count
 *   bytes; nothing read, or pos past the string → 0; a copy_to_user that copies nothing → -EFAULT;
 * - else only [arg_start, arg_end) is read: page-sized chunks with access_remote_vm(FOLL_ANON)
 *   until one copies nothing; a chunk whose copy_to_user copies nothing ends the loop (-EFAULT
 *   when nothing was returned yet).
 * FOLL_ANON makes GUP refuse every VMA with vm_ops (files, shmem — MAP_SHARED|MAP_ANONYMOUS
 * too —, hugetlb): such bytes read as nothing. No FOLL_FORCE: PROT_NONE bytes read as nothing.
 *
 * MODEL: the open checks the inode's 0444 mode itself (generic_permission: writing needs
 * CAP_DAC_OVERRIDE, else -EACCES); the kernel buffer never fails to allocate (-ENOMEM);
 * bytes still in the exec'd argument area (kernel/sys_prctl.ts EXEC_LAYOUT: no stack VMA in
 * the model) are `unsupported`.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { unsupported } from '../../include/linux/bug.js';
import { errno_reason } from '../../errno_reason.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import { FMODE_WRITE } from '../../include/linux/fs.js';
import { FOLL_ANON } from '../../include/linux/foll.js';
import type { data_run } from '../../include/linux/page_data.js';
import { runs_slice } from '../../include/linux/page_data.js';
import type { mm_struct, remote_buf } from '../../include/linux/mm_types.js';
import { PAGE_SIZE } from '../../include/linux/mm_types.js';
import type { iov_iter } from '../../include/linux/uio.js';
import { copy_to_iter } from '../../include/linux/uio.js';
import { CAP_DAC_OVERRIDE, get_current } from '../../include/linux/sched.js';
import { EACCES, EFAULT, ESRCH } from '../../include/uapi/linux/errno.js';
import { get_task_mm, mmput } from '../../kernel/fork.js';
import { spin_lock, spin_unlock } from '../../kernel/locking/mutex.js';
import { EXEC_ARGS_BASE } from '../../kernel/sys_prctl.js';
import { access_remote_vm, remote_buffer } from '../../mm/access_remote.js';

const SITE = 'fs/proc/base.c:get_mm_cmdline';

/** access_remote_vm(mm, addr, page, len, FOLL_ANON), or `unsupported` for bytes of the exec'd argument area. */
function* read_args(k: Kctx, mm: mm_struct, addr: number, len: number, caller: string): KThread<{ got: number; page: remote_buf }> {
  const page = remote_buffer();
  if (addr + len > EXEC_ARGS_BASE) {
    return { got: unsupported(k, SITE, `a read of [0x${addr.toString(16)}, +${len}) reaches the exec'd argument area (no stack VMA in the model)`), page };
  }
  return { got: yield* access_remote_vm(k, mm, addr, page, len, FOLL_ANON, caller), page };
}

/** strnlen(page, got) over the bytes read. */
function strnlen_runs(runs: readonly data_run[], got: number): number {
  for (const r of runs) if (r.tag === '' && r.offset < got) return r.offset;
  return got;
}

/** get_mm_proctitle(mm, buf, count, pos, arg_start) */
function* get_mm_proctitle(k: Kctx, mm: mm_struct, buf: iov_iter, count: number, pos: number, arg_start: number): KThread<number> {
  if (pos >= PAGE_SIZE) return 0;
  const { got, page } = yield* read_args(k, mm, arg_start, PAGE_SIZE, 'get_mm_proctitle');
  if (got < 0) return got;
  if (got === 0) return 0;
  let len = strnlen_runs(page.runs, got);
  if (len < got) len++;
  if (len <= pos) return 0;
  len = Math.min(len - pos, count);
  const to = yield* copy_to_iter(k, runs_slice(page.runs, pos, len), len, buf);
  if (to < 0) return to;
  return to === 0 ? errno_reason(k, -EFAULT, 'fs/proc/base.c:get_mm_proctitle', 'copy_to_user into the caller\'s buffer faulted') : to;
}

/** get_mm_cmdline(mm, buf, count, ppos): bytes or -errno (see the file header). */
function* get_mm_cmdline(k: Kctx, mm: mm_struct, buf: iov_iter, count: number, ppos: number): KThread<number> {
  // env_end is read without the lock: prctl never sets it to 0 (validate_prctl_map_addr).
  if (!mm.env_end) return 0;
  yield* spin_lock(k, mm.arg_lock, SITE);
  const { arg_start, arg_end, env_start } = mm;
  let { env_end } = mm;
  spin_unlock(k, mm.arg_lock, SITE);
  if (arg_start >= arg_end) return 0;
  // The environment counts only when it follows the arguments directly (else both bounds become arg_end).
  if (env_start !== arg_end || env_end < env_start) env_end = arg_end;
  let len = env_end - arg_start;
  let pos = ppos;
  if (pos >= len) return 0;
  count = Math.min(count, len - pos);
  if (!count) return 0;
  // A non-NUL last argument byte: setproctitle(3) overwrote the strings.
  const last = yield* read_args(k, mm, arg_end - 1, 1, 'get_mm_cmdline:last-byte');
  if (last.got < 0) return last.got;
  if (last.got === 1 && last.page.runs[0].tag !== '') return yield* get_mm_proctitle(k, mm, buf, count, pos, arg_start);
  pos += arg_start;
  if (pos < arg_start || pos >= arg_end) return 0;
  count = Math.min(count, arg_end - pos);
  len = 0;
  while (count) {
    const size = Math.min(PAGE_SIZE, count);
    const r = yield* read_args(k, mm, pos, size, 'get_mm_cmdline:args');
    if (r.got < 0) return len || r.got;
    if (r.got <= 0) break;
    const got = yield* copy_to_iter(k, r.page.runs, r.got, buf);
    if (got < 0) return len || got;
    if (!got) {
      if (!len) len = errno_reason(k, -EFAULT, SITE, 'copy_to_user into the caller\'s buffer faulted');
      break;
    }
    pos += got;
    len += got;
    count -= got;
  }
  return len;
}

/** proc_pid_cmdline_read(file, buf, count, pos) */
function* proc_pid_cmdline_read(k: Kctx, f: file, buf: iov_iter, count: number, pos: { v: number }): KThread<number> {
  const task = k.m.tasks.get(f.f_inode.i_private as number);
  if (task === undefined) return errno_reason(k, -ESRCH, 'fs/proc/base.c:proc_pid_cmdline_read', 'the task is gone');
  const mm = get_task_mm(task);
  if (mm === null) return 0;
  const ret = yield* get_mm_cmdline(k, mm, buf, count, pos.v);
  yield* mmput(k, mm);
  if (ret > 0) pos.v += ret;
  return ret;
}

/** MODEL: the 0444 inode's permission check (generic_permission), made at open. */
function* cmdline_open(k: Kctx, i: inode, f: file): KThread<number> {
  yield* [];
  if (f.f_mode & FMODE_WRITE && !get_current(k).cred.cap_effective.has(CAP_DAC_OVERRIDE)) {
    return errno_reason(k, -EACCES, 'fs/namei.c:generic_permission', `/proc/${String(i.i_private)}/cmdline is mode 0444 and the caller lacks CAP_DAC_OVERRIDE`);
  }
  return 0;
}

/** proc_pid_cmdline_ops */
export const proc_pid_cmdline_ops: file_operations = {
  owner: 'proc_cmdline',
  open: cmdline_open,
  read: proc_pid_cmdline_read,
};
