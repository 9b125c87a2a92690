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
import { existsSync } from 'node:fs';
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

const WORKER_URL = new URL('./check-worker.js', import.meta.url);

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
export function checkProgress(stream: ProgressStream, total: number, now: () => number): ((done: number, current: string | null, end?: boolean) => void) | null {
  if (stream.isTTY !== true) return null;
  const t0 = now();
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
export function jobCost(s: Scenario, checks: number): number {
  return s.threads.length >= 2 ? 1000 * checks * s.threads.length : checks;
}

/** The checks as jobs of one scenario file each, the most expensive first (jobCost; ties in check order). */
export function checkJobs(checks: readonly LoadedCheck[]): CheckJob[] {
  // The unit of work is a file: a worker parses it once for all of its profiles.
  const jobs: { job: CheckJob; scenario: Scenario }[] = [];
  for (const c of checks) {
    const plain: Check = { index: c.index, file: c.file, spec: c.spec, noExplore: c.noExplore, maxSchedules: c.maxSchedules };
    const last = jobs[jobs.length - 1];
    if (last !== undefined && last.job.file === c.file) (last.job.checks as Check[]).push(plain);
    else jobs.push({ job: { file: c.file, checks: [plain] }, scenario: c.scenario });
  }
  const cost = (j: { job: CheckJob; scenario: Scenario }): number => (j.job.checks[0].noExplore ? j.job.checks.length : jobCost(j.scenario, j.job.checks.length));
  return jobs.map((j, i) => ({ j, i, c: cost(j) })).sort((a, b) => b.c - a.c || a.i - b.i).map((x) => x.j.job);
}

/** Judge the checks in `workers` worker threads; the results in check order. A worker's exception rejects (a pinlab bug). */
export function judgeInWorkers(checks: readonly LoadedCheck[], workers: number, progress: Progress): Promise<JudgeResult[]> {
  const jobs = checkJobs(checks);
  return new Promise((resolve, reject) => {
    const results: (JudgeResult | undefined)[] = new Array<JudgeResult | undefined>(checks.length).fill(undefined);
    const pool: Worker[] = [];
    let next = 0;
    let done = 0;
    let failed = false;
    const stopAll = (): void => {
      for (const w of pool) void w.terminate();
    };
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      stopAll();
      progress?.(done, null, true);
      reject(e);
    };
    /** Checks still owed by each worker for its current job. */
    const owed = new Map<Worker, number>();
    const feed = (w: Worker): void => {
      if (next >= jobs.length) return;
      const job = jobs[next++];
      owed.set(w, job.checks.length);
      progress?.(done, label(job.checks[0]));
      w.postMessage(job);
    };
    if (checks.length === 0) {
      resolve([]);
      return;
    }
    for (let i = 0; i < Math.min(workers, jobs.length); i++) {
      const w = new Worker(WORKER_URL);
      pool.push(w);
      w.on('message', (r: WorkerReply) => {
        if (failed) return;
        if ('error' in r) {
          fail(new Error(`in the check of ${label(checks[r.index])}: ${r.error}`));
          return;
        }
        results[r.index] = r.result;
        done++;
        if (done === checks.length) {
          progress?.(done, null, true);
          stopAll();
          resolve(results as JudgeResult[]);
          return;
        }
        const left = (owed.get(w) ?? 1) - 1;
        owed.set(w, left);
        if (left === 0) feed(w);
        else progress?.(done, label(checks[r.index + 1]));
      });
      w.on('error', fail);
      feed(w);
    }
  });
}
