import { readFileSync } from 'node:fs';
import { parseScenario } from './src/scenario/parse.js';
import { buildWorld } from './src/scenario/run.js';
import { mm_fingerprint } from './src/linux/mm/fingerprint.js';
import { DefaultChooser } from './src/sched/index.js';
const f = process.argv[2];
const r = parseScenario(readFileSync(f, 'utf8'), f);
if (!r.ok) throw new Error('bad');
const pe = r.scenario.expect.find((e) => e.spec === process.argv[3])!;
const w = buildWorld(r.scenario, pe.profile, { chooser: new DefaultChooser() });
try { mm_fingerprint(w.m); console.log('fp ok'); } catch (e) { console.log('fp throws:', (e as Error).stack?.split('\n').slice(0,4).join(' | ')); }
