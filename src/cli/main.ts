/**
 * The pinlab command line. `main(argv)` returns the exit code:
 *   0  ok: every check matched, no invariant was violated
 *   1  a mismatch (check) or a violation (run, explore, replay)
 *   2  bad input: an invalid scenario, profile, patch, schedule or option; nothing to check
 *  70  internal error: a JavaScript exception, always a pinlab bug
 * 130  explore interrupted by Ctrl-C (the partial results were printed)
 * One file per subcommand; this file only wires commander to them.
 */
import { Command, CommanderError } from 'commander';
import { cmdCheckParallel } from './check.js';
import { cmdDiff } from './diff.js';
import { cmdExplore } from './explore.js';
import type { Io } from './io.js';
import { BadInput, EXIT_BAD_INPUT, EXIT_INTERNAL, jsonText, processIo, terminalSafe } from './io.js';
import { TRACE_SCHEMA_VERSION } from '../report/trace-json.js';
import { PINLAB_VERSION } from './version.js';
import { cmdPatches } from './patches.js';
import { cmdProfiles } from './profiles.js';
import { cmdReplay } from './replay.js';
import { cmdRun } from './run.js';
import { cmdServe, cmdView } from './serve.js';
import { cmdCheckMerge } from './merge.js';

const EXIT_HELP = `
Exit codes:
  0  ok: every check matched, no invariant violated
  1  a declared result did not match (check), or a run / exploration found a violation
  2  bad input: invalid scenario file (messages read file:line:col), profile, patch,
     schedule string (a schedule that diverges from the run included) or option;
     nothing to check (no scenario file, or no scenario declares the --profile)
 70  internal error: a JavaScript exception escaped (always a pinlab bug: please report it)
130  explore only: interrupted by Ctrl-C (SIGINT); the verdicts and outcomes found so far
     are printed, each marked (bounded: interrupted ...)
With --json, bad input is a JSON document too: {"version", "error": {"kind", "messages"}}.

Profiles are releases with optional patches: v5.4, v5.6, v6.1, v6.12,
v5.6+hypo-longterm-honours-locked, or --profile v5.6 --patch -vfio-longterm-via-gup.
Scenario format: docs/scenario-format.md.`;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Run the pinlab CLI on `argv` (without node and script). Never throws. */
export async function main(argv: readonly string[], rawIo: Io = processIo): Promise<number> {
  // Every line goes through terminalSafe: nothing from an input reaches the terminal raw.
  const io: Io = { out: (t) => rawIo.out(terminalSafe(t)), err: (t) => rawIo.err(terminalSafe(t)), tty: rawIo.tty, ...(rawIo.stderrTty !== undefined ? { stderrTty: rawIo.stderrTty } : {}) };
  const wantsJson = argv.includes('--json');
  const jsonError = (kind: 'bad-input' | 'internal-error', messages: readonly string[]): void =>
    io.out(jsonText({ version: TRACE_SCHEMA_VERSION, error: { kind, messages: [...messages] } }));
  let code = 0;
  const program = new Command();
  program
    .name('pinlab')
    .version(PINLAB_VERSION, '-V, --version', 'print the pinlab version')
    .description('An executable, version-faithful model of Linux user-page pinning (GUP, FOLL_LONGTERM) and VFIO type1')
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError(false);

  const withProfile = (c: Command): Command =>
    c.option('-p, --profile <profile>', 'profile: a release with optional +patch/-patch (default: the first the scenario declares)')
      .option('--patch <[+-]id>', 'add (+id) or remove (-id) a patch; repeatable', collect, [] as string[])
      .option('--json', 'machine-readable output');

  withProfile(program.command('run').description('run a scenario once (default schedule, or --schedule)').argument('<scenario>'))
    .option('-s, --schedule <schedule>', "schedule string, e.g. 'T0*3 T1 ...'")
    .option('--trace', 'print the trace events, one JSON object a line (--json always includes the trace)')
    .option('--max-steps <n>', 'the step bound: stop the run after n scheduling steps (default 100000)')
    .option('--fail-nth <n>', 'fault injection: fail the n-th failable call (allocation, copy_from_user, IOMMU map) of the default run')
    .option('--timings', 'report the wall time of set-up, of each step and of the end-of-run checks')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, o: { profile?: string; patch: string[]; schedule?: string; trace?: boolean; json?: boolean; maxSteps?: string; failNth?: string; timings?: boolean }) => {
      code = cmdRun(io, file, o);
    });

  withProfile(program.command('explore').description('search the interleavings of a scenario for invariant violations').argument('<scenario>'))
    .option('--strategy <dfs|random|pct>', 'search strategy', 'dfs')
    .option('--max-schedules <n>', 'stop after n schedules (bounded search)')
    .option('--preemption-bound <n>', 'at most n preemptions per schedule (bounded search)')
    .option('--seed <n>', 'seed of random / pct')
    .option('--max-steps <n>', 'the step bound of each run (default 100000)')
    .option('--fail-nth', 'fault injection: fail each failable call of the default run in turn (n = 1, 2, ...) and judge each run')
    .option('--max-fail-nth <n>', 'with --fail-nth: stop after n failure points (default 10000)')
    .option('--atomicity <merged|fine>', 'step atomicity: the model\'s steps (merged) or the reference mode that also yields at every page the walks read (fine; docs/atomicity.md)', 'merged')
    .option('--cache <history|positions>', 'dfs: the state cache\'s key of a parked thread: its history since it was last fully described (sound) or its point and locals only (default: the scenario\'s explore.cache, else history; docs/explorer.md)')
    .option('--reduction <dpor|sleep-sets|none>', 'dfs: partial-order reduction over the steps\' footprints (default: dpor where the scenario reports footprints, else none; docs/explorer.md)')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, o: { profile?: string; patch: string[]; strategy?: string; maxSchedules?: string; preemptionBound?: string; seed?: string; json?: boolean; maxSteps?: string; failNth?: boolean; maxFailNth?: string; atomicity?: string; reduction?: string }) => {
      return cmdExplore(io, file, o).then((c) => {
        code = c;
      });
    });

  program.command('check').description('judge every scenario on every profile it declares; print the matrix').argument('[paths...]', 'scenario files or directories (default: scenarios)')
    .option('--json', 'machine-readable output: {results: [{scenario, profile, match, ...}], mismatches}')
    .option('-p, --profile <profile>', 'only this profile (repeatable)', collect, [] as string[])
    .option('--no-explore', 'judge values only (skip invariant exploration)')
    .option('--max-schedules <n>', 'bound every exploration')
    .option('-v, --verbose', 'print details of matching checks too')
    .option('--shard <i/n>', 'only the i-th of n shares of the scenario files (1-based), for a CI matrix')
    .option('--merge', 'the paths are `check --json` outputs of shards: merge them into one report')
    .option('-j, --jobs <n>', 'worker threads judging the checks (default: one per core; 1: no workers)')
    .addHelpText('after', EXIT_HELP)
    .action(async (paths: string[], o: { json?: boolean; profile: string[]; explore: boolean; maxSchedules?: string; verbose?: boolean; shard?: string; merge?: boolean; jobs?: string }) => {
      code = o.merge === true ? cmdCheckMerge(io, paths, o) : await cmdCheckParallel(io, paths, o);
    });

  withProfile(program.command('replay').description('re-run one schedule of a scenario exactly').argument('<scenario>'))
    .requiredOption('-s, --schedule <schedule>', 'the schedule string to replay')
    .option('--trace', 'print the trace events')
    .option('--max-steps <n>', 'the step bound (default 100000)')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, o: { profile?: string; patch: string[]; schedule?: string; json?: boolean; trace?: boolean; maxSteps?: string }) => {
      code = cmdReplay(io, file, o);
    });

  program.command('diff').description('one scenario across profiles: which results and verdicts differ').argument('<scenario>')
    .option('--profiles <a,b,...>', 'profiles to compare (default: those the scenario declares)')
    .option('--no-explore', 'compare values only')
    .option('--json', 'machine-readable output')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, o: { profiles?: string; json?: boolean; explore?: boolean }) => {
      code = cmdDiff(io, file, o);
    });

  program.command('profiles').description('the releases and the patches each contains').option('--json', 'machine-readable output')
    .addHelpText('after', EXIT_HELP)
    .action((o: { json?: boolean }) => {
      code = cmdProfiles(io, o);
    });

  program.command('patches').description('the patch registry').option('--json', 'machine-readable output')
    .addHelpText('after', EXIT_HELP)
    .action((o: { json?: boolean }) => {
      code = cmdPatches(io, o);
    });

  program.command('serve').description('a local HTTP JSON API over the model and the web visualizer (docs/serve-api.md)')
    .option('--port <n>', 'port (default: a free one)')
    .option('--host <addr>', 'bind address (default 127.0.0.1; non-loopback needs --allow-remote)')
    .option('--allow-remote', 'allow a non-loopback bind address (the API has no authentication)')
    .addHelpText('after', EXIT_HELP)
    .action(async (o: { port?: string; host?: string; allowRemote?: boolean }) => {
      code = await cmdServe(io, o);
    });

  withProfile(program.command('view').description('serve one run of a scenario and print the URL of its view').argument('<scenario>'))
    .option('-s, --schedule <schedule>', "schedule string, e.g. 'T0*3 T1 ...'")
    .option('--step <n>', 'open the view at this step')
    .option('--port <n>', 'port (default: a free one)')
    .option('--open', 'open the URL in a browser ($BROWSER or xdg-open)')
    .addHelpText('after', EXIT_HELP)
    .action(async (file: string, o: { profile?: string; patch: string[]; schedule?: string; step?: string; port?: string; open?: boolean }) => {
      code = await cmdView(io, file, o);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      if (wantsJson) jsonError('bad-input', [e.message.replace(/^error: /, '')]);
      return EXIT_BAD_INPUT;
    }
    if (e instanceof BadInput) {
      if (wantsJson) jsonError('bad-input', e.message.split('\n'));
      else io.err(e.message);
      return EXIT_BAD_INPUT;
    }
    const what = e instanceof Error ? (e.stack ?? e.message) : String(e);
    if (wantsJson) jsonError('internal-error', [`a pinlab bug: ${what}`]);
    else io.err(`pinlab: internal error (a pinlab bug, exit ${EXIT_INTERNAL}): ${what}`);
    return EXIT_INTERNAL;
  }
}
