import { readFileSync } from 'node:fs';
import { parseScenario } from './src/scenario/parse.js';
import { runScenario } from './src/scenario/run.js';
import { renderError } from './src/scenario/ast.js';
const f = process.argv[2];
const r = parseScenario(readFileSync(f, 'utf8'), f);
if (!r.ok) { for (const e of r.errors) console.log(renderError(e)); process.exit(2); }
for (const pe of r.scenario.expect) {
  const o = runScenario(r.scenario, pe.profile, { trace: true });
  console.log(pe.spec, o.status, o.problem, [...o.values.entries()], o.violated, o.reports, o.schedule);
}
