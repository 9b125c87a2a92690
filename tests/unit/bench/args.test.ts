/**
 * The benchmark runner's arguments (bench/run.ts): --help prints the usage and runs nothing (it
 * used to run every benchmark), an unknown option and a name no benchmark contains exit 2.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const bench = (...args: string[]): { status: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

describe('bench/run.ts arguments', () => {
  it('--help prints the usage and runs no benchmark', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.out).toContain('usage: npm run -s bench');
    expect(r.err).not.toContain('running ');
  });

  it('refuses an unknown option and a name no benchmark has', () => {
    const a = bench('--bogus');
    expect(a.status).toBe(2);
    expect(a.err).toContain('unknown option --bogus');
    const b = bench('no-such-benchmark-name');
    expect(b.status).toBe(2);
    expect(b.err).toContain('no benchmark name contains no-such-benchmark-name');
  });
});
