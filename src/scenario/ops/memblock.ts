/**
 * Op group: memory blocks offline/online (issue #12 item 5).
 * Empty until the ops land: declare each as `name: { cls, args, doc, result, impl }` (types.ts).
 */
import type { OpGroup } from './types.js';

export const MEMBLOCK_OPS = {} satisfies OpGroup;
