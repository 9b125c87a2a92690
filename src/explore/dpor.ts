/**
 * Source-set dynamic partial-order reduction (Abdulla, Aronis, Jonsson, Sagonas,
 * "Optimal dynamic partial order reduction", POPL 2014: Algorithm 1, "source-DPOR",
 * with sleep sets), over the footprints the target reports for each step.
 *
 * The search (dfs.ts) explores at a thread pick only the threads of that pick's
 * backtrack set, which starts with the first option. After every step that reaches
 * new territory, `DporTrace.add` looks back over the current run for races: an
 * earlier step e of another thread that is dependent with the new step e' and not
 * ordered before it by happens-before except through e itself. For each race, the
 * state before e must also be explored starting with an *initial* of
 * v = notdep(e).e' (the steps after e that do not happen after e, then e'): a
 * thread whose first step in v happens after no other step of v. If no initial is
 * already in the pick's backtrack set (explored or pending), one is added; an
 * initial asleep there is already covered (sleep sets); when none is enabled there
 * (the footprints missed a dependency on enabledness) the pick is expanded fully.
 *
 * Happens-before is tracked with vector clocks, one per step: a step happens after
 * the earlier steps of its thread and after every earlier step it depends on,
 * transitively.
 *
 * Dependence: two steps of different threads are dependent when one writes an object
 * the other reads or writes (`r:<obj>` / `w:<obj>`), when a footprint is unknown
 * (null), or when both are *visible*: they write an object the target's step
 * invariants read (`ExploreRun.observes`). Making visible steps dependent keeps every
 * order of the changes an invariant can see, so the verdicts of state invariants stay
 * exact, not only those judged at the end of a run (Peled's visibility condition for
 * ample sets, carried over to DPOR). A target whose invariants are conjunctions of
 * conditions each over one object of its footprint vocabulary declares
 * `observes: 'per-object'`: two steps that commute then leave every such condition's
 * sequence of values as it was, and no step is visible.
 *
 * With the state cache (dfs.ts): a run cut at a state seen before does not execute
 * that state's future, so races between that future and the current run cannot be
 * seen. Yang, Chen, Gopalakrishnan and Kirby ("Efficient stateful dynamic partial
 * order reduction", SPIN 2008) recover them from a summary of the cached state's
 * explored future; pinlab takes the conservative end of that idea: every thread pick
 * on a run cut at a state with a future is expanded fully (all its non-sleeping
 * options), as the sleep-set search does, so no backtrack point is ever left to race
 * detection across a cut. A run that ends, or is cut at a final state, keeps the
 * reduction. Runs of independent threads never reach a known state, so they keep it.
 */

/** What a step touched (`r:<obj>` / `w:<obj>`), or null when unknown (dependent with every step). */
export type Footprint = readonly string[] | null;

/**
 * Do two steps commute? Only when both footprints are known and no object is written by
 * one and touched by the other. Objects are compared up to coverage: an id covers the ids
 * that extend it at a `.` (`p1` covers `p1.3` and `p1.3.7`: a page table and its entries).
 */
export function independent(a: Footprint, b: Footprint): boolean {
  if (a === null || b === null) return false;
  for (const x of a) {
    const wx = x.charCodeAt(0) === 119; /* w */
    for (const y of b) {
      if (!wx && y.charCodeAt(0) !== 119) continue;
      if (related(x, y)) return false;
    }
  }
  return true;
}

/** Do entries `x` and `y` (`r:<obj>` / `w:<obj>`) name the same object, or one a part of the other? */
function related(x: string, y: string): boolean {
  const nx = x.length;
  const ny = y.length;
  const n = nx < ny ? nx : ny;
  for (let i = 2; i < n; i++) if (x.charCodeAt(i) !== y.charCodeAt(i)) return false;
  if (nx === ny) return true;
  return (nx < ny ? y : x).charCodeAt(n) === 46; /* . */
}

/** What step invariants read: a list of objects, every object (null), or per-object conditions only. */
export type Observes = readonly string[] | null | 'per-object';

/** Does a step with this footprint change something the step invariants read? */
export function isVisible(fp: Footprint, observes: Observes): boolean {
  if (observes === 'per-object') return false;
  if (fp === null) return true;
  for (const x of fp) {
    if (x.charCodeAt(0) !== 119 /* w */) continue;
    if (observes === null || observes.includes(x.slice(2))) return true;
  }
  return false;
}

/** The part of a thread pick that race detection updates. */
export interface PickFrame {
  /** Thread ids explorable here (enabled, not asleep), in exploration order. */
  readonly options: readonly number[];
  /** Position of the option being explored. */
  pos: number;
  /** Every enabled thread at the pick. */
  readonly enabled: readonly number[];
  /** Threads asleep at the pick. */
  readonly sleep: ReadonlyMap<number, Footprint>;
  /** DPOR: threads to explore here (explored or pending). */
  readonly backtrack: Set<number>;
  /** DPOR: explore every option here (races not visible to detection). */
  full: boolean;
}

/** One step of the current run, for race detection. */
interface TraceStep {
  readonly thread: number;
  readonly fp: Footprint;
  readonly visible: boolean;
  /** clock[t] = 1 + index of the latest step of thread t that happens before or is this step (0: none). */
  readonly clock: Int32Array;
  /** The thread pick that chose this step's thread, or null (only one thread could run). */
  readonly pick: PickFrame | null;
}

function dependent(a: TraceStep, fp: Footprint, visible: boolean): boolean {
  return (a.visible && visible) || !independent(a.fp, fp);
}

/** The steps of the current run, kept across runs up to the replayed prefix. */
export class DporTrace {
  private readonly steps: TraceStep[] = [];
  /** Per thread, the index of its latest step in `steps` (-1: none). */
  private last: number[] = [];
  /** Races found (for tests and statistics). */
  races = 0;

  /** Threads of the target (set before the first step). */
  threads = 0;

  constructor(private readonly observes: Observes) {}

  get length(): number {
    return this.steps.length;
  }

  /** Forget the steps from index `n` on (backtracking re-executes them). */
  truncate(n: number): void {
    if (n >= this.steps.length) return;
    this.steps.length = n;
    this.last = [];
    for (let i = 0; i < n; i++) this.last[this.steps[i].thread] = i;
  }

  /** Record a new step and add the backtrack points its races call for. */
  add(thread: number, fp: Footprint, pick: PickFrame | null): void {
    const { steps } = this;
    const n = steps.length;
    const visible = isVisible(fp, this.observes);
    const prev = this.last[thread] ?? -1;
    const clock = prev >= 0 ? Int32Array.from(steps[prev].clock) : new Int32Array(this.threads);
    // Walk back: a dependent step not yet known to happen before the new one races with it
    // (it is ordered before it only directly); its clock then joins the new step's.
    for (let j = n - 1; j >= 0; j--) {
      const e = steps[j];
      if (e.thread === thread || clock[e.thread] > j) continue;
      if (!dependent(e, fp, visible)) continue;
      this.race(j, thread, clock);
      const c = e.clock;
      for (let t = 0; t < clock.length; t++) if (c[t] > clock[t]) clock[t] = c[t];
    }
    clock[thread] = n + 1;
    steps.push({ thread, fp, visible, clock, pick });
    this.last[thread] = n;
  }

  /**
   * A race between step j and a new step of `thread` whose clock so far is `clock`
   * (everything that happens before it except through step j): make the pick of step
   * j explore an initial of notdep(j).new.
   */
  private race(j: number, thread: number, clock: Int32Array): void {
    this.races++;
    const { steps } = this;
    const e = steps[j];
    const pick = e.pick;
    if (pick === null || pick.full) return; // no alternative there, or all explored anyway
    // v = the steps after j that do not happen after j, then the new step.
    const v: number[] = [];
    for (let k = j + 1; k < steps.length; k++) if (steps[k].clock[e.thread] <= j) v.push(k);
    const initials: number[] = [];
    const seen = new Set<number>();
    for (const k of v) {
      const s = steps[k];
      if (seen.has(s.thread)) continue;
      seen.add(s.thread);
      let first = true;
      for (const i of v) {
        if (i >= k) break;
        if (s.clock[steps[i].thread] > i) {
          first = false;
          break;
        }
      }
      if (first) initials.push(s.thread);
    }
    if (!seen.has(thread)) {
      let first = true;
      for (const i of v) {
        if (clock[steps[i].thread] > i) {
          first = false;
          break;
        }
      }
      if (first) initials.push(thread);
    }
    for (const q of initials) if (pick.backtrack.has(q) || pick.sleep.has(q)) return;
    for (const q of initials) {
      if (pick.options.includes(q)) {
        pick.backtrack.add(q);
        return;
      }
    }
    // No initial can run at the pick: the footprints missed a dependency (on enabledness).
    pick.full = true;
  }
}
