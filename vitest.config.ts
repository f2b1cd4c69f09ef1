import { defineConfig } from 'vitest/config';

// Native addons crash vitest's worker-threads pool: always use forked processes.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
