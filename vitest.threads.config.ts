import { defineConfig } from 'vitest/config';

/*
 * The tensor and loss suites on the WebAssembly backend with two threads: every
 * kernel of at least 256 elements (1024 multiply-adds for matmul) is split into tasks
 * of the calling thread and a worker (TSGRAD_THREADS_MIN_WORK lowers the size
 * thresholds, so the suites' small tensors take the parallel path too). Results must
 * match the single-thread run bit for bit, so the same assertions hold. The wasm
 * suites that do not run kernels through the backend (builder, heap, math) are not
 * repeated. `npm test` runs this after the default run.
 *
 * TSGRAD_WASM_VERIFY_KEYS=1 also rebuilds cached kernels when they are used again (each
 * key's first 32 uses, then every 32nd) and checks their bytes against the cached
 * module: two different kernels under one cache key fail here whatever the data (it
 * found a gather keyed like a plain chain). It makes this run ≈ 25 % slower.
 */
export default defineConfig({
  // @tsgrad/* resolve to packages/*/src through the root tsconfig.json "paths".
  resolve: { tsconfigPaths: true },
  test: {
    include: ['packages/tensor/src/**/*.test.ts', 'packages/nn/src/**/*.test.ts'],
    exclude: [
      'packages/gpu/**', '**/node_modules/**',
      'packages/tensor/src/wasm/builder.test.ts', 'packages/tensor/src/wasm/heap.test.ts', 'packages/tensor/src/wasm/math.test.ts',
    ],
    env: { TSGRAD_THREADS: '2', TSGRAD_THREADS_MIN_WORK: '256', TSGRAD_WASM_VERIFY_KEYS: '1' },
    testTimeout: 60_000,
    pool: 'forks',
  },
});
