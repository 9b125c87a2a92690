/** `pinlab serve` and `pinlab view <scenario>`: the local JSON API and web visualizer (src/serve/). */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { serve } from '../serve/server.js';
import type { Running } from '../serve/server.js';
import { ApiError } from '../serve/session.js';
import type { Io } from './io.js';
import { BadInput, EXIT_OK, intOption, loadOrThrow, pickProfile } from './io.js';

export interface ServeCmdOptions {
  readonly host?: string;
  readonly port?: string;
  readonly allowRemote?: boolean;
}

/** Resolves when the process gets SIGINT or SIGTERM (the default way to stop a server). */
function untilSignal(): Promise<void> {
  return new Promise((ok) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      ok();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function start(opts: ServeCmdOptions, files?: ReadonlyMap<string, string>): Promise<Running> {
  const port = intOption(opts.port, '--port') ?? 0;
  if (port > 65535) throw new BadInput(`--port: expected 0..65535, got ${port}`);
  try {
    return await serve({ host: opts.host ?? '127.0.0.1', port, allowRemote: opts.allowRemote === true, ...(files !== undefined ? { files } : {}) });
  } catch (e) {
    if (e instanceof ApiError) throw new BadInput(e.message);
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new BadInput(`cannot listen on ${opts.host ?? '127.0.0.1'}:${port}: ${(e as Error).message}`);
    throw e;
  }
}

export async function cmdServe(io: Io, opts: ServeCmdOptions, until: Promise<void> = untilSignal()): Promise<number> {
  const s = await start(opts);
  io.out(`pinlab serve: listening on ${s.url} (API: ${s.url}api/v1/, docs/serve-api.md); Ctrl-C stops it`);
  await until;
  await s.close();
  return EXIT_OK;
}

export interface ViewCmdOptions extends ServeCmdOptions {
  readonly profile?: string;
  readonly patch?: readonly string[];
  readonly schedule?: string;
  readonly step?: string;
  readonly open?: boolean;
}

/** The visualizer URL of one run: scenario, profile, schedule and step in the query string. */
export function viewUrl(base: string, scenario: string, profile: string, schedule: string | null, step: number | null): string {
  const q = new URLSearchParams({ scenario, profile });
  if (schedule !== null) q.set('schedule', schedule);
  if (step !== null) q.set('step', String(step));
  return `${base}?${q.toString()}`;
}

export async function cmdView(io: Io, file: string, opts: ViewCmdOptions, until: Promise<void> = untilSignal()): Promise<number> {
  const s = loadOrThrow(file);
  const profile = pickProfile(s, opts.profile, opts.patch ?? []);
  const step = intOption(opts.step, '--step') ?? null;
  const abs = resolve(file);
  const srv = await start(opts, new Map([[file, abs]]));
  const url = viewUrl(srv.url, file, profile.name, opts.schedule ?? null, step);
  io.out(url);
  if (opts.open === true) {
    const cmd = process.env.BROWSER ?? (process.platform === 'darwin' ? 'open' : 'xdg-open');
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', (e) => io.err(`pinlab view: could not start a browser with '${cmd}' (${e.message}); open the URL above by hand`));
    child.unref();
  }
  await until;
  await srv.close();
  return EXIT_OK;
}
