/**
 * Blessed `.expected` files (style guide §2.5): for each scenario and each profile its
 * header declares, `scenarios/<area>/<name>.<profile>.expected` records what the model
 * found — the verdict of every invariant that is declared or found violated, the kernel
 * reports of the values run, and the first counterexample rendered as `pinlab replay`
 * shows it — normalised so that only a change of behaviour changes the file:
 *
 * - object ids are renumbered per kind in order of first appearance (`pfn:1310721` →
 *   `pfn#1`, `vma:3` → `vma#1`), since ids depend on allocation order and layout;
 * - history entries lose their event sequence numbers (`#34 T0 ...` → `- T0 ...`),
 *   which count every model event and move whenever one is added;
 * - no schedule strings, step counts, schedule/state counts or timings (the search
 *   statistics go to `pinlab check -v`, not here): a new scheduling point must not
 *   churn the corpus;
 * - no absolute paths (the scenario is named relative to the project root).
 *
 * The declared header is the spec (a mismatch fails `npm test`); the `.expected` file is
 * the record (a difference needs review and `npm run bless -- <scenario>`).
 */
import type { Violation } from '../check/violation.js';
import type { ProfileExpect, Scenario } from '../scenario/ast.js';
import type { JudgeResult } from '../scenario/judge.js';
import { runScenario } from '../scenario/run.js';
import { renderViolation } from './render-text.js';

/** The `.expected` file name of a scenario file (`.../x.yaml`) for a profile spec. */
export function expectedPath(scenarioFile: string, spec: string): string {
  return `${scenarioFile.replace(/\.yaml$/, '')}.${spec}.expected`;
}

/** The invariant id a violation counts for. */
function idOf(v: Violation): string {
  switch (v.kind) {
    case 'invariant':
      return v.invariant;
    case 'deadlock':
      return 'deadlock';
    case 'lock-held-at-exit':
      return 'lock-held-at-exit';
    default:
      return v.kind;
  }
}

/**
 * The normalisation rules, in order, each with its reason (Miri's regex table).
 * `ids` renumbers object ids per kind by first appearance across the whole file.
 */
export function normalise(text: string): string {
  const ids = new Map<string, Map<string, number>>();
  return text
    .split('\n')
    // The replay command carries the schedule string: counts of steps per thread.
    .filter((l) => !/^\s*replay: /.test(l))
    // History sequence numbers count every model event.
    .map((l) => l.replace(/^(\s*)#\d+ /, '$1- '))
    // Object ids (pfn:1310721, vma:3, mm:1, dma:2, ...) depend on allocation order and layout.
    .map((l) => l.replace(/\b([a-z][a-z_]*):(\d+)\b/g, (_m, kind: string, n: string) => {
      let per = ids.get(kind);
      if (per === undefined) {
        per = new Map();
        ids.set(kind, per);
      }
      let k = per.get(n);
      if (k === undefined) {
        k = per.size + 1;
        per.set(n, k);
      }
      return `${kind}#${k}`;
    }))
    // Absolute paths of this checkout.
    .map((l) => l.replace(/\/[^\s'"]*\/scenarios\//g, 'scenarios/'))
    .join('\n');
}

/** The blessed text of one judged profile (`pe` is the header entry `r` judged). */
export function expectedText(s: Scenario, pe: ProfileExpect, r: JudgeResult): string {
  const lines: string[] = [
    `# ${r.scenario} on ${r.spec}: what the model found, normalised (npm run bless -- ${r.scenario})`,
    `status: ${r.status}`,
  ];
  for (const v of r.verdicts) lines.push(`verdict ${v.invariant}: ${v.found}`);
  for (const c of r.conditions) lines.push(`${c.kind} ${c.condition}: ${c.found}`);
  for (const k of r.outcome.reports) lines.push(`report ${k.kind} at ${k.site}: ${k.message}`);
  const c = r.counterexamples[0];
  if (c !== undefined) {
    const o = runScenario(s, pe.profile, { schedule: c.schedule });
    const vs = o.violations.filter((v) => idOf(v) === c.invariant);
    lines.push(`counterexample ${c.invariant}:`);
    if (vs.length === 0) lines.push(`  (the replay of the counterexample shows no ${c.invariant} violation: status ${o.status})`);
    for (const v of vs) lines.push(renderViolation(v, r.scenario, r.spec, ''));
  }
  return normalise(lines.join('\n')) + '\n';
}
