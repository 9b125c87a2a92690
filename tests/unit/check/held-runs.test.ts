/**
 * MachineView.forEachHeld (what pin-balance-at-exit reads: src/check/invariants.ts) lists
 * the pins and references heldPins() lists, in its order, without their holders' names
 * (a 16 GiB guest on 4 KiB pages is 4 million of them). Compared after every step of
 * scenarios with each kind of holder: GUP results, VFIO mappings and mdev pins, io_uring
 * fixed buffers, pipe buffers, iommufd pages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { renderError } from '../../../src/scenario/ast.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { buildWorld } from '../../../src/scenario/run.js';
import type { World } from '../../../src/scenario/run.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import { DefaultChooser } from '../../../src/sched/index.js';
import type { MachineView } from '../../../src/check/view.js';
import { largeGuestScenario } from '../../support/large-guest.js';

function load(text: string, file: string): Scenario {
  const r = parseScenario(text, file);
  if (!r.ok) throw new Error(r.errors.map(renderError).join('\n'));
  return r.scenario;
}

const corpus = (path: string): Scenario => load(readFileSync(new URL(`../../../scenarios/${path}`, import.meta.url), 'utf8'), `scenarios/${path}`);

type Entry = readonly [number, string, number];

function listed(v: MachineView): { names: Entry[]; runs: Entry[] } {
  const names = v.heldPins().map((h) => [h.pfn, h.kind, h.nr ?? 1] as const);
  const runs: Entry[] = [];
  v.forEachHeld((pfn, kind, nr) => runs.push([pfn, kind, nr]));
  return { names, runs };
}

const CASES: readonly [string, Scenario, string | null][] = [
  ['guest mapping of 8 MiB (VFIO, 4 KiB pages)', load(largeGuestScenario(8), 'guest.yaml'), 'v6.12'],
  ['vfio/mdev-remote-pin-cma.yaml', corpus('vfio/mdev-remote-pin-cma.yaml'), null],
  ['io_uring/register-thp.yaml', corpus('io_uring/register-thp.yaml'), null],
  ['pipe/vmsplice-fork-cow.yaml', corpus('pipe/vmsplice-fork-cow.yaml'), null],
  ['addrspace/iommufd-mremap-pinned.yaml', corpus('addrspace/iommufd-mremap-pinned.yaml'), 'v6.12+iommufd'],
  ['iommufd/two-domains-share-pin.yaml (IOAS_COPY: two areas of one pages)', corpus('iommufd/two-domains-share-pin.yaml'), 'v6.12+iommufd'],
  ['iommufd/access-unmap-notifier.yaml (access pins)', corpus('iommufd/access-unmap-notifier.yaml'), 'v6.12+iommufd'],
  ['gup/cma-longterm-migration-fails.yaml', corpus('gup/cma-longterm-migration-fails.yaml'), 'v5.6'],
];

describe('forEachHeld lists what heldPins lists', () => {
  for (const [name, s, spec] of CASES) {
    it(`after every step of ${name}`, () => {
      const r = resolveProfile(spec ?? s.expect[0].spec, []);
      if (!r.ok) throw new Error(r.error.message);
      let w: World | null = null;
      let steps = 0;
      let nonEmpty = 0;
      w = buildWorld(s, r.profile, {
        chooser: new DefaultChooser(),
        afterStep: () => {
          const v = (w as World).checker.world as MachineView;
          const { names, runs } = listed(v);
          expect(runs).toEqual(names);
          steps++;
          if (runs.length > 0) nonEmpty++;
          return false;
        },
        afterStepAllowsMerge: true,
      });
      expect(w.setupError).toBe(null);
      expect(w.sched.run().status).toBe('done');
      expect(steps).toBeGreaterThan(0);
      // Each case holds something at some step (a comparison of two empty lists proves nothing).
      expect(nonEmpty).toBeGreaterThan(0);
    });
  }
});
