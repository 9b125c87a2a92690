/**
 * truncate_inode_pages_range (src/linux/mm/truncate.ts): a scheduling point per entry the
 * kernel's lookup returns, none for an index already gone. A DAX PMD entry is one
 * multi-index entry (find_lock_entries steps over it), removed whole at its first index, so
 * truncating a PMD-mapped fs-DAX file is one entry, not 512 (the 511 empty points made
 * truncate-vs-pin-in-dax-pmd cost 2,071 schedules on v5.6; issue 15's `npm start`).
 */
import { describe, expect, it } from 'vitest';
import { loadOrThrow } from '../../../../src/cli/io.js';
import { runScenario, scenarioTarget } from '../../../../src/scenario/run.js';
import { explore } from '../../../../src/explore/explore.js';

const FOLIO = 'mm/truncate.c:truncate_inode_pages_range:folio';

describe('truncate_inode_pages_range points', () => {
  const s = loadOrThrow('scenarios/concurrency/truncate-vs-pin-in-dax-pmd.yaml');
  const pe = s.expect[0];

  it('truncating a PMD-mapped fs-DAX file while another thread lives: no point for the 511 indices the PMD entry took with it', () => {
    // T0's store faults the whole PMD in (4 steps), then the truncate runs to its end while T0 still waits.
    const o = runScenario(s, pe.profile, { schedule: 'T0*4 T1*600 ...', trace: true });
    expect(o.status).toBe('done');
    expect(o.schedule).toBe('T0*4 T1*3');
    const truncatePoints = (o.trace ?? []).filter((e) => e.kind === 'point' && e.label === FOLIO).length;
    expect(truncatePoints).toBe(0);
    expect(o.values.get('t')).toBe(0);
    expect(o.values.get('size')).toBe(0);
  });

  it('the search of the scenario stays small: v5.6 is complete in 73 schedules with the history key it declares (25 with positions; was 2,071)', () => {
    const r = explore(scenarioTarget(s, pe.profile), { maxSchedules: 200, cache: 'history' });
    expect(s.explore.cache).toBe('history');
    expect(r.cache).toBe('history');
    expect(r.complete).toBe(true);
    expect(r.schedules).toBe(73);
    expect(Object.values(r.verdicts).every((v) => v === 'never')).toBe(true);
    expect(r.outcomes.length).toBe(4);
    const p = explore(scenarioTarget(s, pe.profile), { maxSchedules: 200, cache: 'positions' });
    expect(p.schedules).toBe(25);
    expect(p.outcomes.map((o) => o.values)).toEqual(r.outcomes.map((o) => o.values));
  });
});
