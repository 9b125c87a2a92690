/**
 * The state cache's key for what a parked thread holds that no point declared: its
 * history since it was last fully described.
 *
 * A thread is a generator stack; the explorer cannot read its frames. A scheduling
 * point's `locals` describe what that point's own function holds, not what its callers
 * hold (a loop position around a GUP call, a buffer filled before it), so two runs can
 * park a thread at the same point with the same locals and still differ in its frames;
 * keying them as one state prunes the future of one of them (docs/explorer.md).
 *
 * What is sound without reading frames: a step of thread t is a deterministic function
 * of t's own state, the world it runs in and the data choices it consumes (the runtime
 * lets no other thread run inside it; kernel code reads nothing of the scheduler but
 * pending signals). So t's state is a function of its state when it was last described
 * (Sched.described: not started, exited, or at a `whole` point), plus the sequence of
 * (world key with the pending signals, choices) at the start of each of its steps since. Interning
 * that sequence as a number per thread and appending the numbers to the state key makes
 * equal keys imply equal thread states, whatever the points declare. The price: orders
 * of steps of a thread that is in the middle of an operation, in a world another thread
 * changed meanwhile, are no longer merged by the cache (measured in docs/explorer.md).
 */
import type { Sched, ThreadId } from '../sched/index.js';

/** The instant of a step at which the thread's whole state was in view: the world then, and the decisions after it. */
export interface Whole {
  readonly world: number;
  readonly items: readonly number[];
}

export class ThreadHistories {
  /** Interned world keys (the target's fingerprint) → small numbers. */
  private readonly worlds = new Map<string, number>();
  /** Interned (previous history, world, signal, choices) → history number (0: described). */
  private readonly hists = new Map<string, number>();
  /** Per explorer state (graph node id): its world number and each thread's history. */
  private readonly nodeWorld: number[] = [];
  private readonly nodeHist: (readonly number[])[] = [];
  private readonly nodeSig: string[] = [];
  /** The current run's histories, per thread. */
  private cur: number[] = [];
  /** World number of the state the current step started from. */
  private startWorld = 0;
  /** The threads' pending signals when the current step started ('' when none). */
  private startSig = '';

  /** The world number of a fingerprint. */
  world(fp: string): number {
    let w = this.worlds.get(fp);
    if (w === undefined) {
      w = this.worlds.size;
      this.worlds.set(fp, w);
    }
    return w;
  }

  /** Set the current run to the state of node `id` (the state a step starts from). */
  enter(id: number): void {
    this.cur = this.nodeHist[id].slice();
    this.startWorld = this.nodeWorld[id];
    this.startSig = this.nodeSig[id];
  }

  /** The initial state of a run (no thread has a history). */
  start(s: Sched, fp: string): void {
    this.cur = new Array<number>(s.views().length).fill(0);
    this.startWorld = this.world(withSignals(s, fp, this.cur.length));
    this.startSig = withSignals(s, '', this.cur.length);
  }

  /**
   * After a step of `thread` that consumed the decision items `items` and ended in a
   * world with fingerprint `fp`: update the histories and return the key suffix. `input`,
   * when known, is what the step depended on besides the thread's own state
   * (ExploreRun.stepInput): it then stands for the whole world the step started in.
   */
  step(s: Sched, thread: number, items: readonly number[], fp: string, whole: Whole | null = null, input: string | null = null): string {
    const cur = this.cur;
    const tid = thread as ThreadId;
    if (s.described(tid)) cur[thread] = 0;
    else {
      // Whole in view in the middle of the step (Sched.noteWhole): the history starts there.
      const k = whole !== null
        ? `W${whole.world},${whole.items.join('.')}`
        : input !== null
          ? `${cur[thread]},I${this.world(`${input}\u0006${this.startSig}`)},${items.join('.')}`
          : `${cur[thread]},${this.startWorld},${items.join('.')}`;
      let h = this.hists.get(k);
      if (h === undefined) {
        h = this.hists.size + 1;
        this.hists.set(k, h);
      }
      cur[thread] = h;
    }
    this.startWorld = this.world(withSignals(s, fp, cur.length));
    this.startSig = withSignals(s, '', cur.length);
    return this.suffix();
  }

  /** The key suffix of the current state. */
  suffix(): string {
    return this.cur.join(',');
  }

  /** The world number of the world `s` is in now (for `Whole`). */
  now(s: Sched, fp: string): number {
    return this.world(withSignals(s, fp, this.cur.length));
  }

  /** Remember the current state as node `id` (call after `step`/`start` for a new node). */
  record(id: number): void {
    if (this.nodeHist[id] !== undefined) return;
    this.nodeHist[id] = this.cur.slice();
    this.nodeWorld[id] = this.startWorld;
    this.nodeSig[id] = this.startSig;
  }
}

/** A world key with the threads' pending signals (rare: the fingerprint alone when there are none). */
function withSignals(s: Sched, fp: string, n: number): string {
  let sig = '';
  for (let t = 0; t < n; t++) {
    const p = s.signalPending(t as ThreadId);
    if (p !== 'none') sig += `${t}${p[0]}`;
  }
  return sig === '' ? fp : `${fp}\u0006${sig}`;
}
