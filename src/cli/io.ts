/**
 * CLI plumbing shared by the subcommands: output streams, exit codes, loading
 * scenario files (with positioned errors) and resolving `--profile` / `--patch`.
 */
import { closeSync, fstatSync, openSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../profiles/index.js';
import { resolveProfile } from '../profiles/index.js';
import type { Scenario } from '../scenario/ast.js';
import { renderError } from '../scenario/ast.js';
import { parseScenario } from '../scenario/parse.js';

/** Exit codes (documented in `pinlab --help`). */
export const EXIT_OK = 0;
export const EXIT_MISMATCH = 1;
export const EXIT_BAD_INPUT = 2;
/** A JavaScript exception escaped a subcommand: always a pinlab bug (EX_SOFTWARE of sysexits.h). */
export const EXIT_INTERNAL = 70;

/** The largest scenario file pinlab reads (the bundled ones are a few KiB). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

/**
 * Text safe to print on a terminal: C0 controls (except tab and newline), DEL, C1 controls and the
 * Unicode bidirectional overrides become `\u00XX` escapes, so nothing read from an input (a file name,
 * a YAML string, an option) can move the cursor, recolour or reorder the terminal. Applied to every
 * line pinlab prints; in JSON output these characters only occur inside strings, where `\u00XX`
 * is the JSON escape of the same character.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
/** Ctrl-C stopped an exploration (128 + SIGINT); the partial results were printed. */
export const EXIT_INTERRUPTED = 130;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (progress display). */
  readonly tty: boolean;
  /** True when stderr is a terminal: explore shows its progress there (also with --json). */
  readonly stderrTty?: boolean;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  tty: process.stdout.isTTY === true,
  stderrTty: process.stderr.isTTY === true,
};

/** Raised inside a subcommand for bad input; main() prints it and exits 2. */
export class BadInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadInput';
  }
}

export type Loaded = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly errors: readonly string[] };

/**
 * The text of a scenario file, or a positioned message: only regular files (a FIFO, a device such
 * as /dev/zero or a directory is refused before it is opened), at most MAX_SCENARIO_BYTES, valid
 * UTF-8 without NUL bytes.
 */
export function readScenarioText(path: string): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string } {
  const fail = (why: string, line = 1, col = 1): { ok: false; error: string } => ({ ok: false, error: `${path}:${line}:${col}: ${why}` });
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) return fail(`not a regular file (${fileKind(st)}): a scenario is a YAML file`);
    // O_NONBLOCK: a file swapped for a FIFO after the stat must not block the open.
    const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const fst = fstatSync(fd);
      if (!fst.isFile()) return fail(`not a regular file (${fileKind(fst)}): a scenario is a YAML file`);
      if (fst.size > MAX_SCENARIO_BYTES) return fail(`the file is ${fst.size} bytes; scenario files are limited to ${MAX_SCENARIO_BYTES} bytes`);
      // allocUnsafe: only the bytes read are used (zero-filling the whole limit cost more than parsing).
      bytes = Buffer.allocUnsafe(MAX_SCENARIO_BYTES + 1);
      let n = 0;
      for (;;) {
        const got = readSync(fd, bytes, n, bytes.length - n, null);
        if (got === 0) break;
        n += got;
        if (n > MAX_SCENARIO_BYTES) return fail(`the file is larger than ${MAX_SCENARIO_BYTES} bytes, the limit for scenario files`);
      }
      bytes = bytes.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return fail(`cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const nul = bytes.indexOf(0);
  const bad = firstInvalidUtf8(bytes);
  const at = nul >= 0 && (bad < 0 || nul < bad) ? nul : bad;
  if (at >= 0) {
    const before = bytes.subarray(0, at).toString('utf8');
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    return fail(at === nul ? 'a NUL byte: scenario files are UTF-8 text' : `invalid UTF-8 (byte 0x${bytes[at].toString(16).padStart(2, '0')} at offset ${at}): scenario files are UTF-8 text`, line, col);
  }
  return { ok: true, text: bytes.toString('utf8') };
}

function fileKind(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let j = 1; j <= n; j++) {
      const d = b[i + j];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += n + 1;
  }
  return -1;
}

/** Read and validate one scenario file. */
export function loadScenario(path: string): Loaded {
  const read = readScenarioText(path);
  if (!read.ok) return { ok: false, errors: [read.error] };
  const r = parseScenario(read.text, path);
  return r.ok ? { ok: true, scenario: r.scenario } : { ok: false, errors: r.errors.map(renderError) };
}

export function loadOrThrow(path: string): Scenario {
  const l = loadScenario(path);
  if (!l.ok) throw new BadInput(l.errors.join('\n'));
  return l.scenario;
}

/** Scenario files under the given files or directories (`*.yaml`, sorted). */
export function scenarioFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  // Directories already walked (by real path): a symlink back up the tree is walked once.
  const seen = new Set<string>();
  const walk = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new BadInput(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const real = realpathSync(p);
      if (seen.has(real)) return;
      seen.add(real);
      for (const n of readdirSync(p).sort()) {
        const q = join(p, n);
        let isDir = false;
        try {
          isDir = statSync(q).isDirectory();
        } catch {
          // A dangling symlink: listed as a file, so loading it reports the problem.
        }
        if (isDir) walk(q);
        else if (n.endsWith('.yaml') || n.endsWith('.yml')) out.push(q);
      }
    } else out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

/** Resolve `--profile` (+ `--patch`), defaulting to the scenario's first declared profile. */
export function pickProfile(s: Scenario, spec: string | undefined, patches: readonly string[]): Profile {
  const name = spec ?? s.expect[0]?.spec;
  if (name === undefined) throw new BadInput(`${s.file}: no --profile given and the scenario declares none`);
  const r = resolveProfile(name, patches);
  if (!r.ok) throw new BadInput(r.error.message);
  return r.profile;
}

export function intOption(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new BadInput(`${name}: expected a non-negative integer, got '${v}'`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new BadInput(`${name}: ${v} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
  return n;
}

/** A positive integer option (a count of schedules, steps): 0 would do no work and report nothing. */
export function positiveIntOption(v: string | undefined, name: string): number | undefined {
  const n = intOption(v, name);
  if (n === 0) throw new BadInput(`${name}: must be at least 1 (0 would explore nothing and report every invariant 'never')`);
  return n;
}

export function jsonText(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
