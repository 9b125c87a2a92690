/**
 * io_uring ring set-up and io_uring_register() for fixed buffers, as the second
 * long-term pinner of the model. Sources: fs/io_uring.c of 5.4.1 and 5.6.4
 * (io_uring_setup / io_uring_create / __io_uring_register), io_uring/io_uring.c of
 * Debian 6.1.192 and io_uring/register.c of Debian 6.12.117.
 *
 * API for other parts (generators; `k` first):
 *   io_uring_setup(k, entries) → fd | -errno          (MODEL: no SQ/CQ rings, no params)
 *   io_uring_register(k, fd, opcode, arg, nr_args)    IORING_REGISTER_BUFFERS (arg: iovec[] or null)
 *                                                     IORING_UNREGISTER_BUFFERS (arg null, nr_args 0)
 *   io_uring_release via close (fput of the ring file unregisters the buffers).
 *   io_ring_ctx_of(k, fd) for tests: the ring's context.
 *
 * Per-user accounting: ctx->user is current's user_struct when the creator lacks
 * CAP_IPC_LOCK at setup (5.4: ctx->account_mem = !capable(CAP_IPC_LOCK)); its
 * locked_vm is shared by every ring of the same uid. MODEL: user_struct is reduced
 * to { uid, locked_vm } and kept per machine in `m.io_uring.users`.
 *
 * Ring memory (5.4–5.11): without CAP_IPC_LOCK, io_uring_create() charges the pages of the
 * SQ/CQ ring and the SQE array (ring_pages) to user->locked_vm before it allocates the
 * ring, failing with -ENOMEM past RLIMIT_MEMLOCK, and io_ring_ctx_free() gives them back.
 * From 26bfa89e25f4 (v5.12) the ring is charged to the memory cgroup instead and only
 * registered buffers count against RLIMIT_MEMLOCK.
 *
 * Locking: ctx->uring_lock (a mutex) around registration. 5.4/5.6 additionally kill
 * the ring's percpu ref and wait for in-flight users with the mutex dropped (a
 * scheduling point); a concurrent registration in that window sees a dying ref and
 * fails with -ENXIO. 6.1/6.12 no longer do that for buffer registration.
 */
import type { KThread } from '../../sched/index.js';
import { Mutex } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { IS_ENABLED } from '../kctx.js';
import { WARN_ON_ONCE, unsupported } from '../include/linux/bug.js';
import { EBADF, EINVAL, ENOSYS, ENXIO, EFAULT, EOPNOTSUPP } from '../include/uapi/linux/errno.js';
import { O_CLOEXEC, O_RDWR, S_IFREG, alloc_file, fd_install, fget, fput, get_unused_fd_flags } from '../include/linux/fs.js';
import type { file, file_operations, inode, super_block } from '../include/linux/fs.js';
import { mount_fs, new_inode, sb_of_path } from '../fs/libfs.js';
import type { mm_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import { CAP_IPC_LOCK, capable, get_current } from '../include/linux/sched.js';
import { mutex_lock, mutex_unlock } from '../kernel/locking/mutex.js';
import { race_window } from '../kernel/sched.js';
import { __io_account_mem, io_sqe_buffers_register, io_sqe_buffers_unregister } from './rsrc.js';
import { ENOMEM } from '../include/uapi/linux/errno.js';
import type { io_mapped_ubuf } from './rsrc.js';

/** include/uapi/linux/io_uring.h */
export const IORING_REGISTER_BUFFERS = 0;
export const IORING_UNREGISTER_BUFFERS = 1;

/** struct iovec as the model passes it (the user array is copied by value). */
export interface iovec {
  readonly iov_base: number;
  readonly iov_len: number;
}

/** struct user_struct, reduced to what io_uring charges. */
export interface user_struct {
  readonly uid: number;
  locked_vm: number;
}

/** struct io_ring_ctx, reduced to fixed buffers. */
export interface io_ring_ctx {
  readonly id: number;
  /** ctx->user: charged for registered buffers (null: creator had CAP_IPC_LOCK; 5.4 account_mem false). */
  readonly user: user_struct | null;
  /** 6.1/6.12 ctx->mm_account: the creator's mm, whose pinned_vm also grows. */
  readonly mm_account: mm_struct | null;
  readonly uring_lock: Mutex;
  /** The registered buffers (null entries: sparse slots in 6.x). */
  user_bufs: (io_mapped_ubuf | null)[] | null;
  nr_user_bufs: number;
  /** 6.x ctx->buf_data (non-null once a table was registered). */
  buf_data: boolean;
  /** 5.4/5.6: percpu_ref_is_dying(&ctx->refs) during a registration. */
  refs_dying: boolean;
  /** The ring file was released. */
  dead: boolean;
  /** p->sq_entries / p->cq_entries as io_uring_create() sized them. */
  readonly sq_entries: number;
  readonly cq_entries: number;
  /** 5.4–5.11: ring_pages() charged to `user` at creation (0 when nothing was charged). */
  ring_acct: number;
  /** 5.9–5.11: ring_pages() also charged to mm_account->locked_vm (ACCT_LOCKED; 0 otherwise). */
  mm_ring_acct: number;
}

/** Per-machine io_uring state (`m.io_uring`). */
export interface io_uring_subsys {
  readonly users: Map<number, user_struct>;
  readonly sb: super_block;
}

function subsys(k: Kctx): io_uring_subsys {
  const m = k.m;
  if (m.io_uring === null) {
    const path = 'anon_inode:[io_uring]';
    m.io_uring = { users: new Map(), sb: sb_of_path(m, path) ?? mount_fs(m, path, 'anon_inodefs') };
  }
  return m.io_uring;
}

/** get_uid(current_user()) (also iommufd's iopt_pages->source_user: the same per-user locked_vm) */
export function current_user(k: Kctx): user_struct {
  const s = subsys(k);
  const uid = get_current(k).cred.uid;
  let u = s.users.get(uid);
  if (!u) {
    u = { uid, locked_vm: 0 };
    s.users.set(uid, u);
  }
  return u;
}

/** The user_struct of a uid (for tests and scenario observation). */
export function io_uring_user(k: Kctx, uid: number): user_struct | null {
  return subsys(k).users.get(uid) ?? null;
}

/** MODEL: anon_inode_getfile("[io_uring]") — an inode without page cache. */
function anon_inode(k: Kctx, name: string): inode {
  return new_inode(k.m, subsys(k).sb, name, S_IFREG, 0);
}

const io_uring_fops: file_operations = {
  owner: 'io_uring',
  release: io_uring_release,
};

/** io_uring_release → io_ring_ctx_wait_and_kill → ... → buffers unregistered. */
function* io_uring_release(k: Kctx, _i: inode, f: file): KThread<number> {
  const ctx = f.private_data as io_ring_ctx;
  yield* mutex_lock(k, ctx.uring_lock, 'io_uring/io_uring.c:io_ring_ctx_wait_and_kill');
  if (ctx.user_bufs !== null) io_sqe_buffers_unregister_all(k, ctx);
  // 5.4–5.11 io_ring_ctx_free(): the ring's own pages leave user->locked_vm (5.9–5.11: and mm->locked_vm).
  if (ctx.user && ctx.ring_acct) ctx.user.locked_vm -= ctx.ring_acct;
  if (ctx.mm_account && ctx.mm_ring_acct) ctx.mm_account.locked_vm -= ctx.mm_ring_acct;
  ctx.ring_acct = 0;
  ctx.mm_ring_acct = 0;
  ctx.dead = true;
  mutex_unlock(k, ctx.uring_lock, 'io_uring/io_uring.c:io_ring_ctx_wait_and_kill');
  return 0;
}

function io_sqe_buffers_unregister_all(k: Kctx, ctx: io_ring_ctx): void {
  // The kernel's teardown path frees the table unconditionally (__io_sqe_buffers_unregister).
  const r = io_sqe_buffers_unregister(k, ctx);
  WARN_ON_ONCE(k, r !== 0 && r !== -ENXIO, 'io_uring/io_uring.c:io_ring_ctx_free', `unregister failed ${r}`);
}

/** include/uapi/linux/io_uring.h: sizeof(struct io_uring_sqe) and sizeof(struct io_uring_cqe). */
const SIZEOF_IO_URING_SQE = 64;
const SIZEOF_IO_URING_CQE = 16;
/** SMP_CACHE_BYTES on x86-64. */
const SMP_CACHE_BYTES = 64;
/**
 * offsetof(struct io_rings, cqes) in 5.4.1–5.6.4 with CONFIG_SMP: the sq and cq heads each
 * put head and tail on cache lines of their own (2 × 128 bytes), seven u32 fields follow
 * (masks, entries, sq_dropped, sq_flags, cq_overflow: 284 bytes), and cqes[] starts on the
 * next cache line.
 */
const IO_RINGS_CQES_OFFSET = 320;

function align_up(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** 1 << get_order(size): the pages of the smallest power-of-two block holding `size` bytes. */
function order_pages(size: number): number {
  let pages = 1;
  while (pages * PAGE_SIZE < size) pages *= 2;
  return pages;
}

/**
 * fs/io_uring.c ring_pages() / rings_size() [5.4.1, 5.6.4]: the pages charged for a ring of
 * sq_entries submissions and cq_entries completions — the io_rings block (header, CQEs,
 * then the u32 SQ index array after a cache-line pad) plus the SQE array, each rounded up to
 * a power-of-two number of pages as the page allocator hands them out.
 */
export function ring_pages(sq_entries: number, cq_entries: number): number {
  const rings = align_up(IO_RINGS_CQES_OFFSET + SIZEOF_IO_URING_CQE * cq_entries, SMP_CACHE_BYTES) + 4 * sq_entries;
  return order_pages(rings) + order_pages(SIZEOF_IO_URING_SQE * sq_entries);
}

function roundup_pow_of_two(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * io_uring_setup(entries, params) → io_uring_create(): a ring whose accounting follows
 * the creator: ctx->user when !capable(CAP_IPC_LOCK); 6.x ctx->mm_account = current->mm.
 * The SQ ring has roundup_pow_of_two(entries) slots and the CQ ring twice that (no
 * IORING_SETUP_CQSIZE: the model passes no params). 5.4–5.11 charge ring_pages() to
 * user->locked_vm first (-ENOMEM past RLIMIT_MEMLOCK).
 * MODEL: entries only validated for 0 / > 32768 (IORING_MAX_ENTRIES) → -EINVAL; the rings'
 * memory itself is not allocated.
 */
export function* io_uring_setup(k: Kctx, entries: number): KThread<number> {
  if (!IS_ENABLED(k, 'CONFIG_IO_URING')) return -ENOSYS;
  if (!entries || entries > 32768) return -EINVAL;
  const t = get_current(k);
  const account = !capable(k, CAP_IPC_LOCK);
  const sq_entries = roundup_pow_of_two(entries);
  const cq_entries = 2 * sq_entries;
  let ring_acct = 0;
  // PATCH(io-uring-ring-memcg): 26bfa89e25f4 stopped charging the ring to RLIMIT_MEMLOCK.
  if (account && !k.patch('io-uring-ring-memcg')) {
    ring_acct = ring_pages(sq_entries, cq_entries);
    if (__io_account_mem(k, current_user(k), ring_acct)) return -ENOMEM;
  }
  // PATCH(io-uring-mm-pinned-vm) 309758254ea6: an mm to report to (5.9 sqo_mm, 5.10 mm_account)
  const mm_acct = k.patch('io-uring-mm-pinned-vm') && t.mm !== null;
  // 5.9.1–5.11.14: the ring's pages are also added to that mm's locked_vm (ACCT_LOCKED), whatever
  // CAP_IPC_LOCK says (a fold of io-uring-mm-pinned-vm: "io_uring: separate reporting of ring pages from
  // registered pages", same series); io-uring-ring-memcg ends all ring accounting.
  // PATCH(io-uring-ring-memcg)
  const mm_ring_acct = mm_acct && !k.patch('io-uring-ring-memcg') ? ring_pages(sq_entries, cq_entries) : 0;
  if (mm_ring_acct && t.mm) t.mm.locked_vm += mm_ring_acct;
  const id = k.m.nextId('io_ring_ctx');
  const ctx: io_ring_ctx = {
    id,
    user: account ? current_user(k) : null,
    // 5.9 ctx->sqo_mm, 5.10+ ctx->mm_account: always current->mm (pinned_vm); 5.4–5.8 have no such field.
    // PATCH(io-uring-mm-pinned-vm) 309758254ea6: registered buffers are reported in the creator's pinned_vm
    mm_account: mm_acct ? t.mm : null,
    uring_lock: new Mutex(`uring_lock(ctx#${id})`),
    user_bufs: null,
    nr_user_bufs: 0,
    buf_data: false,
    refs_dying: false,
    dead: false,
    sq_entries,
    cq_entries,
    ring_acct,
    mm_ring_acct,
  };
  const fd = get_unused_fd_flags(k, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    // io_ring_ctx_wait_and_kill() → io_ring_ctx_free(): the charge is given back.
    if (ctx.user && ring_acct) ctx.user.locked_vm -= ring_acct;
    if (ctx.mm_account && mm_ring_acct) ctx.mm_account.locked_vm -= mm_ring_acct;
    return fd;
  }
  const f = alloc_file(k, anon_inode(k, '[io_uring]'), O_RDWR | O_CLOEXEC, io_uring_fops, ctx);
  fd_install(k, fd, f);
  yield* race_window(k, 'io_uring/io_uring.c:io_uring_create:installed');
  return fd;
}

/** io_is_uring_fops(file) (io_uring/io_uring.c, 5.x-6.x): is this an io_uring ring file? */
export function io_is_uring_fops(f: file): boolean {
  return f.f_op === io_uring_fops;
}

/** The ring context behind an fd (test/scenario observation), or null. */
export function io_ring_ctx_of(k: Kctx, fd: number): io_ring_ctx | null {
  const f = fget(k, fd);
  if (!f) return null;
  f.f_count--;
  return f.f_op === io_uring_fops ? (f.private_data as io_ring_ctx) : null;
}

/**
 * io_uring_register(fd, opcode, arg, nr_args) → __io_uring_register under uring_lock.
 * IORING_REGISTER_BUFFERS: 6.1/6.12 !arg → -EFAULT; 5.4/5.6 copy from NULL → -EFAULT.
 * IORING_UNREGISTER_BUFFERS: arg or nr_args → -EINVAL.
 * 5.4/5.6: a ring already being registered on (dying ref) → -ENXIO.
 * MODEL: only the two buffer opcodes; others are unsupported.
 */
export function* io_uring_register(k: Kctx, fd: number, opcode: number, arg: readonly iovec[] | null, nr_args: number): KThread<number> {
  const site = 'io_uring/register.c:__io_uring_register';
  const f = fget(k, fd);
  if (!f) return -EBADF;
  let ret = -EOPNOTSUPP;
  if (f.f_op === io_uring_fops) {
    const ctx = f.private_data as io_ring_ctx;
    yield* mutex_lock(k, ctx.uring_lock, site);
    ret = yield* __io_uring_register(k, ctx, opcode, arg, nr_args);
    mutex_unlock(k, ctx.uring_lock, site);
  }
  yield* fput(k, f);
  return ret;
}

function* __io_uring_register(k: Kctx, ctx: io_ring_ctx, opcode: number, arg: readonly iovec[] | null, nr_args: number): KThread<number> {
  const site = 'io_uring/register.c:__io_uring_register';
  // PATCH(io-uring-rsrc-buffers) bd54b6fe3316: the register path without the percpu-ref kill/drain (5.15.24: buffers are not
  // quiesced; folded on the rsrc-table entry, the commit that stopped the drain is UNVERIFIED, 5.12.9 still drains)
  const old = !k.patch('io-uring-rsrc-buffers');
  if (old) {
    // 5.4/5.6: kill the ref, drop the mutex while in-flight requests drain.
    if (ctx.refs_dying) return -ENXIO;
    ctx.refs_dying = true;
    mutex_unlock(k, ctx.uring_lock, site);
    yield* race_window(k, 'fs/io_uring.c:__io_uring_register:wait_for_completion');
    yield* mutex_lock(k, ctx.uring_lock, site);
  } else if (WARN_ON_ONCE(k, ctx.refs_dying, `${site}:dying`, 'percpu_ref_is_dying')) {
    return -ENXIO;
  }
  let ret: number;
  switch (opcode) {
    case IORING_REGISTER_BUFFERS:
      if (!old && !arg) {
        ret = -EFAULT;
        break;
      }
      ret = yield* io_sqe_buffers_register(k, ctx, arg, nr_args);
      break;
    case IORING_UNREGISTER_BUFFERS:
      ret = -EINVAL;
      if (arg || nr_args) break;
      ret = io_sqe_buffers_unregister(k, ctx);
      break;
    default:
      ret = unsupported(k, site, `io_uring_register opcode ${opcode} is not modelled`);
      break;
  }
  if (old) ctx.refs_dying = false; // percpu_ref_reinit
  return ret;
}
