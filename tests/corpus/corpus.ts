/**
 * The bundled corpus (scenarios/<area>/*.yaml): every file is valid (validator and
 * JSON Schema agree), has a catalogue line in scenarios/README.md, its declared
 * result matches the model on every profile it names (what `pinlab check` does), and
 * what the model found agrees with the blessed `<name>.<profile>.expected` record
 * (src/report/expected.ts); no `.expected` file is an orphan.
 *
 * The corpus is judged in shards (tests/corpus/<i>.test.ts: the files whose rank in the
 * sorted list is i-1 modulo SHARDS), so that vitest runs them in parallel, one file per
 * worker, as `pinlab check` runs its checks in worker threads.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseScenario } from '../../src/scenario/parse.js';
import { renderError } from '../../src/scenario/ast.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import { judgeProfile } from '../../src/scenario/judge.js';
import { RunReuse } from '../../src/scenario/reuse.js';
import { expectedPath, expectedText } from '../../src/report/expected.js';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, 'scenarios');

function files(d: string, ext = '.yaml'): string[] {
  const out: string[] = [];
  for (const n of readdirSync(d).sort()) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) out.push(...files(p, ext));
    else if (n.endsWith(ext)) out.push(p);
  }
  return out;
}

/** How many shard files judge the corpus. */
export const SHARDS = 4;

/** Declare the tests of shard `index` (1-based) of SHARDS; shard 1 also has the corpus-wide ones. */
export function corpusShard(index: number): void {
  const all = files(dir);
  const mine = all.filter((_, k) => k % SHARDS === index - 1);
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  describe(`scenario corpus (shard ${index}/${SHARDS})`, () => {
    if (index === 1) corpusWide(all);
    for (const f of mine) fileTests(f, readme);
  });
}

function corpusWide(all: readonly string[]): void {
  it('has at least 40 scenarios', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
  });

  it('has no orphan .expected files (each belongs to a profile its scenario declares)', () => {
    const accounted = new Set<string>();
    for (const f of all) {
      const r = parseScenario(readFileSync(f, 'utf8'), relative(root, f));
      if (r.ok) for (const pe of r.scenario.expect) accounted.add(expectedPath(f, pe.spec));
    }
    const orphans = files(dir, '.expected').filter((p) => !accounted.has(p)).map((p) => relative(root, p));
    expect(orphans).toEqual([]);
  });
}

function fileTests(f: string, readme: string): void {
  const rel = relative(root, f);
  describe(rel, () => {
    const text = readFileSync(f, 'utf8');
    const r = parseScenario(text, rel);
    it('is valid', () => {
      expect(r.ok ? [] : r.errors.map(renderError)).toEqual([]);
      const z = scenarioSchema.safeParse(parse(text));
      expect(z.success ? [] : z.error.issues.slice(0, 3)).toEqual([]);
    });
    it('has a catalogue line in scenarios/README.md', () => {
      expect(readme).toContain(relative(dir, f));
    });
    if (!r.ok) return;
    // The profiles of one file share runs where they answer the model's patch reads alike, as
    // `pinlab check` does (src/scenario/reuse.ts; tests/unit/scenario/reuse.test.ts shows the
    // result is the one a fresh judge gives).
    const reuse = new RunReuse();
    for (const pe of r.scenario.expect) {
      const blessed = expectedPath(f, pe.spec);
      it(`matches on ${pe.spec}`, () => {
        const j = judgeProfile(r.scenario, pe, { reuse });
        expect(j.mismatches).toEqual([]);
        // A state that steps to itself: two positions the state key cannot tell apart
        // (see ExploreResult.selfLoops); name the point sites apart.
        expect(j.explore?.selfLoops ?? 0, 'self-loop edges in the state graph').toBe(0);
        const recorded = existsSync(blessed) ? readFileSync(blessed, 'utf8') : '(no .expected file)';
        expect(expectedText(r.scenario, pe, j), `the recorded result changed: review the difference, then run: npm run bless -- ${rel}`).toBe(recorded);
      });
    }
  });
}
