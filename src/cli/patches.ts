/** `pinlab patches`: the patch registry. */
import { PATCHES, PATCH_IDS, RELEASE_TAGS, releasePatches } from '../profiles/index.js';
import { TRACE_SCHEMA_VERSION } from '../report/trace-json.js';
import type { Io } from './io.js';
import { EXIT_OK, jsonText } from './io.js';

export function cmdPatches(io: Io, opts: { json?: boolean }): number {
  const rows = PATCH_IDS.map((id) => {
    const p = PATCHES[id];
    return {
      id,
      commit: p.commit,
      subject: p.subject,
      release: p.release,
      hypothetical: p.hypothetical === true,
      requires: [...(p.requires ?? [])],
      effect: p.effect,
      inReleases: RELEASE_TAGS.filter((t) => releasePatches(t).has(id)),
      summary: p.summary,
    };
  });
  if (opts.json === true) {
    io.out(jsonText({ version: TRACE_SCHEMA_VERSION, patches: rows }));
    return EXIT_OK;
  }
  for (const r of rows) {
    io.out(`${r.id}  ${r.commit ?? '(hypothetical)'}  ${r.release}  "${r.subject}"`);
    io.out(`    in: ${r.inReleases.join(', ') || '(no release)'}${r.requires.length > 0 ? `   requires: ${r.requires.join(', ')}` : ''}`);
  }
  return EXIT_OK;
}
