import { defineConfig } from 'vitest/config';

/*
 * The op, loss and example suites again on the JS reference backend (`npm test` runs
 * this after the default run on the WebAssembly backend): the reference must pass
 * every test alone. The wasm/ suites test that backend itself and are not repeated.
 */
export default defineConfig({
  // @tsgrad/* resolve to packages/*/src through the root tsconfig.json "paths", never to
  // a built packages/*/dist (see tsconfig.json).
  resolve: { tsconfigPaths: true },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['packages/tensor/src/wasm/**', 'packages/gpu/**', '**/node_modules/**'],
    env: { TSGRAD_BACKEND: 'cpu' },
    testTimeout: 60_000,
    pool: 'forks',
  },
});
