/** `pinlab check --shard i/n` and `pinlab check --merge`: the shards' merged report is the unsharded one. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { capture } from '../../support/capture-io.js';
import { parseShard } from '../../../src/cli/check.js';

async function pinlab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = capture();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('check --shard / --merge', () => {
  it('parses i/n and refuses anything else', () => {
    expect(parseShard('1/3')).toEqual({ index: 0, count: 3 });
    expect(parseShard(undefined)).toBeNull();
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '-1/2']) expect(() => parseShard(bad), bad).toThrow(/--shard/);
  });

  it('three shards cover the corpus once each, and their merge prints what the unsharded check prints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pinlab-shard-'));
    const files: string[] = [];
    const seen = new Set<string>();
    for (const i of [1, 2, 3]) {
      const r = await pinlab('check', 'scenarios/vfio', '--no-explore', '--json', '--shard', `${i}/3`);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { results: { scenario: string; spec: string }[] };
      for (const x of doc.results) {
        expect(seen.has(`${x.scenario} ${x.spec}`)).toBe(false);
        seen.add(`${x.scenario} ${x.spec}`);
      }
      const f = join(dir, `shard${i}.json`);
      writeFileSync(f, r.stdout);
      files.push(f);
    }
    const whole = await pinlab('check', 'scenarios/vfio', '--no-explore');
    const merged = await pinlab('check', '--merge', ...files.reverse());
    expect(merged.code).toBe(whole.code);
    expect(merged.stdout).toBe(whole.stdout);
    expect(`${seen.size} checks`).toBe(/(\d+) checks/.exec(whole.stdout)?.[0]);
    // The same shard twice is refused (overlap), and so is a file that is not a check document.
    expect((await pinlab('check', '--merge', files[0], files[0])).code).toBe(2);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"x": 1}');
    expect((await pinlab('check', '--merge', junk)).code).toBe(2);
  });
});
