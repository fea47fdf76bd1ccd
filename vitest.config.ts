import { defineConfig } from 'vitest/config';

// Topology tests start real daemons in network namespaces: give them room, and run test files
// one or two at a time so two cores are not oversubscribed.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
  },
});
