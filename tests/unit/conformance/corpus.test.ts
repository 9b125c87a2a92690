import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCode, loadCases, parseArgs, renderText, type Report } from '../../../src/conformance/main.js';
import { repoRoot } from '../../../src/conformance/host.js';
import { renderAll } from '../../../conformance/cases/generate.js';

const CASES = join(repoRoot(), 'conformance', 'cases');

describe('the conformance corpus', () => {
  const { cases, errors } = loadCases([CASES], null);
  it('parses without errors and has at least 80 cases that run on a real kernel', () => {
    expect(errors).toEqual([]);
    expect(cases.filter((c) => c.translation !== null).length).toBeGreaterThanOrEqual(80);
  });
  it('declares a result for both modern profiles in every case (and for v6.12+iommufd in the iommufd ones; others may add it)', () => {
    for (const c of cases) {
      const specs = c.scenario.expect.map((e) => e.spec).sort();
      const want = c.file.includes('/iommufd/') || specs.includes('v6.12+iommufd') ? ['v6.1', 'v6.12', 'v6.12+iommufd'] : ['v6.1', 'v6.12'];
      expect(specs, c.file).toEqual(want);
    }
  });
  it('has iommufd cases for the built kernel, all translatable', () => {
    const io = cases.filter((c) => c.file.includes('/iommufd/'));
    expect(io.length).toBeGreaterThanOrEqual(15);
    for (const c of io) expect(c.unsupported, c.file).toBeNull();
  });
  it('covers every backing with VFIO read/write, read-only and io_uring', () => {
    const names = new Set(cases.map((c) => c.translation?.caseName));
    for (const b of ['anon', 'anon-shared', 'anon-thp', 'anon-nothp', 'hugetlb', 'memfd', 'memfd-hugetlb', 'tmpfs', 'ext4-shared', 'ext4-private', 'fsdax-shared', 'fsdax-private', 'devdax']) {
      for (const p of ['vfio-map-rw-', 'vfio-map-ro-', 'uring-register-']) expect(names.has(`${p}${b}`), `${p}${b}`).toBe(true);
    }
  });
  it('is what generate.ts writes (run `npx tsx conformance/cases/generate.ts` after editing it)', () => {
    for (const [rel, text] of renderAll()) {
      const p = join(CASES, rel);
      expect(existsSync(p), rel).toBe(true);
      expect(readFileSync(p, 'utf8'), rel).toBe(text);
    }
    expect(renderAll().size).toBe(cases.length);
  });
});

describe('command line', () => {
  it('defaults to both Debian kernels, the built iommufd kernel and the bundled cases', () => {
    const o = parseArgs([]);
    if (typeof o === 'string') throw new Error(o);
    expect(o.kernels).toEqual(['6.1', '6.12', '6.12+iommufd']);
    expect(o.caseDirs).toEqual([CASES]);
    expect(o.json).toBe(false);
  });
  it('reads options and rejects bad ones', () => {
    const o = parseArgs(['--json', '--kernel', '6.12', '--only', 'dma', '--timeout', '90', '--no-install', '--from-log']);
    if (typeof o === 'string') throw new Error(o);
    expect([o.json, o.kernels, o.only?.source, o.timeoutSec, o.install, o.fromLog]).toEqual([true, ['6.12'], 'dma', 90, false, true]);
    expect(parseArgs(['--kernel', '5.4'])).toMatch(/6\.1, 6\.12 or 6\.12\+iommufd/);
    const io = parseArgs(['--kernel', '6.12+iommufd']);
    if (typeof io === 'string') throw new Error(io);
    expect(io.kernels).toEqual(['6.12+iommufd']);
    expect(parseArgs(['--bogus'])).toMatch(/unknown argument/);
  });
});

describe('report', () => {
  const base: Report = {
    kernels: [{ series: '6.12', release: 'r', package: 'p', version: 'v', profile: 'v6.12', seconds: 20, setup: {}, failure: null, log: 'l' }],
    cases: 2, mismatches: 0, unsupported: 1, setupFailures: 0,
    results: [
      { case: 'a', file: 'a.yaml', kernel: 'r', profile: 'v6.12', status: 'match', real: { map: '0' }, model: { map: '0' }, diffs: [], declared: [], reason: null },
      { case: 'b', file: 'b.yaml', kernel: 'r', profile: 'v6.12', status: 'unsupported', real: { map: '0' }, model: null, diffs: [], declared: [], reason: 'model: x' },
    ],
  };
  it('exits 0 when everything judged matches, 1 on a mismatch, 3 on set-up failures', () => {
    expect(exitCode(base)).toBe(0);
    expect(exitCode({ ...base, mismatches: 1 })).toBe(1);
    expect(exitCode({ ...base, setupFailures: 1 })).toBe(3);
    expect(exitCode({ ...base, kernels: [{ ...(base.kernels[0] as Report['kernels'][0]), failure: 'boot' }] })).toBe(3);
  });
  it('renders one line per case x kernel and the totals', () => {
    const t = renderText({ ...base, mismatches: 1, results: [...base.results, { ...(base.results[0] as Report['results'][0]), case: 'c', status: 'mismatch', diffs: [{ name: 'map', real: '-EFAULT', model: '0' }] }] });
    expect(t).toMatch(/a\s+r\s+MATCH\s+map=0/);
    expect(t).toContain('map: real -EFAULT, model 0');
    expect(t).toContain('2 cases x 1 kernels: 1 match, 1 mismatch, 1 unsupported, 0 set-up failures');
  });
});
