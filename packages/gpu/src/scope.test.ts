import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, manualSeed, registerBackend, setBackend, tensor, tidy, type Tensor } from '@tsgrad/tensor';
import { Adam, Linear, ReLU, Sequential, crossEntropy } from '@tsgrad/nn';
import { mulberry32 } from '@tsgrad/testing';
import { GpuBackend, type GpuStats } from './index.js';

/*
 * The browser's synchronous training loop on the gpu backend (webasm mode here, the
 * mode Node runs without GL; the page tests webgl2 in Chromium): every step inside
 * `tidy`, the loss read every step. Device memory must be flat with no finalizer and
 * no forced collection: every array the loop made was released explicitly.
 */

const gpu = new GpuBackend({ name: 'gpu-scope-test', mode: 'webasm', minElements: 0 });
registerBackend(gpu);
let previous = '';
beforeAll(() => {
  previous = getBackend().name;
  setBackend(gpu.name);
});
afterAll(() => setBackend(previous));

const N = 128, BATCH = 32, STEPS = 2000;

describe('tidy on the gpu backend', () => {
  it(`${STEPS} synchronous Adam steps inside tidy: live device memory is flat without the garbage collector`, () => {
    manualSeed(3);
    const next = mulberry32(5);
    const xs = Float32Array.from({ length: N * 2 }, () => next() * 2 - 1);
    const ys = Int32Array.from({ length: N }, (_, i) => (xs[2 * i]! > 0 ? 1 : 0) + (xs[2 * i + 1]! > 0 ? 1 : 0));
    const x = tensor(xs, { shape: [N, 2] });
    const y = tensor(ys, { dtype: 'int32' });
    const model = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 3));
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const s0 = gpu.stats();
    const at = new Map<number, GpuStats>();
    const losses: number[] = [];
    const t0 = performance.now();
    for (let step = 1; step <= STEPS; step++) {
      const k = step % (N / BATCH);
      losses.push(
        tidy(() => {
          opt.zeroGrad();
          const loss: Tensor = crossEntropy(model.forward(x.slice(0, k * BATCH, (k + 1) * BATCH)), y.slice(0, k * BATCH, (k + 1) * BATCH));
          loss.backward();
          opt.step();
          return loss.item();
        }),
      );
      if (step === 20 || step % 500 === 0) at.set(step, gpu.stats());
    }
    const a = at.get(20)!, b = at.get(STEPS)!;
    console.log(
      `[gpu tidy] ${STEPS} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; live ${a.liveArrays} arrays / ${a.liveBytes} B at step 20 → ` +
        `${b.liveArrays} / ${b.liveBytes} B at step ${STEPS}; released ${b.released - s0.released}, finalized ${b.finalized - s0.finalized}, ` +
        `forced collections ${b.pressureCollections - s0.pressureCollections}, kernel runs ${b.kernelRuns - s0.kernelRuns}`,
    );
    expect(b.kernelRuns - s0.kernelRuns).toBeGreaterThan(STEPS * 5); // the work really ran on this backend
    for (const [step, s] of at) {
      expect({ step, arrays: s.liveArrays, bytes: s.liveBytes }).toEqual({ step, arrays: a.liveArrays, bytes: a.liveBytes });
    }
    expect(b.finalized).toBe(s0.finalized);
    expect(b.pressureCollections).toBe(s0.pressureCollections);
    expect(b.released - s0.released).toBeGreaterThan(STEPS * 10);
    const first = losses.slice(0, 20).reduce((p, q) => p + q, 0) / 20;
    const last = losses.slice(-20).reduce((p, q) => p + q, 0) / 20;
    expect(last).toBeLessThan(0.5 * first);
  }, 180_000);
});
