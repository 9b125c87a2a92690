/**
 * `pinlab explore --fail-nth`: the scenario's failure points, one at a time.
 *
 * Each run follows the default schedule with fault injection on and fails the n-th
 * failable call (include/linux/fault_inject.ts; src/explore/failnth.ts), for n = 1, 2,
 * ... until a run makes fewer than n failable calls. Each run is judged like any other:
 * invariant violations (a leaked pin or reference, wrong locked_vm, a lock held at exit,
 * a deadlock), kernel reports and the thread results, with the failure point named.
 */
import type { FailNthResult } from '../explore/failnth.js';
import { failNth } from '../explore/failnth.js';
import type { Profile } from '../profiles/index.js';
import type { ThreadId, TraceEvent, TraceValue } from '../sched/index.js';
import type { Scenario } from './ast.js';
import type { RunOutcome } from './run.js';
import { runScenario } from './run.js';

/** Where the injected failure happened: the point, the thread and the scenario step it ran. */
export interface FailSite {
  readonly failpoint: string;
  readonly thread: ThreadId;
  /** The scenario operation the thread was running (`mmap`, `VFIO_IOMMU_MAP_DMA`, ...). */
  readonly op: string;
  /** What that operation returned (null if it never returned: the thread blocked or the run stopped). */
  readonly ret: TraceValue;
}

export interface FailNthScenarioRun {
  readonly nth: number;
  readonly site: FailSite;
  readonly outcome: RunOutcome;
}

export interface FailNthScenarioResult {
  readonly scenario: string;
  readonly profile: string;
  readonly runs: readonly FailNthScenarioRun[];
  readonly complete: boolean;
  /** Failable calls of the scenario's default run. */
  readonly failable: number;
}

/** The injected failure in a traced run: its `choose` event and the scenario step around it. */
export function failSiteOf(trace: readonly TraceEvent[]): FailSite | null {
  const opOf = new Map<number, string>();
  for (let i = 0; i < trace.length; i++) {
    const e = trace[i];
    if (e.kind === 'call' && e.fn.startsWith('scenario:')) opOf.set(e.thread, e.fn.slice('scenario:'.length));
    if (e.kind === 'choose' && e.index === 1 && e.chosen === 'fail') {
      const op = opOf.get(e.thread) ?? '?';
      const ret = trace.slice(i + 1).find((x) => x.kind === 'ret' && x.thread === e.thread && x.fn === `scenario:${op}`);
      return { failpoint: e.label, thread: e.thread, op, ret: ret !== undefined && ret.kind === 'ret' ? ret.result : null };
    }
  }
  return null;
}

export interface FailNthScenarioOptions {
  /** Stop after this many runs (default 10,000); the result is then not complete. */
  readonly maxNth?: number;
  readonly maxSteps?: number;
}

/**
 * A deadlock that an injected failure causes in the scenario's own program, as the kernel
 * would have it, not a model bug: every blocked thread holds no kernel lock and waits either in
 * user space (WaitMode `user`: a step that needs a result another thread never produces, or
 * the thread of a process whose fork failed) or in an interruptible kernel wait for another
 * task to act (e.g. pipe_read on an empty pipe whose write end the reader itself holds, after
 * its vmsplice failed: the kernel sleeps there until a signal). A lock never released on an
 * error path, or an uninterruptible wait for kernel state, is not one.
 */
export function programHang(o: RunOutcome): boolean {
  if (o.status !== 'deadlock') return false;
  const d = o.violations.find((v) => v.kind === 'deadlock');
  if (d === undefined || d.kind !== 'deadlock') return false;
  return d.threads.every((t) => t.held.length === 0 && (t.mode === 'interruptible' || t.mode === 'user'));
}

/** Fail each failable call of the scenario's default run in turn. */
export function failNthScenario(s: Scenario, profile: Profile, opts: FailNthScenarioOptions = {}): FailNthScenarioResult {
  const r: FailNthResult<RunOutcome> = failNth(
    (chooser) => runScenario(s, profile, { chooser, faultInjection: true, trace: true, ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}) }),
    opts.maxNth ?? 10_000,
  );
  const runs = r.runs.map((x): FailNthScenarioRun => {
    const site = failSiteOf(x.result.trace ?? []);
    if (site === null) throw new Error(`pinlab bug: fail-nth ${x.nth} failed ${x.failpoint ?? '?'} but the trace has no failed choice`);
    return { nth: x.nth, site, outcome: x.result };
  });
  return { scenario: s.file, profile: profile.name, runs, complete: r.complete, failable: r.failable };
}

/** The command that re-runs one fail-nth run (its schedule replays it too, with fault injection on). */
export function failNthCommand(file: string, profile: string, nth: number): string {
  return `pinlab run ${file} --profile ${profile} --fail-nth ${nth}`;
}
