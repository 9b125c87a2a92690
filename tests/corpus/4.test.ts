// Shard 4 of the corpus test (tests/corpus/corpus.ts).
import { corpusShard } from './corpus.js';

corpusShard(4);
