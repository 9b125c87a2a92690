/** `pinlab explore <scenario>`: search the interleavings for invariant violations. */
import type { ExploreOptions } from '../explore/explore.js';
import { explore } from '../explore/explore.js';
import { terminalProgress } from '../explore/progress.js';
import { renderViolation, replayCommand } from '../report/render-text.js';
import { exploreJson } from '../report/trace-json.js';
import { runScenario, scenarioTarget } from '../scenario/run.js';
import { cmdExploreFailNth } from './failnth.js';
import type { Io } from './io.js';
import { BadInput, EXIT_MISMATCH, EXIT_OK, intOption, jsonText, loadOrThrow, pickProfile } from './io.js';

export interface ExploreCmdOptions {
  readonly profile?: string;
  readonly patch?: readonly string[];
  readonly strategy?: string;
  readonly maxSchedules?: string;
  readonly preemptionBound?: string;
  readonly seed?: string;
  readonly json?: boolean;
  /** Fail each failure point of the default run in turn instead of searching interleavings. */
  readonly failNth?: boolean;
  readonly maxFailNth?: string;
}

export function cmdExplore(io: Io, file: string, opts: ExploreCmdOptions): number {
  const s = loadOrThrow(file);
  const profile = pickProfile(s, opts.profile, opts.patch ?? []);
  if (opts.failNth === true) return cmdExploreFailNth(io, s, profile, intOption(opts.maxFailNth, '--max-fail-nth'), opts.json === true);
  const strategy = opts.strategy ?? 'dfs';
  if (strategy !== 'dfs' && strategy !== 'random' && strategy !== 'pct') throw new BadInput(`--strategy: expected dfs, random or pct, got '${strategy}'`);
  const maxSchedules = intOption(opts.maxSchedules, '--max-schedules') ?? s.explore.maxSchedules ?? undefined;
  const preemptionBound = intOption(opts.preemptionBound, '--preemption-bound') ?? s.explore.preemptionBound ?? undefined;
  const seed = intOption(opts.seed, '--seed');
  const eo: ExploreOptions = {
    strategy,
    ...(maxSchedules !== undefined ? { maxSchedules } : {}),
    ...(preemptionBound !== undefined ? { preemptionBound } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(io.tty && opts.json !== true ? { onProgress: terminalProgress(process.stderr) } : {}),
  };
  const r = explore(scenarioTarget(s, profile), eo);
  if (opts.json === true) {
    io.out(jsonText(exploreJson(s.file, profile.name, r)));
  } else {
    io.out(`${s.file} on ${profile.name}${profile.hypothetical ? ' (hypothetical)' : ''}: ${r.schedules} schedules, ${r.states} states, ${r.complete ? 'complete' : `bounded (${r.bounded.join(', ')})`}`);
    for (const id of r.invariants) io.out(`  ${id.padEnd(36)} ${r.verdicts[id] ?? 'never'}`);
    const c = r.counterexample;
    if (c !== null) {
      io.out('');
      io.out(`counterexample (${c.invariant}; ${c.preemptions} preemptions, ${c.steps} steps${c.verified ? '' : ', NOT verified by replay'}):`);
      const o = runScenario(s, profile, { schedule: c.schedule });
      const v = o.violations.find((x) => (x.kind === 'invariant' && x.invariant === c.invariant) || (x.kind === 'deadlock' && c.invariant === 'deadlock'));
      io.out(v !== undefined ? renderViolation(v, s.file, profile.name, c.schedule) : `  replay: ${replayCommand(s.file, profile.name, c.schedule)}`);
    }
  }
  const violated = Object.values(r.verdicts).some((v) => v !== 'never');
  return violated ? EXIT_MISMATCH : EXIT_OK;
}
