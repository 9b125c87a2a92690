/**
 * io_sqe_buffer_register() when the io_mapped_ubuf allocation fails after the pages were
 * pinned (registry: io-uring-reg-buf-unpin-on-error, e1c75831f682, v6.16; in 6.12.y from
 * 6.12.36). Debian 6.1.192 and 6.6.9 leave every pin in place (pin-balance-at-exit); 6.12.117
 * unpins them. Driven by fail-nth at that one failure point.
 */
import { describe, expect, it } from 'vitest';
import { failNthScenario } from '../../src/scenario/failnth.js';
import { loadScenario as load, profileOf as profile } from '../support/scenario-load.js';

const FILE = 'scenarios/io_uring/register-anon.yaml';
const SITE = 'io_uring/rsrc.c:io_sqe_buffer_register:kvmalloc';

/** The invariants violated by the fail-nth runs that fail the imu allocation, and the errno they got. */
function atImuAlloc(spec: string): { ret: unknown[]; violated: string[] } {
  const r = failNthScenario(load(FILE), profile(spec));
  expect(r.complete).toBe(true);
  const runs = r.runs.filter((x) => x.site.failpoint === SITE);
  expect(runs.length).toBeGreaterThan(0);
  return { ret: [...new Set(runs.map((x) => x.site.ret))], violated: [...new Set(runs.flatMap((x) => x.outcome.violated))].sort() };
}

describe('a failed io_mapped_ubuf allocation after the pin', () => {
  it.each(['v6.1', 'v6.6'])('%s: -ENOMEM and the pins leak (pin-balance-at-exit)', (p) => {
    expect(atImuAlloc(p)).toEqual({ ret: [-12], violated: ['pin-balance-at-exit'] });
  });

  it.each(['v6.12', 'v6.18'])('%s: -ENOMEM and the pages are unpinned', (p) => {
    expect(atImuAlloc(p)).toEqual({ ret: [-12], violated: [] });
  });

  it('v6.12 without e1c75831f682 leaks as 6.6 does', () => {
    expect(atImuAlloc('v6.12-io-uring-reg-buf-unpin-on-error')).toEqual({ ret: [-12], violated: ['pin-balance-at-exit'] });
  });
});
