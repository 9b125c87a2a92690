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

/** The folios in use among slots 1..top-1 (a slot is in use while its refcount or flags are non-zero), by head pfn. */
export function folioTable(c: SlotColumns, top: number): FolioTable {
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
  return t;
}

/** One pin or reference as the holder lists are built from (check/invariants.ts LongtermPin / HeldPin). */
export interface HeldEntry {
  readonly pfn: number;
  readonly holder: string;
}

/**
 * Holders by frame. Built from the long-term pins (each listed as `longterm-pin`) and
 * then the held pins and references, in that order; a held pin already listed as a
 * long-term pin of the same holder (`result 'r'` for `T0 result 'r'`) is listed once;
 * a holder appears once per kind on a frame. `since(pfn)` gives the step of the latest
 * pin/reference event on the frame.
 */
export class HolderIndex {
  private names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  private pfns: number[] = [];
  private ids: number[] = [];
  private kinds: number[] = [];
  /** Long-term holder names by pfn, for the held-after-long-term rule (only pfns that have held entries are asked). */
  private readonly longBy = new Map<number, number[]>();
  private longCount = 0;
  private sealed: { pfn: Float64Array; id: Int32Array; kind: Uint8Array; held: Float64Array } | null = null;

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
    this.pfns.push(pfn);
    this.ids.push(this.nameId(holder));
    this.kinds.push(0);
    this.longCount++;
  }

  /** A held pin or reference (after every long-term pin). */
  held(pfn: number, holder: string, kind: 'pin' | 'ref'): void {
    if (this.longCount > 0 && this.longBy.size === 0) this.indexLongterm();
    const l = this.longBy.get(pfn);
    if (l !== undefined && l.some((id) => this.names[id].endsWith(holder))) return;
    this.pfns.push(pfn);
    this.ids.push(this.nameId(holder));
    this.kinds.push(kind === 'pin' ? 1 : 2);
  }

  private indexLongterm(): void {
    for (let i = 0; i < this.longCount; i++) {
      const l = this.longBy.get(this.pfns[i]);
      if (l === undefined) this.longBy.set(this.pfns[i], [this.ids[i]]);
      else l.push(this.ids[i]);
    }
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
    let distinct = 0;
    for (let i = 0; i < n; i++) {
      const j = order[i];
      pfn[i] = this.pfns[j];
      id[i] = this.ids[j];
      kind[i] = this.kinds[j];
      if (i === 0 || pfn[i] !== pfn[i - 1]) distinct++;
    }
    const held = new Float64Array(distinct);
    let k = 0;
    for (let i = 0; i < n; i++) if (i === 0 || pfn[i] !== pfn[i - 1]) held[k++] = pfn[i];
    this.pfns = [];
    this.ids = [];
    this.kinds = [];
    this.longBy.clear();
    this.sealed = { pfn, id, kind, held };
    return this.sealed;
  }

  /** Distinct held pfns, ascending. */
  heldPfns(): Float64Array {
    return this.seal().held;
  }

  /** The holders of one frame (undefined when none). */
  of(pfn: number): Holder[] | undefined {
    const t = this.seal();
    let lo = 0;
    let hi = t.pfn.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t.pfn[mid] < pfn) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= t.pfn.length || t.pfn[lo] !== pfn) return undefined;
    const out: Holder[] = [];
    let since: number | null | undefined;
    for (let i = lo; i < t.pfn.length && t.pfn[i] === pfn; i++) {
      const holder = this.names[t.id[i]];
      const kind = HolderIndex.KINDS[t.kind[i]];
      if (out.some((x) => x.holder === holder && x.kind === kind)) continue;
      if (since === undefined) since = this.since(pfn);
      out.push({ holder, kind, since });
    }
    return out;
  }

  /** Does someone hold a frame in [pfn, pfn + n)? */
  holdsIn(pfn: number, n: number): boolean {
    const h = this.heldPfns();
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h[mid] < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo < h.length && h[lo] < pfn + n;
  }
}
