import { defineConfig } from 'vitest/config';

export default defineConfig({
  // @tsgrad/* resolve to packages/*/src through the root tsconfig.json "paths", never to
  // a built packages/*/dist (see tsconfig.json).
  resolve: { tsconfigPaths: true },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
