/**
 * Issue 6 acceptance for the seed race (scenarios/seed/longterm-locked-race.yaml):
 * `sometimes` with a minimal, verified counterexample on the ablation profile, `never`
 * with a complete search on v5.6, and a replay that reproduces the run byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { runScenario, scenarioTarget } from '../../../src/scenario/run.js';
import { explore } from '../../../src/explore/explore.js';
import { runJson } from '../../../src/report/trace-json.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import type { Scenario } from '../../../src/scenario/ast.js';

const file = 'scenarios/seed/longterm-locked-race.yaml';
const text = readFileSync(join(import.meta.dirname, '..', '..', '..', file), 'utf8');

function load(): Scenario {
  const r = parseScenario(text, file);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.scenario;
}

function profile(spec: string) {
  const r = resolveProfile(spec);
  if (!r.ok) throw new Error(r.error.message);
  return r.profile;
}

describe('the seed race', () => {
  const s = load();

  it('is never violated on v5.6, by a complete search', () => {
    const r = explore(scenarioTarget(s, profile('v5.6')));
    expect(r.complete).toBe(true);
    expect(r.verdicts['no-longterm-pin-on-fsdax']).toBe('never');
    expect(r.verdicts['fs-progress']).toBe('never');
    expect(r.counterexample).toBeNull();
  });

  it('is sometimes violated on v5.6+hypo-longterm-honours-locked, with a verified minimal counterexample', () => {
    const r = explore(scenarioTarget(s, profile('v5.6+hypo-longterm-honours-locked')));
    expect(r.complete).toBe(true);
    expect(r.verdicts['no-longterm-pin-on-fsdax']).toBe('sometimes');
    expect(r.verdicts['fs-progress']).toBe('sometimes');
    const c = r.counterexamples['fs-progress'];
    expect(c).toBeDefined();
    expect(c.verified).toBe(true);
    expect(c.preemptions).toBeLessThanOrEqual(1);
    // The replayed counterexample ends with the truncate waiting forever on the pinned DAX page.
    const o = runScenario(s, profile('v5.6+hypo-longterm-honours-locked'), { schedule: c.schedule, trace: true });
    expect(o.status).toBe('deadlock');
    expect(o.violated).toContain('fs-progress');
    expect(o.violated).toContain('no-longterm-pin-on-fsdax');
    const fsp = o.violations.find((v) => v.kind === 'invariant' && v.invariant === 'fs-progress');
    expect(fsp?.kind === 'invariant' ? fsp.message : '').toMatch(/waits forever/);
  });

  it('replays a schedule byte for byte', () => {
    const r = explore(scenarioTarget(s, profile('v5.6+hypo-longterm-honours-locked')));
    const sch = r.counterexamples['no-longterm-pin-on-fsdax'].schedule;
    const a = JSON.stringify(runJson(runScenario(s, profile('v5.6+hypo-longterm-honours-locked'), { schedule: sch, trace: true })));
    const b = JSON.stringify(runJson(runScenario(s, profile('v5.6+hypo-longterm-honours-locked'), { schedule: sch, trace: true })));
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(1000);
  });
});
