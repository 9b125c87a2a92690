/**
 * `pinlab serve`: a local HTTP server with a versioned JSON API over the library
 * (scenario, explore, report layers) and the web visualizer's static files.
 * node:http only. Documented in docs/serve-api.md; the state JSON is
 * schema/state.schema.json.
 *
 * Safety: it binds 127.0.0.1 by default and refuses a non-loopback address unless
 * `allowRemote` is set (there is no authentication); request bodies are bounded;
 * every error is a JSON object `{error, details}` with a 4xx/5xx status.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIP } from 'node:net';
import { explore } from '../explore/explore.js';
import type { ExploreOptions } from '../explore/explore.js';
import { RELEASE_TAGS, resolveProfile } from '../profiles/index.js';
import type { Profile } from '../profiles/index.js';
import type { Scenario } from '../scenario/ast.js';
import { renderError } from '../scenario/ast.js';
import { parseScenario } from '../scenario/parse.js';
import { scenarioTarget } from '../scenario/run.js';
import type { FrameFilter } from '../report/state-types.js';
import { API_VERSION, STATE_SCHEMA_VERSION } from '../report/state-types.js';
import { exploreJson } from '../report/trace-json.js';
import { ApiError, CallSession, RunSession } from './session.js';

/** The package root (…/dist/serve/server.js or …/src/serve/server.ts → …). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServeOptions {
  readonly host?: string;
  /** 0 = a free port. */
  readonly port?: number;
  /** Allow a non-loopback bind address. */
  readonly allowRemote?: boolean;
  /** Scenario corpus root (default: the package's scenarios/). */
  readonly corpus?: string;
  /** The web visualizer's built files (default: the package's web/dist/). */
  readonly webRoot?: string;
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly maxBody?: number;
  /** Sessions kept (oldest dropped first; default 64). */
  readonly maxSessions?: number;
  /** Scenario files outside the corpus the API may load, by the name clients use (`pinlab view`). */
  readonly files?: ReadonlyMap<string, string>;
}

export interface Running {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** True for loopback addresses and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.map': 'application/json',
};

/** Start the server; resolves once it listens. */
export async function serve(opts: ServeOptions = {}): Promise<Running> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && opts.allowRemote !== true) {
    throw new ApiError(400, `refusing to listen on ${host}: not a loopback address and the API has no authentication (pass --allow-remote to do it anyway)`);
  }
  const api = new Api({
    corpus: opts.corpus ?? join(PACKAGE_ROOT, 'scenarios'),
    maxSessions: opts.maxSessions ?? 64,
    files: opts.files ?? new Map(),
  });
  const webRoot = opts.webRoot ?? join(PACKAGE_ROOT, 'web', 'dist');
  const maxBody = opts.maxBody ?? 1024 * 1024;
  const server = createServer((req, res) => {
    handle(api, webRoot, maxBody, req, res).catch((e: unknown) => {
      sendError(res, e);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port ?? 0;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server, port, url: `http://${shown}:${port}/`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (e instanceof ApiError) sendJson(res, e.status, { error: e.message, details: e.details });
  else sendJson(res, 500, { error: `internal error (a pinlab bug): ${e instanceof Error ? e.message : String(e)}`, details: e instanceof Error && e.stack !== undefined ? e.stack.split('\n').slice(1, 6) : [] });
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const len = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(len) && len > max) throw new ApiError(413, `request body of ${len} bytes is over the limit of ${max}`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    const b = c as Buffer;
    n += b.length;
    if (n > max) throw new ApiError(413, `request body over the limit of ${max} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function jsonBody(req: IncomingMessage, max: number): Promise<Record<string, unknown>> {
  const text = await readBody(req, max);
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `request body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'request body must be a JSON object');
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, k: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ApiError(400, `'${k}' must be a string`);
  return v;
}

function intParam(v: string | null | undefined, name: string, dflt?: number): number {
  if (v === null || v === undefined || v === '') {
    if (dflt !== undefined) return dflt;
    throw new ApiError(400, `missing parameter '${name}'`);
  }
  if (!/^\d+$/.test(v)) throw new ApiError(400, `'${name}' must be a non-negative integer, got '${v}'`);
  return Number(v);
}

async function handle(api: Api, webRoot: string, maxBody: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (!path.startsWith('/api/')) {
    if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, `${method} ${path}: only GET serves files`);
    serveStatic(webRoot, path, res);
    return;
  }
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[1] !== API_VERSION) throw new ApiError(404, `unknown API version '${parts[1] ?? ''}' (this server speaks ${API_VERSION})`);
  const r = parts.slice(2);
  const route = `${method} ${r.map((p, i) => (i % 2 === 1 && (r[0] === 'runs' || r[0] === 'sessions') ? ':id' : p)).join('/')}`;
  switch (route) {
    case 'GET ':
      return sendJson(res, 200, { api: API_VERSION, stateSchema: STATE_SCHEMA_VERSION, docs: 'docs/serve-api.md' });
    case 'GET profiles':
      return sendJson(res, 200, { profiles: RELEASE_TAGS });
    case 'GET corpus':
      return sendJson(res, 200, { scenarios: api.corpusList() });
    case 'GET corpus/file': {
      const p = url.searchParams.get('path') ?? '';
      return sendJson(res, 200, { path: p, text: api.corpusText(p) });
    }
    case 'POST scenarios/validate': {
      const b = await jsonBody(req, maxBody);
      const l = api.load(b);
      return sendJson(res, 200, { ok: true, file: l.scenario.file, threads: l.scenario.threads.map((t) => t.name), profiles: l.scenario.expect.map((e) => e.spec) });
    }
    case 'POST runs': {
      const b = await jsonBody(req, maxBody);
      const s = api.newRun(b);
      return sendJson(res, 201, s.summary());
    }
    case 'GET runs/:id':
      return sendJson(res, 200, api.run(r[1]).summary());
    case 'GET runs/:id/state': {
      const s = api.run(r[1]);
      const step = intParam(url.searchParams.get('step'), 'step', s.steps);
      const filter = (url.searchParams.get('frames') ?? 'held') as FrameFilter;
      if (!['all', 'held', 'mapped', 'fsdax'].includes(filter)) throw new ApiError(400, `frames: expected all, held, mapped or fsdax, got '${filter}'`);
      return sendJson(res, 200, s.at(step).state(filter, intParam(url.searchParams.get('offset'), 'offset', 0), intParam(url.searchParams.get('limit'), 'limit', 200)));
    }
    case 'GET runs/:id/frame': {
      const s = api.run(r[1]);
      const step = intParam(url.searchParams.get('step'), 'step', s.steps);
      const card = s.at(step).frame(intParam(url.searchParams.get('pfn'), 'pfn'));
      if (card === null) throw new ApiError(404, `no folio covers pfn ${url.searchParams.get('pfn') ?? ''} at step ${step}`);
      return sendJson(res, 200, card);
    }
    case 'GET runs/:id/diff': {
      const s = api.run(r[1]);
      return sendJson(res, 200, s.diff(intParam(url.searchParams.get('from'), 'from'), intParam(url.searchParams.get('to'), 'to')));
    }
    case 'GET diff': {
      // Two runs (e.g. one scenario on two profiles), each at a step.
      const a = api.run(url.searchParams.get('a') ?? '');
      const b = api.run(url.searchParams.get('b') ?? '');
      const sa = intParam(url.searchParams.get('stepA'), 'stepA', a.steps);
      const sb = intParam(url.searchParams.get('stepB'), 'stepB', b.steps);
      return sendJson(res, 200, a.at(sa).diff(b.at(sb)));
    }
    case 'POST explore': {
      const b = await jsonBody(req, maxBody);
      return api.explore(b, res);
    }
    case 'POST sessions': {
      const b = await jsonBody(req, maxBody);
      const s = api.newSession(b);
      return sendJson(res, 201, { id: s.id, process: s.process, profile: s.profile.name, calls: 0 });
    }
    case 'POST sessions/:id/calls': {
      const s = api.session(r[1]);
      const ct = req.headers['content-type'] ?? '';
      const text = ct.includes('json') ? str(await jsonBody(req, maxBody), 'step') ?? '' : await readBody(req, maxBody);
      return sendJson(res, 200, s.call(text));
    }
    case 'GET sessions/:id/state': {
      const s = api.session(r[1]);
      return sendJson(res, 200, s.state().state('held', intParam(url.searchParams.get('offset'), 'offset', 0), intParam(url.searchParams.get('limit'), 'limit', 200)));
    }
    case 'GET sessions/:id/scenario': {
      const s = api.session(r[1]);
      res.writeHead(200, { 'content-type': 'text/yaml; charset=utf-8' });
      res.end(s.scenarioText());
      return;
    }
    default:
      throw new ApiError(404, `no such endpoint: ${method} ${path}`);
  }
}

function serveStatic(root: string, path: string, res: ServerResponse): void {
  const rel = path === '/' ? 'index.html' : decodeURIComponent(path.slice(1));
  const file = resolve(root, rel);
  if (file !== root && !file.startsWith(root + sep)) throw new ApiError(404, `no such file: ${path}`);
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (!existsSync(join(root, 'index.html'))) throw new ApiError(404, `the web visualizer is not built (${relative(process.cwd(), root) || root} is missing): run npm run build`);
    throw new ApiError(404, `no such file: ${path}`);
  }
  res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  res.end(readFileSync(file));
}

/** Scenario loading and the session tables. */
class Api {
  private readonly runs = new Map<string, RunSession>();
  private readonly sessions = new Map<string, CallSession>();
  private nextId = 1;

  constructor(private readonly o: { readonly corpus: string; readonly maxSessions: number; readonly files: ReadonlyMap<string, string> }) {}

  corpusList(): { path: string; question: string; tags: readonly string[]; profiles: readonly string[]; errors: readonly string[] }[] {
    const out: { path: string; question: string; tags: readonly string[]; profiles: readonly string[]; errors: readonly string[] }[] = [];
    const walk = (dir: string): void => {
      for (const n of readdirSync(dir).sort()) {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.yaml')) {
          const rel = relative(this.o.corpus, p).split(sep).join('/');
          const r = parseScenario(readFileSync(p, 'utf8'), `scenarios/${rel}`);
          out.push(r.ok
            ? { path: rel, question: r.scenario.question, tags: r.scenario.tags, profiles: r.scenario.expect.map((e) => e.spec), errors: [] }
            : { path: rel, question: '', tags: [], profiles: [], errors: r.errors.map(renderError) });
        }
      }
    };
    if (existsSync(this.o.corpus)) walk(this.o.corpus);
    return out;
  }

  corpusText(path: string): string {
    const extra = this.o.files.get(path);
    if (extra !== undefined) {
      try {
        return readFileSync(extra, 'utf8');
      } catch (e) {
        throw new ApiError(404, `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const rel = path.replace(/^scenarios\//, '');
    const file = resolve(this.o.corpus, rel);
    if (!file.startsWith(this.o.corpus + sep) || !file.endsWith('.yaml') || !existsSync(file)) throw new ApiError(404, `no scenario '${path}' in the corpus`);
    return readFileSync(file, 'utf8');
  }

  /** A scenario from `{scenario: <corpus path>}` or `{text: <yaml>, file?: <name>}`, validated. */
  /** The text and file name of `{scenario: <corpus path>}` or `{text: <yaml>, file?: <name>}`. */
  private source(b: Record<string, unknown>): { text: string; file: string } {
    const path = str(b, 'scenario');
    const posted = str(b, 'text');
    if ((path === undefined) === (posted === undefined)) throw new ApiError(400, "give either 'scenario' (a corpus path) or 'text' (a scenario file's contents)");
    const text = path !== undefined ? this.corpusText(path) : (posted as string);
    const file = path !== undefined ? (this.o.files.has(path) ? path : `scenarios/${path.replace(/^scenarios\//, '')}`) : str(b, 'file') ?? 'posted.yaml';
    return { text, file };
  }

  load(b: Record<string, unknown>): { scenario: Scenario; text: string } {
    const { text, file } = this.source(b);
    const r = parseScenario(text, file);
    if (!r.ok) throw new ApiError(422, `invalid scenario ${file}`, r.errors.map(renderError));
    return { scenario: r.scenario, text };
  }

  private profileOf(s: Scenario, b: Record<string, unknown>): Profile {
    const spec = str(b, 'profile') ?? s.expect[0]?.spec;
    if (spec === undefined) throw new ApiError(400, `${s.file}: no profile given and the scenario declares none`);
    const patches = b.patch;
    if (patches !== undefined && (!Array.isArray(patches) || !patches.every((p) => typeof p === 'string'))) throw new ApiError(400, "'patch' must be a list of '+id'/'-id' strings");
    const r = resolveProfile(spec, (patches as string[] | undefined) ?? []);
    if (!r.ok) throw new ApiError(400, r.error.message);
    return r.profile;
  }

  private id(prefix: string): string {
    return `${prefix}${this.nextId++}`;
  }

  private keep<T>(m: Map<string, T>, id: string, v: T): T {
    m.set(id, v);
    while (m.size > this.o.maxSessions) m.delete(m.keys().next().value as string);
    return v;
  }

  newRun(b: Record<string, unknown>): RunSession {
    const { scenario } = this.load(b);
    const profile = this.profileOf(scenario, b);
    const schedule = str(b, 'schedule') ?? scenario.schedule ?? null;
    const id = this.id('r');
    return this.keep(this.runs, id, new RunSession(id, scenario, profile, schedule === '' ? null : schedule));
  }

  run(id: string): RunSession {
    const s = this.runs.get(id);
    if (s === undefined) throw new ApiError(404, `no run '${id}' (runs are kept in memory; the server may have dropped it)`);
    return s;
  }

  newSession(b: Record<string, unknown>): CallSession {
    const { text, file } = this.source(b);
    const spec = str(b, 'profile');
    if (spec === undefined) throw new ApiError(400, "a session needs a 'profile'");
    const r = resolveProfile(spec, []);
    if (!r.ok) throw new ApiError(400, r.error.message);
    const id = this.id('s');
    return this.keep(this.sessions, id, new CallSession(id, file, text, r.profile, str(b, 'process')));
  }

  session(id: string): CallSession {
    const s = this.sessions.get(id);
    if (s === undefined) throw new ApiError(404, `no session '${id}'`);
    return s;
  }

  /** Run an exploration, streaming progress as NDJSON lines, then the result line. */
  explore(b: Record<string, unknown>, res: ServerResponse): void {
    const { scenario } = this.load(b);
    const profile = this.profileOf(scenario, b);
    const num = (k: string): number | undefined => {
      const v = b[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ApiError(400, `'${k}' must be a non-negative integer`);
      return v;
    };
    const strategy = str(b, 'strategy') ?? 'dfs';
    if (strategy !== 'dfs' && strategy !== 'random' && strategy !== 'pct') throw new ApiError(400, `strategy: expected dfs, random or pct, got '${strategy}'`);
    const maxSchedules = num('maxSchedules') ?? scenario.explore.maxSchedules ?? 200_000;
    const preemptionBound = num('preemptionBound') ?? scenario.explore.preemptionBound ?? undefined;
    const seed = num('seed');
    const reduction = str(b, 'reduction');
    if (reduction !== undefined && reduction !== 'dpor' && reduction !== 'sleep-sets' && reduction !== 'none') throw new ApiError(400, `reduction: expected dpor, sleep-sets or none, got '${reduction}'`);
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    const eo: ExploreOptions = {
      strategy,
      maxSchedules,
      ...(reduction !== undefined ? { reduction } : {}),
      ...(preemptionBound !== undefined ? { preemptionBound } : {}),
      ...(seed !== undefined ? { seed } : {}),
      progressEvery: num('progressEvery') ?? 500,
      onProgress: (p) => {
        res.write(`${JSON.stringify({ progress: p })}\n`);
      },
    };
    const r = explore(scenarioTarget(scenario, profile), eo);
    res.end(`${JSON.stringify({ result: exploreJson(scenario.file, profile.name, r) })}\n`);
  }
}
