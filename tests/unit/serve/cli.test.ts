/** `pinlab view` / `pinlab serve` and the `state` of `pinlab run --json --trace`. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/io.js';
import { cmdServe, cmdView } from '../../../src/cli/serve.js';
import { checkSchema } from '../../support/json-schema.js';

const SCHEMA = JSON.parse(readFileSync(new URL('../../../schema/state.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const SEED = 'scenarios/seed/longterm-locked-race.yaml';
const HYPO = 'v5.6+hypo-longterm-honours-locked';

function capture(): Io & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', tty: false, out(t: string) { io.stdout += t + '\n'; }, err(t: string) { io.stderr += t + '\n'; } };
  return io;
}

describe('pinlab view / serve', () => {
  it('view prints the URL of the run, which the server answers', async () => {
    const io = capture();
    let stop = (): void => undefined;
    const until = new Promise<void>((ok) => {
      stop = ok;
    });
    const done = cmdView(io, SEED, { profile: HYPO, schedule: 'T0*16 T1*4 ...', step: '26' }, until);
    await expect.poll(() => io.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?/);
    const url = new URL(io.stdout.trim());
    expect(url.searchParams.get('scenario')).toBe(SEED);
    expect(url.searchParams.get('profile')).toBe(HYPO);
    expect(url.searchParams.get('step')).toBe('26');
    // The file given on the command line can be loaded by that name.
    const r = await fetch(new URL('/api/v1/runs', url), { method: 'POST', body: JSON.stringify({ scenario: SEED, profile: HYPO }) });
    expect(r.status).toBe(201);
    stop();
    expect(await done).toBe(0);
  });

  it('serve refuses a non-loopback address without --allow-remote (exit 2)', async () => {
    const io = capture();
    expect(await main(['serve', '--host', '0.0.0.0', '--port', '0'], io)).toBe(2);
    expect(io.stderr).toContain('refusing to listen on 0.0.0.0');
    await expect(cmdServe(capture(), { port: '70000' }, Promise.resolve())).rejects.toThrow(/--port/);
  });

  it('run --json --trace includes the final machine state (schema/state.schema.json)', async () => {
    const io = capture();
    expect(await main(['run', SEED, '-p', HYPO, '-s', 'T0*16 T1*4 ...', '--json', '--trace'], io)).toBe(1);
    const j = JSON.parse(io.stdout) as { steps: number; state: { step: number; frames: { items: { pfn: number; kind: string }[] } } };
    expect(j.state.step).toBe(j.steps);
    expect(checkSchema(SCHEMA, j.state)).toEqual([]);
    expect(j.state.frames.items.some((f) => f.kind === 'fsdax')).toBe(true);
  });
});
