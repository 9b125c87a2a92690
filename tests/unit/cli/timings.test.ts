/** `pinlab run --timings`: the wall time of set-up, each step and the end checks, then the process's CPU time (bench/cli.ts reads both). */
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { capture } from '../../support/capture-io.js';

describe('run --timings', () => {
  it('prints set-up, each step, the end checks and the CPU time in the forms bench/cli.ts parses', async () => {
    const io = capture();
    expect(await main(['run', '--timings', 'scenarios/seed/longterm-locked-race.yaml', '--profile', 'v5.6'], io)).toBe(0);
    const lines = io.stdout.split('\n');
    const at = lines.indexOf('timings (wall clock):');
    expect(at).toBeGreaterThan(0);
    const timed = lines.slice(at + 1).filter((l) => /^ {2}(.*\S)\s+(\d+\.\d+) s$/.test(l)).map((l) => l.trim().replace(/\s+\d+\.\d+ s$/, ''));
    expect(timed[0]).toBe('set-up');
    expect(timed[timed.length - 1]).toBe('end-of-run checks');
    expect(timed.length).toBeGreaterThan(2);
    expect(lines.some((l) => /^process CPU time \(user \+ system\): \d+\.\d+ s$/.test(l))).toBe(true);
  });
});
