/**
 * fs/proc/base.c: /proc/PID/mem — Linux 5.4.1, Debian 6.1.192, Debian 6.12.117.
 *
 * Lookup: /proc/<pid>/mem (and /proc/self/mem) of an existing task gets an inode of its own
 * (proc_pid_make_inode: mode S_IFREG|0600, owned by the task's euid — task_dump_owner — with
 * i_fop = proc_mem_operations); a pid no task has is -ENOENT. The open first passes the
 * permission check of the inode (generic_permission: the owner, or CAP_DAC_OVERRIDE: else
 * -EACCES), then mem_open():
 * proc_mem_open(inode, PTRACE_MODE_ATTACH) → mm_access(task, mode | PTRACE_MODE_FSCREDS):
 * a refused check is -EACCES; a task without mm (exited) opens with no mm (reads give 0
 * bytes); the open keeps the mm struct alive (mmgrab) but not its memory (mmput), and sets
 * FMODE_UNSIGNED_OFFSET. The release drops the struct reference (mmdrop).
 *
 * mem_rw(file, buf, count, ppos, write): no mm → 0; the mm's memory gone (mmget_not_zero
 * fails: the process exited) → 0; then in chunks of at most PAGE_SIZE through a kernel
 * bounce page: a write first copies the chunk from the user buffer (copy_from_user), then
 * access_remote_vm(mm, addr, page, this_len, flags) (mm/access_remote.ts), then a read
 * copies what it got to the user buffer (copy_to_user); a fault on the user buffer makes
 * the result -EFAULT whatever was copied before; a chunk that copies nothing ends the
 * loop with -EIO if nothing was copied yet, else the count. flags: FOLL_FORCE, plus FOLL_WRITE for a write — 5.4.1 always; 6.1.192 / 6.12.117
 * through proc_mem_foll_force(), which gives FOLL_FORCE under the default
 * CONFIG_PROC_MEM_ALWAYS_FORCE (Debian's config; backport of 41e8149c8892 "proc: add config
 * & param to block forcing mem writes") unless the proc_mem.force_override= boot option
 * says otherwise. *ppos advances by what was copied.
 * MODEL: the bounce page allocation never fails (-ENOMEM), the bounce page is a
 * remote_buf (byte runs), the user buffer an iterator (include/linux/fs.ts ->read), and
 * proc_mem.force_override is not modelled (always).
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { errno_reason } from '../../errno_reason.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import { S_IFREG } from '../../include/linux/fs.js';
import { FOLL_FORCE, FOLL_WRITE } from '../../include/linux/foll.js';
import type { mm_struct } from '../../include/linux/mm_types.js';
import type { iov_iter } from '../../include/linux/uio.js';
import { copy_from_iter, copy_to_iter, iov_iter_revert } from '../../include/linux/uio.js';
import { PAGE_SIZE } from '../../include/linux/mm_types.js';
import type { task_struct } from '../../include/linux/sched.js';
import { CAP_DAC_OVERRIDE, get_current } from '../../include/linux/sched.js';
import { EACCES, EFAULT, EIO, ENOENT, ESRCH } from '../../include/uapi/linux/errno.js';
import { mmdrop, mmget_not_zero, mmgrab, mmput } from '../../kernel/fork.js';
import { PTRACE_MODE_ATTACH, PTRACE_MODE_FSCREDS, mm_access } from '../../kernel/ptrace.js';
import { access_remote_vm, remote_buffer } from '../../mm/access_remote.js';
import { mount_fs, new_inode } from '../libfs.js';
import { FMODE_UNSIGNED_OFFSET } from '../read_write.js';
import { proc_pid_cmdline_ops } from './cmdline.js';

/** The task a /proc/<pid> inode stands for (get_proc_task): null once it is gone. */
function get_proc_task(k: Kctx, i: inode): task_struct | null {
  return k.m.tasks.get(i.i_private as number) ?? null;
}

/** proc_mem_open(inode, mode): the mm (grabbed), null (no mm), or -errno. */
function* proc_mem_open(k: Kctx, i: inode, mode: number): KThread<mm_struct | null | number> {
  const task = get_proc_task(k, i);
  if (task === null) return errno_reason(k, -ESRCH, 'fs/proc/base.c:proc_mem_open', 'the task is gone');
  const mm = yield* mm_access(k, task, mode | PTRACE_MODE_FSCREDS);
  if (typeof mm === 'number') return mm === -ESRCH ? null : mm;
  mmgrab(mm);
  yield* mmput(k, mm);
  return mm;
}

/** mem_open(inode, file) */
function* mem_open(k: Kctx, i: inode, f: file): KThread<number> {
  // generic_permission() of the 0600 inode owned by the task's euid (before ->open).
  const cur = get_current(k);
  if (cur.cred.euid !== i_uid(k, i) && !cur.cred.cap_effective.has(CAP_DAC_OVERRIDE)) {
    return errno_reason(k, -EACCES, 'fs/namei.c:generic_permission', `/proc/${String(i.i_private)}/mem is mode 0600, owned by uid ${i_uid(k, i)}, and the caller lacks CAP_DAC_OVERRIDE`);
  }
  const mm = yield* proc_mem_open(k, i, PTRACE_MODE_ATTACH);
  if (typeof mm === 'number') return mm;
  f.private_data = mm;
  f.f_mode |= FMODE_UNSIGNED_OFFSET;
  return 0;
}

/** The inode's owner: the task's euid (task_dump_owner of a dumpable task). */
function i_uid(k: Kctx, i: inode): number {
  return get_proc_task(k, i)?.cred.euid ?? 0;
}

/** mem_rw(file, buf, count, ppos, write) */
function* mem_rw(k: Kctx, f: file, buf: iov_iter, count: number, pos: { v: number }, write: boolean): KThread<number> {
  const site = 'fs/proc/base.c:mem_rw';
  const mm = f.private_data as mm_struct | null;
  let addr = pos.v;
  if (mm === null) return 0;
  let copied = 0;
  if (!mmget_not_zero(mm)) return 0;
  const flags = FOLL_FORCE | (write ? FOLL_WRITE : 0);
  while (count > 0) {
    let this_len = Math.min(count, PAGE_SIZE);
    // The bounce page: filled from the user buffer for a write, by access_remote_vm for a read.
    let page = remote_buffer();
    if (write) {
      const from = yield* copy_from_iter(k, this_len, buf);
      if (typeof from === 'number') {
        copied = from;
        break;
      }
      if (from.reduce((a, r) => a + r.len, 0) < this_len) {
        copied = errno_reason(k, -EFAULT, site, 'copy_from_user of the caller\'s buffer faulted');
        break;
      }
      page = remote_buffer(from);
    }
    const asked = this_len;
    this_len = yield* access_remote_vm(k, mm, addr, page, this_len, flags);
    // MODEL: the kernel advances buf by what access_remote_vm copied; the iterator advanced
    // by the whole chunk copy_from_user took, so step it back by the rest.
    if (write && this_len < asked) iov_iter_revert(buf, asked - this_len);
    if (!this_len) {
      if (!copied) copied = errno_reason(k, -EIO, site, `access_remote_vm copied nothing at 0x${addr.toString(16)}`);
      break;
    }
    if (!write) {
      const to = yield* copy_to_iter(k, page.runs, this_len, buf);
      if (to < 0) {
        copied = to;
        break;
      }
      if (to < this_len) {
        copied = errno_reason(k, -EFAULT, site, 'copy_to_user into the caller\'s buffer faulted');
        break;
      }
    }
    addr += this_len;
    copied += this_len;
    count -= this_len;
  }
  pos.v = addr;
  yield* mmput(k, mm);
  return copied;
}

/** mem_release(inode, file): drop the struct reference of the open. */
function* mem_release(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const mm = f.private_data as mm_struct | null;
  if (mm !== null) mmdrop(k.m, mm);
  yield* [];
  return 0;
}

/** proc_mem_operations */
export const proc_mem_operations: file_operations = {
  owner: 'proc_mem',
  open: mem_open,
  read: (k, f, buf, count, pos) => mem_rw(k, f, buf, count, pos, false),
  write: (k, f, buf, count, pos) => mem_rw(k, f, buf, count, pos, true),
  release: mem_release,
};

/**
 * The lookup of a /proc path (proc_pid_lookup + proc_pident_lookup, reduced to `mem` and
 * `cmdline`, fs/proc/cmdline.ts): an inode for /proc/<pid|self>/mem or /proc/<pid|self>/cmdline,
 * or -ENOENT. Not a /proc path: null.
 */
export function proc_lookup(k: Kctx, path: string): inode | number | null {
  if (!path.startsWith('/proc/')) return null;
  const m = /^\/proc\/(self|[1-9][0-9]*)\/(mem|cmdline)$/.exec(path);
  if (m === null) return errno_reason(k, -ENOENT, 'fs/proc/base.c:proc_pid_lookup', `${path}: only /proc/<pid>/mem and /proc/<pid>/cmdline are modelled`);
  const pid = m[1] === 'self' ? get_current(k).pid : Number(m[1]);
  const task = k.m.tasks.get(pid);
  if (task === undefined) return errno_reason(k, -ENOENT, 'fs/proc/base.c:proc_pid_lookup', `no task has pid ${pid}`);
  const sb = k.m.mounts.get('/proc') ?? mount_fs(k.m, '/proc', 'proc');
  const cmdline = m[2] === 'cmdline';
  const i = new_inode(k.m, sb, `/proc/${pid}/${m[2]}`, S_IFREG | (cmdline ? 0o444 : 0o600), 0);
  i.i_private = pid;
  i.i_fop = cmdline ? proc_pid_cmdline_ops : proc_mem_operations;
  return i;
}
