/**
 * MODEL (no kernel counterpart): the world objects the explorer's footprints track one by
 * one (src/scenario/access-footprint.ts), their values at a step boundary, and the hooks
 * through which the model reports reading them.
 *
 * Objects and ids (small strings, deterministic for a run: slot numbers and mm ids are
 * assigned in the order the run's own steps ask for them):
 *
 * - `f<slot>`: a folio of the mem_map — its refcount, mapcount(s), pincount, flags,
 *   mapping, index and content. Its pfn and order are NOT part of it: they stay in the
 *   rest of the world (allocation, freeing, splitting change `world`).
 * - `p<mm>.<key>.<i>`: one PTE of mm `<mm>` (key = address / 2 MiB, i = index in the
 *   table); `p<mm>.<key>` stands for the whole PTE table, `p<mm>` for all of them. Which
 *   tables exist, PMD and PUD leaves stay in the rest of the world.
 * - everything else is `world` (src/scenario/access-footprint.ts).
 *
 * An id is *covered by* another when it equals it or extends it at a `.` (`p1.3.7` is
 * covered by `p1.3` and `p1`): dependence compares ids up to that (src/explore/dpor.ts).
 *
 * Writes are FOUND: `ObjectValues.diff` compares every tracked object's value before and
 * after a step, so a write cannot be missed. Reads are REPORTED by the model's lookups, in
 * tracked runs only (ReadHooks swaps the reporting subclasses of src/linux/mm/read_report.ts
 * onto the run's own MemMap and page tables): `MemMap.peek_slot` (every folio lookup by pfn, slot_of included)
 * and `pmd_map` (get() and iteration report whole tables; pt_walk, pte_at and set_pte_at
 * report the one PTE they read through `read_pte`). A read the model makes without a lookup in the same step (a slot or a PTE table
 * kept across a scheduling point) is not reported: tests/soundness/footprint-diamond.test.ts
 * executes both orders of steps the footprints call independent and compares the states.
 *
 * The fingerprint with `fingerprintMask.precise` (src/linux/mm/fingerprint.ts) leaves out
 * exactly these objects' values, so `world` changes exactly when something else changes.
 */
import type { Machine } from '../linux/machine.js';
import type { pmd_map, pte_table } from '../linux/include/linux/mm_types.js';
import { mem_map_report_reads, pmd_map_report_reads } from '../linux/mm/read_report.js';
import type { AccessLog, Sched } from '../sched/index.js';

/** Fields of a folio slot that make its value (in this order). */
const FIELDS = 8;

/**
 * Tracked objects besides folios and PTEs (the scenario's per-thread state,
 * src/scenario/thread-footprint.ts; mm counters, src/scenario/counter-footprint.ts): their
 * ids now, in a canonical order, and how to read each one's value. Their writes are found
 * like the folios' (values compared); their reads are reported by their owner.
 */
export interface ExtraObjects {
  /** The ids of the objects that exist now (the array may be reused while they do not change). */
  ids(): readonly string[];
  /** The value of object `ids()[i]` now (of the last ids() call), read without reporting. */
  value(i: number): string;
}

/** Several sets of extra objects as one. */
export function extraObjects(parts: readonly ExtraObjects[]): ExtraObjects {
  /** Per entry of `ids`: its part and its index in that part's ids. */
  let part: number[] = [];
  let local: number[] = [];
  let ids: string[] = [];
  return {
    ids(): readonly string[] {
      const next: string[] = [];
      part = [];
      local = [];
      parts.forEach((p, k) => {
        p.ids().forEach((id, j) => {
          next.push(id);
          part.push(k);
          local.push(j);
        });
      });
      let same = next.length === ids.length;
      for (let i = 0; same && i < next.length; i++) same = next[i] === ids[i];
      if (!same) ids = next;
      return ids;
    },
    value(i: number): string {
      return parts[part[i]].value(local[i]);
    },
  };
}

/** The values of the tracked objects at one step boundary. */
export class ObjectValues {
  /** The values of the extra objects (`extraIds[i]`: `extras[i]`). */
  extras: string[] = [];
  extraIds: readonly string[] = [];
  /** Per slot, FIELDS numbers (slot s at s * FIELDS); NaN in the first: no folio. */
  folios = new Float64Array(0);
  top = 0;
  /** PTE tables by `<mm>.<key>`: a copy of their entries. */
  readonly tables = new Map<string, Float64Array>();

  /** Take the values of machine `m` and of the `extra` objects now (reusing this object's storage). */
  take(m: Machine, extra: ExtraObjects | null = null): void {
    if (extra !== null) {
      const ids = extra.ids();
      this.extraIds = ids;
      for (let i = 0; i < ids.length; i++) this.extras[i] = extra.value(i);
      this.extras.length = ids.length;
    }
    const mem = m.mem;
    const top = mem.slot_top;
    if (this.folios.length < top * FIELDS) this.folios = new Float64Array(Math.max(top * FIELDS, this.folios.length * 2));
    const f = this.folios;
    const { s_ref: ref, s_map: map, s_ptemaps: ptemaps, s_pin: pin, s_flags: flags, s_mapping: mapping, s_index: index, s_content: content } = mem;
    for (let s = 1; s < top; s++) {
      const o = s * FIELDS;
      // The fingerprint's free-slot test (mm/fingerprint.ts): such a slot has no folio.
      if (ref[s] === 0 && flags[s] === 0) {
        f[o] = NaN;
        continue;
      }
      f[o] = ref[s];
      f[o + 1] = map[s];
      f[o + 2] = ptemaps[s];
      f[o + 3] = pin[s];
      f[o + 4] = flags[s];
      f[o + 5] = mapping[s];
      f[o + 6] = index[s];
      f[o + 7] = content[s];
    }
    this.top = top;
    const seen = new Set<string>();
    for (const mm of m.mms) {
      for (const [k, v] of mapEntries(mm.pgd.pmd)) {
        if (typeof v === 'number') continue;
        const id = `${mm.id}.${k}`;
        seen.add(id);
        const prev = this.tables.get(id);
        if (prev === undefined) this.tables.set(id, Float64Array.from((v as pte_table).pte));
        else prev.set((v as pte_table).pte);
      }
    }
    if (seen.size !== this.tables.size) for (const id of [...this.tables.keys()]) if (!seen.has(id)) this.tables.delete(id);
  }

  /** A digest of every tracked object's value (part of the state key: with the rest of the world, the whole world). */
  hash(): string {
    let a = 0x811c9dc5 | 0;
    let b = 0x01000193 | 0;
    const mix = (x: number): void => {
      const lo = x | 0;
      const hi = Math.floor(x / 4294967296) | 0;
      a = Math.imul(a ^ lo, 0x01000193);
      b = Math.imul(b ^ hi, 0x5bd1e995) ^ lo;
    };
    const f = this.folios;
    for (let s = 1; s < this.top; s++) {
      const o = s * FIELDS;
      if (Number.isNaN(f[o])) continue;
      mix(s);
      for (let i = 0; i < FIELDS; i++) mix(f[o + i]);
    }
    mix(-1);
    const ids = [...this.tables.keys()];
    if (ids.length > 1) ids.sort();
    for (const id of ids) {
      for (let i = 0; i < id.length; i++) mix(id.charCodeAt(i));
      const t = this.tables.get(id) as Float64Array;
      for (let i = 0; i < t.length; i++) {
        if (t[i] === 0) continue;
        mix(i);
        mix(t[i]);
      }
      mix(-2);
    }
    for (let k = 0; k < this.extras.length; k++) {
      const id = this.extraIds[k];
      for (let i = 0; i < id.length; i++) mix(id.charCodeAt(i));
      const x = this.extras[k];
      mix(x.length);
      for (let i = 0; i < x.length; i++) mix(x.charCodeAt(i));
    }
    return `${(a >>> 0).toString(16)}.${(b >>> 0).toString(16)}`;
  }

  /** The value of a folio slot as a string (for history keys); '' when none. */
  folio(s: number): string {
    if (s >= this.top) return '';
    const o = s * FIELDS;
    if (Number.isNaN(this.folios[o])) return '';
    let out = '';
    for (let i = 0; i < FIELDS; i++) out += `${this.folios[o + i]},`;
    return out;
  }

  /** The value of object `id` ('' when absent): a folio, a PTE, a PTE table, an mm's tables or an extra object (and its covered ones). */
  value(id: string): string {
    if (id.charCodeAt(0) === 102 /* f */) return this.folio(Number(id.slice(1)));
    if (id.charCodeAt(0) !== 112 /* p */) {
      let out = '';
      const ids = this.extraIds;
      for (let i = 0; i < ids.length; i++) if (ids[i] === id || ids[i].startsWith(`${id}.`)) out += `${ids[i]}:${this.extras[i]};`;
      return out;
    }
    const parts = id.slice(1).split('.');
    if (parts.length === 3) {
      const t = this.tables.get(`${parts[0]}.${parts[1]}`);
      return t === undefined ? '' : String(t[Number(parts[2])]);
    }
    if (parts.length === 2) return tableValue(this.tables.get(id.slice(1)));
    let out = '';
    const pre = `${parts[0]}.`;
    for (const k of [...this.tables.keys()].sort()) if (k.startsWith(pre)) out += `${k}:${tableValue(this.tables.get(k))};`;
    return out;
  }

  /** Ids of the tracked objects whose value differs between `before` and `after`. */
  static diff(before: ObjectValues, after: ObjectValues, out: string[]): void {
    const top = Math.max(before.top, after.top);
    const a = before.folios;
    const b = after.folios;
    for (let s = 1; s < top; s++) {
      const o = s * FIELDS;
      const na = s >= before.top || Number.isNaN(a[o]);
      const nb = s >= after.top || Number.isNaN(b[o]);
      if (na && nb) continue;
      let same = na === nb;
      for (let i = 0; same && i < FIELDS; i++) same = a[o + i] === b[o + i];
      if (!same) out.push(`w:f${s}`);
    }
    for (const [id, t] of after.tables) {
      const u = before.tables.get(id);
      for (let i = 0; i < t.length; i++) if ((u === undefined ? 0 : u[i]) !== t[i]) out.push(`w:p${id}.${i}`);
    }
    for (const [id, u] of before.tables) {
      if (after.tables.has(id)) continue;
      for (let i = 0; i < u.length; i++) if (u[i] !== 0) out.push(`w:p${id}.${i}`);
    }
    const ids = after.extraIds;
    if (ids === before.extraIds) {
      for (let i = 0; i < ids.length; i++) if (before.extras[i] !== after.extras[i]) out.push(`w:${ids[i]}`);
      return;
    }
    // The objects changed (an mm created or gone): compare by id.
    const was = new Map<string, string>();
    before.extraIds.forEach((id, i) => was.set(id, before.extras[i]));
    for (let i = 0; i < ids.length; i++) {
      if (was.get(ids[i]) !== after.extras[i]) out.push(`w:${ids[i]}`);
      was.delete(ids[i]);
    }
    for (const id of was.keys()) out.push(`w:${id}`);
  }
}

function tableValue(t: Float64Array | undefined): string {
  if (t === undefined) return '';
  let out = '';
  for (let i = 0; i < t.length; i++) if (t[i] !== 0) out += `${i}=${t[i]},`;
  return out;
}

/** A pmd_map's entries without reporting a read (the explorer is not a step). */
function mapEntries(map: pmd_map): IterableIterator<[number, number | pte_table]> {
  return Map.prototype.entries.call(map) as IterableIterator<[number, number | pte_table]>;
}

/**
 * The read hooks of machine `m` for the steps of `sched`, recording into `log`: the
 * machine's MemMap and the page tables of its mms become reporting subclasses (read_report.ts)
 * (this run's objects only: nothing process-wide). Reads are recorded only while a thread
 * runs (the checker and the explorer read too).
 *
 * A page table is reported from the first register() that sees its mm. A step that creates
 * an mm (one that a later register() sees for the first time) read that mm's tables
 * unreported, so it is marked unknown.
 */
export class ReadHooks {
  /** Which mm each page table belongs to (refreshed by register()). */
  private readonly owner = new WeakMap<pmd_map, number>();
  private readonly reportTable: (map: pmd_map, key: number, index: number) => void;
  private registered = false;

  constructor(
    private readonly m: Machine,
    sched: Sched,
    private readonly log: AccessLog,
  ) {
    const { owner } = this;
    mem_map_report_reads(m.mem, (s: number): void => {
      if (s !== 0 && sched.inThread) log.read(`f${s}`);
    });
    this.reportTable = (map: pmd_map, key: number, i: number): void => {
      if (!sched.inThread) return;
      const mm = owner.get(map) as number;
      log.read(key < 0 ? `p${mm}` : i < 0 ? `p${mm}.${key}` : `p${mm}.${key}.${i}`);
    };
  }

  /** Learn the page tables of the machine's live mms (call at every step boundary the footprints use). */
  register(): void {
    for (const mm of this.m.mms) {
      const map = mm.pgd.pmd;
      if (this.owner.has(map)) continue;
      if (this.registered) this.log.markUnknown('a page table of an mm created within the step');
      pmd_map_report_reads(map, this.reportTable);
      this.owner.set(map, mm.id);
    }
    this.registered = true;
  }
}
