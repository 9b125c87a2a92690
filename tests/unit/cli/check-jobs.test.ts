/**
 * `pinlab check --jobs n` (issue 15 item 4): the checks run in worker threads of the
 * compiled CLI (dist/, as bin/pinlab.js runs it) and the output is exactly the one of
 * the in-thread check, in the same order, whatever finishes first; a progress line is
 * drawn only on a terminal.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkJobs, checkProgress, workerCount } from '../../../src/cli/check-pool.js';
import type { LoadedCheck } from '../../../src/cli/check-pool.js';
import { loadOrThrow } from '../../../src/cli/io.js';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'pinlab.js');

function check(...args: string[]): string {
  return execFileSync(process.execPath, [bin, 'check', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

describe('check --jobs', () => {
  it('workers print what one thread prints (text and JSON)', () => {
    expect(existsSync(join(root, 'dist', 'cli', 'check-worker.js')), 'dist/ is built').toBe(true);
    const one = check('--jobs', '1', '-v', 'scenarios/seed');
    expect(one).toMatch(/checks, \d+ ok, 0 mismatches/);
    expect(check('--jobs', '3', '-v', 'scenarios/seed')).toBe(one);
    expect(check('--jobs', '2', '--no-explore', '--json', 'scenarios/seed', 'scenarios/io_uring')).toBe(check('--jobs', '1', '--no-explore', '--json', 'scenarios/seed', 'scenarios/io_uring'));
  });

  it('workers that parse the files report invalid files, profile filters and empty selections as one thread does', () => {
    // The workers parse the files (check-pool.ts judgeFilesInWorkers): errors in file order, exit codes alike.
    const dir = mkdtempSync(join(tmpdir(), 'pinlab-jobs-'));
    try {
      copyFileSync(join(root, 'scenarios/gup/pin-with-foll-get.yaml'), join(dir, 'b-pin.yaml'));
      copyFileSync(join(root, 'scenarios/seed/longterm-locked-race.yaml'), join(dir, 'd-race.yaml'));
      writeFileSync(join(dir, 'a-bad.yaml'), 'question: x\nthreads: [\n');
      writeFileSync(join(dir, 'c-bad.yaml'), 'foo: 1\n');
      const run = (...args: string[]): { out: string; err: string; status: number | null } => {
        const r = spawnSync(process.execPath, [bin, 'check', ...args], { cwd: root, encoding: 'utf8' });
        return { out: r.stdout, err: r.stderr, status: r.status };
      };
      for (const args of [[dir], [dir, '-p', 'v6.1'], [join(dir, 'b-pin.yaml'), join(dir, 'd-race.yaml'), '-p', 'v5.15'], [join(dir, 'b-pin.yaml'), join(dir, 'd-race.yaml'), '--no-explore', '--json']]) {
        const one = run('--jobs', '1', ...args);
        expect(run('--jobs', '2', ...args)).toEqual(one);
        expect(one.status).toBe(args.includes('--json') ? 0 : 2);
      }
      expect(run('--jobs', '2', dir).err.indexOf('a-bad.yaml')).toBeLessThan(run('--jobs', '2', dir).err.indexOf('c-bad.yaml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands out the explored (multi-thread) scenario files first, the most threads x profiles first; single-thread files last', () => {
    const files = ['scenarios/gup/pin-with-foll-get.yaml', 'scenarios/iommufd/seed-race-access-pin.yaml', 'scenarios/vfio/map-devdax.yaml', 'scenarios/seed/longterm-locked-race-pin.yaml'];
    const checks: LoadedCheck[] = [];
    for (const file of files) {
      const scenario = loadOrThrow(file);
      for (const pe of scenario.expect) checks.push({ index: checks.length, file, spec: pe.spec, noExplore: false, maxSchedules: null, scenario, pe });
    }
    const jobs = checkJobs(checks);
    // seed-race-access-pin: 4 threads x 4 profiles; longterm-locked-race-pin: 2 x 6; then the single-thread
    // files by profiles: map-devdax (9), pin-with-foll-get (8).
    expect(jobs.map((j) => j.file)).toEqual([files[1], files[3], files[2], files[0]]);
    // Every check once, each job's checks in check order.
    expect(jobs.flatMap((j) => j.checks.map((c) => c.index)).sort((a, b) => a - b)).toEqual(checks.map((c) => c.index));
    for (const j of jobs) expect(j.checks.map((c) => c.index)).toEqual([...j.checks.map((c) => c.index)].sort((a, b) => a - b));
    // Without exploration only the number of checks counts.
    const plain = checkJobs(checks.map((c) => ({ ...c, noExplore: true })));
    expect(plain.map((j) => j.checks.length)).toEqual([...plain.map((j) => j.checks.length)].sort((a, b) => b - a));
  });

  it('uses at most one worker per check and at least one', () => {
    expect(workerCount(1, 8)).toBe(1);
    expect(workerCount(10, 3)).toBe(3);
    expect(workerCount(0, undefined)).toBe(1);
  });

  it('draws progress on a terminal only, and clears it at the end', () => {
    let out = '';
    const tty = { isTTY: true, write: (s: string) => (out += s) };
    let t = 0;
    const p = checkProgress(tty, 7, () => t);
    expect(p).not.toBeNull();
    t = 2500;
    p?.(3, 'scenarios/seed/x.yaml (v6.1)');
    expect(out).toContain('check: 3/7 done, 2.5 s, running scenarios/seed/x.yaml (v6.1)');
    p?.(7, null, true);
    expect(out.endsWith('\r\u001b[2K')).toBe(true);
    expect(checkProgress({ isTTY: false, write: () => undefined }, 7, () => 0)).toBeNull();
  });
});
