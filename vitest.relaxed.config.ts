import { defineConfig } from 'vitest/config';

/*
 * The tensor and loss suites with the WebAssembly backend's relaxed-SIMD kernels
 * (fused multiply-add in the matmul micro-kernel and the math polynomials). Node 20
 * ships relaxed SIMD behind a flag, so the workers get it; TSGRAD_WASM_RELAXED=1 makes
 * the backend use it (and fail to start if the engine lacks it, instead of quietly
 * testing the plain path twice). `npm test` runs this after the default run.
 */
export default defineConfig({
  // @tsgrad/* resolve to packages/*/src through the root tsconfig.json "paths", never to
  // a built packages/*/dist (see tsconfig.json).
  resolve: { tsconfigPaths: true },
  test: {
    include: ['packages/tensor/src/**/*.test.ts', 'packages/nn/src/**/*.test.ts'],
    execArgv: ['--experimental-wasm-relaxed-simd'],
    // One thread here: the default run uses every core, so this is the run that keeps
    // the single-thread path (no workers, no Atomics) under the whole suite.
    env: { TSGRAD_WASM_RELAXED: '1', TSGRAD_THREADS: '1' },
    testTimeout: 60_000,
    pool: 'forks',
  },
});
