/**
 * src/scenario/thread-footprint.ts: the scenario's progress and results as per-thread
 * footprint objects (`res.<i>`), and the diamond check (tests/soundness/diamond.ts) failing
 * when their reads or writes are not seen.
 *
 * T0 stores a page and loads it back as `s0`; T1 stores another page, loads it, and loads it
 * again `after: s0`. The load's step writes only `res.<i>` (the thread's progress and result): it
 * no longer writes `world`. T1's step that looks `s0` up reads `res.0`, so it and T0's load
 * are dependent; with that read silenced they look
 * independent, and swapping them makes T1 wait instead (a different state). With the
 * per-thread objects left out of the world but not tracked (their writes lost), the same
 * swap is not caught by the footprints and the check fails too.
 */
import { describe, expect, it } from 'vitest';
import type { ExploreRun, ExploreTarget } from '../../../src/explore/explore.js';
import { explore } from '../../../src/explore/explore.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { buildWorld, outcomeValues, scenarioTarget, worldFingerprint } from '../../../src/scenario/run.js';
import { AccessFootprints } from '../../../src/scenario/access-footprint.js';
import { threadObjects } from '../../../src/scenario/thread-footprint.js';
import { counterObjects } from '../../../src/scenario/counter-footprint.js';
import { extraObjects } from '../../../src/scenario/object-footprint.js';
import type { Value } from '../../../src/scenario/ast.js';
import { valueKey } from '../../../src/scenario/state.js';
import type { SchedOptions } from '../../../src/sched/index.js';
import { diamonds } from '../../soundness/diamond.js';

const TEXT = `question: does T1 see what T0 stored before it?
setup:
  processes:
    - name: P
      mappings:
        - { name: a, addr: 0x40000000, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
        - { name: b, addr: 0x40200000, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
threads:
  - process: P
    steps:
      - store: { addr: $a, content: one }
      - load: { addr: $a }
        as: s0
  - process: P
    steps:
      - store: { addr: $b, content: two }
      - load: { addr: $b }
        as: l0
      - load: { addr: $b }
        as: l1
        after: s0
expect:
  v6.1: { values: { s0: one, l0: two, l1: two } }
`;

function scenario(): Scenario {
  const p = parseScenario(TEXT, 't.yaml');
  if (!p.ok) throw new Error(JSON.stringify(p.errors));
  return p.scenario;
}

type Gap = 'none' | 'read' | 'write';

/** The scenario as AccessRun builds it, with one gap made on purpose. */
function target(s: Scenario, gap: Gap): ExploreTarget {
  return {
    invariants: [],
    footprints: true,
    observes: ['world'],
    start(opts: SchedOptions): ExploreRun {
      const w = buildWorld(s, s.expect[0].profile, opts);
      let fp: AccessFootprints | null = null;
      const read = (id: string): void => fp?.read(id);
      const extra = extraObjects([threadObjects(s, w.rs, read), counterObjects(w.m, read)]);
      // 'read': the results map reports nothing; 'write': the objects are not tracked (yet left out of the world).
      if (gap === 'read') (w.rs.results as unknown as { report: () => void }).report = (): void => {};
      fp = new AccessFootprints(w.sched, () => worldFingerprint(w), w.m, gap === 'write' ? null : extra);
      const f = fp;
      return {
        sched: w.sched,
        fingerprint: () => f.fingerprint(),
        footprint: () => f.next(),
        stepInput: () => f.stepInput(),
        check: () => [],
        outcome: () => {
          const values = outcomeValues(s, w);
          return { key: valueKey(values), values };
        },
      };
    },
  };
}

describe('per-thread scenario objects', () => {
  it('an operation that only stores its result writes res.<i>, not world; a lookup of it reads res.<i>', () => {
    const s = scenario();
    const fps: string[] = [];
    let run: ExploreRun | null = null;
    const t = scenarioTarget(s, s.expect[0].profile);
    run = t.start({ chooser: { pickThread: (e) => e[0], pickData: () => 0 }, afterStep: () => (fps.push(((run as ExploreRun).footprint?.() ?? ['null']).join(' ')), false) });
    run.footprint?.();
    run.sched.run();
    expect(fps.some((f) => f.includes('w:res.0') && !f.includes('w:world'))).toBe(true);
    expect(fps.some((f) => f.includes('w:res.1') && !f.includes('w:world'))).toBe(true);
    expect(fps.some((f) => f.includes('r:res.0'))).toBe(true);
  });

  it('the diamond check passes with the objects tracked and fails when their reads or writes are lost', () => {
    const s = scenario();
    const bad: Record<Gap, number> = { none: 0, read: 0, write: 0 };
    for (let seed = 1; seed <= 12; seed++) {
      for (const gap of ['none', 'read', 'write'] as const) bad[gap] += diamonds(target(s, gap), seed, gap).failures.length;
    }
    expect(bad.none).toBe(0);
    expect(bad.read).toBeGreaterThan(0);
    expect(bad.write).toBeGreaterThan(0);
  });

  it('DPOR finds the same outcomes as the full search', () => {
    const s = scenario();
    const t = scenarioTarget(s, s.expect[0].profile);
    const full = explore(scenarioTarget(s, s.expect[0].profile, 'merged', false));
    const r = explore(t);
    expect(r.reduction).toBe('dpor');
    expect(r.complete).toBe(true);
    const keys = (x: typeof r): string[] => x.outcomes.map((o) => valueKey(o.values as Readonly<Record<string, Value>>)).sort();
    expect(keys(r)).toEqual(keys(full));
    expect(r.schedules).toBeLessThanOrEqual(full.schedules);
  });
});
