/**
 * MODEL (no kernel counterpart): the scenario's own state as per-thread footprint objects
 * (src/scenario/access-footprint.ts): `res.<i>` is thread i's progress and the results its
 * steps store (`as:` names), and `res` covers them all.
 *
 * Only thread i writes `res.<i>` (threadBody: the progress before each step, the result
 * after it), so the step that ends an operation no longer writes `world` for that alone: it
 * commutes with another thread's step that does not read those results. Writes are found
 * (values compared, object-footprint.ts); reads are reported by the run's results map,
 * which becomes the reporting subclass below for tracked runs only: get() and has() report
 * the owner of the name they look up (an argument `$r`, the wait for a result of another
 * thread, stepValueProblem), iteration reports `res`. The progress is read by nothing in
 * a step. No invariant reads either (the checker reads the holds, which stay in `world`).
 */
import type { ExtraObjects } from './object-footprint.js';
import type { Scenario } from './ast.js';
import type { RunState, StepResult } from './state.js';

/** The results map of a tracked run: reports the object of every name it looks up. */
class ReportingResults extends Map<string, StepResult> {
  declare report: (name: string | null) => void;

  override get(name: string): StepResult | undefined {
    this.report(name);
    return super.get(name);
  }
  override has(name: string): boolean {
    this.report(name);
    return super.has(name);
  }
  override keys(): MapIterator<string> {
    this.report(null);
    return super.keys();
  }
  override values(): MapIterator<StepResult> {
    this.report(null);
    return super.values();
  }
  override entries(): MapIterator<[string, StepResult]> {
    this.report(null);
    return super.entries();
  }
  override [Symbol.iterator](): MapIterator<[string, StepResult]> {
    this.report(null);
    return super[Symbol.iterator]();
  }
  override forEach(f: (value: StepResult, key: string, map: Map<string, StepResult>) => void, thisArg?: unknown): void {
    this.report(null);
    super.forEach(f, thisArg);
  }
}

/**
 * The per-thread objects of scenario `s` in run state `rs`, with reads of `rs.results`
 * reported to `read` (which records them only inside a step). A name no thread stores is
 * never a result (a mapping, a container): its lookups read nothing that changes. A name
 * two threads store is read as `res` (every thread).
 */
export function threadObjects(s: Scenario, rs: RunState, read: (id: string) => void): ExtraObjects {
  const ids: string[] = [];
  const names: string[][] = [];
  const owner = new Map<string, string>();
  for (const t of s.threads) {
    const id = `res.${t.index}`;
    const own: string[] = [];
    for (const st of t.steps) {
      if (st.as === null) continue;
      own.push(st.as);
      owner.set(st.as, owner.has(st.as) && owner.get(st.as) !== id ? 'res' : id);
    }
    ids.push(id);
    names.push(own);
  }
  const results = Object.setPrototypeOf(rs.results, ReportingResults.prototype) as ReportingResults;
  results.report = (name: string | null): void => {
    if (name === null) read('res');
    else {
      const id = owner.get(name);
      if (id !== undefined) read(id);
    }
  };
  return { ids: () => ids, value: (i: number): string => rs.threadValue(s.threads[i].index, names[i]) };
}
