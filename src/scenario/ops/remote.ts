/**
 * Op group: remote access to another process's memory (/proc/PID/mem, ptrace PEEK/POKE, process_vm_readv/writev; issue #12 item 2).
 * Empty until the ops land: declare each as `name: { cls, args, doc, result, impl }` (types.ts).
 */
import type { OpGroup } from './types.js';

export const REMOTE_OPS = {} satisfies OpGroup;
