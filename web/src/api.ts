/**
 * The visualizer's client of the `pinlab serve` JSON API (docs/serve-api.md). Types come
 * from src/report/state-types.ts only (the documented state schema), never from the model.
 */
import type { FrameFilter, MachineState, RunSummary, StateDiff } from '../../src/report/state-types.js';
import { API_VERSION } from '../../src/report/state-types.js';

export class ApiFailure extends Error {
  constructor(message: string, readonly details: readonly string[]) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(`/api/${API_VERSION}/${path}`, init);
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiFailure(`${r.status}: ${text.slice(0, 200)}`, []);
  }
  if (!r.ok) {
    const e = body as { error?: string; details?: string[] };
    throw new ApiFailure(e.error ?? `HTTP ${r.status}`, e.details ?? []);
  }
  return body as T;
}

export interface CorpusEntry {
  readonly path: string;
  readonly question: string;
  readonly tags: readonly string[];
  readonly profiles: readonly string[];
  readonly errors: readonly string[];
}

export const corpus = (): Promise<{ scenarios: CorpusEntry[] }> => call('corpus');

export const newRun = (scenario: string, profile: string, schedule: string | null): Promise<RunSummary> =>
  call('runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scenario, profile, ...(schedule !== null && schedule !== '' ? { schedule } : {}) }) });

export const stateAt = (run: string, step: number, frames: FrameFilter, offset: number, limit: number): Promise<MachineState> =>
  call(`runs/${run}/state?step=${step}&frames=${frames}&offset=${offset}&limit=${limit}`);

export const diff = (run: string, from: number, to: number): Promise<StateDiff> => call(`runs/${run}/diff?from=${from}&to=${to}`);

export const diffRuns = (a: string, stepA: number, b: string, stepB: number): Promise<StateDiff> =>
  call(`diff?a=${a}&stepA=${stepA}&b=${b}&stepB=${stepB}`);

export interface ExploreProgress {
  readonly schedules: number;
  readonly states: number;
  readonly violated: readonly string[];
  readonly done: boolean;
}

export interface ExploreOutcome {
  readonly complete: boolean;
  readonly schedules: number;
  readonly states: number;
  readonly verdicts: Readonly<Record<string, string>>;
  readonly counterexamples: Readonly<Record<string, { schedule: string; steps: number; preemptions: number }>>;
  readonly bounded: readonly string[];
  /** Reachable outcomes (final values), when the explorer reports them. */
  readonly outcomes?: unknown;
}

/** Explore, reading the NDJSON progress stream as it comes. */
export async function exploreRun(scenario: string, profile: string, onProgress: (p: ExploreProgress) => void): Promise<ExploreOutcome> {
  const r = await fetch(`/api/${API_VERSION}/explore`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scenario, profile, progressEvery: 200 }) });
  if (!r.ok || r.body === null) {
    const e = (await r.json()) as { error?: string; details?: string[] };
    throw new ApiFailure(e.error ?? `HTTP ${r.status}`, e.details ?? []);
  }
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let result: ExploreOutcome | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (value !== undefined) buf += dec.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      const o = JSON.parse(line) as { progress?: ExploreProgress; result?: ExploreOutcome };
      if (o.progress !== undefined) onProgress(o.progress);
      if (o.result !== undefined) result = o.result;
    }
    if (done) break;
  }
  if (result === null) throw new ApiFailure('the exploration stream ended without a result', []);
  return result;
}
