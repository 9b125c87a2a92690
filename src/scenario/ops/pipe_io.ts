/**
 * Op group: page references that are not pins (pipes and vmsplice, pread/pwrite, O_DIRECT, io_uring READ/WRITE_FIXED; issue #12 item 3).
 * Empty until the ops land: declare each as `name: { cls, args, doc, result, impl }` (types.ts).
 */
import type { OpGroup } from './types.js';

export const PIPE_IO_OPS = {} satisfies OpGroup;
