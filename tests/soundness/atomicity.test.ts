/**
 * Soundness of the model's step atomicity (design.md principle 3), shard 1 of the cases
 * (tests/soundness/atomicity-suite.ts; the other shards are atomicity-<i>.test.ts). The
 * exploration of both modes is heavy, so the whole corpus is its own vitest project
 * (`npm run test:soundness`, SOUNDNESS=all), which CI runs after `npm test`; `npm test`
 * runs only the DONTNEED race, the case that showed the GUP walk's 512-page steps were unsound.
 */
import { atomicitySuite } from './atomicity-suite.js';

atomicitySuite(0);
