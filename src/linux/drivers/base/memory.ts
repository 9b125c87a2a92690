/**
 * Memory blocks: drivers/base/memory.c (/sys/devices/system/memory/memoryN) — 5.4.1,
 * Debian 6.1.192 and 6.12.117 — with arch/x86/mm/init_64.c memory_block_size_bytes().
 *
 * Boot memory is cut into blocks of memory_block_size_bytes() (probe_memory_block_size:
 * 128 MiB (MIN_MEMORY_BLOCK_SIZE, one 128 MiB section) while the end of RAM is below
 * 64 GiB; else the largest power of two up to 2 GiB that the end of RAM is aligned to).
 * Block N covers physical [N * size, (N + 1) * size); a block exists when some of it is
 * RAM (present sections). Each has a state (online, going-offline, offline), the zone it
 * is online in (6.x mem->zone: NULL when its RAM spans several zones) and the device
 * core's `offline` flag.
 *
 * state_store(): "online", "online_kernel", "online_movable", "offline" (anything else
 * -EINVAL), under device_hotplug_lock; device_online()/device_offline() answer 1 when the
 * device is already in that state, which state_store() turns into -EINVAL; a failure of
 * memory_block_online/offline (mm/memory_hotplug.ts online_pages/offline_pages) is returned
 * as is; success returns the count written.
 * valid_zones_show(): for an online block its zone ("none" when it spans several); for an
 * offline one the zone `online` would pick, then the others online_kernel/online_movable
 * would pick.
 *
 * Locking contract: state_store takes device_hotplug_lock (a mutex) and holds it across
 * offline_pages(), so a second writer waits; readers take nothing.
 * MODEL: lock_device_hotplug_sysfs() is a mutex_trylock that restarts the syscall when it
 * fails; the model sleeps on the mutex (the same serialisation without the restart
 * loop). The machine counts as a guest (X86_FEATURE_HYPERVISOR, as under the conformance
 * harness: 6.x uses 2 GiB blocks on bare metal with 64 GiB or more). No `removable`,
 * `phys_index` or `phys_device` files, no hot-add or removal of blocks, one node,
 * memmap_on_memory off (Debian's default), no auto-online policy.
 */
import type { KThread } from '../../../sched/index.js';
import { Mutex, point } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { IS_ENABLED } from '../../kctx.js';
import type { Machine } from '../../machine.js';
import type { zone_type } from '../../include/linux/gfp.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../include/linux/mm_types.js';
import { EINVAL, ENOENT } from '../../include/uapi/linux/errno.js';
import { errno_reason } from '../../errno_reason.js';
import { mutex_lock, mutex_unlock } from '../../kernel/locking/mutex.js';
import {
  MMOP_OFFLINE, MMOP_ONLINE, MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE, offline_pages, online_pages, zone_for_pfn_range, zone_intersects,
} from '../../mm/memory_hotplug.js';

const FILE = 'drivers/base/memory.c';

/** include/linux/memory.h */
export const MEM_ONLINE = 1 << 0;
export const MEM_GOING_OFFLINE = 1 << 1;
export const MEM_OFFLINE = 1 << 2;

const MIN_MEMORY_BLOCK_SIZE = 128 * 1024 * 1024;
const MAX_BLOCK_SIZE = 2 * 1024 * 1024 * 1024;
const MEM_SIZE_FOR_LARGE_BLOCK = 64 * 1024 * 1024 * 1024;

/** struct memory_block */
export interface memory_block {
  /** N of memoryN (start_section_nr / sections_per_block). */
  readonly id: number;
  readonly start_pfn: number;
  readonly nr_pages: number;
  /** MEM_ONLINE, MEM_GOING_OFFLINE or MEM_OFFLINE. */
  state: number;
  /** MMOP_* requested by the write in progress (MMOP_OFFLINE otherwise). */
  online_type: number;
  /** mem->zone (6.x): the zone the block is online in; null when offline or spanning several zones. */
  zone: zone_type | null;
  /** struct device's offline flag (drivers/base/core.c). */
  offline: boolean;
}

/** The memory block devices of a machine. */
export interface memory_subsys {
  readonly block_size: number;
  readonly blocks: ReadonlyMap<number, memory_block>;
  readonly device_hotplug_lock: Mutex;
}

/** memory_block_size_bytes() (arch/x86/mm/init_64.c probe_memory_block_size), from the end of boot RAM. */
export function memory_block_size_bytes(m: Machine): number {
  let max_pfn = 0;
  for (const r of m.mem.regions) if (r.kind === 'ram') max_pfn = Math.max(max_pfn, r.end_pfn);
  const boot_mem_end = max_pfn * PAGE_SIZE;
  if (boot_mem_end < MEM_SIZE_FOR_LARGE_BLOCK) return MIN_MEMORY_BLOCK_SIZE;
  let bz = MAX_BLOCK_SIZE;
  for (; bz > MIN_MEMORY_BLOCK_SIZE; bz /= 2) if (boot_mem_end % bz === 0) break;
  return bz;
}

/**
 * The machine's memory blocks, created on first use from the boot layout (memory_dev_init
 * → add_boot_memory_block): one per block-sized range holding RAM, online, with the zone
 * early_node_zone_for_memory_block() finds (the one zone whose span it intersects, or null).
 */
export function memory_subsys_of(m: Machine): memory_subsys {
  if (m.memory_blocks !== null) return m.memory_blocks;
  const block_size = memory_block_size_bytes(m);
  const per = block_size / PAGE_SIZE;
  const blocks = new Map<number, memory_block>();
  for (const r of m.mem.regions) {
    if (r.kind !== 'ram') continue;
    for (let id = Math.floor(r.start_pfn / per); id * per < r.end_pfn; id++) {
      if (blocks.has(id)) continue;
      const start_pfn = id * per;
      const zs = m.mem.zones.filter((z) => z.present_pages > 0 && zone_intersects(z, start_pfn, per));
      blocks.set(id, { id, start_pfn, nr_pages: per, state: MEM_ONLINE, online_type: MMOP_OFFLINE, zone: zs.length === 1 ? zs[0].zone_idx : null, offline: false });
    }
  }
  const sorted = new Map([...blocks.entries()].sort((a, b) => a[0] - b[0]));
  m.memory_blocks = { block_size, blocks: sorted, device_hotplug_lock: new Mutex('device_hotplug_lock') };
  return m.memory_blocks;
}

/** find_memory_block(): the block device memoryN, or null (no such sysfs directory: open fails with -ENOENT). */
export function find_memory_block(m: Machine, id: number): memory_block | null {
  return memory_subsys_of(m).blocks.get(id) ?? null;
}

/** The block holding pfn (phys_index of its section), or null when none does. */
export function pfn_to_block_id(m: Machine, pfn: number): number | null {
  const id = Math.floor((pfn * PAGE_SIZE) / memory_subsys_of(m).block_size);
  return memory_subsys_of(m).blocks.has(id) ? id : null;
}

/** mhp_online_type_from_str() (6.x; 5.4.1 state_store's sysfs_streq chain): MMOP_* or -EINVAL. */
function mhp_online_type_from_str(buf: string): number {
  const s = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  switch (s) {
    case 'offline': return MMOP_OFFLINE;
    case 'online': return MMOP_ONLINE;
    case 'online_kernel': return MMOP_ONLINE_KERNEL;
    case 'online_movable': return MMOP_ONLINE_MOVABLE;
    default: return -EINVAL;
  }
}

/** Is the frame in a block that is offline (for shrink_zone_span's search of online sections)? */
function pfn_offline(m: Machine, pfn: number): boolean {
  const id = pfn_to_block_id(m, pfn);
  return id !== null && (memory_subsys_of(m).blocks.get(id) as memory_block).state === MEM_OFFLINE;
}

/** memory_block_change_state(mem, to_state, from_state_req) with memory_block_action(): 0 or -errno. */
function* memory_block_change_state(k: Kctx, mem: memory_block, to_state: number, from_state_req: number): KThread<number> {
  if (mem.state !== from_state_req) return -EINVAL;
  if (to_state === MEM_OFFLINE) mem.state = MEM_GOING_OFFLINE;
  let ret: number;
  if (to_state === MEM_ONLINE) {
    // memory_block_online(): zone_for_pfn_range() then online_pages().
    const z = zone_for_pfn_range(k.m, mem.online_type, mem.start_pfn, mem.nr_pages);
    ret = online_pages(k, mem.start_pfn, mem.nr_pages, z);
    if (ret === 0) mem.zone = z.zone_idx;
  } else if (!IS_ENABLED(k, 'CONFIG_MEMORY_HOTREMOVE')) {
    // include/linux/memory_hotplug.h (Debian 6.12.118; same in 5.4.1 and 6.1.192): without
    // CONFIG_MEMORY_HOTREMOVE the kernel's offline_pages() is an inline that returns -EINVAL.
    ret = -EINVAL;
  } else {
    // memory_block_offline(): a block spanning several zones (mem->zone NULL) is refused in offline_pages' zone check.
    ret = yield* offline_pages(k, mem.start_pfn, mem.nr_pages, mem.zone, (pfn) => pfn_offline(k.m, pfn));
    if (ret === 0) mem.zone = null;
  }
  mem.state = ret !== 0 ? from_state_req : to_state;
  return ret;
}

/**
 * state_store(dev, attr, buf, count): write `buf` to /sys/devices/system/memory/memoryN/state.
 * The count written, or -EINVAL / -EBUSY / -EINTR. The caller resolved the block (an unknown
 * N is the open's -ENOENT).
 */
export function* state_store(k: Kctx, mem: memory_block, buf: string): KThread<number> {
  const online_type = mhp_online_type_from_str(buf);
  if (online_type < 0) return errno_reason(k, -EINVAL, `${FILE}:state_store`, `'${buf}' is none of offline, online, online_kernel, online_movable`);
  const lock = memory_subsys_of(k.m).device_hotplug_lock;
  yield* mutex_lock(k, lock, `${FILE}:state_store`);
  let ret: number;
  if (online_type === MMOP_OFFLINE) {
    // device_offline(): 1 when already offline.
    if (mem.offline) ret = 1;
    else {
      ret = mem.state === MEM_OFFLINE ? 0 : yield* memory_block_change_state(k, mem, MEM_OFFLINE, MEM_ONLINE);
      if (ret === 0) mem.offline = true;
    }
  } else {
    mem.online_type = online_type;
    // device_online(): 1 when already online.
    if (!mem.offline) ret = 1;
    else {
      ret = mem.state === MEM_ONLINE ? 0 : yield* memory_block_change_state(k, mem, MEM_ONLINE, MEM_OFFLINE);
      if (ret === 0) mem.offline = false;
    }
    mem.online_type = MMOP_OFFLINE;
  }
  mutex_unlock(k, lock, `${FILE}:state_store`);
  if (ret < 0) return ret;
  if (ret > 0) return errno_reason(k, -EINVAL, `${FILE}:state_store`, `memory${mem.id} is already ${mem.offline ? 'offline' : 'online'} (device_${online_type === MMOP_OFFLINE ? 'offline' : 'online'} returned 1)`);
  return buf.length;
}

/** state_show(): "online", "offline" or "going-offline". */
export function state_show(mem: memory_block): string {
  if (mem.state === MEM_ONLINE) return 'online';
  if (mem.state === MEM_OFFLINE) return 'offline';
  return 'going-offline';
}

/** valid_zones_show() (see the header). */
export function valid_zones_show(m: Machine, mem: memory_block): string {
  const zones = m.mem.zones;
  if (mem.state === MEM_ONLINE) return mem.zone === null ? 'none' : zones[mem.zone].name;
  const dflt = zone_for_pfn_range(m, MMOP_ONLINE, mem.start_pfn, mem.nr_pages);
  const names = [dflt.name];
  for (const t of [MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE]) {
    const z = zone_for_pfn_range(m, t, mem.start_pfn, mem.nr_pages);
    if (z !== dflt) names.push(z.name);
  }
  return names.join(' ');
}

/** The physical start address of a block (for reports). */
export function block_phys(mem: memory_block): number {
  return mem.start_pfn * 2 ** PAGE_SHIFT;
}

// ---- the user's view: open + write/read of /sys/devices/system/memory/memoryN/* ------------

/**
 * open("/sys/devices/system/memory/memory<id>/state", O_WRONLY) + write(buf): the count
 * written or -errno; -ENOENT when there is no block `id` (no such sysfs directory).
 */
export function* memory_block_write_state(k: Kctx, id: number, buf: string): KThread<number> {
  const mem = Number.isSafeInteger(id) ? find_memory_block(k.m, id) : null;
  if (mem === null) {
    yield* point(`${FILE}:state_store:open`);
    return errno_reason(k, -ENOENT, 'fs/namei.c:path_openat', `no memory block ${id}: /sys/devices/system/memory/memory${id} does not exist`);
  }
  return yield* state_store(k, mem, buf);
}

/**
 * Read memory<id>/state and memory<id>/valid_zones: the state string (-ENOENT for no such
 * block) and the valid zones (space-separated, as the file has them).
 */
export function memory_block_read(m: Machine, id: number): { state: string | number; zones: string | null } {
  const mem = Number.isSafeInteger(id) ? find_memory_block(m, id) : null;
  if (mem === null) return { state: -ENOENT, zones: null };
  return { state: state_show(mem), zones: valid_zones_show(m, mem) };
}

/**
 * The memory block of the frame mapped at `pfn` as user space computes it: the pfn from
 * /proc/self/pagemap times PAGE_SIZE, divided by /sys/devices/system/memory/block_size_bytes.
 * Null when no block holds it.
 */
export function memory_block_of_pfn(m: Machine, pfn: number): number | null {
  return pfn_to_block_id(m, pfn);
}
