/**
 * A conformance case is also a scenario file a user can `pinlab check`: every result it
 * declares (values, warnings, invariant verdicts) must hold in the model on each profile it
 * names, as for the bundled corpus. The real-kernel run judges only the values; this keeps
 * the rest of a case true (a generator that drops a scenario's declared `always` shows here).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../../src/conformance/main.js';
import { repoRoot } from '../../../src/conformance/host.js';
import { judgeProfile } from '../../../src/scenario/judge.js';

const { cases } = loadCases([join(repoRoot(), 'conformance', 'cases')], null);
const AREAS = [...new Set(cases.map((c) => c.file.split('/').slice(-2, -1)[0]))].sort();

describe('conformance cases checked by the model (pinlab check conformance/cases)', () => {
  it('has cases in several areas', () => {
    expect(AREAS.length).toBeGreaterThan(10);
  });
  for (const area of AREAS) {
    it(`${area}: every declared result holds on every profile a case names`, () => {
      const bad: string[] = [];
      for (const c of cases.filter((x) => x.file.split('/').slice(-2, -1)[0] === area)) {
        for (const pe of c.scenario.expect) {
          const j = judgeProfile(c.scenario, pe);
          if (!j.match) bad.push(`${c.file} on ${pe.spec}: ${j.mismatches.join('; ')}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
