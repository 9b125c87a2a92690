/**
 * Indexes behind the frame views of a state snapshot (state-json.ts), built so that a
 * guest of many GiB (millions of frames, millions of pins) costs typed arrays, not an
 * object per frame:
 *
 * - FolioTable: the folio table (mem_map slots in use) as columns, sorted by head pfn,
 *   from any set of slot columns (the live MemMap's, or columns rebuilt for an earlier
 *   step by pinlab serve's step record, src/serve/timeline.ts);
 * - HolderIndex: who holds a pin or reference on which frame, as sorted columns; the
 *   holder list of one frame is assembled when a card asks for it.
 *
 * Both keep the rules of the per-frame maps they replace (same order, same holders).
 */
import type { Holder } from './state-types.js';
import { mergeRanges } from '../check/ranges.js';

/** The per-slot columns of the folio table (MemMap's names). */
export interface SlotColumns {
  readonly s_pfn: ArrayLike<number>;
  readonly s_order: ArrayLike<number>;
  readonly s_ref: ArrayLike<number>;
  readonly s_map: ArrayLike<number>;
  readonly s_ptemaps: ArrayLike<number>;
  readonly s_pin: ArrayLike<number>;
  readonly s_flags: ArrayLike<number>;
  readonly s_content: ArrayLike<number>;
}

/** A copy of the folio table, sorted by head pfn. */
export interface FolioTable {
  readonly n: number;
  readonly pfn: Float64Array;
  readonly order: Uint8Array;
  readonly ref: Int32Array;
  readonly map: Int32Array;
  readonly ptemaps: Int32Array;
  readonly pin: Int32Array;
  readonly flags: Int32Array;
  readonly content: Int32Array;
}

/**
 * A folio table as a list of chunks (each a FolioTable of the folios whose head pfn falls
 * in one pfn range; chunks in pfn order). A flat table is one chunk; pinlab serve's step
 * record (src/serve/timeline.ts) keeps per step the chunk list, sharing every chunk the
 * steps in between did not change, so a step costs the chunks it changed, not the guest.
 * Rows are numbered across chunks in pfn order.
 */
export class FolioRows {
  readonly n: number;
  /** starts[c]: the row number of chunk c's first row (starts[chunks.length] = n). */
  private readonly starts: Int32Array;

  constructor(readonly chunks: readonly FolioTable[]) {
    this.starts = new Int32Array(chunks.length + 1);
    let n = 0;
    chunks.forEach((c, k) => {
      this.starts[k] = n;
      n += c.n;
    });
    this.starts[chunks.length] = n;
    this.n = n;
  }

  static flat(t: FolioTable): FolioRows {
    return new FolioRows(t.n === 0 ? [] : [t]);
  }

  /** The chunk holding row i (0 <= i < n). */
  chunkOf(i: number): number {
    return lastAtMost(this.starts, this.chunks.length, i);
  }

  /** The first row number of chunk c. */
  start(c: number): number {
    return this.starts[c];
  }

  /** Row i as (its chunk's table, its index there). */
  row(i: number): { readonly t: FolioTable; readonly j: number } {
    const c = this.chunkOf(i);
    return { t: this.chunks[c], j: i - this.starts[c] };
  }

  /** The number of the first row for which `past(table, index)` holds (rows where it holds come after those where it does not); n when none. */
  private firstWhere(past: (t: FolioTable, j: number) => boolean): number {
    const cs = this.chunks;
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (past(cs[mid], cs[mid].n - 1)) hi = mid;
      else lo = mid + 1;
    }
    if (lo === cs.length) return this.n;
    const t = cs[lo];
    let a = 0;
    let b = t.n - 1;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (past(t, mid)) b = mid;
      else a = mid + 1;
    }
    return this.starts[lo] + a;
  }

  /** The first row whose head pfn is at or after `pfn`. */
  firstFrom(pfn: number): number {
    return this.firstWhere((t, j) => t.pfn[j] >= pfn);
  }

  /** The first row whose folio ends after `pfn` (covers it or lies above it). */
  firstEndingAfter(pfn: number): number {
    return this.firstWhere((t, j) => t.pfn[j] + 2 ** t.order[j] > pfn);
  }
}

/** The folios in use among slots 1..top-1 (a slot is in use while its refcount or flags are non-zero), by head pfn. */
export function folioTable(c: SlotColumns, top: number): FolioTable {
  return folioTableWithSlots(c, top).table;
}

/** folioTable, with the slot of each row. */
export function folioTableWithSlots(c: SlotColumns, top: number): { table: FolioTable; slots: Int32Array } {
  let n = 0;
  for (let s = 1; s < top; s++) if (c.s_ref[s] !== 0 || c.s_flags[s] !== 0) n++;
  const slots = new Int32Array(n);
  let k = 0;
  let sorted = true;
  for (let s = 1; s < top; s++) {
    if (c.s_ref[s] === 0 && c.s_flags[s] === 0) continue;
    if (k > 0 && c.s_pfn[slots[k - 1]] > c.s_pfn[s]) sorted = false;
    slots[k++] = s;
  }
  // Slots are mostly allocated in pfn order; sort only when they are not.
  if (!sorted) slots.sort((a, b) => c.s_pfn[a] - c.s_pfn[b]);
  const t: FolioTable = {
    n, pfn: new Float64Array(n), order: new Uint8Array(n), ref: new Int32Array(n), map: new Int32Array(n), ptemaps: new Int32Array(n),
    pin: new Int32Array(n), flags: new Int32Array(n), content: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const s = slots[i];
    t.pfn[i] = c.s_pfn[s];
    t.order[i] = c.s_order[s];
    t.ref[i] = c.s_ref[s];
    t.map[i] = c.s_map[s];
    t.ptemaps[i] = c.s_ptemaps[s];
    t.pin[i] = c.s_pin[s];
    t.flags[i] = c.s_flags[s];
    t.content[i] = c.s_content[s];
  }
  return { table: t, slots };
}

/**
 * Holders by frame. Built from the long-term pins (each listed as `longterm-pin`) and
 * then the held pins and references, in that order; a held pin already listed as a
 * long-term pin of the same holder (`result 'r'` for `T0 result 'r'`) is listed once;
 * a holder appears once per kind on a frame. `since(pfn)` gives the step of the latest
 * pin/reference event on the frame.
 *
 * Entries are single frames, or ranges of frames whose holder is named by the frame's
 * offset in the range (VFIO: the iova of each page), so a 16 GiB mapping can be one entry.
 */
export class HolderIndex {
  private names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private pfns: number[] = [];
  private ids: number[] = [];
  private kinds: number[] = [];
  private seqs: number[] = [];
  private readonly ranges: HolderRange[] = [];
  private seq = 0;
  private longDone = false;
  /** Long-term single-frame holder names by pfn (built when the first held entry comes). */
  private readonly longBy = new Map<number, number[]>();
  private sealed: {
    pfn: Float64Array; id: Int32Array; kind: Uint8Array; seq: Int32Array;
    /** Ranges by first frame, with the largest end among ranges [0..k]. */
    ranges: HolderRange[]; maxEnd: Float64Array;
  } | null = null;

  constructor(private readonly since: (pfn: number) => number | null) {}

  private static readonly KINDS: readonly Holder['kind'][] = ['longterm-pin', 'pin', 'ref'];

  private nameId(h: string): number {
    let id = this.nameIds.get(h);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(h);
      this.nameIds.set(h, id);
    }
    return id;
  }

  /** A long-term pin (before any held entry is added). */
  longterm(pfn: number, holder: string): void {
    this.point(pfn, this.nameId(holder), 0);
  }

  /**
   * Long-term pins of frames [pfn, pfn + n), the k-th named name(k). `key` identifies
   * the naming: two ranges with the same key give a frame they both cover the same name.
   */
  longtermRange(pfn: number, n: number, key: string, name: (k: number) => string): void {
    this.ranges.push({ lo: pfn, n, kind: 0, key, name, seq: this.seq++ });
  }

  private point(pfn: number, id: number, kind: number): void {
    this.pfns.push(pfn);
    this.ids.push(id);
    this.kinds.push(kind);
    this.seqs.push(this.seq++);
  }

  /** A held pin or reference (after every long-term pin). */
  held(pfn: number, holder: string, kind: 'pin' | 'ref'): void {
    if (!this.longDone) {
      this.longDone = true;
      for (let i = 0; i < this.pfns.length; i++) {
        const l = this.longBy.get(this.pfns[i]);
        if (l === undefined) this.longBy.set(this.pfns[i], [this.ids[i]]);
        else l.push(this.ids[i]);
      }
    }
    const l = this.longBy.get(pfn);
    if (l !== undefined && l.some((id) => this.names[id].endsWith(holder))) return;
    for (const r of this.ranges) if (pfn >= r.lo && pfn < r.lo + r.n && r.name(pfn - r.lo).endsWith(holder)) return;
    this.point(pfn, this.nameId(holder), kind === 'pin' ? 1 : 2);
  }

  /** Sort the entries by pfn (stable: insertion order within a frame). */
  private seal(): NonNullable<HolderIndex['sealed']> {
    if (this.sealed !== null) return this.sealed;
    const n = this.pfns.length;
    const order = new Int32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      order[i] = i;
      if (i > 0 && this.pfns[i - 1] > this.pfns[i]) sorted = false;
    }
    if (!sorted) order.sort((a, b) => this.pfns[a] - this.pfns[b] || a - b);
    const pfn = new Float64Array(n);
    const id = new Int32Array(n);
    const kind = new Uint8Array(n);
    const seq = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = order[i];
      pfn[i] = this.pfns[j];
      id[i] = this.ids[j];
      kind[i] = this.kinds[j];
      seq[i] = this.seqs[j];
    }
    const ranges = [...this.ranges].sort((a, b) => a.lo - b.lo || a.seq - b.seq);
    const maxEnd = new Float64Array(ranges.length);
    ranges.forEach((r, k) => {
      maxEnd[k] = Math.max(k > 0 ? maxEnd[k - 1] : -1, r.lo + r.n);
    });
    this.pfns = [];
    this.ids = [];
    this.kinds = [];
    this.seqs = [];
    this.longBy.clear();
    this.sealed = { pfn, id, kind, seq, ranges, maxEnd };
    return this.sealed;
  }

  /** Index of the first single-frame entry at or after pfn. */
  private firstPoint(pfn: number): number {
    const t = this.seal().pfn;
    let lo = 0;
    let hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t[mid] < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Ranges that overlap [pfn, pfn + n). */
  private rangesIn(pfn: number, n: number): HolderRange[] {
    const t = this.seal();
    const r = t.ranges;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid].lo < pfn + n) lo = mid + 1;
      else hi = mid;
    }
    const out: HolderRange[] = [];
    for (let k = lo - 1; k >= 0 && t.maxEnd[k] > pfn; k--) if (r[k].lo + r[k].n > pfn) out.push(r[k]);
    return out;
  }

  /** The holders of one frame (undefined when none). */
  of(pfn: number): Holder[] | undefined {
    const t = this.seal();
    const found: { seq: number; holder: string; kind: Holder['kind'] }[] = [];
    for (let i = this.firstPoint(pfn); i < t.pfn.length && t.pfn[i] === pfn; i++) found.push({ seq: t.seq[i], holder: this.names[t.id[i]], kind: HolderIndex.KINDS[t.kind[i]] });
    for (const r of this.rangesIn(pfn, 1)) found.push({ seq: r.seq, holder: r.name(pfn - r.lo), kind: HolderIndex.KINDS[r.kind] });
    if (found.length === 0) return undefined;
    found.sort((a, b) => a.seq - b.seq);
    const out: Holder[] = [];
    const since = this.since(pfn);
    for (const f of found) if (!out.some((x) => x.holder === f.holder && x.kind === f.kind)) out.push({ holder: f.holder, kind: f.kind, since });
    return out;
  }

  private heldFlat: number[] | null = null;

  /** The held frames as sorted, disjoint [lo, hi) pairs. */
  heldIntervals(): readonly number[] {
    if (this.heldFlat !== null) return this.heldFlat;
    const t = this.seal();
    const flat: number[] = [];
    for (let i = 0; i < t.pfn.length; i++) if (i === 0 || t.pfn[i] !== t.pfn[i - 1]) flat.push(t.pfn[i], t.pfn[i] + 1);
    for (const r of t.ranges) flat.push(r.lo, r.lo + r.n);
    return (this.heldFlat = mergeRanges(flat));
  }

  /** Does someone hold a frame in [pfn, pfn + n)? */
  holdsIn(pfn: number, n: number): boolean {
    const t = this.seal();
    const i = this.firstPoint(pfn);
    return (i < t.pfn.length && t.pfn[i] < pfn + n) || this.rangesIn(pfn, n).length > 0;
  }

  /**
   * Frames whose holder entries may differ between this index and `b`, as sorted,
   * disjoint [lo, hi) pairs: single-frame entries that are not in both, and the frames
   * covered by ranges of one index but not by a range of the same naming in the other.
   */
  differences(b: HolderIndex): number[] {
    const x = this.seal();
    const y = b.seal();
    const out: number[] = [];
    // Single-frame entries: compare the two sorted lists frame by frame.
    let i = 0;
    let j = 0;
    while (i < x.pfn.length || j < y.pfn.length) {
      const p = Math.min(i < x.pfn.length ? x.pfn[i] : Infinity, j < y.pfn.length ? y.pfn[j] : Infinity);
      const a: string[] = [];
      const c: string[] = [];
      for (; i < x.pfn.length && x.pfn[i] === p; i++) a.push(`${x.kind[i]}:${this.names[x.id[i]]}`);
      for (; j < y.pfn.length && y.pfn[j] === p; j++) c.push(`${y.kind[j]}:${b.names[y.id[j]]}`);
      if (a.join('\n') !== c.join('\n')) out.push(p, p + 1);
    }
    // Ranges: per naming (kind, key), the symmetric difference of the covered frames.
    const group = (rs: readonly HolderRange[]): Map<string, [number, number][]> => {
      const m = new Map<string, [number, number][]>();
      for (const r of rs) {
        const k = `${r.kind}:${r.key}`;
        const l = m.get(k);
        if (l === undefined) m.set(k, [[r.lo, r.lo + r.n]]);
        else l.push([r.lo, r.lo + r.n]);
      }
      return m;
    };
    const gx = group(x.ranges);
    const gy = group(y.ranges);
    for (const k of new Set([...gx.keys(), ...gy.keys()])) out.push(...symmetricDifference(gx.get(k) ?? [], gy.get(k) ?? []));
    return mergeRanges(out);
  }
}

/** A range entry of HolderIndex. */
interface HolderRange {
  readonly lo: number;
  readonly n: number;
  readonly kind: number;
  readonly key: string;
  readonly name: (k: number) => string;
  readonly seq: number;
}


/** Frames covered by exactly one of two interval lists (each [lo, hi)), as flat pairs. */
function symmetricDifference(a: readonly [number, number][], b: readonly [number, number][]): number[] {
  const ev: [number, number][] = [];
  for (const [lo, hi] of mergePairs(a)) ev.push([lo, 1], [hi, -1]);
  for (const [lo, hi] of mergePairs(b)) ev.push([lo, 2], [hi, -2]);
  ev.sort((p, q) => p[0] - q[0]);
  const out: number[] = [];
  let inA = 0;
  let inB = 0;
  let start = 0;
  let k = 0;
  while (k < ev.length) {
    const at = ev[k][0];
    const was = (inA > 0) !== (inB > 0);
    for (; k < ev.length && ev[k][0] === at; k++) {
      const d = ev[k][1];
      if (d === 1 || d === -1) inA += d;
      else inB += d / 2;
    }
    const is = (inA > 0) !== (inB > 0);
    if (!was && is) start = at;
    else if (was && !is) out.push(start, at);
  }
  return out;
}

function mergePairs(p: readonly [number, number][]): [number, number][] {
  const flat = mergeRanges(p.flat());
  const out: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** The last index j < n of an ascending array with sorted[j] <= x (0 when none is: callers ask for x >= sorted[0]). */
export function lastAtMost(sorted: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
