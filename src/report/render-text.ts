/**
 * Text rendering of violations, run outcomes and the check matrix, in one place
 * (style guide §2.6). Violations read like Miri's diagnostics:
 *
 *   error: invariant violated: long-term pin on an fs-DAX page [no-longterm-pin-on-fsdax]
 *     --> scenarios/seed/x.yaml (profile v5.6+hypo-longterm-honours-locked)
 *     = pfn:1048580 (fs-DAX) is long-term pinned by T0 result 'r'
 *     = history:
 *         #12 T0 gup: pin pfn:1048580 in mm/gup.c:follow_page_pte
 *         #20 T1 truncate: truncate-wait pfn:1048580 in fs/dax.c:dax_layout_busy_page
 *     = why: 94db151dc892 ...
 *     replay: pinlab replay scenarios/seed/x.yaml --profile ... --schedule 'T0*3 T1 ...'
 */
import { RELEASE_TAGS } from '../profiles/index.js';
import type { HistoryEntry, Violation } from '../check/violation.js';
import { errname } from '../linux/include/uapi/linux/errno.js';
import type { JudgeResult } from '../scenario/judge.js';
import { outcomeText, showValue } from '../scenario/judge.js';
import type { RunOutcome } from '../scenario/run.js';
import type { ExploreResult, Outcome } from '../explore/explore.js';

/** Quote a schedule string for a shell command line. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:+=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function replayCommand(file: string, profile: string, schedule: string): string {
  return `pinlab replay ${shellQuote(file)} --profile ${shellQuote(profile)} --schedule ${shellQuote(schedule === '' ? '...' : schedule)}`;
}

function historyLines(h: readonly HistoryEntry[]): string[] {
  if (h.length === 0) return [];
  const out = ['  = history:'];
  for (const e of h) {
    const who = e.threadName ?? 'set-up';
    out.push(`      #${e.seq} ${who}: ${e.what} ${e.objects.join(', ')} in ${e.fn}${e.detail !== null ? ` (${e.detail})` : ''}`);
  }
  return out;
}

/** One violation, with where it happened and how to replay it. */
export function renderViolation(v: Violation, file: string, profile: string, schedule: string): string {
  const where = `  --> ${file} (profile ${profile})`;
  const replay = `  replay: ${replayCommand(file, profile, schedule)}`;
  switch (v.kind) {
    case 'invariant':
      return [
        `error: invariant violated: ${v.title} [${v.invariant}]`,
        where,
        `  = ${v.message}`,
        ...historyLines(v.history),
        `  = why: ${v.why}`,
        replay,
      ].join('\n');
    case 'deadlock':
      return [
        'error: deadlock: every live thread is blocked',
        where,
        ...v.threads.map((t) => `  = T${t.thread} (${t.name}) waits at ${t.label} for ${t.reason.kind} ${t.reason.object}${t.reason.detail !== undefined ? ` (${t.reason.detail})` : ''}${t.held.length > 0 ? `, holding ${t.held.map((h) => h.lock).join(', ')}` : ''}`),
        ...historyLines(v.history),
        replay,
      ].join('\n');
    case 'lock-held-at-exit':
      return [`error: T${v.thread} (${v.name}) ended holding ${v.held.map((h) => `${h.lock} (${h.mode})`).join(', ')}`, where, replay].join('\n');
    case 'kernel-bug':
      return [`error: kernel BUG at ${v.site}: ${v.message}${v.thread !== null ? ` (T${v.thread})` : ''}`, where, replay].join('\n');
    case 'warning':
      return [`warning: kernel WARNING at ${v.site}: ${v.message}${v.thread !== null ? ` (T${v.thread})` : ''}`, where].join('\n');
    case 'unsupported':
      return [`note: unsupported by the model at ${v.site}: ${v.message} (the run is not a verdict)`, where].join('\n');
  }
}

/** A run: status, values, violations. */
export function renderOutcome(o: RunOutcome): string {
  const lines: string[] = [`${o.scenario} on ${o.profile}: ${o.status}${o.problem !== null ? ` — ${o.problem}` : ''}`];
  if (o.schedule !== '') lines.push(`  schedule: ${o.schedule}`);
  for (const [k, v] of o.values) {
    const out = o.outputs.get(k);
    const extra = out !== undefined && Object.keys(out).length > 0 ? `  ${Object.entries(out).map(([f, x]) => `${f}=${showValue(x)}`).join(' ')}` : '';
    lines.push(`  ${k} = ${showValue(v)}${extra}`);
    const why = o.reasons.get(k);
    if (why !== undefined) lines.push(`      why: ${errname(why.errno)} from ${why.fn} (${o.profile}): ${why.why}`);
  }
  if (o.violations.length > 0) {
    lines.push('');
    for (const v of o.violations) lines.push(renderViolation(v, o.scenario, o.profile, o.schedule), '');
  }
  return lines.join('\n');
}

/**
 * How far a search went, printed with every verdict: `complete`, or `bounded: ...` with
 * each bound hit (`bounded: 100000 schedules`, `bounded: preemption bound 2`,
 * `bounded: interrupted after 5120 schedules`, `bounded: 1000 sampled runs`,
 * `bounded: 16 of 1000 sampled runs, interrupted`).
 */
export function boundNote(r: ExploreResult): string {
  if (r.complete) return 'complete';
  const parts = r.bounded.map((b) => {
    switch (b) {
      case 'max-schedules':
        return `${r.limits.maxSchedules ?? r.schedules} schedules`;
      case 'preemption-bound':
        return `preemption bound ${r.limits.preemptionBound ?? '?'}`;
      case 'step-bound':
        return 'step bound';
      case 'sampling':
        return r.bounded.includes('interrupted') ? `${r.schedules} of ${r.limits.maxSchedules ?? '?'} sampled runs` : `${r.schedules} sampled runs`;
      case 'interrupted':
        return r.bounded.includes('sampling') ? 'interrupted' : `interrupted after ${r.schedules} schedules`;
    }
  });
  return `bounded: ${parts.join(', ')}`;
}

/** The reachable outcomes of an exploration, one per line with a schedule that reaches it (at most `limit`). */
export function renderOutcomes(outcomes: readonly Outcome[], limit = 50): string[] {
  const lines = [`outcomes (${outcomes.length}):`];
  for (const o of outcomes.slice(0, limit)) lines.push(`  ${outcomeText(o.values)}`, `      schedule: ${o.schedule === '' ? '(no choice)' : o.schedule}`);
  if (outcomes.length > limit) lines.push(`  ... ${outcomes.length - limit} more (--json lists them all)`);
  return lines;
}

/** The details of a judged profile. */
export function renderJudge(r: JudgeResult): string {
  const head = `${r.match ? 'ok' : 'MISMATCH'}  ${r.scenario}  ${r.spec}${r.hypothetical ? ' (hypothetical)' : ''}`;
  const lines = [head];
  for (const m of r.mismatches) lines.push(`    ${m}`);
  for (const c of r.conditions) if (c.ok) lines.push(`    ${c.kind} ${c.condition}: ${c.found}${c.witness !== null ? ` (e.g. schedule ${c.witness.schedule})` : ''}`);
  if (r.explore !== null && !r.match) lines.push(`    (explored ${r.explore.schedules} schedules, ${r.explore.states} states, ${r.explore.complete ? 'complete' : `bounded: ${r.explore.bounded.join(', ')}`})`);
  if (!r.match) {
    for (const c of r.counterexamples) lines.push(`    counterexample ${c.invariant}: ${replayCommand(r.scenario, r.profile, c.schedule)}`);
  }
  return lines.join('\n');
}

/** What the matrix shows of a check (a JudgeResult, or a row of `check --json` when merging shards). */
export type MatrixRow = Pick<JudgeResult, 'scenario' | 'spec' | 'match' | 'status'>;

/**
 * The check matrix: one row per scenario, one column per release (in release order),
 * and one `variants` column summarising every other profile a scenario declares
 * (ablations, backports, hypothetical profiles), e.g. `ok 3/3` or `FAIL 1/3`.
 */
export function renderMatrix<R extends MatrixRow>(results: readonly R[], invalidFiles = 0): string {
  const releases = RELEASE_TAGS.filter((t) => results.some((r) => r.spec === t));
  const hasVariants = results.some((r) => !RELEASE_TAGS.includes(r.spec));
  const scenarios: string[] = [];
  for (const r of results) if (!scenarios.includes(r.scenario)) scenarios.push(r.scenario);
  const verdict = (r: MatrixRow): string => {
    if (r.match) return 'ok';
    if (r.status === 'unsupported' || r.status === 'setup-failed') return 'UNSUP';
    return 'FAIL';
  };
  const cell = (sc: string, p: string): string => {
    const r = results.find((x) => x.scenario === sc && x.spec === p);
    return r === undefined ? '.' : verdict(r);
  };
  const variants = (sc: string): string => {
    const vs = results.filter((x) => x.scenario === sc && !RELEASE_TAGS.includes(x.spec));
    if (vs.length === 0) return '.';
    const ok = vs.filter((x) => x.match).length;
    return `${ok === vs.length ? 'ok' : 'FAIL'} ${ok}/${vs.length}`;
  };
  const columns = hasVariants ? [...releases, 'variants'] : releases;
  const w0 = Math.max(8, ...scenarios.map((s) => s.length));
  const ws = columns.map((p) => Math.max(5, p.length, p === 'variants' ? 9 : 0));
  const row = (a: string, cells: string[]): string => `${a.padEnd(w0)}  ${cells.map((c, i) => c.padEnd(ws[i])).join('  ')}`.trimEnd();
  const out = [row('scenario', columns), row('-'.repeat(w0), ws.map((w) => '-'.repeat(w)))];
  for (const sc of scenarios) {
    const cells = releases.map((p) => cell(sc, p));
    if (hasVariants) cells.push(variants(sc));
    out.push(row(sc, cells));
  }
  const bad = results.filter((r) => !r.match).length;
  const invalid = invalidFiles > 0 ? `, ${invalidFiles} invalid file${invalidFiles === 1 ? '' : 's'} (not checked; see the messages above)` : '';
  out.push('', `${results.length} checks, ${results.length - bad} ok, ${bad} mismatch${bad === 1 ? '' : 'es'}${invalid}`);
  if (hasVariants) out.push('variants: the other profiles a scenario declares (ablations, backports, hypothetical); `pinlab check -v` lists each');
  return out.join('\n');
}

export { errname };
