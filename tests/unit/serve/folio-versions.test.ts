/**
 * pinlab serve's folio table per step (src/serve/folio-versions.ts): the chunked table
 * it builds for a step, from checkpoints and the slot records in between, equals the
 * folio table read straight off the live mem_map after that step, for every step, asked
 * in orders that go forward, back and far (tiny chunks and close checkpoints, so chunks
 * appear, empty and move and every request crosses checkpoints).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { runScenario } from '../../../src/scenario/run.js';
import { folioTable } from '../../../src/report/frame-index.js';
import type { FolioRows, FolioTable } from '../../../src/report/frame-index.js';
import { FolioVersions } from '../../../src/serve/folio-versions.js';
import { largeGuestScenario } from '../../support/large-guest.js';
import { forEachTouched } from '../../../src/linux/include/linux/mm_types.js';

function load(text: string, file: string): Scenario {
  const r = parseScenario(text, file);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.scenario;
}

const corpus = (path: string): Scenario => load(readFileSync(new URL(`../../../scenarios/${path}`, import.meta.url), 'utf8'), `scenarios/${path}`);

const COLS = ['pfn', 'order', 'ref', 'map', 'ptemaps', 'pin', 'flags', 'content'] as const;

/** A table's rows as one array per column. */
function flat(t: FolioTable | FolioRows): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(COLS.map((c) => [c, [] as number[]]));
  const tabs = 'chunks' in t ? t.chunks : [t];
  for (const c of tabs) for (let i = 0; i < c.n; i++) for (const k of COLS) out[k].push(c[k][i]);
  return out;
}

/** Run `s`, keeping the straight table after every step and the versions; return both. */
function record(s: Scenario, spec: string, opts: { chunkPfns: number; checkpointRecords: number }): { straight: Record<string, number[]>[]; v: FolioVersions } {
  const p = resolveProfile(spec, []);
  if (!p.ok) throw new Error(p.error.message);
  const straight: Record<string, number[]>[] = [];
  let v: FolioVersions | null = null;
  const out = runScenario(s, p.profile, {
    watch: {
      start: (w) => {
        const mem = w.m.mem;
        if (mem.touched === null) mem.journal_start();
        v = new FolioVersions(mem, opts);
        straight.length = 0;
        straight.push(flat(folioTable(mem, mem.slot_top)));
      },
      step: (w) => {
        const mem = w.m.mem;
        const seen = new Set<number>();
        forEachTouched(mem.touched ?? [], (x) => {
          if (x > 0 && x < mem.slot_top) seen.add(x);
        });
        (v as FolioVersions).step(w.sched.stepCount, mem, seen);
        if (!w.checker.incremental) mem.journal_clear();
        straight[w.sched.stepCount] = flat(folioTable(mem, mem.slot_top));
      },
    },
  });
  if (v === null) throw new Error('the run did not start');
  (v as FolioVersions).finish(out.steps);
  expect(straight.length).toBe(out.steps + 1);
  return { straight, v };
}

const CASES: readonly [string, Scenario, string][] = [
  ['guest mapping of 8 MiB', load(largeGuestScenario(8), 'guest.yaml'), 'v6.12'],
  ['mm/thp-cow-after-fork.yaml', corpus('mm/thp-cow-after-fork.yaml'), corpus('mm/thp-cow-after-fork.yaml').expect[0].spec],
  ['vfio/mdev-remote-pin-cma.yaml', corpus('vfio/mdev-remote-pin-cma.yaml'), corpus('vfio/mdev-remote-pin-cma.yaml').expect[0].spec],
  ['vfio/exit-releases-pins.yaml', corpus('vfio/exit-releases-pins.yaml'), corpus('vfio/exit-releases-pins.yaml').expect[0].spec],
  ['pipe/vmsplice-fork-cow.yaml', corpus('pipe/vmsplice-fork-cow.yaml'), corpus('pipe/vmsplice-fork-cow.yaml').expect[0].spec],
];

describe('pinlab serve: the folio table of each step', () => {
  for (const [name, s, spec] of CASES) {
    it(`equals the live mem_map's table after every step of ${name}, asked forward, back and far`, () => {
      const { straight, v } = record(s, spec, { chunkPfns: 8, checkpointRecords: 5 });
      const n = straight.length;
      expect(n).toBeGreaterThan(2);
      const order: number[] = [];
      for (let k = n - 1; k >= 0; k -= 3) order.push(k); // far, then back
      for (let k = 0; k < n; k++) order.push(k); // forward, one step at a time
      for (let k = 0; k < n; k++) order.push((k * 7919) % n); // jumps
      for (const step of order) {
        const got = flat(v.at(step));
        if (JSON.stringify(got) !== JSON.stringify(straight[step])) expect({ step, got }).toEqual({ step, got: straight[step] });
      }
    });
  }

  it('shares the chunks a step did not change', () => {
    // 24 MiB: more folios than the checker rescans (check/checker.ts AUTO_SLOTS), so the journal holds what steps change.
    const { straight, v } = record(load(largeGuestScenario(24), 'guest.yaml'), 'v6.12', { chunkPfns: 64, checkpointRecords: 1 << 20 });
    // The first step that changed the table: MAP_DMA's first batch of pins (one vfio_pin_pages_remote
    // batch; the later steps, merged while the thread runs alone, pin the rest at once).
    const k = straight.findIndex((t, i) => i > 0 && JSON.stringify(t) !== JSON.stringify(straight[i - 1]));
    expect(k).toBeGreaterThan(0);
    const a = v.at(k - 1);
    const b = v.at(k);
    const shared = b.chunks.filter((c) => a.chunks.includes(c)).length;
    expect(b.chunks.length).toBeGreaterThan(4);
    // Most chunks are the same objects as the step before; the changed ones are not.
    expect(shared).toBeGreaterThan(b.chunks.length / 2);
    expect(shared).toBeLessThan(b.chunks.length);
  });
});
