/**
 * The checker: evaluates the invariants after steps and at the end of a run, and
 * turns findings into violation records with histories.
 *
 * For the explorer (src/explore/explore.ts `ExploreRun`):
 *   `check()`  → ids of `step` invariants violated now (fast path, no histories);
 *   `finish(r)` → ids violated at the end of a run (`end` and `sched` invariants too).
 * For reports: `violations(r)` → full records with object histories, kernel BUG/WARN
 * reports and model limitations.
 *
 * A step may run more than one scenario operation (a thread that meets no scheduling
 * point between them, e.g. one that runs alone): the world between two of them is a
 * state the machine passed through, which the end of the step no longer shows (a long-term
 * pin the next operation releases). `opEnd()` checks the step invariants there; what it
 * finds is reported by the next `check()` / `observe()` of the same step, as that step's.
 */
import type { Machine } from '../linux/machine.js';
import type { RunResult, Sched, ThreadId } from '../sched/index.js';
import type { InvariantId } from './ids.js';
import { historyOf } from './history.js';
import type { CheckWorld, InvariantDef } from './invariants.js';
import { INVARIANTS } from './invariants.js';
import type { Finding, Violation } from './violation.js';
import type { OtherPins } from './engine.js';
import { INCREMENTAL_IDS, IncrementalSteps } from './engine.js';
import { dmaMappedPages } from './vfio.js';

const EMPTY: readonly InvariantId[] = [];
const INCREMENTAL: ReadonlySet<InvariantId> = new Set(INCREMENTAL_IDS);
const ALL_STEP_DEFS: readonly InvariantDef[] = INVARIANTS.filter((d) => d.when === 'step');
const ALL_END_DEFS: readonly InvariantDef[] = INVARIANTS.filter((d) => d.when !== 'step');

/**
 * How step invariants are evaluated: from what each step changed, by a full rescan, or
 * (auto) by a rescan while the machine is small — cheaper there — and incrementally from
 * the step at which it has more than AUTO_SLOTS folios or IOMMU-mapped pages on.
 */
export type CheckMode = 'incremental' | 'rescan' | 'auto';
const AUTO_SLOTS = 4096;

export class Checker {
  private readonly stepDefs: readonly InvariantDef[];
  private readonly endDefs: readonly InvariantDef[];
  /** The first finding per invariant and the step it was seen at (recorded by `observe()`). */
  private readonly first = new Map<InvariantId, { finding: Finding; step: number }>();
  /** The incremental checker (a world that lists its other pin holders, in incremental mode), else null. */
  private readonly engine: IncrementalSteps | null;
  /** Findings at operation ends inside the running step (`opEnd`), and that step's number; null when none. */
  private mid: { step: number; found: Map<InvariantId, Finding> } | null = null;

  constructor(readonly world: CheckWorld, enabled: readonly InvariantId[] | null = null, mode: CheckMode = 'incremental') {
    if (enabled === null) {
      // PERF: every invariant (the explorer builds one checker per run): split once.
      this.stepDefs = ALL_STEP_DEFS;
      this.endDefs = ALL_END_DEFS;
    } else {
      this.stepDefs = INVARIANTS.filter((d) => d.when === 'step' && enabled.includes(d.id));
      this.endDefs = INVARIANTS.filter((d) => d.when !== 'step' && enabled.includes(d.id));
    }
    const other = world as Partial<OtherPins>;
    this.engine = mode !== 'rescan' && typeof other.before === 'function' && typeof other.after === 'function' ? new IncrementalSteps(world.m, other as OtherPins) : null;
    this.engineOn = mode === 'incremental';
  }

  /** Whether the incremental checker answers now (auto mode turns it on for good once the machine is large). */
  private engineOn: boolean;

  /** Whether the incremental checker is on (it then empties the machine's journals after reading them at each step). */
  get incremental(): boolean {
    return this.engine !== null && this.engineOn;
  }

  /**
   * The first finding of a step invariant now, or null: from the incremental checker
   * for the invariants it maintains (as of the last `refresh()`), else by the
   * invariant's own full check.
   */
  private stepFinding(d: InvariantDef): Finding | null {
    // The checker's reads are not what a step changed: with the mem_map journal on (the incremental
    // checker's, or pinlab serve's), they must not fill it (a slot_of() of every folio would list
    // every slot as touched by the next step, and hide a write the model did not journal).
    const mem = this.m.mem;
    if (mem.touched !== null || mem.freed !== null) return this.unjournaled(() => this.stepFindingNow(d));
    return this.stepFindingNow(d);
  }

  private stepFindingNow(d: InvariantDef): Finding | null {
    if (this.engine !== null && this.engineOn && INCREMENTAL.has(d.id)) return this.engine.first(d.id);
    return d.check(this.world, null)[0] ?? null;
  }

  /** Bring the incremental checker up to date with the machine (once per step). */
  private refresh(): void {
    if (this.engine === null) return;
    // Large in folios, or in DMA-mapped pages (a guest on 1 GiB pages has few folios but
    // 262,144 pages per folio, which the rescan reads one by one).
    if (!this.engineOn && (this.m.mem.slot_top > AUTO_SLOTS || dmaMappedPages(this.m) > AUTO_SLOTS)) this.engineOn = true;
    if (this.engineOn) this.engine.update();
  }

  /** Step invariants violated now by a full rescan (ignores the incremental checker: tests compare the two). */
  rescan(): readonly { id: InvariantId; first: Finding }[] {
    const out: { id: InvariantId; first: Finding }[] = [];
    this.unjournaled(() => {
      for (const d of this.stepDefs) {
        const f = d.check(this.world, null);
        if (f.length > 0) out.push({ id: d.id, first: f[0] });
      }
    });
    return out;
  }

  /** Step invariants violated now as this checker evaluates them, with their first findings. */
  current(): readonly { id: InvariantId; first: Finding }[] {
    this.refresh();
    const out: { id: InvariantId; first: Finding }[] = [];
    for (const d of this.stepDefs) {
      const f = this.stepFinding(d);
      if (f !== null) out.push({ id: d.id, first: f });
    }
    return out;
  }

  private get m(): Machine {
    return this.world.m;
  }

  private get s(): Sched {
    return this.world.s;
  }

  /**
   * A scenario operation returned in the middle of a step (the thread goes on without a
   * scheduling point): keep the step invariants violated at this instant for the step's
   * own check. Findings of an earlier step nobody asked for (an explorer replaying a
   * prefix skips its checks) are dropped.
   */
  opEnd(): void {
    this.refresh();
    const step = this.s.stepCount;
    if (this.mid !== null && this.mid.step !== step) this.mid = null;
    for (const d of this.stepDefs) {
      if (this.mid?.found.has(d.id) === true) continue;
      const f = this.stepFinding(d);
      if (f === null) continue;
      this.mid ??= { step, found: new Map() };
      this.mid.found.set(d.id, f);
    }
  }

  /** What `opEnd` found in the running step (then forgotten), or null. */
  private takeMid(): Map<InvariantId, Finding> | null {
    const mid = this.mid;
    if (mid === null) return null;
    this.mid = null;
    return mid.step === this.s.stepCount ? mid.found : null;
  }

  /** Step invariants violated now or at an operation end earlier in this step (ids only). */
  check(): readonly InvariantId[] {
    this.refresh();
    const mid = this.takeMid();
    let out: InvariantId[] | null = null;
    for (const d of this.stepDefs) {
      if (mid?.has(d.id) === true || this.stepFinding(d) !== null) (out ??= []).push(d.id);
    }
    return out ?? EMPTY;
  }

  /** As check(), but also remembers the first finding of each invariant and its step. */
  observe(): readonly InvariantId[] {
    this.refresh();
    const mid = this.takeMid();
    let out: InvariantId[] | null = null;
    for (const d of this.stepDefs) {
      const f = mid?.get(d.id) ?? this.stepFinding(d);
      if (f === null) continue;
      (out ??= []).push(d.id);
      if (!this.first.has(d.id)) this.first.set(d.id, { finding: f, step: this.s.stepCount });
    }
    return out ?? EMPTY;
  }

  /** Invariants violated at the end of a run (end + sched + step invariants). */
  finish(r: RunResult): readonly InvariantId[] {
    const out = new Set<InvariantId>(this.check());
    for (const id of this.first.keys()) out.add(id);
    for (const d of this.endDefs) if (this.endCheck(d, r).length > 0) out.add(d.id);
    return [...out];
  }

  /** End findings of the last finished run, by invariant, while nothing has run since (`violations` after `finish`). */
  private endMemo: { r: RunResult; step: number; found: Map<InvariantId, readonly Finding[]> } | null = null;

  /** An end invariant's findings for run result `r`: evaluated once per finished run (PERF: a guest-scale scan). */
  private endCheck(d: InvariantDef, r: RunResult): readonly Finding[] {
    if (this.endMemo === null || this.endMemo.r !== r || this.endMemo.step !== this.s.stepCount) this.endMemo = { r, step: this.s.stepCount, found: new Map() };
    let f = this.endMemo.found.get(d.id);
    if (f === undefined) {
      f = this.unjournaled(() => d.check(this.world, { result: r }));
      this.endMemo.found.set(d.id, f);
    }
    return f;
  }

  /**
   * Run a reader of the whole machine without filling the mem_map journal: what it
   * reads is not what a step changed (the incremental checker would re-evaluate it all).
   */
  private unjournaled<T>(read: () => T): T {
    const mem = this.m.mem;
    const [touched, freed] = [mem.touched, mem.freed];
    mem.touched = null;
    mem.freed = null;
    try {
      return read();
    } finally {
      mem.touched = touched;
      mem.freed = freed;
    }
  }

  /** Full violation records for a finished run (or the current state if `r` is null). */
  violations(r: RunResult | null): Violation[] {
    const out: Violation[] = [];
    const names = (t: ThreadId): string | null => {
      try {
        return `T${t} ${this.s.threadName(t)}`;
      } catch {
        return `T${t}`;
      }
    };
    const seen = new Set<InvariantId>();
    const push = (d: InvariantDef, f: Finding, step: number): void => {
      if (d.id === 'deadlock') return; // reported as a deadlock record below
      out.push({
        kind: 'invariant',
        invariant: d.id,
        title: d.title,
        why: d.why,
        message: f.message,
        objects: f.objects,
        history: historyOf(this.m.events, f.objects, names),
        step,
      });
    };
    this.refresh();
    for (const d of [...this.stepDefs, ...this.endDefs]) {
      const early = this.first.get(d.id);
      if (early !== undefined) {
        push(d, early.finding, early.step);
        seen.add(d.id);
        continue;
      }
      const now = d.when === 'step' ? this.stepFinding(d) : (r === null ? this.unjournaled(() => d.check(this.world, null)) : this.endCheck(d, r))[0] ?? null;
      if (now !== null) {
        push(d, now, this.s.stepCount);
        seen.add(d.id);
      }
    }
    for (const v of this.s.violations) {
      if (v.kind === 'deadlock') {
        const objs = v.threads.map((t) => t.reason.object);
        out.push({ kind: 'deadlock', threads: v.threads, history: historyOf(this.m.events, objs, names) });
      }
    }
    for (const rep of this.m.reports) {
      if (rep.kind === 'bug') out.push({ kind: 'kernel-bug', site: rep.site, thread: rep.thread, message: rep.message });
      else if (rep.kind === 'warn') out.push({ kind: 'warning', site: rep.site, thread: rep.thread, message: rep.message });
      else out.push({ kind: 'unsupported', site: rep.site, thread: rep.thread, message: rep.message });
    }
    return out;
  }
}
