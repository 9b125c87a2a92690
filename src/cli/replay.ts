/** `pinlab replay <scenario> --profile p --schedule s`: re-run one schedule exactly. */
import { renderOutcome } from '../report/render-text.js';
import { runJson } from '../report/trace-json.js';
import { parseSchedule } from '../explore/schedule.js';
import { runScenario } from '../scenario/run.js';
import type { Io } from './io.js';
import { BadInput, jsonText, loadOrThrow, pickProfile, positiveIntOption } from './io.js';
import { outcomeExit } from './run.js';

export function cmdReplay(io: Io, file: string, opts: { profile?: string; patch?: readonly string[]; schedule?: string; json?: boolean; trace?: boolean; maxSteps?: string }): number {
  if (opts.schedule === undefined) throw new BadInput('replay needs --schedule (the string explore or check printed)');
  const p = parseSchedule(opts.schedule);
  if (!p.ok) throw new BadInput(`--schedule: column ${p.column}: ${p.error}`);
  const s = loadOrThrow(file);
  const profile = pickProfile(s, opts.profile, opts.patch ?? []);
  const maxSteps = positiveIntOption(opts.maxSteps, '--max-steps');
  const o = runScenario(s, profile, { schedule: opts.schedule, trace: true, ...(maxSteps !== undefined ? { maxSteps } : {}) });
  if (opts.json === true) io.out(jsonText(runJson(o)));
  else {
    io.out(renderOutcome(o));
    if (opts.trace === true && o.trace !== null) for (const e of o.trace) io.out(JSON.stringify(e));
  }
  return outcomeExit(io, o);
}
