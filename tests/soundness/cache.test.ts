/**
 * Soundness of the explorer's state cache on the corpus, shard 1 of the cases
 * (tests/soundness/cache-suite.ts; the other shard is cache-2.test.ts). `npm test` runs the
 * two remote-access races; `npm run test:soundness` (SOUNDNESS=all) the whole corpus.
 */
import { cacheSuite } from './cache-suite.js';

cacheSuite(0);
