/**
 * Generates docs/patches.md from the patch registry: each patch with its commit,
 * subject, release, requirements, effect, the model's code sites (every
 * `PATCH(<id>)` tag under src/) and the scenarios that pin it down.
 *
 *   npm run docs            write docs/patches.md
 *   npm run docs -- --check exit 1 if docs/patches.md is out of date
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { writeOrCheck } from './write-or-check.js';
import { join, relative } from 'node:path';
import { PATCHES, PATCH_IDS, RELEASE_TAGS, releasePatches } from '../src/profiles/index.js';

const root = join(import.meta.dirname, '..');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

export function renderPatchesDoc(): string {
  const sites = new Map<string, string[]>();
  for (const file of walk(join(root, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/PATCH\(([a-z0-9-]+)\)/g)) {
      const list = sites.get(m[1]) ?? [];
      list.push(relative(root, file));
      sites.set(m[1], list);
    }
  }
  const out: string[] = [];
  out.push('# Patch registry');
  out.push('');
  out.push('Generated from `src/profiles/patches/*.ts` by `npm run docs`; do not edit by hand.');
  out.push('A profile is a release plus or minus these patches (`--profile v5.4 --patch +gup-remote-longterm`).');
  out.push('Hypothetical entries are model-only ablations: no commit, never in a release.');
  out.push('');
  out.push('| patch | commit | first release | in profiles | effect |');
  out.push('|---|---|---|---|---|');
  for (const id of PATCH_IDS) {
    const p = PATCHES[id];
    const rel = RELEASE_TAGS.filter((t) => releasePatches(t).has(id)).join(', ') || '—';
    out.push(`| [\`${id}\`](#${id}) | ${p.commit ?? '(hypothetical)'} | ${p.release} | ${rel} | ${p.effect} |`);
  }
  out.push('');
  for (const id of PATCH_IDS) {
    const p = PATCHES[id];
    out.push(`## ${id}`);
    out.push('');
    out.push(p.commit === null ? `**Hypothetical.** ${p.subject}` : `\`${p.commit}\` "${p.subject}" (${p.author}, ${p.release})`);
    out.push('');
    out.push(p.summary);
    out.push('');
    out.push(`- files: ${p.files.map((f) => `\`${f}\``).join(', ')}`);
    if (p.requires?.length) out.push(`- requires: ${p.requires.map((r) => `\`${r}\``).join(', ')}`);
    if (p.conflicts?.length) out.push(`- conflicts: ${p.conflicts.map((r) => `\`${r}\``).join(', ')}`);
    out.push(`- effect: ${p.effect}`);
    const s = sites.get(id) ?? [];
    const perFile = new Map<string, number>();
    for (const f of s) perFile.set(f, (perFile.get(f) ?? 0) + 1);
    const siteList = [...perFile].map(([f, n]) => (n === 1 ? `\`${f}\`` : `\`${f}\` (×${n})`));
    out.push(`- model sites (\`PATCH(${id})\` tags): ${siteList.length === 0 ? '(none)' : siteList.join(', ')}`);
    out.push(`- scenarios: ${p.scenarios.length === 0 ? '(none yet)' : p.scenarios.map((x) => `\`scenarios/${x}.yaml\``).join(', ')}`);
    out.push('');
  }
  return out.join('\n');
}

const target = join(root, 'docs', 'patches.md');
const text = renderPatchesDoc();
writeOrCheck(target, text, 'npm run docs');
