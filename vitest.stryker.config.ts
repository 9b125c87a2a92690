import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against mutants of src/check/ and src/explore/ (`npm run mutation`).
 * Instrumented code with per-test coverage runs several times slower than `npm test`: the
 * longest test (soundness/dpor.test.ts, random separable scenarios) passed 120 s on a loaded
 * two-core machine and failed the dry run.
 */
export default defineConfig({
  test: {
    include: ['tests/unit/check/**/*.test.ts', 'tests/unit/explore/**/*.test.ts', 'tests/faults/fail-nth-unit.test.ts', 'tests/mutation/**/*.test.ts', 'tests/soundness/dpor.test.ts'],
    testTimeout: 600_000,
    pool: 'forks',
  },
});
