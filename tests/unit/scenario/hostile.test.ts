/**
 * Hostile scenario contents (issue 16): documented-valid inputs that gave wrong results, and
 * run-time values that crashed. Each is parsed and run; the answer is the kernel's errno, a
 * positioned message, or an `unsupported` run naming the reason.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { runScenario } from '../../../src/scenario/run.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import type { Scenario } from '../../../src/scenario/ast.js';

function load(text: string): Scenario {
  const r = parseScenario(text, 't.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

function errors(text: string): string[] {
  const r = parseScenario(text, 't.yaml');
  return r.ok ? [] : r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`);
}

const head = `question: q?
setup:
  processes:
    - name: P
`;

function steps(body: string, expect = '  v6.1: { values: {} }'): string {
  return `${head}threads:
  - process: P
    steps:
${body}
expect:
${expect}
`;
}

describe('integer prot/flags in a set-up mapping', () => {
  it('are decoded into the same mapping as the names (no vanished mapping, no deadlock)', () => {
    const text = (prot: string, flags: string): string => `question: q?
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, length: 2 pages, prot: ${prot}, flags: ${flags} }
threads:
  - process: P
    steps:
      - store: { addr: $buf + 1 page, content: x }
        as: r
expect:
  v6.1: { values: { r: 0 } }
`;
    const p = profileOrThrow('v6.1');
    const byInt = runScenario(load(text('3', '0x22')), p);
    const byName = runScenario(load(text('PROT_READ|PROT_WRITE', 'MAP_PRIVATE|MAP_ANONYMOUS')), p);
    expect(byInt.status).toBe('done');
    expect(byInt.values.get('r')).toBe(0);
    expect(byName.values.get('r')).toBe(0);
    // PROT_READ only: the store faults (-EFAULT), as with the names.
    expect(runScenario(load(text('1', '0x22')), p).values.get('r')).toBe(-14);
  });

  it('bits no modelled name covers are a positioned error', () => {
    const e = errors(`${head}      mappings:
        - { name: buf, length: 1 page, prot: 3, flags: 0x62 }
threads:
  - process: P
    steps:
      - exit: {}
expect:
  v6.1: { values: {} }
`);
    expect(e.join('\n')).toMatch(/^6:\d+: flags: 0x62 has bits 0x40 that no modelled name covers/m);
  });
});

describe('u64 addresses and sizes', () => {
  const p = profileOrThrow('v6.1');
  it('mmap at or above 2^53 gets the kernel errno, not NaN', () => {
    const o = runScenario(load(steps(`      - mmap: { addr: "0x20000000000000", length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
        as: fixed
      - mmap: { addr: "0xfffffffffffff000", length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
        as: top
      - mmap: { length: "0xfffffffffffff000", prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: huge
      - mmap: { length: -4096, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: negative
      - mmap: { addr: "0x20000000000000", length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: hint
      - munmap: { addr: "0xfffffffffffff000", length: 2 pages }
        as: unmap`)), p);
    expect(o.status).toBe('done');
    // get_unmapped_area: MAP_FIXED beyond TASK_SIZE, len > TASK_SIZE → -ENOMEM; a hint beyond it is ignored.
    expect(o.values.get('fixed')).toBe(-12);
    expect(o.values.get('top')).toBe(-12);
    expect(o.values.get('huge')).toBe(-12);
    expect(o.values.get('negative')).toBe(-12);
    expect(o.values.get('hint')).toBeGreaterThan(0);
    expect(o.values.get('unmap')).toBe(-22);
  });

  it('pin_user_pages_fast whose range wraps at exactly 2^64 is the release\'s wrap answer', () => {
    const t = steps(`      - pin_user_pages_fast: { start: "0xfffffffffffff000", nr_pages: 1, gup_flags: FOLL_WRITE }
        as: g`);
    expect(runScenario(load(t), p).values.get('g')).toBe(0); // 6.1: check_add_overflow → 0
    expect(runScenario(load(t), profileOrThrow('v6.12')).values.get('g')).toBe(-75); // 6.12: -EOVERFLOW
  });

  it('a value a double cannot hold makes the run unsupported, naming the argument', () => {
    const o = runScenario(load(steps(`      - mmap: { addr: "0x20000000000001", length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
        as: r`)), p);
    expect(o.status).toBe('unsupported');
    expect(o.problem).toContain('addr = 0x20000000000001');
  });
});

describe('run-time values', () => {
  it('a reference holding null where an integer is needed stops the step with a message (no exception)', () => {
    const o = runScenario(load(`${head}threads:
  - process: P
    steps:
      - observe: { frame: { process: P, addr: 0x10000 } }
        as: f
      - mmap: { addr: $f, length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: r
observe:
  late: { frame: { process: P, addr: $f } }
expect:
  v6.1: { values: {} }
`), profileOrThrow('v6.1'));
    expect(o.status).toBe('unsupported');
    expect(o.problem).toContain('T0 step 2 (line 10) cannot run: addr: $f is null here');
    expect(o.values.get('late')).toBe(null);
  });
});

describe('positioned errors', () => {
  it('a step after exit', () => {
    const e = errors(steps(`      - exit: {}
      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: r`));
    expect(e).toEqual([expect.stringMatching(/^9:9: thread T0: this step comes after 'exit' \(line 8\)/)]);
  });

  it('an ordering matcher with a non-integer', () => {
    const e = errors(steps(`      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: r`, '  v6.1: { values: { r: { lt: "abc" } } }'));
    expect(e.join('\n')).toContain("lt compares integers; found the string 'abc'");
    expect(errors(steps(`      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: r`, '  v6.1: { values: { r: { gt: 0 } } }'))).toEqual([]);
  });
});

describe('memory layouts', () => {
  const layout = (zones: string, cma: string): string => `question: q?
setup:
  memory:
    zones: ${zones}
    cma: ${cma}
  processes:
    - name: P
threads:
  - process: P
    steps:
      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: r
expect:
  v6.1: { values: { r: { gt: 0 } } }
`;
  it('Movable-heavy layouts the kernel boots are modelled', () => {
    for (const z of ['{ DMA32: 0, Normal: 64M, Movable: 1G }', '{ DMA32: 64M, Normal: 0, Movable: 1G }']) {
      expect(runScenario(load(layout(z, '0')), profileOrThrow('v6.1')).status).toBe('done');
    }
    expect(runScenario(load(layout('{ DMA32: 0, Normal: 64M }', '32M')), profileOrThrow('v6.1')).status).toBe('done');
  });

  it('no DMA32 or Normal memory, or all of Normal CMA without DMA32, is refused at set-up with the kernel reason', () => {
    expect(errors(layout('{ DMA32: 0, Normal: 0, Movable: 64M }', '0')).join('\n')).toMatch(/^4:12: setup\.memory\.zones: no DMA32 or Normal memory; .*find_zone_movable_pfns_for_nodes/);
    expect(errors(layout('{ DMA32: 0, Normal: 64M }', '64M')).join('\n')).toMatch(/^5:10: cma: all of ZONE_NORMAL is CMA .*cma_declare_contiguous_nid/);
    expect(errors(layout('{ DMA32: 8G, Normal: 64M }', '0')).join('\n')).toContain('zones.DMA32: 8589934592 bytes do not fit below 4 GiB');
  });
});

describe('madvise advice', () => {
  // MADV_REMOVE punches a hole in a file: it needs a shared mapping (a private one is -EINVAL).
  it('every advice the format (and the JSON Schema) offers runs in the model; others are refused by name', async () => {
    const { MADV_NAMES } = await import('../../../src/scenario/ops.js');
    const { scenarioJsonSchema } = await import('../../../src/scenario/schema.js');
    for (const advice of MADV_NAMES) {
      const o = runScenario(load(`${head}      mappings:
        - { name: buf, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: ${advice === 'MADV_REMOVE' ? 'MAP_SHARED' : 'MAP_PRIVATE'}|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - madvise: { addr: $buf, length: 1 page, advice: ${advice} }
        as: r
expect:
  v6.1: { values: {} }
`), profileOrThrow('v6.1'));
      expect(o.status, advice).toBe('done');
      expect(o.values.get('r'), advice).toBe(0);
    }
    expect(errors(steps(`      - madvise: { addr: 0x10000, length: 1 page, advice: MADV_SEQUENTIAL }`)).join('\n')).toContain("unknown");
    const schema = scenarioJsonSchema();
    expect(schema).toContain('MADV_DONTFORK');
    expect(schema).not.toContain('MADV_SEQUENTIAL');
  });
});

describe('size bounds', () => {
  it('2,000 threads are refused at the first thread over the bound', async () => {
    const { MAX_THREADS } = await import('../../../src/scenario/parse.js');
    const thread = `  - process: P
    steps:
      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
`;
    const text = (n: number): string => `${head}threads:\n${thread.repeat(n)}expect:\n  v6.1: { values: {} }\n`;
    const e = errors(text(2000));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(new RegExp(`^${6 + 3 * MAX_THREADS}:5: threads: 2000 threads; a scenario has at most ${MAX_THREADS}`));
    expect(errors(text(MAX_THREADS))).toEqual([]);
  });
});
