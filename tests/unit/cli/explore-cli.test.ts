/** `pinlab explore` usability (issue 11 item 7): the bound in every verdict, outcomes, Ctrl-C. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { capture } from '../../support/capture-io.js';
import { independentScenario } from '../../../bench/independent.js';


const RACE = 'scenarios/concurrency/munmap-vs-map-dma.yaml';

describe('pinlab explore', () => {
  it('prints the bound with every verdict, and the reachable outcomes with a schedule each', async () => {
    const io = capture();
    expect(await main(['explore', RACE, '-p', 'v6.1'], io)).toBe(0);
    const verdicts = io.stdout.split('\n').filter((l) => /^ {2}[a-z-]+ +(never|sometimes|always)/.test(l));
    expect(verdicts.length).toBeGreaterThan(5);
    for (const l of verdicts) expect(l).toMatch(/ never \(complete\)$/);
    expect(io.stdout).toContain('outcomes (2):');
    expect(io.stdout).toMatch(/ {2}io0=null map=-EFAULT un=0\n {6}schedule: T0\*3 T1/);

    const b = capture();
    expect(await main(['explore', RACE, '-p', 'v6.1', '--max-schedules', '3'], b)).toBe(0);
    expect(b.stdout).toContain('dma-target-is-live                   never (bounded: 3 schedules)');

    const j = capture();
    expect(await main(['explore', RACE, '-p', 'v6.1', '--json'], j)).toBe(0);
    const parsed = JSON.parse(j.stdout) as { limits: unknown; outcomes: { values: Record<string, unknown>; schedule: string }[] };
    expect(parsed.limits).toEqual({ maxSchedules: 100000, preemptionBound: null });
    expect(parsed.outcomes.map((o) => o.values.map)).toEqual([0, -14]);
  });

  it('Ctrl-C (SIGINT) stops a search and prints what it found so far; exit 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pinlab-explore-'));
    const file = join(dir, 'independent-3.yaml');
    writeFileSync(file, independentScenario(3));
    const io = capture();
    // Delivered at the first return to the event loop, after the first slice of runs.
    setImmediate(() => process.emit('SIGINT', 'SIGINT'));
    expect(await main(['explore', file, '-p', 'v6.1', '--reduction', 'none'], io)).toBe(130);
    expect(io.stdout).toMatch(/: 256 schedules, \d+ states, bounded: interrupted after 256 schedules, reduction none\n/);
    expect(io.stdout).toContain('deadlock                             never (bounded: interrupted after 256 schedules)');
    expect(io.stdout).toContain('outcomes (1):');
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('Ctrl-C stops a random or PCT sampling search too, after its first slice of runs; exit 130', async () => {
    for (const strategy of ['random', 'pct']) {
      const io = capture();
      setImmediate(() => process.emit('SIGINT', 'SIGINT'));
      expect(await main(['explore', RACE, '-p', 'v6.1', '--strategy', strategy, '--max-schedules', '1000'], io)).toBe(130);
      expect(io.stdout).toMatch(/: 16 schedules, 0 states, bounded: 16 of 1000 sampled runs, interrupted, reduction none\n/);
      expect(io.stdout).toContain('dma-target-is-live                   never (bounded: 16 of 1000 sampled runs, interrupted)');
      expect(process.listenerCount('SIGINT')).toBe(0);
    }
    // Not interrupted: every run is done and the note says so.
    const all = capture();
    expect(await main(['explore', RACE, '-p', 'v6.1', '--strategy', 'random', '--max-schedules', '20'], all)).toBe(0);
    expect(all.stdout).toMatch(/: 20 schedules, 0 states, bounded: 20 sampled runs, reduction none\n/);
  });
});
