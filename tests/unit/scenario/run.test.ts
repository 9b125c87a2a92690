/** The scenario runner: set-up, cross-thread waits, results and outputs, judge matchers. */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { runScenario } from '../../../src/scenario/run.js';
import { judgeScenario } from '../../../src/scenario/judge.js';
import { conformanceObstacle } from '../../../src/scenario/ast.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import type { Scenario } from '../../../src/scenario/ast.js';

function load(text: string): Scenario {
  const r = parseScenario(text, 't.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

const TWO = `question: cross-thread results
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - name: a
    process: P
    steps:
      - pin_user_pages: { start: $buf, nr_pages: 2, gup_flags: FOLL_WRITE }
        as: p
  - name: b
    process: P
    steps:
      - unpin_user_pages: { pages: $p.pages }
        as: u
observe:
  pins: { pincount: { process: P, addr: $buf } }
expect:
  v6.1: { values: { p: 2, u: 0, pins: 0, p.pages: { ne: [] } } }
`;

describe('runScenario', () => {
  it('a step waits for a result of another thread, on every schedule', () => {
    const s = load(TWO);
    const o = runScenario(s, profileOrThrow('v6.1'));
    expect(o.status).toBe('done');
    expect(o.values.get('p')).toBe(2);
    expect(o.values.get('u')).toBe(0);
    expect(o.values.get('pins')).toBe(0);
    // Thread b first: it must block until p exists, then run.
    const o2 = runScenario(s, profileOrThrow('v6.1'), { schedule: 'T1 ...' });
    expect(o2.status).toBe('done');
    expect(o2.values.get('u')).toBe(0);
    expect(judgeScenario(s).every((j) => j.match)).toBe(true);
  });

  it('reports a setup failure as such, not as a result', () => {
    const s = load(TWO.replace('prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS', 'prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, addr: 0x123'));
    const o = runScenario(s, profileOrThrow('v6.1'));
    expect(o.status).toBe('setup-failed');
    expect(o.problem).toMatch(/mmap of mapping 'buf' of P failed: -EINVAL/);
    const j = judgeScenario(s);
    expect(j[0].match).toBe(false);
  });

  it('a wrong expectation is a mismatch naming the value', () => {
    const s = load(TWO.replace('values: { p: 2,', 'values: { p: 3,'));
    const j = judgeScenario(s)[0];
    expect(j.match).toBe(false);
    expect(j.mismatches).toContain('p: expected 3, got 2');
  });

  it('says why a scenario cannot run on a real kernel', () => {
    expect(conformanceObstacle(load(TWO))).toBe('2 threads (a driver runs one)');
    const one = load(TWO.replace(/ {2}- name: b[\s\S]*?as: u\n/, '').replace(' u: 0,', ''));
    expect(conformanceObstacle(one)).toBe('step pin_user_pages is a kernel entry point (model only)');
  });
});
