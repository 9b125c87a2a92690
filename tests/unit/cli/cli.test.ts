/** The pinlab CLI: subcommands, --json shapes, and exit codes 0 / 1 / 2. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { TRACE_SCHEMA_VERSION } from '../../../src/report/trace-json.js';
import { RELEASE_TAGS } from '../../../src/profiles/index.js';
import { capture } from '../../support/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'pinlab-cli-'));
function scenario(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const REMOTE = `question: does get_user_pages_remote take FOLL_LONGTERM?
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - get_user_pages_remote: { mm: P, start: $buf, nr_pages: 2, gup_flags: FOLL_WRITE|FOLL_LONGTERM }
        as: r
      - put_pages: { pages: $r.pages }
expect:
  v5.4: { values: { r: -EINVAL }, warnings: [mm/gup.c:get_user_pages_remote] }
  v5.6: { values: { r: 2 } }
`;
const good = scenario('good.yaml', REMOTE);
const wrong = scenario('wrong.yaml', REMOTE.replace('v5.6: { values: { r: 2 } }', 'v5.6: { values: { r: 1 } }'));
const bad = scenario('bad.yaml', REMOTE.replace('get_user_pages_remote:', 'get_user_page_remote:'));

describe('pinlab CLI', () => {
  it('--help documents the exit codes', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toContain('Exit codes:');
    expect(io.stdout).toMatch(/2 {2}bad input/);
  });

  it('check: a matching scenario exits 0 and prints the matrix', async () => {
    const io = capture();
    expect(await main(['check', good], io)).toBe(0);
    expect(io.stdout).toMatch(/good\.yaml\s+ok\s+ok/);
    expect(io.stdout).toContain('2 checks, 2 ok, 0 mismatches');
  });

  it('check: a wrong declaration exits 1 and says what differs', async () => {
    const io = capture();
    expect(await main(['check', wrong], io)).toBe(1);
    expect(io.stdout).toContain('MISMATCH');
    expect(io.stdout).toContain('r: expected 1, got 2');
  });

  it('check: an invalid file exits 2 with file:line:col', async () => {
    const io = capture();
    expect(await main(['check', bad], io)).toBe(2);
    expect(io.stderr).toMatch(/bad\.yaml:10:9: unknown operation 'get_user_page_remote'; did you mean 'get_user_pages_remote'\?/);
  });

  it('check --json gives {results: [{scenario, profile, match}], mismatches}', async () => {
    const io = capture();
    expect(await main(['check', '--json', good, wrong], io)).toBe(1);
    const j = JSON.parse(io.stdout) as { results: { scenario: string; profile: string; match: boolean }[]; mismatches: number };
    expect(j.mismatches).toBe(1);
    expect(j.results.map((r) => [r.scenario.endsWith('good.yaml'), r.profile, r.match])).toEqual([
      [true, 'v5.4', true], [true, 'v5.6', true], [false, 'v5.4', true], [false, 'v5.6', false],
    ]);
  });

  it('run: values of one run; an unknown profile is bad input', async () => {
    const io = capture();
    expect(await main(['run', good, '--profile', 'v5.6'], io)).toBe(0);
    expect(io.stdout).toContain('r = 2');
    const io2 = capture();
    expect(await main(['run', good, '--profile', 'v5.13'], io2)).toBe(2);
    expect(io2.stderr).toContain("unknown profile 'v5.13'");
  });

  it('run --json is versioned and carries the trace', async () => {
    const io = capture();
    await main(['run', good, '-p', 'v5.6', '--json'], io);
    const j = JSON.parse(io.stdout) as { version: number; status: string; values: Record<string, unknown>; trace: unknown[] };
    expect(j.version).toBe(TRACE_SCHEMA_VERSION);
    expect(j.status).toBe('done');
    expect(j.values.r).toBe(2);
    expect(Array.isArray(j.trace)).toBe(true);
  });

  it('explore --json gives {scenario, profile, complete, schedules, verdicts, counterexample}', async () => {
    const io = capture();
    expect(await main(['explore', good, '-p', 'v5.6', '--json'], io)).toBe(0);
    const j = JSON.parse(io.stdout) as { scenario: string; profile: string; complete: boolean; schedules: number; verdicts: Record<string, string>; counterexample: unknown };
    expect(j.profile).toBe('v5.6');
    expect(j.complete).toBe(true);
    expect(j.schedules).toBeGreaterThan(0);
    expect(j.verdicts['no-longterm-pin-on-fsdax']).toBe('never');
    expect(j.counterexample).toBeNull();
  });

  it('replay: a bad schedule string is bad input', async () => {
    const io = capture();
    expect(await main(['replay', good, '-p', 'v5.6', '--schedule', 'T0 X'], io)).toBe(2);
    expect(io.stderr).toContain("bad token 'X'");
  });

  it('diff: shows which values differ across profiles', async () => {
    const io = capture();
    expect(await main(['diff', good, '--no-explore'], io)).toBe(0);
    expect(io.stdout).toMatch(/\* r\s+-EINVAL\s+2/);
  });

  it('profiles and patches list the registry', async () => {
    const io = capture();
    expect(await main(['profiles', '--json'], io)).toBe(0);
    const j = JSON.parse(io.stdout) as { releases: { release: string; patches: string[] }[] };
    expect(j.releases.map((r) => r.release)).toEqual(RELEASE_TAGS);
    expect(j.releases.map((r) => r.release)).toEqual(['v5.4', 'v5.5', 'v5.6', 'v5.7', 'v5.8', 'v5.9', 'v5.10', 'v5.11', 'v5.12', 'v5.15', 'v6.1', 'v6.2', 'v6.2+iommufd', 'v6.5', 'v6.5+iommufd', 'v6.6', 'v6.6+iommufd', 'v6.12', 'v6.12+iommufd', 'v6.18', 'v6.18+iommufd']);
    expect(j.releases.find((r) => r.release === 'v5.6')?.patches).toContain('gup-remote-longterm');
    const io2 = capture();
    expect(await main(['patches'], io2)).toBe(0);
    expect(io2.stdout).toContain('c4237f8b1f4f');
  });

  it('an unknown subcommand or option exits 2', async () => {
    expect(await main(['frobnicate'], capture())).toBe(2);
    expect(await main(['check', '--frob'], capture())).toBe(2);
  });
});
