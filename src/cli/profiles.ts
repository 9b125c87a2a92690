/** `pinlab profiles`: the releases and the patches each contains. */
import { PATCHES, RELEASES, RELEASE_TAGS, releasePatches } from '../profiles/index.js';
import { TRACE_SCHEMA_VERSION } from '../report/trace-json.js';
import type { Io } from './io.js';
import { EXIT_OK, jsonText } from './io.js';

export function cmdProfiles(io: Io, opts: { json?: boolean }): number {
  const rows = RELEASE_TAGS.map((tag) => {
    const r = RELEASES.get(tag);
    return { release: tag, source: r?.source ?? '', base: r?.base ?? null, judge: r?.judge ?? null, patches: [...releasePatches(tag)].sort(), adds: [...(r?.adds ?? [])] };
  });
  if (opts.json === true) {
    io.out(jsonText({ version: TRACE_SCHEMA_VERSION, releases: rows, hypothetical: Object.entries(PATCHES).filter(([, p]) => p.hypothetical === true).map(([id]) => id) }));
    return EXIT_OK;
  }
  for (const r of rows) {
    io.out(`${r.release}  ${r.source}${r.judge !== null ? `  [real kernel: ${r.judge}]` : ''}`);
    io.out(`    adds: ${r.adds.length > 0 ? r.adds.join(', ') : '(none)'}`);
    io.out(`    ${r.patches.length} patches in total`);
  }
  io.out('');
  io.out('A profile is a release with optional +patch / -patch suffixes, e.g. v5.6+hypo-longterm-honours-locked.');
  return EXIT_OK;
}
