/**
 * MODEL (no kernel counterpart): footprints for the explorer's partial-order reduction
 * (src/explore/dpor.ts), at the granularity of *classes* of threads that cannot
 * interact.
 *
 * The model's kernel code does not report what each step reads and writes, so a step
 * footprint is derived from the scenario instead: a scenario is *separable* when its
 * threads fall into classes (one per process) whose steps reach disjoint kernel
 * objects, by the shape below, checked on the parsed scenario. A step of a thread in
 * class P then has the footprint `w:class:P` (dependent with every step of its own
 * class, independent of the others'); a scenario that is not separable gets no
 * footprints at all, so the explorer reduces nothing (DPOR is the default only for
 * targets that report footprints).
 *
 * The shape (everything else is refused, with the reason, by `separableClasses`):
 * - the default memory layout's kinds only: no ZONE_MOVABLE, no CMA, no hugetlb pool,
 *   no pmem; no file systems and no files;
 * - every process's mappings are one page, MAP_PRIVATE|MAP_ANONYMOUS (no file);
 * - every device is an edu device (no mdev: no notifier crosses processes) in the
 *   container of one process, and no IOMMU group number is used by two processes;
 * - every thread belongs to a process and only calls VFIO_IOMMU_MAP_DMA (a one-page
 *   size, a vaddr naming one of its process's mappings) and VFIO_IOMMU_UNMAP_DMA, on
 *   a container of its own process;
 * - no `observe:` probes.
 * Such a thread touches its own mm (mmap_lock, page tables, locked_vm), its own
 * container (the vfio_iommu lock, DMA list, IOMMU domain) and group, and the pages
 * it faults in. What classes share is the machine's allocators: the frame allocator
 * (a fault takes a frame), and the id counters. Steps of two classes that allocate
 * commute up to a renaming of what they were handed: both orders take the same
 * frames from the same zone's never-used memory (nothing is freed to the free lists:
 * DMA unmaps unpin, they do not free), every frame of one kind (ZONE_NORMAL or
 * ZONE_DMA32 fallback, no CMA, no movable block), each mapping one page so that no
 * class sees physical contiguity (VFIO batches contiguous pfns), and no result or
 * probe of this shape reads a pfn or an id. The invariants are conditions on one
 * page, one mm, one DMA mapping, one report at a time (`observes: per-object`).
 * Two dynamic guards cover what the shape cannot: a step that files a kernel report
 * or fires a WARN_ON_ONCE (a machine-wide `warnedOnce` set that a second class would
 * read) gets an unknown footprint, dependent with every step.
 */
import type { Machine } from '../linux/machine.js';
import type { ArgValue, Scenario } from './ast.js';

const PAGE = 4096n;
const OK_MAP_FLAGS = new Set(['MAP_PRIVATE', 'MAP_ANONYMOUS', 'MAP_POPULATE', 'MAP_FIXED']);

/** Thread index → class name, or the reason the scenario is not separable. */
export type Separability = { readonly ok: true; readonly classOf: readonly string[] } | { readonly ok: false; readonly reason: string };

function isInt(a: ArgValue | undefined, v?: bigint): boolean {
  return a !== undefined && a.kind === 'int' && (v === undefined || a.value === v);
}

/** The classes of a separable scenario (see the file header), or why it is not. */
export function separableClasses(s: Scenario): Separability {
  const no = (reason: string): Separability => ({ ok: false, reason });
  const { memory, filesystems, files, processes, devices, vfio } = s.setup;
  if (memory.zones.Movable !== 0n || memory.cma !== 0n || memory.hugepages !== 0 || memory.hugepages1g !== 0 || memory.pmem.length > 0) return no('memory layout beyond DMA32/Normal');
  if (filesystems.length > 0 || files.length > 0) return no('file systems or files');
  if (s.observe.length > 0) return no('observe probes');
  const mappingOwner = new Map<string, string>();
  for (const p of processes) {
    for (const m of p.mappings) {
      if (m.file !== null || m.length !== PAGE || !m.flags.includes('MAP_PRIVATE') || !m.flags.includes('MAP_ANONYMOUS') || m.flags.some((f) => !OK_MAP_FLAGS.has(f))) return no(`mapping ${m.name} is not one private anonymous page`);
      mappingOwner.set(m.name, p.name);
    }
  }
  const deviceOwner = new Map<string, string>();
  const containerOwner = new Map<string, string>();
  for (const c of vfio.containers) {
    containerOwner.set(c.name, c.process);
    for (const g of c.groups) {
      if (deviceOwner.has(g)) return no(`device ${g} in two containers`);
      deviceOwner.set(g, c.process);
    }
  }
  const groupOwner = new Map<number, string>();
  for (const d of devices) {
    if (d.kind !== 'edu') return no(`device ${d.name} is not an edu device`);
    const owner = deviceOwner.get(d.name) ?? `<none:${d.name}>`;
    const g = groupOwner.get(d.iommuGroup);
    if (g !== undefined && g !== owner) return no(`IOMMU group ${d.iommuGroup} used by two processes`);
    groupOwner.set(d.iommuGroup, owner);
  }
  const classOf: string[] = [];
  for (const t of s.threads) {
    const proc = t.process;
    if (proc === null) return no(`thread ${t.name} is a kernel thread`);
    for (const st of t.steps) {
      const c = st.args.container;
      if (st.after !== null) return no(`step ${st.op} of ${t.name} waits for another step`);
      if (c === undefined || c.kind !== 'ref' || c.field !== null || containerOwner.get(c.name) !== proc) return no(`${st.op} of ${t.name} on a container of another process`);
      if (st.op === 'VFIO_IOMMU_MAP_DMA') {
        const v = st.args.vaddr;
        if (v === undefined || v.kind !== 'ref' || v.field !== null || mappingOwner.get(v.name) !== proc) return no(`${st.op} of ${t.name}: vaddr is not one of its process's mappings`);
        if (!isInt(st.args.size, PAGE) || !isInt(st.args.iova)) return no(`${st.op} of ${t.name}: size is not one page`);
      } else if (st.op === 'VFIO_IOMMU_UNMAP_DMA') {
        if (!isInt(st.args.size) || !isInt(st.args.iova)) return no(`${st.op} of ${t.name}: iova or size not a number`);
      } else return no(`operation ${st.op}`);
    }
    classOf[t.index] = proc;
  }
  return { ok: true, classOf };
}

/** The per-step footprints of one run of a separable scenario. */
export class ClassFootprints {
  private reports: number;
  private warned: number;
  private readonly fps: (readonly string[])[];

  constructor(
    private readonly m: Machine,
    classOf: readonly string[],
    private readonly lastRan: () => number | null,
  ) {
    this.reports = m.reports.length;
    this.warned = m.warnedOnce.size;
    this.fps = classOf.map((c) => [`w:class:${c}`]);
  }

  /** The footprint of the step that just ran (see the file header). */
  next(): readonly string[] | null {
    const { m } = this;
    const guard = m.reports.length !== this.reports || m.warnedOnce.size !== this.warned;
    this.reports = m.reports.length;
    this.warned = m.warnedOnce.size;
    const t = this.lastRan();
    if (guard || t === null) return null;
    return this.fps[t] ?? null;
  }
}
