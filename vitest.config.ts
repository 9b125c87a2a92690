import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    reporters: ['default', './tests/support/summary-reporter.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // One worker per core: vitest's default leaves one core to its own process, which on CI's
    // two cores ran every test file one after another (the main process only reports).
    maxWorkers: Math.max(1, availableParallelism()),
  },
});
