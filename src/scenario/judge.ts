/**
 * The judge: compare a scenario's declared result for a profile with what the model
 * does. Values are judged on one run (the scenario's `schedule`, else the default
 * chooser); invariant verdicts by exploring the interleavings. Messages are as
 * distinct as judgelitmus.sh's: `unexpected sometimes (declared never)`,
 * `incomplete: bound hit after N schedules`, `unsupported: ...`.
 */
import { INVARIANT_IDS } from '../check/ids.js';
import type { InvariantId, Verdict } from '../check/ids.js';
import type { Counterexample, ExploreOptions, ExploreResult } from '../explore/explore.js';
import { explore } from '../explore/explore.js';
import { errname } from '../linux/include/uapi/linux/errno.js';
import type { Profile } from '../profiles/profile.js';
import type { Expected, ProfileExpect, Scenario, Value } from './ast.js';
import type { OutcomeStatus, RunOutcome } from './run.js';
import { runScenario, scenarioTarget } from './run.js';
import { valueKey } from './state.js';
import type { OutcomeCheck } from './conditions.js';
import { judgeConditions } from './conditions.js';
import type { ProfileRuns, RunReuse } from './reuse.js';
import { optionsKey } from './reuse.js';

export interface ValueCheck {
  readonly name: string;
  readonly expected: string;
  readonly actual: string;
  readonly ok: boolean;
}

export interface VerdictCheck {
  readonly invariant: string;
  readonly declared: Verdict;
  /** What exploration found; `incomplete` when a bounded search found no violation of an invariant declared sometimes/always. */
  readonly found: Verdict | 'incomplete' | 'not-run';
  readonly ok: boolean;
}

export interface JudgeResult {
  readonly scenario: string;
  readonly profile: string;
  /** The `expect` key as written. */
  readonly spec: string;
  readonly hypothetical: boolean;
  readonly match: boolean;
  /** The values run's status. */
  readonly status: OutcomeStatus;
  /** One line per difference. */
  readonly mismatches: readonly string[];
  readonly values: readonly ValueCheck[];
  readonly verdicts: readonly VerdictCheck[];
  /** The `exists`/`forall` conditions, judged over the explored outcomes. */
  readonly conditions: readonly OutcomeCheck[];
  readonly explore: { readonly complete: boolean; readonly schedules: number; readonly states: number; readonly bounded: readonly string[]; readonly selfLoops: number } | null;
  /** For each invariant found violated: the minimal counterexample. */
  readonly counterexamples: readonly Counterexample[];
  readonly outcome: RunOutcome;
}

export interface JudgeOptions {
  /** Skip exploration (values only); verdicts are then `not-run` and do not count. */
  readonly noExplore?: boolean;
  /** Override the scenario's exploration limits. */
  readonly explore?: ExploreOptions;
  /**
   * Reuse runs across the profiles of a scenario (reuse.ts): the values run and the exploration
   * are taken from an earlier profile that answered every patch, config and release read alike.
   */
  readonly reuse?: RunReuse;
}

/** Render a run-time value for messages: errno names for negative small integers. */
export function showValue(v: Value | undefined): string {
  if (v === undefined) return '(no value)';
  if (typeof v === 'number' && v < 0 && v > -4096) return errname(v);
  if (typeof v === 'number' && v >= 0x10000) return `0x${v.toString(16)}`;
  if (typeof v === 'bigint') return v >= 0x10000n ? `0x${v.toString(16)}` : v.toString(10);
  return valueKey(v);
}

export function showExpected(e: Expected): string {
  switch (e.kind) {
    case 'lit':
      return showValue(e.value);
    case 'ref':
      return `$${e.name}${e.field === null ? '' : '.' + e.field}`;
    case 'cmp':
      return `${e.op} ${showExpected(e.rhs)}`;
    case 'oneof':
      return `one of [${e.items.map(showExpected).join(', ')}]`;
    case 'list':
      return `[${e.items.map(showExpected).join(', ')}]`;
    case 'var':
      return `$${e.name}`;
  }
}

function norm(v: Value): Value {
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v;
}

function same(a: Value, b: Value): boolean {
  return valueKey(norm(a)) === valueKey(norm(b));
}

function cmpNum(a: Value, b: Value): number | null {
  const x = norm(a);
  const y = norm(b);
  if ((typeof x === 'number' || typeof x === 'bigint') && (typeof y === 'number' || typeof y === 'bigint')) {
    const bx = BigInt(x);
    const by = BigInt(y);
    return bx < by ? -1 : bx > by ? 1 : 0;
  }
  return null;
}

/** What expectations read of a run: values and output fields by name. */
export type Values = Pick<RunOutcome, 'values' | 'outputs'>;

/** Outcome variables bound so far while judging one condition. */
export type Env = Map<string, Value>;

/** Resolve an expectation's reference in a run. */
function lookup(o: Values, name: string, field: string | null): Value | undefined {
  if (field === null) return o.values.get(name);
  const out = o.outputs.get(name);
  return out === undefined ? undefined : out[field];
}

/**
 * Does `actual` satisfy `e`? With `env` (outcome conditions), a variable in a binding
 * position binds on first use and compares after; elsewhere it compares with its binding.
 */
export function satisfies(o: Values, e: Expected, actual: Value | undefined, env: Env | null = null): boolean {
  if (actual === undefined) return false;
  switch (e.kind) {
    case 'var': {
      if (env === null) return false;
      const b = env.get(e.name);
      if (b === undefined) {
        env.set(e.name, actual);
        return true;
      }
      return same(actual, b);
    }
    case 'lit':
      return same(actual, e.value);
    case 'ref': {
      const v = lookup(o, e.name, e.field);
      return v !== undefined && same(actual, v);
    }
    case 'cmp': {
      const rhs = e.rhs.kind === 'lit' ? e.rhs.value : e.rhs.kind === 'ref' ? lookup(o, e.rhs.name, e.rhs.field) : e.rhs.kind === 'var' ? env?.get(e.rhs.name) : undefined;
      if (e.rhs.kind === 'var' && rhs === undefined) return false;
      if (e.op === 'eq') return satisfies(o, e.rhs, actual, env);
      if (e.op === 'ne') return rhs === undefined ? !satisfies(o, e.rhs, actual, env) : !same(actual, rhs);
      if (rhs === undefined) return false;
      const c = cmpNum(actual, rhs);
      if (c === null) return false;
      return e.op === 'lt' ? c < 0 : e.op === 'le' ? c <= 0 : e.op === 'gt' ? c > 0 : c >= 0;
    }
    case 'oneof':
      return e.items.some((i) => satisfies(o, i, actual, env));
    case 'list':
      return Array.isArray(actual) && actual.length === e.items.length && e.items.every((i, idx) => satisfies(o, i, (actual as readonly Value[])[idx], env));
  }
}

/** Judge one profile of a scenario. */
export function judgeProfile(s: Scenario, pe: ProfileExpect, opts: JudgeOptions = {}): JudgeResult {
  const key = opts.reuse === undefined ? null : optionsKey(opts.noExplore === true, opts.explore);
  const runs = opts.reuse === undefined || key === null ? profileRuns(s, pe.profile, opts) : opts.reuse.runs(s, pe.profile, key, (p) => profileRuns(s, p, opts));
  const outcome = runs.outcome;
  const mismatches: string[] = [];
  const values: ValueCheck[] = [];
  const base = { scenario: s.file, profile: pe.profile.name, spec: pe.spec, hypothetical: pe.profile.hypothetical };

  if (outcome.status === 'setup-failed' || outcome.status === 'unsupported' || outcome.status === 'diverged') {
    mismatches.push(`${outcome.status}: ${outcome.problem ?? ''}`.trim());
    return { ...base, match: false, status: outcome.status, mismatches, values, verdicts: [], conditions: [], explore: null, counterexamples: [], outcome };
  }
  if (outcome.status === 'step-bound') mismatches.push(`the values run hit the step bound: ${outcome.problem ?? ''}`);

  for (const [name, e] of pe.values) {
    const dot = name.indexOf('.');
    const actual = dot < 0 ? outcome.values.get(name) : lookup(outcome, name.slice(0, dot), name.slice(dot + 1));
    const ok = satisfies(outcome, e, actual);
    values.push({ name, expected: showExpected(e), actual: showValue(actual), ok });
    if (!ok) mismatches.push(`${name}: expected ${showExpected(e)}, got ${showValue(actual)}`);
  }

  // Kernel reports of the values run.
  for (const r of outcome.reports) {
    if (r.kind === 'bug' && !pe.bugs.some((b) => r.site === b || r.site.startsWith(b))) mismatches.push(`unexpected kernel BUG at ${r.site}: ${r.message}`);
    else if (r.kind === 'warn' && !pe.warnings.some((w) => r.site === w || r.site.startsWith(w))) mismatches.push(`unexpected WARNING at ${r.site}: ${r.message}`);
  }
  for (const b of pe.bugs) {
    if (!outcome.reports.some((r) => r.kind === 'bug' && (r.site === b || r.site.startsWith(b)))) mismatches.push(`expected kernel BUG at ${b} did not fire`);
  }
  for (const w of pe.warnings) {
    if (!outcome.reports.some((r) => r.kind === 'warn' && (r.site === w || r.site.startsWith(w)))) mismatches.push(`expected WARNING at ${w} did not fire`);
  }

  const verdicts: VerdictCheck[] = [];
  let ex: ExploreResult | null = null;
  const cexs: Counterexample[] = [];
  if (opts.noExplore === true) {
    for (const [id, d] of pe.invariants) verdicts.push({ invariant: id, declared: d.verdict, found: 'not-run', ok: true });
  } else {
    ex = runs.explored;
    if (ex === null) throw new Error('pinlab bug: a judged profile was not explored');
    const ids: string[] = [...INVARIANT_IDS];
    for (const id of ex.invariants) if (!ids.includes(id)) ids.push(id);
    for (const id of ids) {
      const declared: Verdict = pe.invariants.get(id as InvariantId)?.verdict ?? 'never';
      const got = ex.verdicts[id] ?? 'never';
      let found: Verdict | 'incomplete' = got;
      let ok = got === declared;
      if (!ex.complete) {
        // A bounded search can confirm `sometimes` (a witness exists) and refute nothing else.
        if (got === 'never' && declared !== 'never') found = 'incomplete';
        if (got === 'never' && declared === 'never') ok = s.explore.maxSchedules !== null || opts.explore?.maxSchedules !== undefined;
        if (got === 'always') found = declared === 'always' ? 'always' : 'sometimes';
        ok = found === declared && (declared !== 'never' || ok);
      }
      if (pe.invariants.has(id as InvariantId) || got !== 'never' || !ok) verdicts.push({ invariant: id, declared, found, ok });
      if (!ok) {
        mismatches.push(found === 'incomplete'
          ? `${id}: incomplete: bound hit after ${ex.schedules} schedules (declared ${declared})`
          : `${id}: unexpected ${found} (declared ${declared})${!ex.complete ? ` [search bounded: ${ex.bounded.join(', ')}]` : ''}`);
      }
      const c = ex.counterexamples[id];
      if (c !== undefined) cexs.push(c);
    }
  }
  const conditions = judgeConditions(pe.outcomes, ex, s.explore.maxSchedules !== null || opts.explore?.maxSchedules !== undefined);
  for (const c of conditions) {
    if (c.ok) continue;
    const stats = ex === null ? '' : ` (${c.outcomes} outcome${c.outcomes === 1 ? '' : 's'}, ${ex.complete ? 'complete' : `bounded: ${ex.bounded.join(', ')}`})`;
    if (c.found === 'incomplete') mismatches.push(`${c.kind} ${c.condition}: incomplete: bound hit after ${ex?.schedules ?? 0} schedules${stats}`);
    else if (c.kind === 'exists') mismatches.push(`exists ${c.condition}: no reachable outcome satisfies it${stats}`);
    else mismatches.push(`forall ${c.condition}: a reachable outcome violates it: ${c.witness === null ? '?' : `${outcomeText(c.witness.values)} (schedule: ${c.witness.schedule})`}${stats}`);
  }
  return {
    ...base,
    conditions,
    match: mismatches.length === 0,
    status: outcome.status,
    mismatches,
    values,
    verdicts,
    explore: ex === null ? null : { complete: ex.complete, schedules: ex.schedules, states: ex.states, bounded: ex.bounded, selfLoops: ex.selfLoops },
    counterexamples: cexs,
    outcome,
  };
}

/** The runs judging a profile needs: the values run, then (unless noExplore, or when set-up failed) the exploration. */
function profileRuns(s: Scenario, profile: Profile, opts: JudgeOptions): ProfileRuns {
  const outcome = runScenario(s, profile, { schedule: s.schedule });
  if (opts.noExplore === true || outcome.status === 'setup-failed' || outcome.status === 'unsupported' || outcome.status === 'diverged') return { outcome, explored: null };
  const eo: ExploreOptions = {
    ...(s.explore.maxSchedules !== null ? { maxSchedules: s.explore.maxSchedules } : {}),
    ...(s.explore.preemptionBound !== null ? { preemptionBound: s.explore.preemptionBound } : {}),
    ...(s.explore.cache !== null ? { cache: s.explore.cache } : {}),
    ...(opts.explore ?? {}),
  };
  return { outcome, explored: explore(scenarioTarget(s, profile), eo) };
}

/** An outcome's values on one line: `map=0 un=0 io0=0x100004`. */
export function outcomeText(values: Readonly<Record<string, unknown>>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${showValue(v as Value)}`).join(' ');
}

/** Judge every profile a scenario declares. */
export function judgeScenario(s: Scenario, opts: JudgeOptions = {}): JudgeResult[] {
  return s.expect.map((pe) => judgeProfile(s, pe, opts));
}
