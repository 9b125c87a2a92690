/**
 * The diamond check of the explorer's footprints (tests/soundness/footprint-diamond.test.ts,
 * tests/unit/scenario/object-footprint.test.ts): two adjacent steps of different threads
 * whose footprints are independent are executed in the other order (the same prefix, the
 * two steps swapped, the same remainder); the state right after the pair (world fingerprint
 * and thread positions) and the end (world and outcome) must be the same.
 */
import { RandomChooser } from '../../src/explore/choosers.js';
import { independent } from '../../src/explore/dpor.js';
import type { ExploreRun, ExploreTarget } from '../../src/explore/explore.js';
import type { Chooser, PickContext, RunResult, ThreadId } from '../../src/sched/index.js';
import { DefaultChooser, ScheduleDivergence } from '../../src/sched/index.js';

interface Step {
  readonly thread: number;
  readonly data: readonly number[];
  readonly fp: readonly string[] | null;
  /** World fingerprint and positions after the step. */
  readonly key: string;
}

/** Follows a plan of steps (thread, data choices), then the default strategy. */
class PlanChooser implements Chooser {
  at = 0;
  private d = 0;
  constructor(private readonly plan: readonly Step[]) {}
  next(): void {
    this.at++;
    this.d = 0;
  }
  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    const p = this.plan[this.at];
    if (p === undefined) return ctx.last !== null && ctx.lastEnabled ? ctx.last : enabled[0];
    if (!enabled.includes(p.thread as ThreadId)) throw new ScheduleDivergence(ctx.choiceIndex, ctx.step, 'plan: thread not enabled');
    return p.thread as ThreadId;
  }
  pickData(_label: string, n: number, _t: ThreadId, ctx: PickContext): number {
    const p = this.plan[this.at];
    if (p === undefined) return 0;
    const c = p.data[this.d++];
    if (c === undefined || c >= n) throw new ScheduleDivergence(ctx.choiceIndex, ctx.step, 'plan: data choice differs');
    return c;
  }
}

/** Run `target` with `chooser`; per step its thread, data choices, footprint and key. */
function record(target: ExploreTarget, chooser: Chooser, onStep?: (i: number) => void): { steps: Step[]; res: RunResult; end: string; outcome: string } {
  const steps: Step[] = [];
  let run: ExploreRun | null = null;
  let seen = 0;
  run = target.start({
    chooser,
    trace: false,
    maxSteps: 5000,
    afterStep: (s) => {
      const r = run as ExploreRun;
      const data: number[] = [];
      const ch = s.choices;
      for (let k = seen; k < ch.length; k++) {
        const c = ch[k];
        if (c.kind === 'data') data.push(c.index);
      }
      seen = ch.length;
      const fp = r.footprint?.() ?? null;
      steps.push({ thread: s.lastRan as number, data, fp, key: `${r.fingerprint()}|${s.positionKey()}` });
      onStep?.(steps.length - 1);
      return false;
    },
  });
  run.footprint?.();
  const res = run.sched.run();
  const out = run.outcome?.(res);
  return { steps, res, end: run.fingerprint(), outcome: out?.key ?? '' };
}

/** Check every adjacent independent pair of the run `chooser` makes; returns the failures and how many pairs were checked. */
export function diamonds(target: ExploreTarget, seed: number | null, what: string): { failures: string[]; checked: number } {
  const failures: string[] = [];
  let checked = 0;
  const orig = record(target, seed === null ? new DefaultChooser() : new RandomChooser(seed));
  if (orig.res.status !== 'done') return { failures, checked };
  const { steps } = orig;
  for (let i = 0; i + 1 < steps.length; i++) {
    const a = steps[i];
    const b = steps[i + 1];
    if (a.thread === b.thread || !independent(a.fp, b.fp)) continue;
    const plan = [...steps.slice(0, i), b, a, ...steps.slice(i + 2)];
    const chooser = new PlanChooser(plan);
    const swapped = record(target, chooser, () => chooser.next());
    checked++;
    const where = `${what}: steps ${i + 1},${i + 2} (T${a.thread} ${JSON.stringify(a.fp)}, T${b.thread} ${JSON.stringify(b.fp)})`;
    // A swap the plan cannot follow (b was not enabled before a): a dependence on enabledness.
    if (swapped.res.status === 'diverged') failures.push(`${where}: the second cannot run first`);
    else if (swapped.steps[i + 1]?.key !== b.key) failures.push(`${where}: different state after the pair`);
    else if (swapped.end !== orig.end || swapped.outcome !== orig.outcome) failures.push(`${where}: different end`);
  }
  return { failures, checked };
}
