/**
 * CLI plumbing shared by the subcommands: output streams, exit codes, loading
 * scenario files (with positioned errors) and resolving `--profile` / `--patch`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
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

/** Read and validate one scenario file. */
export function loadScenario(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, errors: [`${path}:1:1: cannot read the file: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const r = parseScenario(text, path);
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
  const walk = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new BadInput(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const n of readdirSync(p).sort()) {
        const q = join(p, n);
        if (statSync(q).isDirectory()) walk(q);
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
  return Number(v);
}

export function jsonText(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
