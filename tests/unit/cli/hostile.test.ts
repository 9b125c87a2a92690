/**
 * Hostile and malformed inputs (issue 16): each is fed to the CLI and must get a positioned
 * message or the documented exit code — never a stack trace, a hang or a silent "ok".
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { capture } from '../../support/capture-io.js';
import { MAX_SCENARIO_BYTES, firstInvalidUtf8, terminalSafe } from '../../../src/cli/io.js';
import { TRACE_SCHEMA_VERSION } from '../../../src/report/trace-json.js';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = capture();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'pinlab-hostile-'));
function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const MMAP = `question: does an anonymous mmap succeed?
setup:
  processes:
    - name: P
threads:
  - process: P
    steps:
      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: r
expect:
  v6.1: { values: { r: { gt: 0 } } }
`;
const good = file('good.yaml', MMAP);

describe('input files', () => {
  it('refuses a character device (/dev/zero) at once, with a message', async () => {
    const r = await cli('run', '/dev/zero');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/dev/zero:1:1: not a regular file (a character device)');
  });

  it('refuses a FIFO without opening it (no hang)', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await cli('run', fifo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a regular file (a FIFO)');
    const c = await cli('check', dir);
    expect(c.stderr).toContain('not a regular file (a FIFO)');
  });

  it('refuses a directory given to run', async () => {
    const r = await cli('run', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a regular file (a directory)');
  });

  it('caps the size of a scenario file', async () => {
    const big = file('big.yaml', Buffer.alloc(MAX_SCENARIO_BYTES + 10, 0x20));
    const r = await cli('run', big);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`limited to ${MAX_SCENARIO_BYTES} bytes`);
  });

  it('refuses NUL bytes and invalid UTF-8 with their position', async () => {
    const nul = file('nul.yaml', MMAP.replace('question: does', 'question: do\u0000es'));
    const r = await cli('run', nul);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nul.yaml:1:13: a NUL byte');
    const bad = file('utf.yaml', Buffer.concat([Buffer.from(MMAP.slice(0, 40)), Buffer.from([0xc3, 0x28]), Buffer.from(MMAP.slice(40))]));
    const u = await cli('run', bad);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/utf\.yaml:\d+:\d+: invalid UTF-8 \(byte 0xc3 at offset 40\)/);
  });

  it('firstInvalidUtf8: accepts UTF-8, finds overlong forms, surrogates and truncated sequences', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ü € 𝄞'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xe2, 0x82]))).toBe(1); // cut short
    expect(firstInvalidUtf8(Buffer.from([0xf5, 0x80, 0x80, 0x80]))).toBe(0); // above U+10FFFF
  });

  it('a check over a directory with a symlink loop terminates', async () => {
    const d = join(dir, 'loop');
    mkdirSync(d);
    writeFileSync(join(d, 'a.yaml'), MMAP);
    execFileSync('ln', ['-s', '..', join(d, 'up')]);
    const r = await cli('check', '--no-explore', d);
    expect(r.stdout).toMatch(/\d+ checks/);
  });
});

describe('exit codes', () => {
  it('zero checks is an error: an unknown profile, a profile no scenario declares, an empty folder', async () => {
    const unknown = await cli('check', '-p', 'v9.9', good);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown profile 'v9.9'");
    const undeclared = await cli('check', '-p', 'v5.4', good);
    expect(undeclared.code).toBe(2);
    expect(undeclared.stderr).toContain('no checks: no scenario under');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const e = await cli('check', empty);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('no checks: no scenario files');
    const j = await cli('check', '--json', empty);
    expect(j.code).toBe(2);
    expect((JSON.parse(j.stdout) as { errors: string[] }).errors[0]).toContain('no checks');
  });

  it('with invalid files the summary says so (never a clean "0 mismatches" alone)', async () => {
    const bad = file('typo.yaml', MMAP.replace('mmap:', 'mmapp:'));
    const r = await cli('check', '--no-explore', good, bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('1 checks, 1 ok, 0 mismatches, 1 invalid file');
  });

  it('a divergent schedule exits 2 from both run -s and replay', async () => {
    const run = await cli('run', good, '-s', 'T5');
    const replay = await cli('replay', good, '-s', 'T5');
    expect(run.code).toBe(2);
    expect(replay.code).toBe(2);
    expect(run.stderr).toContain('schedule diverged');
    expect(replay.stderr).toContain('schedule diverged');
  });

  it('--help documents exit 70; --version prints the version', async () => {
    const h = await cli('--help');
    expect(h.stdout).toMatch(/70 {2}internal error/);
    const v = await cli('--version');
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('diff exits 1 when an exploration found a violation', async () => {
    const race = 'scenarios/seed/longterm-locked-race.yaml';
    const r = await cli('diff', race, '--profiles', 'v5.6,v5.6+hypo-longterm-honours-locked');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('violations found on: v5.6+hypo-longterm-honours-locked');
    const clean = await cli('diff', good);
    expect(clean.code).toBe(0);
  });
});

describe('options', () => {
  it('--patch +X --patch -X is refused', async () => {
    const r = await cli('run', good, '--patch', '+hypo-longterm-honours-locked', '--patch', '-hypo-longterm-honours-locked');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('both added and removed');
    const twice = await cli('run', good, '-p', 'v6.1+hypo-longterm-honours-locked', '--patch', '+hypo-longterm-honours-locked');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('added twice');
  });

  it('--max-schedules 0 is refused (it would report every invariant never)', async () => {
    expect((await cli('explore', good, '--max-schedules', '0')).code).toBe(2);
    expect((await cli('check', good, '--max-schedules', '0')).code).toBe(2);
    const huge = await cli('explore', good, '--max-schedules', '99999999999999999999');
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('too large');
  });
});

describe('bounds', () => {
  it('step-bound names the bound and the option that raises it (run, replay, explore)', async () => {
    const r = await cli('run', good, '--max-steps', '1');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('step-bound — stopped by the step bound after 1 scheduling steps');
    expect(r.stdout).toContain('--max-steps N');
    expect((await cli('run', good, '--max-steps', '0')).code).toBe(2);
    const e = await cli('explore', good, '--max-steps', '1');
    expect(e.stdout).toContain('bounded: step bound');
    expect(e.stdout).toContain('raise it with --max-steps N');
    expect((await cli('run', good, '--max-steps', '1000')).code).toBe(0);
  });
});

describe('--json', () => {
  it('input errors of run/explore/replay/diff come as JSON with a version', async () => {
    for (const argv of [['run', '/nonexistent.yaml', '--json'], ['explore', good, '--json', '-p', 'v0'], ['replay', good, '--json', '-s', 'T0 (('], ['diff', '/nonexistent.yaml', '--json'], ['run', good, '--json', '--bogus']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      const j = JSON.parse(r.stdout) as { version: number; error: { kind: string; messages: string[] } };
      expect(j.version).toBe(TRACE_SCHEMA_VERSION);
      expect(j.error.kind).toBe('bad-input');
      expect(j.error.messages.length).toBeGreaterThan(0);
    }
  });

  it('every JSON document has a version key', async () => {
    for (const argv of [['profiles', '--json'], ['patches', '--json'], ['diff', good, '--json', '--no-explore'], ['run', good, '--json'], ['explore', good, '--json'], ['check', good, '--json', '--no-explore']]) {
      const r = await cli(...argv);
      expect((JSON.parse(r.stdout) as { version?: number }).version, argv.join(' ')).toBe(TRACE_SCHEMA_VERSION);
    }
  });
});

describe('terminal safety', () => {
  it('control and escape characters from input are never printed raw', async () => {
    const esc = file('esc.yaml', MMAP.replace('mmap:', 'mm\u001b[31map\u0007:'));
    const r = await cli('run', esc);
    expect(r.code).toBe(2);
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(r.stderr).toContain('\\u001b[31m');
    const name = await cli('run', join(dir, 'no\u001b]0;title\u0007such.yaml'));
    expect(name.stderr).not.toContain('\u001b');
    expect(terminalSafe('a\tb\nc\r\u009b\u202e')).toBe('a\tb\nc\\u000d\\u009b\\u202e');
  });
});
