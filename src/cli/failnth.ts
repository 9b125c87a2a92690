/**
 * `pinlab explore <scenario> --fail-nth`: every single failure point of the scenario's
 * default run (src/scenario/failnth.ts), each judged by the invariants; and the text
 * and JSON forms of its result. `pinlab run <scenario> --fail-nth N` re-runs one.
 */
import { renderViolation } from '../report/render-text.js';
import { jsonValue, runJson, TRACE_SCHEMA_VERSION } from '../report/trace-json.js';
import type { Json } from '../report/trace-json.js';
import { errname } from '../linux/include/uapi/linux/errno.js';
import type { Scenario } from '../scenario/ast.js';
import type { FailNthScenarioResult, FailNthScenarioRun } from '../scenario/failnth.js';
import { failNthCommand, failNthScenario, programHang } from '../scenario/failnth.js';
import type { Profile } from '../profiles/index.js';
import type { Io } from './io.js';
import { BadInput, EXIT_MISMATCH, EXIT_OK, jsonText } from './io.js';
import { runFailed } from './run.js';

/**
 * A run with an injected failure is bad when it would be bad without one (runFailed), except
 * a hang of the scenario's own program that the failure causes (programHang): the kernel hangs
 * the same way, so it is reported as such, not as a model finding.
 */
export function failNthRunBad(r: FailNthScenarioRun): boolean {
  return r.outcome.status !== 'unsupported' && runFailed(r.outcome) && !programHang(r.outcome);
}

/** The model cannot judge this run (an `unsupported` path): not a verdict, and said so. */
function failNthUnsupported(r: FailNthScenarioRun): boolean {
  return r.outcome.status === 'unsupported';
}

function failNthVerdict(x: FailNthScenarioRun): string {
  if (failNthUnsupported(x)) return 'unsupported (not a verdict)';
  if (failNthRunBad(x)) return `BAD: ${x.outcome.status !== 'done' ? x.outcome.status : ''}${x.outcome.violated.join(', ')}`;
  return programHang(x.outcome) ? "ok (the program hangs: its own wait can never end after this failure, as on the kernel)" : 'ok';
}

function showResult(v: unknown): string {
  if (typeof v === 'number' && v < 0 && Number.isInteger(v)) return errname(v);
  if (typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? 'null';
}

/** The text report: one line per failure point, then each bad run's violations and re-run command. */
export function renderFailNth(r: FailNthScenarioResult, s: Scenario): string[] {
  const lines: string[] = [];
  const bad = r.runs.filter(failNthRunBad);
  const unsup = r.runs.filter(failNthUnsupported);
  lines.push(`${r.scenario} on ${r.profile}: fail-nth over the default schedule: ${r.runs.length} failure points, ${r.complete ? 'complete' : 'bounded (--max-fail-nth)'}, ${bad.length} bad, ${unsup.length} unsupported`);
  const results = s.threads.flatMap((t) => t.steps.flatMap((st) => (st.as === null ? [] : [st.as])));
  for (const x of r.runs) {
    const vals = results.filter((n) => x.outcome.values.has(n)).map((n) => `${n}=${showResult(x.outcome.values.get(n))}`).join(' ');
    lines.push(`  #${x.nth} ${x.site.failpoint} in T${x.site.thread} ${x.site.op}: ${vals === '' ? '-' : vals}  ${failNthVerdict(x)}`);
  }
  for (const x of [...bad, ...unsup]) {
    lines.push('');
    lines.push(`fail-nth ${x.nth} (${x.site.failpoint} in T${x.site.thread} ${x.site.op}):`);
    for (const v of x.outcome.violations) lines.push(renderViolation(v, r.scenario, r.profile, x.outcome.schedule));
    if (x.outcome.problem !== null) lines.push(`  problem: ${x.outcome.problem}`);
    lines.push(`  re-run: ${failNthCommand(r.scenario, r.profile, x.nth)}`);
  }
  return lines;
}

export function failNthJson(r: FailNthScenarioResult): Json {
  return {
    version: TRACE_SCHEMA_VERSION,
    scenario: r.scenario,
    profile: r.profile,
    complete: r.complete,
    failable: r.failable,
    runs: r.runs.map((x) => {
      const values: Record<string, Json> = {};
      for (const [k, v] of x.outcome.values) values[k] = jsonValue(v);
      return {
        nth: x.nth, failpoint: x.site.failpoint, thread: x.site.thread, op: x.site.op,
        status: x.outcome.status, bad: failNthRunBad(x), programHang: programHang(x.outcome), values, violated: [...x.outcome.violated],
        violations: (runJson(x.outcome) as { violations: Json }).violations,
        schedule: x.outcome.schedule,
      };
    }),
  };
}

export function cmdExploreFailNth(io: Io, s: Scenario, profile: Profile, maxNth: number | undefined, json: boolean): number {
  if (maxNth === 0) throw new BadInput('--max-fail-nth: expected an integer ≥ 1, got 0');
  const r = failNthScenario(s, profile, maxNth === undefined ? {} : { maxNth });
  if (json) io.out(jsonText(failNthJson(r)));
  else for (const l of renderFailNth(r, s)) io.out(l);
  // As `run`: a run that is not a verdict exits 1 too.
  return r.runs.some((x) => failNthRunBad(x) || failNthUnsupported(x)) ? EXIT_MISMATCH : EXIT_OK;
}
