/**
 * Snapshots of a scenario world after a step, rendered as the state JSON of
 * state-types.ts (schema/state.schema.json), and the diff between two snapshots.
 *
 * A snapshot copies what it needs out of the live world (the world runs on after
 * it): the folio table (typed arrays, ~45 bytes per folio), processes with their
 * VMAs and page-table entries compressed into runs, IOMMU mappings in runs, threads,
 * holders per frame. Frame cards are built on demand, one page at a time, so a
 * 16 GiB guest (4 million frames) never turns into 4 million objects.
 */
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, PTRS_PER_PTE, PG_anon, PG_anon_exclusive, PG_dirty, PG_head, PG_hugetlb, PG_hugetlb_free,
  PG_isolated, PG_locked, PG_lru, PG_mlocked, PG_partially_mapped, PG_referenced, PG_reserved, PG_swapbacked, PG_unevictable,
  PG_uptodate, PG_writeback, PG_zero, _PAGE_ACCESSED, _PAGE_DEVMAP, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_SPECIAL,
  pte_flags, pte_pfn } from '../linux/include/linux/mm_types.js';
import type { mm_struct, page_table, pte_t } from '../linux/include/linux/mm_types.js';
import * as mmh from '../linux/include/linux/mm.js';
import { ZONE_MOVABLE, ZONE_NAMES } from '../linux/include/linux/gfp.js';
import { CAP_IPC_LOCK, RLIMIT_MEMLOCK, RLIM_INFINITY, has_capability_noaudit } from '../linux/include/linux/sched.js';
import type { Machine, ObjectEvent } from '../linux/machine.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import type { MemMap } from '../linux/include/linux/mm_types.js';
import type { TraceEvent } from '../sched/index.js';
import { allIommus } from '../check/vfio.js';
import type { World } from '../scenario/run.js';
import type { Scenario } from '../scenario/ast.js';
import { jsonValue } from './trace-json.js';
import { FolioRows, HolderIndex, folioTable, lastAtMost } from './frame-index.js';
import { walkDmaPages } from './dma-walk.js';
import type { IoLevels } from './dma-walk.js';
import type { FolioTable } from './frame-index.js';
import type { Json } from './trace-json.js';
import type {
  FieldChange, FrameCard, FrameEvent, FrameFilter, Holder, IommuMapping, IommuRun, MachineState, ProcessState, PteRun,
  StateDiff, ThreadState, VmaState, ZoneState,
} from './state-types.js';
import { STATE_SCHEMA_VERSION } from './state-types.js';

const PG_NAMES: readonly [number, string][] = [
  [PG_locked, 'locked'], [PG_referenced, 'referenced'], [PG_uptodate, 'uptodate'], [PG_dirty, 'dirty'], [PG_lru, 'lru'],
  [PG_reserved, 'reserved'], [PG_writeback, 'writeback'], [PG_head, 'head'], [PG_swapbacked, 'swapbacked'],
  [PG_unevictable, 'unevictable'], [PG_mlocked, 'mlocked'], [PG_anon_exclusive, 'anon_exclusive'], [PG_isolated, 'isolated'],
  [PG_anon, 'anon'], [PG_hugetlb, 'hugetlb'], [PG_zero, 'zero'], [PG_hugetlb_free, 'hugetlb_free'], [PG_partially_mapped, 'partially_mapped'],
];

const VM_NAMES: readonly [number, string][] = Object.entries(mmh)
  .filter(([n, v]) => /^VM_[A-Z_]+$/.test(n) && typeof v === 'number' && v !== 0 && (v & (v - 1)) === 0 && !n.startsWith('VM_FAULT_'))
  .map(([n, v]) => [v as number, n] as [number, string])
  .sort((a, b) => a[0] - b[0]);

const PTE_BITS: readonly [number, string][] = [
  [_PAGE_PRESENT, 'present'], [_PAGE_RW, 'write'], [_PAGE_DIRTY, 'dirty'], [_PAGE_ACCESSED, 'young'], [_PAGE_SPECIAL, 'special'], [_PAGE_DEVMAP, 'devmap'],
];

function bitNames(v: number, table: readonly [number, string][]): string[] {
  const out: string[] = [];
  for (const [b, n] of table) if ((v & b) !== 0) out.push(n);
  return out;
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** Limits: entries listed per VMA / IOMMU mapping, frame cards per page, frame changes per diff. */
export const LIMITS = { pteRuns: 2048, iommuRuns: 2048, framePage: 512, diffFrames: 2000, history: 64 } as const;

/** Per-snapshot inputs the world does not know. */
export interface SnapshotContext {
  readonly scenario: Scenario;
  readonly schedule: string;
  /** The step during which the object event with this seq happened. */
  readonly eventStep: (seq: number) => number;
  /** The trace so far (for kernel function frames), or null. */
  readonly trace: readonly TraceEvent[] | null;
  /** Invariants violated so far. */
  readonly violated: readonly string[];
}

/** What a snapshot is made of (Snapshot.of). */
export interface SnapshotParts {
  readonly head: Omit<MachineState, 'frames'>;
  /** Memory regions and content tags (the machine's MemMap). */
  readonly mem: Pick<MemMap, 'region_of' | 'tag_name' | 'regions'>;
  readonly folios: FolioRows;
  readonly holders: HolderIndex;
  readonly history: (pfn: number) => readonly FrameEvent[] | undefined;
  /** Frames mapped by a single-page PTE run (the `mapped` filter), or how to find them when asked. */
  readonly mapped: ReadonlySet<number> | (() => ReadonlySet<number>);
  /** Whether any frame has history. */
  readonly histories: boolean;
}

/** The state after one step, kept for rendering pages of it and diffing. */
export class Snapshot {
  private constructor(
    readonly head: Omit<MachineState, 'frames'>,
    private readonly mem: Pick<MemMap, 'region_of' | 'tag_name' | 'regions'>,
    private readonly folios: FolioRows,
    private readonly holders: HolderIndex,
    private readonly history: (pfn: number) => readonly FrameEvent[] | undefined,
    private readonly mappedSet: ReadonlySet<number> | (() => ReadonlySet<number>),
    /** Whether any frame has history (holders then carry `since` steps). */
    private readonly histories: boolean,
  ) {}

  private get mapped(): ReadonlySet<number> {
    return typeof this.mappedSet === 'function' ? this.mappedSet() : this.mappedSet;
  }

  /** A snapshot from parts rebuilt elsewhere (pinlab serve's step record, src/serve/timeline.ts). */
  static of(p: SnapshotParts): Snapshot {
    return new Snapshot(p.head, p.mem, p.folios, p.holders, p.history, p.mapped, p.histories);
  }

  /** Copy the state of `w` now (after `w.sched.stepCount` steps). */
  static take(w: World, ctx: SnapshotContext): Snapshot {
    const { m, sched } = w;
    const step = sched.stepCount;
    const mapped = new Set<number>();
    const processes: ProcessState[] = [...w.rs.processes.entries()].filter(([name]) => !name.startsWith('kthread:')).map(([name, t]) => {
      const p = processHead(name, t);
      const mm = t.mm;
      return { ...p, mm: p.mm === null || mm === null ? null : { ...p.mm, vmas: mm.mmap.map((v) => vmaState(mm.pgd, vmaDesc(v), mapped)) } };
    });
    const history = frameHistory(m.events, ctx.eventStep, Infinity);
    const cw = w.checker.world;
    // Holders: what the checker's world says is held now, with the step of the latest pin/ref event on the frame.
    const holders = new HolderIndex(sinceFrom((pfn) => history.get(pfn)));
    for (const p of cw.longtermPins()) holders.longterm(p.pfn, p.holder);
    for (const p of cw.heldPins()) holders.held(p.pfn, p.holder, p.kind);
    const head = stateHead(ctx, m, {
      step, ran: sched.lastRan, threads: threadStates(w, ctx.scenario, traceStacks(ctx.trace ?? [], 0, new Map())), processes,
      zones: zoneStates(m), dmas: liveDmas(m), reports: m.reports.length, results: resultsJson(w),
    });
    return new Snapshot(head, m.mem, FolioRows.flat(folioTable(m.mem, m.mem.slot_top)), holders, (pfn) => history.get(pfn), mapped, history.size > 0);
  }

  get step(): number {
    return this.head.step;
  }

  /**
   * Folios matching `filter`, as ranges of rows (kept: pages of one snapshot are asked for
   * in turn). `held` and `fsdax` are found by binary search per held interval / fs-DAX
   * region, so they cost the intervals, not the folios; `mapped` reads every folio.
   */
  private select(filter: FrameFilter): RowRanges | null {
    if (filter === 'all') return null;
    const c = this.selected.get(filter);
    if (c !== undefined) return c;
    const t = this.folios;
    const out = new RowRanges();
    if (filter === 'held') {
      const h = this.holders.heldIntervals();
      for (let k = 0; k < h.length; k += 2) out.add(t.firstEndingAfter(h[k]), t.firstFrom(h[k + 1]));
    } else if (filter === 'fsdax') {
      for (const r of [...this.mem.regions].sort((a, b) => a.start_pfn - b.start_pfn)) if (r.kind === 'fsdax') out.add(t.firstFrom(r.start_pfn), t.firstFrom(r.end_pfn));
    } else {
      const mapped = this.mapped;
      t.chunks.forEach((ch, c) => {
        const base = t.start(c);
        for (let j = 0; j < ch.n; j++) if (ch.map[j] > 0 || ch.ptemaps[j] > 0 || mapped.has(ch.pfn[j])) out.add(base + j, base + j + 1);
      });
    }
    this.selected.set(filter, out);
    return out;
  }

  private readonly selected = new Map<FrameFilter, RowRanges>();

  /** The state JSON with one page of frame cards. */
  state(filter: FrameFilter = 'held', offset = 0, limit: number = LIMITS.framePage): MachineState {
    const sel = this.select(filter);
    const total = sel === null ? this.folios.n : sel.total;
    const lim = Math.max(0, Math.min(limit, LIMITS.framePage));
    const off = Math.max(0, Math.min(offset, total));
    const items: FrameCard[] = [];
    for (let k = off; k < Math.min(total, off + lim); k++) items.push(this.card(sel === null ? k : sel.at(k)));
    return { ...this.head, frames: { total, offset: off, limit: lim, filter, items } };
  }

  /** The card of the folio covering `pfn`, or null. */
  frame(pfn: number): FrameCard | null {
    const i = this.folios.firstEndingAfter(pfn);
    if (i >= this.folios.n) return null;
    const { t, j } = this.folios.row(i);
    return t.pfn[j] <= pfn ? this.card(i) : null;
  }

  private card(row: number): FrameCard {
    const { t, j: i } = this.folios.row(row);
    const pfn = t.pfn[i];
    const n = 2 ** t.order[i];
    const r = this.mem.region_of(pfn);
    const holders: Holder[] = [];
    const history: FrameEvent[] = [];
    for (let p = pfn; p < pfn + Math.min(n, 4096); p++) {
      holders.push(...(this.holders.of(p) ?? []));
      history.push(...(this.history(p) ?? []));
    }
    history.sort((a, b) => a.seq - b.seq);
    return {
      pfn, order: t.order[i],
      zone: r === null ? '-' : ZONE_NAMES[r.zone] ?? String(r.zone),
      kind: r === null ? 'hole' : r.kind,
      cma: r !== null && r.cma,
      movable: r !== null && r.zone === ZONE_MOVABLE,
      refcount: t.ref[i],
      mapcount: t.order[i] === 0 ? t.map[i] : t.map[i] + t.ptemaps[i],
      pincount: t.pin[i],
      flags: bitNames(t.flags[i], PG_NAMES),
      content: this.mem.tag_name(t.content[i]),
      holders,
      history: history.slice(-LIMITS.history),
    };
  }

  /** Comparable fields of row i of chunk table t, for diffs. */
  private fields(t: FolioTable, i: number): Record<string, number> {
    return { order: t.order[i], refcount: t.ref[i], mapcount: t.map[i] + t.ptemaps[i], pincount: t.pin[i], flags: t.flags[i], content: t.content[i] };
  }

  /** What changed from this snapshot to `b`. */
  diff(b: Snapshot): StateDiff {
    return diffSnapshots(this, b);
  }

  /** For diffSnapshots: the folio table, holders and memory map of a snapshot. */
  get parts(): { readonly folios: FolioRows; readonly holders: HolderIndex; readonly mem: Pick<MemMap, 'tag_name'>; readonly histories: boolean } {
    return { folios: this.folios, holders: this.holders, mem: this.mem, histories: this.histories };
  }

  /** Comparable fields of row i of chunk table t, for diffs. */
  fieldsOf(t: FolioTable, i: number): Record<string, number> {
    return this.fields(t, i);
  }
}

/** What changed from snapshot `a` to snapshot `b`. */
function diffSnapshots(a: Snapshot, b: Snapshot): StateDiff {
  const frames: { pfn: number; change: 'added' | 'removed' | 'changed'; changes: FieldChange[] }[] = [];
  const ca = new RowCursor(a.parts.folios);
  const cb = new RowCursor(b.parts.folios);
  let truncated = false;
  const named = (o: Record<string, number>, snap: Snapshot): Record<string, unknown> => ({
    ...o, flags: bitNames(o.flags, PG_NAMES), content: snap.parts.mem.tag_name(o.content),
  });
  // Holders are compared where the two holder indexes differ (all frames when histories give `since` steps).
  const everywhere = a.parts.histories || b.parts.histories;
  const cand = everywhere ? [] : a.parts.holders.differences(b.parts.holders);
  let ci = 0;
  const maybe = (pfn: number): boolean => {
    if (everywhere) return true;
    while (ci < cand.length && cand[ci + 1] <= pfn) ci += 2;
    return ci < cand.length && cand[ci] <= pfn;
  };
  // A chunk both snapshots share (the step record's unchanged chunks) differs nowhere, unless in its holders.
  const sameChunk = (): boolean => {
    if (everywhere || ca.j !== 0 || cb.j !== 0 || ca.t !== cb.t) return false;
    const t = ca.t;
    const lo = t.pfn[0];
    const hi = t.pfn[t.n - 1] + 2 ** t.order[t.n - 1];
    while (ci < cand.length && cand[ci + 1] <= lo) ci += 2;
    return ci >= cand.length || cand[ci] >= hi;
  };
  // PERF: compare the raw columns first; build named field changes only for folios that differ; stop at the limit.
  while ((!ca.done || !cb.done) && !truncated) {
    if (!ca.done && !cb.done && sameChunk()) {
      ca.skipChunk();
      cb.skipChunk();
      continue;
    }
    if (cb.done || (!ca.done && ca.pfn < cb.pfn)) {
      if (frames.length < LIMITS.diffFrames) frames.push({ pfn: ca.pfn, change: 'removed', changes: [] });
      else truncated = true;
      ca.next();
    } else if (ca.done || cb.pfn < ca.pfn) {
      if (frames.length < LIMITS.diffFrames) frames.push({ pfn: cb.pfn, change: 'added', changes: [] });
      else truncated = true;
      cb.next();
    } else {
      const pfn = ca.pfn;
      const ta = ca.t;
      const tb = cb.t;
      const i = ca.j;
      const j = cb.j;
      const look = maybe(pfn);
      const la = look ? a.parts.holders.of(pfn) : undefined;
      const lb = look ? b.parts.holders.of(pfn) : undefined;
      const same = ta.order[i] === tb.order[j] && ta.ref[i] === tb.ref[j] && ta.map[i] === tb.map[j] && ta.ptemaps[i] === tb.ptemaps[j]
        && ta.pin[i] === tb.pin[j] && ta.flags[i] === tb.flags[j] && ta.content[i] === tb.content[j] && sameHolders(la, lb);
      if (!same) {
        if (frames.length >= LIMITS.diffFrames) truncated = true;
        else {
          const ch = changes(named(a.fieldsOf(ta, i), a), named(b.fieldsOf(tb, j), b));
          if (!sameHolders(la, lb)) ch.push({ field: 'holders', from: la ?? [], to: lb ?? [] });
          if (ch.length > 0) frames.push({ pfn, change: 'changed', changes: ch });
        }
      }
      ca.next();
      cb.next();
    }
  }
  const threads = b.head.threads.map((tb2) => {
    const ta2 = a.head.threads.find((x) => x.id === tb2.id);
    return { id: tb2.id, changes: ta2 === undefined ? [] : changes(ta2 as unknown as Record<string, unknown>, tb2 as unknown as Record<string, unknown>) };
  }).filter((x) => x.changes.length > 0);
  const processes = b.head.processes.map((pb) => {
    const pa = a.head.processes.find((x) => x.name === pb.name);
    const strip = (p: ProcessState | undefined): Record<string, unknown> => (p === undefined ? {} : { pid: p.pid, exited: p.exited, ...(p.mm === null ? { mm: null } : { lockedVm: p.mm.lockedVm, pinnedVm: p.mm.pinnedVm, totalVm: p.mm.totalVm, vmaCount: p.mm.vmas.length }) });
    return { name: pb.name, changes: changes(strip(pa), strip(pb)) };
  }).filter((x) => x.changes.length > 0);
  const vmaMap = (s: Snapshot): Map<number, { process: string; v: VmaState }> => {
    const out = new Map<number, { process: string; v: VmaState }>();
    for (const p of s.head.processes) for (const v of p.mm?.vmas ?? []) out.set(v.id, { process: p.name, v });
    return out;
  };
  const va = vmaMap(a);
  const vb = vmaMap(b);
  const vmas: StateDiff['vmas'][number][] = [];
  for (const [id, x] of va) if (!vb.has(id)) vmas.push({ id, process: x.process, change: 'removed', changes: [] });
  for (const [id, y] of vb) {
    const x = va.get(id);
    if (x === undefined) vmas.push({ id, process: y.process, change: 'added', changes: [] });
    else {
      const c = changes({ ...x.v, ptes: JSON.stringify(x.v.ptes) }, { ...y.v, ptes: JSON.stringify(y.v.ptes) });
      if (c.length > 0) vmas.push({ id, process: y.process, change: 'changed', changes: c });
    }
  }
  vmas.sort((x, y) => x.id - y.id);
  const ia = new Map(a.head.iommu.map((x) => [`${x.container}:${x.iova}`, JSON.stringify(x)]));
  const ib = new Map(b.head.iommu.map((x) => [`${x.container}:${x.iova}`, JSON.stringify(x)]));
  const iommu: StateDiff['iommu'][number][] = [];
  for (const k of ia.keys()) if (!ib.has(k)) iommu.push({ iova: k.slice(k.indexOf(':') + 1), change: 'removed' });
  for (const [k, v] of ib) {
    const old = ia.get(k);
    if (old === undefined) iommu.push({ iova: k.slice(k.indexOf(':') + 1), change: 'added' });
    else if (old !== v) iommu.push({ iova: k.slice(k.indexOf(':') + 1), change: 'changed' });
  }
  return {
    version: STATE_SCHEMA_VERSION,
    from: a.step,
    to: b.step,
    threads,
    frames,
    processes,
    vmas,
    iommu,
    violated: b.head.violated.filter((v) => !a.head.violated.includes(v)),
    results: Object.keys(b.head.results).filter((k) => JSON.stringify(a.head.results[k]) !== JSON.stringify(b.head.results[k])),
    truncated,
  };
}

/** A walk over the rows of a FolioRows, chunk by chunk. */
class RowCursor {
  c = 0;
  j = 0;
  constructor(private readonly r: FolioRows) {
    this.settle();
  }

  get done(): boolean {
    return this.c >= this.r.chunks.length;
  }

  get t(): FolioTable {
    return this.r.chunks[this.c];
  }

  get pfn(): number {
    return this.r.chunks[this.c].pfn[this.j];
  }

  next(): void {
    this.j++;
    this.settle();
  }

  skipChunk(): void {
    this.c++;
    this.j = 0;
    this.settle();
  }

  private settle(): void {
    while (this.c < this.r.chunks.length && this.j >= this.r.chunks[this.c].n) {
      this.c++;
      this.j = 0;
    }
  }
}

/** Sorted, disjoint ranges of row numbers (a frame filter's selection), with the k-th selected row. */
class RowRanges {
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  /** before[k]: rows selected in ranges 0..k-1. */
  private readonly before: number[] = [];
  total = 0;

  /** Add rows [a, b); ranges come in ascending order (an overlap with the last one is joined to it). */
  add(a: number, b: number): void {
    const k = this.lo.length - 1;
    if (k >= 0 && a <= this.hi[k]) {
      if (b > this.hi[k]) {
        this.total += b - this.hi[k];
        this.hi[k] = b;
      }
      return;
    }
    if (a >= b) return;
    this.lo.push(a);
    this.hi.push(b);
    this.before.push(this.total);
    this.total += b - a;
  }

  /** The row number of the k-th selected row (0 <= k < total). */
  at(k: number): number {
    const j = lastAtMost(this.before, this.lo.length, k);
    return this.lo[j] + (k - this.before[j]);
  }
}

function sameHolders(a: readonly Holder[] | undefined, b: readonly Holder[] | undefined): boolean {
  if (a === b) return true;
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((h, k) => h.holder === y[k].holder && h.kind === y[k].kind && h.since === y[k].since);
}

function changes(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = JSON.stringify(a[k] ?? null);
    const y = JSON.stringify(b[k] ?? null);
    if (x !== y) out.push({ field: k, from: a[k] ?? null, to: b[k] ?? null });
  }
  return out;
}

/** What the state shows of a VMA besides its page-table entries (a copy: the VMA changes on). */
export interface VmaDesc {
  readonly id: number;
  readonly vm_start: number;
  readonly vm_end: number;
  readonly vm_flags: number;
  readonly file: string | null;
  readonly vm_pgoff: number;
  readonly ops: string | null;
}

export function vmaDesc(v: mm_struct['mmap'][number]): VmaDesc {
  return { id: v.id, vm_start: v.vm_start, vm_end: v.vm_end, vm_flags: v.vm_flags, file: v.vm_file === null ? null : v.vm_file.f_inode.path, vm_pgoff: v.vm_pgoff, ops: v.vm_ops?.name ?? null };
}

/** The page-table levels the state reads (an mm's page_table, or one rebuilt for an earlier step). */
export type PageTables = Pick<page_table, 'pud' | 'pmd'>;

/**
 * The runs of one PTE table, as vmaState joins its entries: [first index, pages, first entry]
 * per run, and whether the first and the last entry are empty (a run does not join across).
 */
export interface PteTableRuns {
  readonly runs: readonly number[];
  readonly emptyFirst: boolean;
  readonly emptyLast: boolean;
}

function pteTableRuns(pte: ArrayLike<pte_t>): PteTableRuns {
  const runs: number[] = [];
  let at = -1;
  for (let k = 0; k < PTRS_PER_PTE; k++) {
    const e = pte[k];
    if (e === 0) {
      at = -1;
      continue;
    }
    if (at >= 0) {
      const first = runs[at + 2];
      const n = runs[at + 1];
      if (pte_flags(first) === pte_flags(e) && pte_pfn(first) + n === pte_pfn(e)) {
        runs[at + 1]++;
        continue;
      }
    }
    at = runs.length;
    runs.push(k, 1, e);
  }
  return { runs, emptyFirst: pte[0] === 0, emptyLast: pte[PTRS_PER_PTE - 1] === 0 };
}

/**
 * The PTE runs of a VMA, walking its page tables at the level each range is mapped at.
 * `tableRuns` (pinlab serve's step record, whose PTE tables are copies that never change
 * again): a memo of each whole PTE table's runs, so a VMA of many GiB costs its tables,
 * not its pages, once they were seen (not with `mapped`, which lists every page).
 */
export function vmaState(pgd: PageTables, v: VmaDesc, mapped: Set<number> | null, tableRuns?: WeakMap<object, PteTableRuns>): VmaState {
  const runs: PteRun[] = [];
  let truncated = false;
  let count = 0;
  let cur: { vaddr: number; pages: number; pfn: number; level: PteRun['level']; bits: number } | null = null;
  const flush = (): void => {
    if (cur === null) return;
    if (runs.length < LIMITS.pteRuns) runs.push({ vaddr: hex(cur.vaddr), pages: cur.pages, pfn: cur.pfn, level: cur.level, bits: bitNames(cur.bits, PTE_BITS) });
    else truncated = true;
    cur = null;
  };
  const addRun = (vaddr: number, pages: number, e: pte_t, level: PteRun['level']): void => {
    const pfn = pte_pfn(e);
    const bits = pte_flags(e);
    if ((bits & _PAGE_PRESENT) !== 0) {
      count += pages;
      if (pages === 1 && mapped !== null && mapped.size < 1_000_000) mapped.add(pfn);
    }
    if (cur !== null && cur.level === level && cur.bits === bits && cur.vaddr + cur.pages * PAGE_SIZE === vaddr && cur.pfn + cur.pages === pfn) {
      cur.pages += pages;
      return;
    }
    flush();
    cur = { vaddr, pages, pfn, level, bits };
  };
  let addr = v.vm_start;
  while (addr < v.vm_end) {
    const pud = pgd.pud.get(Math.floor(addr / PUD_SIZE));
    if (pud !== undefined) {
      const base = Math.floor(addr / PUD_SIZE) * PUD_SIZE;
      const end = Math.min(v.vm_end, base + PUD_SIZE);
      addRun(addr, (end - addr) / PAGE_SIZE, pud + ((addr - base) / PAGE_SIZE) * 4096, 'pud');
      addr = end;
      continue;
    }
    const key = Math.floor(addr / PMD_SIZE);
    const pmd = pgd.pmd.get(key);
    const pmdEnd = Math.min(v.vm_end, (key + 1) * PMD_SIZE);
    if (pmd === undefined) {
      flush();
      addr = pmdEnd;
      continue;
    }
    if (typeof pmd === 'number') {
      addRun(addr, (pmdEnd - addr) / PAGE_SIZE, pmd + ((addr - key * PMD_SIZE) / PAGE_SIZE) * 4096, 'pmd');
      addr = pmdEnd;
      continue;
    }
    if (tableRuns !== undefined && mapped === null && addr === key * PMD_SIZE && pmdEnd === (key + 1) * PMD_SIZE) {
      let t = tableRuns.get(pmd);
      if (t === undefined) tableRuns.set(pmd, (t = pteTableRuns(pmd.pte)));
      if (t.emptyFirst) flush();
      let end = 0;
      for (let r = 0; r < t.runs.length; r += 3) {
        if (t.runs[r] > end) flush();
        addRun(addr + t.runs[r] * PAGE_SIZE, t.runs[r + 1], t.runs[r + 2], 'pte');
        end = t.runs[r] + t.runs[r + 1];
      }
      if (t.emptyLast) flush();
      addr = pmdEnd;
      continue;
    }
    for (; addr < pmdEnd; addr += PAGE_SIZE) {
      const e = pmd.pte[Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE];
      if (e === 0) flush();
      else addRun(addr, 1, e, 'pte');
    }
  }
  flush();
  return {
    id: v.id, start: hex(v.vm_start), end: hex(v.vm_end), flags: bitNames(v.vm_flags, VM_NAMES),
    file: v.file, pgoff: v.vm_pgoff, ops: v.ops, mapped: count, ptes: runs, ptesTruncated: truncated,
  };
}

/**
 * Bring per-thread kernel function stacks up to date with trace events [from, end):
 * returns `stacks` (thread id → function names, outermost first).
 */
export function traceStacks(trace: readonly TraceEvent[], from: number, stacks: Map<number, string[]>): Map<number, string[]> {
  for (let i = from; i < trace.length; i++) {
    const e = trace[i];
    if (e.kind === 'call') {
      const s = stacks.get(e.thread) ?? [];
      s.push(e.fn);
      stacks.set(e.thread, s);
    } else if (e.kind === 'ret') {
      const s = stacks.get(e.thread) ?? [];
      const k = s.lastIndexOf(e.fn);
      if (k >= 0) s.length = k;
    } else if (e.kind === 'exit') stacks.delete(e.thread);
  }
  return stacks;
}

/** The threads now, with the kernel function stacks of `traceStacks`. */
export function threadStates(w: World, s: Scenario, stacks: ReadonlyMap<number, readonly string[]>): ThreadState[] {
  return w.sched.views().map((t) => {
    const scenarioStep = w.rs.progress[t.id] ?? 0;
    const steps = s.threads[t.id]?.steps ?? [];
    const frames = [...(stacks.get(t.id) ?? [])];
    const fn = /^([^:]+\.c):([A-Za-z0-9_]+)/.exec(t.label);
    if (fn !== null && t.state !== 'done') frames.push(`${fn[1]}:${fn[2]}`);
    return {
      id: t.id, name: t.name, state: t.state, label: t.label,
      reason: t.reason === null ? null : `${t.reason.kind} ${t.reason.object}${t.reason.detail === undefined ? '' : ` (${t.reason.detail})`}`,
      held: t.held.map((h) => ({ lock: h.lock, mode: h.mode })),
      scenarioStep,
      op: t.state === 'done' ? null : steps[scenarioStep]?.op ?? null,
      frames,
    };
  });
}

/** What the head of a state is made of besides the run's context (HeadParts of stateHead). */
export interface HeadParts {
  readonly step: number;
  readonly ran: MachineState['ran'];
  readonly threads: readonly ThreadState[];
  readonly processes: ProcessState[];
  readonly zones: readonly ZoneState[];
  /** The VFIO DMA mappings the IOMMU view is rendered from. */
  readonly dmas: readonly DmaView[];
  /** How many of the machine's kernel reports had been made by then. */
  readonly reports: number;
  readonly results: Record<string, Json>;
}

/**
 * The head of the state after a step (all but the frames: version, scenario, profile,
 * schedule, step, threads, processes, zones, IOMMU view, violations, reports, results),
 * for a live world (Snapshot.take, `run --json --trace`) and for pinlab serve's step
 * record (src/serve/timeline.ts) alike: one schema, schema/state.schema.json.
 */
export function stateHead(ctx: Pick<SnapshotContext, 'scenario' | 'schedule' | 'violated'>, m: Pick<Machine, 'profile' | 'reports'>, p: HeadParts): Omit<MachineState, 'frames'> {
  return {
    version: STATE_SCHEMA_VERSION,
    scenario: ctx.scenario.file,
    profile: m.profile.name,
    schedule: ctx.schedule,
    step: p.step,
    ran: p.ran,
    threads: p.threads.map((t) => ({ ...t })),
    processes: p.processes,
    zones: [...p.zones],
    iommu: iommuStateOf(p.dmas),
    violated: [...ctx.violated],
    reports: m.reports.slice(0, p.reports).map((r) => ({ kind: r.kind, site: r.site, message: r.message })),
    results: p.results,
  };
}

/** A process without its VMAs (ProcessState with `mm.vmas` left out). */
export type ProcessHead = Omit<ProcessState, 'mm'> & { readonly mm: Omit<NonNullable<ProcessState['mm']>, 'vmas'> | null };

export function processHead(name: string, t: task_struct): ProcessHead {
  const mm = t.mm;
  const lim = t.rlim[RLIMIT_MEMLOCK]?.rlim_cur ?? RLIM_INFINITY;
  return {
    name, pid: t.pid, comm: t.comm, exited: t.exited,
    mm: mm === null ? null : {
      id: mm.id, lockedVm: mm.locked_vm, pinnedVm: mm.pinned_vm, totalVm: mm.total_vm,
      memlockLimit: lim === RLIM_INFINITY || !Number.isFinite(lim) ? null : Math.floor(lim / PAGE_SIZE),
      capIpcLock: has_capability_noaudit(t, CAP_IPC_LOCK),
    },
  };
}

export function zoneStates(m: Machine): ZoneState[] {
  return m.mem.zones.map((z): ZoneState => ({ name: z.name, present: z.present_pages, free: z.nr_free, freeCma: z.nr_free_cma }));
}

export function resultsJson(w: World): Record<string, Json> {
  return Object.fromEntries([...w.rs.results.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, jsonValue(v.value)]));
}

/** Per frame, its latest object events (at most LIMITS.history) with seq below `seqEnd`. */
export function frameHistory(events: readonly ObjectEvent[], eventStep: (seq: number) => number, seqEnd: number): Map<number, FrameEvent[]> {
  const history = new Map<number, FrameEvent[]>();
  for (const ev of events) {
    if (ev.seq >= seqEnd) break;
    for (const o of ev.objects) {
      if (!o.startsWith('pfn:')) continue;
      const pfn = Number(o.slice(4));
      let h = history.get(pfn);
      if (h === undefined) history.set(pfn, (h = []));
      h.push({ seq: ev.seq, step: eventStep(ev.seq), thread: ev.thread, what: ev.what, fn: ev.fn });
      if (h.length > LIMITS.history) h.shift();
    }
  }
  return history;
}

/** The step of the latest pin/reference event on a frame, from its history. */
export function sinceFrom(history: (pfn: number) => readonly FrameEvent[] | undefined): (pfn: number) => number | null {
  return (pfn) => {
    const h = history(pfn);
    if (h === undefined) return null;
    for (let i = h.length - 1; i >= 0; i--) if (/pin|ref|gup|dma-map|dax-map/.test(h[i].what)) return h[i].step;
    return null;
  };
}

/** One VFIO DMA mapping as the IOMMU view reads it: its container's first domain and its process side. */
export interface DmaView {
  readonly container: number;
  readonly dom: IoLevels | null;
  readonly iova: bigint;
  readonly vaddr: bigint;
  readonly size: bigint;
  readonly pid: number;
  readonly mapped: boolean;
  /** The process page tables to compare with (null: exited, no mm, vaddr invalidated). */
  readonly process: PageTables | null;
}

/** The DMA mappings of every VFIO container of a live machine. */
export function liveDmas(m: Machine): DmaView[] {
  const out: DmaView[] = [];
  for (const io of allIommus(m)) {
    const dom = io.domain_list[0]?.domain ?? null;
    for (const dma of io.dma_list) {
      const t = dma.task;
      out.push({ container: io.id, dom, iova: dma.iova, vaddr: dma.vaddr, size: dma.size, pid: t.pid, mapped: dma.iommu_mapped, process: t.exited || t.mm === null || dma.vaddr_invalid ? null : t.mm.pgd });
    }
  }
  return out;
}

/** IOMMU mappings of every VFIO container: iova → frame runs, with the process's frame at the same vaddr. */
export function iommuStateOf(dmas: readonly DmaView[]): IommuMapping[] {
  const out: IommuMapping[] = [];
  for (const dma of dmas) {
    const runs: IommuRun[] = [];
    let truncated = false;
    const dom = dma.dom;
    if (dom !== null && dma.mapped) {
      const n = Number(dma.size / BigInt(PAGE_SIZE));
      type Run = { iova: number; vaddr: number; pages: number; iommuPfn: number; processPfn: number | null; coherent: boolean };
      let cur: Run | null = null;
      let next = -1;
      const flush = (): void => {
        if (cur === null) return;
        if (runs.length < LIMITS.iommuRuns) runs.push({ ...cur, iova: hex(cur.iova), vaddr: hex(cur.vaddr) });
        else truncated = true;
        cur = null;
      };
      walkDmaPages(dom, Number(dma.iova), Number(dma.vaddr), n, dma.process, (i, pfn, pp) => {
        if (i !== next) flush();
        next = i + 1;
        const coherent = pp === pfn;
        const c = cur as Run | null;
        if (c !== null && c.coherent === coherent && c.iommuPfn + c.pages === pfn && (c.processPfn === null ? pp === null : pp === c.processPfn + c.pages)) {
          c.pages++;
          return;
        }
        flush();
        cur = { iova: Number(dma.iova) + i * PAGE_SIZE, vaddr: Number(dma.vaddr) + i * PAGE_SIZE, pages: 1, iommuPfn: pfn, processPfn: pp, coherent };
      });
      flush();
    }
    out.push({ container: dma.container, iova: hex(dma.iova), vaddr: hex(dma.vaddr), size: hex(dma.size), pid: dma.pid, mapped: dma.mapped, runs, runsTruncated: truncated });
  }
  return out;
}

/** The state JSON of a finished run (for `run --json --trace`): held frames, first page. */
export function finalStateJson(w: World, ctx: SnapshotContext): Json {
  return Snapshot.take(w, ctx).state('held') as unknown as Json;
}
