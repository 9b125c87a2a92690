/**
 * The registry is honest about the code (style-guide.md §2.3): the model's patch reads
 * (scripts/patch-reads.ts finds them in the source) against the registry, and every
 * release against the registry's upstream order.
 *
 * Fails when:
 * - a read has no `PATCH(<id>)` tag (on its line or in the comment lines right above);
 * - a read names a patch the registry lacks, or a registry entry is never read;
 * - a release lacks a patch whose first release is at or before it, carries a later one
 *   that is not a declared backport, or carries a patch without one it `requires`;
 * - a release falls where a patch and a change folded into it (a stand-in, `folds`)
 *   disagree, or inside the open bracket of a folded change's first release;
 * - a side-by-side body (`fn__v5_7`) dispatched on a patch is not named after that
 *   patch's first release.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATCHES, PATCH_IDS, RELEASES, RELEASE_TAGS, releasePatches } from '../src/profiles/index.js';
import type { PatchId } from '../src/profiles/index.js';
import { compareReleases } from '../src/profiles/releases.js';
import { patchReads, readsInText } from '../scripts/patch-reads.js';
import { foll_flag_exists } from '../src/linux/include/linux/foll.js';
import type { FollRelease } from '../src/linux/include/linux/foll.js';

const root = join(import.meta.dirname, '..');
const reads = patchReads(root);

/** Registry entries no code reads, with the reason (keep exact). */
const NOT_READ: Readonly<Partial<Record<PatchId, string>>> = {
  'iommufd-batch-carry-end':
    "the model's pfn batch holds one pfn per index and never carries pfns between spans, so there is no " +
    'batch_clear_carry() to switch: its unfill path is the fixed one on every release',
};

describe('patch reads', () => {
  it('finds the reads (sanity: the scanner sees Kctx and profile reads)', () => {
    expect(reads.length).toBeGreaterThan(150);
    const sample = readsInText('x.ts', "  // PATCH(a-b) 123: x\n  if (k.patch('a-b')) f();\n  if (k.patch('c')) g(); // PATCH(c)\n  if (m.profile.patches.has('d')) h();\n  // k.patch('e') in prose\n");
    expect(sample.map((r) => [r.id, r.tagged])).toEqual([['a-b', true], ['c', true], ['d', false]]);
  });

  it('every read is tagged PATCH(id)', () => {
    const untagged = reads.filter((r) => !r.tagged).map((r) => `${r.file}:${r.line} ${r.id}`);
    expect(untagged, 'reads without a PATCH(id) tag').toEqual([]);
  });

  it('every read names a registry patch', () => {
    const unknown = reads.filter((r) => !(PATCH_IDS as readonly string[]).includes(r.id)).map((r) => `${r.file}:${r.line} ${r.id}`);
    expect(unknown).toEqual([]);
  });

  it('every registry patch is read somewhere (or listed in NOT_READ with a reason)', () => {
    const readIds = new Set(reads.map((r) => r.id));
    const never = PATCH_IDS.filter((id) => !readIds.has(id) && NOT_READ[id] === undefined);
    expect(never, 'registry entries no code reads').toEqual([]);
    const stale = Object.keys(NOT_READ).filter((id) => readIds.has(id));
    expect(stale, 'NOT_READ entries that are read now').toEqual([]);
  });
});

/** The release chain of a tag: the tag and its bases. */
function chain(tag: string): string[] {
  const out: string[] = [];
  for (let t: string | null = tag; t !== null; t = RELEASES.get(t)?.base ?? null) out.push(t);
  return out;
}

describe('releases follow the upstream order', () => {
  for (const tag of RELEASE_TAGS) {
    const r = RELEASES.get(tag);
    if (r === undefined) continue;
    const kernel = r.kernel ?? tag;
    const set = releasePatches(tag);
    const backports = new Set(chain(tag).flatMap((t) => RELEASES.get(t)?.backports ?? []));
    describe(tag, () => {
      it('has every patch first released at or before it, and later ones only as declared backports', () => {
        const bad: string[] = [];
        for (const id of PATCH_IDS) {
          const p = PATCHES[id];
          if (p.hypothetical === true) {
            if (set.has(id)) bad.push(`${id}: hypothetical`);
            continue;
          }
          const later = compareReleases(p.release, kernel) > 0;
          if (!later && !set.has(id)) bad.push(`${id} (${p.release}) missing`);
          if (later && set.has(id) && !backports.has(id)) bad.push(`${id} (${p.release}) present but not a declared backport`);
        }
        expect(bad).toEqual([]);
      });

      it('has a FOLL_* table (include/linux/foll.ts) for its kernel', () => {
        expect(() => foll_flag_exists(kernel as FollRelease, 'FOLL_WRITE'), `no FOLL_* table for ${kernel}`).not.toThrow();
      });

      it('has what each of its patches requires', () => {
        const bad = [...set].flatMap((id) => (PATCHES[id].requires ?? []).filter((q) => !set.has(q)).map((q) => `${id} requires ${q}`));
        expect(bad).toEqual([]);
      });

      it('agrees with every change folded into a patch (stand-ins)', () => {
        const bad: string[] = [];
        for (const id of PATCH_IDS) {
          for (const f of PATCHES[id].folds ?? []) {
            const foldIn = compareReleases(kernel, f.by) >= 0 ? true : compareReleases(kernel, f.from) < 0 ? false : null;
            if (foldIn === null) bad.push(`${id}: folded change open between ${f.from} and ${f.by}: ${f.change}`);
            else if (foldIn !== set.has(id)) bad.push(`${id} is ${set.has(id) ? '' : 'not '}in ${tag} but its folded change is ${foldIn ? '' : 'not '}(${f.from}): ${f.change}`);
          }
        }
        expect(bad, `${tag} cannot be modelled until these stand-ins are split`).toEqual([]);
      });
    });
  }
});

describe('side-by-side bodies', () => {
  it('a body dispatched on a patch is named after the first release of that patch', () => {
    const bad: string[] = [];
    const files = [...new Set(reads.map((r) => r.file))];
    for (const file of files) {
      const lines = readFileSync(join(root, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        const m = /\bk\.patch\('([a-z0-9-]+)'\)/.exec(line);
        if (m === null) return;
        // The body taken when the patch is present: on the read's line after `return`/`?`, or on the next line's `?`.
        const here = /(?:return(?: yield\*)?|\?(?: yield\*)?) ([a-z_0-9]+)__v(\d+)_(\d+)\(/.exec(line.slice(m.index));
        const next = /^\s*\?(?: yield\*)? ([a-z_0-9]+)__v(\d+)_(\d+)\(/.exec(lines[i + 1] ?? '');
        const hit = here ?? next;
        if (hit === null) return;
        const name = `v${hit[2]}.${hit[3]}`;
        const release = PATCHES[m[1] as PatchId].release;
        if (name !== release) bad.push(`${file}:${i + 1} ${hit[1]}__v${hit[2]}_${hit[3]} is dispatched on ${m[1]} (${release})`);
      });
    }
    expect(bad).toEqual([]);
  });
});
