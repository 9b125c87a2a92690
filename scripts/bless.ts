/**
 * Writes the blessed `.expected` files of scenarios (style guide §2.5; format and
 * normalisation rules in src/report/expected.ts): one per profile each header declares,
 * next to the scenario, and removes that scenario's `.expected` files for profiles it no
 * longer declares.
 *
 *   npm run bless                                   every scenario under scenarios/
 *   npm run bless -- scenarios/vfio/map-devdax.yaml  only these (files or folders)
 *   npm run bless -- --check                         exit 1 if any file would change
 */
import { existsSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseScenario } from '../src/scenario/parse.js';
import { renderError } from '../src/scenario/ast.js';
import { judgeProfile } from '../src/scenario/judge.js';
import { expectedPath, expectedText } from '../src/report/expected.js';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const targets = args.filter((a) => !a.startsWith('--'));

function yamls(p: string): string[] {
  if (!statSync(p).isDirectory()) return p.endsWith('.yaml') ? [p] : [];
  const out: string[] = [];
  for (const n of readdirSync(p).sort()) out.push(...yamls(join(p, n)));
  return out;
}

const files = (targets.length > 0 ? targets : ['scenarios']).flatMap((t) => yamls(resolve(t)));
let changed = 0;
let failed = 0;
for (const abs of files) {
  const rel = relative(root, abs);
  const r = parseScenario(readFileSync(abs, 'utf8'), rel);
  if (!r.ok) {
    for (const e of r.errors) process.stderr.write(renderError(e) + '\n');
    failed++;
    continue;
  }
  const keep = new Set<string>();
  for (const pe of r.scenario.expect) {
    const out = expectedPath(abs, pe.spec);
    keep.add(basename(out));
    const text = expectedText(r.scenario, pe, judgeProfile(r.scenario, pe));
    const old = existsSync(out) ? readFileSync(out, 'utf8') : null;
    if (old === text) continue;
    changed++;
    if (check) process.stderr.write(`out of date: ${relative(root, out)}\n`);
    else writeFileSync(out, text);
  }
  // Orphans of this scenario: `.expected` files for profiles it no longer declares.
  const stem = basename(abs).replace(/\.yaml$/, '') + '.';
  for (const n of readdirSync(dirname(abs))) {
    if (!n.startsWith(stem) || !n.endsWith('.expected') || keep.has(n)) continue;
    const spec = n.slice(stem.length, -'.expected'.length);
    if (spec.includes('.')) continue; // another scenario's (a longer name with this prefix)
    changed++;
    if (check) process.stderr.write(`orphan: ${relative(root, join(dirname(abs), n))}\n`);
    else unlinkSync(join(dirname(abs), n));
  }
}
process.stderr.write(`${files.length} scenarios, ${changed} file(s) ${check ? 'out of date' : 'written or removed'}${failed ? `, ${failed} invalid` : ''}\n`);
process.exitCode = failed > 0 || (check && changed > 0) ? 1 : 0;
