/**
 * The model's patch reads, found in the source itself: every `k.patch('<id>')` and
 * `profile.patches.has('<id>')` under src/ (outside src/profiles/, which defines the
 * registry), with whether the read is tagged.
 *
 * A read is tagged when `PATCH(<id>)` for the same id appears on the read's own line or
 * in the run of comment lines directly above it (style-guide.md §2.2, §2.3 item 3), so a
 * reader who greps the tag lands on the switch. Used by scripts/gen-patches-doc.ts (the
 * per-patch "read at" list of docs/patches.md) and by tests/patch-reads.test.ts.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface PatchRead {
  /** Path relative to the repository root (`src/linux/mm/gup.ts`). */
  readonly file: string;
  /** 1-based line of the read. */
  readonly line: number;
  readonly id: string;
  readonly tagged: boolean;
}

/** A read of a patch: `k.patch('id')` (Kctx) or `.patches.has('id')` (a profile). */
const READ = /\b(?:patch|patches\.has)\('([a-z0-9-]+)'\)/g;
const TAG = /PATCH\(([a-z0-9-]+)\)/g;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function isComment(line: string): boolean {
  const t = line.trimStart();
  return t.startsWith('//') || t.startsWith('*') || t.startsWith('/*');
}

function tagsOf(line: string): Set<string> {
  return new Set([...line.matchAll(TAG)].map((m) => m[1]));
}

/** The reads of one file's text (`file` is only used to label them). */
export function readsInText(file: string, text: string): PatchRead[] {
  const lines = text.split('\n');
  const out: PatchRead[] = [];
  lines.forEach((line, i) => {
    // A read inside a comment is prose, not a switch.
    const code = isComment(line) ? '' : line.replace(/\/\/.*$/, '');
    for (const m of code.matchAll(READ)) {
      const tags = tagsOf(line);
      for (let j = i - 1; j >= 0 && isComment(lines[j]); j--) for (const t of tagsOf(lines[j])) tags.add(t);
      out.push({ file, line: i + 1, id: m[1], tagged: tags.has(m[1]) });
    }
  });
  return out;
}

/** Every patch read under `root`/src, except the registry's own folder. */
export function patchReads(root: string): PatchRead[] {
  const src = join(root, 'src');
  return walk(src)
    .filter((f) => !relative(src, f).startsWith('profiles'))
    .flatMap((f) => readsInText(relative(root, f), readFileSync(f, 'utf8')));
}
