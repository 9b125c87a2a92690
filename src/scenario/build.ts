/**
 * The `.def` table: scenario operation names → model calls (style guide §2.5).
 *
 * Each entry takes a step context (the thread's Kctx, the run state, the evaluated
 * arguments) and returns the step's result. Flag names are resolved to the model's
 * values here. An operation whose model is not written yet returns through
 * `unsupported()`, so the run is marked `unsupported` — never a silent default.
 *
 * Operations are added as the model parts land (read their files; this file only
 * calls them).
 */
import type { Kctx } from '../linux/kctx.js';
import { unsupported } from '../linux/include/linux/bug.js';
import { EFAULT, EINVAL, ENOENT, EPERM } from '../linux/include/uapi/linux/errno.js';
import { FOLL_BITS, FOLL_LONGTERM } from '../linux/include/linux/foll.js';
import type { FollName } from '../linux/include/linux/foll.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import { CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, RLIMIT_AS, RLIMIT_MEMLOCK, RLIMIT_NOFILE, RLIM_INFINITY, capable } from '../linux/include/linux/sched.js';
import {
  folio_pincount, put_page, is_migrate_cma_page, page_content, page_ref_count, page_zonenum, pfn_valid, compound_head, PageHead, folio_order,
} from '../linux/include/linux/mm.js';
import { PAGE_SIZE } from '../linux/include/linux/mm_types.js';
import * as gup from '../linux/mm/gup.js';
import * as mman from '../linux/include/uapi/asm-generic/mman.js';
import * as fsmod from '../linux/include/linux/fs.js';
import * as vfioUapi from '../linux/include/uapi/linux/vfio.js';
import * as iommu from '../linux/drivers/iommu/iommu.js';
import * as syscalls from '../linux/syscalls.js';
import * as mprotectMod from '../linux/mm/mprotect.js';
import * as memfdMod from '../linux/mm/memfd.js';
import { user_load, user_store } from '../linux/mm/uaccess.js';
import { sys_execve } from '../linux/fs/exec.js';
import { sys_fork } from '../linux/kernel/fork.js';
import { do_exit } from '../linux/kernel/exit.js';
import { IORING_REGISTER_BUFFERS, IORING_UNREGISTER_BUFFERS, io_uring_register, io_uring_setup } from '../linux/io_uring/io_uring.js';
import type { iovec } from '../linux/io_uring/io_uring.js';
import * as gupFast from '../linux/mm/gup_fast.js';
import type { page_array } from '../linux/mm/gup.js';
import { down_read, up_read } from '../linux/kernel/locking/rwsem.js';
import type { KThread, ThreadId } from '../sched/index.js';
import { holdersProbe } from '../check/holders.js';
import { opPipe2, opPread, opPwrite, opRead, opVmsplice, opWrite, rwFixed } from './build-io.js';
import { IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED } from '../linux/io_uring/rw.js';
import * as spliceMod from '../linux/fs/splice.js';
import { deviceDmaRead, deviceDmaWrite, iommuProbe, mdevPin, mdevUnpin, vfioIoctl } from './build-vfio.js';
import { accessPin, accessUnpin, iommufdIoctl } from './build-iommufd.js';
import * as iommufdUapi from '../linux/include/uapi/linux/iommufd.js';
import { iommufd_init } from '../linux/drivers/iommu/iommufd/main.js';
import { vfio_init } from '../linux/drivers/vfio/container.js';
import { alloc_contig_range_folio } from '../linux/mm/compaction.js';
import type { ArgValue, Probe, Scenario, Step, Value } from './ast.js';
import { OPS } from './ops.js';
import type { RunState, StepResult } from './state.js';
import { frameAt } from '../check/vfio.js';

/** What an operation implementation sees. */
export interface StepCtx {
  readonly k: Kctx<task_struct>;
  readonly rs: RunState;
  readonly scenario: Scenario;
  readonly step: Step;
  /** The thread running the step. */
  readonly tid: ThreadId;
}

export type OpImpl = (c: StepCtx) => KThread<StepResult>;

/** A result with no outputs. */
export function ret(value: Value, outputs: Readonly<Record<string, Value>> = {}): StepResult {
  return { value, outputs };
}

// ---- argument evaluation ------------------------------------------------------------------------

/** Evaluate an integer expression; references read the run state. Unknown refs are a pinlab bug (the validator checks them). */
export function evalInt(rs: RunState, v: ArgValue): bigint {
  switch (v.kind) {
    case 'int':
      return v.value;
    case 'ref': {
      const r = rs.results.get(v.name);
      if (r !== undefined) {
        const x = v.field === null ? r.value : r.outputs[v.field];
        if (typeof x === 'number') return BigInt(x);
        if (typeof x === 'bigint') return x;
        if (typeof x === 'boolean') return x ? 1n : 0n;
        throw new Error(`pinlab bug: $${v.name}${v.field === null ? '' : '.' + v.field} is not an integer (${String(x)})`);
      }
      const mp = rs.mappings.get(v.name);
      if (mp !== undefined) return BigInt(mp);
      const c = rs.containers.get(v.name);
      if (c !== undefined) return BigInt(c.fd);
      throw new Error(`pinlab bug: $${v.name} has no value yet (the runner waits for results before a step)`);
    }
    case 'sum': {
      let s = 0n;
      for (const t of v.terms) s += BigInt(t.sign) * evalInt(rs, t.term);
      return s;
    }
    case 'null':
      return 0n;
    case 'bool':
      return v.value ? 1n : 0n;
    default:
      throw new Error(`pinlab bug: ${v.kind} argument where an integer is expected`);
  }
}

/**
 * An argument as the JS number the model's mm/GUP/io_uring entry points take. Syscall arguments are
 * u64 (unsigned long): a value outside ±(2^53 - 1) is taken modulo 2^64, as the kernel's register
 * holds it (so -4096 reaches it as 2^64 - 4096). It is passed exactly when a double holds it exactly
 * — every page-aligned u64 does, so an address or length at or above 2^53 reaches the kernel's own
 * checks (TASK_SIZE, wraparound) and gets their errno. A value a double cannot hold (an unaligned
 * one above 2^53) makes the run `unsupported`, naming the argument: never NaN, never a rounded
 * result presented as the kernel's. (VFIO ioctls take bigints: build-vfio.ts.)
 */
export function evalNum(c: StepCtx, v: ArgValue): number {
  let b = evalInt(c.rs, v);
  const name = Object.entries(c.step.args).find(([, x]) => x === v)?.[0] ?? 'an argument';
  if (b >= 0n && b <= MAX_SAFE_BIG) return Number(b);
  if (b < 0n && b >= MIN_SAFE_BIG && !isU64Arg(c.step.op, name)) return Number(b);
  b = BigInt.asUintN(64, b);
  const n = Number(b);
  if (BigInt(n) !== b) {
    unsupported(c.k, `scenario:${c.step.op}`, `${name} = 0x${b.toString(16)} is beyond the model's exact integers (above 2^53 only page-aligned values are exact)`);
  }
  return n;
}

/** Arguments the kernel takes as unsigned long / size_t (a negative value is 2^64 + value); others are signed (fd, loff_t). */
function isU64Arg(op: string, name: string): boolean {
  if (name === 'addr' || name === 'start') return true;
  if (name === 'length') return op !== 'ftruncate';
  return name === 'offset' && op === 'mmap';
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIG = BigInt(Number.MIN_SAFE_INTEGER);

/** Why an integer expression cannot be evaluated now (a reference holding null, a list, a string), or null. */
function intRefProblem(rs: RunState, v: ArgValue): string | null {
  if (v.kind === 'ref') {
    const r = rs.results.get(v.name);
    if (r === undefined) return null;
    const x = v.field === null ? r.value : r.outputs[v.field];
    if (typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean') return null;
    return `$${v.name}${v.field === null ? '' : '.' + v.field} is ${x === undefined ? 'missing' : x === null ? 'null' : Array.isArray(x) ? 'a list' : typeof x === 'string' ? `the string ${JSON.stringify(x)}` : 'not an integer'} here, where an integer is needed`;
  }
  if (v.kind === 'sum') return v.terms.map((t) => intRefProblem(rs, t.term)).find((m) => m !== null) ?? null;
  if (v.kind === 'list') return v.items.map((i) => intRefProblem(rs, i)).find((m) => m !== null) ?? null;
  if (v.kind === 'map') return Object.values(v.entries).map((e) => intRefProblem(rs, e)).find((m) => m !== null) ?? null;
  return null;
}

/**
 * Why a step cannot run with the values its references hold now, or null. The validator checks
 * that every reference names a result; only the run knows the value: an observation that found
 * nothing is `null`, a result may be a list. An integer argument (int, flags, enum; a sum; an
 * iovec's base and length) whose reference holds anything but an integer is the scenario's error,
 * reported at the step instead of being passed on as 0 or NaN.
 */
export function stepValueProblem(rs: RunState, st: Step): string | null {
  // PERF: most steps reference nothing (stepDeps is cached per step); the explorer runs this on every step.
  if (stepDeps(st).length === 0) return null;
  const spec = OPS.get(st.op);
  for (const [name, v] of Object.entries(st.args)) {
    const kind = spec?.args.find((a) => a.name === name)?.type.kind;
    if (kind !== 'int' && kind !== 'flags' && kind !== 'enum' && kind !== 'iovecs' && v.kind !== 'sum') continue;
    const m = intRefProblem(rs, v);
    if (m !== null) return `${name}: ${m}`;
  }
  return null;
}

/** Whether every reference in an integer expression holds an integer now (a probe of `$x` where x is null reads null). */
function holdsInts(rs: RunState, v: ArgValue): boolean {
  return intRefProblem(rs, v) === null;
}

/** Names of the results a step needs before it can start (cross-thread references and `after`). */
export function stepDeps(st: Step): readonly string[] {
  // Steps are immutable parsed AST: the answer is computed once per step and shared (PERF: every run asks again).
  let deps = STEP_DEPS.get(st);
  if (deps === undefined) {
    deps = Object.freeze(computeStepDeps(st));
    STEP_DEPS.set(st, deps);
  }
  return deps;
}

const STEP_DEPS = new WeakMap<Step, readonly string[]>();

function computeStepDeps(st: Step): string[] {
  const out = new Set<string>();
  const walk = (v: ArgValue): void => {
    if (v.kind === 'ref') out.add(v.name);
    else if (v.kind === 'sum') for (const t of v.terms) walk(t.term);
    else if (v.kind === 'list') for (const i of v.items) walk(i);
    else if (v.kind === 'map') for (const e of Object.values(v.entries)) walk(e);
  };
  for (const a of Object.values(st.args)) walk(a);
  if (st.probe !== null) {
    const p = st.probe;
    if ('addr' in p) walk(p.addr);
    if (p.kind === 'iommu') {
      walk(p.container);
      walk(p.iova);
    }
  }
  if (st.after !== null) out.add(st.after);
  return [...out];
}

/** Modules whose exported constants give flag values by kernel name (uapi values are the same in every release). */
const FLAG_MODULES: readonly Readonly<Record<string, unknown>>[] = [mman, fsmod, vfioUapi, iommu, iommufdUapi, spliceMod];

/** Flag name → value, filled on first use (the modules' constants never change). */
const FLAG_VALUES = new Map<string, number | null>();

function flagValue(name: string): number | null {
  let v = FLAG_VALUES.get(name);
  if (v === undefined) {
    v = lookupFlag(name);
    FLAG_VALUES.set(name, v);
  }
  return v;
}

function lookupFlag(name: string): number | null {
  if (name in FOLL_BITS) return FOLL_BITS[name as FollName];
  for (const mod of FLAG_MODULES) {
    const v = mod[name];
    if (typeof v === 'number') return v;
  }
  return null;
}

/** Resolve flag names (or an integer) to the model's value. Returns null (after recording `unsupported`) for names the model does not define yet. */
export function evalFlags(c: StepCtx, v: ArgValue | undefined, argName: string): number | null {
  if (v === undefined) return 0;
  if (v.kind === 'int') return Number(v.value);
  if (v.kind !== 'flags') return Number(evalInt(c.rs, v));
  let out = 0;
  for (const n of v.names) {
    const x = flagValue(n);
    if (x === null) {
      unsupported(c.k, `scenario:${c.step.op}`, `flag ${n} of ${argName} has no value in the model yet`);
      return null;
    }
    out |= x;
  }
  return out;
}

function bool(v: ArgValue | undefined, dflt: boolean): boolean {
  return v !== undefined && v.kind === 'bool' ? v.value : dflt;
}

function processTask(c: StepCtx, v: ArgValue | undefined): task_struct | null {
  if (v === undefined || v.kind === 'null') return c.k.current;
  if (v.kind !== 'str') return null;
  return c.rs.processes.get(v.value) ?? null;
}

// ---- probes -------------------------------------------------------------------------------------------


const ZONE_NAMES = ['DMA32', 'Normal', 'Movable', 'Device'];

/** Evaluate a probe now. Unmapped addresses and exited processes give null. */
export function evalProbe(rs: RunState, m: Kctx['m'], p: Probe, threadState: (name: string) => string | null): Value {
  switch (p.kind) {
    case 'frame':
    case 'zone':
    case 'cma':
    case 'refcount':
    case 'pincount':
    case 'content': {
      const t = rs.processes.get(p.process);
      const mm = t?.mm ?? null;
      if (mm === null || mm === undefined) return null;
      if (!holdsInts(rs, p.addr)) return null;
      const addr = Number(evalInt(rs, p.addr));
      const pfn = frameAt(mm, addr);
      if (pfn === null) return null;
      if (p.kind === 'frame') return pfn;
      if (!pfn_valid(m, pfn)) return p.kind === 'zone' ? 'Device' : p.kind === 'cma' ? false : null;
      if (p.kind === 'zone') return ZONE_NAMES[page_zonenum(m, pfn)] ?? String(page_zonenum(m, pfn));
      if (p.kind === 'cma') return is_migrate_cma_page(m, pfn);
      if (p.kind === 'refcount') return page_ref_count(m, compound_head(m, pfn));
      if (p.kind === 'pincount') {
        const head = compound_head(m, pfn);
        if (PageHead(m, head) && folio_order(m, head) > 0) return folio_pincount(m, head);
        // Order-0 pins are a refcount bias (GUP_PIN_COUNTING_BIAS, v5.7+).
        return Math.floor(page_ref_count(m, head) / 1024);
      }
      return page_content(m, pfn);
    }
    case 'locked_vm':
    case 'pinned_vm': {
      const mm = rs.processes.get(p.process)?.mm ?? null;
      if (mm === null) return null;
      return p.kind === 'locked_vm' ? mm.locked_vm : mm.pinned_vm;
    }
    case 'holders': {
      const t = rs.processes.get(p.process);
      return t === undefined ? null : holdersProbe(m, t);
    }
    case 'thread':
      return threadState(p.thread);
    case 'iommu':
      if (!holdsInts(rs, p.container) || !holdsInts(rs, p.iova)) return null;
      return iommuProbe(m, rs, Number(evalInt(rs, p.container)), Number(evalInt(rs, p.iova)));
    case 'file_size': {
      const path = p.path.startsWith('$') ? p.path.slice(1) : p.path;
      const i = m.inodes.get(path);
      return i === undefined ? null : i.i_size;
    }
  }
}

function* opObserve(c: StepCtx): KThread<StepResult> {
  const p = c.step.probe;
  if (p === null) return ret(null);
  return ret(evalProbe(c.rs, c.k.m, p, (name) => {
    const tid = c.rs.threadIds.get(name);
    return tid === undefined ? null : c.k.s.view(tid).state;
  }));
}

// ---- GUP entry points -----------------------------------------------------------------------------------

function gupArgs(c: StepCtx): { start: number; nr: number; flags: number | null; pages: page_array | null } {
  const a = c.step.args;
  const start = evalNum(c, a.start);
  const nr = evalNum(c, a.nr_pages);
  const flags = evalFlags(c, a.gup_flags, 'gup_flags');
  const wantPages = bool(a.pages, true);
  const pages: page_array | null = wantPages && nr > 0 && nr <= 1 << 20 ? new Array<number | null>(nr).fill(null) : wantPages ? [] : null;
  return { start, nr, flags, pages };
}

/** Keep the pages a GUP step took (until a later unpin/put step releases them). */
function gupResult(c: StepCtx, r: number, pages: page_array | null, flags: number, kind: 'pin' | 'ref'): StepResult {
  const got: number[] = [];
  if (pages !== null && r > 0) for (let i = 0; i < r; i++) if (pages[i] !== null && pages[i] !== undefined) got.push(pages[i] as number);
  if (got.length > 0 && c.step.as !== null) c.rs.holds.push({ result: c.step.as, pfns: got, kind, longterm: (flags & FOLL_LONGTERM) !== 0, thread: c.tid });
  return ret(r, { pages: got });
}

function gupLocal(kind: 'pin' | 'ref', fn: 'pin_user_pages' | 'get_user_pages'): OpImpl {
  return function* (c) {
    const { start, nr, flags, pages } = gupArgs(c);
    if (flags === null) return ret(-EINVAL);
    const mm = c.k.current.mm;
    if (mm === null) return ret(unsupported(c.k, `scenario:${fn}`, `${fn} from a kernel thread (no current->mm)`));
    // The caller holds mmap_lock for read across the call, as in-kernel callers of these do.
    yield* down_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    const r = fn === 'pin_user_pages' ? yield* gup.pin_user_pages(c.k, start, nr, flags, pages) : yield* gup.get_user_pages(c.k, start, nr, flags, pages);
    up_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    return gupResult(c, r, pages, flags, kind);
  };
}

function gupRemote(kind: 'pin' | 'ref', fn: 'pin_user_pages_remote' | 'get_user_pages_remote'): OpImpl {
  return function* (c) {
    const { start, nr, flags, pages } = gupArgs(c);
    if (flags === null) return ret(-EINVAL);
    const t = processTask(c, c.step.args.mm);
    const mm = t?.mm ?? null;
    if (mm === null) return ret(unsupported(c.k, `scenario:${fn}`, `${fn}: the target process has no mm`));
    const lockedArg = bool(c.step.args.locked, false);
    const locked = lockedArg ? { v: 1 } : null;
    yield* down_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    const r = fn === 'pin_user_pages_remote'
      ? yield* gup.pin_user_pages_remote(c.k, mm, start, nr, flags, pages, null, locked)
      : yield* gup.get_user_pages_remote(c.k, mm, start, nr, flags, pages, null, locked);
    // With `locked`, GUP may have dropped the lock (*locked = 0); release it only if still held.
    if (locked === null || locked.v === 1) up_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    return gupResult(c, r, pages, flags, kind);
  };
}

function gupUnlocked(kind: 'pin' | 'ref', fn: 'pin_user_pages_unlocked' | 'get_user_pages_unlocked' | 'pin_user_pages_fast' | 'get_user_pages_fast'): OpImpl {
  return function* (c) {
    const { start, nr, flags, pages } = gupArgs(c);
    if (flags === null) return ret(-EINVAL);
    if (c.k.current.mm === null) return ret(unsupported(c.k, `scenario:${fn}`, `${fn} from a kernel thread (no current->mm)`));
    let r: number;
    switch (fn) {
      case 'pin_user_pages_unlocked':
        r = yield* gup.pin_user_pages_unlocked(c.k, start, nr, pages, flags);
        break;
      case 'get_user_pages_unlocked':
        r = yield* gup.get_user_pages_unlocked(c.k, start, nr, pages, flags);
        break;
      case 'pin_user_pages_fast':
        r = yield* gupFast.pin_user_pages_fast(c.k, start, nr, flags, pages);
        break;
      case 'get_user_pages_fast':
        r = yield* gupFast.get_user_pages_fast(c.k, start, nr, flags, pages ?? []);
        break;
    }
    return gupResult(c, r, pages, flags, kind);
  };
}

function heldPages(c: StepCtx): { idx: number; pfns: readonly number[] } | null {
  const v = c.step.args.pages;
  if (v === undefined || v.kind !== 'ref') return null;
  const idx = c.rs.holds.findIndex((h) => h.result === v.name);
  const r = c.rs.results.get(v.name);
  const pfns = (r?.outputs.pages as readonly number[] | undefined) ?? [];
  return { idx, pfns };
}

function* opUnpin(c: StepCtx): KThread<StepResult> {
  const h = heldPages(c);
  if (h === null) return ret(-EINVAL);
  const pages: page_array = h.pfns.slice();
  if (bool(c.step.args.dirty, false)) gup.unpin_user_pages_dirty_lock(c.k, pages, pages.length, true);
  else gup.unpin_user_pages(c.k, pages, pages.length);
  if (h.idx >= 0) c.rs.holds.splice(h.idx, 1);
  yield* noPoint();
  return ret(0);
}

function* opPutPages(c: StepCtx): KThread<StepResult> {
  const h = heldPages(c);
  if (h === null) return ret(-EINVAL);
  for (const p of h.pfns) put_page(c.k.m, p);
  if (h.idx >= 0) c.rs.holds.splice(h.idx, 1);
  yield* noPoint();
  return ret(0);
}

/** A generator that yields nothing (keeps op signatures uniform). */
function* noPoint(): KThread<void> {
  return;
}

// ---- process-level syscalls modelled here until the memory model has them ----------------------------------

const RLIMITS: Readonly<Record<string, number>> = { RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_NOFILE };
export const CAPS: Readonly<Record<string, number>> = { CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_DAC_OVERRIDE: 1 };

/**
 * kernel/sys.c do_prlimit() (v5.4 … v6.12, unchanged in what is modelled): cur > max
 * is -EINVAL; raising the hard limit needs CAP_SYS_RESOURCE (-EPERM).
 */
function* opSetrlimit(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const resName = a.resource.kind === 'flags' ? a.resource.names[0] : '';
  const res = RLIMITS[resName];
  if (res === undefined) return ret(unsupported(c.k, 'kernel/sys.c:do_prlimit', `resource ${resName}`));
  const cur = Number(evalInt(c.rs, a.cur));
  const max = a.max === undefined || a.max.kind === 'null' ? cur : Number(evalInt(c.rs, a.max));
  const t = c.k.current;
  if (cur > max) return ret(-EINVAL);
  const old = t.rlim[res];
  if (max > old.rlim_max && !capable(c.k, CAP_SYS_RESOURCE)) return ret(-EPERM);
  t.rlim[res] = { rlim_cur: cur, rlim_max: max };
  yield* noPoint();
  return ret(0);
}

/** capset(2) reduced to dropping effective capabilities (always allowed). */
function* opCapset(c: StepCtx): KThread<StepResult> {
  const v = c.step.args.drop;
  if (v !== undefined && v.kind === 'flags') for (const n of v.names) c.k.current.cred.cap_effective.delete(CAPS[n]);
  yield* noPoint();
  return ret(0);
}

/** tgkill(2) of a scenario thread: the runtime delivers the signal (SIGKILL is fatal). */
function* opKill(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const name = a.thread.kind === 'str' ? a.thread.value : '';
  const tid = c.rs.threadIds.get(name);
  if (tid === undefined) return ret(-EINVAL);
  const sig = a.signal !== undefined && a.signal.kind === 'flags' ? a.signal.names[0] : 'SIGKILL';
  c.k.s.kill(tid, sig === 'SIGKILL');
  yield* noPoint();
  return ret(0);
}

function* opOpen(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const path = a.path.kind === 'str' ? a.path.value : '';
  const flags = evalFlags(c, a.flags, 'flags');
  if (flags === null) return ret(-EINVAL);
  let real = path;
  // iommufd autoloads on the first open of /dev/iommu (CONFIG_IOMMUFD; no node without it).
  if (path === '/dev/iommu') iommufd_init(c.k);
  if (path.startsWith('/dev/vfio/')) {
    // The vfio module autoloads on the first open of its node (devname:vfio/vfio).
    vfio_init(c.k);
    const g = /^\/dev\/vfio\/(\d+)$/.exec(path);
    if (g !== null) {
      // Scenario group numbers are the devices' declared iommu_group; the model numbers its
      // groups itself, so the path is renamed to the model's node. A number no device
      // declares has no node: -ENOENT.
      const want = Number(g[1]);
      const dev = [...c.rs.devices.values()].find((d) => d.decl.iommuGroup === want);
      if (dev === undefined) return ret(-ENOENT);
      real = `/dev/vfio/${dev.group}`;
    }
  }
  return ret(yield* syscalls.sys_open(c.k, real, flags));
}

function bigArg(c: StepCtx, name: string): bigint {
  const v = c.step.args[name];
  return v === undefined ? 0n : evalInt(c.rs, v);
}

function* opVfio(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const num = (n: string): number | undefined => (a[n] === undefined ? undefined : evalNum(c, a[n]));
  const fl = (n: string): number | undefined => {
    if (a[n] === undefined) return undefined;
    const v = evalFlags(c, a[n], n);
    return v === null ? undefined : v;
  };
  const args = {
    container: num('container'),
    group: num('group'),
    device: a.device !== undefined && a.device.kind === 'str' ? a.device.value : undefined,
    extension: fl('extension'),
    type: fl('type'),
    vaddr: a.vaddr === undefined ? undefined : bigArg(c, 'vaddr'),
    iova: a.iova === undefined ? undefined : bigArg(c, 'iova'),
    size: a.size === undefined ? undefined : bigArg(c, 'size'),
    flags: fl('flags'),
    argsz: a.argsz === undefined || a.argsz.kind === 'null' ? undefined : evalNum(c, a.argsz),
    pgsize: a.pgsize === undefined ? undefined : bigArg(c, 'pgsize'),
  };
  return yield* vfioIoctl(c.k, c.step.op, args);
}

function* opIommufd(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const num = (n: string): number | undefined => (a[n] === undefined || a[n].kind === 'null' ? undefined : evalNum(c, a[n]));
  const big = (n: string): bigint | undefined => (a[n] === undefined || a[n].kind === 'null' ? undefined : evalInt(c.rs, a[n]));
  const fl = (n: string): number | undefined => {
    if (a[n] === undefined) return undefined;
    const v = evalFlags(c, a[n], n);
    return v === null ? undefined : v;
  };
  const iovas = a.iovas !== undefined && a.iovas.kind === 'list'
    ? a.iovas.items.flatMap((x) => {
      if (x.kind !== 'map') return [];
      const start = evalInt(c.rs, x.entries.base);
      return [{ start, last: start + evalInt(c.rs, x.entries.len) - 1n }];
    })
    : undefined;
  const dev = c.step.op.startsWith('VFIO_DEVICE_');
  return yield* iommufdIoctl(c.k, c.step.op, {
    fd: (dev ? num('device_fd') : num('iommufd')) ?? -1, size: num('size'), flags: fl('flags'), ioas_id: num('ioas_id'), dst_ioas_id: num('dst_ioas_id'),
    src_ioas_id: num('src_ioas_id'), user_va: big('user_va'), length: big('length'), iova: big('iova'), dst_iova: big('dst_iova'),
    src_iova: big('src_iova'), num_iovas: num('num_iovas'), iovas, option_id: fl('option_id'), op: fl('op'), object_id: num('object_id'),
    val64: big('val64'), id: num('id'), iommufd: dev ? num('iommufd') : undefined, pt_id: num('pt_id'), argsz: num('argsz'), reserved: num('reserved'),
    file_fd: num('file_fd'), start: big('start'),
  });
}

function* opAccessPin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const prot = evalFlags(c, a.prot, 'prot');
  if (prot === null) return ret(-EINVAL);
  return yield* accessPin(c.k, c.rs, a.device.kind === 'str' ? a.device.value : '', evalInt(c.rs, a.iova), evalNum(c, a.npage), prot);
}

function* opAccessUnpin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return yield* accessUnpin(c.k, c.rs, a.device.kind === 'str' ? a.device.value : '', evalInt(c.rs, a.iova), evalNum(c, a.npage));
}

function* opDmaWrite(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const dev = a.device.kind === 'str' ? a.device.value : '';
  const content = a.content.kind === 'str' ? a.content.value : '';
  const iova = evalNum(c, a.iova);
  const len = evalNum(c, a.length);
  let r = 0;
  // Page by page, byte-exact: a page the range covers in part keeps its other bytes.
  for (let at = iova; at < iova + len && r === 0;) {
    const chunk = Math.min(PAGE_SIZE - (at % PAGE_SIZE), iova + len - at);
    r = deviceDmaWrite(c.k, c.rs, dev, at, content, chunk);
    at += chunk;
  }
  yield* noPoint();
  return ret(r);
}

function* opDmaRead(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const dev = a.device.kind === 'str' ? a.device.value : '';
  yield* noPoint();
  return ret(deviceDmaRead(c.k, c.rs, dev, evalNum(c, a.iova)));
}

function* opVfioPin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const prot = evalFlags(c, a.prot, 'prot');
  if (prot === null) return ret(-EINVAL);
  return yield* mdevPin(c.k, c.rs, evalNum(c, a.container), evalInt(c.rs, a.iova), evalCInt(c.rs, a.npage), prot);
}

/** An argument the kernel declares `int` (vfio_pin_pages / vfio_unpin_pages `int npage`): the value converted as C does. */
function evalCInt(rs: RunState, v: ArgValue): number {
  return Number(BigInt.asIntN(32, evalInt(rs, v)));
}

function* opVfioUnpin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return yield* mdevUnpin(c.k, c.rs, evalNum(c, a.container), evalInt(c.rs, a.iova), evalCInt(c.rs, a.npage));
}

function* opClose(c: StepCtx): KThread<StepResult> {
  return ret(yield* syscalls.sys_close(c.k, evalNum(c, c.step.args.fd)));
}

function* opMmap(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const prot = evalFlags(c, a.prot, 'prot');
  const flags = evalFlags(c, a.flags, 'flags');
  if (prot === null || flags === null) return ret(-EINVAL);
  return ret(yield* syscalls.sys_mmap(c.k, evalNum(c, a.addr), evalNum(c, a.length), prot, flags, evalNum(c, a.fd), evalNum(c, a.offset)));
}

function* opMunmap(c: StepCtx): KThread<StepResult> {
  return ret(yield* syscalls.sys_munmap(c.k, evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length)));
}

/** Call a syscall of src/linux/syscalls.ts by name if the memory model has it; else `unsupported`. */
function viaSyscall(op: string, sysName: string, args: (c: StepCtx) => (number | string)[] | null): OpImpl {
  return function* (c) {
    const fn = (syscalls as Readonly<Record<string, unknown>>)[sysName] ?? (mprotectMod as Readonly<Record<string, unknown>>)[sysName] ?? (memfdMod as Readonly<Record<string, unknown>>)[sysName];
    if (typeof fn !== 'function') return ret(unsupported(c.k, `scenario:${op}`, `${sysName} is not in the model yet`));
    const xs = args(c);
    if (xs === null) return ret(-EINVAL);
    const gen = (fn as (k: Kctx, ...a: (number | string)[]) => KThread<number>)(c.k, ...xs);
    return ret(yield* gen);
  };
}

function* opIoUringSetup(c: StepCtx): KThread<StepResult> {
  const fd = yield* io_uring_setup(c.k, evalNum(c, c.step.args.entries));
  if (fd >= 0) {
    const proc = [...c.rs.processes.entries()].find(([, t]) => t === c.k.current);
    if (proc !== undefined) c.rs.rings.push({ process: proc[0], fd });
  }
  return ret(fd);
}

function* opIoUringRegister(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const fd = evalNum(c, a.ring);
  const list = a.iovecs !== undefined && a.iovecs.kind === 'list' ? a.iovecs.items : [];
  const iov: iovec[] = list.map((it) => (it.kind === 'map' ? { iov_base: evalNum(c, it.entries.base), iov_len: evalNum(c, it.entries.len) } : { iov_base: 0, iov_len: 0 }));
  c.rs.usesIoUring = true;
  return ret(yield* io_uring_register(c.k, fd, IORING_REGISTER_BUFFERS, iov, iov.length));
}

function* opIoUringUnregister(c: StepCtx): KThread<StepResult> {
  return ret(yield* io_uring_register(c.k, evalNum(c, c.step.args.ring), IORING_UNREGISTER_BUFFERS, null, 0));
}

/** fork(2): the child becomes the scenario process named by `child`. */
function* opFork(c: StepCtx): KThread<StepResult> {
  const pid = yield* sys_fork(c.k);
  const childName = c.step.args.child.kind === 'str' ? c.step.args.child.value : '';
  if (pid > 0) {
    const t = c.k.m.tasks.get(pid);
    if (t !== undefined) c.rs.processes.set(childName, t as task_struct);
  } else {
    c.rs.failedForks.add(childName);
  }
  return ret(pid, { pid });
}

/** execve(2): the thread's process gets a new mm (fds without O_CLOEXEC stay open). */
function* opExecve(c: StepCtx): KThread<StepResult> {
  return ret(yield* sys_execve(c.k));
}

/** exit(2) of the thread's process; the thread runs no further steps. */
function* opExit(c: StepCtx): KThread<StepResult> {
  yield* do_exit(c.k, 0);
  return ret(0);
}

/** store: a user-space memset of [addr, addr+length) with a content tag (mm/uaccess.ts user_store). */
function* opStore(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const content = a.content.kind === 'str' ? a.content.value : '';
  const len = a.length === undefined ? PAGE_SIZE : evalNum(c, a.length);
  if (c.k.current.mm === null) return ret(unsupported(c.k, 'scenario:store', 'a store by a process without an mm'));
  return ret(yield* user_store(c.k, evalNum(c, a.addr), len, content));
}

/**
 * load: a user-space read of [addr, addr+length) (default one byte) — the content tag ('' =
 * zero-filled), runs `tag*len ...` when the bytes differ, or -EFAULT (mm/uaccess.ts user_load).
 */
function* opLoad(c: StepCtx): KThread<StepResult> {
  if (c.k.current.mm === null) return ret(unsupported(c.k, 'scenario:load', 'a load by a process without an mm'));
  const len = c.step.args.length === undefined ? 1 : evalNum(c, c.step.args.length);
  return ret(yield* user_load(c.k, evalNum(c, c.step.args.addr), len));
}

/**
 * migrate_page { process, addr }: the folio mapped at addr is in the way of a contiguous
 * allocation (cma_alloc → alloc_contig_range, mm/compaction.ts), which must migrate it
 * away. 0 when it moved, -EBUSY / -ENOMEM / -EINTR as alloc_contig_range returns;
 * -EFAULT when nothing is mapped at addr (no frame to move).
 */
function* opMigratePage(c: StepCtx): KThread<StepResult> {
  const t = processTask(c, c.step.args.process);
  const mm = t?.mm ?? null;
  if (mm === null) return ret(unsupported(c.k, 'scenario:migrate_page', 'migrate_page: the process has no mm'));
  const pfn = frameAt(mm, evalNum(c, c.step.args.addr));
  if (pfn === null || !pfn_valid(c.k.m, pfn)) {
    yield* noPoint();
    return ret(-EFAULT);
  }
  return ret(yield* alloc_contig_range_folio(c.k, pfn));
}

function notYet(op: string): OpImpl {
  return function* (c) {
    yield* noPoint();
    return ret(unsupported(c.k, `scenario:${op}`, `operation ${op} is not wired to the model yet`));
  };
}

// ---- the table -------------------------------------------------------------------------------------------

export const OP_IMPLS: ReadonlyMap<string, OpImpl> = new Map<string, OpImpl>([
  ['observe', opObserve],
  ['get_user_pages', gupLocal('ref', 'get_user_pages')],
  ['pin_user_pages', gupLocal('pin', 'pin_user_pages')],
  ['get_user_pages_remote', gupRemote('ref', 'get_user_pages_remote')],
  ['pin_user_pages_remote', gupRemote('pin', 'pin_user_pages_remote')],
  ['get_user_pages_unlocked', gupUnlocked('ref', 'get_user_pages_unlocked')],
  ['pin_user_pages_unlocked', gupUnlocked('pin', 'pin_user_pages_unlocked')],
  ['get_user_pages_fast', gupUnlocked('ref', 'get_user_pages_fast')],
  ['pin_user_pages_fast', gupUnlocked('pin', 'pin_user_pages_fast')],
  ['unpin_user_pages', opUnpin],
  ['put_pages', opPutPages],
  ['open', opOpen],
  ['close', opClose],
  ['mmap', opMmap],
  ['munmap', opMunmap],
  ['store', opStore],
  ['load', opLoad],
  ['mprotect', viaSyscall('mprotect', 'sys_mprotect', (c) => { const p = evalFlags(c, c.step.args.prot, 'prot'); return p === null ? null : [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length), p]; })],
  ['madvise', viaSyscall('madvise', 'sys_madvise', (c) => { const p = evalFlags(c, c.step.args.advice, 'advice'); return p === null ? null : [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length), p]; })],
  ['mlock', viaSyscall('mlock', 'sys_mlock', (c) => [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length)])],
  ['munlock', viaSyscall('munlock', 'sys_munlock', (c) => [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length)])],
  ['ftruncate', viaSyscall('ftruncate', 'sys_ftruncate', (c) => [evalNum(c, c.step.args.fd), evalNum(c, c.step.args.length)])],
  ['fallocate', viaSyscall('fallocate', 'sys_fallocate', (c) => { const md = evalFlags(c, c.step.args.mode, 'mode'); return md === null ? null : [evalNum(c, c.step.args.fd), md, evalNum(c, c.step.args.offset), evalNum(c, c.step.args.len)]; })],
  ['memfd_create', viaSyscall('memfd_create', 'sys_memfd_create', (c) => { const f = evalFlags(c, c.step.args.flags, 'flags'); const n = c.step.args.name; return f === null || n.kind !== 'str' ? null : [n.value, f]; })],
  ['VFIO_GET_API_VERSION', opVfio],
  ['VFIO_CHECK_EXTENSION', opVfio],
  ['VFIO_GROUP_SET_CONTAINER', opVfio],
  ['VFIO_SET_IOMMU', opVfio],
  ['VFIO_GROUP_GET_DEVICE_FD', opVfio],
  ['VFIO_IOMMU_GET_INFO', opVfio],
  ['VFIO_IOMMU_MAP_DMA', opVfio],
  ['VFIO_IOMMU_UNMAP_DMA', opVfio],
  ['VFIO_IOMMU_DIRTY_PAGES', opVfio],
  ['IOMMU_IOAS_ALLOC', opIommufd],
  ['IOMMU_DESTROY', opIommufd],
  ['IOMMU_IOAS_MAP', opIommufd],
  ['IOMMU_IOAS_COPY', opIommufd],
  ['IOMMU_IOAS_UNMAP', opIommufd],
  ['IOMMU_IOAS_IOVA_RANGES', opIommufd],
  ['IOMMU_IOAS_ALLOW_IOVAS', opIommufd],
  ['IOMMU_OPTION', opIommufd],
  ['IOMMU_IOAS_MAP_FILE', opIommufd],
  ['IOMMU_IOAS_CHANGE_PROCESS', opIommufd],
  ['VFIO_DEVICE_BIND_IOMMUFD', opIommufd],
  ['VFIO_DEVICE_ATTACH_IOMMUFD_PT', opIommufd],
  ['VFIO_DEVICE_DETACH_IOMMUFD_PT', opIommufd],
  ['iommufd_access_pin_pages', opAccessPin],
  ['iommufd_access_unpin_pages', opAccessUnpin],
  ['device_dma_write', opDmaWrite],
  ['device_dma_read', opDmaRead],
  ['vfio_pin_pages', opVfioPin],
  ['vfio_unpin_pages', opVfioUnpin],
  ['fork', opFork],
  ['exit', opExit],
  ['execve', opExecve],
  ['io_uring_setup', opIoUringSetup],
  ['IORING_REGISTER_BUFFERS', opIoUringRegister],
  ['IORING_UNREGISTER_BUFFERS', opIoUringUnregister],
  ['setrlimit', opSetrlimit],
  ['capset', opCapset],
  ['kill', opKill],
  ['migrate_page', opMigratePage],
  // page references that are not pins (build-io.ts)
  ['pipe2', opPipe2],
  ['vmsplice', opVmsplice],
  ['read', opRead],
  ['write', opWrite],
  ['pread', opPread],
  ['pwrite', opPwrite],
  ['IORING_OP_READ_FIXED', rwFixed(IORING_OP_READ_FIXED)],
  ['IORING_OP_WRITE_FIXED', rwFixed(IORING_OP_WRITE_FIXED)],
]);

/** The implementation of an operation (a not-yet-wired one reports `unsupported`). */
export function opImpl(op: string): OpImpl {
  return OP_IMPLS.get(op) ?? notYet(op);
}

export { EFAULT, RLIM_INFINITY };
