import { describe, expect, it } from 'vitest';
import { outcomeValues, runModel } from '../../../src/conformance/model.js';
import type { RunOutcome } from '../../../src/scenario/run.js';
import type { Value } from '../../../src/scenario/ast.js';
import { parseScenario } from '../../../src/scenario/parse.js';

function outcome(o: Partial<RunOutcome>): RunOutcome {
  return {
    scenario: 's', profile: 'v6.1', status: 'done', problem: null, values: new Map(), outputs: new Map(), violations: [],
    violated: [], reports: [], schedule: '', steps: 0, trace: null, divergence: null, ...o,
  } as RunOutcome;
}

describe('outcomeValues', () => {
  it('gives the values of a finished run, with output fields as name.field', () => {
    const values = new Map<string, Value>([['map', 0], ['un', 0], ['z', 'Normal']]);
    const outputs = new Map<string, Readonly<Record<string, Value>>>([['un', { size: 16384 }], ['map', {}]]);
    const r = outcomeValues(outcome({ values, outputs }));
    expect(r).toEqual({ status: 'ok', values: new Map<string, unknown>([['map', 0], ['un', 0], ['z', 'Normal'], ['un.size', 16384]]) });
  });
  it('never turns an unfinished run into values', () => {
    expect(outcomeValues(outcome({ status: 'unsupported', problem: 'x: not modelled' }))).toEqual({ status: 'unsupported', reason: 'model run unsupported: x: not modelled' });
    expect(outcomeValues(outcome({ status: 'setup-failed', problem: 'p' })).status).toBe('unsupported');
    expect(outcomeValues(outcome({ status: 'deadlock' })).status).toBe('unsupported');
  });
});

describe('runModel', () => {
  it('runs a scenario on a profile and never throws', () => {
    const s = parseScenario('question: q\nsetup:\n  processes:\n    - name: P\nthreads:\n  - process: P\n    steps:\n      - io_uring_setup: {}\n        as: ring\nexpect:\n  v6.1:\n    values: {}\n', 't.yaml');
    if (!s.ok) throw new Error('parse');
    const r = runModel(s.scenario, 'v6.1');
    expect(['ok', 'unsupported']).toContain(r.status);
    if (r.status === 'ok') expect(r.values.has('ring')).toBe(true);
    else expect(r.reason.length).toBeGreaterThan(0);
  });
});
