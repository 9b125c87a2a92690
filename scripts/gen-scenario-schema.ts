/**
 * Writes schema/scenario.schema.json from the zod schema in src/scenario/schema.ts.
 *
 *   npx tsx scripts/gen-scenario-schema.ts           write it
 *   npx tsx scripts/gen-scenario-schema.ts --check   exit 1 if the checked-in file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioJsonSchema } from '../src/scenario/schema.js';

const path = join(import.meta.dirname, '..', 'schema', 'scenario.schema.json');
const text = scenarioJsonSchema();
if (process.argv.includes('--check')) {
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = '';
  }
  if (old !== text) {
    console.error('schema/scenario.schema.json is out of date: run npx tsx scripts/gen-scenario-schema.ts');
    process.exit(1);
  }
} else {
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
