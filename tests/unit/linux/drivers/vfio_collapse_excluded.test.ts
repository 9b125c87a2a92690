/**
 * MAP_DMA batches collapsed while a second thread waits for the container's iommu->lock
 * (Sched.aloneHolding): vfio_dma_do_map() holds that mutex across the whole pinning, so the
 * waiter cannot run at the points a collapsed run skips. A thread T1 of the same process
 * waits in user space until T0 holds the lock, then issues its own MAP_DMA on the container
 * (a chooser that prefers T1 makes it run as soon as it can, so it blocks on the mutex); the
 * run must end in the state of the same run watched by an after-step hook (which keeps every
 * batch), in far fewer steps. When T1 waits for something else (a user-space wait that T0's
 * map does not end), nothing is collapsed: the steps are those of the watched run.
 */
import { describe, expect, it } from 'vitest';
import { Sched, waitUntil } from '../../../../src/sched/index.js';
import type { Chooser, KThread, ThreadId } from '../../../../src/sched/index.js';
import { Kctx } from '../../../../src/linux/kctx.js';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { CAP_IPC_LOCK } from '../../../../src/linux/include/linux/sched.js';
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { sys_mmap } from '../../../../src/linux/syscalls.js';
import { hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { mm_fingerprint } from '../../../../src/linux/mm/fingerprint.js';
import { vfioFingerprint } from '../../../../src/scenario/build-vfio.js';
import { vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { GiB, MiB, machine, map_dma, pci_device, prefault, task, unmap_dma, vfio_setup } from './support.js';

/** Runs the highest-numbered enabled thread (T1 as soon as it can run). */
class PreferLast implements Chooser {
  pickThread(enabled: readonly ThreadId[]): ThreadId {
    return enabled[enabled.length - 1];
  }
  pickData(): number {
    return 0;
  }
}

interface Outcome {
  map0: number;
  map1: number;
  locked: number;
  fp: string;
  unmap: number;
  /** Scheduling steps when T0's MAP_DMA returned. */
  stepsAtMap0: number;
  steps: number;
}

/**
 * T0 maps `gib` GiB of 1 GiB hugetlb pages (or `small`: 8 MiB of 4 KiB pages); T1 waits
 * (`onLock`: until T0 holds iommu->lock; else: until T0's map has returned) and maps one more
 * page of its own at another IOVA. `watched`: an after-step hook keeps every batch.
 */
function run(profile: string, small: boolean, onLock: boolean, watched: boolean): Outcome {
  const m = machine(profile, { dma32: 64 * MiB, normal: 3 * GiB });
  m.recordEvents = false;
  const t = task(m, { caps: [CAP_IPC_LOCK], memlock: Number.POSITIVE_INFINITY });
  const s = new Sched({ chooser: new PreferLast(), trace: false, maxSteps: 50_000_000, ...(watched ? { afterStep: () => false } : {}) });
  m.sched = s;
  const out: Partial<Outcome> = {};
  const bytes = small ? 8 * MiB : 2 * GiB;
  let container = -1;
  let extra = 0;
  let t0: ThreadId | null = null;
  let map0Done = false;
  s.spawn('T0', (tid) => (function* (): KThread<void> {
    t0 = tid;
    const k = new Kctx(m, s, tid, t);
    const mm = t.mm!;
    if (!small) expect(hugetlb_pool_grow(k, 18, 2)).toBe(2);
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | (small ? 0 : MAP_HUGETLB | (30 << 26));
    const va = yield* sys_mmap(k, 0, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    extra = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const vma = vma_lookup(mm, va)!;
    for (let a = va; a < va + bytes; a += small ? PAGE_SIZE : GiB) yield* prefault(k, mm, vma, a, PAGE_SIZE);
    yield* prefault(k, mm, vma_lookup(mm, extra)!, extra, PAGE_SIZE);
    container = (yield* vfio_setup(k, pci_device(k))).container;
    out.map0 = yield* map_dma(k, container, va, 1n << 32n, bytes);
    map0Done = true;
    out.stepsAtMap0 = s.stepCount;
    out.locked = mm.locked_vm;
  })());
  s.spawn('T1', (tid) => (function* (): KThread<void> {
    const k = new Kctx(m, s, tid, t);
    const ready = onLock
      ? (): boolean => t0 !== null && s.heldBy(t0).some((h) => h.lock.startsWith('lock(vfio_iommu#'))
      : (): boolean => map0Done;
    yield* waitUntil('test:T1 waits', { kind: 'waitqueue', object: onLock ? 'T0 holds iommu->lock' : 'T0 mapped' }, ready, 'user');
    out.map1 = yield* map_dma(k, container, extra, 1n << 40n, PAGE_SIZE);
    // Both maps are done (T1 ran its MAP_DMA after T0's released the lock): unmap everything.
    while (!map0Done) yield* waitUntil('test:T1 waits for T0', { kind: 'waitqueue', object: 'T0 mapped' }, () => map0Done, 'user');
    out.unmap = (yield* unmap_dma(k, container, 0, 0, 2)).ret; // VFIO_DMA_UNMAP_FLAG_ALL
    out.fp = mm_fingerprint(m) + vfioFingerprint(m);
  })());
  const r = s.run();
  expect(r.status).toBe('done');
  expect(m.reports.filter((x) => x.kind !== 'warn')).toEqual([]);
  return { ...(out as Outcome), steps: r.steps };
}

describe.each(['v6.1', 'v6.12'])('MAP_DMA collapsed while another thread waits for iommu->lock, on %s', (profile) => {
  it.each([['2 x 1 GiB hugetlb', false], ['8 MiB of 4 KiB pages', true]] as const)('%s: same end state as batch by batch, in fewer steps', (_name, small) => {
    const excluded = run(profile, small, true, false);
    const watched = run(profile, small, true, true);
    const { steps: _s1, stepsAtMap0: s1, ...a } = excluded;
    const { steps: _s2, stepsAtMap0: s2, ...b } = watched;
    expect(a.map0).toBe(0);
    expect(a.map1).toBe(0);
    expect(a.locked).toBe((small ? 8 * MiB : 2 * GiB) / PAGE_SIZE);
    expect(a).toEqual(b);
    // The 4 KiB run spends most of its steps prefaulting page by page; its MAP_DMA collapses to a few.
    expect(s1 * (small ? 1.5 : 10)).toBeLessThan(s2);
  });

  it('a second thread that waits for something else keeps every batch (no collapse)', () => {
    const { steps: _s1, ...other } = run(profile, true, false, false);
    const { steps: _s2, ...watched } = run(profile, true, false, true);
    expect(other.map0).toBe(0);
    expect(other).toEqual(watched);
  });
});
