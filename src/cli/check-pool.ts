/**
 * `pinlab check` in parallel (issue 15 item 4): the checks (scenario file × declared
 * profile) are judged in worker threads, one per core by default, each taking the next
 * check when it is done with one; the results are put back in check order, so the output
 * is the same whatever the number of workers and whichever finishes first. A check is a
 * pure function of (scenario, profile), so where it runs changes nothing.
 *
 * With one worker, or when the worker script is not there (the TypeScript sources run
 * under tsx/vitest have no compiled check-worker.js), the checks run in this thread.
 * Progress (done/total, the check most recently started, elapsed time) is shown on stderr
 * when it is a terminal, and nothing is shown otherwise.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JudgeResult } from '../scenario/judge.js';
import { judgeProfile } from '../scenario/judge.js';
import type { Scenario, ProfileExpect } from '../scenario/ast.js';
import type { ProgressStream } from '../explore/progress.js';
import { RunReuse } from '../scenario/reuse.js';
import { terminalSafe } from './io.js';

/** One check: a scenario file on one profile it declares. */
export interface Check {
  readonly index: number;
  readonly file: string;
  /** The `expect` key as written in the file. */
  readonly spec: string;
  readonly noExplore: boolean;
  readonly maxSchedules: number | null;
}

/** What a worker is sent: the checks of one scenario file (it parses the file once). */
export interface CheckJob {
  readonly file: string;
  readonly checks: readonly Check[];
}

/** What a worker sends back: one reply per check, in the job's order. */
export type WorkerReply = { readonly index: number; readonly result: JudgeResult } | { readonly index: number; readonly error: string };

/** A check with the scenario the main thread loaded (for the in-thread path). */
export interface LoadedCheck extends Check {
  readonly scenario: Scenario;
  readonly pe: ProfileExpect;
}

/**
 * The worker script: PERF: its bundle (`npm run build` bundles check-worker.js with what it
 * imports into one file, which loads in less CPU time than the modules one by one), when it is
 * at least as new as the compiled check-worker.js (a `tsc` rebuild alone never runs a stale bundle).
 */
const WORKER_URL = workerScript();

function workerScript(): URL {
  const plain = new URL('./check-worker.js', import.meta.url);
  const bundle = new URL('./check-worker.bundle.js', import.meta.url);
  try {
    if (plain.protocol === 'file:' && statSync(fileURLToPath(bundle)).mtimeMs >= statSync(fileURLToPath(plain)).mtimeMs) return bundle;
  } catch {
    // No bundle (or no compiled worker): the modules one by one.
  }
  return plain;
}

/** How many workers to use: `requested` (from --jobs), else one per core, never more than there are checks. */
export function workerCount(checks: number, requested: number | undefined): number {
  const want = requested ?? availableParallelism();
  return Math.max(1, Math.min(want, checks));
}

/** Whether worker threads can run here (the compiled worker script exists). */
export function workersAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}

/** Progress line on a terminal stream: done/total, the latest check started, elapsed seconds; null when not a terminal. */
export function checkProgress(stream: ProgressStream, total: number, now: () => number, t0 = now()): ((done: number, current: string | null, end?: boolean) => void) | null {
  if (stream.isTTY !== true) return null;
  return (done, current, end = false) => {
    if (end) {
      stream.write('\r\u001b[2K');
      return;
    }
    const secs = ((now() - t0) / 1000).toFixed(1);
    stream.write(`\r\u001b[2Kcheck: ${done}/${total} done, ${secs} s${current === null ? '' : `, running ${current}`}`);
  };
}

type Progress = ((done: number, current: string | null, end?: boolean) => void) | null;

/** The check's name for the progress line (terminal-safe: a file name is input). */
function label(c: Check): string {
  return terminalSafe(`${c.file} (${c.spec})`);
}

/** Judge the checks in this thread, in order. */
export function judgeInThread(checks: readonly LoadedCheck[], progress: Progress): JudgeResult[] {
  const out: JudgeResult[] = [];
  let reuse = new RunReuse();
  for (const [i, c] of checks.entries()) {
    // The profiles of one file share runs where they answer the model's patch reads alike (reuse.ts).
    if (i > 0 && checks[i - 1].scenario !== c.scenario) reuse = new RunReuse();
    progress?.(out.length, label(c));
    out.push(judgeProfile(c.scenario, c.pe, { reuse, noExplore: c.noExplore, ...(c.maxSchedules !== null ? { explore: { maxSchedules: c.maxSchedules } } : {}) }));
  }
  progress?.(out.length, null, true);
  return out;
}

/**
 * A job's expected cost, for the order in which the workers take the jobs (longest first,
 * so that no long job starts last while the other workers run out of work): a scenario
 * with two or more threads is explored (its cost grows with its threads and profiles,
 * 0.3-4 s of CPU per file in the corpus), one with a single thread only runs (its
 * profiles, a few ms each, with set-up the rest). Only the order depends on it: the
 * results are put back in check order.
 */
export function jobCost(threads: number, checks: number): number {
  return threads >= 2 ? 1000 * checks * threads : checks;
}

/** Jobs with their scenario's thread count, the most expensive first (jobCost; ties in the given order). */
function byCost(jobs: readonly { readonly job: CheckJob; readonly threads: number }[]): CheckJob[] {
  const cost = (j: { job: CheckJob; threads: number }): number => (j.job.checks[0].noExplore ? j.job.checks.length : jobCost(j.threads, j.job.checks.length));
  return jobs.map((j, i) => ({ j, i, c: cost(j) })).sort((a, b) => b.c - a.c || a.i - b.i).map((x) => x.j.job);
}

/** The checks as jobs of one scenario file each, the most expensive first (jobCost; ties in check order). */
export function checkJobs(checks: readonly LoadedCheck[]): CheckJob[] {
  // The unit of work is a file: a worker parses it once for all of its profiles.
  const jobs: { job: CheckJob; threads: number }[] = [];
  for (const c of checks) {
    const plain: Check = { index: c.index, file: c.file, spec: c.spec, noExplore: c.noExplore, maxSchedules: c.maxSchedules };
    const last = jobs[jobs.length - 1];
    if (last !== undefined && last.job.file === c.file) (last.job.checks as Check[]).push(plain);
    else jobs.push({ job: { file: c.file, checks: [plain] }, threads: c.scenario.threads.length });
  }
  return byCost(jobs);
}

/** Whether `--profile` (the specs or release names given; none: every profile) selects a scenario's expect entry. */
export function profileSelected(pe: { readonly spec: string; readonly profile: { readonly name: string } }, profiles: readonly string[]): boolean {
  return profiles.length === 0 || profiles.includes(pe.spec) || profiles.includes(pe.profile.name);
}

/** What the checks of a file list are judged with (the options of `pinlab check`). */
export interface CheckSelection {
  readonly profiles: readonly string[];
  readonly noExplore: boolean;
  readonly maxSchedules: number | null;
}

/** What a worker is asked: parse a file (and keep it for a later job), or judge a job. */
export type WorkerRequest = { readonly kind: 'parse'; readonly rank: number; readonly file: string; readonly profiles: readonly string[] } | { readonly kind: 'judge'; readonly job: CheckJob };

/** A worker's answer to a parse request: the file's errors (invalid), else its selected expect keys and its thread count. */
export interface ParseReply {
  readonly kind: 'parsed';
  readonly rank: number;
  readonly errors: readonly string[] | null;
  readonly specs: readonly string[];
  readonly threads: number;
}

/** What judging a list of files in workers gives: as `pinlab check` in one thread would list them. */
export interface PoolOutcome {
  /** The invalid files' errors, in file order. */
  readonly errors: string[];
  readonly invalidFiles: number;
  readonly results: readonly JudgeResult[];
}

/**
 * Judge the scenario files in `workers` worker threads (issue 15 item 4): first the workers
 * parse the files (each file once, the next file to the worker that is free) and tell which
 * checks each file has; then the checks are handed out as jobs of one file each, the most
 * expensive first (checkJobs), a worker judging a file it parsed without parsing it again.
 * The results come back in check order (file order, then the file's expect order), the
 * errors in file order, so the output is the one of the checks judged in one thread. A
 * worker's exception rejects (a pinlab bug). `progress` is made once the number of checks is known.
 */
export function judgeFilesInWorkers(files: readonly string[], sel: CheckSelection, workers: number, progress: (total: number) => Progress): Promise<PoolOutcome> {
  return new Promise((resolve, reject) => {
    const parsed: (ParseReply | undefined)[] = new Array<ParseReply | undefined>(files.length).fill(undefined);
    const pool: Worker[] = [];
    let nextFile = 0;
    let parsedCount = 0;
    let jobs: CheckJob[] = [];
    const checks: Check[] = [];
    let results: (JudgeResult | undefined)[] = [];
    let show: Progress = null;
    let next = 0;
    let done = 0;
    let failed = false;
    const idle: Worker[] = [];
    const stopAll = (): void => {
      for (const w of pool) void w.terminate();
    };
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      stopAll();
      show?.(done, null, true);
      reject(e);
    };
    const outcome = (): PoolOutcome => {
      const errors: string[] = [];
      let invalidFiles = 0;
      for (const p of parsed) {
        if (p?.errors === null || p === undefined) continue;
        errors.push(...p.errors);
        invalidFiles++;
      }
      return { errors, invalidFiles, results: results as JudgeResult[] };
    };
    /** Checks still owed by each worker for its current job. */
    const owed = new Map<Worker, number>();
    const feed = (w: Worker): void => {
      if (nextFile < files.length) {
        const rank = nextFile++;
        w.postMessage({ kind: 'parse', rank, file: files[rank], profiles: sel.profiles } satisfies WorkerRequest);
        return;
      }
      if (parsedCount < files.length) {
        idle.push(w);
        return;
      }
      if (next >= jobs.length) return;
      const job = jobs[next++];
      owed.set(w, job.checks.length);
      show?.(done, label(job.checks[0]));
      w.postMessage({ kind: 'judge', job } satisfies WorkerRequest);
    };
    /** Every file parsed: number the checks in file order and start the jobs. */
    const startJobs = (): void => {
      const items: { job: CheckJob; threads: number }[] = [];
      for (const [rank, p] of parsed.entries()) {
        if (p === undefined || p.errors !== null || p.specs.length === 0) continue;
        const first = checks.length;
        for (const spec of p.specs) checks.push({ index: checks.length, file: files[rank], spec, noExplore: sel.noExplore, maxSchedules: sel.maxSchedules });
        items.push({ job: { file: files[rank], checks: checks.slice(first) }, threads: p.threads });
      }
      jobs = byCost(items);
      results = new Array<JudgeResult | undefined>(checks.length).fill(undefined);
      if (checks.length === 0) {
        stopAll();
        resolve(outcome());
        return;
      }
      show = progress(checks.length);
      for (const w of idle.splice(0)) feed(w);
    };
    if (files.length === 0) {
      resolve({ errors: [], invalidFiles: 0, results: [] });
      return;
    }
    for (let i = 0; i < Math.min(workers, files.length); i++) {
      const w = new Worker(WORKER_URL);
      pool.push(w);
      w.on('message', (r: WorkerReply | ParseReply) => {
        if (failed) return;
        if ('kind' in r) {
          parsed[r.rank] = r;
          parsedCount++;
          if (parsedCount === files.length) {
            idle.push(w);
            startJobs();
          } else feed(w);
          return;
        }
        if ('error' in r) {
          fail(new Error(`in the check of ${label(checks[r.index])}: ${r.error}`));
          return;
        }
        results[r.index] = r.result;
        done++;
        if (done === checks.length) {
          show?.(done, null, true);
          stopAll();
          resolve(outcome());
          return;
        }
        const left = (owed.get(w) ?? 1) - 1;
        owed.set(w, left);
        if (left === 0) feed(w);
        else show?.(done, label(checks[r.index + 1]));
      });
      w.on('error', fail);
      feed(w);
    }
  });
}
