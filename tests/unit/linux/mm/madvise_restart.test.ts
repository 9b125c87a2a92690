/**
 * madvise_cold_or_pageout_pte_range()'s need_resched() check every SWAP_CLUSTER_MAX (32)
 * iterations (PATCH(madvise-cold-resched-batch) b2f557a21bc8, v6.7; mm/madvise.ts walk_ptes): with
 * another thread alive, MADV_COLD / MADV_PAGEOUT of 64 present PTEs drop the PTE lock and offer a
 * scheduling point at the 32nd PTE and again 31 iterations later (the restarted iteration counts
 * as the first of the next batch); 6.6 (6.6.9) holds the PTE lock over the whole table; MADV_FREE
 * has no such check in any release.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../../src/scenario/parse.js';
import { runScenario } from '../../../../src/scenario/run.js';
import { profileOrThrow } from '../../../../src/profiles/index.js';
import type { Scenario } from '../../../../src/scenario/ast.js';

const LABEL = 'mm/madvise.c:madvise_cold_or_pageout_pte_range:restart:cond_resched';

function scenario(advice: string, pages: number): Scenario {
  const text = `question: does the walk of one page table stop every 32 PTEs?
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, addr: 0x40000000, length: ${pages} pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, populate: true }
threads:
  - name: app
    process: P
    steps:
      - madvise: { addr: $buf, length: ${pages} pages, advice: ${advice} }
        as: adv
  - name: other
    process: P
    steps:
      - observe: { refcount: { process: P, addr: $buf } }
        as: rc
        after: adv
expect:
  v6.12: { values: { adv: 0 } }
`;
  const r = parseScenario(text, 'restart.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

/** The restart points the madvise thread (T0) passed in the default run, by their locals. */
function restarts(advice: string, pages: number, profile: string): number {
  const out = runScenario(scenario(advice, pages), profileOrThrow(profile), { trace: true });
  expect(out.status).toBe('done');
  expect(out.values.get('adv')).toBe(0);
  return (out.trace ?? []).filter((e) => e.kind === 'point' && e.label === LABEL).length;
}

describe('the need_resched() restart of madvise_cold_or_pageout_pte_range', () => {
  it('6.12: PAGEOUT and COLD of 64 PTEs stop at the 32nd and the 63rd iteration', () => {
    expect(restarts('MADV_PAGEOUT', 64, 'v6.12')).toBe(2);
    expect(restarts('MADV_COLD', 64, 'v6.12')).toBe(2);
    expect(restarts('MADV_COLD', 63, 'v6.12')).toBe(2);
    expect(restarts('MADV_COLD', 62, 'v6.12')).toBe(1);
    expect(restarts('MADV_COLD', 31, 'v6.12')).toBe(0);
  });

  it('6.6, and 6.12 without the patch: no point inside the table', () => {
    expect(restarts('MADV_PAGEOUT', 64, 'v6.6')).toBe(0);
    expect(restarts('MADV_COLD', 64, 'v6.12-madvise-cold-resched-batch')).toBe(0);
  });

  it('MADV_FREE has no need_resched() check', () => {
    expect(restarts('MADV_FREE', 64, 'v6.12')).toBe(0);
  });
});
