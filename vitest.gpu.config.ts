import { defineConfig } from 'vitest/config';

/*
 * The op, loss and gpu suites on the gpu backend: `npm run test:gpu` (mode from
 * TSGRAD_GPU_MODE, default webasm). For headless GL: `xvfb-run -a npm run test:gpu:gl`
 * after `npm run setup:gl`. The setup file selects the backend and asserts the mode
 * that runs, so a missing GL context fails loudly instead of running on webasm.
 */
const mode = process.env['TSGRAD_GPU_MODE'] ?? 'webasm';

export default defineConfig({
  // @tsgrad/* resolve to packages/*/src through the root tsconfig.json "paths", never to
  // a built packages/*/dist (see tsconfig.json).
  resolve: { tsconfigPaths: true },
  test: {
    include: [
      'packages/gpu/src/**/*.test.ts',
      'packages/tensor/src/**/*.test.ts',
      'packages/nn/src/**/*.test.ts',
    ],
    // The WebAssembly backend's own suites select that backend explicitly: nothing gpu here.
    exclude: ['packages/tensor/src/wasm/**', '**/node_modules/**'],
    setupFiles: ['packages/gpu/src/vitest-setup.ts'],
    env: {
      TSGRAD_BACKEND: 'gpu',
      TSGRAD_GPU_MODE: mode,
      // Every op the gpu can run goes to the gpu (no small-size CPU dispatch).
      TSGRAD_GPU_MIN_ELEMENTS: '0',
      // Mesa's shader cache would write under $HOME: keep runs clean and repeatable.
      MESA_SHADER_CACHE_DISABLE: 'true',
    },
    testTimeout: 120_000,
    pool: 'forks',
  },
});
