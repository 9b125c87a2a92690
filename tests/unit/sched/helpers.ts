/**
 * Small helpers for the runtime's acceptance tests: run threads along a schedule
 * string, and read back holders and logs.
 */
import type { Chooser, KThread, PickContext, RunResult, ThreadId } from '../../../src/sched/index.js';
import { DefaultChooser, Sched } from '../../../src/sched/index.js';
import { ReplayChooser } from '../../../src/explore/choosers.js';
import { parseSchedule } from '../../../src/explore/schedule.js';

export type ThreadBody = (s: Sched, tid: ThreadId) => KThread<unknown>;

/** A ReplayChooser for a schedule string (throws on a malformed string: a test bug). */
export function replay(text: string): ReplayChooser {
  const p = parseSchedule(text);
  if (!p.ok) throw new Error(`bad schedule in test: ${p.error}`);
  return new ReplayChooser(p.schedule);
}

/** Spawn `bodies` as T0, T1, ... on a fresh Sched with `chooser` and run it. */
export function runThreads(chooser: Chooser, bodies: readonly ThreadBody[], opts: { trace?: boolean; maxSteps?: number } = {}): { s: Sched; r: RunResult } {
  const s = new Sched({ chooser, trace: opts.trace ?? true, maxSteps: opts.maxSteps });
  bodies.forEach((b, i) => s.spawn(`t${i}`, (tid) => b(s, tid)));
  const r = s.run();
  return { s, r };
}

/**
 * A test chooser that steers by goals: `T1@test.c:b:inside` means "run T1 until it is
 * parked at that label" (`<exit>` for the end of the thread; a `#blocked` suffix also
 * requires it to be blocked there). Goals are met in order;
 * afterwards it behaves like the default chooser. A goal thread that cannot run is a
 * test bug and throws.
 */
export class GoalChooser implements Chooser {
  private readonly goals: { thread: ThreadId; label: string; blocked: boolean }[];
  private readonly fallback = new DefaultChooser();
  sched: Sched | null = null;

  constructor(goals: readonly string[]) {
    this.goals = goals.map((g) => {
      const m = /^T(\d+)@(.+?)(#blocked)?$/.exec(g);
      if (m === null) throw new Error(`bad goal ${g}`);
      return { thread: Number(m[1]) as ThreadId, label: m[2], blocked: m[3] !== undefined };
    });
  }

  private reached(g: { thread: ThreadId; label: string; blocked: boolean }): boolean {
    const v = (this.sched as Sched).view(g.thread);
    return v.label === g.label && (!g.blocked || v.state === 'blocked');
  }

  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    const s = this.sched;
    if (s === null) throw new Error('GoalChooser.sched not set');
    while (this.goals.length > 0 && this.reached(this.goals[0])) this.goals.shift();
    const g = this.goals[0];
    if (g === undefined) return this.fallback.pickThread(enabled, ctx);
    if (!enabled.includes(g.thread)) throw new Error(`goal T${g.thread}@${g.label}: T${g.thread} is not enabled (${JSON.stringify(s.view(g.thread))})`);
    return g.thread;
  }

  pickData(): number {
    return 0;
  }

  /** Drop the goals met by now (called after every step). */
  advance(): void {
    while (this.goals.length > 0 && this.reached(this.goals[0])) this.goals.shift();
  }

  /** Goals not reached by the end of the run. */
  get pending(): readonly string[] {
    return this.goals.map((g) => `T${g.thread}@${g.label}`);
  }
}

/** Run `bodies` steered by goals; fails the test if a goal was never reached. */
export function steer(goals: readonly string[], bodies: readonly ThreadBody[], opts: { trace?: boolean } = {}): { s: Sched; r: RunResult; pending: readonly string[] } {
  const c = new GoalChooser(goals);
  const s = new Sched({
    chooser: c,
    trace: opts.trace ?? true,
    afterStep: () => {
      c.advance();
      return false;
    },
  });
  c.sched = s;
  bodies.forEach((b, i) => s.spawn(`t${i}`, (tid) => b(s, tid)));
  const r = s.run();
  return { s, r, pending: c.pending };
}
