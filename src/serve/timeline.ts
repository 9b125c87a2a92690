/**
 * The step record of a `pinlab serve` run (issue 17: responsive on a 16 GiB guest).
 *
 * Kernel threads are generators, which cannot be copied, so a world cannot be saved at
 * step K and resumed from there. Instead the session's one run (src/serve/session.ts)
 * is watched step by step (RunOptions.watch) and this record keeps what the state views
 * read, as a base copy taken before the first step plus what each step changed, read
 * from the machine's journals (the ones the incremental checker reads, src/check/engine.ts):
 *
 * - the folio table: the table at step 0, then per step the new values of every slot the
 *   step resolved (MemMap.touched), kept by folio-versions.ts;
 * - each process page table and each IOMMU domain: a copy at first sight, then per step
 *   a copy of every 2 MiB block / 1 GiB entry the step wrote (page_table.log, iommu_domain.log);
 * - per step, the small parts: threads (kernel function stacks kept up to date from the
 *   trace), processes and their VMAs, zones, results, the number of kernel reports, the
 *   VFIO DMA mappings (container, domain, range, process side, mdev pins), the pins held
 *   by holders other than VFIO (GUP results, iommufd, io_uring, pipes), the object event count.
 *
 * The state after step N is rebuilt from these (Snapshot.of) without running anything:
 * the folio table as chunks shared between steps, from the latest checkpoint or table built
 * at or before N plus the records in between (folio-versions.ts), page tables and IOMMU blocks = the latest copy at or before N, VFIO's pins
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
import { HolderIndex } from '../report/frame-index.js';
import type { FolioTable } from '../report/frame-index.js';
import { FolioVersions } from './folio-versions.js';
import type { DmaView, PageTables, ProcessHead, PteTableRuns, VmaDesc } from '../report/state-json.js';
import { LIMITS, Snapshot, processHead, resultsJson, sinceFrom, stateHead, threadStates, traceStacks, vmaDesc, vmaState, zoneStates } from '../report/state-json.js';
import type { FrameEvent, MachineState, ThreadState, VmaState, ZoneState } from '../report/state-types.js';
import type { Json } from '../report/trace-json.js';

/** Change records kept at most (slot changes + block copies); beyond it the record gives up. */
export const MAX_RECORDS = 64 * 1024 * 1024;

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
  /** The folio table of every step (folio-versions.ts). */
  private folios: FolioVersions | null = null;
  private readonly pts = new Map<number, PtLog>();
  private readonly doms = new Map<number, DomLog>();
  private heads: StepHead[] = [];
  private regions = '';
  private records = 0;
  private resultsRef: unknown[] = [];

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
    this.folios = new FolioVersions(mem);
    this.pts.clear();
    this.doms.clear();
    this.heads = [];
    this.records = 0;
    this.regions = regionsKey(w.m);
    if (mem.touched === null) mem.journal_start();
    this.heads.push(this.head(w, 0, null));
  }

  /**
   * What changed in the running step before an operation end at which the checker read the
   * journals (RunWatch.opEnd): slots, and the keys of each page-table and domain log. The
   * record reads their values at the step's end, with the rest of the step's changes.
   */
  private pend: { slots: Set<number>; keys: Map<PtLog | DomLog, Set<number>> } | null = null;

  /** RunWatch.opEnd: keep what the journals hold so far in this step (the checker may empty them next). */
  opEnd(w: World): void {
    if (this.disabled !== null) return;
    const mem = w.m.mem;
    this.pend ??= { slots: new Set(), keys: new Map() };
    const { slots, keys } = this.pend;
    forEachTouched(mem.touched ?? [], (s) => {
      if (s > 0 && s < mem.slot_top) slots.add(s);
    });
    // By record, not by log array: the checker may give a log a new array (a domain it meets first).
    const keep = (owner: PtLog | DomLog, log: number[] | null): void => {
      if (log === null || log.length === 0) return;
      let k = keys.get(owner);
      if (k === undefined) keys.set(owner, (k = new Set()));
      for (const key of log) k.add(key);
    };
    for (const pt of this.pts.values()) keep(pt, pt.live.log);
    for (const d of this.doms.values()) keep(d, d.live.log);
  }

  /** A log's keys of this step: those kept at operation ends and those it holds now. */
  private stepKeys(owner: PtLog | DomLog, log: number[] | null): ReadonlySet<number> {
    const kept = this.pend?.keys.get(owner);
    if (kept === undefined) return new Set(log ?? []);
    for (const key of log ?? []) kept.add(key);
    return kept;
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
    for (const s of this.pend?.slots ?? []) if (s < mem.slot_top) seen.add(s);
    forEachTouched(touched, (s) => {
      if (s > 0 && s < mem.slot_top) seen.add(s);
    });
    (this.folios as FolioVersions).step(step, mem, seen);
    for (const pt of this.pts.values()) this.readPt(pt, step);
    for (const d of this.doms.values()) this.readDom(d, step);
    this.pend = null;
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
    this.folios?.finish(steps);
  }

  /** Bytes held by the record's copies and change columns (an estimate: typed arrays exactly, copied tables by entry count). */
  bytes(): number {
    let n = this.folios?.bytes() ?? 0;
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
    const keys = this.stepKeys(pt, log);
    if (keys.size === 0) return;
    if (pt.changed[pt.changed.length - 1] !== step) pt.changed.push(step);
    for (const key of keys) {
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
    const keys = this.stepKeys(d, d.live.log);
    if (keys.size === 0) return;
    const pudOf = (g: number): number | 'table' | undefined => {
      const v = (d.live.pud as Map<number, IoPud>).get(g);
      return v === undefined ? undefined : typeof v === 'number' ? v : 'table';
    };
    for (const key of keys) {
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

  /** The runs of each PTE table copy the record holds (the copies never change). */
  private readonly tableRuns = new WeakMap<object, PteTableRuns>();

  /** Rendered VMAs by mm and VMA, with the step they were rendered at (valid while the page table did not change). */
  private readonly vmaCache = new Map<string, { step: number; v: VmaState }>();

  /** A VMA's state (PTE runs) after `step`: rendered again only when its page table changed since the cached step. */
  private vmaAt(mm: number, v: VmaDesc, step: number, tables: () => PageTables): VmaState {
    const key = `${mm}:${v.id}:${v.vm_start}:${v.vm_end}:${v.vm_flags}:${v.file ?? ''}:${v.vm_pgoff}:${v.ops ?? ''}`;
    const c = this.vmaCache.get(key);
    const changed = this.pts.get(mm)?.changed ?? [];
    if (c !== undefined && !changedBetween(changed, Math.min(c.step, step), Math.max(c.step, step))) return c.v;
    const out = vmaState(tables(), v, null, this.tableRuns);
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

  /** The state after step `step`, rebuilt from the record. */
  snapshot(step: number, ctx: RebuildContext): Snapshot {
    const w = this.w;
    if (w === null || this.disabled !== null) throw new Error(`pinlab bug: a snapshot asked of a step record that is off (${this.disabled ?? 'never started'})`);
    const h = this.heads[step];
    const m = w.m;
    const folios = (this.folios as FolioVersions).at(step);
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
    for (const c of folios.chunks) reservedFolios.push(...reservedOf(c));
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
    const head = stateHead(ctx, m, { step, ran: h.ran, threads: h.threads, processes, zones: h.zones, dmas: views, reports: h.reports, results: h.results });
    return Snapshot.of({ head, mem: m.mem, folios, holders, history, mapped: () => mappedAt(), histories });
  }
}

/** The [lo, hi) frames of a chunk's PG_reserved folios (kept per chunk: chunks are shared between steps). */
const reservedMemo = new WeakMap<FolioTable, number[]>();
function reservedOf(t: FolioTable): number[] {
  let r = reservedMemo.get(t);
  if (r === undefined) {
    r = [];
    for (let i = 0; i < t.n; i++) if ((t.flags[i] & PG_reserved) !== 0) r.push(t.pfn[i], t.pfn[i] + 2 ** t.order[i]);
    reservedMemo.set(t, r);
  }
  return r;
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
