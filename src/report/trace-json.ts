/**
 * The versioned JSON forms of runs, checks and explorations (what `--json` prints and
 * what the web visualizer will read). Bump TRACE_SCHEMA_VERSION on any incompatible
 * change; fields are only ever added within a version.
 *
 * Values: an integer is a JSON number when it is exact as one (|v| <= 2^53 - 1), else a
 * string of its decimal digits (bigintJson); everything else is plain JSON. Every document
 * has a `version` key (TRACE_SCHEMA_VERSION).
 */
import type { Violation } from '../check/violation.js';
import type { ExploreResult } from '../explore/explore.js';
import type { KernelReport } from '../linux/machine.js';
import type { TraceEvent } from '../sched/index.js';
import { bigintJson } from '../sched/index.js';
import type { Value } from '../scenario/ast.js';
import type { JudgeResult } from '../scenario/judge.js';
import type { RunOutcome } from '../scenario/run.js';

export const TRACE_SCHEMA_VERSION = 2;

export type Json = string | number | boolean | null | readonly Json[] | { readonly [k: string]: Json };

export function jsonValue(v: Value | undefined): Json {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return bigintJson(v);
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map((x) => jsonValue(x as Value));
  const o = v as Readonly<Record<string, Value>>;
  const out: Record<string, Json> = {};
  for (const k of Object.keys(o).sort()) out[k] = jsonValue(o[k]);
  return out;
}

function json(v: unknown): Json {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? bigintJson(x) : x))) as Json;
}

export function violationJson(v: Violation): Json {
  return json(v);
}

export function reportJson(r: KernelReport): Json {
  return json(r);
}

/** `pinlab run --json` / `pinlab replay --json`. */
export function runJson(o: RunOutcome): Json {
  const values: Record<string, Json> = {};
  for (const [k, v] of o.values) values[k] = jsonValue(v);
  const outputs: Record<string, Json> = {};
  for (const [k, v] of o.outputs) if (Object.keys(v).length > 0) outputs[k] = jsonValue(v as Value);
  return {
    version: TRACE_SCHEMA_VERSION,
    scenario: o.scenario,
    profile: o.profile,
    status: o.status,
    problem: o.problem,
    schedule: o.schedule,
    steps: o.steps,
    values,
    outputs,
    violated: [...o.violated],
    violations: o.violations.map(violationJson),
    reports: o.reports.map(reportJson),
    divergence: o.divergence,
    reasons: Object.fromEntries([...o.reasons].map(([k, r]) => [k, { errno: r.errno, fn: r.fn, why: r.why }])),
    trace: o.trace === null ? null : o.trace.map((e: TraceEvent) => json(e)),
    ...(o.timings === null ? {} : { timings: o.timings.map((t) => ({ what: t.what, ms: t.ms })) }),
  };
}

/** One row of `pinlab check --json`. */
export function judgeJson(r: JudgeResult): Json {
  return {
    scenario: r.scenario,
    profile: r.profile,
    spec: r.spec,
    hypothetical: r.hypothetical,
    match: r.match,
    status: r.status,
    mismatches: [...r.mismatches],
    values: r.values.map((v) => ({ ...v })),
    verdicts: r.verdicts.map((v) => ({ ...v })),
    conditions: r.conditions.map((c) => ({ kind: c.kind, condition: c.condition, found: c.found, ok: c.ok, witness: c.witness === null ? null : { values: jsonValue(c.witness.values as Value), schedule: c.witness.schedule }, outcomes: c.outcomes })),
    explore: r.explore === null ? null : json(r.explore),
    counterexamples: r.counterexamples.map((c) => json(c)),
  };
}

/** `pinlab check --json`. */
export function checkJson(results: readonly JudgeResult[], errors: readonly string[]): Json {
  return {
    version: TRACE_SCHEMA_VERSION,
    results: results.map(judgeJson),
    mismatches: results.filter((r) => !r.match).length,
    errors: [...errors],
  };
}

/** `pinlab explore --json`. */
export function exploreJson(scenario: string, profile: string, r: ExploreResult): Json {
  const c = r.counterexample;
  return {
    version: TRACE_SCHEMA_VERSION,
    scenario,
    profile,
    strategy: r.strategy,
    reduction: r.reduction,
    complete: r.complete,
    bounded: [...r.bounded],
    limits: { ...r.limits },
    schedules: r.schedules,
    states: r.states,
    edges: r.edges,
    paths: Number.isFinite(r.paths) ? r.paths : 'Infinity',
    verdicts: { ...r.verdicts },
    counterexample: c === null ? null : { invariant: c.invariant, schedule: c.schedule, preemptions: c.preemptions, steps: c.steps, verified: c.verified },
    counterexamples: json(r.counterexamples),
    outcomes: r.outcomes.map((o) => ({ values: jsonValue(o.values as Value), schedule: o.schedule })),
  };
}
