/**
 * The one door for nondeterminism: which thread runs next, and every data choice.
 * Strategies (default, replay, seeded random, DFS, PCT) live in src/explore/.
 */
import type { ThreadId } from './api.js';

/** A choice made during a run; only real choices (two or more options) are recorded. */
export type Choice =
  | { readonly kind: 'thread'; readonly thread: ThreadId; readonly enabled: readonly ThreadId[] }
  | { readonly kind: 'data'; readonly index: number; readonly n: number; readonly label: string; readonly thread: ThreadId };

export interface PickContext {
  /** Number of real choices made so far in this run (the index of this choice). */
  readonly choiceIndex: number;
  /** Scheduling steps so far. */
  readonly step: number;
  /** The thread that ran last, if any. */
  readonly last: ThreadId | null;
  /** Whether `last` is still enabled (picking another thread is then a preemption). */
  readonly lastEnabled: boolean;
}

export interface Chooser {
  /** Pick one of `enabled` (length ≥ 2, in ascending id order). */
  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId;
  /** Pick an index in [0, n) for a data choice (n ≥ 2). */
  pickData(label: string, n: number, thread: ThreadId, ctx: PickContext): number;
}

/**
 * Raised by a chooser that cannot follow its script (replay). The runtime turns it
 * into a `diverged` run result naming the step; it never escapes `Sched.run()`.
 */
export class ScheduleDivergence extends Error {
  constructor(readonly choiceIndex: number, readonly step: number, message: string) {
    super(message);
    this.name = 'ScheduleDivergence';
  }
}

/**
 * The default strategy: deterministic and non-preemptive. Keep running the thread
 * that ran last while it is enabled; otherwise run the lowest-numbered enabled
 * thread. Data choices take option 0 (the common outcome, by convention).
 */
export class DefaultChooser implements Chooser {
  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    if (ctx.last !== null && ctx.lastEnabled) return ctx.last;
    return enabled[0];
  }
  pickData(): number {
    return 0;
  }
}
