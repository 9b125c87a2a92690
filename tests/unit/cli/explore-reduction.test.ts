/** `pinlab explore --reduction` (issue 11 item 4): DPOR is the default (every scenario reports footprints). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { capture } from '../../support/capture-io.js';
import { independentScenario } from '../../../bench/independent.js';

describe('pinlab explore --reduction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pinlab-reduction-'));
  const file = join(dir, 'independent-2.yaml');
  writeFileSync(file, independentScenario(2));

  it('a separable scenario explores with DPOR by default; none and sleep-sets on request; the JSON says which', async () => {
    const d = capture();
    expect(await main(['explore', file, '-p', 'v6.1', '--json'], d)).toBe(0);
    const dj = JSON.parse(d.stdout) as { reduction: string; schedules: number; complete: boolean };
    expect(dj).toMatchObject({ reduction: 'dpor', schedules: 1, complete: true });

    const n = capture();
    expect(await main(['explore', file, '-p', 'v6.1', '--json', '--reduction', 'none'], n)).toBe(0);
    const nj = JSON.parse(n.stdout) as { reduction: string; schedules: number; complete: boolean };
    expect(nj.reduction).toBe('none');
    expect(nj.schedules).toBeGreaterThan(1);

    const t = capture();
    expect(await main(['explore', file, '-p', 'v6.1', '--reduction', 'sleep-sets'], t)).toBe(0);
    expect(t.stdout).toMatch(/: \d+ schedules, \d+ states, complete, reduction sleep-sets\n/);
  });

  it('a corpus race (footprints of its accesses): DPOR by default, none on request; a bad value is a usage error', async () => {
    const io = capture();
    expect(await main(['explore', 'scenarios/concurrency/munmap-vs-map-dma.yaml', '-p', 'v6.1'], io)).toBe(0);
    expect(io.stdout).toMatch(/complete, reduction dpor\n/);
    const none = capture();
    expect(await main(['explore', 'scenarios/concurrency/munmap-vs-map-dma.yaml', '-p', 'v6.1', '--reduction', 'none'], none)).toBe(0);
    expect(none.stdout).toMatch(/complete, reduction none\n/);
    const bad = capture();
    expect(await main(['explore', file, '-p', 'v6.1', '--reduction', 'optimal'], bad)).toBe(2);
    expect(bad.stderr).toContain("--reduction: expected dpor, sleep-sets or none, got 'optimal'");
  });
});
