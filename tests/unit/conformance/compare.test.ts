import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { checkDeclared, compareValues, errnoName, normalize, normalizeZone } from '../../../src/conformance/compare.js';
import type { RawValue } from '../../../src/conformance/guestlog.js';
import type { PlanItem } from '../../../src/conformance/translate.js';
import type { Expected } from '../../../src/scenario/ast.js';

const plan: PlanItem[] = [
  { name: 'buf', step: 0, kind: 'okerr' },
  { name: 'map', step: 1, kind: 'int' },
  { name: 'f0', step: 2, kind: 'frame' },
  { name: 'f1', step: 3, kind: 'frame' },
  { name: 'f2', step: 4, kind: 'frame' },
  { name: 'z', step: 5, kind: 'zone' },
  { name: 'seen', step: 6, kind: 'tag' },
];
const vals = (o: Record<string, RawValue>): Map<string, RawValue> => new Map(Object.entries(o));

describe('normalize', () => {
  it('names errnos, hides resources, renames frames by first appearance, merges kernel zones', () => {
    const n = normalize(plan, vals({ buf: 140000000000n, map: -22, f0: 77n, f1: 99n, f2: 77n, z: 'DMA32', seen: -14 }));
    expect(Object.fromEntries(n)).toEqual({ buf: 'ok', map: '-EINVAL', f0: 'F1', f1: 'F2', f2: 'F1', z: 'kernel', seen: '-EFAULT' });
    expect(normalizeZone('Normal')).toBe('kernel');
    expect(normalizeZone('Movable')).toBe('Movable');
    expect(errnoName(-95)).toBe('-EOPNOTSUPP');
    expect(errnoName(-4242)).toBe('-4242');
  });
  it("reads the model's zero-filled content ('') as the guest's `zero`, other tags unchanged", () => {
    const one: PlanItem[] = [{ name: 'seen', step: 0, kind: 'tag' }];
    expect(normalize(one, vals({ seen: '' })).get('seen')).toBe('zero');
    expect(normalize(one, vals({ seen: 'zero' })).get('seen')).toBe('zero');
    expect(normalize(one, vals({ seen: 'A' })).get('seen')).toBe('A');
  });
  it('marks values a side did not produce', () => {
    expect(normalize(plan.slice(0, 1), new Map()).get('buf')).toBe('(missing)');
  });
});

describe('compareValues', () => {
  it('matches machines with different pfns and kernel zone names', () => {
    const real = vals({ buf: 'ok', map: 0, f0: 0x50000n, f1: 0x3000n, f2: 0x3000n, z: 'DMA32', seen: 'A' });
    const model = vals({ buf: 0x10000n, map: 0, f0: 12, f1: 40, f2: 40, z: 'Normal', seen: 'A' });
    expect(compareValues(plan, real, model)).toEqual([]);
  });
  it('finds a different errno, a different frame pattern and a different zone', () => {
    const real = vals({ buf: 'ok', map: -12, f0: 5n, f1: 6n, f2: 5n, z: 'Movable', seen: 'A' });
    const model = vals({ buf: 1n, map: 0, f0: 5, f1: 5, f2: 5, z: 'Normal', seen: 'A' });
    expect(compareValues(plan, real, model)).toEqual([
      { name: 'map', real: '-ENOMEM', model: '0' },
      { name: 'f1', real: 'F2', model: 'F1' },
      { name: 'z', real: 'Movable', model: 'kernel' },
    ]);
  });
});

describe('checkDeclared', () => {
  const s = parseScenario(`
question: q
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - observe: { frame: { process: P, addr: $buf } }
        as: f0
      - io_uring_setup: {}
        as: ring
      - observe: { frame: { process: P, addr: $buf } }
        as: f1
      - observe: { zone: { process: P, addr: $buf } }
        as: z
      - load: { addr: $buf }
        as: seen
expect:
  v6.1:
    values: { ring: 3, f1: { ne: $f0 }, z: Normal, seen: A }
`, 't.yaml');
  if (!s.ok) throw new Error(JSON.stringify(s.errors));
  const decl = s.scenario.expect[0]?.values ?? new Map();
  const p: PlanItem[] = [
    { name: 'f0', step: 0, kind: 'frame' }, { name: 'ring', step: 1, kind: 'okerr' },
    { name: 'f1', step: 2, kind: 'frame' }, { name: 'z', step: 3, kind: 'zone' }, { name: 'seen', step: 4, kind: 'tag' },
  ];
  it('accepts real values that satisfy the declaration (fds as ok, kernel zones merged)', () => {
    expect(checkDeclared(decl, p, vals({ f0: 1n, ring: 'ok', f1: 2n, z: 'DMA32', seen: 'A' }))).toEqual([]);
  });
  it('reports each declared value the real kernel contradicts', () => {
    const d = checkDeclared(decl, p, vals({ f0: 1n, ring: -24, f1: 1n, z: 'Movable', seen: -14 }));
    expect(d.map((x) => x.name)).toEqual(['ring', 'f1', 'z', 'seen']);
    expect(d[0]).toEqual({ name: 'ring', real: '-EMFILE', model: 'declared 3' });
    expect(d[1]?.model).toBe('declared ne $f0');
  });
  it('takes a declared \'\' (the model\'s zero-filled page) as the guest\'s `zero`, and nothing else', () => {
        const zero = new Map<string, Expected>([['seen', { kind: 'lit', value: '', at: { line: 1, col: 1, offset: 0 } }]]);
    expect(checkDeclared(zero, p, vals({ seen: 'zero' }))).toEqual([]);
    expect(checkDeclared(zero, p, vals({ seen: 'A' })).map((x) => x.name)).toEqual(['seen']);
  });
});
