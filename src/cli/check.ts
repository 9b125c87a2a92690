/**
 * `pinlab check [paths...]`: every scenario on every profile it declares; the matrix; exit 1 on any
 * mismatch, 2 on an invalid file or when nothing was checked (no scenario files, or no scenario
 * declares a --profile given: a typo must not pass as "0 mismatches").
 */
import { renderJudge, renderMatrix } from '../report/render-text.js';
import { checkJson } from '../report/trace-json.js';
import type { JudgeResult } from '../scenario/judge.js';
import type { CheckSelection, LoadedCheck } from './check-pool.js';
import { checkProgress, judgeFilesInWorkers, judgeInThread, profileSelected, workerCount, workersAvailable } from './check-pool.js';
import type { Io } from './io.js';
import { resolveProfile } from '../profiles/index.js';
import { BadInput, EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, jsonText, loadScenario, positiveIntOption, scenarioFiles } from './io.js';

export interface CheckCmdOptions {
  readonly json?: boolean;
  /** Only these profile specs (as written in the scenarios). */
  readonly profile?: readonly string[];
  readonly explore?: boolean;
  readonly maxSchedules?: string;
  readonly verbose?: boolean;
  /** `i/n`: only the scenario files whose rank in the sorted list is i-1 modulo n (1-based i). */
  readonly shard?: string;
  /** Worker threads (cmdCheckParallel; default one per core, 1 = in this thread). */
  readonly jobs?: string;
}

/** Parse `--shard i/n` (1 ≤ i ≤ n), as vitest and playwright take it. */
export function parseShard(v: string | undefined): { readonly index: number; readonly count: number } | null {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const [i, n] = m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
  if (m === null || n < 1 || i < 1 || i > n || !Number.isSafeInteger(n)) throw new BadInput(`--shard: expected i/n with 1 <= i <= n, got '${v}'`);
  return { index: i - 1, count: n };
}

interface Prepared {
  readonly files: readonly string[];
  readonly errors: string[];
  readonly invalidFiles: number;
  readonly checks: readonly LoadedCheck[];
}

/** The scenario files to check (`--shard` applied) and what their checks are judged with; the `--profile` specs validated. */
function selection(paths: readonly string[], opts: CheckCmdOptions): { readonly files: readonly string[]; readonly sel: CheckSelection } {
  const shard = parseShard(opts.shard);
  // A shard takes whole scenario files (every profile of a file stays together), by rank.
  const files = scenarioFiles(paths.length > 0 ? paths : ['scenarios']).filter((_, k) => shard === null || k % shard.count === shard.index);
  const maxSchedules = positiveIntOption(opts.maxSchedules, '--max-schedules') ?? null;
  for (const p of opts.profile ?? []) {
    const r = resolveProfile(p);
    if (!r.ok) throw new BadInput(`--profile: ${r.error.message}`);
  }
  return { files, sel: { profiles: opts.profile ?? [], noExplore: opts.explore === false, maxSchedules } };
}

/** Load the scenario files and list the checks (file × declared profile) to judge. */
function prepare(paths: readonly string[], opts: CheckCmdOptions): Prepared {
  const { files, sel } = selection(paths, opts);
  const errors: string[] = [];
  const checks: LoadedCheck[] = [];
  let invalidFiles = 0;
  for (const f of files) {
    const l = loadScenario(f);
    if (!l.ok) {
      errors.push(...l.errors);
      invalidFiles++;
      continue;
    }
    for (const pe of l.scenario.expect) {
      if (!profileSelected(pe, sel.profiles)) continue;
      checks.push({ index: checks.length, file: f, spec: pe.spec, noExplore: sel.noExplore, maxSchedules: sel.maxSchedules, scenario: l.scenario, pe });
    }
  }
  return { files, errors, invalidFiles, checks };
}

/** `pinlab check` in this thread (library and test use). */
export function cmdCheck(io: Io, paths: readonly string[], opts: CheckCmdOptions): number {
  const p = prepare(paths, opts);
  return report(io, paths, opts, p, judgeInThread(p.checks, null));
}

/**
 * `pinlab check` as the CLI runs it: the checks in worker threads (`--jobs`, default one per
 * core; check-pool.ts), progress on stderr when it is a terminal, the same output as cmdCheck.
 */
export async function cmdCheckParallel(io: Io, paths: readonly string[], opts: CheckCmdOptions): Promise<number> {
  const jobs = positiveIntOption(opts.jobs, '--jobs');
  const { files, sel } = selection(paths, opts);
  const n = workerCount(files.length, jobs);
  const t0 = performance.now();
  const progress = (total: number): ReturnType<typeof checkProgress> => (io.stderrTty === true ? checkProgress(process.stderr, total, () => performance.now(), t0) : null);
  if (n <= 1 || !workersAvailable()) {
    const p = prepare(paths, opts);
    return report(io, paths, opts, p, judgeInThread(p.checks, progress(p.checks.length)));
  }
  // PERF: the workers parse the files (each once, in parallel) and judge them; this thread only collects.
  const r = await judgeFilesInWorkers(files, sel, n, progress);
  return report(io, paths, opts, { files, errors: r.errors, invalidFiles: r.invalidFiles }, r.results);
}

/** Print the matrix (or JSON) and return the exit code. */
function report(io: Io, paths: readonly string[], opts: CheckCmdOptions, p: Pick<Prepared, 'files' | 'errors' | 'invalidFiles'>, results: readonly JudgeResult[]): number {
  const errors = p.errors;
  const nothing = nothingChecked(paths, p.files.length, results.length, errors.length, opts.profile ?? []);
  if (nothing !== null) errors.push(nothing);
  if (opts.json === true) io.out(jsonText(checkJson(results, errors)));
  else {
    for (const e of errors) io.err(e);
    io.out(renderMatrix(results, p.invalidFiles));
    const bad = results.filter((r) => !r.match || opts.verbose === true);
    if (bad.length > 0) io.out('');
    for (const r of bad) io.out(renderJudge(r));
  }
  if (errors.length > 0) return EXIT_BAD_INPUT;
  return results.some((r) => !r.match) ? EXIT_MISMATCH : EXIT_OK;
}

/** Why zero checks ran, when they did and no file was invalid (an error: exit 2), else null. */
function nothingChecked(paths: readonly string[], files: number, checks: number, errors: number, profiles: readonly string[]): string | null {
  if (checks > 0 || errors > 0) return null;
  const where = paths.length > 0 ? paths.join(', ') : 'scenarios';
  if (files === 0) return `no checks: no scenario files (*.yaml, *.yml) under ${where}`;
  return `no checks: no scenario under ${where} declares ${profiles.length === 1 ? 'the profile' : 'any of the profiles'} ${profiles.join(', ')} (\`pinlab profiles\` lists the releases; -p matches a scenario's expect: key as written, or the release name)`;
}
