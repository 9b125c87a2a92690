/**
 * The step record of a `pinlab serve` run (issue 17: responsive on a 16 GiB guest).
 *
 * Kernel threads are generators, which cannot be copied, so a world cannot be saved at
 * step K and resumed from there. Instead the session's one run (src/serve/session.ts)
 * is watched step by step (RunOptions.watch) and this record keeps what the state views
 * read, as a base copy taken before the first step plus what each step changed, read
 * from the machine's journals (the ones the incremental checker reads, src/check/engine.ts):
 *
 * - the folio table: the slot columns at step 0, then per step the new values of every
 *   slot the step resolved (MemMap.touched);
 * - each process page table and each IOMMU domain: a copy at first sight, then per step
 *   a copy of every 2 MiB block / 1 GiB entry the step wrote (page_table.log, iommu_domain.log);
 * - per step, the small parts: threads (kernel function stacks kept up to date from the
 *   trace), processes and their VMAs, zones, results, the number of kernel reports, the
 *   VFIO DMA mappings (container, domain, range, process side, mdev pins), the pins held
 *   by holders other than VFIO (GUP results, iommufd, io_uring, pipes), the object event count.
 *
 * The state after step N is rebuilt from these (Snapshot.of) without running anything:
 * slot columns = base + changes up to N (continued from the last rebuilt step when N is
 * later), page tables and IOMMU blocks = the latest copy at or before N, VFIO's pins
 * from the IOMMU blocks, as check/vfio.ts lists them. tests/unit/serve/timeline.test.ts
 * holds the rebuilt state equal to the state of a straight replay, step by step.
 *
 * What it cannot follow makes it give up (the session then replays; `disabled` says why):
 * a checker world that is not a MachineView, memory regions that change during the run
 * (hotplug), more change records than MAX_RECORDS.
 */
import type { World } from '../scenario/run.js';
import type { Scenario } from '../scenario/ast.js';
import type { Machine } from '../linux/machine.js';
import type { pmd_t, pte_table, pud_t } from '../linux/include/linux/mm_types.js';
import { PAGE_SIZE, PG_reserved, forEachTouched, page_table_journal_start } from '../linux/include/linux/mm_types.js';
import type { iommu_domain } from '../linux/drivers/iommu/iommu.js';
import { walkDmaPages } from '../report/dma-walk.js';
import { allIommus, firstDomain, forEachDmaSegment, vfioHolder } from '../check/vfio.js';
import { MachineView } from '../check/view.js';
import type { HeldPin, LongtermPin } from '../check/invariants.js';
import { HolderIndex, folioTableWithSlots } from '../report/frame-index.js';
import type { FolioTable, SlotColumns } from '../report/frame-index.js';
import type { DmaView, PageTables, ProcessHead, VmaDesc } from '../report/state-json.js';
import { LIMITS, Snapshot, iommuStateOf, processHead, resultsJson, sinceFrom, threadStates, traceStacks, vmaDesc, vmaState, zoneStates } from '../report/state-json.js';
import type { FrameEvent, MachineState, ThreadState, VmaState, ZoneState } from '../report/state-types.js';
import { STATE_SCHEMA_VERSION } from '../report/state-types.js';
import type { Json } from '../report/trace-json.js';

/** Change records kept at most (slot changes + block copies); beyond it the record gives up. */
export const MAX_RECORDS = 64 * 1024 * 1024;

/** Growable typed columns of slot changes. */
class SlotLog {
  n = 0;
  step = new Int32Array(1024);
  slot = new Int32Array(1024);
  pfn = new Float64Array(1024);
  order = new Uint8Array(1024);
  ref = new Int32Array(1024);
  map = new Int32Array(1024);
  ptemaps = new Int32Array(1024);
  pin = new Int32Array(1024);
  flags = new Int32Array(1024);
  content = new Int32Array(1024);

  push(step: number, s: number, c: SlotColumns): void {
    if (this.n === this.step.length) this.grow();
    const i = this.n++;
    this.step[i] = step;
    this.slot[i] = s;
    this.pfn[i] = c.s_pfn[s];
    this.order[i] = c.s_order[s];
    this.ref[i] = c.s_ref[s];
    this.map[i] = c.s_map[s];
    this.ptemaps[i] = c.s_ptemaps[s];
    this.pin[i] = c.s_pin[s];
    this.flags[i] = c.s_flags[s];
    this.content[i] = c.s_content[s];
  }

  private grow(): void {
    const len = this.step.length * 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, mk: (n: number) => T): T => {
      const b = mk(len);
      b.set(a);
      return b;
    };
    this.step = g(this.step, (k) => new Int32Array(k));
    this.slot = g(this.slot, (k) => new Int32Array(k));
    this.pfn = g(this.pfn, (k) => new Float64Array(k));
    this.order = g(this.order, (k) => new Uint8Array(k));
    this.ref = g(this.ref, (k) => new Int32Array(k));
    this.map = g(this.map, (k) => new Int32Array(k));
    this.ptemaps = g(this.ptemaps, (k) => new Int32Array(k));
    this.pin = g(this.pin, (k) => new Int32Array(k));
    this.flags = g(this.flags, (k) => new Int32Array(k));
    this.content = g(this.content, (k) => new Int32Array(k));
  }

  bytes(): number {
    return this.step.length * (4 * 8 + 8 + 1);
  }
}

/** Slot columns (a copy). */
interface Cols {
  s_pfn: Float64Array;
  s_order: Uint8Array;
  s_ref: Int32Array;
  s_map: Int32Array;
  s_ptemaps: Int32Array;
  s_pin: Int32Array;
  s_flags: Int32Array;
  s_content: Int32Array;
}

function copyCols(c: SlotColumns, top: number, size: number): Cols {
  const f64 = (a: ArrayLike<number>): Float64Array => {
    const b = new Float64Array(size);
    for (let i = 0; i < top; i++) b[i] = a[i];
    return b;
  };
  const i32 = (a: ArrayLike<number>): Int32Array => {
    const b = new Int32Array(size);
    if (a instanceof Int32Array) b.set(a.subarray(0, top));
    else for (let i = 0; i < top; i++) b[i] = a[i];
    return b;
  };
  const order = new Uint8Array(size);
  if (c.s_order instanceof Uint8Array) order.set(c.s_order.subarray(0, top));
  else for (let i = 0; i < top; i++) order[i] = c.s_order[i];
  const pfn = c.s_pfn instanceof Float64Array ? (() => {
    const b = new Float64Array(size);
    b.set((c.s_pfn as Float64Array).subarray(0, top));
    return b;
  })() : f64(c.s_pfn);
  return { s_pfn: pfn, s_order: order, s_ref: i32(c.s_ref), s_map: i32(c.s_map), s_ptemaps: i32(c.s_ptemaps), s_pin: i32(c.s_pin), s_flags: i32(c.s_flags), s_content: i32(c.s_content) };
}

/** Values of one key over the run: `steps` ascending, `vals[i]` from the end of step `steps[i]` on. */
interface KeyLog<V> {
  steps: number[];
  vals: V[];
}

/** `base` with every key's latest logged value at or before `step` applied (undefined: the key was removed). */
function mapAt<K, V>(base: ReadonlyMap<K, V>, log: ReadonlyMap<K, KeyLog<V | undefined>>, step: number): Map<K, V> {
  const out = new Map(base);
  for (const [k, l] of log) {
    const x = latest(l, step);
    if (x === null) continue;
    if (x.v === undefined) out.delete(k);
    else out.set(k, x.v);
  }
  return out;
}

function latest<V>(l: KeyLog<V>, step: number): { v: V } | null {
  let lo = 0;
  let hi = l.steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (l.steps[mid] <= step) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? null : { v: l.vals[lo - 1] };
}

function logKey<V>(m: Map<number, KeyLog<V>>, key: number, step: number, v: V): void {
  let l = m.get(key);
  if (l === undefined) m.set(key, (l = { steps: [], vals: [] }));
  if (l.steps.length > 0 && l.steps[l.steps.length - 1] === step) l.vals[l.vals.length - 1] = v;
  else {
    l.steps.push(step);
    l.vals.push(v);
  }
}

/** A PMD entry copied (a PTE table's entries are copied; the live table changes on). */
function copyPmd(e: pmd_t | pte_table | undefined): pmd_t | pte_table | undefined {
  return e === undefined || typeof e === 'number' ? e : { pte: e.pte.slice(), count: e.count };
}

/** One process page table: a copy at first sight (after step `from`), then per-key copies. */
interface PtLog {
  readonly from: number;
  readonly pud: Map<number, pud_t>;
  readonly pmd: Map<number, pmd_t | pte_table>;
  readonly pudLog: Map<number, KeyLog<pud_t | undefined>>;
  readonly pmdLog: Map<number, KeyLog<pmd_t | pte_table | undefined>>;
  /** Steps that wrote the page table, ascending. */
  readonly changed: number[];
  readonly live: { readonly log: number[] | null; readonly pud: Map<number, pud_t>; readonly pmd: Map<number, pmd_t | pte_table> };
}

type IoPte = { readonly e: Float64Array; count: number };
type IoPmd = number | IoPte | undefined;
type IoPud = number | { readonly e: IoPmd[]; count: number };

/** One IOMMU domain: its 1 GiB level (a leaf, a table, or nothing) and its 2 MiB entries, as PtLog. */
interface DomLog {
  readonly from: number;
  readonly pud: Map<number, number | 'table'>;
  readonly pmd: Map<number, IoPmd>;
  readonly pudLog: Map<number, KeyLog<number | 'table' | undefined>>;
  readonly pmdLog: Map<number, KeyLog<IoPmd>>;
  readonly live: iommu_domain;
}

function copyIoPmd(e: IoPmd): IoPmd {
  return e === undefined || typeof e === 'number' ? e : { e: e.e.slice(), count: e.count };
}

/** A VFIO DMA mapping at one step. */
interface DmaFacts {
  readonly io: number;
  readonly dom: number | null;
  readonly iova: bigint;
  readonly vaddr: bigint;
  readonly size: bigint;
  readonly pid: number;
  readonly mapped: boolean;
  /** The mm of the process side (null: exited, no mm, vaddr invalidated). */
  readonly mm: number | null;
  /** mdev pins: (pfn, page offset) in pfn_list order. */
  readonly mdev: readonly (readonly [number, number])[];
}

interface OtherPins {
  readonly longBefore: readonly LongtermPin[];
  readonly longAfter: readonly LongtermPin[];
  readonly heldBefore: readonly HeldPin[];
  readonly heldAfter: readonly HeldPin[];
}

/** What one step leaves of the small parts (objects shared with the previous step when unchanged). */
interface StepHead {
  readonly ran: MachineState['ran'];
  readonly threads: readonly ThreadState[];
  readonly processes: readonly { readonly head: ProcessHead; readonly vmas: readonly VmaDesc[] }[];
  readonly zones: readonly ZoneState[];
  readonly results: Record<string, Json>;
  readonly reports: number;
  readonly dmas: readonly DmaFacts[];
  readonly other: OtherPins;
  readonly events: number;
}

/** Per-snapshot inputs the record does not keep. */
export interface RebuildContext {
  readonly scenario: Scenario;
  readonly schedule: string;
  readonly violated: readonly string[];
}

export class Timeline {
  /** Why the record gave up (the session replays instead), or null. */
  disabled: string | null = null;
  private w: World | null = null;
  private stacks = new Map<number, string[]>();
  private traced = 0;
  private base: Cols | null = null;
  private baseTop = 0;
  private maxTop = 0;
  private readonly slots = new SlotLog();
  /** stepStart[s]: the first slot record of step s (s ≥ 1). */
  private stepStart: number[] = [0, 0];
  private readonly pts = new Map<number, PtLog>();
  private readonly doms = new Map<number, DomLog>();
  private heads: StepHead[] = [];
  private regions = '';
  private records = 0;
  private resultsRef: unknown[] = [];
  /** The last rebuilt slot columns (requests often go forward from there). */
  private cache: { step: number; cols: Cols } | null = null;

  constructor(private readonly scenario: Scenario) {}

  get steps(): number {
    return this.heads.length - 1;
  }

  /** RunWatch.start: the world is built; nothing has run. Called again if the run is made again. */
  start(w: World): void {
    this.w = w;
    this.disabled = w.checker.world instanceof MachineView ? null : 'the checker world is not a MachineView';
    const mem = w.m.mem;
    this.stacks = new Map();
    this.traced = 0;
    this.baseTop = this.maxTop = mem.slot_top;
    this.base = copyCols(mem, mem.slot_top, mem.slot_top);
    this.slots.n = 0;
    this.stepStart = [0, 0];
    this.pts.clear();
    this.doms.clear();
    this.heads = [];
    this.records = 0;
    this.cache = null;
    this.regions = regionsKey(w.m);
    if (mem.touched === null) mem.journal_start();
    this.heads.push(this.head(w, 0, null));
  }

  /** RunWatch.step: after a step, before the checker reads (and maybe empties) the journals. */
  step(w: World): void {
    if (this.disabled !== null) return;
    const step = w.sched.stepCount;
    if (step !== this.heads.length) {
      this.disabled = `step ${step} followed step ${this.heads.length - 1}`;
      return;
    }
    const mem = w.m.mem;
    const touched = mem.touched ?? [];
    const seen = new Set<number>();
    forEachTouched(touched, (s) => {
      if (s <= 0 || s >= mem.slot_top || seen.has(s)) return;
      seen.add(s);
      this.slots.push(step, s, mem);
    });
    this.maxTop = Math.max(this.maxTop, mem.slot_top);
    while (this.stepStart.length <= step) this.stepStart.push(this.slots.n);
    this.stepStart[step + 1] = this.slots.n;
    for (const pt of this.pts.values()) this.readPt(pt, step);
    for (const d of this.doms.values()) this.readDom(d, step);
    // The incremental checker empties the journals after reading them; without it they are this record's to empty.
    if (!w.checker.incremental) {
      mem.journal_clear();
      for (const pt of this.pts.values()) if (pt.live.log !== null) pt.live.log.length = 0;
      for (const d of this.doms.values()) if (d.live.log !== null) d.live.log.length = 0;
    }
    this.records += seen.size;
    this.heads[step] = this.head(w, step, this.heads[step - 1] ?? null);
    if (this.records > MAX_RECORDS) this.disabled = `more than ${MAX_RECORDS} change records`;
  }

  /** After the run: the record answers for steps 0..steps (or gives up). */
  finish(steps: number): void {
    const w = this.w;
    if (this.disabled !== null) return;
    if (w === null) this.disabled = 'the run did not start';
    else if (this.steps !== steps) this.disabled = `recorded ${this.steps} steps, the run reports ${steps}`;
    else if (regionsKey(w.m) !== this.regions) this.disabled = 'the memory regions changed during the run (hotplug)';
    while (this.stepStart.length <= steps + 1) this.stepStart.push(this.slots.n);
  }

  /** Bytes held by the record's copies and change columns (an estimate: typed arrays exactly, copied tables by entry count). */
  bytes(): number {
    let n = this.slots.bytes() + (this.base === null ? 0 : this.base.s_pfn.length * 41);
    const tableBytes = (v: unknown): number => (v !== null && typeof v === 'object' && 'pte' in v ? 4096 : v !== null && typeof v === 'object' && 'e' in v ? 4096 : 8);
    for (const pt of this.pts.values()) {
      for (const v of pt.pmd.values()) n += tableBytes(v);
      for (const l of pt.pmdLog.values()) for (const v of l.vals) n += tableBytes(v) + 8;
    }
    for (const d of this.doms.values()) {
      for (const v of d.pmd.values()) n += tableBytes(v);
      for (const l of d.pmdLog.values()) for (const v of l.vals) n += tableBytes(v) + 8;
    }
    return n;
  }

  private head(w: World, step: number, prev: StepHead | null): StepHead {
    const { m, rs, sched } = w;
    if (sched.trace !== null) {
      traceStacks(sched.trace, this.traced, this.stacks);
      this.traced = sched.trace.length;
    }
    const processes = [...rs.processes.entries()].filter(([name]) => !name.startsWith('kthread:')).map(([name, t]) => {
      const head = processHead(name, t);
      if (t.mm !== null) this.ptOf(t.mm.id, t.mm.pgd, step);
      return { head, vmas: t.mm === null ? [] : t.mm.mmap.map(vmaDesc) };
    });
    const dmas: DmaFacts[] = [];
    for (const io of allIommus(m)) {
      const dom = firstDomain(io);
      if (dom !== null) this.domOf(dom, step);
      for (const dma of io.dma_list) {
        const t = dma.task;
        const mm = t.exited || t.mm === null || dma.vaddr_invalid ? null : t.mm;
        if (mm !== null) this.ptOf(mm.id, mm.pgd, step);
        dmas.push({ io: io.id, dom: dom?.id ?? null, iova: dma.iova, vaddr: dma.vaddr, size: dma.size, pid: t.pid, mapped: dma.iommu_mapped, mm: mm?.id ?? null, mdev: [...dma.pfn_list.values()].map((p) => [p.pfn, p.off] as const) });
      }
    }
    const other = (w.checker.world as MachineView).nonVfioPins();
    const resultsRef = [...rs.results.values()];
    const sameResults = prev !== null && resultsRef.length === this.resultsRef.length && resultsRef.every((v, i) => v === this.resultsRef[i]);
    this.resultsRef = resultsRef;
    const same = <T>(a: T, b: T | undefined): T => (b !== undefined && JSON.stringify(a, big) === JSON.stringify(b, big) ? b : a);
    return {
      ran: sched.lastRan,
      threads: threadStates(w, this.scenario, this.stacks),
      processes: same(processes, prev?.processes as typeof processes | undefined),
      zones: same(zoneStates(m), prev?.zones as ZoneState[] | undefined),
      results: sameResults && prev !== null ? prev.results : resultsJson(w),
      reports: m.reports.length,
      dmas: same(dmas, prev?.dmas as DmaFacts[] | undefined),
      other: prev !== null && sameOther(other, prev.other) ? prev.other : other,
      events: m.events.length,
    };
  }

  private ptOf(id: number, pgd: PtLog['live'] & Parameters<typeof page_table_journal_start>[0], step: number): void {
    if (this.pts.has(id)) return;
    page_table_journal_start(pgd);
    const pmd = new Map<number, pmd_t | pte_table>();
    for (const [k, v] of pgd.pmd) pmd.set(k, copyPmd(v) as pmd_t | pte_table);
    this.pts.set(id, { from: step, pud: new Map(pgd.pud), pmd, pudLog: new Map(), pmdLog: new Map(), changed: [], live: pgd });
  }

  private readPt(pt: PtLog, step: number): void {
    const log = pt.live.log;
    if (log === null || log.length === 0) return;
    if (pt.changed[pt.changed.length - 1] !== step) pt.changed.push(step);
    for (const key of new Set(log)) {
      if (key < 0) logKey(pt.pudLog, -key - 1, step, pt.live.pud.get(-key - 1));
      else {
        logKey(pt.pmdLog, key, step, copyPmd(pt.live.pmd.get(key)));
        this.records++;
      }
    }
  }

  private domOf(dom: iommu_domain, step: number): void {
    if (this.doms.has(dom.id)) return;
    if (dom.log === null) dom.log = [];
    const pud = new Map<number, number | 'table'>();
    const pmd = new Map<number, IoPmd>();
    for (const [g, v] of dom.pud as Map<number, IoPud>) {
      if (typeof v === 'number') pud.set(g, v);
      else {
        pud.set(g, 'table');
        v.e.forEach((e, i) => {
          if (e !== undefined) pmd.set(g * 512 + i, copyIoPmd(e));
        });
      }
    }
    this.doms.set(dom.id, { from: step, pud, pmd, pudLog: new Map(), pmdLog: new Map(), live: dom });
  }

  private readDom(d: DomLog, step: number): void {
    const log = d.live.log;
    if (log === null || log.length === 0) return;
    const pudOf = (g: number): number | 'table' | undefined => {
      const v = (d.live.pud as Map<number, IoPud>).get(g);
      return v === undefined ? undefined : typeof v === 'number' ? v : 'table';
    };
    for (const key of new Set(log)) {
      const g = key < 0 ? -key - 1 : Math.floor(key / 512);
      logKey(d.pudLog, g, step, pudOf(g));
      if (key >= 0) {
        const v = (d.live.pud as Map<number, IoPud>).get(g);
        logKey(d.pmdLog, key, step, v === undefined || typeof v === 'number' ? undefined : copyIoPmd(v.e[key % 512]));
        this.records++;
      }
    }
  }

  /** Object events by frame (indexes into the machine's events, one per mention), built when first asked. */
  private byFrame: Map<number, number[]> | null = null;
  /** The object event count after each step (for the step of an event). */
  private ends: number[] | null = null;
  private firstFrameSeq = Infinity;

  private frameEvents(): Map<number, number[]> {
    if (this.byFrame !== null) return this.byFrame;
    const evs = (this.w as World).m.events;
    const by = new Map<number, number[]>();
    evs.forEach((ev, i) => {
      for (const o of ev.objects) {
        if (!o.startsWith('pfn:')) continue;
        const pfn = Number(o.slice(4));
        const l = by.get(pfn);
        if (l === undefined) by.set(pfn, [i]);
        else l.push(i);
        this.firstFrameSeq = Math.min(this.firstFrameSeq, ev.seq);
      }
    });
    return (this.byFrame = by);
  }

  /** The seq of the first object event on a frame (Infinity: none). */
  private firstFrameEvent(): number {
    this.frameEvents();
    return this.firstFrameSeq;
  }

  /** A frame's latest object events (state-json.ts frameHistory) with seq below `end`. */
  private historyOf(pfn: number, end: number): FrameEvent[] | undefined {
    const l = this.frameEvents().get(pfn);
    if (l === undefined) return undefined;
    const evs = (this.w as World).m.events;
    let k = 0;
    while (k < l.length && evs[l[k]].seq < end) k++;
    if (k === 0) return undefined;
    const ends = (this.ends ??= this.heads.map((x) => x.events));
    const stepOf = (seq: number): number => {
      let lo = 0;
      let hi = ends.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ends[mid] > seq) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    return l.slice(Math.max(0, k - LIMITS.history), k).map((i) => {
      const ev = evs[i];
      return { seq: ev.seq, step: stepOf(ev.seq), thread: ev.thread, what: ev.what, fn: ev.fn };
    });
  }

  /** Rendered VMAs by mm and VMA, with the step they were rendered at (valid while the page table did not change). */
  private readonly vmaCache = new Map<string, { step: number; v: VmaState }>();

  /** A VMA's state (PTE runs) after `step`: rendered again only when its page table changed since the cached step. */
  private vmaAt(mm: number, v: VmaDesc, step: number, tables: () => PageTables): VmaState {
    const key = `${mm}:${v.id}:${v.vm_start}:${v.vm_end}:${v.vm_flags}:${v.file ?? ''}:${v.vm_pgoff}:${v.ops ?? ''}`;
    const c = this.vmaCache.get(key);
    const changed = this.pts.get(mm)?.changed ?? [];
    if (c !== undefined && !changedBetween(changed, Math.min(c.step, step), Math.max(c.step, step))) return c.v;
    const out = vmaState(tables(), v, null);
    this.vmaCache.set(key, { step, v: out });
    return out;
  }

  /** The page tables of mm `id` after step `step`, or null when the record never saw it. */
  private pgdAt(id: number, step: number): PageTables | null {
    const pt = this.pts.get(id);
    if (pt === undefined) return null;
    const pud = mapAt(pt.pud, pt.pudLog, step);
    const pmd = mapAt(pt.pmd, pt.pmdLog, step);
    return { pud, pmd } as unknown as PageTables;
  }

  /** IOMMU domain `id` after step `step` (the levels iommu_lookup_leaf reads), or null. */
  private domAt(id: number, step: number): Pick<iommu_domain, 'pud'> | null {
    const d = this.doms.get(id);
    if (d === undefined) return null;
    const level = mapAt(d.pud, d.pudLog, step);
    const entries = mapAt(d.pmd, d.pmdLog, step);
    const pud = new Map<number, IoPud>();
    for (const [g, v] of level) if (v !== 'table') pud.set(g, v);
    else pud.set(g, { e: new Array<IoPmd>(512), count: 0 });
    for (const [k, v] of entries) {
      const t = pud.get(Math.floor(k / 512));
      if (t !== undefined && typeof t !== 'number') {
        t.e[k % 512] = v;
        t.count++;
      }
    }
    return { pud } as unknown as Pick<iommu_domain, 'pud'>;
  }

  /** The slot columns after step `step`. */
  private colsAt(step: number): Cols {
    const base = this.base as Cols;
    let from = 0;
    let cols: Cols;
    if (this.cache !== null && this.cache.step > step && this.back(this.cache.cols, this.cache.step, step)) {
      this.cache = { step, cols: this.cache.cols };
      return this.cache.cols;
    }
    if (this.cache !== null && this.cache.step <= step) {
      cols = this.cache.cols;
      from = this.stepStart[this.cache.step + 1] ?? this.slots.n;
    } else cols = copyCols(base, this.baseTop, this.maxTop);
    const to = this.stepStart[step + 1] ?? this.slots.n;
    const l = this.slots;
    for (let i = from; i < to; i++) {
      const s = l.slot[i];
      cols.s_pfn[s] = l.pfn[i];
      cols.s_order[s] = l.order[i];
      cols.s_ref[s] = l.ref[i];
      cols.s_map[s] = l.map[i];
      cols.s_ptemaps[s] = l.ptemaps[i];
      cols.s_pin[s] = l.pin[i];
      cols.s_flags[s] = l.flags[i];
      cols.s_content[s] = l.content[i];
    }
    this.cache = { step, cols };
    return cols;
  }

  /** The folio table last built, its step, and each slot's row in it (-1: not in use). */
  private folios: { step: number; t: FolioTable; slots: Int32Array; rowOf: Int32Array } | null = null;

  /**
   * The folio table after `step`: the last one built with the rows of the slots changed
   * in between updated, when those slots kept their frame and order (only counters and
   * flags changed); built again from the slot columns otherwise.
   */
  private foliosAt(step: number): FolioTable {
    const cols = this.colsAt(step);
    const last = this.folios;
    if (last !== null) {
      const changed = this.changedSlots(Math.min(last.step, step), Math.max(last.step, step));
      if (changed.length <= last.t.n / 4) {
        const t = last.t;
        let inPlace = true;
        for (let k = 0; k < changed.length && inPlace; k++) {
          const s = changed[k];
          const row = s < last.rowOf.length ? last.rowOf[s] : -1;
          const present = cols.s_ref[s] !== 0 || cols.s_flags[s] !== 0;
          inPlace = row >= 0 ? present && t.pfn[row] === cols.s_pfn[s] && t.order[row] === cols.s_order[s] : !present;
        }
        if (inPlace) {
          const u: FolioTable = {
            n: t.n, pfn: t.pfn, order: t.order, ref: t.ref.slice(), map: t.map.slice(), ptemaps: t.ptemaps.slice(), pin: t.pin.slice(),
            flags: t.flags.slice(), content: t.content.slice(),
          };
          for (let k = 0; k < changed.length; k++) {
            const s = changed[k];
            const row = s < last.rowOf.length ? last.rowOf[s] : -1;
            if (row < 0) continue;
            u.ref[row] = cols.s_ref[s];
            u.map[row] = cols.s_map[s];
            u.ptemaps[row] = cols.s_ptemaps[s];
            u.pin[row] = cols.s_pin[s];
            u.flags[row] = cols.s_flags[s];
            u.content[row] = cols.s_content[s];
          }
          this.folios = { ...last, step, t: u };
          return u;
        }
      }
    }
    const { table, slots } = folioTableWithSlots(cols, this.maxTop);
    const rowOf = new Int32Array(this.maxTop).fill(-1);
    for (let i = 0; i < slots.length; i++) rowOf[slots[i]] = i;
    this.folios = { step, t: table, slots, rowOf };
    return table;
  }

  /**
   * Take `cols` from step `at` back to an earlier `step`: each slot changed in (step, at]
   * gets its latest record at or before `step` (a scan back through the records), or its
   * base value. False (nothing done) when that many slots changed that a rebuild is cheaper.
   */
  private back(cols: Cols, at: number, step: number): boolean {
    const l = this.slots;
    const lo = this.stepStart[step + 1] ?? l.n;
    const hi = this.stepStart[at + 1] ?? l.n;
    if (hi - lo > this.maxTop / 8) return false;
    const need = new Set<number>();
    for (let i = lo; i < hi; i++) need.add(l.slot[i]);
    for (let i = lo - 1; i >= 0 && need.size > 0; i--) {
      const s = l.slot[i];
      if (!need.has(s)) continue;
      need.delete(s);
      cols.s_pfn[s] = l.pfn[i];
      cols.s_order[s] = l.order[i];
      cols.s_ref[s] = l.ref[i];
      cols.s_map[s] = l.map[i];
      cols.s_ptemaps[s] = l.ptemaps[i];
      cols.s_pin[s] = l.pin[i];
      cols.s_flags[s] = l.flags[i];
      cols.s_content[s] = l.content[i];
    }
    const base = this.base as Cols;
    for (const s of need) {
      const inBase = s < this.baseTop;
      cols.s_pfn[s] = inBase ? base.s_pfn[s] : 0;
      cols.s_order[s] = inBase ? base.s_order[s] : 0;
      cols.s_ref[s] = inBase ? base.s_ref[s] : 0;
      cols.s_map[s] = inBase ? base.s_map[s] : 0;
      cols.s_ptemaps[s] = inBase ? base.s_ptemaps[s] : 0;
      cols.s_pin[s] = inBase ? base.s_pin[s] : 0;
      cols.s_flags[s] = inBase ? base.s_flags[s] : 0;
      cols.s_content[s] = inBase ? base.s_content[s] : 0;
    }
    return true;
  }

  /** Slots whose record changed in steps (from, to]. */
  changedSlots(from: number, to: number): Int32Array {
    const a = this.stepStart[from + 1] ?? this.slots.n;
    const b = this.stepStart[to + 1] ?? this.slots.n;
    return this.slots.slot.slice(a, b);
  }

  /** The state after step `step`, rebuilt from the record. */
  snapshot(step: number, ctx: RebuildContext): Snapshot {
    const w = this.w;
    if (w === null || this.disabled !== null) throw new Error(`pinlab bug: a snapshot asked of a step record that is off (${this.disabled ?? 'never started'})`);
    const h = this.heads[step];
    const m = w.m;
    const folios = this.foliosAt(step);
    const pgds = new Map<number, PageTables | null>();
    const pgd = (id: number): PageTables | null => {
      if (!pgds.has(id)) pgds.set(id, this.pgdAt(id, step));
      return pgds.get(id) ?? null;
    };
    const processes = h.processes.map(({ head, vmas }) => {
      const mm = head.mm;
      return { ...head, mm: mm === null ? null : { ...mm, vmas: vmas.map((v) => this.vmaAt(mm.id, v, step, () => pgd(mm.id) as PageTables)) } };
    });
    let mappedSet: Set<number> | null = null;
    const mappedAt = (): Set<number> => {
      if (mappedSet !== null) return mappedSet;
      const set = new Set<number>();
      for (const { head: ph, vmas } of h.processes) if (ph.mm !== null) for (const v of vmas) vmaState(pgd(ph.mm.id) as PageTables, v, set);
      return (mappedSet = set);
    };
    const doms = new Map<number, Pick<iommu_domain, 'pud'> | null>();
    const domAt = (id: number | null): Pick<iommu_domain, 'pud'> | null => {
      if (id === null) return null;
      if (!doms.has(id)) doms.set(id, this.domAt(id, step));
      return doms.get(id) ?? null;
    };
    const views: DmaView[] = h.dmas.map((d) => ({ container: d.io, dom: domAt(d.dom), iova: d.iova, vaddr: d.vaddr, size: d.size, pid: d.pid, mapped: d.mapped, process: d.mm === null ? null : pgd(d.mm) }));
    const history = (pfn: number): FrameEvent[] | undefined => this.historyOf(pfn, h.events);
    const holders = new HolderIndex(sinceFrom(history));
    const histories = this.firstFrameEvent() < h.events;
    // isInvalidReservedPfn at this step: no struct page (a hole, a BAR), or PG_reserved on the folio now.
    const reservedFolios: number[] = [];
    for (let i = 0; i < folios.n; i++) if ((folios.flags[i] & PG_reserved) !== 0) reservedFolios.push(folios.pfn[i], folios.pfn[i] + 2 ** folios.order[i]);
    const reserved = (pfn: number): boolean => {
      const r = m.mem.region_of(pfn);
      if (r === null || r.kind === 'bar') return true;
      for (let k = 0; k < reservedFolios.length; k += 2) if (pfn >= reservedFolios[k] && pfn < reservedFolios[k + 1]) return true;
      return false;
    };
    // VFIO's long-term pins (check/vfio.ts vfioLongtermPins): each mapped, non-reserved page, as runs of frames.
    for (const p of h.other.longBefore) holders.longterm(p.pfn, p.holder);
    const withReserved = new Set<number>();
    h.dmas.forEach((d, k) => {
      const dom = views[k].dom;
      if (dom !== null && d.mapped) {
        const iova0 = Number(d.iova);
        const name = (iova: number): string => vfioHolder({ id: d.io } as never, iova);
        let run: { pfn: number; i: number; n: number } | null = null;
        const flush = (): void => {
          if (run === null) return;
          const r = run;
          holders.longtermRange(r.pfn, r.n, `vfio:${d.io}:${iova0 + (r.i - r.pfn) * PAGE_SIZE}`, (off) => name(iova0 + (r.i + off) * PAGE_SIZE));
          run = null;
        };
        let lastRegion: { lo: number; hi: number } | null = null;
        walkDmaPages(dom, iova0, 0, Number(d.size / BigInt(PAGE_SIZE)), null, (i, pfn) => {
          // The region check per page only when the page leaves the last RAM region seen.
          let res: boolean;
          if (lastRegion !== null && pfn >= lastRegion.lo && pfn < lastRegion.hi && reservedFolios.length === 0) res = false;
          else {
            res = reserved(pfn);
            const r = m.mem.region_of(pfn);
            lastRegion = r !== null && r.kind !== 'bar' ? { lo: r.start_pfn, hi: r.end_pfn } : null;
          }
          if (res) {
            withReserved.add(k);
            flush();
            return;
          }
          const c = run as { pfn: number; i: number; n: number } | null;
          if (c !== null && c.pfn + c.n === pfn && c.i + c.n === i) c.n++;
          else {
            flush();
            run = { pfn, i, n: 1 };
          }
        });
        flush();
      }
      for (const [pfn, off] of d.mdev) if (!reserved(pfn)) holders.longterm(pfn, mdevHolder(d, off));
    });
    for (const p of h.other.longAfter) holders.longterm(p.pfn, p.holder);
    for (const p of h.other.heldBefore) holders.held(p.pfn, p.holder, p.kind);
    h.dmas.forEach((d, k) => {
      const dom = views[k].dom;
      // VFIO's held pins are listed per segment; only those on reserved frames are not long-term pins too.
      if (dom !== null && d.mapped && withReserved.has(k)) {
        const dmaLike = { iova: d.iova, vaddr: d.vaddr, size: d.size } as never;
        forEachDmaSegment(m, dom as iommu_domain, dmaLike, 0, Number(d.size / BigInt(PAGE_SIZE)), (sg) => {
          holders.held(sg.pfn, vfioHolder({ id: d.io } as never, sg.iova), 'pin');
        }, false);
      }
      for (const [pfn, off] of d.mdev) holders.held(pfn, mdevHolder(d, off), 'pin');
    });
    for (const p of h.other.heldAfter) holders.held(p.pfn, p.holder, p.kind);
    const head: Omit<MachineState, 'frames'> = {
      version: STATE_SCHEMA_VERSION,
      scenario: ctx.scenario.file,
      profile: m.profile.name,
      schedule: ctx.schedule,
      step,
      ran: h.ran,
      threads: h.threads.map((t) => ({ ...t })),
      processes,
      zones: [...h.zones],
      iommu: iommuStateOf(views),
      violated: [...ctx.violated],
      reports: m.reports.slice(0, h.reports).map((r) => ({ kind: r.kind, site: r.site, message: r.message })),
      results: h.results,
    };
    return Snapshot.of({ head, mem: m.mem, folios, holders, history, mapped: () => mappedAt(), histories });
  }
}

/** Does `changed` (ascending steps) hold a step in (lo, hi]? */
function changedBetween(changed: readonly number[], lo: number, hi: number): boolean {
  let a = 0;
  let b = changed.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (changed[mid] <= lo) a = mid + 1;
    else b = mid;
  }
  return a < changed.length && changed[a] <= hi;
}

/** check/vfio.ts mdevPins' holder name. */
function mdevHolder(d: DmaFacts, off: number): string {
  return `mdev pin of iova 0x${(Number(d.iova) + off * PAGE_SIZE).toString(16)} (vfio_iommu#${d.io})`;
}

function regionsKey(m: Machine): string {
  return m.mem.regions.map((r) => `${r.name}:${r.start_pfn}:${r.end_pfn}:${r.kind}:${r.zone}:${r.cma ? 1 : 0}`).join(',');
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

function samePins<T extends { pfn: number; holder: string; kind?: string }>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x.pfn === b[i].pfn && x.holder === b[i].holder && x.kind === b[i].kind);
}

function sameOther(a: OtherPins, b: OtherPins): boolean {
  return samePins(a.longBefore, b.longBefore) && samePins(a.longAfter, b.longAfter) && samePins(a.heldBefore, b.heldBefore) && samePins(a.heldAfter, b.heldAfter);
}
