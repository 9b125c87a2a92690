/**
 * The mem_map journal audit: run a scenario and, after every step, compare what changed in
 * the mem_map (a snapshot of every slot's columns and of the subpage maps, diffed against the
 * one taken after the step before) with the mem_map journal (MemMap.touched / freed) that
 * step left. Every slot whose contents changed must be in `touched`, or be a dropped folio
 * (its frames in `freed`): the incremental checker (src/check/engine.ts) and pinlab serve's
 * folio versions (src/serve/folio-versions.ts) see only what the journal lists.
 *
 * The run's checker is left out (nothing reads the machine between steps but the audit, which
 * reads it without journaling), so the journal holds what the model's own code resolved.
 */
import type { Scenario } from '../../src/scenario/ast.js';
import { buildWorld } from '../../src/scenario/run.js';
import type { World } from '../../src/scenario/run.js';
import type { Profile } from '../../src/profiles/index.js';
import type { Chooser } from '../../src/sched/chooser.js';
import type { Atomicity } from '../../src/linux/machine.js';
import type { MemMap } from '../../src/linux/include/linux/mm_types.js';
import { forEachTouched } from '../../src/linux/include/linux/mm_types.js';

const COLUMNS = ['s_pfn', 's_order', 's_ref', 's_map', 's_ptemaps', 's_pin', 's_flags', 's_mapping', 's_index', 's_content'] as const;
const SUBS = ['sub_map', 'sub_flags', 'sub_content'] as const;

/** A slot that changed in a step without being journaled. */
export interface Unjournaled {
  readonly step: number;
  /** The thread that made the step (its name), or '' for none. */
  readonly thread: string;
  readonly slot: number;
  readonly pfn: number;
  /** What changed: `s_ref 1 → 513`, `sub_map[pfn:4100] 1 → 0`, ... */
  readonly what: string;
}

interface Snapshot {
  readonly top: number;
  readonly cols: Record<(typeof COLUMNS)[number], ArrayLike<number>>;
  readonly live: boolean[];
  readonly subs: Record<(typeof SUBS)[number], Map<number, number>>;
}

function snapshot(mem: MemMap): Snapshot {
  const top = mem.slot_top;
  const cols = {} as Record<(typeof COLUMNS)[number], ArrayLike<number>>;
  for (const c of COLUMNS) cols[c] = mem[c].slice(0, top);
  const live: boolean[] = [];
  for (let s = 0; s < top; s++) live.push(s > 0 && mem.peek_slot(mem.s_pfn[s]) === s);
  const subs = Object.fromEntries(SUBS.map((c) => [c, new Map(mem[c])])) as Snapshot['subs'];
  return { top, cols, live, subs };
}

/** The slots (and how) that differ between two snapshots; a slot free in both (not live) is not compared. */
function changes(mem: MemMap, a: Snapshot, b: Snapshot): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (s: number, what: string): void => {
    let l = out.get(s);
    if (l === undefined) out.set(s, (l = []));
    l.push(what);
  };
  for (let s = 1; s < b.top; s++) {
    const wasLive = s < a.top && a.live[s];
    if (!wasLive && !b.live[s]) continue;
    if (wasLive !== b.live[s]) {
      add(s, b.live[s] ? 'became live' : 'dropped');
      continue;
    }
    for (const c of COLUMNS) {
      const x = a.cols[c][s];
      const y = b.cols[c][s];
      if (x !== y) add(s, `${c} ${x} → ${y}`);
    }
  }
  for (const c of SUBS) {
    const [x, y] = [a.subs[c], b.subs[c]];
    const keys = new Set([...x.keys(), ...y.keys()]);
    for (const pfn of keys) {
      const [u, v] = [x.get(pfn) ?? 0, y.get(pfn) ?? 0];
      if (u === v) continue;
      // The folio that covers the frame now (else the one that did: a dropped folio's subpage state goes with it).
      let s = mem.peek_slot(pfn);
      if (s === 0) {
        for (let t = 1; t < a.top; t++) {
          const p0 = a.cols.s_pfn[t];
          if (a.live[t] && pfn >= p0 && pfn < p0 + 2 ** a.cols.s_order[t]) s = t;
        }
      }
      add(s, `${c}[pfn:${pfn}] ${u} → ${v}`);
    }
  }
  return out;
}

export interface AuditOptions {
  readonly chooser: Chooser;
  /** Record object events (the model takes its batched paths only without them). */
  readonly recordEvents: boolean;
  readonly atomicity?: Atomicity;
  readonly maxSteps?: number;
}

/** Run `s` on `profile`; the changes of each step that its journal missed (empty: every change was journaled). */
export function auditJournal(s: Scenario, profile: Profile, o: AuditOptions): { steps: number; changed: number; missed: Unjournaled[] } {
  let w: World | null = null;
  let prev: Snapshot | null = null;
  const missed: Unjournaled[] = [];
  let changed = 0;
  const look = (): void => {
    const ww = w as World;
    const mem = ww.m.mem;
    const [touched, freed] = [mem.touched as number[], mem.freed as number[]];
    // The audit's own reads (peek_slot only) journal nothing; switch the journal off all the same.
    mem.touched = null;
    mem.freed = null;
    const now = snapshot(mem);
    const seen = new Set<number>();
    forEachTouched(touched, (x) => seen.add(x));
    const gone = (s: number): boolean => {
      const pfn = (prev as Snapshot).cols.s_pfn[s];
      for (let j = 0; j < freed.length; j += 2) if (pfn >= freed[j] && pfn < freed[j + 1]) return true;
      return false;
    };
    const last = ww.sched.lastRan;
    const thread = last === null ? '' : ww.sched.threadName(last);
    for (const [s, what] of changes(mem, prev as Snapshot, now)) {
      changed++;
      if (seen.has(s)) continue;
      if (s < (prev as Snapshot).top && (prev as Snapshot).live[s] && !now.live[s] && gone(s)) continue;
      missed.push({ step: ww.sched.stepCount, thread, slot: s, pfn: s < now.top ? mem.s_pfn[s] : -1, what: what.join(', ') });
    }
    prev = now;
    mem.touched = touched;
    mem.freed = freed;
    mem.journal_clear();
  };
  w = buildWorld(s, profile, {
    chooser: o.chooser,
    maxSteps: o.maxSteps ?? 20_000,
    afterStep: () => {
      look();
      return false;
    },
    afterStepAllowsMerge: true,
  }, { checkMode: 'rescan', recordEvents: o.recordEvents, ...(o.atomicity !== undefined ? { atomicity: o.atomicity } : {}) });
  if (w.setupError !== null) return { steps: 0, changed, missed };
  w.m.mem.journal_start();
  prev = snapshot(w.m.mem);
  const r = w.sched.run();
  look();
  return { steps: r.steps, changed, missed };
}
