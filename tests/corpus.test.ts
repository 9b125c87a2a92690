/**
 * The bundled corpus (scenarios/<area>/*.yaml): every file is valid (validator and
 * JSON Schema agree), has a catalogue line in scenarios/README.md, and its declared
 * result matches the model on every profile it names (what `pinlab check` does).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseScenario } from '../src/scenario/parse.js';
import { renderError } from '../src/scenario/ast.js';
import { scenarioSchema } from '../src/scenario/schema.js';
import { judgeProfile } from '../src/scenario/judge.js';

const root = join(import.meta.dirname, '..');
const dir = join(root, 'scenarios');

function files(d: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(d).sort()) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (n.endsWith('.yaml')) out.push(p);
  }
  return out;
}

const all = files(dir);
const readme = readFileSync(join(dir, 'README.md'), 'utf8');

describe('scenario corpus', () => {
  it('has at least 40 scenarios', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
  });

  for (const f of all) {
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
      for (const pe of r.scenario.expect) {
        it(`matches on ${pe.spec}`, () => {
          const j = judgeProfile(r.scenario, pe);
          expect(j.mismatches).toEqual([]);
        });
      }
    });
  }
});
