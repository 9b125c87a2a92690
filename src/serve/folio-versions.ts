/**
 * The folio table of every step of a `pinlab serve` run (issue 17: stepping through a
 * 16 GiB guest in well under a second), for the step record (timeline.ts).
 *
 * The table after a step is a list of chunks, each the folios whose head pfn lies in one
 * range of CHUNK_PFNS frames (FolioRows, report/frame-index.ts). What a step changed is
 * read from the mem_map journal (MemMap.touched) as slot records: the slot's new columns
 * and the pfn its folio had before the step (-1: the slot was not in use). The table
 * after step N is the table at the latest checkpoint at or before N (or the last table
 * built, when that is closer) with the records in between applied: only the chunks those
 * records name are built again (the rows of the chunk whose slot did not change, plus the
 * changed slots now in use there, in pfn order); every other chunk is shared. A checkpoint
 * is kept every CHECKPOINT_RECORDS records, so no request applies more than that many
 * records plus those of the step asked for, whatever the size of the guest or the jump.
 * Diffs between two steps skip the chunks both share (state-json.ts diffSnapshots).
 */
import type { MemMap } from '../linux/include/linux/mm_types.js';
import { FolioRows, folioTableWithSlots } from '../report/frame-index.js';
import type { FolioTable, SlotColumns } from '../report/frame-index.js';

/** Frames per chunk (4 MiB of 4 KiB pages). */
export const CHUNK_PFNS = 1024;
/** Slot records between two checkpoints of the table. */
export const CHECKPOINT_RECORDS = 32 * 1024;

/** A chunk: its folios (in pfn order) with the slot of each. */
interface Chunk extends FolioTable {
  readonly slot: Int32Array;
}

/** The table after one step: chunk numbers ascending and their chunks. */
interface Version {
  readonly step: number;
  readonly keys: readonly number[];
  readonly tabs: readonly Chunk[];
  rows?: FolioRows;
}

/** Growable typed columns of slot records. */
class SlotLog {
  n = 0;
  slot: Int32Array = new Int32Array(1024);
  prev: Float64Array = new Float64Array(1024);
  pfn: Float64Array = new Float64Array(1024);
  order: Uint8Array = new Uint8Array(1024);
  ref: Int32Array = new Int32Array(1024);
  map: Int32Array = new Int32Array(1024);
  ptemaps: Int32Array = new Int32Array(1024);
  pin: Int32Array = new Int32Array(1024);
  flags: Int32Array = new Int32Array(1024);
  content: Int32Array = new Int32Array(1024);

  push(s: number, prev: number, c: SlotColumns): void {
    if (this.n === this.slot.length) this.grow();
    const i = this.n++;
    this.slot[i] = s;
    this.prev[i] = prev;
    this.pfn[i] = c.s_pfn[s];
    this.order[i] = c.s_order[s];
    this.ref[i] = c.s_ref[s];
    this.map[i] = c.s_map[s];
    this.ptemaps[i] = c.s_ptemaps[s];
    this.pin[i] = c.s_pin[s];
    this.flags[i] = c.s_flags[s];
    this.content[i] = c.s_content[s];
  }

  /** Is the slot of record i in use after it (folioTable's rule)? */
  inUse(i: number): boolean {
    return this.ref[i] !== 0 || this.flags[i] !== 0;
  }

  private grow(): void {
    const len = this.slot.length * 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, mk: (n: number) => T): T => {
      const b = mk(len);
      b.set(a);
      return b;
    };
    const i32 = (k: number): Int32Array => new Int32Array(k);
    const f64 = (k: number): Float64Array => new Float64Array(k);
    this.slot = g(this.slot, i32);
    this.prev = g(this.prev, f64);
    this.pfn = g(this.pfn, f64);
    this.order = g(this.order, (k) => new Uint8Array(k));
    this.ref = g(this.ref, i32);
    this.map = g(this.map, i32);
    this.ptemaps = g(this.ptemaps, i32);
    this.pin = g(this.pin, i32);
    this.flags = g(this.flags, i32);
    this.content = g(this.content, i32);
  }

  bytes(): number {
    return this.slot.length * (4 * 8 + 16 + 1);
  }
}

/** The columns of a chunk row or a slot record. */
type RowColumns = Pick<Chunk, 'slot' | 'pfn' | 'order' | 'ref' | 'map' | 'ptemaps' | 'pin' | 'flags' | 'content'>;

/** Row r of chunk c = row j of `src`. */
function copyRow(c: Chunk, r: number, src: RowColumns, j: number): void {
  c.slot[r] = src.slot[j];
  c.pfn[r] = src.pfn[j];
  c.order[r] = src.order[j];
  c.ref[r] = src.ref[j];
  c.map[r] = src.map[j];
  c.ptemaps[r] = src.ptemaps[j];
  c.pin[r] = src.pin[j];
  c.flags[r] = src.flags[j];
  c.content[r] = src.content[j];
}

function emptyChunk(n: number): Chunk {
  return {
    n, slot: new Int32Array(n), pfn: new Float64Array(n), order: new Uint8Array(n), ref: new Int32Array(n), map: new Int32Array(n),
    ptemaps: new Int32Array(n), pin: new Int32Array(n), flags: new Int32Array(n), content: new Int32Array(n),
  };
}

export class FolioVersions {
  private readonly log = new SlotLog();
  /** stepStart[s]: the first record of step s (s >= 1); records of step s are [stepStart[s], stepStart[s + 1]). */
  private stepStart: number[] = [0, 0];
  /** Per slot, the head pfn of its folio now (-1: not in use), as the records go. */
  private cur = new Float64Array(0);
  /** Checkpoints by step, ascending (the first is step 0). */
  private cps: Version[] = [];
  /** Where the next checkpoint goes (its first record number). */
  private nextCp: number;
  /** The last version built (requests often go on from there). */
  private last: Version | null = null;
  private steps = 0;
  /** apply()'s per-slot scratch (all zero between calls). */
  private lastOf = new Int32Array(0);

  private readonly chunkPfns: number;
  private readonly every: number;

  /** The table after set-up (step 0), from the live mem_map; `opts` for tests (small chunks, close checkpoints). */
  constructor(mem: Pick<MemMap, 'slot_top'> & SlotColumns, opts: { readonly chunkPfns?: number; readonly checkpointRecords?: number } = {}) {
    this.chunkPfns = opts.chunkPfns ?? CHUNK_PFNS;
    this.every = opts.checkpointRecords ?? CHECKPOINT_RECORDS;
    this.nextCp = this.every;
    const chunkOf = (pfn: number): number => this.chunkOf(pfn);
    const top = mem.slot_top;
    const { table, slots } = folioTableWithSlots(mem, top);
    this.cur = new Float64Array(Math.max(1024, top)).fill(-1);
    for (let i = 0; i < table.n; i++) this.cur[slots[i]] = table.pfn[i];
    // Split the flat table into chunks: views of its columns (no copy; chunks never change).
    const keys: number[] = [];
    const tabs: Chunk[] = [];
    let i = 0;
    while (i < table.n) {
      const k = chunkOf(table.pfn[i]);
      let e = i;
      while (e < table.n && chunkOf(table.pfn[e]) === k) e++;
      tabs.push({
        n: e - i, slot: slots.subarray(i, e), pfn: table.pfn.subarray(i, e), order: table.order.subarray(i, e), ref: table.ref.subarray(i, e),
        map: table.map.subarray(i, e), ptemaps: table.ptemaps.subarray(i, e), pin: table.pin.subarray(i, e), flags: table.flags.subarray(i, e),
        content: table.content.subarray(i, e),
      });
      keys.push(k);
      i = e;
    }
    this.cps = [{ step: 0, keys, tabs }];
  }

  private chunkOf(pfn: number): number {
    return Math.floor(pfn / this.chunkPfns);
  }

  /** Records so far. */
  get records(): number {
    return this.log.n;
  }

  /** After step `step`: record the slots it touched (each once, ascending slot numbers not required). */
  step(step: number, mem: Pick<MemMap, 'slot_top'> & SlotColumns, touched: Iterable<number>): void {
    for (const s of touched) {
      if (s >= this.cur.length) {
        const c = new Float64Array(Math.max(s + 1, this.cur.length * 2)).fill(-1);
        c.set(this.cur);
        this.cur = c;
      }
      this.log.push(s, this.cur[s], mem);
      const i = this.log.n - 1;
      this.cur[s] = this.log.inUse(i) ? this.log.pfn[i] : -1;
    }
    while (this.stepStart.length <= step) this.stepStart.push(this.log.n);
    this.stepStart[step + 1] = this.log.n;
    this.steps = step;
  }

  /** The run ended after `steps` steps. */
  finish(steps: number): void {
    while (this.stepStart.length <= steps + 1) this.stepStart.push(this.log.n);
    this.steps = Math.max(this.steps, steps);
  }

  /** Records of steps [1, step] (the end of step `step`). */
  private end(step: number): number {
    return this.stepStart[step + 1] ?? this.log.n;
  }

  /** The folio table after step `step`. */
  at(step: number): FolioRows {
    const v = this.version(step);
    return (v.rows ??= new FolioRows(v.tabs));
  }

  private version(step: number): Version {
    // Checkpoints up to this step, each from the one before.
    let cp = this.cps[this.cps.length - 1];
    while (cp.step < step && this.end(step) >= this.nextCp) {
      // The first step whose end reaches the next checkpoint's record number.
      let lo = cp.step + 1;
      let hi = step;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.end(mid) >= this.nextCp) hi = mid;
        else lo = mid + 1;
      }
      cp = this.apply(this.nearest(lo), lo);
      this.cps.push(cp);
      this.nextCp = this.end(lo) + this.every;
    }
    const v = this.apply(this.nearest(step), step);
    this.last = v;
    return v;
  }

  /** The version to build step `step` from: the latest checkpoint at or before it, or the last one built when closer. */
  private nearest(step: number): Version {
    let lo = 0;
    let hi = this.cps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cps[mid].step <= step) lo = mid;
      else hi = mid - 1;
    }
    const cp = this.cps[lo];
    const l = this.last;
    return l !== null && l.step <= step && l.step >= cp.step ? l : cp;
  }

  /** `v` with the records of steps (v.step, step] applied. */
  private apply(v: Version, step: number): Version {
    if (v.step === step) return v;
    const l = this.log;
    const from = this.end(v.step);
    const to = this.end(step);
    if (from === to) return { step, keys: v.keys, tabs: v.tabs, ...(v.rows === undefined ? {} : { rows: v.rows }) };
    // The last record of each changed slot (lastOf[slot] = record + 1, reset below); the chunks the slots left or entered.
    const lastOf = this.lastOf.length >= this.cur.length ? this.lastOf : (this.lastOf = new Int32Array(this.cur.length));
    const changed: number[] = [];
    const affected = new Set<number>();
    let lastK = NaN;
    const touch = (k: number): void => {
      if (k !== lastK) affected.add((lastK = k));
    };
    for (let i = from; i < to; i++) {
      const sl = l.slot[i];
      if (lastOf[sl] === 0) changed.push(sl);
      lastOf[sl] = i + 1;
      if (l.prev[i] >= 0) touch(this.chunkOf(l.prev[i]));
      if (l.inUse(i)) touch(this.chunkOf(l.pfn[i]));
    }
    const adds = new Map<number, number[]>();
    for (const sl of changed) {
      const i = lastOf[sl] - 1;
      if (!l.inUse(i)) continue;
      const k = this.chunkOf(l.pfn[i]);
      const a = adds.get(k);
      if (a === undefined) adds.set(k, [i]);
      else a.push(i);
    }
    const index = new Map<number, number>();
    v.keys.forEach((k, i) => {
      if (affected.has(k)) index.set(k, i);
    });
    const rebuilt = new Map<number, Chunk | null>();
    for (const k of affected) {
      const at = index.get(k);
      rebuilt.set(k, this.rebuild(at === undefined ? null : v.tabs[at], lastOf, adds.get(k) ?? []));
    }
    for (const sl of changed) lastOf[sl] = 0;
    // Merge the rebuilt chunks into the key list (new chunks inserted, emptied ones dropped).
    const keys: number[] = [];
    const tabs: Chunk[] = [];
    const fresh = [...affected].filter((k) => !index.has(k)).sort((a, b) => a - b);
    let f = 0;
    const put = (k: number, c: Chunk | null): void => {
      if (c === null) return;
      keys.push(k);
      tabs.push(c);
    };
    for (let i = 0; i < v.keys.length; i++) {
      const k = v.keys[i];
      for (; f < fresh.length && fresh[f] < k; f++) put(fresh[f], rebuilt.get(fresh[f]) ?? null);
      put(k, rebuilt.has(k) ? rebuilt.get(k) ?? null : v.tabs[i]);
    }
    for (; f < fresh.length; f++) put(fresh[f], rebuilt.get(fresh[f]) ?? null);
    return { step, keys, tabs };
  }

  /** A chunk again: its rows whose slot has no record, and the records `adds` (slots now in use here); null when empty. */
  private rebuild(old: Chunk | null, lastOf: Int32Array, adds: number[]): Chunk | null {
    const l = this.log;
    const keep: number[] = [];
    if (old !== null) for (let j = 0; j < old.n; j++) if (lastOf[old.slot[j]] === 0) keep.push(j);
    const n = keep.length + adds.length;
    if (n === 0) return null;
    adds.sort((a, b) => l.pfn[a] - l.pfn[b]);
    const c = emptyChunk(n);
    let a = 0;
    let k = 0;
    for (let r = 0; r < n; r++) {
      const fromOld = k < keep.length && (a >= adds.length || (old as Chunk).pfn[keep[k]] <= l.pfn[adds[a]]);
      if (fromOld) copyRow(c, r, old as Chunk, keep[k++]);
      else copyRow(c, r, l, adds[a++]);
    }
    return c;
  }

  /** Bytes held: the record columns and the checkpoints' chunks (each chunk once). */
  bytes(): number {
    const seen = new Set<Chunk>();
    let n = this.log.bytes() + this.cur.length * 8;
    for (const v of this.cps) for (const c of v.tabs) if (!seen.has(c)) {
      seen.add(c);
      n += c.n * 37;
    }
    return n;
  }
}
