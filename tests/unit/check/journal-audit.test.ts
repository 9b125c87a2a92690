/**
 * The mem_map journal is complete: over every corpus scenario, on every profile it
 * declares, each step's changes to the mem_map (every slot's columns and the subpage
 * maps, by snapshot diff) are all in the journal that step left (MemMap.touched, or the
 * `freed` ranges for a dropped folio). The incremental checker (src/check/engine.ts) and
 * pinlab serve's folio versions re-read only what the journal lists, so a model path that
 * wrote a slot without resolving it through slot_of(), newSlot() or touch_run() would make
 * both miss the change; this finds such a path wherever the corpus reaches it, not only
 * the one a test happens to look at.
 *
 * Two runs per scenario and profile: the default schedule without object events (the
 * batched paths a lone thread takes: what `pinlab check` and `pinlab run` run), and a
 * random schedule with events (the explorer's and the traced paths). JOURNAL_AUDIT=all adds
 * a second random schedule, the default one with events, and the reference atomicity.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../../src/cli/io.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import { DefaultChooser } from '../../../src/sched/chooser.js';
import { RandomChooser } from '../../../src/explore/choosers.js';
import type { AuditOptions } from '../../support/journal-audit.js';
import { auditJournal } from '../../support/journal-audit.js';

const root = join(import.meta.dirname, '..', '..', '..');

const MODES: readonly [string, () => AuditOptions][] = [
  ['default schedule, no events', () => ({ chooser: new DefaultChooser(), recordEvents: false })],
  ['random schedule (seed 1), events', () => ({ chooser: new RandomChooser(1), recordEvents: true })],
  ...(process.env.JOURNAL_AUDIT === 'all'
    ? [
        ['default schedule, events', () => ({ chooser: new DefaultChooser(), recordEvents: true })],
        ['random schedule (seed 2), no events', () => ({ chooser: new RandomChooser(2), recordEvents: false })],
        ['random schedule (seed 3), fine atomicity', () => ({ chooser: new RandomChooser(3), recordEvents: true, atomicity: 'fine' })],
      ] as [string, () => AuditOptions][]
    : []),
];

const areas = new Map<string, string[]>();
for (const f of scenarioFiles([join(root, 'scenarios')])) {
  const rel = relative(root, f);
  const area = rel.split('/')[1];
  areas.set(area, [...(areas.get(area) ?? []), rel]);
}

describe('every mem_map change of a step is in its journal', () => {
  for (const [area, files] of areas) {
    it(`scenarios/${area} (${files.length} files)`, () => {
      const missed: string[] = [];
      let changed = 0;
      let runs = 0;
      for (const rel of files) {
        const r = parseScenario(readFileSync(join(root, rel), 'utf8'), rel);
        if (!r.ok) throw new Error(`invalid ${rel}`);
        for (const pe of r.scenario.expect) {
          const p = resolveProfile(pe.spec);
          if (!p.ok) throw new Error(`${rel}: profile ${pe.spec}: ${p.error.message}`);
          for (const [mode, opts] of MODES) {
            const a = auditJournal(r.scenario, p.profile, opts());
            runs++;
            changed += a.changed;
            for (const x of a.missed) missed.push(`${rel} on ${pe.spec} (${mode}): step ${x.step} (${x.thread}) slot ${x.slot} pfn:${x.pfn}: ${x.what}`);
          }
        }
      }
      expect(missed.slice(0, 10), `${missed.length} unjournaled slot changes`).toEqual([]);
      // Not vacuous: the runs changed folios (each such change was checked against the journal).
      expect(runs).toBeGreaterThan(0);
      expect(changed).toBeGreaterThan(0);
    });
  }
});
