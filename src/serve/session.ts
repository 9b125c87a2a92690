/**
 * Sessions of `pinlab serve`: one per scenario run (scenario, profile, schedule).
 *
 * A RunSession runs the scenario once to completion (the schedule string it
 * reports is then complete and replays exactly), watching each step: its step record
 * (timeline.ts) keeps a copy of what the state views read before the first step and
 * what each step changed, and the run's world stays alive with it. "The state after
 * step N" is rebuilt from that record without running anything; the diff between two
 * steps compares only the frames the steps in between changed. Where the record gives
 * up (timeline.ts says when), the state is taken from a second, live world stepped
 * along the schedule: forward requests continue it, an earlier step rebuilds it from
 * the start (runs are deterministic). Snapshots are cached (a few).
 *
 * A CallSession drives the model one operation at a time (a syscall, an ioctl, a GUP
 * call, in scenario step syntax) for programs such as VMM test suites: each call is
 * validated, appended to the session's thread, and the run is re-executed from the
 * set-up with the default schedule (deterministic, so earlier results stay the
 * same); the reply is the kernel's result of the new call and the state after it.
 */
import { isMap, parseDocument } from 'yaml';
import type { Profile } from '../profiles/index.js';
import type { Scenario } from '../scenario/ast.js';
import { renderError } from '../scenario/ast.js';
import { parseScenario } from '../scenario/parse.js';
import type { RunOutcome, World } from '../scenario/run.js';
import { buildWorld, runScenario } from '../scenario/run.js';
import { ReplayChooser } from '../explore/choosers.js';
import { parseSchedule } from '../explore/schedule.js';
import { DefaultChooser } from '../sched/index.js';
import type { TraceEvent } from '../sched/index.js';
import { Snapshot } from '../report/state-json.js';
import type { LaneStep, StateDiff } from '../report/state-types.js';
import { jsonValue, runJson } from '../report/trace-json.js';
import type { Json } from '../report/trace-json.js';
import { Timeline } from './timeline.js';

/** Runs of machines up to this much memory record object events (each frame card then shows its history). */
export const HISTORY_MAX_BYTES = 512 * 1024 * 1024;

/** Bad input to a session (a 4xx answer). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly details: readonly string[] = []) {
    super(message);
    this.name = 'ApiError';
  }
}

const SNAPSHOT_CACHE = 6;
/** Folio rows the cached snapshots may hold in all, shared chunks once (a 16 GiB guest of 4 KiB pages: 4 million per snapshot). */
const SNAPSHOT_CACHE_ROWS = 12 * 1024 * 1024;

export class RunSession {
  readonly outcome: RunOutcome;
  readonly lanes: readonly LaneStep[];
  private live: { w: World; ends: number[] } | null = null;
  private readonly cache = new Map<number, Snapshot>();
  /** The step record of the run (null: it gave up, see `recordOff`). */
  readonly timeline: Timeline | null;
  /** Why states are replayed instead of rebuilt from the step record, or null. */
  readonly recordOff: string | null;
  /** Whether the run records object events (frame histories): small machines only. */
  private readonly events: boolean;

  /** `history`: record object events (frame histories); default: for machines up to HISTORY_MAX_BYTES. */
  constructor(readonly id: string, readonly scenario: Scenario, readonly profile: Profile, schedule: string | null, history?: boolean) {
    if (schedule !== null) {
      const p = parseSchedule(schedule);
      if (!p.ok) throw new ApiError(400, `schedule: column ${p.column}: ${p.error}`);
    }
    this.events = history ?? memoryBytes(scenario) <= HISTORY_MAX_BYTES;
    const tl = new Timeline(scenario);
    let watched: World | null = null;
    const events = this.events;
    this.outcome = runScenario(scenario, profile, {
      schedule, trace: true,
      watch: { events, start: (w) => { watched = w; tl.start(w); }, step: (w) => tl.step(w), opEnd: (w) => tl.opEnd(w) },
    });
    if (watched === null) tl.disabled ??= 'the run did not start';
    else tl.finish(this.outcome.steps);
    this.timeline = tl.disabled === null ? tl : null;
    this.recordOff = tl.disabled;
    this.lanes = laneSteps(this.outcome.trace ?? []);
    // The last step is the one a finished run is first looked at: rebuild it now, as part of the run.
    if (this.timeline !== null) this.at(this.steps);
  }

  get steps(): number {
    return this.outcome.steps;
  }

  /** Summary (RunSummary in state-types.ts): the run's outcome (run --json) plus the swim lanes. */
  summary(): Json {
    return { id: this.id, run: runJson(this.outcome), lanes: this.lanes as unknown as Json, threads: this.scenario.threads.map((t) => ({ name: t.name, process: t.process, steps: t.steps.map((s) => s.op) })) };
  }

  /** The snapshot after `step` steps (0 = after set-up). */
  at(step: number): Snapshot {
    if (!Number.isInteger(step) || step < 0 || step > this.steps) throw new ApiError(400, `step: expected an integer in 0..${this.steps}, got ${step}`);
    const c = this.cache.get(step);
    if (c !== undefined) {
      this.cache.delete(step);
      this.cache.set(step, c);
      return c;
    }
    if (this.timeline !== null) {
      const snap = this.timeline.snapshot(step, { scenario: this.scenario, schedule: this.outcome.schedule, violated: this.violatedAt(step) });
      return this.keep(step, snap);
    }
    return this.keep(step, this.replayed(step));
  }

  /** The snapshot after `step` steps of a straight replay of the run (the step record's reference; the fallback). */
  replayed(step: number): Snapshot {
    if (this.live === null || this.live.w.sched.stepCount > step) this.live = this.start();
    const live = this.live;
    const target = step;
    while (live.w.sched.stepCount < target) {
      const before = live.w.sched.stepCount;
      this.stopAt = target;
      live.w.sched.run();
      if (live.w.sched.stepCount === before) throw new Error(`pinlab bug: the live replay of ${this.scenario.file} stopped at step ${before} before ${target}`);
    }
    const trace = live.w.sched.trace;
    return Snapshot.take(live.w, {
      scenario: this.scenario,
      schedule: this.outcome.schedule,
      eventStep: (seq) => eventStep(live.ends, seq),
      trace,
      violated: this.violatedAt(step),
    });
  }

  private keep(step: number, snap: Snapshot): Snapshot {
    this.cache.set(step, snap);
    // Rows held in all: snapshots of the step record share the chunks no step in between changed.
    const rows = (): number => {
      const seen = new Set<unknown>();
      let n = 0;
      for (const x of this.cache.values()) for (const c of x.parts.folios.chunks) if (!seen.has(c)) {
        seen.add(c);
        n += c.n;
      }
      return n;
    };
    while (this.cache.size > 1 && (this.cache.size > SNAPSHOT_CACHE || rows() > SNAPSHOT_CACHE_ROWS)) this.cache.delete(this.cache.keys().next().value as number);
    return snap;
  }

  diff(from: number, to: number): StateDiff {
    const a = this.at(from);
    const b = this.at(to);
    return a.diff(b);
  }

  private stopAt = 0;

  /**
   * Invariants violated at or before `step`, from the first full run's violation records
   * (each step invariant carries the step it was first seen at; deadlocks and other
   * end-of-run findings count at the last step). The live replay runs no checker (PERF:
   * the step invariants scan every pinned frame after every step).
   */
  violatedAt(step: number): string[] {
    const out = new Set<string>();
    for (const v of this.outcome.violations) {
      if (v.kind === 'invariant') {
        if (v.step <= step) out.add(v.invariant);
      } else if (step === this.steps && v.kind !== 'warning' && v.kind !== 'kernel-bug' && v.kind !== 'unsupported') out.add(v.kind);
    }
    if (step === this.steps) for (const id of this.outcome.violated) out.add(id);
    return [...out].sort();
  }

  private start(): { w: World; ends: number[] } {
    const p = parseSchedule(this.outcome.schedule);
    if (!p.ok) throw new Error(`pinlab bug: a run reported an unparsable schedule: ${p.error}`);
    const ends: number[] = [];
    let w: World | null = null;
    w = buildWorld(this.scenario, this.profile, {
      chooser: new ReplayChooser(p.schedule),
      trace: true,
      maxSteps: 100_000,
      afterStep: (s) => {
        if (w === null) return false;
        ends[s.stepCount] = w.m.events.length;
        return s.stepCount >= this.stopAt;
      },
      // It stops only between steps, and the first run merged a lone thread's steps the same way.
      afterStepAllowsMerge: true,
    }, { recordEvents: this.events });
    ends[0] = w.m.events.length;
    return { w, ends };
  }
}

/** The memory a scenario's machine has (zones and pmem), in bytes. */
function memoryBytes(s: Scenario): number {
  const mem = s.setup.memory;
  return Number(mem.zones.DMA32) + Number(mem.zones.Normal) + Number(mem.zones.Movable) + mem.pmem.reduce((n, p) => n + Number(p.size), 0);
}

/** The step during which object event `seq` happened, from the event counts after each step. */
function eventStep(ends: readonly number[], seq: number): number {
  let lo = 0;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((ends[mid] ?? 0) > seq) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Group a trace into steps: each step ends with the running thread's point, block or exit event. */
export function laneSteps(trace: readonly TraceEvent[]): LaneStep[] {
  const out: LaneStep[] = [];
  let pending: LaneStep['events'][number][] = [];
  for (const e of trace) {
    if (e.kind === 'point' || e.kind === 'block' || e.kind === 'exit') {
      out.push({ step: out.length + 1, thread: e.thread, end: e.kind, label: e.kind === 'exit' ? '<exit>' : e.label, events: pending });
      pending = [];
    } else if (e.kind === 'call' || e.kind === 'ret' || e.kind === 'choose' || e.kind === 'note' || e.kind === 'signal' || e.kind === 'batch') {
      pending.push(JSON.parse(JSON.stringify(e)) as LaneStep['events'][number]);
    }
  }
  return out;
}

// ---- one operation at a time -----------------------------------------------------------------------------

/** The reply to one call. */
export interface CallReply {
  readonly call: number;
  readonly op: string;
  /** The kernel's result of the call (a return value or -ERRNO name), JSON. */
  readonly result: Json;
  readonly outputs: Json;
  readonly status: string;
  readonly violated: readonly string[];
}

export class CallSession {
  /** The posted scenario with threads/expect/observe/schedule blanked out (line and column numbers kept). */
  private readonly base: string;
  private readonly calls: string[] = [];
  private last: RunOutcome | null = null;
  private lastWorld: { w: World; trace: readonly TraceEvent[] | null } | null = null;
  readonly scenario: Scenario;

  constructor(readonly id: string, readonly file: string, text: string, readonly profile: Profile, process: string | undefined) {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new ApiError(422, `invalid scenario ${file}`, doc.errors.map((e) => `${file}:${e.linePos?.[0].line ?? 1}:${e.linePos?.[0].col ?? 1}: ${e.message.split('\n')[0]}`));
    if (!isMap(doc.contents)) throw new ApiError(422, `invalid scenario ${file}`, [`${file}:1:1: a scenario is a mapping`]);
    let base = text;
    for (const pair of doc.contents.items) {
      const key = pair.key as { value?: unknown; range?: [number, number, number] } | null;
      if (key === null || !['threads', 'expect', 'observe', 'schedule'].includes(String(key.value)) || key.range === undefined) continue;
      const value = pair.value as { range?: [number, number, number] } | null;
      const end = value?.range?.[2] ?? key.range[2];
      base = base.slice(0, key.range[0]) + base.slice(key.range[0], end).replace(/[^\n]/g, ' ') + base.slice(end);
    }
    this.base = base.replace(/\n*$/, '\n');
    const first = doc.getIn(['setup', 'processes', 0, 'name']);
    const proc = process ?? (typeof first === 'string' ? first : undefined);
    if (proc === undefined) throw new ApiError(400, `${file}: the set-up declares no process to issue calls as`);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(proc)) throw new ApiError(400, `process: expected a process name, got '${proc}'`);
    const r = parseScenario(this.compose([], proc).text, file);
    if (!r.ok) throw new ApiError(422, `invalid scenario ${file}`, r.errors.map(renderError));
    this.process = proc;
    this.scenario = r.scenario;
  }

  readonly process: string;

  get count(): number {
    return this.calls.length;
  }

  /**
   * Validate and run one call, given as one scenario step in YAML (`mmap: { ... }`, with
   * an optional `as:`). Errors read `call:<line>:<col>` relative to the posted text.
   */
  call(stepText: string): CallReply {
    const n = this.calls.length;
    const step = parseDocument(stepText);
    if (step.errors.length > 0) throw new ApiError(400, 'invalid call', step.errors.map((e) => `call:${(e.linePos?.[0].line ?? 1)}:${(e.linePos?.[0].col ?? 1)}: ${e.message.split('\n')[0]}`));
    if (!isMap(step.contents)) throw new ApiError(400, 'invalid call', ['call:1:1: a call is one step: a mapping `<operation>: { args }`']);
    // Keep the posted text as it is (error positions then match it); add `as:` when missing.
    const flow = (step.contents as { flow?: boolean }).flow === true;
    if (!step.has('as')) step.set('as', `call${n}`);
    const own = flow ? step.toString() : stepText.includes('\nas:') || stepText.startsWith('as:') ? stepText : `${stepText.replace(/\n*$/, '')}\nas: ${String(step.get('as'))}`;
    const calls = [...this.calls, own];
    const { text, starts } = this.compose(calls, this.process);
    const r = parseScenario(text, this.file);
    if (!r.ok) {
      const start = starts[n];
      const mine = r.errors.filter((e) => e.at.line >= start);
      const other = r.errors.filter((e) => e.at.line < start);
      throw new ApiError(400, 'invalid call', [
        ...mine.map((e) => `call:${e.at.line - start + 1}:${Math.max(1, e.at.col - 8)}: ${e.message}`),
        ...other.map(renderError),
      ]);
    }
    const s = r.scenario;
    const outcome = runScenario(s, this.profile, { trace: true });
    if (outcome.status === 'setup-failed') throw new ApiError(422, `set-up failed: ${outcome.problem ?? ''}`);
    this.calls.push(own);
    this.last = outcome;
    this.lastWorld = null;
    const as = String(step.get('as'));
    const opName = Object.keys(step.toJSON() as Record<string, unknown>).find((k) => k !== 'as' && k !== 'after') ?? '?';
    return {
      call: n,
      op: opName,
      result: jsonValue(outcome.values.get(as)),
      outputs: jsonValue(outcome.outputs.get(as) as never),
      status: outcome.status,
      violated: [...outcome.violated],
    };
  }

  /** The scenario text of the session so far (set-up + one thread of the calls). */
  scenarioText(): string {
    return this.compose(this.calls, this.process).text;
  }

  /** The state after the latest call (or after set-up when there is none). */
  state(): Snapshot {
    const text = this.scenarioText();
    const r = parseScenario(text, this.file);
    if (!r.ok) throw new Error(`pinlab bug: a session's own scenario no longer parses: ${r.errors.map(renderError).join('; ')}`);
    if (this.lastWorld === null) {
      const w = buildWorld(r.scenario, this.profile, { chooser: new DefaultChooser(), trace: true, maxSteps: 100_000 });
      w.sched.run();
      this.lastWorld = { w, trace: w.sched.trace };
    }
    const { w, trace } = this.lastWorld;
    return Snapshot.take(w, { scenario: r.scenario, schedule: this.last?.schedule ?? '', eventStep: () => 0, trace, violated: [...(this.last?.violated ?? [])] });
  }

  private compose(calls: readonly string[], process: string): { text: string; starts: number[] } {
    let text = `${this.base}threads:\n  - name: api\n    process: ${process}\n    steps:${calls.length === 0 ? ' []' : ''}\n`;
    const starts: number[] = [];
    for (const c of calls) {
      starts.push(text.split('\n').length);
      const lines = c.replace(/\n*$/, '').split('\n');
      text += lines.map((l, i) => (i === 0 ? `      - ${l}` : `        ${l}`)).join('\n') + '\n';
    }
    text += `expect:\n  ${JSON.stringify(this.profile.name)}: {}\n`;
    return { text, starts };
  }
}
