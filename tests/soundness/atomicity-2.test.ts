/** Soundness of the model's step atomicity: shard 2 of the cases (tests/soundness/atomicity-suite.ts). */
import { atomicitySuite } from './atomicity-suite.js';

atomicitySuite(1);
