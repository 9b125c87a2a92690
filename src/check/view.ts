/**
 * The checker's own view of the world (issue 11 item 8): everything the invariants
 * read, computed from the Machine and the runtime — long-term pin holders (VFIO DMA
 * mappings and mdev pins, iommufd pinned pages, io_uring fixed buffers), the locked_vm each mm should carry,
 * the DMA mappings and the frames the processes see — so a library user can check
 * invariants on a machine they drove themselves, without a scenario.
 *
 * What the machine cannot know comes from the caller as `Holders`: pins its own GUP
 * calls took and still hold (a scenario's `pin_user_pages` results), the names of its
 * processes, and whether locked_vm carries charges the checker does not model.
 */
import type { Machine, ObjectEvent } from '../linux/machine.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import type { file } from '../linux/include/linux/fs.js';
import type { io_ring_ctx } from '../linux/io_uring/io_uring.js';
import { io_is_uring_fops } from '../linux/io_uring/io_uring.js';
import { VM_LOCKED } from '../linux/include/linux/mm.js';
import type { Sched } from '../sched/index.js';
import type { CheckWorld, DmaMapping, HeldPin, LongtermPin } from './invariants.js';
import type { OtherPins } from './engine.js';
import { forEachVfioHeld, vfioDmaMappings, vfioHeldPins, vfioLockedPages, vfioLongtermPins } from './vfio.js';
import { forEachIommufdPinned, iommufdDmaMappings, iommufdLockedPages, iommufdLongtermPins } from './iommufd.js';
import { pipeHeldRefs, pipeMappings, ringMappings } from './holders.js';

/** What the caller adds to the machine's own state. Every member is optional. */
export interface Holders {
  /** Pins and references the caller's own GUP calls hold (listed before VFIO's). */
  readonly held?: () => readonly (HeldPin & { readonly longterm: boolean; readonly thread: LongtermPin['thread'] })[];
  /** The processes to check, with the names reports use (default: every live task, `comm[pid]`). */
  readonly processes?: () => Iterable<readonly [string, task_struct]>;
  /** io_uring rings whose fixed buffers hold pins: (task, fd), in the order to list them (default: every ring fd of every task). */
  readonly rings?: () => Iterable<readonly [task_struct, number]>;
  /** Whether locked_vm carries charges the checker does not compute (io_uring buffers registered). */
  readonly untrackedLockedVm?: () => boolean;
}

/** The world as the invariants read it, from a machine and its runtime. */
export class MachineView implements CheckWorld, OtherPins {
  /** Stale-VMA uses seen so far (the event log only grows; each event is scanned once). */
  private readonly stale: ObjectEvent[] = [];
  /** Events with seq below this were scanned. */
  private scanned = 0;

  constructor(
    readonly m: Machine,
    readonly s: Sched,
    private readonly holders: Holders = {},
  ) {}

  staleUses(): readonly ObjectEvent[] {
    const evs = this.m.events;
    if (evs.length === 0 || evs[evs.length - 1].seq < this.scanned) return this.stale;
    // The first unscanned event (the machine may have dropped older ones: see Machine.eventLimit).
    let lo = 0;
    let hi = evs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (evs[mid].seq < this.scanned) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < evs.length; i++) {
      const ev = evs[i];
      if (ev.what === 'stale-vma-use' || ev.what === 'use-after-free') this.stale.push(ev);
    }
    this.scanned = evs[evs.length - 1].seq + 1;
    return this.stale;
  }

  /** Long-term pins of the caller's own GUP calls (before VFIO's in `longtermPins()`). */
  before(): readonly LongtermPin[] {
    const out: LongtermPin[] = [];
    for (const h of this.holders.held?.() ?? []) if (h.longterm) out.push({ pfn: h.pfn, holder: `T${h.thread} ${h.holder}`, thread: h.thread });
    return out;
  }

  /** Long-term pins of io_uring fixed buffers (after VFIO's and iommufd's in `longtermPins()`). */
  after(): readonly LongtermPin[] {
    return this.ringPins();
  }

  /**
   * The pins other than VFIO's, split where longtermPins() and heldPins() list VFIO's
   * (pinlab serve records these per step and rebuilds VFIO's from its IOMMU record).
   */
  nonVfioPins(): { longBefore: readonly LongtermPin[]; longAfter: readonly LongtermPin[]; heldBefore: readonly HeldPin[]; heldAfter: readonly HeldPin[] } {
    const after = [...iommufdLongtermPins(this.m), ...this.ringPins()];
    return {
      longBefore: this.before(),
      longAfter: after,
      heldBefore: (this.holders.held?.() ?? []).map((h) => ({ pfn: h.pfn, holder: h.holder, kind: h.kind })),
      heldAfter: [...after.map((p) => ({ pfn: p.pfn, holder: p.holder, kind: 'pin' as const })), ...pipeHeldRefs(this.m)],
    };
  }

  longtermPins(): LongtermPin[] {
    return [...this.before(), ...(this.m.vfio !== null ? vfioLongtermPins(this.m) : []), ...iommufdLongtermPins(this.m), ...this.ringPins()];
  }

  heldPins(): HeldPin[] {
    const own = (this.holders.held?.() ?? []).map((h) => ({ pfn: h.pfn, holder: h.holder, kind: h.kind }));
    const vfio = this.m.vfio !== null ? vfioHeldPins(this.m) : [];
    return [...own, ...vfio, ...[...iommufdLongtermPins(this.m), ...this.ringPins()].map((p) => ({ pfn: p.pfn, holder: p.holder, kind: 'pin' as const })), ...pipeHeldRefs(this.m)];
  }

  forEachHeld(visit: (pfn: number, kind: HeldPin['kind'], nr: number) => void): void {
    for (const h of this.holders.held?.() ?? []) visit(h.pfn, h.kind, 1);
    if (this.m.vfio !== null) forEachVfioHeld(this.m, (pfn, nr) => visit(pfn, 'pin', nr ?? 1));
    forEachIommufdPinned(this.m, (pfn) => visit(pfn, 'pin', 1));
    for (const p of this.ringPins()) visit(p.pfn, 'pin', 1);
    for (const p of pipeHeldRefs(this.m)) visit(p.pfn, p.kind, p.nr ?? 1);
  }

  expectedLockedVm(mmId: number): number | null {
    // MODEL: VFIO charges its pinned non-reserved pages, iommufd its IOPT_PAGES_ACCOUNT_MM pages, 5.9–5.11 io_uring rings
    // their own pages; mlock (VM_LOCKED: no expectation) and other charges are not computed here.
    for (const [, t] of this.processList()) {
      const mm = t.mm;
      if (mm === null || mm.id !== mmId) continue;
      if (mm.mmap.some((v) => (v.vm_flags & VM_LOCKED) !== 0)) return null;
    }
    if (this.holders.untrackedLockedVm?.() === true) return null;
    return (this.m.vfio !== null ? vfioLockedPages(this.m, mmId) : 0) + iommufdLockedPages(this.m, mmId) + this.ringLockedPages(mmId);
  }

  /** 5.9–5.11: io_uring rings charge their own pages to the creator's mm->locked_vm (ctx.mm_ring_acct). */
  private ringLockedPages(mmId: number): number {
    const seen = new Set<io_ring_ctx>();
    let n = 0;
    for (const [t, fd] of this.holders.rings?.() ?? allRings(this.m)) {
      const f = t.files?.fd[fd] ?? null;
      if (f === null || !io_is_uring_fops(f)) continue;
      const ctx = (f as file & { private_data?: unknown }).private_data as io_ring_ctx | null | undefined;
      if (ctx === null || ctx === undefined || seen.has(ctx)) continue;
      seen.add(ctx);
      if (ctx.mm_account !== null && ctx.mm_account.id === mmId) n += ctx.mm_ring_acct;
    }
    return n;
  }

  liveMms(): { name: string; mm: { id: number; locked_vm: number; dead?: boolean } }[] {
    return this.processList().filter(([, t]) => t.mm !== null && !t.exited).map(([name, t]) => ({ name, mm: t.mm as { id: number; locked_vm: number; dead?: boolean } }));
  }

  dmaMappings(): DmaMapping[] {
    return [...(this.m.vfio !== null ? vfioDmaMappings(this.m) : []), ...iommufdDmaMappings(this.m), ...this.afterMappings()];
  }

  /** Holder frames after VFIO's and iommufd's (io_uring registered buffer pages, then pipe buffers' pages). */
  afterMappings(): DmaMapping[] {
    return [...ringMappings(this.holders.rings?.() ?? allRings(this.m)), ...pipeMappings(this.m)];
  }

  private processList(): (readonly [string, task_struct])[] {
    if (this.holders.processes !== undefined) return [...this.holders.processes()];
    return [...this.m.tasks.values()].filter((t) => !t.exited).map((t) => [`${t.comm}[${t.pid}]`, t] as const);
  }

  /** Pages io_uring fixed buffers hold (one pin per bvec page), ring by ring. */
  private ringPins(): LongtermPin[] {
    const out: LongtermPin[] = [];
    // A ring reachable through several fds (fork copies the fd table) holds its pins once.
    const seen = new Set<io_ring_ctx>();
    for (const [t, fd] of this.holders.rings?.() ?? allRings(this.m)) {
      const f = t.files?.fd[fd] ?? null;
      if (f === null || !io_is_uring_fops(f)) continue;
      const ctx = (f as file & { private_data?: unknown }).private_data as io_ring_ctx | null | undefined;
      if (ctx === null || ctx === undefined || ctx.user_bufs === null || seen.has(ctx)) continue;
      seen.add(ctx);
      ctx.user_bufs.forEach((b, i) => {
        if (b === null) return;
        for (const pfn of b.bvec) out.push({ pfn, holder: `io_uring ring fd ${fd} buffer ${i}`, thread: null });
      });
    }
    return out;
  }
}

/** Every io_uring ring fd of every task, by pid and fd. */
export function allRings(m: Machine): (readonly [task_struct, number])[] {
  const out: (readonly [task_struct, number])[] = [];
  for (const t of m.tasks.values()) {
    const fds = t.files?.fd ?? [];
    for (let fd = 0; fd < fds.length; fd++) {
      const f = fds[fd];
      if (f !== null && io_is_uring_fops(f)) out.push([t, fd]);
    }
  }
  return out;
}
