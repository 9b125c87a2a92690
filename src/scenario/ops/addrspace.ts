/**
 * Op group: address-space changes under a pin (mremap, madvise advice, munmap + mmap, mprotect after a pin; issue #12 item 4).
 * Empty until the ops land: declare each as `name: { cls, args, doc, result, impl }` (types.ts).
 */
import type { OpGroup } from './types.js';

export const ADDRSPACE_OPS = {} satisfies OpGroup;
