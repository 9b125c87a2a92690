/** `pinlab check [paths...]`: every scenario on every profile it declares; the matrix; exit 1 on any mismatch. */
import { renderJudge, renderMatrix } from '../report/render-text.js';
import { checkJson } from '../report/trace-json.js';
import type { JudgeResult } from '../scenario/judge.js';
import { judgeProfile } from '../scenario/judge.js';
import type { Io } from './io.js';
import { EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, intOption, jsonText, loadScenario, scenarioFiles } from './io.js';

export interface CheckCmdOptions {
  readonly json?: boolean;
  /** Only these profile specs (as written in the scenarios). */
  readonly profile?: readonly string[];
  readonly explore?: boolean;
  readonly maxSchedules?: string;
  readonly verbose?: boolean;
}

export function cmdCheck(io: Io, paths: readonly string[], opts: CheckCmdOptions): number {
  const files = scenarioFiles(paths.length > 0 ? paths : ['scenarios']);
  const errors: string[] = [];
  const results: JudgeResult[] = [];
  const maxSchedules = intOption(opts.maxSchedules, '--max-schedules');
  for (const f of files) {
    const l = loadScenario(f);
    if (!l.ok) {
      errors.push(...l.errors);
      continue;
    }
    for (const pe of l.scenario.expect) {
      if (opts.profile !== undefined && opts.profile.length > 0 && !opts.profile.includes(pe.spec) && !opts.profile.includes(pe.profile.name)) continue;
      results.push(judgeProfile(l.scenario, pe, { noExplore: opts.explore === false, ...(maxSchedules !== undefined ? { explore: { maxSchedules } } : {}) }));
    }
  }
  if (opts.json === true) io.out(jsonText(checkJson(results, errors)));
  else {
    for (const e of errors) io.err(e);
    io.out(renderMatrix(results));
    const bad = results.filter((r) => !r.match || opts.verbose === true);
    if (bad.length > 0) io.out('');
    for (const r of bad) io.out(renderJudge(r));
  }
  if (errors.length > 0) return EXIT_BAD_INPUT;
  return results.some((r) => !r.match) ? EXIT_MISMATCH : EXIT_OK;
}
