/**
 * Writes schema/scenario.schema.json from the zod schema in src/scenario/schema.ts.
 *
 *   npx tsx scripts/gen-scenario-schema.ts           write it
 *   npx tsx scripts/gen-scenario-schema.ts --check   exit 1 if the checked-in file is stale
 */
import { writeOrCheck } from './write-or-check.js';
import { join } from 'node:path';
import { scenarioJsonSchema } from '../src/scenario/schema.js';

const path = join(import.meta.dirname, '..', 'schema', 'scenario.schema.json');
const text = scenarioJsonSchema();
writeOrCheck(path, text, 'npm run schema');
