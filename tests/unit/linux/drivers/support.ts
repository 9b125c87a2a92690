/**
 * Test support for the VFIO / IOMMU / edu tests: a machine for a profile, tasks, anonymous
 * mappings, and a one-call VFIO set-up (container + group + SET_IOMMU), all run inside
 * model kernel threads.
 *
 * Anonymous mappings are made with the memory model's sys_mmap and prefaulted through
 * handle_mm_fault(FAULT_FLAG_WRITE), as a user store would.
 */
import type { KThread } from '../../../../src/sched/index.js';
import { DefaultChooser, Sched } from '../../../../src/sched/index.js';
import type { RunResult } from '../../../../src/sched/index.js';
import { resolveProfile } from '../../../../src/profiles/index.js';
import { Kctx } from '../../../../src/linux/kctx.js';
import { Machine } from '../../../../src/linux/machine.js';
import type { MemoryLayout, mm_struct, vm_area_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, VM_FAULT_ERROR,
} from '../../../../src/linux/include/linux/mm.js';
import type { task_struct } from '../../../../src/linux/include/linux/sched.js';
import { createTask } from '../../../../src/linux/kernel/fork.js';
import type { TaskOptions } from '../../../../src/linux/kernel/fork.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { O_RDWR, fget, fput } from '../../../../src/linux/include/linux/fs.js';
import { iommu_group_alloc } from '../../../../src/linux/drivers/iommu/iommu.js';
import type { device } from '../../../../src/linux/drivers/iommu/iommu.js';
import { vfio_register_group_dev } from '../../../../src/linux/drivers/vfio/vfio.js';
import type { vfio_device, vfio_dma_unmap_fn } from '../../../../src/linux/drivers/vfio/vfio.js';
import {
  VFIO_GROUP_SET_CONTAINER, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU,
  VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE,
} from '../../../../src/linux/include/uapi/linux/vfio.js';
import type { vfio_iommu_type1_dma_unmap } from '../../../../src/linux/include/uapi/linux/vfio.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const PROFILES = ['v5.4', 'v5.5', 'v5.6', 'v6.1', 'v6.12'] as const;
export type ProfileTag = (typeof PROFILES)[number];

/** A machine for a profile (or a profile expression such as `v5.6-vfio-pin-user-pages`). */
export function machine(profile: string, layout?: MemoryLayout): Machine {
  const r = resolveProfile(profile);
  if (!r.ok) throw new Error(`test bug: profile ${profile}: ${r.error.message}`);
  return new Machine(r.profile, layout ?? { dma32: 64 * MiB, normal: 512 * MiB });
}

export function task(m: Machine, opts: Partial<TaskOptions> = {}): task_struct {
  return createTask(m, { comm: opts.comm ?? 'qemu', ...opts });
}

/** Run `bodies` (each as its task) to completion with the default chooser; returns their results. */
export function run(m: Machine, bodies: { task: task_struct; body: (k: Kctx) => KThread<unknown> }[], maxSteps = 50_000_000): { results: unknown[]; r: RunResult } {
  const s = new Sched({ chooser: new DefaultChooser(), trace: false, maxSteps });
  m.sched = s;
  const results: unknown[] = bodies.map(() => undefined);
  bodies.forEach((b, i) => s.spawn(`t${i}`, (tid) => (function* () {
    const k = new Kctx(m, s, tid, b.task);
    results[i] = yield* b.body(k);
  })()));
  const r = s.run();
  m.sched = null;
  if (r.status !== 'done') throw new Error(`test bug: run ended ${r.status}: ${JSON.stringify(r.violations)}`);
  return { results, r };
}

/** Run one body as one task; its result. */
export function run1<T>(m: Machine, t: task_struct, body: (k: Kctx) => KThread<T>): T {
  return run(m, [{ task: t, body }]).results[0] as T;
}

/**
 * mmap(start, len, PROT_READ[|PROT_WRITE], MAP_FIXED|MAP_ANONYMOUS|MAP_PRIVATE or
 * MAP_SHARED) as the task owning `mm`, through the memory model's sys_mmap; returns the VMA.
 */
export function anon_vma(m: Machine, mm: mm_struct, start: number, len: number, opts: { write?: boolean; shared?: boolean } = {}): vm_area_struct {
  const owner = [...m.tasks.values()].find((t) => t.mm === mm);
  if (owner === undefined) throw new Error('test bug: anon_vma on an mm no task owns');
  const prot = PROT_READ | ((opts.write ?? true) ? PROT_WRITE : 0);
  const flags = MAP_FIXED | MAP_ANONYMOUS | (opts.shared === true ? MAP_SHARED : MAP_PRIVATE);
  const r = run1(m, owner, (k) => sys_mmap(k, start, len, prot, flags, -1, 0));
  const vma = r === start ? vma_lookup(mm, start) : null;
  if (vma === null) throw new Error(`test bug: mmap at 0x${start.toString(16)} failed: ${r}`);
  return vma;
}

/** Prefault [start, start + len) for write in current's mm (as a user store would). */
export function* prefault(k: Kctx, mm: mm_struct, vma: vm_area_struct, start: number, len: number): KThread<void> {
  yield* down_read(k, mm.mmap_lock, 'test:prefault');
  for (let a = start; a < start + len; a += PAGE_SIZE) {
    const r = yield* handle_mm_fault(k, vma, a, FAULT_FLAG_WRITE);
    if (r & VM_FAULT_ERROR) throw new Error(`test bug: prefault of 0x${a.toString(16)} failed: ${r}`);
  }
  up_read(k, mm.mmap_lock, 'test:prefault');
}

/** ioctl(fd, cmd, arg) through the fd table (fget, ->unlocked_ioctl, fput). -EBADF / -ENOTTY as the VFS. */
export function* ioctl(k: Kctx, fd: number, cmd: number, arg: unknown): KThread<number> {
  const f = fget(k, fd);
  if (f === null) return -9;
  const op = f.f_op.unlocked_ioctl;
  const ret = op ? yield* op(k, f, cmd, arg) : -25;
  yield* fput(k, f);
  return ret;
}

/** A PCI device bound to vfio-pci in its own IOMMU group, registered with VFIO. */
export function pci_device(k: Kctx, name = '0000:00:04.0', opts: { bars?: { start_pfn: number; npages: number }[]; alsoHost?: boolean } = {}): vfio_device {
  const dev: device = { name, bus: 'pci', iommu_group: null, driver: 'vfio-pci', driver_managed_dma: true };
  const devs = [dev];
  if (opts.alsoHost) devs.push({ name: `${name}.1`, bus: 'pci', iommu_group: null, driver: 'e1000e', driver_managed_dma: false });
  iommu_group_alloc(k, devs);
  return vfio_register_group_dev(k, dev, { bars: opts.bars });
}

/** An mdev (emulated IOMMU group) whose vendor driver gets `dma_unmap` callbacks. */
export function mdev_device(k: Kctx, name: string, dma_unmap: vfio_dma_unmap_fn): vfio_device {
  const dev: device = { name, bus: 'mdev', iommu_group: null, driver: 'vfio-mdev', driver_managed_dma: true };
  iommu_group_alloc(k, [dev], { emulated: true });
  return vfio_register_group_dev(k, dev, { dma_unmap });
}

export interface VfioFds {
  container: number;
  group: number;
}

/** open container + group, GROUP_SET_CONTAINER, SET_IOMMU(type). Throws (test bug) on failure. */
export function* vfio_setup(k: Kctx, vdev: vfio_device, type = VFIO_TYPE1v2_IOMMU): KThread<VfioFds> {
  const container = yield* sys_open(k, '/dev/vfio/vfio', O_RDWR);
  const group = yield* sys_open(k, `/dev/vfio/${vdev.group.id}`, O_RDWR);
  if (container < 0 || group < 0) throw new Error(`test bug: open ${container} ${group}`);
  let r = yield* ioctl(k, group, VFIO_GROUP_SET_CONTAINER, container);
  if (r) throw new Error(`test bug: SET_CONTAINER ${r}`);
  r = yield* ioctl(k, container, VFIO_SET_IOMMU, type);
  if (r) throw new Error(`test bug: SET_IOMMU ${r}`);
  return { container, group };
}

export const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

export function* map_dma(k: Kctx, container: number, vaddr: number | bigint, iova: number | bigint, size: number | bigint, flags = RW): KThread<number> {
  return yield* ioctl(k, container, VFIO_IOMMU_MAP_DMA, { argsz: 32, flags, vaddr: BigInt(vaddr), iova: BigInt(iova), size: BigInt(size) });
}

export function* unmap_dma(k: Kctx, container: number, iova: number | bigint, size: number | bigint, flags = 0): KThread<{ ret: number; size: bigint }> {
  const arg: vfio_iommu_type1_dma_unmap = { argsz: 24, flags, iova: BigInt(iova), size: BigInt(size) };
  const ret = yield* ioctl(k, container, VFIO_IOMMU_UNMAP_DMA, arg);
  return { ret, size: arg.size };
}
