/**
 * Reachable outcomes (issue 11 item 3): the set a cached search reports equals the set a
 * search without cache (every run to its end) reaches, on corpus races; exists/forall
 * conditions parse with positions and are judged over the outcomes.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explore.js';
import type { ExploreResult } from '../../../src/explore/explore.js';
import { loadOrThrow } from '../../../src/cli/io.js';
import { parseScenario } from '../../../src/scenario/parse.js';
import { judgeProfile } from '../../../src/scenario/judge.js';
import { scenarioTarget } from '../../../src/scenario/run.js';
import { readFileSync } from 'node:fs';
import { OutcomeSet, noteOutcome } from '../../../src/explore/outcomes.js';
import type { RunValues } from '../../../src/explore/outcomes.js';
import type { ExploreRun } from '../../../src/explore/types.js';
import type { RunResult } from '../../../src/sched/index.js';
import { stuckSpec, target } from './targets.js';

function keys(r: ExploreResult): string[] {
  return r.outcomes.map((o) => JSON.stringify(o.values, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))).sort();
}

const RACES: [string, string][] = [
  ['scenarios/concurrency/munmap-vs-map-dma.yaml', 'v5.6'],
  ['scenarios/concurrency/munmap-vs-map-dma.yaml', 'v6.1'],
  ['scenarios/concurrency/dma-vs-unmap-dma.yaml', 'v6.1'],
  ['scenarios/concurrency/truncate-vs-shortterm-pin.yaml', 'v5.4'],
  ['scenarios/concurrency/truncate-vs-shortterm-pin.yaml', 'v6.1'],
];

describe('reachable outcomes under state caching', () => {
  for (const [file, spec] of RACES) {
    it(`${file} on ${spec}: the cached search finds exactly the outcomes of a search without cache`, () => {
      const s = loadOrThrow(file);
      const pe = s.expect.find((e) => e.spec === spec);
      if (pe === undefined) throw new Error(`${file} declares no ${spec}`);
      const cached = explore(scenarioTarget(s, pe.profile), { cache: 'positions' }); // the saving of the positions key (the history key saves nothing here: docs/explorer.md)
      const plain = explore(scenarioTarget(s, pe.profile), { noCache: true });
      expect(cached.complete && plain.complete).toBe(true);
      expect(plain.schedules).toBeGreaterThan(cached.schedules);
      expect(keys(cached)).toEqual(keys(plain));
      expect(cached.outcomeDisagreements).toBe(0);
      // A race: more than one outcome, each with a schedule that replays to it.
      expect(cached.outcomes.length).toBeGreaterThan(1);
      for (const o of cached.outcomes) expect(typeof o.schedule).toBe('string');
    });
  }
});

const MUNMAP = readFileSync('scenarios/concurrency/munmap-vs-map-dma-outcomes.yaml', 'utf8');

/** The munmap race with its v6.1 conditions replaced by `conds` (YAML lines at the expect entry's indentation). */
function withConditions(conds: string): string {
  const v61 = MUNMAP.indexOf('  v6.1:');
  const at = MUNMAP.indexOf('    exists:', v61);
  const end = MUNMAP.indexOf('\n', MUNMAP.indexOf('    forall:', v61)) + 1;
  return MUNMAP.slice(0, at) + conds + MUNMAP.slice(end);
}

describe('deadlocked runs', () => {
  it('have no outcome, whether a run ends there or is cut at a final state another run ended in by deadlock', () => {
    const cached = explore(target(stuckSpec()));
    const plain = explore(target(stuckSpec()), { noCache: true });
    expect(cached.complete && plain.complete).toBe(true);
    expect(cached.verdicts.deadlock).toBe('sometimes');
    expect(plain.schedules).toBeGreaterThan(cached.schedules);
    expect(keys(cached)).toEqual(keys(plain));
    expect(cached.outcomes.map((o) => o.values)).toEqual([{ a: 1, b: 1, c: 1, g: 1 }]);
  });
});

describe('exists / forall', () => {
  it('judges a reachable exists and a forall over every outcome', () => {
    const r = parseScenario(MUNMAP, 'munmap.yaml');
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    const pe = r.scenario.expect.find((e) => e.spec === 'v6.1');
    const j = judgeProfile(r.scenario, pe as NonNullable<typeof pe>);
    expect(j.mismatches).toEqual([]);
    expect(j.conditions.map((c) => [c.kind, c.found])).toEqual([['exists', 'holds'], ['forall', 'holds']]);
  });

  it('reports an unreachable exists and a violated forall with an outcome and its schedule', () => {
    const r = parseScenario(withConditions('    exists: { map: -EFAULT, io0: { ne: null } }\n    forall: { map: 0 }\n'), 'munmap.yaml');
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    const pe = r.scenario.expect.find((e) => e.spec === 'v6.1');
    const j = judgeProfile(r.scenario, pe as NonNullable<typeof pe>);
    expect(j.match).toBe(false);
    expect(j.mismatches.some((m) => m.startsWith('exists { map: -EFAULT, io0: ne null }: no reachable outcome satisfies it'))).toBe(true);
    expect(j.mismatches.some((m) => /^forall \{ map: 0 \}: a reachable outcome violates it: io0=null map=-EFAULT un=0 \(schedule: /.test(m))).toBe(true);
  });

  it('binds outcome variables and compares them', () => {
    // io0 equals itself through a variable; and map differs from the bound io0 value in every outcome.
    const r = parseScenario(withConditions('    exists: { io0: $f, map: { ne: $f } }\n    forall: [{ io0: $f, un: { ne: $f } }]\n'), 'munmap.yaml');
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    const pe = r.scenario.expect.find((e) => e.spec === 'v6.1');
    const j = judgeProfile(r.scenario, pe as NonNullable<typeof pe>);
    expect(j.conditions.map((c) => c.found)).toEqual(['holds', 'holds']);
    const bad = parseScenario(withConditions('    exists: { io0: $f, map: $f }\n'), 'munmap.yaml');
    if (!bad.ok) throw new Error(bad.errors.map((e) => e.message).join('\n'));
    const j2 = judgeProfile(bad.scenario, bad.scenario.expect.find((e) => e.spec === 'v6.1') as NonNullable<typeof pe>);
    expect(j2.conditions[0].found).toBe('fails');
  });

  it('positions parse errors file:line:col', () => {
    const text = withConditions("    exists: { 'map[x]': 1, un: { ne: $g } }\n    forall: []\n");
    const line = text.slice(0, text.indexOf('    exists:', text.indexOf('  v6.1:'))).split('\n').length;
    const r = parseScenario(text, 'munmap.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const msgs = r.errors.map((e) => `${e.at.line}:${e.at.col} ${e.message}`);
    expect(msgs).toContain(`${line}:15 expect.v6.1.exists: 'map[x]' is not a value path (name, name.field, optionally with indices: r.pages[0])`);
    expect(msgs).toContain(`${line + 1}:13 expect.v6.1.forall: expected at least one condition`);
    const r2 = parseScenario(withConditions('    exists: { un: { ne: $g } }\n'), 'munmap.yaml');
    expect(r2.ok).toBe(false);
    if (r2.ok) return;
    expect(r2.errors.map((e) => `${e.at.line}:${e.at.col} ${e.message}`)).toContain(`${line}:25 expect.v6.1.exists.un: $g is compared but never bound (bind it with '<path>: $g' in the same condition)`);
  });
});

describe('OutcomeSet', () => {
  const val = (key: string): RunValues => ({ key, values: { k: key } });

  it('keeps one outcome per key with the schedule of its first run, listed in key order', () => {
    const set = new OutcomeSet();
    let asked = 0;
    const sched = (s: string) => () => {
      asked++;
      return s;
    };
    set.add(-1, val('b'), sched('T1'));
    set.add(-1, val('a'), sched('T0'));
    set.add(-1, val('b'), sched('T2'));
    expect(asked).toBe(2);
    expect(set.size).toBe(2);
    expect(set.list()).toEqual([
      { values: { k: 'a' }, schedule: 'T0' },
      { values: { k: 'b' }, schedule: 'T1' },
    ]);
  });

  it('counts a final state seen with two different value tuples, not one seen twice with the same; node -1 is no state', () => {
    const set = new OutcomeSet();
    set.add(0, val('a'), () => 'x');
    set.add(0, val('a'), () => 'x');
    expect(set.disagreements).toBe(0);
    set.add(0, val('b'), () => 'y');
    expect(set.disagreements).toBe(1);
    set.add(0, val('b'), () => 'y');
    expect(set.disagreements).toBe(2);
    set.add(3, val('c'), () => 'z');
    set.add(3, val('c'), () => 'z');
    expect(set.disagreements).toBe(2);
    const none = new OutcomeSet();
    none.add(-1, val('a'), () => 'x');
    none.add(-1, val('b'), () => 'y');
    expect(none.disagreements).toBe(0);
    expect(none.size).toBe(2);
  });

  it('noteOutcome records nothing for a target without outcomes or a run without values', () => {
    const set = new OutcomeSet();
    const res = { choices: [] } as unknown as RunResult;
    noteOutcome(set, {} as ExploreRun, res, 0);
    noteOutcome(set, { outcome: () => null } as unknown as ExploreRun, res, 0);
    expect(set.size).toBe(0);
    noteOutcome(set, { outcome: () => val('a') } as unknown as ExploreRun, res, 1);
    expect(set.list()).toEqual([{ values: { k: 'a' }, schedule: expect.any(String) }]);
  });
});
