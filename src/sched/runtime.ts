/**
 * The run loop: a deterministic scheduler of generator-based kernel threads.
 *
 * Every thread runs until it yields a scheduling point; then the chooser picks the
 * next thread among the enabled ones (a thread at a plain point is always enabled, a
 * thread at a wait is enabled when its predicate holds or a signal ends the wait).
 * Data choices are answered inline by the same chooser. The loop ends when every
 * thread has exited, when no live thread is enabled (a deadlock, reported with each
 * thread's block reason and the locks it holds), at the step bound, or when a replay
 * diverges. The runtime knows nothing about mm.
 */
import type { BlockReason, HeldLock, KThread, SchedPoint, SchedViolation, ThreadId, TraceEvent, TraceValue } from './api.js';
import type { Choice, Chooser, PickContext } from './chooser.js';
import { ScheduleDivergence } from './chooser.js';
import type { AccessLog } from './access.js';

/** The wait kinds only the lock classes of locks.ts use; their continuations record the lock (access.ts). */
const LOCK_WAITS: ReadonlySet<string> = new Set(['rwsem-read', 'rwsem-write', 'mutex', 'spinlock']);

export type SignalState = 'none' | 'fatal' | 'nonfatal';

interface Thread {
  readonly id: ThreadId;
  readonly name: string;
  readonly gen: KThread<unknown>;
  done: boolean;
  result: unknown;
  /** The point the thread is parked at; null before its first run. */
  pt: SchedPoint | null;
  held: HeldLock[];
  signal: SignalState;
  /** An armed alarm(2): 'armed' until it fires (see armAlarm), then 'fired' until disarmed. */
  alarm: 'none' | 'armed' | 'fired';
  /** True once a `block` trace event was emitted for the current wait. */
  blockedNoted: boolean;
}

export type RunStatus =
  /** Every thread exited. */
  | 'done'
  /** Live threads remain and none is enabled (see the deadlock violation). */
  | 'deadlock'
  /** The step bound was reached first. */
  | 'step-bound'
  /** A replay could not follow its schedule (see `divergence`). */
  | 'diverged'
  /** The after-step hook asked to stop. */
  | 'stopped';

export interface RunResult {
  readonly status: RunStatus;
  readonly steps: number;
  readonly choices: readonly Choice[];
  readonly violations: readonly SchedViolation[];
  readonly divergence: { readonly choiceIndex: number; readonly step: number; readonly message: string } | null;
}

/** A read-only view of a thread, for reports, fingerprints and checkers. */
export interface ThreadView {
  readonly id: ThreadId;
  readonly name: string;
  readonly state: 'runnable' | 'blocked' | 'done';
  /** Label of the point the thread is parked at (`<start>` before it ran, `<exit>` after). */
  readonly label: string;
  readonly locals: string;
  readonly reason: BlockReason | null;
  readonly held: readonly HeldLock[];
  readonly result: unknown;
}

export interface SchedOptions {
  readonly chooser: Chooser;
  /** Stop after this many scheduling steps (default 1,000,000). */
  readonly maxSteps?: number;
  /** Record a trace of events (default false: the explorer's hot loop runs without). */
  readonly trace?: boolean;
  /** Called after every step; return true to stop the run (status `stopped`). */
  readonly afterStep?: (s: Sched) => boolean;
  /**
   * The after-step hook only checks what the machine is at each step, or stops the run
   * between steps of a run that merges the same way (a replay of it), so a lone thread may
   * still merge steps (`alone()`): with no other thread alive nothing can observe the
   * states between them. Default false.
   */
  readonly afterStepAllowsMerge?: boolean;
  /**
   * Called when the running thread says its whole state is in view at this instant
   * (`noteWhole`), in the middle of a step: the explorer keys the thread's history from
   * here (src/explore/history.ts).
   */
  readonly onWhole?: (tid: ThreadId) => void;
}

export class Sched {
  private readonly threads: Thread[] = [];
  private readonly chooser: Chooser;
  private readonly maxSteps: number;
  private readonly afterStep: ((s: Sched) => boolean) | undefined;
  private readonly afterStepAllowsMerge: boolean;
  private readonly onWhole: ((tid: ThreadId) => void) | undefined;
  private cur: Thread | null = null;
  private last: Thread | null = null;
  private steps = 0;
  private readonly choiceLog: Choice[] = [];
  private readonly violationLog: SchedViolation[] = [];
  private readonly sleptInAtomic = new Set<string>();
  /** The trace, or null when tracing is off. */
  readonly trace: TraceEvent[] | null;
  /**
   * The running step's access record (access.ts), kept by lock operations and the
   * runtime itself; null (the default) records nothing. Set by an explorer target
   * that reports footprints, before the run.
   */
  access: AccessLog | null = null;

  constructor(opts: SchedOptions) {
    this.chooser = opts.chooser;
    this.maxSteps = opts.maxSteps ?? 1_000_000;
    this.trace = opts.trace ? [] : null;
    this.afterStep = opts.afterStep;
    this.afterStepAllowsMerge = opts.afterStepAllowsMerge === true;
    this.onWhole = opts.onWhole;
  }

  /** Create a thread; ids are assigned in spawn order (T0, T1, ...). */
  spawn(name: string, make: (tid: ThreadId) => KThread<unknown>): ThreadId {
    const id = this.threads.length as ThreadId;
    const t: Thread = { id, name, gen: make(id), done: false, result: undefined, pt: null, held: [], signal: 'none', alarm: 'none', blockedNoted: false };
    this.threads.push(t);
    this.trace?.push({ kind: 'spawn', thread: id, name });
    return id;
  }

  /** The running thread. Only valid while a thread runs (inside kernel code). */
  get current(): ThreadId {
    if (this.cur === null) throw new Error('pinlab bug: Sched.current read outside a running thread');
    return this.cur.id;
  }

  get stepCount(): number {
    return this.steps;
  }

  /** The thread that ran the latest step (null before the first). */
  get lastRan(): ThreadId | null {
    return this.last === null ? null : this.last.id;
  }

  get choices(): readonly Choice[] {
    return this.choiceLog;
  }

  get violations(): readonly SchedViolation[] {
    return this.violationLog;
  }

  threadName(tid: ThreadId): string {
    return this.threads[tid].name;
  }

  /** Read-only views of all threads, in id order. */
  views(): ThreadView[] {
    return this.threads.map((t) => this.view(t));
  }

  view(t: Thread | ThreadId): ThreadView {
    const th = typeof t === 'number' ? this.threads[t] : t;
    const pt = th.pt;
    let state: ThreadView['state'] = 'runnable';
    if (th.done) state = 'done';
    else if (pt !== null && pt.kind === 'wait' && !this.enabled(th)) state = 'blocked';
    return {
      id: th.id,
      name: th.name,
      state,
      label: th.done ? '<exit>' : pt === null ? '<start>' : pt.label,
      locals: pt !== null && pt.kind !== 'choose' ? pt.locals ?? '' : '',
      reason: state === 'blocked' && pt !== null && pt.kind === 'wait' ? pt.reason : null,
      held: th.held.slice(),
      result: th.result,
    };
  }

  /**
   * A compact key of every thread's position, for the explorer's state cache: the
   * kind and label of the point it is parked at, the locals it declared there, a
   * pending signal and the locks it holds; for an exited thread, its result.
   * Together with a fingerprint of the world outside the runtime it must determine
   * everything that can happen next.
   */
  positionKey(): string {
    let key = '';
    for (const t of this.threads) {
      if (t.done) {
        const r = t.result;
        key += `X${r !== null && typeof r === 'object' ? JSON.stringify(toTraceValue(r)) : String(r)}\u0001`;
        continue;
      }
      const pt = t.pt;
      if (pt === null) key += '<start>';
      else {
        key += pt.kind === 'wait' ? `w${pt.label}` : `p${pt.label}`;
        if (pt.kind !== 'choose' && pt.locals !== undefined) key += `\u0002${pt.locals}`;
      }
      if (t.signal !== 'none') key += `\u0003${t.signal}`;
      if (t.alarm !== 'none') key += `\u0005${t.alarm}`;
      for (const h of t.held) key += `\u0004${h.lock}/${h.mode}`;
      key += '\u0001';
    }
    return key;
  }

  /**
   * Is thread `tid`'s whole state described by its entry in `positionKey()`? True before
   * its first step (a generator not started holds only its spawn arguments, the same in
   * every run), after it exited (its result is in the key), and at a point declared
   * `whole` (waitWhole). Everywhere else its generator frames may hold values it read
   * earlier (a loop position, a buffer) that no point declared; the explorer keys such
   * a thread on its history (src/explore/history.ts).
   */
  described(tid: ThreadId): boolean {
    const t = this.threads[tid];
    return t.done || t.pt === null || (t.pt.kind !== 'choose' && t.pt.whole === true);
  }

  /**
   * The running thread's whole state is in view now, though it is not at a point: what
   * its frames hold is in the world (e.g. a thread body between two operations, whose
   * progress and results the world keeps). Not a scheduling point.
   */
  noteWhole(): void {
    if (this.onWhole !== undefined) this.onWhole(this.requireCur().id);
  }

  // ---- lock bookkeeping (called by lock primitives) -------------------------

  /** Record that the running thread now holds `h`. */
  noteAcquire(h: HeldLock): void {
    this.requireCur().held.push(h);
  }

  /** Record that the running thread released `lock`. Returns false if it did not hold it. */
  noteRelease(lock: string): boolean {
    const held = this.requireCur().held;
    for (let i = held.length - 1; i >= 0; i--) {
      if (held[i].lock === lock) {
        held.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Locks held by a thread. */
  heldBy(tid: ThreadId): readonly HeldLock[] {
    return this.threads[tid].held;
  }

  /**
   * True when no one can tell whether `tid` stops at its next scheduling points: every
   * other thread has exited and no after-step hook watches the run (unless it declared
   * `afterStepAllowsMerge`). A model may then do in one step work that the kernel spreads
   * over several points (each caller states why the end state is the same); a traced run
   * merges alike and records each merged run as one `batch` event (traceBatch), so the
   * trace stays bounded and the run is the untraced run, step for step.
   */
  alone(tid: ThreadId): boolean {
    if (this.afterStep !== undefined && !this.afterStepAllowsMerge) return false;
    for (const t of this.threads) if (t.id !== tid && !t.done) return false;
    // The step now depends on every other thread having exited.
    if (this.cur !== null) this.access?.markUnknown('Sched.alone');
    return true;
  }

  /**
   * alone(), in a run where no other thread was ever spawned (set-up, a one-thread scenario, a
   * benchmark): where other threads ran and exited, callers that would otherwise drop points keep
   * them, so the step numbers of multi-thread runs (their schedules, documented steps) stay put.
   */
  onlyThread(tid: ThreadId): boolean {
    return this.threads.length === 1 && this.alone(tid);
  }

  /**
   * alone(), or else every other live thread is parked in an uninterruptible wait for a mutex
   * `tid` holds, with no signal pending and no alarm armed: such a thread runs again only once
   * `tid` releases that mutex (a mutex waiter is granted only by the owner's unlock), so as long
   * as `tid` keeps every mutex it holds, no other thread can run at its next scheduling points.
   * A caller may merge steps on that ground only over work that releases no mutex, and names the
   * mutex in a comment (design.md principle 3: a held lock that excludes every conflicting path).
   */
  aloneHolding(tid: ThreadId): boolean {
    if (this.afterStep !== undefined && !this.afterStepAllowsMerge) return false;
    const mine = this.threads[tid].held;
    for (const t of this.threads) {
      if (t.id === tid || t.done) continue;
      const pt = t.pt;
      if (pt === null || pt.kind !== 'wait' || pt.reason.kind !== 'mutex' || pt.mode !== 'uninterruptible' || t.signal !== 'none' || t.alarm !== 'none') return false;
      if (!mine.some((h) => h.mode === 'exclusive' && !h.spin && h.lock === pt.reason.object)) return false;
    }
    // The step now depends on every other thread having exited or waiting for this one.
    if (this.cur !== null) this.access?.markUnknown('Sched.alone');
    return true;
  }

  // ---- signals ---------------------------------------------------------------

  /** Deliver a signal to a thread (a fatal one overrides a non-fatal one). */
  kill(tid: ThreadId, fatal: boolean): void {
    const t = this.threads[tid];
    if (this.cur !== null) this.access?.markUnknown('signal sent');
    if (t.signal !== 'fatal') t.signal = fatal ? 'fatal' : 'nonfatal';
    this.trace?.push({ kind: 'signal', thread: tid, fatal });
  }

  signalPending(tid: ThreadId): SignalState {
    return this.threads[tid].signal;
  }

  /**
   * alarm(2) for the running thread: a non-fatal signal (SIGALRM) that fires when the run
   * would otherwise end in a deadlock. MODEL: the model has no clock; a timeout means
   * "after everything that can still happen has happened", so the alarm fires only when no
   * live thread is enabled (a wait that ends by itself before the timeout never sees it).
   */
  armAlarm(): void {
    this.requireCur().alarm = 'armed';
  }

  /**
   * alarm(0) after the call the alarm guarded: returns whether the alarm fired. A fired
   * alarm's signal is taken by the thread's handler on the way back to user space (the
   * non-fatal pending signal is cleared).
   */
  disarmAlarm(): boolean {
    const t = this.requireCur();
    const fired = t.alarm === 'fired';
    t.alarm = 'none';
    if (fired && t.signal === 'nonfatal') t.signal = 'none';
    return fired;
  }

  // ---- tracing ----------------------------------------------------------------

  get tracing(): boolean {
    return this.trace !== null;
  }

  /** Record a kernel function entry (only when tracing). */
  traceCall(fn: string, args: TraceValue): void {
    this.trace?.push({ kind: 'call', thread: this.requireCur().id, fn, args });
  }

  /** Record a kernel function return (only when tracing). */
  traceRet(fn: string, result: TraceValue): void {
    this.trace?.push({ kind: 'ret', thread: this.requireCur().id, fn, result });
  }

  /** A lone thread's merged run of `points` scheduling points labelled `label` (only when tracing; see TraceEvent `batch`). */
  traceBatch(label: string, points: number, data: TraceValue): void {
    this.trace?.push({ kind: 'batch', thread: this.requireCur().id, label, points, data });
  }

  /** A free-form trace note from the running thread (a model tracepoint). */
  traceNote(text: string, data?: TraceValue): void {
    if (this.trace === null) return;
    this.trace.push(data === undefined ? { kind: 'note', thread: this.requireCur().id, text } : { kind: 'note', thread: this.requireCur().id, text, data });
  }

  // ---- the loop -----------------------------------------------------------------

  run(): RunResult {
    for (;;) {
      const enabled: Thread[] = [];
      let live = 0;
      for (const t of this.threads) {
        if (t.done) continue;
        live++;
        if (this.enabled(t)) enabled.push(t);
      }
      if (live === 0) return this.result('done', null);
      if (enabled.length === 0 && this.fireAlarm()) continue;
      if (enabled.length === 0) {
        this.violationLog.push({
          kind: 'deadlock',
          threads: this.threads
            .filter((t) => !t.done)
            .map((t) => {
              const pt = t.pt as Extract<SchedPoint, { kind: 'wait' }>;
              return { thread: t.id, name: t.name, label: pt.label, reason: pt.reason, mode: pt.mode, held: t.held.slice() };
            }),
        });
        return this.result('deadlock', null);
      }
      if (this.steps >= this.maxSteps) return this.result('step-bound', null);

      let next: Thread;
      if (enabled.length === 1) {
        next = enabled[0];
      } else {
        const ctx = this.pickContext(enabled);
        const ids = enabled.map((t) => t.id);
        let tid: ThreadId;
        try {
          tid = this.chooser.pickThread(ids, ctx);
        } catch (e) {
          if (e instanceof ScheduleDivergence) return this.result('diverged', e);
          throw e;
        }
        const found = enabled.find((t) => t.id === tid);
        if (found === undefined) throw new Error(`pinlab bug: chooser picked T${tid}, which is not enabled`);
        next = found;
        this.choiceLog.push({ kind: 'thread', thread: tid, enabled: ids });
      }

      const divergence = this.resume(next);
      if (divergence !== null) return this.result('diverged', divergence);
      if (this.afterStep !== undefined && this.afterStep(this)) return this.result('stopped', null);
    }
  }

  private pickContext(enabled: readonly Thread[]): PickContext {
    const last = this.last;
    return {
      choiceIndex: this.choiceLog.length,
      step: this.steps,
      last: last === null ? null : last.id,
      lastEnabled: last !== null && enabled.includes(last),
    };
  }

  /** No thread is enabled: the first armed alarm fires (a non-fatal signal). False when none is armed. */
  private fireAlarm(): boolean {
    for (const t of this.threads) {
      if (t.done || t.alarm !== 'armed') continue;
      t.alarm = 'fired';
      this.kill(t.id, false);
      return true;
    }
    return false;
  }

  private enabled(t: Thread): boolean {
    const pt = t.pt;
    if (pt === null || pt.kind !== 'wait') return true;
    if (pt.ready()) return true;
    if (pt.mode === 'killable') return t.signal === 'fatal';
    if (pt.mode === 'interruptible') return t.signal !== 'none';
    return false;
  }

  /** Run `t` until its next scheduling point (answering data choices inline). */
  private resume(t: Thread): ScheduleDivergence | null {
    this.steps++;
    if (this.trace !== null && this.last !== t) this.trace.push({ kind: 'switch', thread: t.id, step: this.steps });
    this.cur = t;
    this.last = t;
    let input = 0;
    const pt = t.pt;
    if (pt !== null && pt.kind === 'wait' && !pt.ready()) input = 1; // ended by a signal
    const access = this.access;
    if (access !== null) {
      access.begin();
      // A wait's predicate read state the step's record may not show, unless a lock class waited (it records the lock).
      if (pt !== null && pt.kind === 'wait' && !LOCK_WAITS.has(pt.reason.kind)) access.markUnknown(`resumed from ${pt.reason.kind} wait`);
    }
    t.blockedNoted = false;
    for (;;) {
      let r: IteratorResult<SchedPoint, unknown>;
      try {
        r = t.gen.next(input);
      } catch (e) {
        // A replay that cannot answer an inline data choice (chooseInline) ends the run here.
        if (e instanceof ScheduleDivergence) {
          this.cur = null;
          return e;
        }
        throw e;
      }
      if (r.done === true) {
        t.done = true;
        t.result = r.value;
        t.pt = null;
        this.trace?.push({ kind: 'exit', thread: t.id, result: toTraceValue(r.value) });
        if (t.held.length > 0) this.violationLog.push({ kind: 'lock-held-at-exit', thread: t.id, name: t.name, held: t.held.slice() });
        this.cur = null;
        return null;
      }
      const p = r.value;
      if (p.kind === 'choose') {
        let idx: number;
        try {
          idx = this.answerData(t, p.label, p.n, p.names);
        } catch (e) {
          if (e instanceof ScheduleDivergence) {
            this.cur = null;
            return e;
          }
          throw e;
        }
        input = idx;
        continue;
      }
      t.pt = p;
      if (p.kind === 'wait') {
        if (p.reason.kind !== 'spinlock') this.checkSleepInAtomic(t, p.label);
        if (this.trace !== null) {
          if (p.ready()) this.trace.push({ kind: 'point', thread: t.id, label: p.label });
          else {
            this.trace.push({ kind: 'block', thread: t.id, label: p.label, reason: p.reason });
            t.blockedNoted = true;
          }
        }
      } else if (this.trace !== null) {
        this.trace.push({ kind: 'point', thread: t.id, label: p.label });
      }
      this.cur = null;
      return null;
    }
  }

  /** Ask the chooser for a data choice of thread `t`, log it and trace it. */
  private answerData(t: Thread, label: string, n: number, names: readonly string[]): number {
    const idx = this.chooser.pickData(label, n, t.id, this.pickContext([t]));
    if (!Number.isInteger(idx) || idx < 0 || idx >= n) throw new Error(`pinlab bug: chooser answered ${idx} for a ${n}-way choice`);
    this.choiceLog.push({ kind: 'data', index: idx, n, label, thread: t.id });
    this.trace?.push({ kind: 'choose', thread: t.id, label, chosen: names[idx] ?? String(idx), index: idx });
    return idx;
  }

  /** True while a thread runs (inside kernel code called from the run loop). */
  get inThread(): boolean {
    return this.cur !== null;
  }

  /**
   * A data choice made inside a plain (non-generator) kernel function, answered by the
   * same chooser and recorded in the schedule exactly like a yielded `choose` point, so
   * replays reproduce it. Not a scheduling point: no other thread runs here. Used by
   * fault injection (should_fail), whose sites are plain allocation functions.
   */
  chooseInline(label: string, names: readonly string[]): number {
    if (names.length < 2) throw new Error(`pinlab bug: inline choice ${label} with ${names.length} options`);
    return this.answerData(this.requireCur(), label, names.length, names);
  }

  /**
   * might_sleep(): the running thread is about to do something that may sleep
   * (take a sleeping lock, wait for a completion). Holding a spinlock here is a
   * `sleep-in-atomic` violation even if it would not actually block, as the
   * kernel's CONFIG_DEBUG_ATOMIC_SLEEP check reports it.
   */
  mightSleep(label: string): void {
    this.checkSleepInAtomic(this.requireCur(), label);
  }

  private checkSleepInAtomic(t: Thread, label: string): void {
    const spin = t.held.find((h) => h.spin);
    if (spin === undefined) return;
    const key = `${t.id}\u0000${label}`;
    if (this.sleptInAtomic.has(key)) return;
    this.sleptInAtomic.add(key);
    this.violationLog.push({ kind: 'sleep-in-atomic', thread: t.id, name: t.name, label, spinlock: spin.lock });
  }

  private requireCur(): Thread {
    if (this.cur === null) throw new Error('pinlab bug: a lock or trace primitive was used outside a running thread');
    return this.cur;
  }

  private result(status: RunStatus, d: ScheduleDivergence | null): RunResult {
    this.cur = null;
    return {
      status,
      steps: this.steps,
      choices: this.choiceLog,
      violations: this.violationLog,
      divergence: d === null ? null : { choiceIndex: d.choiceIndex, step: d.step, message: d.message },
    };
  }
}

/**
 * The one JSON rule for integers held as bigint (u64 addresses, sizes): a JSON number when it is
 * exact as one (|v| <= 2^53 - 1), else its decimal digits as a string ("18446744073709547520").
 */
export function bigintJson(v: bigint): number | string {
  return v >= -MAX_EXACT && v <= MAX_EXACT ? Number(v) : v.toString(10);
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Convert a thread result or argument to a stable, JSON-safe trace value. */
export function toTraceValue(v: unknown): TraceValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return bigintJson(v);
    case 'object': {
      if (Array.isArray(v)) return v.map(toTraceValue);
      const out: Record<string, TraceValue> = {};
      for (const k of Object.keys(v as object).sort()) out[k] = toTraceValue((v as Record<string, unknown>)[k]);
      return out;
    }
    default:
      return String(v);
  }
}
