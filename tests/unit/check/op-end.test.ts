/**
 * The checker sees the world at every scenario operation's end, not only at step ends
 * (src/check/checker.ts `opEnd`). A thread that meets no scheduling point between two
 * operations runs both in one step: a long-term pin of a CMA page that the next
 * operation releases existed between them, and before the op-end check no verdict saw
 * it (no-longterm-pin-on-cma-or-movable was `never` on v5.6, where gup-fast pins the CMA
 * page in place).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { renderError } from '../../../src/scenario/ast.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { buildWorld, runScenario, scenarioTarget } from '../../../src/scenario/run.js';
import { explore } from '../../../src/explore/explore.js';
import { DefaultChooser } from '../../../src/sched/index.js';

const ID = 'no-longterm-pin-on-cma-or-movable';

/** One process with a CMA-backed page; T0 pins it long-term by gup-fast and drops the pin in its next operation. */
function scenario(other: string, profiles: readonly string[]): Scenario {
  const text = `question: a long-term pin of a CMA page held for one operation
setup:
  memory:
    zones: { DMA32: 16M, Normal: 8M }
    cma: 8M
  processes:
    - name: P
      mappings:
        - { name: buf, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        - { name: other, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - get_user_pages: { start: $buf, nr_pages: 1, gup_flags: FOLL_WRITE }
        as: fault
      - put_pages: { pages: $fault.pages }
      - get_user_pages_fast: { start: $buf, nr_pages: 1, gup_flags: FOLL_WRITE|FOLL_LONGTERM }
        as: r
      - put_pages: { pages: $r.pages }
        as: done
${other}expect:
${profiles.map((p) => `  ${p}: {}`).join('\n')}
`;
  const p = parseScenario(text, 'op-end.yaml');
  if (!p.ok) throw new Error(p.errors.map(renderError).join('\n'));
  return p.scenario;
}

const lone = scenario('', ['v5.6', 'v6.1']);
/** A second thread that waits for T0's last result, then faults its own page in. */
const waiter = scenario(
  `  - process: P
    steps:
      - store: { addr: $other, content: B }
        after: done
`,
  ['v5.6', 'v6.1'],
);

function profile(s: Scenario, spec: string) {
  const pe = s.expect.find((e) => e.spec === spec);
  if (pe === undefined) throw new Error(`no ${spec}`);
  return pe.profile;
}

describe('the checker at operation ends', () => {
  it('a lone thread: the pin held between two operations of one step is a violation of that run (v5.6), none where the pin migrates first (v6.1)', () => {
    const r = runScenario(lone, profile(lone, 'v5.6'));
    expect(r.status).toBe('done');
    expect(r.violated).toContain(ID);
    const v = r.violations.find((x) => x.kind === 'invariant' && x.invariant === ID);
    expect(v !== undefined && v.kind === 'invariant' ? v.message : '').toMatch(/long-term pinned by T0 result 'r'/);
    const ok = runScenario(lone, profile(lone, 'v6.1'));
    expect(ok.status).toBe('done');
    expect(ok.violated).not.toContain(ID);
  });

  it('the explorer judges it: always on v5.6, never on v6.1, alone and beside a second thread', () => {
    for (const s of [lone, waiter]) {
      const bad = explore(scenarioTarget(s, profile(s, 'v5.6')));
      expect(bad.complete).toBe(true);
      expect(bad.verdicts[ID]).toBe('always');
      const good = explore(scenarioTarget(s, profile(s, 'v6.1')));
      expect(good.complete).toBe(true);
      expect(good.verdicts[ID]).toBe('never');
    }
  });

  it('a finding at an operation end belongs to its step: a later step that nobody checked in between does not report it', () => {
    const w = buildWorld(waiter, profile(waiter, 'v5.6'), { chooser: new DefaultChooser() });
    const r = w.sched.run();
    expect(r.status).toBe('done');
    // T1's store ran in a step after T0's: T0's op-end finding was never asked for in its own step.
    expect(r.steps).toBeGreaterThan(1);
    expect(w.checker.check()).not.toContain(ID);
  });

  it('the same finding is reported by the step it happened in when the step is checked', () => {
    let seen: readonly string[] = [];
    let w: ReturnType<typeof buildWorld> | null = null;
    w = buildWorld(lone, profile(lone, 'v5.6'), {
      chooser: new DefaultChooser(),
      afterStep: () => {
        if (w !== null) seen = [...seen, ...w.checker.check()];
        return false;
      },
      afterStepAllowsMerge: true,
    });
    expect(w.sched.run().status).toBe('done');
    expect(seen).toContain(ID);
    // Asked for once: the step's own check took it.
    expect(w.checker.check()).not.toContain(ID);
  });
});
