/** `pinlab run <scenario>`: one run on one profile (default chooser or a schedule). */
import { renderOutcome } from '../report/render-text.js';
import { runJson } from '../report/trace-json.js';
import { parseSchedule } from '../explore/schedule.js';
import { FailNthChooser } from '../explore/failnth.js';
import type { RunOutcome } from '../scenario/run.js';
import type { StepTiming } from '../scenario/state.js';
import { runScenario } from '../scenario/run.js';
import type { Json } from '../report/trace-json.js';
import type { Profile } from '../profiles/index.js';
import type { Scenario } from '../scenario/ast.js';
import { RunSession } from '../serve/session.js';
import type { Io } from './io.js';
import { BadInput, EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, intOption, jsonText, loadOrThrow, pickProfile, positiveIntOption } from './io.js';

export interface RunCmdOptions {
  readonly profile?: string;
  readonly patch?: readonly string[];
  readonly schedule?: string;
  readonly trace?: boolean;
  readonly json?: boolean;
  /** The step bound of the run (default 100000). */
  readonly maxSteps?: string;
  /** Fail the n-th failable call of the default run (fault injection on). */
  readonly failNth?: string;
  /** Report the wall time of set-up, each step and the end-of-run checks. */
  readonly timings?: boolean;
}

/**
 * The exit code of a run or replay, one rule for both: a schedule that diverges from the run is bad
 * input (exit 2, the divergence on stderr; the schedule does not fit this scenario and profile); else
 * exit 1 when the run failed (runFailed), 0 otherwise.
 */
export function outcomeExit(io: Io, o: RunOutcome): number {
  if (o.status === 'diverged') {
    io.err(`schedule diverged: ${o.divergence ?? ''}`);
    return EXIT_BAD_INPUT;
  }
  return runFailed(o) ? EXIT_MISMATCH : EXIT_OK;
}

/** A run "fails" (exit 1) when it violates an invariant, hits a kernel BUG, or is not a verdict. */
export function runFailed(o: RunOutcome): boolean {
  return o.status !== 'done' || o.violated.length > 0 || o.reports.some((r) => r.kind === 'bug');
}

/** The machine state after the run's last step (schema/state.schema.json; held frames, first page). */
function finalState(s: Scenario, profile: Profile, o: RunOutcome): Json {
  if (o.status === 'setup-failed') return null;
  return new RunSession('run', s, profile, o.schedule === '' ? null : o.schedule).at(o.steps).state('held') as unknown as Json;
}

export function cmdRun(io: Io, file: string, opts: RunCmdOptions): number {
  const s = loadOrThrow(file);
  const profile = pickProfile(s, opts.profile, opts.patch ?? []);
  const schedule = opts.schedule ?? s.schedule;
  if (schedule !== null && schedule !== undefined) {
    const p = parseSchedule(schedule);
    if (!p.ok) throw new BadInput(`--schedule: column ${p.column}: ${p.error}`);
  }
  const maxSteps = positiveIntOption(opts.maxSteps, '--max-steps');
  const nth = intOption(opts.failNth, '--fail-nth');
  if (nth !== undefined && (nth < 1 || opts.schedule !== undefined)) throw new BadInput(nth < 1 ? '--fail-nth: expected an integer ≥ 1' : '--fail-nth runs the default schedule: it cannot be combined with --schedule');
  const clock = opts.timings === true ? { clock: () => performance.now() } : {};
  const o = runScenario(s, profile, {
    schedule: nth !== undefined ? null : schedule ?? null,
    trace: opts.trace === true || opts.json === true,
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(nth !== undefined ? { chooser: new FailNthChooser(nth), faultInjection: true } : {}),
    ...clock,
  });
  if (opts.json === true) io.out(jsonText(opts.trace === true ? { ...(runJson(o) as object), state: finalState(s, profile, o) } : runJson(o)));
  else {
    io.out(renderOutcome(o));
    if (o.timings !== null) {
      io.out(renderTimings(o.timings));
      // CPU time of the whole process so far (node's start included): a figure that load on the machine inflates less than wall time.
      const cpu = process.cpuUsage();
      io.out(`process CPU time (user + system): ${((cpu.user + cpu.system) / 1e6).toFixed(3)} s\n`);
    }
    if (opts.trace === true && o.trace !== null) for (const e of o.trace) io.out(JSON.stringify(e));
  }
  return outcomeExit(io, o);
}

/** `--timings`: the wall time of set-up, each step (from its start to its end) and the end-of-run checks. */
export function renderTimings(ts: readonly StepTiming[]): string {
  const w = Math.max(...ts.map((t) => t.what.length));
  return ['timings (wall clock):', ...ts.map((t) => `  ${t.what.padEnd(w)}  ${(t.ms / 1000).toFixed(3).padStart(9)} s`)].join('\n') + '\n';
}
