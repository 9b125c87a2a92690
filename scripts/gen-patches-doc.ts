/**
 * Generates docs/patches.md from the patch registry: each patch with its commit,
 * subject, release, requirements, effect, the changes folded into it, where the model
 * reads it (every `k.patch('<id>')` / `patches.has('<id>')` under src/, found by
 * scripts/patch-reads.ts) and the scenarios that pin it down.
 *
 *   npm run docs            write docs/patches.md
 *   npm run docs -- --check exit 1 if docs/patches.md is out of date
 */
import { writeOrCheck } from './write-or-check.js';
import { join } from 'node:path';
import { PATCHES, PATCH_IDS, RELEASES, RELEASE_TAGS, releasePatches } from '../src/profiles/index.js';
import { patchReads } from './patch-reads.js';

const root = join(import.meta.dirname, '..');

export function renderPatchesDoc(): string {
  const sites = new Map<string, string[]>();
  for (const r of patchReads(root)) {
    const list = sites.get(r.id) ?? [];
    list.push(r.file);
    sites.set(r.id, list);
  }
  const out: string[] = [];
  out.push('# Patch registry');
  out.push('');
  out.push('Generated from `src/profiles/patches/*.ts` by `npm run docs`; do not edit by hand.');
  out.push('A profile is a release plus or minus these patches (`--profile v5.4 --patch +gup-remote-longterm`).');
  out.push('Hypothetical entries are model-only ablations: no commit, never in a release.');
  out.push('');
  out.push('Releases contain every patch first released at or before them, plus the stable backports of the tree');
  out.push('they stand for (listed under each release below).');
  out.push('');
  out.push('| release | stands for | adds | backports |');
  out.push('|---|---|---|---|');
  for (const t of RELEASE_TAGS) {
    const r = RELEASES.get(t);
    if (r === undefined) continue;
    const adds = r.adds.filter((p) => !r.backports.includes(p));
    out.push(`| ${t} | ${r.source} | ${adds.length === 0 ? '—' : adds.map((p) => `\`${p}\``).join(', ')} | ${r.backports.length === 0 ? '—' : r.backports.map((p) => `\`${p}\``).join(', ')} |`);
  }
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
    for (const f of p.folds ?? []) {
      const when = f.from === f.by ? f.from : `first release between ${f.from} and ${f.by} (UNVERIFIED)`;
      out.push(`- folded here (stand-in): ${f.change}; ${f.commit === null ? 'commit UNVERIFIED' : `\`${f.commit}\``}, ${when}`);
    }
    const s = sites.get(id) ?? [];
    const perFile = new Map<string, number>();
    for (const f of s) perFile.set(f, (perFile.get(f) ?? 0) + 1);
    const siteList = [...perFile].map(([f, n]) => (n === 1 ? `\`${f}\`` : `\`${f}\` (×${n})`));
    out.push(`- read at: ${siteList.length === 0 ? '(nowhere)' : siteList.join(', ')}`);
    out.push(`- scenarios: ${p.scenarios.length === 0 ? '(none yet)' : p.scenarios.map((x) => `\`scenarios/${x}.yaml\``).join(', ')}`);
    out.push('');
  }
  return out.join('\n');
}

const target = join(root, 'docs', 'patches.md');
const text = renderPatchesDoc();
writeOrCheck(target, text, 'npm run docs');
