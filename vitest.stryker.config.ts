import { defineConfig } from 'vitest/config';

/** The tests StrykerJS runs against mutants of src/check/ and src/explore/ (`npm run mutation`). */
export default defineConfig({
  test: {
    include: ['tests/unit/check/**/*.test.ts', 'tests/unit/explore/**/*.test.ts', 'tests/faults/fail-nth-unit.test.ts', 'tests/mutation/**/*.test.ts', 'tests/soundness/dpor.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
