/**
 * Replaying a schedule string against an explore target: the same run, its trace,
 * and the step at which each invariant was first violated. Used to verify the
 * explorer's counterexamples and by `pinlab replay`.
 */
import type { RunResult, TraceEvent } from '../sched/index.js';
import { ReplayChooser } from './choosers.js';
import { Observer } from './observe.js';
import { formatSchedule, parseSchedule } from './schedule.js';
import type { ExploreRun, ExploreTarget } from './types.js';

export interface ReplayViolation {
  readonly invariant: string;
  /** Scheduling step after which it was first seen (0: the initial state), or `end` (end-of-run verdicts). */
  readonly step: number | 'end';
}

export interface ReplayOutcome {
  /** True when the schedule parsed and the run followed it exactly (no divergence, no items left over). */
  readonly ok: boolean;
  /** Parse error, divergence message, or the number of unused items. */
  readonly error: string | null;
  readonly result: RunResult | null;
  readonly trace: readonly TraceEvent[] | null;
  readonly violations: readonly ReplayViolation[];
  /** The choices the run actually made, as a closed schedule string. */
  readonly schedule: string;
}

export interface ReplayOptions {
  /** Record the trace (default true). */
  readonly trace?: boolean;
  readonly maxSteps?: number;
}

/** Replay `schedule` on a fresh world of `target`. Never throws for bad input. */
export function replaySchedule(target: ExploreTarget, schedule: string, opts: ReplayOptions = {}): ReplayOutcome {
  const p = parseSchedule(schedule);
  if (!p.ok) return { ok: false, error: `bad schedule at column ${p.column}: ${p.error}`, result: null, trace: null, violations: [], schedule: '' };
  const chooser = new ReplayChooser(p.schedule);
  const found = new Map<string, number | 'end'>();
  let run: ExploreRun | null = null;
  let obs: Observer | null = null;
  const note = (vs: readonly string[], step: number | 'end'): void => {
    for (const v of vs) if (!found.has(v)) found.set(v, step);
  };
  run = target.start({
    chooser,
    trace: opts.trace ?? true,
    maxSteps: opts.maxSteps ?? 100_000,
    afterStep: (s) => {
      note((obs as Observer).step(), s.stepCount);
      return false;
    },
  });
  obs = new Observer(run);
  note(run.check(), 0);
  const result = run.sched.run();
  note(obs.end(result), 'end');
  let error: string | null = null;
  if (result.status === 'diverged') error = result.divergence?.message ?? 'replay diverged';
  else if (chooser.remaining > 0) error = `the run ended (${result.status}) with ${chooser.remaining} schedule item(s) unused`;
  return {
    ok: error === null,
    error,
    result,
    trace: run.sched.trace,
    violations: [...found].map(([invariant, step]) => ({ invariant, step })),
    schedule: formatSchedule(result.choices),
  };
}

/** Does replaying `schedule` violate `inv` at step `steps` (or at the end, for an end-of-run verdict)? */
export function verifyCounterexample(target: ExploreTarget, schedule: string, inv: string, steps: number, atEnd: boolean, maxSteps: number): boolean {
  const r = replaySchedule(target, schedule, { trace: false, maxSteps });
  if (!r.ok) return false;
  const v = r.violations.find((x) => x.invariant === inv);
  if (v === undefined) return false;
  return atEnd ? v.step === 'end' : v.step === steps;
}
