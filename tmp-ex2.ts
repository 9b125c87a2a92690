import { readFileSync } from 'node:fs';
import { parseScenario } from './src/scenario/parse.js';
import { scenarioTarget } from './src/scenario/run.js';
import { explore } from './src/explore/explore.js';
const f = process.argv[2];
const r = parseScenario(readFileSync(f, 'utf8'), f);
if (!r.ok) throw new Error('bad');
const pe = r.scenario.expect.find((e) => e.spec === process.argv[3])!;
for (const noCache of [false, true]) {
  const x = explore(scenarioTarget(r.scenario, pe.profile), { noCache, auditCuts: 50 });
  console.log('noCache', noCache, x.schedules, x.states, x.paths, x.complete, JSON.stringify(x.verdicts), JSON.stringify(x.audit), x.reduction, x.inexact);
}
