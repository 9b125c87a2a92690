/**
 * Op group: memory blocks offline/online (issue #12 item 5): reads and writes of
 * /sys/devices/system/memory/memoryN (drivers/base/memory.ts, mm/memory_hotplug.ts).
 */
import { unsupported } from '../../linux/include/linux/bug.js';
import { EFAULT } from '../../linux/include/uapi/linux/errno.js';
import { TASK_SIZE } from '../../linux/include/linux/mm_types.js';
import { memory_block_of_pfn, memory_block_read, memory_block_write_state } from '../../linux/drivers/base/memory.js';
import type { KThread } from '../../sched/index.js';
import { frameAt } from '../../check/vfio.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalInt, noPoint, ret } from '../step.js';
import { a, en, int } from './flags.js';
import type { OpGroup } from './types.js';

/** What memory_block_store writes (drivers/base/memory.c mhp_online_type_from_str). */
export const MEMORY_STATE_NAMES = ['online', 'offline', 'online_kernel', 'online_movable'] as const;

/** A block number as the path memory<N> names it: any integer; one beyond ±2^53 names no block the model has (NaN). */
function blockArg(c: StepCtx): number {
  const b = evalInt(c.rs, c.step.args.block);
  const n = Number(b);
  return Number.isSafeInteger(n) && BigInt(n) === b ? n : Number.NaN;
}

/** memory_block_store { block, state }: open + write of memory<block>/state (the kernel's answer, see the op's doc). */
function* opMemoryBlockStore(c: StepCtx): KThread<StepResult> {
  const s = c.step.args.state;
  const buf = s.kind === 'flags' ? (s.names[0] as string) : String(evalInt(c.rs, s));
  // alarm(secs) around the write (SIGALRM with a handler, no SA_RESTART): see Sched.armAlarm.
  const alarm = c.step.args.alarm !== undefined && evalInt(c.rs, c.step.args.alarm) > 0n;
  if (alarm) c.k.s.armAlarm();
  const r = yield* memory_block_write_state(c.k, blockArg(c), buf);
  if (alarm) c.k.s.disarmAlarm();
  return ret(r);
}

/** memory_block_state { block }: memory<block>/state. */
function* opMemoryBlockState(c: StepCtx): KThread<StepResult> {
  yield* noPoint();
  return ret(memory_block_read(c.k.m, blockArg(c)).state);
}

/** memory_block_zones { block }: memory<block>/valid_zones. */
function* opMemoryBlockZones(c: StepCtx): KThread<StepResult> {
  yield* noPoint();
  const r = memory_block_read(c.k.m, blockArg(c));
  return ret(r.zones ?? r.state);
}

/** memory_block_of { addr }: the memory block of the frame mapped at addr (pagemap), -EFAULT if none. */
function* opMemoryBlockOf(c: StepCtx): KThread<StepResult> {
  yield* noPoint();
  const mm = c.k.current.mm;
  if (mm === null) return ret(unsupported(c.k, 'scenario:memory_block_of', 'memory_block_of: the process has no mm'));
  // An address no mapping can have (negative, beyond the user address space) maps nothing.
  const addr = evalInt(c.rs, c.step.args.addr);
  const pfn = addr < 0n || addr > BigInt(TASK_SIZE) ? null : frameAt(mm, Number(addr));
  const id = pfn === null ? null : memory_block_of_pfn(c.k.m, pfn);
  return ret(id === null ? -EFAULT : id);
}

export const MEMBLOCK_OPS = {
  memory_block_store: {
    cls: 'syscall', args: [a('block', int), a('state', en('MEMORY_STATE_', MEMORY_STATE_NAMES), undefined, 'or an integer, written as its digits'), a('alarm', int, 0, 'seconds: SIGALRM (handled) interrupts a write still waiting then')],
    doc: 'write online|offline|online_kernel|online_movable to /sys/devices/system/memory/memory<block>/state',
    result: 'the count written or -errno, as a write to `/sys/devices/system/memory/memory<block>/state` (drivers/base/memory.ts, mm/memory_hotplug.ts): -ENOENT no such block; -EINVAL the block already has that state, an unknown word, a block with holes (5.5+) or spanning two zones; -EBUSY a reserved, CMA or (outside ZONE_MOVABLE) unmovable kernel page; -EINTR a signal while `offline_pages()` retries (also the `alarm`: it fires when nothing else can run — the model has no clock — and its handler takes the signal). An offline waits (interruptibly) while a page of the block cannot be migrated: a run in which nothing drops the reference (and no alarm is set) ends in `deadlock` with `offline-progress`',
    impl: opMemoryBlockStore,
  },
  memory_block_state: {
    cls: 'syscall', args: [a('block', int)],
    doc: 'read memory<block>/state',
    result: '`online`, `offline` or `going-offline` (the `state` file); -ENOENT no such block',
    impl: opMemoryBlockState,
  },
  memory_block_zones: {
    cls: 'syscall', args: [a('block', int)],
    doc: 'read memory<block>/valid_zones',
    result: 'the `valid_zones` file: the zone an online block is in (`none` when it spans two), or for an offline one the zone a plain `online` would pick, then the others (`Normal Movable`); -ENOENT no such block',
    impl: opMemoryBlockZones,
  },
  memory_block_of: {
    cls: 'syscall', args: [a('addr', int)],
    doc: 'the memory block of the frame mapped at addr in the thread\'s process',
    result: 'the block number of the frame mapped at `addr` (pfn × 4096 / block size, as user space computes it from `/proc/self/pagemap` and `block_size_bytes`); -EFAULT if nothing is mapped',
    impl: opMemoryBlockOf,
  },
} satisfies OpGroup;
