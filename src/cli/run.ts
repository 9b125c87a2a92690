/** `pinlab run <scenario>`: one run on one profile (default chooser or a schedule). */
import { renderOutcome } from '../report/render-text.js';
import { runJson } from '../report/trace-json.js';
import { parseSchedule } from '../explore/schedule.js';
import { FailNthChooser } from '../explore/failnth.js';
import type { RunOutcome } from '../scenario/run.js';
import { runScenario } from '../scenario/run.js';
import type { Io } from './io.js';
import { BadInput, EXIT_MISMATCH, EXIT_OK, intOption, jsonText, loadOrThrow, pickProfile } from './io.js';

export interface RunCmdOptions {
  readonly profile?: string;
  readonly patch?: readonly string[];
  readonly schedule?: string;
  readonly trace?: boolean;
  readonly json?: boolean;
  /** Fail the n-th failable call of the default run (fault injection on). */
  readonly failNth?: string;
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
  const nth = intOption(opts.failNth, '--fail-nth');
  if (nth !== undefined && (nth < 1 || opts.schedule !== undefined)) throw new BadInput(nth < 1 ? '--fail-nth: expected an integer ≥ 1' : '--fail-nth runs the default schedule: it cannot be combined with --schedule');
  const o = runScenario(s, profile, {
    schedule: nth !== undefined ? null : schedule ?? null,
    trace: opts.trace === true || opts.json === true,
    ...(nth !== undefined ? { chooser: new FailNthChooser(nth), faultInjection: true } : {}),
  });
  if (opts.json === true) io.out(jsonText(runJson(o)));
  else {
    io.out(renderOutcome(o));
    if (opts.trace === true && o.trace !== null) for (const e of o.trace) io.out(JSON.stringify(e));
  }
  return runFailed(o) ? EXIT_MISMATCH : EXIT_OK;
}
