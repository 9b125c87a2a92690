/**
 * npm run bench [-- --json] [-- name-filter ...]
 *
 * Runs every benchmark module under bench/ and prints a table, or with --json one
 * JSON array of `{name, value, unit}` objects (one per figure) on stdout.
 * Speed and memory targets live here, not in timed tests.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, Figure } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const filters = args.filter((a) => !a.startsWith('--'));

const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f !== 'types.ts')
  .sort();

const figures: Figure[] = [];
for (const file of modules) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { benchmarks?: Benchmark[] };
  for (const b of mod.benchmarks ?? []) {
    if (filters.length > 0 && !filters.some((f) => b.name.includes(f))) continue;
    if (!json) process.stderr.write(`running ${b.name} ...\n`);
    const out = await b.run();
    figures.push(...out);
    if (!json) for (const f of out) process.stdout.write(`${f.name.padEnd(40)} ${String(Number(f.value.toPrecision(6))).padStart(14)} ${f.unit}${f.goal ? `   (goal ${f.goal})` : ''}\n`);
  }
}
if (json) process.stdout.write(JSON.stringify(figures.map(({ name, value, unit }) => ({ name, value, unit })), null, 1) + '\n');
