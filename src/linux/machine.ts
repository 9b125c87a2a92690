/**
 * Machine: the whole simulated system and the only mutable world.
 *
 * Every subsystem keeps its state in a field of the machine; ids come from the
 * machine's counters, so a run is a pure function of (scenario, profile, schedule).
 * Kernel assertions (BUG_ON, WARN_ON) and model limitations are recorded in
 * `reports`; object events for violation histories in `events` (model tracepoints).
 *
 * Subsystem state is added here by the files that own it (mm, fs, vfio, iommu,
 * io_uring); see docs/kernel-map.md.
 */
import type { ErrnoReason } from './errno_reason.js';
import type { Profile } from '../profiles/index.js';
import type { Sched, ThreadId, TraceValue } from '../sched/index.js';
import { MemMap } from './include/linux/mm_types.js';
import type { MemoryLayout, mm_struct } from './include/linux/mm_types.js';
import type { task_struct } from './include/linux/sched.js';
import type { address_space, inode, super_block } from './include/linux/fs.js';
import type { iommu_subsys } from './drivers/iommu/iommu.js';
import type { vfio_subsys } from './drivers/vfio/vfio.js';
import type { iommufd_subsys } from './drivers/iommu/iommufd/iommufd_private.js';
import type { io_uring_subsys } from './io_uring/io_uring.js';
import type { miscdevice } from './drivers/char/misc.js';

/** The layout a machine gets when none is given: 64 MiB DMA32 + 256 MiB Normal. */
export const DEFAULT_LAYOUT: MemoryLayout = { dma32: 64 * 1024 * 1024, normal: 256 * 1024 * 1024 };

/** Something the kernel itself would report, or the model cannot do. */
export interface KernelReport {
  /** warn: WARN_ON(_ONCE) fired; bug: BUG_ON/VM_BUG_ON fired; unsupported: a model limitation was hit. */
  readonly kind: 'warn' | 'bug' | 'unsupported';
  /** `mm/gup.c:get_user_pages_remote` */
  readonly site: string;
  readonly thread: ThreadId | null;
  readonly message: string;
  /**
   * What the report is about when an invariant depends on it (typed, so that no verdict
   * depends on the wording of a message): `refcount` (a page/folio reference or map count
   * went wrong: refcount-sane), `locked_vm` (the locked_vm accounting: locked-vm-accounting).
   */
  readonly about?: ReportTopic;
}

/** The subjects a kernel report can be typed with (KernelReport.about). */
export type ReportTopic = 'refcount' | 'locked_vm';

/** An event about a model object, for violation histories ("PAGE#3 pinned here by T0 in vaddr_get_pfn"). */
export interface ObjectEvent {
  readonly seq: number;
  readonly thread: ThreadId | null;
  /** What happened: `pin`, `unpin`, `migrate`, `map`, `unmap`, `free`, `dma-map`, `truncate-wait`, ... */
  readonly what: string;
  /** The objects concerned, e.g. `pfn:12`, `vma:3`, `mm:1`, `file:/mnt/f`. */
  readonly objects: readonly string[];
  /** The kernel function doing it (innermost modelled frame). */
  readonly fn: string;
  readonly data?: TraceValue;
}

/** Step atomicity of a machine: see Machine.atomicity. */
export type Atomicity = 'merged' | 'fine';

export class Machine {
  readonly reports: KernelReport[] = [];
  /** Why errnos were returned (errno_reason.ts): explanatory, never part of a fingerprint. */
  readonly errno_reasons: ErrnoReason[] = [];
  readonly events: ObjectEvent[] = [];
  private readonly counters = new Map<string, number>();
  /** Kernel WARN_ON_ONCE sites that already fired. */
  readonly warnedOnce = new Set<string>();
  /** The runtime, while threads run. */
  sched: Sched | null = null;
  /** mm/gup.ts: the patches its per-page paths test, read once per machine (opaque here). */
  gup_cfg: object | null = null;
  /** Fault injection (include/linux/fault_inject.ts): failure points become chooser choices. Off by default and during set-up. */
  fault_inject = false;
  /**
   * Record object events. Off, only uses of freed objects are recorded (the invariant
   * needs them), and the model may take its batched paths where a thread runs alone;
   * `runScenario` runs so and repeats a run with events on when a violation needs a history.
   */
  recordEvents = true;
  /**
   * Step atomicity (design.md principle 3). `merged`: the model's normal steps, which
   * merge work only where a held lock excludes every conflicting path. `fine`: the
   * reference mode, which also yields at every `fine_point` (kernel/sched.ts): before
   * each page the GUP walk reads, between a gup-fast read and its grab, between a failed
   * follow and its fault (docs/atomicity.md); an exploration in both modes must give the
   * same verdicts and outcomes (tests/soundness/).
   */
  atomicity: Atomicity = 'merged';
  /** drivers/iommu state (groups, domains), created on first use by drivers/iommu/iommu.ts. */
  iommu: iommu_subsys | null = null;
  /** drivers/vfio state (containers, groups, devices, type1 parameters), created on first use by drivers/vfio/vfio.ts. */
  vfio: vfio_subsys | null = null;
  /** drivers/iommu/iommufd state (contexts), created on first use by drivers/iommu/iommufd/main.ts. */
  iommufd: iommufd_subsys | null = null;
  /** drivers/char/misc.c: registered misc devices by minor (drivers/char/misc.ts). */
  readonly misc = new Map<number, miscdevice>();
  /** io_uring state (per-user accounting, the anon inode mount), created on first use by io_uring/io_uring.ts. */
  io_uring: io_uring_subsys | null = null;

  /** Physical memory: the mem_map (include/linux/mm_types.ts). */
  readonly mem: MemMap;
  /**
   * /sys/kernel/mm/transparent_hugepage/enabled for anonymous memory (mm/huge_memory.ts).
   * MODEL default 'madvise' (THP only in MADV_HUGEPAGE regions) so small scenarios stay
   * order 0.
   */
  transparent_hugepage: 'always' | 'madvise' | 'never' = 'madvise';
  /**
   * /sys/kernel/mm/transparent_hugepage/use_zero_page (TRANSPARENT_HUGEPAGE_USE_ZERO_PAGE_FLAG,
   * on by default in 5.4.1 .. 6.12.117): a read fault in a THP-eligible anonymous range maps
   * the huge zero folio instead of allocating one (mm/huge_memory.ts).
   */
  transparent_hugepage_use_zero_page = true;
  /** Free hugetlb folios (head pfns) of all hstates (mm/hugetlb.ts). */
  readonly hugetlb_free: number[] = [];
  /** Every task ever created, by pid (exited ones stay, marked). */
  readonly tasks = new Map<number, task_struct>();
  /** Live mms (removed when mmdrop frees them). */
  readonly mms = new Set<mm_struct>();
  /** Mounted file systems by mount point, and inodes by path (fs/*.ts). */
  readonly mounts = new Map<string, super_block>();
  readonly inodes = new Map<string, inode>();
  /** Every address_space by id (page->mapping of file pages names one), unlinked files included. */
  readonly mappings = new Map<number, address_space>();

  constructor(readonly profile: Profile, layout: MemoryLayout = DEFAULT_LAYOUT) {
    this.mem = new MemMap(layout);
  }

  /** The next id of a kind of object (1-based, per machine). */
  nextId(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  /**
   * MODEL: at most this many object events are kept (bounded memory for guest-scale
   * runs, whose every page is allocated, mapped and pinned); past it the older half is
   * dropped, except uses of freed objects (`stale-vma-use`, `use-after-free`), which
   * invariants read. `eventsDropped` counts what was dropped; histories say so.
   */
  eventLimit = 1 << 20;
  eventsDropped = 0;
  private eventSeq = 0;

  /** Record an object event (a model tracepoint). */
  event(thread: ThreadId | null, what: string, objects: readonly string[], fn: string, data?: TraceValue): void {
    // Uses of freed objects are always kept: the no-stale-vma-use invariant reads them.
    if (!this.recordEvents && what !== 'stale-vma-use' && what !== 'use-after-free') return;
    const seq = this.eventSeq++;
    const ev: ObjectEvent = data === undefined ? { seq, thread, what, objects, fn } : { seq, thread, what, objects, fn, data };
    if (this.events.length >= this.eventLimit) this.dropOldEvents();
    this.events.push(ev);
  }

  private dropOldEvents(): void {
    const half = this.events.length >> 1;
    const kept = this.events.slice(0, half).filter((e) => e.what === 'stale-vma-use' || e.what === 'use-after-free');
    this.eventsDropped += half - kept.length;
    const rest = this.events.slice(half);
    this.events.length = 0;
    for (const e of kept) this.events.push(e);
    for (const e of rest) this.events.push(e);
  }
}
