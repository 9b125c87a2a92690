/** Report rendering: Miri-style violations with the replay command; versioned JSON. */
import { describe, expect, it } from 'vitest';
import { renderMatrix, renderViolation, replayCommand, shellQuote } from '../../../src/report/render-text.js';
import { TRACE_SCHEMA_VERSION, jsonValue } from '../../../src/report/trace-json.js';
import type { Violation } from '../../../src/check/violation.js';
import type { ThreadId } from '../../../src/sched/index.js';

describe('render-text', () => {
  it('quotes schedules for the shell', () => {
    expect(shellQuote('v5.6')).toBe('v5.6');
    expect(shellQuote("T0*3 T1 ...")).toBe("'T0*3 T1 ...'");
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
    expect(replayCommand('s.yaml', 'v5.6+hypo-longterm-honours-locked', 'T0 T1')).toBe("pinlab replay s.yaml --profile v5.6+hypo-longterm-honours-locked --schedule 'T0 T1'");
  });

  it('renders an invariant violation with history, why and replay', () => {
    const v: Violation = {
      kind: 'invariant', invariant: 'no-longterm-pin-on-fsdax', title: 'long-term pin on an fs-DAX page', why: '94db151dc892',
      message: 'pfn:9 (fs-DAX) is long-term pinned by T0', objects: ['pfn:9'], step: 4,
      history: [{ seq: 3, thread: 0 as ThreadId, threadName: 'T0 pinner', what: 'pin', objects: ['pfn:9'], fn: 'vaddr_get_pfn', detail: null }],
    };
    const t = renderViolation(v, 'x.yaml', 'v5.4', 'T0*3 T1');
    expect(t.split('\n')).toEqual([
      'error: invariant violated: long-term pin on an fs-DAX page [no-longterm-pin-on-fsdax]',
      '  --> x.yaml (profile v5.4)',
      '  = pfn:9 (fs-DAX) is long-term pinned by T0',
      '  = history:',
      '      #3 T0 pinner: pin pfn:9 in vaddr_get_pfn',
      '  = why: 94db151dc892',
      "  replay: pinlab replay x.yaml --profile v5.4 --schedule 'T0*3 T1'",
    ]);
  });

  it('renders a deadlock naming each thread and what it waits for', () => {
    const v: Violation = {
      kind: 'deadlock', history: [],
      threads: [{ thread: 1 as ThreadId, name: 'truncate', label: 'fs/dax.c:dax_layout_busy_page', reason: { kind: 'waitqueue', object: 'pfn:9', detail: 'page busy' }, mode: 'uninterruptible', held: [] }],
    };
    expect(renderViolation(v, 'x.yaml', 'v5.6', '')).toContain('T1 (truncate) waits at fs/dax.c:dax_layout_busy_page for waitqueue pfn:9 (page busy)');
  });

  it('prints a matrix with one column per profile', () => {
    const base = { hypothetical: false, status: 'done' as const, mismatches: [], values: [], verdicts: [], conditions: [], explore: null, counterexamples: [], outcome: null as never };
    const t = renderMatrix([
      { ...base, scenario: 'a.yaml', profile: 'v5.4', spec: 'v5.4', match: true },
      { ...base, scenario: 'a.yaml', profile: 'v5.6', spec: 'v5.6', match: false },
      { ...base, scenario: 'b.yaml', profile: 'v5.6', spec: 'v5.6', match: true },
    ]);
    expect(t).toMatch(/a\.yaml\s+ok\s+FAIL/);
    expect(t).toMatch(/b\.yaml\s+\.\s+ok/);
    expect(t).toContain('3 checks, 2 ok, 1 mismatch');
  });
});

describe('trace-json', () => {
  it('is versioned and bigint-safe', () => {
    expect(TRACE_SCHEMA_VERSION).toBe(2);
    // One rule: exact integers are numbers, larger ones decimal strings (no "4096n").
    expect(jsonValue(2n ** 64n - 1n)).toBe('18446744073709551615');
    expect(jsonValue(4096n)).toBe(4096);
    expect(jsonValue(-(2n ** 53n))).toBe('-9007199254740992');
    expect(jsonValue({ b: 1, a: [null, true] })).toEqual({ a: [null, true], b: 1 });
  });
});
