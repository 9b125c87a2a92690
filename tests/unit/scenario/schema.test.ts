/** The JSON Schema is generated from the zod schema and checked in; it must be current. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scenarioJsonSchema, scenarioSchema } from '../../../src/scenario/schema.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('schema/scenario.schema.json', () => {
  it('is up to date with src/scenario/schema.ts (regenerate: npx tsx scripts/gen-scenario-schema.ts)', () => {
    const onDisk = readFileSync(join(root, 'schema', 'scenario.schema.json'), 'utf8');
    expect(onDisk === scenarioJsonSchema()).toBe(true);
  });

  it('accepts the example of docs/scenario-format.md and rejects an unknown step', () => {
    const doc = readFileSync(join(root, 'docs', 'scenario-format.md'), 'utf8');
    const m = /## A complete example\n\n```yaml\n([\s\S]*?)```/.exec(doc);
    expect(m).not.toBeNull();
    const data = parse(m?.[1] ?? '') as Record<string, unknown>;
    const ok = scenarioSchema.safeParse(data);
    expect(ok.success ? [] : ok.error.issues.slice(0, 3)).toEqual([]);
    const bad = structuredClone(data) as { threads: { steps: Record<string, unknown>[] }[] };
    bad.threads[0].steps[0] = { pin_user_page: { start: 0 } };
    expect(scenarioSchema.safeParse(bad).success).toBe(false);
  });

  it('takes u64 addresses above 2^53 as the validator does, and refuses a fraction', () => {
    const text = (start: string): string => `question: q
setup:
  processes: [{ name: p }]
threads:
  - process: p
    steps:
      - get_user_pages_fast: { start: ${start}, nr_pages: 2, gup_flags: 0 }
expect:
  v6.12: { values: {} }
`;
    expect(scenarioSchema.safeParse(parse(text('0xfffffffffffff000'))).success).toBe(true);
    expect(scenarioSchema.safeParse(parse(text('1.5'))).success).toBe(false);
  });
});
