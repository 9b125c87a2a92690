/**
 * pinlab serve's step record (src/serve/timeline.ts): the state after every step,
 * rebuilt from the record, equals the state a straight replay of the run reaches
 * (RunSession.replayed), for every frame filter and page, and the diffs agree too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import type { Profile } from '../../../src/profiles/index.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import type { FrameFilter } from '../../../src/report/state-types.js';
import { RunSession } from '../../../src/serve/session.js';
import { largeGuestScenario } from '../../support/large-guest.js';

function load(text: string, file: string): Scenario {
  const r = parseScenario(text, file);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.scenario;
}

function profile(spec: string): Profile {
  const r = resolveProfile(spec, []);
  if (!r.ok) throw new Error(r.error.message);
  return r.profile;
}

const corpus = (path: string): Scenario => load(readFileSync(new URL(`../../../scenarios/${path}`, import.meta.url), 'utf8'), `scenarios/${path}`);

const FILTERS: readonly FrameFilter[] = ['all', 'held', 'mapped', 'fsdax'];

/** Every frame of the state after `step` under each filter (pages of 512), as JSON. */
function full(s: RunSession, step: number, replay: boolean): string {
  const snap = replay ? s.replayed(step) : s.at(step);
  const out: unknown[] = [];
  for (const f of FILTERS) {
    const first = snap.state(f, 0, 512);
    out.push(first);
    for (let off = 512; off < first.frames.total; off += 512) out.push(snap.state(f, off, 512).frames.items);
  }
  return JSON.stringify(out);
}

function checkEveryStep(s: RunSession): void {
  expect(s.recordOff).toBe(null);
  for (let step = 0; step <= s.steps; step++) {
    const rebuilt = full(s, step, false);
    const straight = full(s, step, true);
    if (rebuilt !== straight) expect({ step, state: JSON.parse(rebuilt) as unknown }).toEqual({ step, state: JSON.parse(straight) as unknown });
  }
}

/** Scenarios (first declared profile unless given) covering VFIO (BAR = reserved frames, mdev, fork, new mm), io_uring, THP, pipes, iommufd. */
const CASES: readonly [string, string | null, string | null][] = [
  ['seed/longterm-locked-race.yaml', 'v5.6+hypo-longterm-honours-locked', 'T0*16 T1*4 ...'],
  ['vfio/map-bar-readonly.yaml', null, null],
  ['vfio/mdev-remote-pin-cma.yaml', null, null],
  ['vfio/unmap-by-forked-child.yaml', null, null],
  ['vfio/update-vaddr-new-mm.yaml', null, null],
  ['vfio/exit-releases-pins.yaml', null, null],
  ['io_uring/register-thp.yaml', null, null],
  ['mm/thp-cow-after-fork.yaml', null, null],
  ['pipe/vmsplice-fork-cow.yaml', null, null],
  ['addrspace/iommufd-mremap-pinned.yaml', 'v6.12+iommufd', null],
];

describe('pinlab serve: the step record', () => {
  for (const [path, spec, schedule] of CASES) {
    it(`rebuilds the state after every step of ${path} on ${spec ?? 'its first profile'} as a straight replay reaches it`, () => {
      const sc = corpus(path);
      checkEveryStep(new RunSession('t', sc, profile(spec ?? sc.expect[0].spec), schedule));
    });
  }

  it('rebuilds every step of a guest mapping (VFIO_IOMMU_MAP_DMA of 8 MiB)', () => {
    checkEveryStep(new RunSession('t', load(largeGuestScenario(8), 'guest.yaml'), profile('v6.12'), null));
  });

  it('rebuilds every step of a guest mapping without frame histories (as large machines run), and its diffs', () => {
    const s = new RunSession('t', load(largeGuestScenario(8), 'guest.yaml'), profile('v6.12'), null, false);
    checkEveryStep(s);
    for (let a = 0; a < s.steps; a++) expect(JSON.stringify(s.diff(a, a + 1))).toBe(JSON.stringify(s.replayed(a).diff(s.replayed(a + 1))));
    expect(JSON.stringify(s.diff(0, s.steps))).toBe(JSON.stringify(s.replayed(0).diff(s.replayed(s.steps))));
    expect(JSON.stringify(s.diff(s.steps, 1))).toBe(JSON.stringify(s.replayed(s.steps).diff(s.replayed(1))));
  });

  it('rebuilds every step where one step runs two operations on a machine the incremental checker watches', () => {
    // 24 MiB populated: more folios than the checker's auto threshold, so its incremental engine
    // reads (and empties) the journals; gup-fast meets no point, so it runs in MAP_DMA's step, and
    // the checker looks at the world between the two (Checker.opEnd) before the record does.
    const guest = largeGuestScenario(24, { moreSteps: '      - get_user_pages_fast: { start: $ram, nr_pages: 1, gup_flags: FOLL_WRITE }\n        as: g\n', values: 'map: 0, g: 1' });
    const s = new RunSession('t', load(guest, 'guest.yaml'), profile('v6.12'), null, false);
    expect(s.outcome.values.get('g')).toBe(1);
    checkEveryStep(s);
  });

  it('diffs between steps equal the diffs of straight replays', () => {
    const s = new RunSession('t', corpus('seed/longterm-locked-race.yaml'), profile('v5.6+hypo-longterm-honours-locked'), 'T0*16 T1*4 ...');
    for (const [a, b] of [[0, s.steps], [25, 26], [10, 20], [20, 10]] as const) {
      expect(JSON.stringify(s.diff(a, b))).toBe(JSON.stringify(s.replayed(a).diff(s.replayed(b))));
    }
  });
});
