/**
 * Judging `exists:` / `forall:` conditions (litmus style) over the reachable outcomes
 * an exploration reports: `exists` holds when some outcome satisfies one of its
 * alternatives, `forall` when every outcome does. A complete search decides both; a
 * bounded one can confirm `exists` and refute `forall`, nothing else.
 */
import type { ExploreResult, Outcome } from '../explore/explore.js';
import type { Condition, OutcomeCondition, Value, ValuePath } from './ast.js';
import type { Env, Values } from './judge.js';
import { satisfies, showExpected } from './judge.js';
import { splitOutcome } from './run.js';

export interface OutcomeCheck {
  readonly kind: 'exists' | 'forall';
  /** The condition as text: `{ r: 4, r.pages[0]: $f0 } or { ... }`. */
  readonly condition: string;
  /**
   * `holds` / `fails` as decided over the outcomes; `incomplete` when a bounded search
   * decided nothing; `not-run` without exploration.
   */
  readonly found: 'holds' | 'fails' | 'incomplete' | 'not-run';
  readonly ok: boolean;
  /** exists: an outcome satisfying it; forall: an outcome violating it (or null). */
  readonly witness: Outcome | null;
  /** Outcomes the search reached. */
  readonly outcomes: number;
}

/** The value a path names in an outcome (`r.pages[0]`), or undefined. */
export function valueAt(o: Values, p: ValuePath): Value | undefined {
  let v: Value | undefined = p.field === null ? o.values.get(p.name) : o.outputs.get(p.name)?.[p.field];
  for (const i of p.index) {
    if (!Array.isArray(v)) return undefined;
    v = (v as readonly Value[])[i];
  }
  return v;
}

/** Does one conjunction hold? Terms that only bind variables go first, so comparisons see the bindings. */
export function conditionHolds(o: Values, c: Condition): boolean {
  const env: Env = new Map();
  const first = c.terms.filter((t) => !usesInComparison(t.expected));
  const rest = c.terms.filter((t) => usesInComparison(t.expected));
  for (const t of [...first, ...rest]) if (!satisfies(o, t.expected, valueAt(o, t.path), env)) return false;
  return true;
}

function usesInComparison(e: Condition['terms'][number]['expected']): boolean {
  switch (e.kind) {
    case 'cmp':
      return e.rhs.kind === 'var' || usesInComparison(e.rhs);
    case 'oneof':
      return e.items.some((i) => i.kind === 'var' || usesInComparison(i));
    case 'list':
      return e.items.some(usesInComparison);
    default:
      return false;
  }
}

/** Does an outcome satisfy one of the alternatives? */
export function outcomeSatisfies(o: Values, oc: OutcomeCondition): boolean {
  return oc.any.some((c) => conditionHolds(o, c));
}

export function showCondition(oc: OutcomeCondition): string {
  return oc.any.map((c) => `{ ${c.terms.map((t) => `${t.path.text}: ${showExpected(t.expected)}`).join(', ')} }`).join(' or ');
}

/**
 * Judge conditions against an exploration (null: not explored). `boundDeclared`: the
 * scenario (or caller) set max_schedules, so a bounded search that finds no
 * counter-outcome of a `forall` counts as agreeing (as for a declared `never`).
 */
export function judgeConditions(conds: readonly OutcomeCondition[], ex: ExploreResult | null, boundDeclared: boolean): OutcomeCheck[] {
  return conds.map((oc) => {
    const condition = showCondition(oc);
    if (ex === null) return { kind: oc.kind, condition, found: 'not-run', ok: true, witness: null, outcomes: 0 };
    const n = ex.outcomes.length;
    const sat = (o: Outcome): boolean => outcomeSatisfies(splitOutcome(o.values), oc);
    if (oc.kind === 'exists') {
      const w = ex.outcomes.find(sat) ?? null;
      if (w !== null) return { kind: oc.kind, condition, found: 'holds', ok: true, witness: w, outcomes: n };
      return { kind: oc.kind, condition, found: ex.complete ? 'fails' : 'incomplete', ok: false, witness: null, outcomes: n };
    }
    const bad = ex.outcomes.find((o) => !sat(o)) ?? null;
    if (bad !== null) return { kind: oc.kind, condition, found: 'fails', ok: false, witness: bad, outcomes: n };
    return { kind: oc.kind, condition, found: ex.complete ? 'holds' : 'incomplete', ok: ex.complete || boundDeclared, witness: null, outcomes: n };
  });
}
