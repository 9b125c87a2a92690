// Host-side helpers of the conformance harness: project paths and child processes.
// Everything here runs on the host (never inside the model); wall-clock time and
// process spawning are fine in this layer.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above src/conformance/). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Where work products go (git-ignored): images, initramfs, logs. */
export function workDir(): string {
  return join(repoRoot(), 'conformance', 'work');
}

export function guestDir(): string {
  return join(repoRoot(), 'conformance', 'guest');
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
}

/** Run a program (no shell) and capture its output. */
export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args as string[], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  return {
    status: r.status,
    stdout: typeof r.stdout === 'string' ? r.stdout : String(r.stdout ?? ''),
    stderr: typeof r.stderr === 'string' ? r.stderr : String(r.stderr ?? ''),
    signal: r.signal,
  };
}

/** Run a program; a non-zero exit is a harness error with the program's stderr. */
export function runOk(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new HarnessError(`${cmd} ${args.join(' ')} failed (status ${r.status}): ${r.stderr.trim().slice(-2000)}`);
  }
  return r.stdout;
}

/** Run a shell pipeline (bash -c). */
export function sh(script: string, opts: SpawnSyncOptions = {}): string {
  return runOk('bash', ['-c', `set -euo pipefail\n${script}`], opts);
}

export function which(prog: string): string | null {
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = join(d, prog);
    if (existsSync(p)) return p;
  }
  return null;
}

/** A failure of the harness itself (missing tool, build error). Never a kernel result. */
export class HarnessError extends Error {
  override name = 'HarnessError';
}
