/**
 * Writes scenarios/README.md: the catalogue of the bundled corpus, one line per
 * scenario (its `question:`), grouped by area, with the profiles it declares.
 *
 *   npx tsx scripts/gen-scenario-readme.ts           write it
 *   npx tsx scripts/gen-scenario-readme.ts --check   exit 1 if it is out of date
 */
import { readFileSync } from 'node:fs';
import { scenarioFiles } from '../src/cli/io.js';
import { writeOrCheck } from './write-or-check.js';
import { join, relative } from 'node:path';
import { parseScenario } from '../src/scenario/parse.js';

const root = join(import.meta.dirname, '..', 'scenarios');

/** The corpus files under d, in the CLI's order (src/cli/io.ts scenarioFiles). */
const files = (d: string): string[] => scenarioFiles([d]);

const AREAS: Record<string, string> = {
  seed: 'The seed cases: the 2019 FOLL_LONGTERM / get_user_pages_remote() patch pair and why `locked` must be NULL',
  gup: 'get_user_pages / pin_user_pages per release and the famous GUP bugs (§7)',
  vfio: 'VFIO type1: MAP_DMA / UNMAP_DMA arguments, accounting, external (mdev) pins',
  io_uring: 'io_uring fixed buffers as a second long-term pinner',
  concurrency: 'Interleavings: munmap, truncate, fork, migration and device DMA against pins',
  mm: 'Memory-model behaviour the pinning cases rely on',
  addrspace: 'Address-space changes under a pin: mremap, MADV_FREE / PAGEOUT / COLD / WILLNEED / REMOVE, WIPEONFORK, mprotect, munmap + mmap (what the process, the device and io_uring see)',
  remote: 'Remote access through GUP: /proc/PID/mem and ptrace (FOLL_FORCE), process_vm_readv/writev (no FOLL_FORCE)',
  hotplug: 'Memory blocks going offline and online (/sys/devices/system/memory/memoryN/state) under references and pins',
  pipe: 'Pipes and vmsplice: page references that are not pins (a reader sees what the page holds at read time)',
  io: 'read/write/pread/pwrite through the page cache and io_uring READ_FIXED/WRITE_FIXED, byte-granular',
};

export function renderCatalogue(): string {
  const lines: string[] = [
    '# The scenario corpus',
    '',
    'One line per scenario: the question it asks, then the profiles it declares a result for.',
    '`pinlab check scenarios` (or `npm start`) judges every scenario on every profile it names;',
    'the format is docs/scenario-format.md. Regenerate this file with',
    '`npx tsx scripts/gen-scenario-readme.ts` after adding a scenario.',
  ];
  const byArea = new Map<string, string[]>();
  for (const f of files(root)) {
    const rel = relative(root, f);
    const area = rel.split('/')[0];
    const r = parseScenario(readFileSync(f, 'utf8'), rel);
    const q = r.ok ? r.scenario.question : '(invalid scenario: run pinlab check)';
    const profiles = r.ok ? r.scenario.expect.map((e) => e.spec).join(', ') : '';
    const l = byArea.get(area) ?? [];
    l.push(`- [${rel}](${rel}) — ${q} _(${profiles})_`);
    byArea.set(area, l);
  }
  for (const [area, l] of [...byArea].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    lines.push('', `## ${area}`, '', AREAS[area] ?? '', '', ...l);
  }
  return lines.join('\n') + '\n';
}

const path = join(root, 'README.md');
const text = renderCatalogue();
writeOrCheck(path, text, 'npm run scenarios:readme');
