/*
 * vitest.gpu.config.ts setup: registers the gpu backend, selects it and asserts the
 * gpu.js mode that actually runs is the one TSGRAD_GPU_MODE asked for.
 */
import { backendInfo, setBackend } from '@tsgrad/tensor';
import { gpu } from '@tsgrad/gpu';
import { afterAll } from 'vitest';
import fc from 'fast-check';

const want = process.env['TSGRAD_GPU_MODE'] ?? 'webasm';
setBackend('gpu');
const info = backendInfo();
if (info.backend !== 'gpu' || (want !== 'auto' && info['mode'] !== want)) {
  throw new Error(`gpu test setup: asked for mode '${want}', running ${JSON.stringify(info)}`);
}
gpu.minElements = 0;

// Property tests draw the same cases on every run of the gpu suites, so a float32
// borderline case cannot make CI flaky; TSGRAD_GPU_FC_SEED=<n> explores other draws.
fc.configureGlobal({ seed: Number(process.env['TSGRAD_GPU_FC_SEED'] ?? 20261123) });

// Evidence that the suites ran on the gpu: kernel and transfer counts per test file.
afterAll(() => {
  const s = gpu.stats();
  if (process.env['TSGRAD_GPU_STATS']) {
    console.log(`[@tsgrad/gpu ${String(info['mode'])}] ${s.kernelRuns} kernel runs, ${s.kernelsCompiled} kernels compiled, ${s.uploads} uploads, ${s.readbacks} readbacks`);
  }
});
