/**
 * A worker thread of `pinlab check` (check-pool.ts). Asked to parse a file, it loads it,
 * keeps it, and answers with the file's errors or its selected expect keys and thread count;
 * asked to judge a job (the checks of one file), it judges them on the file it kept (loading
 * it if another worker parsed it), posting each JudgeResult back as it is done, and forgets
 * the file. No other state is kept between requests.
 */
import { parentPort } from 'node:worker_threads';
import { judgeProfile } from '../scenario/judge.js';
import { RunReuse } from '../scenario/reuse.js';
import type { Loaded } from './io.js';
import { loadScenario } from './io.js';
import type { CheckJob, ParseReply, WorkerReply, WorkerRequest } from './check-pool.js';
import { profileSelected } from './check-pool.js';

const port = parentPort;
if (port === null) throw new Error('pinlab bug: check-worker.js runs only as a worker thread');
/** The files this worker parsed and has not judged yet. */
const kept = new Map<string, Loaded>();

port.on('message', (req: WorkerRequest) => {
  if (req.kind === 'parse') parse(req.rank, req.file, req.profiles);
  else judge(req.job);
});

function parse(rank: number, file: string, profiles: readonly string[]): void {
  const l = loadScenario(file);
  kept.set(file, l);
  const reply: ParseReply = l.ok
    ? { kind: 'parsed', rank, errors: null, specs: l.scenario.expect.filter((pe) => profileSelected(pe, profiles)).map((pe) => pe.spec), threads: l.scenario.threads.length }
    : { kind: 'parsed', rank, errors: l.errors, specs: [], threads: 0 };
  (port as NonNullable<typeof port>).postMessage(reply);
}

function judge(job: CheckJob): void {
  const l = kept.get(job.file) ?? loadScenario(job.file);
  kept.delete(job.file);
  // The profiles of one file share runs where they answer the model's patch reads alike (reuse.ts).
  const reuse = new RunReuse();
  for (const c of job.checks) {
    let reply: WorkerReply;
    try {
      if (!l.ok) throw new Error(`pinlab bug: ${job.file} no longer loads in a worker: ${l.errors.join('; ')}`);
      const pe = l.scenario.expect.find((e) => e.spec === c.spec);
      if (pe === undefined) throw new Error(`pinlab bug: ${job.file} has no expect entry ${c.spec}`);
      const result = judgeProfile(l.scenario, pe, { reuse, noExplore: c.noExplore, ...(c.maxSchedules !== null ? { explore: { maxSchedules: c.maxSchedules } } : {}) });
      reply = { index: c.index, result };
    } catch (e) {
      reply = { index: c.index, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    (port as NonNullable<typeof port>).postMessage(reply);
  }
}
