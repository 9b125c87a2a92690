import { readFileSync } from 'node:fs';
import { parseScenario } from './src/scenario/parse.js';
import { scenarioTarget, runScenario } from './src/scenario/run.js';
import { exploreDfs } from './src/explore/dfs.js';
import { RandomChooser } from './src/explore/choosers.js';
const f = process.argv[2];
const r = parseScenario(readFileSync(f, 'utf8'), f);
if (!r.ok) throw new Error('bad');
const pe = r.scenario.expect.find((e) => e.spec === process.argv[3])!;
for (let seed = 1; seed < 30; seed++) {
  const o = runScenario(r.scenario, pe.profile, { chooser: new RandomChooser(seed) });
  console.log(seed, o.schedule, o.status, o.violated.join(','), [...o.values.entries()].map(([k,v])=>`${k}=${v}`).join(' '));
}
