/**
 * `npm start` as users run it (issue 15 item 4): `node bin/pinlab.js check scenarios`, the whole
 * corpus on every profile each scenario declares, exploration included, in its worker threads
 * (needs `npm run build`). Figures, each the median of PINLAB_BENCH_RUNS runs (default 3) with
 * min and max: `check_corpus_seconds` (wall time of the process; goal < 15 s on the 2-core
 * machine), `check_corpus_cpu_seconds` (user + system CPU of the process, its workers included,
 * which load on a shared machine inflates less than wall time), `check_corpus_checks` (how many
 * checks the matrix counted) and `check_corpus_load` (the 1-minute load average when each run
 * started: a wall figure means little without it).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spreadFigure } from './cli.js';
import type { Benchmark, Figure } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Loaded before bin/pinlab.js: prints the process's CPU time (every thread's) on stderr at exit.
const CPU_HOOK = 'data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write("\\nbench-cpu-seconds "+(u.userCPUTime+u.systemCPUTime)/1e6+"\\n")})';

interface CheckRun {
  readonly seconds: number;
  readonly cpu: number;
  readonly checks: number;
  readonly load: number;
}

function runCheck(): CheckRun {
  const load = loadavg()[0];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [`--import=${CPU_HOOK}`, join(root, 'bin', 'pinlab.js'), 'check', 'scenarios'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`pinlab check exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 400)}`);
  const cpu = /bench-cpu-seconds (\d+(?:\.\d+)?)/.exec(r.stderr);
  const checks = /^(\d+) checks, \d+ ok, 0 mismatches$/m.exec(r.stdout);
  if (cpu === null || checks === null) throw new Error(`bench bug: no CPU time or check count in the output of pinlab check: ${r.stderr.slice(-400)}`);
  return { seconds, cpu: Number(cpu[1]), checks: Number(checks[1]), load };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'check_corpus',
    run: (): Figure[] => {
      const n = Math.max(1, Number(process.env.PINLAB_BENCH_RUNS ?? '3'));
      const all: CheckRun[] = [];
      for (let i = 0; i < n; i++) all.push(runCheck());
      return [
        spreadFigure('check_corpus_seconds', all.map((r) => r.seconds), 's', '< 15 (npm start, 2 cores)'),
        spreadFigure('check_corpus_cpu_seconds', all.map((r) => r.cpu), 's', 'informational'),
        spreadFigure('check_corpus_checks', all.map((r) => r.checks), 'checks'),
        spreadFigure('check_corpus_load', all.map((r) => r.load), 'load', 'informational: 1-minute load average at the start of each run'),
      ];
    },
  },
];
