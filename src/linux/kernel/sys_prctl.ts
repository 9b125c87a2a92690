/**
 * kernel/sys.c: prctl(2) reduced to PR_SET_MM with the single-field options
 * (prctl_set_mm, validate_prctl_map_addr) — read in 5.4.1, Debian 6.1.192 and Debian 6.12.117.
 *
 * prctl_set_mm(opt, addr, arg4, arg5), every release:
 * - a non-zero arg5, or a non-zero arg4 with an option other than AUXV / MAP / MAP_SIZE → -EINVAL;
 * - MAP and MAP_SIZE go to prctl_set_mm_map() (CONFIG_CHECKPOINT_RESTORE=y in Debian's configs)
 *   before any capability test;
 * - then CAP_SYS_RESOURCE (else -EPERM); EXE_FILE and AUXV have their own paths;
 * - addr at or above TASK_SIZE, or below mmap_min_addr → -EINVAL;
 * - mmap_lock for read, find_vma(addr) (the first VMA ending above addr: it need not contain
 *   addr), arg_lock; a copy of the eleven layout fields with the option's field replaced
 *   (an unknown option → -EINVAL), validate_prctl_map_addr() on the copy (→ -EINVAL): every
 *   field in [mmap_min_addr, TASK_SIZE), start_code < end_code, start_data <= end_data,
 *   start_brk <= brk, arg_start <= arg_end, env_start <= env_end, and the data size against a
 *   finite RLIMIT_DATA (check_data_rlimit); START_STACK, ARG_START/END and ENV_START/END also
 *   need find_vma to have found a VMA (else -EFAULT); then all eleven fields are stored.
 * So the order of single-field updates matters: moving the argument area below its exec'd place
 * needs ARG_START before ARG_END (arg_start <= arg_end is checked after each).
 * 5.4.1–5.12 (not in 5.15.24, 6.1, 6.12) also refuse start_brk or brk at or below end_data; only
 * the code/data/brk options could break it from the exec layout, and those are `unsupported`
 * here, so the model has no switch for it.
 *
 * MODEL: every process is as if exec'd with EXEC_LAYOUT: code and data low, the argument and
 * environment strings on a stack above MMAP_BASE (so above every mapping a scenario makes without
 * MAP_FIXED), as on x86-64. The values are not those of any real binary: only their order
 * relative to the scenario's mappings is used. There is no stack VMA: find_vma() finding nothing
 * (the real process would find its stack) and a read of bytes still in the exec'd area are
 * `unsupported`, as are a finite RLIMIT_DATA (the check depends on the binary's data size) and the
 * options START_CODE .. BRK, AUXV, EXE_FILE, MAP, MAP_SIZE. security_task_prctl (no LSM) is not
 * modelled.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import { errno_reason } from '../errno_reason.js';
import { find_vma } from '../include/linux/mm.js';
import type { mm_layout, mm_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, TASK_SIZE } from '../include/linux/mm_types.js';
import { CAP_SYS_RESOURCE, RLIM_INFINITY, capable, get_current } from '../include/linux/sched.js';
import { EINVAL, EPERM } from '../include/uapi/linux/errno.js';
import { down_read, up_read } from './locking/rwsem.js';
import { spin_lock, spin_unlock } from './locking/mutex.js';

/** include/uapi/linux/prctl.h */
export const PR_SET_MM = 35;
export const PR_SET_MM_START_CODE = 1;
export const PR_SET_MM_END_CODE = 2;
export const PR_SET_MM_START_DATA = 3;
export const PR_SET_MM_END_DATA = 4;
export const PR_SET_MM_START_STACK = 5;
export const PR_SET_MM_START_BRK = 6;
export const PR_SET_MM_BRK = 7;
export const PR_SET_MM_ARG_START = 8;
export const PR_SET_MM_ARG_END = 9;
export const PR_SET_MM_ENV_START = 10;
export const PR_SET_MM_ENV_END = 11;
export const PR_SET_MM_AUXV = 12;
export const PR_SET_MM_EXE_FILE = 13;
export const PR_SET_MM_MAP = 14;
export const PR_SET_MM_MAP_SIZE = 15;

/** include/uapi/asm-generic/resource.h */
export const RLIMIT_DATA = 2;

/** mmap_min_addr: CONFIG_DEFAULT_MMAP_MIN_ADDR=65536 in Debian's amd64 configs (vm.mmap_min_addr). */
export const MMAP_MIN_ADDR = 65536;

/** Where the exec'd stack's argument and environment strings start (see the MODEL note). */
export const EXEC_ARGS_BASE = TASK_SIZE - 16 * PAGE_SIZE;

/** MODEL: the layout every process starts with (see the file header). */
export const EXEC_LAYOUT: Readonly<mm_layout> = {
  start_code: 0x400000,
  end_code: 0x401000,
  start_data: 0x402000,
  end_data: 0x403000,
  start_brk: 0x404000,
  brk: 0x404000,
  start_stack: EXEC_ARGS_BASE - 0x100,
  arg_start: EXEC_ARGS_BASE,
  arg_end: EXEC_ARGS_BASE + 0x100,
  env_start: EXEC_ARGS_BASE + 0x100,
  env_end: EXEC_ARGS_BASE + 0x400,
};

const LAYOUT_KEYS = Object.keys(EXEC_LAYOUT) as (keyof mm_layout)[];

function layout_of(mm: mm_struct): mm_layout {
  const l = { ...EXEC_LAYOUT };
  for (const key of LAYOUT_KEYS) l[key] = mm[key];
  return l;
}

function set_layout(mm: mm_struct, l: mm_layout): void {
  for (const key of LAYOUT_KEYS) mm[key] = l[key];
}

/** dup_mm's memcpy of the layout fields (kernel/fork.ts sys_fork). */
export function mm_copy_layout(mm: mm_struct, oldmm: mm_struct): void {
  set_layout(mm, layout_of(oldmm));
}

/** The single-field options and the field each sets. */
const OPTION_FIELD: ReadonlyMap<number, keyof mm_layout> = new Map([
  [PR_SET_MM_START_CODE, 'start_code'], [PR_SET_MM_END_CODE, 'end_code'],
  [PR_SET_MM_START_DATA, 'start_data'], [PR_SET_MM_END_DATA, 'end_data'],
  [PR_SET_MM_START_STACK, 'start_stack'], [PR_SET_MM_START_BRK, 'start_brk'], [PR_SET_MM_BRK, 'brk'],
  [PR_SET_MM_ARG_START, 'arg_start'], [PR_SET_MM_ARG_END, 'arg_end'],
  [PR_SET_MM_ENV_START, 'env_start'], [PR_SET_MM_ENV_END, 'env_end'],
]);

/** The options modelled past the common checks (the others are `unsupported` there). */
const MODELLED: ReadonlySet<number> = new Set([PR_SET_MM_START_STACK, PR_SET_MM_ARG_START, PR_SET_MM_ARG_END, PR_SET_MM_ENV_START, PR_SET_MM_ENV_END]);

const SITE = 'kernel/sys.c:prctl_set_mm';

/** validate_prctl_map_addr(prctl_map): 0 or -EINVAL (a string says why, for the errno reason). */
function validate_prctl_map_addr(l: mm_layout): string | null {
  for (const key of LAYOUT_KEYS) {
    if (l[key] >= TASK_SIZE || l[key] < MMAP_MIN_ADDR) return `${key} 0x${l[key].toString(16)} is outside [mmap_min_addr, TASK_SIZE)`;
  }
  if (!(l.start_code < l.end_code)) return 'start_code >= end_code';
  if (!(l.start_data <= l.end_data)) return 'start_data > end_data';
  if (!(l.start_brk <= l.brk)) return 'start_brk > brk';
  if (!(l.arg_start <= l.arg_end)) return `arg_start 0x${l.arg_start.toString(16)} > arg_end 0x${l.arg_end.toString(16)}`;
  if (!(l.env_start <= l.env_end)) return `env_start 0x${l.env_start.toString(16)} > env_end 0x${l.env_end.toString(16)}`;
  // check_data_rlimit(rlimit(RLIMIT_DATA), ...) checks only a finite limit: prctl_set_mm() leaves that case unsupported.
  return null;
}

/**
 * prctl_set_mm(opt, addr, arg4, arg5): 0 or -errno (see the file header). Current's mm;
 * takes mmap_lock for read and arg_lock.
 */
export function* prctl_set_mm(k: Kctx, opt: number, addr: number, arg4: number, arg5: number): KThread<number> {
  const cur = get_current(k);
  const mm = cur.mm;
  if (mm === null) return unsupported(k, SITE, 'prctl(PR_SET_MM) by a task without an mm');
  if (arg5 || (arg4 && opt !== PR_SET_MM_AUXV && opt !== PR_SET_MM_MAP && opt !== PR_SET_MM_MAP_SIZE)) {
    return errno_reason(k, -EINVAL, SITE, 'arg5 is not 0, or arg4 is not 0 for an option that takes no arg4');
  }
  if (opt === PR_SET_MM_MAP || opt === PR_SET_MM_MAP_SIZE) return unsupported(k, SITE, 'PR_SET_MM_MAP / PR_SET_MM_MAP_SIZE (prctl_set_mm_map)');
  if (!capable(k, CAP_SYS_RESOURCE)) return errno_reason(k, -EPERM, SITE, 'the caller lacks CAP_SYS_RESOURCE');
  if (opt === PR_SET_MM_EXE_FILE || opt === PR_SET_MM_AUXV) return unsupported(k, SITE, 'PR_SET_MM_EXE_FILE / PR_SET_MM_AUXV');
  if (addr >= TASK_SIZE || addr < MMAP_MIN_ADDR) return errno_reason(k, -EINVAL, SITE, `addr 0x${addr.toString(16)} is outside [mmap_min_addr, TASK_SIZE)`);
  const field = OPTION_FIELD.get(opt);
  if (field !== undefined && !MODELLED.has(opt)) return unsupported(k, SITE, `PR_SET_MM option ${opt} (the code/data/brk fields: the exec layout of a real binary is not modelled)`);
  if (cur.rlim[RLIMIT_DATA].rlim_cur !== RLIM_INFINITY) return unsupported(k, SITE, 'a finite RLIMIT_DATA (check_data_rlimit depends on the binary\'s data size)');
  yield* down_read(k, mm.mmap_lock, SITE);
  const vma = find_vma(mm, addr);
  yield* spin_lock(k, mm.arg_lock, SITE);
  let error = 0;
  out: {
    if (field === undefined) {
      error = errno_reason(k, -EINVAL, SITE, `unknown PR_SET_MM option ${opt}`);
      break out;
    }
    const l = layout_of(mm);
    l[field] = addr;
    const bad = validate_prctl_map_addr(l);
    if (bad !== null) {
      error = errno_reason(k, -EINVAL, 'kernel/sys.c:validate_prctl_map_addr', bad);
      break out;
    }
    if (vma === null) {
      // The kernel's -EFAULT; but the real process would find its stack VMA above every mapping here.
      error = unsupported(k, SITE, `find_vma(0x${addr.toString(16)}) found no VMA: the exec'd stack VMA is not modelled`);
      break out;
    }
    set_layout(mm, l);
  }
  spin_unlock(k, mm.arg_lock, SITE);
  up_read(k, mm.mmap_lock, SITE);
  return error;
}

/** sys_prctl(option, arg2, arg3, arg4, arg5), reduced to PR_SET_MM. */
export function* sys_prctl(k: Kctx, option: number, arg2: number, arg3: number, arg4: number, arg5: number): KThread<number> {
  if (option !== PR_SET_MM) return unsupported(k, 'kernel/sys.c:sys_prctl', `prctl option ${option} (only PR_SET_MM is modelled)`);
  // prctl_set_mm() takes `int opt`: arg2 is truncated to 32 bits.
  return yield* prctl_set_mm(k, arg2 | 0, arg3, arg4, arg5);
}
