/**
 * npm run -s bench [-- --json] [-- --out FILE] [-- name-filter ...]
 *
 * Runs every benchmark module under bench/ and prints a table, or with --json one
 * JSON array of `{name, value, unit[, goal][, min, max, runs]}` objects (one per figure)
 * on stdout; `--out FILE` also writes that array to FILE (CI keeps it as an artefact). Each
 * benchmark runs in a fresh node process (same flags), so the memory one benchmark
 * leaves behind or frees late does not count in the next one's figures.
 * Speed and memory targets live here, not in timed tests.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, Figure } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

async function load(file: string): Promise<Benchmark[]> {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { benchmarks?: Benchmark[] };
  return mod.benchmarks ?? [];
}

const child = args.indexOf('--child');
if (child >= 0) {
  // One benchmark, in this (fresh) process: its figures as JSON on stdout.
  const [file, name] = [args[child + 1], args[child + 2]];
  const b = (await load(file)).find((x) => x.name === name);
  if (b === undefined) throw new Error(`bench bug: no benchmark ${name} in ${file}`);
  process.stdout.write(JSON.stringify(await b.run()) + '\n');
} else if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'usage: npm run -s bench -- [--json] [--out FILE] [NAME ...]\n' +
      '  runs every benchmark of bench/*.ts, each in a fresh node process, or those whose name contains a NAME;\n' +
      '  --json prints the figures as JSON (name, value, unit, goal, min/max/runs); --out also writes them to FILE.\n' +
      '  PINLAB_SERVE_BENCH_MIB sets the guest size of serve_large (default 256).\n',
  );
} else {
  const unknown = args.filter((a, i) => a.startsWith('-') && a !== '--json' && a !== '--out' && !(i > 0 && args[i - 1] === '--out'));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown option ${unknown[0]} (see --help)\n`);
    process.exit(2);
  }
  const json = args.includes('--json');
  const outAt = args.indexOf('--out');
  const outFile = outAt >= 0 ? args[outAt + 1] : undefined;
  if (outAt >= 0 && (outFile === undefined || outFile.startsWith('--'))) throw new Error('bench: --out needs a file name');
  const filters = args.filter((a, i) => !a.startsWith('--') && !(outAt >= 0 && i === outAt + 1));
  const modules = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f !== 'types.ts').sort();
  const figures: Figure[] = [];
  let failed = false;
  for (const file of modules) {
    for (const b of await load(file)) {
      if (filters.length > 0 && !filters.some((f) => b.name.includes(f))) continue;
      if (!json) process.stderr.write(`running ${b.name} ...\n`);
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', file, b.name], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024,
      });
      const last = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || last === '') {
        process.stderr.write(`benchmark ${b.name} failed (exit ${r.status ?? r.signal})\n`);
        failed = true;
        continue;
      }
      const out = JSON.parse(last) as Figure[];
      figures.push(...out);
      // A figure a benchmark could not measure is NaN, which JSON carries as null.
      const num = (x: number | null, digits = 4): string => (x === null || !Number.isFinite(x) ? 'n/a' : String(Number(x.toPrecision(digits))));
      const spread = (f: Figure): string => (f.runs === undefined ? '' : `   [median of ${f.runs}: min ${num(f.min ?? NaN)}, max ${num(f.max ?? NaN)}]`);
      if (!json) for (const f of out) process.stdout.write(`${f.name.padEnd(40)} ${num(f.value, 6).padStart(14)} ${f.unit}${f.goal ? `   (goal ${f.goal})` : ''}${spread(f)}\n`);
    }
  }
  if (filters.length > 0 && figures.length === 0 && !failed) {
    process.stderr.write(`bench: no benchmark name contains ${filters.join(' or ')}\n`);
    process.exitCode = 2;
  }
  const doc = JSON.stringify(figures.map(({ name, value, unit, goal, min, max, runs }) => ({ name, value, unit, ...(goal === undefined ? {} : { goal }), ...(runs === undefined ? {} : { min, max, runs }) })), null, 1) + '\n';
  if (json) process.stdout.write(doc);
  if (outFile !== undefined) writeFileSync(outFile, doc);
  if (failed) process.exitCode = 1;
}
