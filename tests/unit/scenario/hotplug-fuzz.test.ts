/**
 * Fuzz of the memory-block operations (memory_block_store / _state / _zones / _of) with
 * fast-check: hostile block numbers (negative, absent, beyond 2^53, 2^64-1), unknown and
 * numeric state words, addresses of nothing, mixed with what makes an offline wait (GUP
 * references, pins, signals) in one or two threads, on every release profile. Properties:
 * no JavaScript exception; a rejected file has positioned messages; no run reaches the
 * step bound (a waiting offline is a deadlock, never a spin); replaying the schedule gives
 * the same trace.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseScenario } from '../../../src/scenario/parse.js';
import { renderError } from '../../../src/scenario/ast.js';
import { runScenario } from '../../../src/scenario/run.js';
import { RandomChooser } from '../../../src/explore/choosers.js';
import { profileOrThrow } from '../../../src/profiles/index.js';

const BLOCKS: readonly (number | string)[] = [0, 1, 32, 40, 41, 42, 100000, -1, -40, 2 ** 53, '0xffffffffffffffff', '$b', '$b + 1', '$a'];
const WORDS: readonly (string | number)[] = ['online', 'offline', 'online_kernel', 'online_movable', 'offline', 'offline', 7, -1];
const ADDRS: readonly (number | string)[] = ['$a', '$a + 4096', 0, 4096, -1, 2 ** 47, '0xffffffffffffffff'];

const stepArb = (t: number): fc.Arbitrary<Record<string, unknown>> => fc.oneof(
  { weight: 4, arbitrary: fc.record({ block: fc.constantFrom(...BLOCKS), state: fc.constantFrom(...WORDS) }).map((a) => ({ memory_block_store: a })) },
  { weight: 1, arbitrary: fc.constantFrom(...BLOCKS).map((block) => ({ memory_block_state: { block } })) },
  { weight: 1, arbitrary: fc.constantFrom(...BLOCKS).map((block) => ({ memory_block_zones: { block } })) },
  { weight: 2, arbitrary: fc.constantFrom(...ADDRS).map((addr) => ({ memory_block_of: { addr } })) },
  { weight: 1, arbitrary: fc.constant({ store: { addr: '$a', content: 'X' } }) },
  { weight: 2, arbitrary: fc.constantFrom('FOLL_WRITE', 'FOLL_WRITE|FOLL_LONGTERM').map((f) => ({ get_user_pages: { start: '$a', nr_pages: 1, gup_flags: f }, as: `g${t}` })) },
  { weight: 1, arbitrary: fc.constantFrom('FOLL_WRITE', 'FOLL_WRITE|FOLL_LONGTERM').map((f) => ({ pin_user_pages: { start: '$a', nr_pages: 1, gup_flags: f } })) },
  { weight: 1, arbitrary: fc.constantFrom('SIGINT', 'SIGKILL').map((signal) => ({ kill: { thread: `T${1 - t}`, signal } })) },
);

const caseArb = fc.record({
  profile: fc.constantFrom('v5.4', 'v5.6', 'v6.1', 'v6.12'),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  movable: fc.constantFrom('0', '128M', '384M'),
  threads: fc.array(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 2 }),
}).chain((c) => fc.tuple(...c.threads.map((steps, t) => fc.tuple(...steps.map(() => stepArb(t))))).map((threads) => {
  const doc = {
    question: 'fuzz',
    setup: {
      memory: { zones: { DMA32: '16M', Normal: '64M', Movable: c.movable } },
      processes: [{ name: 'P', mappings: [{ name: 'a', length: '1 page', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS', populate: true }] }],
    },
    threads: threads.map((steps, t) => ({
      name: `T${t}`,
      process: 'P',
      steps: t === 0 ? [{ memory_block_of: { addr: '$a' }, as: 'b' }, ...steps] : steps,
    })),
    expect: { [c.profile]: { values: {} } },
  };
  return { yaml: stringify(doc), profile: c.profile, seed: c.seed };
}));

describe('memory-block operations under fuzzing', () => {
  it('never throw, never spin to the step bound, replay byte for byte', () => {
    const stats = { rejected: 0, done: 0, deadlock: 0, unsupported: 0 };
    fc.assert(
      fc.property(caseArb, (c) => {
        const p = parseScenario(c.yaml, 'fuzz.yaml');
        if (!p.ok) {
          stats.rejected++;
          for (const e of p.errors) expect(renderError(e)).toMatch(/^fuzz\.yaml:\d+:\d+: /);
          return;
        }
        const profile = profileOrThrow(c.profile);
        const o = runScenario(p.scenario, profile, { chooser: new RandomChooser(c.seed), trace: true, maxSteps: 20_000 });
        expect(o.status, `${o.status}: ${o.problem ?? ''}\n${c.yaml}`).not.toBe('step-bound');
        expect(['done', 'deadlock', 'unsupported', 'setup-failed']).toContain(o.status);
        if (o.status === 'done' || o.status === 'deadlock' || o.status === 'unsupported') stats[o.status]++;
        if (process.env.H12E_TALLY && o.status === 'unsupported') console.log('UNSUP', o.problem);
        const again = runScenario(p.scenario, profile, { schedule: o.schedule, trace: true, maxSteps: 20_000 });
        expect(again.divergence).toBeNull();
        expect(JSON.stringify(again.trace)).toBe(JSON.stringify(o.trace));
      }),
      { numRuns: 300, seed: 12 },
    );
    console.log(`hotplug fuzz: 300 cases: ${stats.done} done, ${stats.deadlock} deadlock (an offline waiting forever, or a killed wait), ${stats.unsupported} unsupported, ${stats.rejected} rejected`);
    expect(stats.done).toBeGreaterThan(0);
    expect(stats.deadlock).toBeGreaterThan(0);
  });
});
