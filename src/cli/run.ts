/** `pinlab run <scenario>`: one run on one profile (default chooser or a schedule). */
import { renderOutcome } from '../report/render-text.js';
import { runJson } from '../report/trace-json.js';
import { parseSchedule } from '../explore/schedule.js';
import type { RunOutcome } from '../scenario/run.js';
import type { StepTiming } from '../scenario/state.js';
import { runScenario } from '../scenario/run.js';
import type { Io } from './io.js';
import { BadInput, EXIT_MISMATCH, EXIT_OK, jsonText, loadOrThrow, pickProfile } from './io.js';

export interface RunCmdOptions {
  readonly profile?: string;
  readonly patch?: readonly string[];
  readonly schedule?: string;
  readonly trace?: boolean;
  readonly json?: boolean;
  readonly timings?: boolean;
}

/** A run "fails" (exit 1) when it violates an invariant, hits a kernel BUG, or is not a verdict. */
export function runFailed(o: RunOutcome): boolean {
  return o.status !== 'done' || o.violated.length > 0 || o.reports.some((r) => r.kind === 'bug');
}

export function cmdRun(io: Io, file: string, opts: RunCmdOptions): number {
  const s = loadOrThrow(file);
  const profile = pickProfile(s, opts.profile, opts.patch ?? []);
  const schedule = opts.schedule ?? s.schedule;
  if (schedule !== null && schedule !== undefined) {
    const p = parseSchedule(schedule);
    if (!p.ok) throw new BadInput(`--schedule: column ${p.column}: ${p.error}`);
  }
  const clock = opts.timings === true ? { clock: () => performance.now() } : {};
  const o = runScenario(s, profile, { schedule: schedule ?? null, trace: opts.trace === true || opts.json === true, ...clock });
  if (opts.json === true) io.out(jsonText(runJson(o)));
  else {
    io.out(renderOutcome(o));
    if (o.timings !== null) io.out(renderTimings(o.timings));
    if (opts.trace === true && o.trace !== null) for (const e of o.trace) io.out(JSON.stringify(e));
  }
  return runFailed(o) ? EXIT_MISMATCH : EXIT_OK;
}

/** `--timings`: the wall time of set-up, each step (from its start to its end) and the end-of-run checks. */
export function renderTimings(ts: readonly StepTiming[]): string {
  const w = Math.max(...ts.map((t) => t.what.length));
  return ['timings (wall clock):', ...ts.map((t) => `  ${t.what.padEnd(w)}  ${(t.ms / 1000).toFixed(3).padStart(9)} s`)].join('\n') + '\n';
}
