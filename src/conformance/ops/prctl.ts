// Conformance group: prctl — the guest translation of each op of src/scenario/ops/prctl.ts
// (guest side: conformance/guest/ops-cmdline.c). The arguments go through as numbers.
import { emit, fail, intTok } from '../translate-core.js';
import type { Ctx } from '../translate-core.js';
import type { ArgValue } from '../../scenario/ast.js';
import type { GuestGroup } from './types.js';

/** include/uapi/linux/prctl.h, as the guest's headers have them. */
const PR_UAPI: Readonly<Record<string, number>> = {
  PR_SET_MM: 35, PR_SET_MM_START_CODE: 1, PR_SET_MM_END_CODE: 2, PR_SET_MM_START_DATA: 3, PR_SET_MM_END_DATA: 4,
  PR_SET_MM_START_STACK: 5, PR_SET_MM_START_BRK: 6, PR_SET_MM_BRK: 7, PR_SET_MM_ARG_START: 8, PR_SET_MM_ARG_END: 9,
  PR_SET_MM_ENV_START: 10, PR_SET_MM_ENV_END: 11, PR_SET_MM_AUXV: 12, PR_SET_MM_EXE_FILE: 13, PR_SET_MM_MAP: 14,
  PR_SET_MM_MAP_SIZE: 15,
};

/** An enum argument's uapi value (PR_SET_MM, PR_SET_MM_*) or its integer. */
function enumTok(c: Ctx, v: ArgValue | undefined, name: string): string {
  if (v !== undefined && v.kind === 'flags') {
    return String(v.names.reduce((acc, n) => acc | (PR_UAPI[n] ?? fail(`${name}: ${n} has no uapi value in the translator`)), 0));
  }
  return intTok(c, v, name);
}

export const PRCTL_GUEST = {
  prctl: {
    guest: 'prctl <as> <option> <arg2> <arg3> <arg4> <arg5>',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `prctl ${as} ${enumTok(c, a.option, 'option')} ${enumTok(c, a.arg2, 'arg2')} ${fd('arg3')} ${fd('arg4')} ${fd('arg5')}`), 'int');
    },
  },
} satisfies GuestGroup<'prctl'>;
