/** Scenario operations store / load, setup.memory.hugepages and device-DAX nodes (wave 2 / B). */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { runScenario } from '../../../src/scenario/run.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { translateScenario } from '../../../src/conformance/translate.js';

function load(text: string): Scenario {
  const r = parseScenario(text, 't.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

const STORE = `question: store and load through the fault path
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        - { name: ro, length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - load: { addr: $buf }
        as: l0
      - store: { addr: $buf, content: A }
        as: s1
      - load: { addr: $buf }
        as: l1
      - store: { addr: $ro, content: B }
        as: s2
      - load: { addr: $ro }
        as: l2
      - munmap: { addr: $buf, length: 2 pages }
      - load: { addr: $buf }
        as: l3
expect:
  v6.1: { values: { l1: A } }
`;

const HUGE = (pages: number): string => `question: hugetlb pool
setup:
  memory:
    zones: { DMA32: 16M, Normal: 64M, Movable: 64M }
    hugepages: ${pages}
    pmem:
      - { name: pm, size: 4M, mode: devdax }
  processes:
    - name: P
      mappings:
        - { name: buf, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB }
threads:
  - process: P
    steps:
      - store: { addr: $buf, content: H }
        as: st
      - observe: { zone: { process: P, addr: $buf } }
        as: z
      - open: { path: /dev/dax0.0 }
        as: dfd
expect:
  v6.12: { values: { st: 0 } }
`;

describe('store / load', () => {
  for (const profile of ['v6.1', 'v6.12']) {
    it(`${profile}: values come from the fault path (zero page, data, SIGSEGV as -EFAULT)`, () => {
      const o = runScenario(load(STORE), profileOrThrow(profile));
      expect(o.status).toBe('done');
      expect(Object.fromEntries(['l0', 's1', 'l1', 's2', 'l2', 'l3'].map((n) => [n, o.values.get(n)]))).toEqual({ l0: '', s1: 0, l1: 'A', s2: -14, l2: '', l3: -14 });
    });
  }
});

describe('setup.memory.hugepages and device-DAX nodes', () => {
  it('the pool is filled in ZONE_MOVABLE; /dev/dax0.0 exists for the first devdax region', () => {
    const o = runScenario(load(HUGE(16)), profileOrThrow('v6.12'));
    expect(o.status).toBe('done');
    expect(o.values.get('st')).toBe(0);
    expect(o.values.get('z')).toBe('Movable');
    expect(o.values.get('dfd')).toBeGreaterThanOrEqual(0);
  });

  it('without a pool the hugetlb mapping cannot be set up (reservation -ENOMEM)', () => {
    const o = runScenario(load(HUGE(0)), profileOrThrow('v6.1'));
    expect(o.status).toBe('setup-failed');
    expect(o.problem).toContain('-ENOMEM');
  });

  it('the translator accepts the guest pool size (16) and refuses any other', () => {
    expect(translateScenario(load(HUGE(16))).ok).toBe(true);
    const r = translateScenario(load(HUGE(8)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('hugepages');
  });
});
