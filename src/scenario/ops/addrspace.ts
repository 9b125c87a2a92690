/**
 * Op group: address-space changes under a pin (issue #12 item 4). madvise's new advice
 * (FREE, COLD, PAGEOUT, WILLNEED, REMOVE, WIPEONFORK, KEEPONFORK) rides on the `madvise` op
 * of mm.ts (flags.ts MADV_NAMES); mremap is declared here.
 */
import type { KThread } from '../../sched/index.js';
import { EINVAL } from '../../linux/include/uapi/linux/errno.js';
import { sys_mremap } from '../../linux/mm/mremap.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalFlags, evalNum, ret } from '../step.js';
import { MREMAP_NAMES, a, fl, int } from './flags.js';
import type { OpGroup } from './types.js';

/** mremap(2) (mm/mremap.ts sys_mremap): the new address or -errno. */
function* opMremap(c: StepCtx): KThread<StepResult> {
  const x = c.step.args;
  const flags = evalFlags(c, x.flags, 'flags');
  if (flags === null) return ret(-EINVAL);
  return ret(yield* sys_mremap(c.k, evalNum(c, x.addr), evalNum(c, x.old_len), evalNum(c, x.new_len), flags, evalNum(c, x.new_addr)));
}

export const ADDRSPACE_OPS = {
  mremap: {
    cls: 'syscall',
    args: [a('addr', int), a('old_len', int), a('new_len', int), a('flags', fl('MREMAP_', MREMAP_NAMES), 0), a('new_addr', int, 0)],
    doc: 'mremap(2): the pages move with their pins (a device or an io_uring buffer keeps the frames)',
    result: 'the new address or -errno',
    impl: opMremap,
  },
} satisfies OpGroup;
