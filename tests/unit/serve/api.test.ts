/**
 * `pinlab serve`'s JSON API over HTTP (src/serve/): corpus, runs, the state after a
 * step and diffs (checked against schema/state.schema.json), explore with streamed
 * progress, one-call-at-a-time sessions, and the error answers (JSON, 4xx).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback, serve } from '../../../src/serve/server.js';
import type { Running } from '../../../src/serve/server.js';
import type { MachineState, RunSummary, StateDiff } from '../../../src/report/state-types.js';
import { checkSchema } from '../../support/json-schema.js';
import { largeGuestScenario } from '../../support/large-guest.js';

const SCHEMA = JSON.parse(readFileSync(new URL('../../../schema/state.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const SEED = 'seed/longterm-locked-race.yaml';
const HYPO = 'v5.6+hypo-longterm-honours-locked';
/** The seed counterexample (README): the fs-DAX page is long-term pinned in its step 26. */
const RACE = 'T0*16 T1*4 ...';
const DAX_PFN = 1310721;

let srv: Running;
beforeAll(async () => {
  srv = await serve({ port: 0, maxBody: 64 * 1024 });
});
afterAll(async () => {
  await srv.close();
});

async function req(path: string, init?: RequestInit): Promise<{ status: number; body: unknown; text: string; type: string }> {
  const r = await fetch(new URL(path, srv.url), init);
  const text = await r.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: r.status, body, text, type: r.headers.get('content-type') ?? '' };
}

const post = (path: string, body: unknown): ReturnType<typeof req> =>
  req(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function seedRun(): Promise<RunSummary> {
  const r = await post('/api/v1/runs', { scenario: SEED, profile: HYPO, schedule: RACE });
  expect(r.status).toBe(201);
  return r.body as RunSummary;
}

describe('pinlab serve: API', () => {
  it('lists the corpus with each scenario question and profiles', async () => {
    const r = await req('/api/v1/corpus');
    expect(r.status).toBe(200);
    const list = (r.body as { scenarios: { path: string; profiles: string[]; errors: string[] }[] }).scenarios;
    const seed = list.find((x) => x.path === SEED);
    expect(seed?.profiles).toContain(HYPO);
    expect(list.every((x) => x.errors.length === 0)).toBe(true);
  });

  it('runs a schedule and returns the state after any step, valid against the schema', async () => {
    const run = await seedRun();
    expect(run.run.schedule.startsWith('T0*16 T1*4')).toBe(true);
    expect(run.lanes.length).toBe(run.run.steps);
    const before = (await req(`/api/v1/runs/${run.id}/state?step=18&frames=fsdax`)).body as MachineState;
    const after = (await req(`/api/v1/runs/${run.id}/state?step=26&frames=fsdax`)).body as MachineState;
    for (const s of [before, after]) expect(checkSchema(SCHEMA, s)).toEqual([]);
    const card = (s: MachineState) => s.frames.items.find((f) => f.pfn === DAX_PFN);
    expect(card(before)?.holders).toEqual([]);
    expect(card(after)?.kind).toBe('fsdax');
    expect(card(after)?.holders).toEqual([{ holder: "T0 result 'r'", kind: 'longterm-pin', since: 26 }]);
    expect(after.violated).toContain('no-longterm-pin-on-fsdax');
    expect(before.violated).not.toContain('no-longterm-pin-on-fsdax');
    // Stepping back rebuilds the run: the same state again.
    const again = (await req(`/api/v1/runs/${run.id}/state?step=18&frames=fsdax`)).body as MachineState;
    expect(again).toEqual(before);
  });

  it('diffs two steps: the pinned fs-DAX frame and the thread that moved', async () => {
    const run = await seedRun();
    const d = (await req(`/api/v1/runs/${run.id}/diff?from=25&to=26`)).body as StateDiff;
    expect(checkSchema(SCHEMA, d, { $ref: '#/$defs/StateDiff' })).toEqual([]);
    const f = d.frames.find((x) => x.pfn === DAX_PFN);
    expect(f?.changes.map((c) => c.field)).toEqual(['refcount', 'holders']);
    expect(d.threads.map((t) => t.id)).toEqual([0]);
    expect(d.violated).toContain('no-longterm-pin-on-fsdax');
  });

  it('compares two runs (one scenario on two profiles)', async () => {
    const a = await seedRun();
    const b = (await post('/api/v1/runs', { scenario: SEED, profile: 'v5.6' })).body as RunSummary;
    expect(b.run.values.r).toBe(-22); // -EINVAL: v5.6 refuses FOLL_LONGTERM with a non-NULL locked
    const d = (await req(`/api/v1/diff?a=${a.id}&b=${b.id}`)).body as StateDiff;
    expect(d.results).toContain('r');
  });

  it('pages frame cards and finds one by pfn', async () => {
    const run = await seedRun();
    const all = (await req(`/api/v1/runs/${run.id}/state?step=26&frames=all&limit=2&offset=1`)).body as MachineState;
    expect(all.frames.items.length).toBe(2);
    expect(all.frames.offset).toBe(1);
    expect(all.frames.total).toBeGreaterThan(3);
    const one = await req(`/api/v1/runs/${run.id}/frame?step=26&pfn=${DAX_PFN}`);
    expect((one.body as { pfn: number }).pfn).toBe(DAX_PFN);
  });

  it('keeps the state of a guest mapping small: frame cards paged, PTEs and IOMMU entries in runs', async () => {
    const r = await post('/api/v1/runs', { text: largeGuestScenario(16), profile: 'v6.12' });
    expect(r.status).toBe(201);
    const run = r.body as RunSummary;
    expect(run.run.values.map).toBe(0);
    const st = (await req(`/api/v1/runs/${run.id}/state?frames=all&limit=100000`)).body as MachineState;
    expect(st.frames.total).toBeGreaterThanOrEqual(4096);
    expect(st.frames.items.length).toBe(512);
    const vma = st.processes[0].mm?.vmas.find((v) => v.mapped === 4096);
    expect(vma?.ptes).toEqual([expect.objectContaining({ pages: 4096, level: 'pte' })]); // consecutive frames, same bits: one run
    expect(st.iommu[0].runs).toEqual([expect.objectContaining({ pages: 4096, coherent: true })]);
    expect(checkSchema(SCHEMA, st)).toEqual([]);
  });

  it('streams exploration progress as NDJSON and ends with the result', async () => {
    const r = await post('/api/v1/explore', { scenario: SEED, profile: HYPO, progressEvery: 10 });
    expect(r.type).toContain('application/x-ndjson');
    const lines = r.text.trim().split('\n').map((l) => JSON.parse(l) as { progress?: unknown; result?: { verdicts: Record<string, string>; complete: boolean } });
    expect(lines.filter((l) => l.progress !== undefined).length).toBeGreaterThan(1);
    const res = lines[lines.length - 1].result;
    expect(res?.complete).toBe(true);
    expect(res?.verdicts['no-longterm-pin-on-fsdax']).toBe('sometimes');
    expect((res as { reduction?: string } | undefined)?.reduction).toBe('dpor'); // every scenario reports footprints (access-footprint.ts)
    const bad = await post('/api/v1/explore', { scenario: SEED, profile: HYPO, reduction: 'optimal' });
    expect(bad.status).toBe(400);
  });

  it('drives the model one call at a time and returns the kernel result', async () => {
    const text = 'question: a VMM test session\nsetup:\n  processes:\n    - name: vmm\n      rlimits: { RLIMIT_MEMLOCK: 16K }\n';
    const s = await post('/api/v1/sessions', { text, profile: 'v6.1' });
    expect(s.status).toBe(201);
    const id = (s.body as { id: string }).id;
    const call = (step: string) => req(`/api/v1/sessions/${id}/calls`, { method: 'POST', headers: { 'content-type': 'text/yaml' }, body: step });
    const m = await call('mmap: { length: 8 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }\nas: buf');
    expect(m.status).toBe(200);
    expect(typeof (m.body as { result: unknown }).result).toBe('number');
    const p = await call('pin_user_pages: { start: $buf, nr_pages: 2, gup_flags: FOLL_WRITE|FOLL_LONGTERM }');
    expect((p.body as { result: unknown }).result).toBe(2);
    const bad = await call('munmap: { addr: $buf, length: 8 pages, bogus: 1 }');
    expect(bad.status).toBe(400);
    expect((bad.body as { details: string[] }).details[0]).toMatch(/^call:1:40: unknown key 'bogus'/);
    const st = (await req(`/api/v1/sessions/${id}/state`)).body as MachineState;
    expect(st.frames.total).toBe(2);
    expect(checkSchema(SCHEMA, st)).toEqual([]);
  });

  it('a session on a corpus set-up issues VFIO ioctls one at a time (-EEXIST for the second map)', async () => {
    const s = await post('/api/v1/sessions', { scenario: 'vfio/exit-releases-pins.yaml', profile: 'v6.1' });
    const id = (s.body as { id: string }).id;
    const map = JSON.stringify({ step: 'VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 4 pages }' });
    const first = await post(`/api/v1/sessions/${id}/calls`, map);
    expect(first.body).toMatchObject({ call: 0, op: 'VFIO_IOMMU_MAP_DMA', result: 0 });
    const second = await post(`/api/v1/sessions/${id}/calls`, map);
    expect(second.body).toMatchObject({ call: 1, result: -17 });
    const st = (await req(`/api/v1/sessions/${id}/state`)).body as MachineState;
    expect(st.iommu[0].runs).toEqual([expect.objectContaining({ pages: 4, coherent: true })]);
    expect(st.processes[0].mm?.lockedVm).toBe(4);
  });

  it('answers errors as JSON with 4xx statuses', async () => {
    const notFound = await req('/api/v1/runs/nope/state');
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ error: expect.stringContaining("no run 'nope'") });
    const version = await req('/api/v9/corpus');
    expect(version.status).toBe(404);
    const invalid = await post('/api/v1/runs', { text: 'question: q\nthreads: 3\n', file: 'mine.yaml' });
    expect(invalid.status).toBe(422);
    expect((invalid.body as { details: string[] }).details.some((d) => /^mine\.yaml:\d+:\d+: /.test(d))).toBe(true);
    const big = await post('/api/v1/runs', { text: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    const notJson = await post('/api/v1/runs', '{');
    expect(notJson.status).toBe(400);
    const step = await req(`/api/v1/runs/${(await seedRun()).id}/state?step=9999`);
    expect(step.status).toBe(400);
    const traversal = await req('/api/v1/corpus/file?path=../package.json');
    expect(traversal.status).toBe(404);
  });

  it('serves the built visualizer (or says how to build it)', async () => {
    const r = await req('/');
    expect([200, 404]).toContain(r.status);
    if (r.status === 200) expect(r.text).toContain('<div id="app">');
    else expect(r.text).toContain('npm run build');
  });

  it('refuses a non-loopback bind unless asked', async () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    await expect(serve({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0/);
    const open = await serve({ host: '0.0.0.0', port: 0, allowRemote: true });
    await open.close();
  });
});
