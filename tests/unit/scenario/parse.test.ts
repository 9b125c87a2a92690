/**
 * The scenario validator: a good file parses; each kind of malformed file gives one
 * positioned `file:line:col: message`; no input makes it throw.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScenario } from '../../../src/scenario/parse.js';
import { renderError } from '../../../src/scenario/ast.js';

const GOOD = `format: 1
question: does a long-term pin of an fs-DAX page get refused?
refs:
  - 94db151dc892 "vfio: disable filesystem-dax page pinning"
setup:
  memory:
    pmem:
      - { name: pmem0, size: 2M, mode: fsdax }
  filesystems:
    - { mount: /mnt/dax, type: ext4, dax: true, device: pmem0 }
  files:
    - { path: /mnt/dax/f, size: 4 pages }
  processes:
    - name: P
      rlimits: { RLIMIT_MEMLOCK: 64K }
      mappings:
        - { name: buf, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, file: /mnt/dax/f }
threads:
  - process: P
    steps:
      - pin_user_pages: { start: $buf, nr_pages: 4, gup_flags: FOLL_WRITE|FOLL_LONGTERM }
        as: r
      - open: { path: /mnt/dax/f }
        as: fd
      - ftruncate: { fd: $fd, length: 0 }
        as: t
observe:
  lvm: { locked_vm: P }
expect:
  v5.4:
    values: { r: -EOPNOTSUPP, t: 0, lvm: 0 }
    invariants: { no-longterm-pin-on-fsdax: never }
  v6.12:
    values: { r: { oneof: [-EOPNOTSUPP, -EFAULT] } }
`;

function errorsOf(text: string): string[] {
  const r = parseScenario(text, 'x.yaml');
  if (r.ok) return [];
  return r.errors.map(renderError);
}

/** Replace the first occurrence of `from` in GOOD. */
function mutate(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`test bug: '${from}' not in GOOD`);
  return GOOD.replace(from, to);
}

describe('parseScenario: a well-formed scenario', () => {
  it('parses, resolves profiles and fills defaults', () => {
    const r = parseScenario(GOOD, 'x.yaml');
    expect(r.ok ? [] : r.errors.map(renderError)).toEqual([]);
    if (!r.ok) return;
    const s = r.scenario;
    expect(s.threads).toHaveLength(1);
    expect(s.threads[0].steps.map((x) => x.op)).toEqual(['pin_user_pages', 'open', 'ftruncate']);
    expect(s.threads[0].steps[0].args.start).toMatchObject({ kind: 'ref', name: 'buf' });
    expect(s.threads[0].steps[0].args.gup_flags).toMatchObject({ kind: 'flags', names: ['FOLL_WRITE', 'FOLL_LONGTERM'] });
    expect(s.threads[0].steps[0].args.pages).toMatchObject({ kind: 'bool', value: true });
    expect(s.setup.processes[0].rlimits.RLIMIT_MEMLOCK).toEqual({ cur: 65536n, max: 65536n });
    expect(s.setup.processes[0].mappings[0].length).toBe(16384n);
    expect(s.expect.map((e) => e.profile.name)).toEqual(['v5.4', 'v6.12']);
    expect(s.expect[0].values.get('r')).toMatchObject({ kind: 'lit', value: -95 });
    expect(s.expect[0].invariants.get('no-longterm-pin-on-fsdax')?.verdict).toBe('never');
    expect(s.refs[0]).toContain('94db151dc892');
  });

  it('reads integer expressions with sizes, hex and references', () => {
    const r = parseScenario(mutate('length: 0 }', 'length: $buf + 2 pages - 0x10 }'), 'x.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const len = r.scenario.threads[0].steps[2].args.length;
    expect(len.kind).toBe('sum');
    if (len.kind !== 'sum') return;
    expect(len.terms.map((t) => [t.sign, t.term.kind === 'int' ? t.term.value : t.term.kind])).toEqual([[1, 'ref'], [1, 8192n], [-1, 16n]]);
  });
});

/**
 * One malformed variant per kind of mistake, with the exact message expected.
 * Positions are 1-based line:column of the offending key or value.
 */
const MALFORMED: readonly { kind: string; text: string; error: string }[] = [
  { kind: 'YAML syntax error', text: mutate('question: does', 'question: [does'), error: 'x.yaml:3:1: YAML: Flow sequence in block collection must be sufficiently indented' },
  { kind: 'unknown top-level key', text: mutate('refs:', 'ref:'), error: "x.yaml:3:1: unknown key 'ref' in the scenario; expected one of: format, question, refs, tags, setup, threads, observe, expect, schedule, explore; did you mean 'refs'?" },
  { kind: 'missing required key', text: GOOD.replace(/^question:.*\n/m, ''), error: "x.yaml:1:1: the scenario: missing required key 'question'" },
  { kind: 'unknown key in a nested mapping', text: mutate('rlimits:', 'rlimit:'), error: "x.yaml:15:7: unknown key 'rlimit' in a process; expected one of: name, uid, caps, rlimits, comm, mappings; did you mean 'rlimits'?" },
  { kind: 'wrong type (list expected)', text: mutate('  files:\n    - { path: /mnt/dax/f, size: 4 pages }', '  files: /mnt/dax/f'), error: "x.yaml:11:10: setup.files: expected a list, found the string '/mnt/dax/f'" },
  { kind: 'wrong type (integer expected)', text: mutate('nr_pages: 4', 'nr_pages: four'), error: "x.yaml:21:50: pin_user_pages.nr_pages: cannot read 'four' as an integer expression" },
  { kind: 'wrong type (boolean expected)', text: mutate('dax: true', 'dax: yes'), error: "x.yaml:10:43: dax: expected true or false, found the string 'yes'" },
  { kind: 'unknown operation', text: mutate('pin_user_pages:', 'pin_user_page:'), error: "x.yaml:21:9: unknown operation 'pin_user_page'; did you mean 'pin_user_pages'?" },
  { kind: 'unknown argument of an operation', text: mutate('nr_pages: 4', 'npages: 4'), error: "x.yaml:21:40: unknown key 'npages' in pin_user_pages arguments" },
  { kind: 'missing argument of an operation', text: mutate('ftruncate: { fd: $fd, length: 0 }', 'ftruncate: { fd: $fd }'), error: "x.yaml:25:20: ftruncate arguments: missing required key 'length'" },
  { kind: 'unknown flag name', text: mutate('FOLL_WRITE|FOLL_LONGTERM', 'FOLL_WRITE|FOLL_LONGTEM'), error: "x.yaml:21:75: pin_user_pages.gup_flags: unknown flag 'FOLL_LONGTEM' (expected FOLL_* names); did you mean 'FOLL_LONGTERM'?" },
  { kind: 'unknown profile (release)', text: mutate('  v6.12:', '  v5.13:'), error: "x.yaml:33:3: unknown profile 'v5.13'" },
  { kind: 'unknown patch in a profile', text: mutate('  v6.12:', '  v5.6+no-such-patch:'), error: "x.yaml:33:3: unknown patch 'no-such-patch' in profile 'v5.6+no-such-patch'" },
  { kind: 'impossible profile (missing requirement)', text: mutate('  v6.12:', '  v5.4+hypo-longterm-honours-locked:'), error: "x.yaml:33:3: profile 'v5.4+hypo-longterm-honours-locked' is impossible: patch 'hypo-longterm-honours-locked' requires 'gup-remote-longterm'" },
  { kind: 'reference to an undefined process', text: mutate('  - process: P', '  - process: Q'), error: "x.yaml:19:14: process: 'Q' is not defined (expected a process" },
  { kind: 'reference to an undefined file', text: mutate('file: /mnt/dax/f }', 'file: /mnt/dax/g }'), error: "x.yaml:17:94: file: '/mnt/dax/g' is not declared in setup.files; did you mean '/mnt/dax/f'?" },
  { kind: 'reference to an undefined result', text: mutate('fd: $fd,', 'fd: $fdx,'), error: "x.yaml:25:26: ftruncate.fd: 'fdx' is not defined (expected a result or mapping or container" },
  { kind: 'expectation about an undefined result', text: mutate('t: 0,', 'tt: 0,'), error: "x.yaml:31:31: expect.v5.4.values: 'tt' is not defined (expected a result or observation" },
  { kind: 'unknown invariant', text: mutate('no-longterm-pin-on-fsdax: never', 'no-longterm-pin-on-dax: never'), error: "x.yaml:32:19: unknown key 'no-longterm-pin-on-dax' in expect.v5.4.invariants" },
  { kind: 'bad verdict', text: mutate('no-longterm-pin-on-fsdax: never', 'no-longterm-pin-on-fsdax: rarely'), error: "x.yaml:32:45: no-longterm-pin-on-fsdax: 'rarely' is not a verdict (never, sometimes, always)" },
  { kind: 'unknown errno', text: mutate('r: -EOPNOTSUPP,', 'r: -ENOTAERRNO,'), error: "x.yaml:31:18: expect.v5.4.values.r: unknown errno '-ENOTAERRNO'" },
  { kind: 'duplicate name', text: mutate('as: fd', 'as: r'), error: "x.yaml:23:9: 'r' is already defined as a result at line 21" },
  { kind: 'two operations in one step', text: mutate('      - open: { path: /mnt/dax/f }', '      - open: { path: /mnt/dax/f }\n        close: { fd: 3 }'), error: "x.yaml:24:9: a step has exactly one operation; found 'open' and 'close'" },
  { kind: 'kind mismatch (device where a value is expected)', text: mutate('fd: $fd,', 'fd: $P,'), error: "x.yaml:25:26: ftruncate.fd: 'P' is a process (line 14), but a result or mapping or container is expected here" },
  { kind: 'bad schedule string', text: GOOD + 'schedule: T0 X1\n', error: "x.yaml:35:14: schedule: bad token 'X1'" },
  { kind: 'schedule names a missing thread', text: GOOD + 'schedule: T0 T3\n', error: 'x.yaml:35:11: schedule: T3 does not exist (the scenario has 1 thread)' },
  { kind: 'duplicate YAML key', text: mutate('  v5.4:\n', '  v5.4:\n    warnings: []\n    warnings: []\n'), error: 'x.yaml:32:5: YAML: Map keys must be unique' },
  { kind: 'YAML alias', text: mutate('size: 4 pages }', 'size: &s 4 pages }\n    - { path: /mnt/dax/h, size: *s }'), error: 'x.yaml:13:33: YAML aliases (*name) are not supported' },
  { kind: 'unsupported format version', text: mutate('format: 1', 'format: 2'), error: 'x.yaml:1:9: format: version 2 is not supported (this pinlab reads format 1)' },
  { kind: 'thread without a process', text: mutate('  - process: P\n', '  - name: lonely\n'), error: "x.yaml:19:5: thread lonely: missing 'process:' (the process it runs as) or 'kthread: true'" },
];

describe('parseScenario: malformed scenarios give file:line:col messages', () => {
  it(`covers at least 15 kinds (has ${MALFORMED.length})`, () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(15);
  });
  for (const m of MALFORMED) {
    it(m.kind, () => {
      const errs = errorsOf(m.text);
      expect(errs.length, `no error for: ${m.kind}`).toBeGreaterThan(0);
      expect(errs.some((e) => e.startsWith(m.error)), `got:\n${errs.join('\n')}`).toBe(true);
      for (const e of errs) expect(e).toMatch(/^x\.yaml:\d+:\d+: \S/);
    });
  }
});

describe('parseScenario never throws', () => {
  it('on random mutations of a valid scenario', () => {
    const lines = GOOD.split('\n');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            line: fc.nat(lines.length - 1),
            col: fc.nat(60),
            del: fc.nat(6),
            ins: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('{', '}', '[', ']', ':', '- ', '$', '|', '&a', '*a', '\t', '"', "'", '0x', '99999999999999999999', '!!binary', '? ', '\n')),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (muts) => {
          const ls = lines.slice();
          for (const mu of muts) {
            const l = ls[mu.line] ?? '';
            const c = Math.min(mu.col, l.length);
            ls[mu.line] = l.slice(0, c) + mu.ins + l.slice(c + mu.del);
          }
          const r = parseScenario(ls.join('\n'), 'fuzz.yaml');
          if (!r.ok) {
            for (const e of r.errors) {
              expect(renderError(e)).toMatch(/^fuzz\.yaml:\d+:\d+: /);
              expect(e.message).not.toMatch(/internal error/);
            }
          }
        },
      ),
      { numRuns: 600, seed: 42 },
    );
  });

  it('on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseScenario(s, 'any.yaml');
        expect(r.ok).toBe(false);
        if (!r.ok) for (const e of r.errors) expect(e.message).not.toMatch(/internal error/);
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});
