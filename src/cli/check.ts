/** `pinlab check [paths...]`: every scenario on every profile it declares; the matrix; exit 1 on any mismatch. */
import { renderJudge, renderMatrix } from '../report/render-text.js';
import { checkJson } from '../report/trace-json.js';
import type { JudgeResult } from '../scenario/judge.js';
import { judgeProfile } from '../scenario/judge.js';
import type { Io } from './io.js';
import { BadInput, EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, intOption, jsonText, loadScenario, scenarioFiles } from './io.js';

export interface CheckCmdOptions {
  readonly json?: boolean;
  /** Only these profile specs (as written in the scenarios). */
  readonly profile?: readonly string[];
  readonly explore?: boolean;
  readonly maxSchedules?: string;
  readonly verbose?: boolean;
  /** `i/n`: only the scenario files whose rank in the sorted list is i-1 modulo n (1-based i). */
  readonly shard?: string;
}

/** Parse `--shard i/n` (1 ≤ i ≤ n), as vitest and playwright take it. */
export function parseShard(v: string | undefined): { readonly index: number; readonly count: number } | null {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const [i, n] = m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
  if (m === null || n < 1 || i < 1 || i > n || !Number.isSafeInteger(n)) throw new BadInput(`--shard: expected i/n with 1 <= i <= n, got '${v}'`);
  return { index: i - 1, count: n };
}

export function cmdCheck(io: Io, paths: readonly string[], opts: CheckCmdOptions): number {
  const shard = parseShard(opts.shard);
  // A shard takes whole scenario files (every profile of a file stays together), by rank.
  const files = scenarioFiles(paths.length > 0 ? paths : ['scenarios']).filter((_, k) => shard === null || k % shard.count === shard.index);
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
