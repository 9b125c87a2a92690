/**
 * Measure the explorer's reductions on the corpus: for every scenario × profile with two
 * or more threads (or those whose path contains one of the arguments), explore with the
 * scenario's own options under each footprint mode and print runs, states and CPU time.
 *
 *   npx tsx scripts/footprint-compare.ts [--modes objects,locks,none] [--cache history|positions] [path-filter ...]
 *
 * `--cache` is the default state key (a scenario's own `explore: { cache }` wins).
 *
 * Modes: `objects` (the default footprints: locks, folios, PTEs, the rest as `world`),
 * `locks` (locks exactly, the rest as one object `world`), `none` (no footprints: the state
 * cache alone). Verdicts and outcome sets are compared with the first mode's.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpuUsage } from 'node:process';
import { explore } from '../src/explore/explore.js';
import type { ExploreOptions, ExploreResult } from '../src/explore/explore.js';
import { parseScenario } from '../src/scenario/parse.js';
import { scenarioTarget } from '../src/scenario/run.js';
import { valueKey } from '../src/scenario/state.js';
import type { Value } from '../src/scenario/ast.js';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
let modes = ['objects', 'locks'];
let cache: 'history' | 'positions' | null = null;
const filters: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--modes') modes = args[++i].split(',');
  else if (args[i] === '--cache') cache = args[++i] as 'history' | 'positions';
  else filters.push(args[i]);
}

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (e.endsWith('.yaml')) out.push(p);
  }
  return out;
}

function outcomes(r: ExploreResult): string {
  return r.outcomes.map((o) => valueKey(o.values as Readonly<Record<string, Value>>)).sort().join('\n');
}

const tot = new Map<string, { runs: number; states: number; cpu: number; incomplete: number }>();
// A mode may be listed twice (objects,locks,objects,locks): the later runs are measured after the JIT warmed up.
for (const [i, m] of modes.entries()) tot.set(`${m}#${i}`, { runs: 0, states: 0, cpu: 0, incomplete: 0 });
let checks = 0;
let differ = 0;
for (const file of files(join(root, 'scenarios'))) {
  const rel = relative(root, file);
  if (filters.length > 0 && !filters.some((f) => rel.includes(f))) continue;
  const p = parseScenario(readFileSync(file, 'utf8'), rel);
  if (!p.ok || p.scenario.threads.length < 2) continue;
  const s = p.scenario;
  for (const pe of s.expect) {
    const eo: ExploreOptions = {
      ...(s.explore.maxSchedules !== null ? { maxSchedules: s.explore.maxSchedules } : {}),
      ...(s.explore.preemptionBound !== null ? { preemptionBound: s.explore.preemptionBound } : {}),
      // --cache is the default key: a scenario that declares one keeps it.
      ...(cache !== null ? { cache } : {}),
      ...(s.explore.cache !== null ? { cache: s.explore.cache } : {}),
    };
    const cells: string[] = [];
    let first: ExploreResult | null = null;
    for (const [i, m] of modes.entries()) {
      const t0 = cpuUsage();
      let r: ExploreResult;
      try {
        r = explore(scenarioTarget(s, pe.profile, 'merged', m === 'none' ? false : m === 'locks' ? 'locks' : true), eo);
      } catch (e) {
        console.log(`${rel} ${pe.profile.name} ${m}: THROWS ${(e as Error).message}`);
        throw e;
      }
      const c = cpuUsage(t0);
      const cpu = (c.user + c.system) / 1e6;
      const t = tot.get(`${m}#${i}`) as { runs: number; states: number; cpu: number; incomplete: number };
      t.runs += r.schedules;
      t.states += r.states;
      t.cpu += cpu;
      if (!r.complete) t.incomplete++;
      cells.push(`${m} ${r.schedules}r ${r.states}s ${cpu.toFixed(2)}s${r.complete ? '' : ' BOUNDED'}`);
      if (first === null) first = r;
      else if (JSON.stringify(first.verdicts) !== JSON.stringify(r.verdicts) || outcomes(first) !== outcomes(r)) {
        differ++;
        cells.push('DIFFERS');
      }
    }
    checks++;
    console.log(`${rel} ${pe.profile.name}: ${cells.join(' | ')}`);
  }
}
console.log(`\n${checks} checks${differ > 0 ? `, ${differ} with different verdicts or outcomes` : ''}`);
for (const [m, t] of tot) console.log(`${m}: ${t.runs} runs, ${t.states} states, ${t.cpu.toFixed(1)} s CPU, ${t.incomplete} bounded`);
