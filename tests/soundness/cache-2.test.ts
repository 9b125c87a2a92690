/** Soundness of the explorer's state cache: shard 2 of the cases (tests/soundness/cache-suite.ts). */
import { cacheSuite } from './cache-suite.js';

cacheSuite(1);
