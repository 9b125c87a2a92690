/** `pinlab explore <scenario>`: search the interleavings for invariant violations. */
import type { ExploreOptions, ExploreResult } from '../explore/explore.js';
import { DfsSearch, SamplingSearch } from '../explore/explore.js';
import { terminalProgress } from '../explore/progress.js';
import { boundNote, renderOutcomes, renderViolation, replayCommand } from '../report/render-text.js';
import { exploreJson } from '../report/trace-json.js';
import { runScenario, scenarioTarget } from '../scenario/run.js';
import { cmdExploreFailNth } from './failnth.js';
import type { Io } from './io.js';
import { BadInput, EXIT_INTERRUPTED, EXIT_MISMATCH, EXIT_OK, intOption, jsonText, loadOrThrow, pickProfile, positiveIntOption } from './io.js';

export interface ExploreCmdOptions {
  readonly profile?: string;
  readonly patch?: readonly string[];
  readonly strategy?: string;
  readonly maxSchedules?: string;
  readonly preemptionBound?: string;
  readonly seed?: string;
  readonly atomicity?: string;
  readonly json?: boolean;
  readonly maxSteps?: string;
  /** Fail each failure point of the default run in turn instead of searching interleavings. */
  readonly failNth?: boolean;
  readonly maxFailNth?: string;
  /** dfs: `dpor`, `sleep-sets` or `none` (default: the explorer's choice for the target). */
  readonly reduction?: string;
  /** dfs: the state cache's key of parked threads, `history` or `positions` (default: the scenario's, else history). */
  readonly cache?: string;
}

/** Runs of a DFS between two returns to the event loop (where Ctrl-C is seen). */
const SLICE = 256;

/** Runs of a sampling search between two returns to the event loop (a run can be long). */
const SAMPLING_SLICE = 16;

/**
 * A search in slices, yielding to the event loop between them so that SIGINT (Ctrl-C)
 * can stop it: the search then reports what it found so far as `interrupted`. Every
 * strategy runs this way (DFS, random, PCT).
 */
async function interruptible(search: { step(): boolean; interrupt(): void; result(): ExploreResult }, slice: number): Promise<ExploreResult> {
  const onSigint = (): void => search.interrupt();
  process.on('SIGINT', onSigint);
  try {
    for (;;) {
      for (let i = 0; i < slice; i++) if (!search.step()) return search.result();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function cmdExplore(io: Io, file: string, opts: ExploreCmdOptions): Promise<number> {
  const s = loadOrThrow(file);
  const profile = pickProfile(s, opts.profile, opts.patch ?? []);
  if (opts.failNth === true) return cmdExploreFailNth(io, s, profile, intOption(opts.maxFailNth, '--max-fail-nth'), opts.json === true);
  const strategy = opts.strategy ?? 'dfs';
  if (strategy !== 'dfs' && strategy !== 'random' && strategy !== 'pct') throw new BadInput(`--strategy: expected dfs, random or pct, got '${strategy}'`);
  const maxSchedules = positiveIntOption(opts.maxSchedules, '--max-schedules') ?? s.explore.maxSchedules ?? undefined;
  const preemptionBound = intOption(opts.preemptionBound, '--preemption-bound') ?? s.explore.preemptionBound ?? undefined;
  const seed = intOption(opts.seed, '--seed');
  const maxSteps = positiveIntOption(opts.maxSteps, '--max-steps');
  const atomicity = opts.atomicity ?? 'merged';
  if (atomicity !== 'merged' && atomicity !== 'fine') throw new BadInput(`--atomicity: expected merged or fine, got '${atomicity}'`);
  const reduction = opts.reduction;
  if (reduction !== undefined && reduction !== 'dpor' && reduction !== 'sleep-sets' && reduction !== 'none') throw new BadInput(`--reduction: expected dpor, sleep-sets or none, got '${reduction}'`);
  const cache = opts.cache ?? s.explore.cache ?? undefined;
  if (cache !== undefined && cache !== 'history' && cache !== 'positions') throw new BadInput(`--cache: expected history or positions, got '${cache}'`);
  const eo: ExploreOptions = {
    strategy,
    ...(reduction !== undefined ? { reduction } : {}),
    ...(cache !== undefined ? { cache } : {}),
    ...(maxSchedules !== undefined ? { maxSchedules } : {}),
    ...(preemptionBound !== undefined ? { preemptionBound } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(io.stderrTty === true ? { onProgress: terminalProgress(process.stderr) } : {}),
  };
  const target = scenarioTarget(s, profile, atomicity);
  const r = strategy === 'dfs' ? await interruptible(new DfsSearch(target, eo), SLICE) : await interruptible(new SamplingSearch(target, eo, strategy), SAMPLING_SLICE);
  if (opts.json === true) {
    io.out(jsonText(exploreJson(s.file, profile.name, r)));
  } else {
    const note = boundNote(r);
    io.out(`${s.file} on ${profile.name}${profile.hypothetical ? ' (hypothetical)' : ''}: ${r.schedules} schedules, ${r.states} states, ${note}, reduction ${r.reduction}`);
    for (const id of r.invariants) io.out(`  ${id.padEnd(36)} ${r.verdicts[id] ?? 'never'} (${note})`);
    if (r.outcomes.length > 0) {
      io.out('');
      for (const l of renderOutcomes(r.outcomes)) io.out(l);
    }
    if (r.bounded.includes('step-bound')) io.out(`  step-bound: a run reached the step bound (${maxSteps ?? 100_000} scheduling steps) and was cut there; raise it with --max-steps N`);
    const c = r.counterexample;
    if (c !== null) {
      io.out('');
      io.out(`counterexample (${c.invariant}; ${c.preemptions} preemptions, ${c.steps} steps${c.verified ? '' : ', NOT verified by replay'}):`);
      const o = runScenario(s, profile, { schedule: c.schedule });
      const v = o.violations.find((x) => (x.kind === 'invariant' && x.invariant === c.invariant) || (x.kind === 'deadlock' && c.invariant === 'deadlock'));
      io.out(v !== undefined ? renderViolation(v, s.file, profile.name, c.schedule) : `  replay: ${replayCommand(s.file, profile.name, c.schedule)}`);
    }
  }
  if (r.bounded.includes('interrupted')) return EXIT_INTERRUPTED;
  const violated = Object.values(r.verdicts).some((v) => v !== 'never');
  return violated ? EXIT_MISMATCH : EXIT_OK;
}
