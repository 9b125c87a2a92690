/**
 * A worker thread of `pinlab check` (check-pool.ts): judges the checks of the scenario
 * file it is sent (one job per file), posting each JudgeResult back as it is done. It
 * loads the file itself (the main thread has validated it). No state is kept between jobs.
 */
import { parentPort } from 'node:worker_threads';
import { judgeProfile } from '../scenario/judge.js';
import { RunReuse } from '../scenario/reuse.js';
import { loadScenario } from './io.js';
import type { CheckJob, WorkerReply } from './check-pool.js';

const port = parentPort;
if (port === null) throw new Error('pinlab bug: check-worker.js runs only as a worker thread');
port.on('message', (job: CheckJob) => {
  const l = loadScenario(job.file);
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
    port.postMessage(reply);
  }
});
