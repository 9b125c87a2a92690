/**
 * Op group: prctl(2) (issue #12 item 2: what /proc/PID/cmdline reads) — PR_SET_MM with the
 * single-field options (kernel/sys_prctl.ts prctl_set_mm). /proc/<P>/cmdline is opened by the
 * mm group's `open` and read by the pipe_io group's `pread` (fs/proc/cmdline.ts).
 */
import { sys_prctl } from '../../linux/kernel/sys_prctl.js';
import { EINVAL } from '../../linux/include/uapi/linux/errno.js';
import type { KThread } from '../../sched/index.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalFlags, evalNum, ret } from '../step.js';
import { a, en, int } from './flags.js';
import type { OpGroup } from './types.js';

/** prctl options the scenario names (include/uapi/linux/prctl.h). */
export const PR_NAMES = ['PR_SET_MM'] as const;
/** PR_SET_MM's sub-options (include/uapi/linux/prctl.h). */
export const PR_SET_MM_NAMES = [
  'PR_SET_MM_START_CODE', 'PR_SET_MM_END_CODE', 'PR_SET_MM_START_DATA', 'PR_SET_MM_END_DATA', 'PR_SET_MM_START_STACK',
  'PR_SET_MM_START_BRK', 'PR_SET_MM_BRK', 'PR_SET_MM_ARG_START', 'PR_SET_MM_ARG_END', 'PR_SET_MM_ENV_START',
  'PR_SET_MM_ENV_END', 'PR_SET_MM_AUXV', 'PR_SET_MM_EXE_FILE', 'PR_SET_MM_MAP', 'PR_SET_MM_MAP_SIZE',
] as const;

function* opPrctl(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const option = evalFlags(c, a.option, 'option');
  const arg2 = evalFlags(c, a.arg2, 'arg2');
  if (option === null || arg2 === null) return ret(-EINVAL);
  return ret(yield* sys_prctl(c.k, option, arg2, evalNum(c, a.arg3), evalNum(c, a.arg4), evalNum(c, a.arg5)));
}

export const PRCTL_OPS = {
  prctl: {
    cls: 'syscall',
    args: [
      a('option', en('PR_', PR_NAMES), undefined, 'only PR_SET_MM is modelled'),
      a('arg2', en('PR_SET_MM_', PR_SET_MM_NAMES), undefined, 'or an integer'),
      a('arg3', int, 0, 'the address'), a('arg4', int, 0), a('arg5', int, 0),
    ],
    doc: 'prctl(2) PR_SET_MM of the calling process: set one exec layout field (arg2 names it: PR_SET_MM_ARG_START/ARG_END/ENV_START/ENV_END/START_STACK) to the address arg3; what /proc/<P>/cmdline then reads',
    result: '0 or -errno (kernel/sys.c prctl_set_mm: -EINVAL arg4/arg5 not 0, addr outside [mmap_min_addr, TASK_SIZE), an unknown sub-option, or a layout validate_prctl_map_addr refuses (arg_start > arg_end, env_start > env_end: set ARG_START before ARG_END when moving the area down); -EPERM without CAP_SYS_RESOURCE); the code/data/brk, AUXV, EXE_FILE and MAP sub-options are `unsupported`',
    impl: opPrctl,
  },
} satisfies OpGroup;
