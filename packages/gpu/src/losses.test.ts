import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, dualFocalLoss, nllLoss, sigmoidFocalLoss,
  softMarginLoss, softmaxFocalLoss,
} from '@tsgrad/nn';
import { gpu } from './index.js';
import { REDUCTION, expectClose, pair, useGpu, values, withBackend } from './test-support.js';

/*
 * Forward and backward of every @tsgrad/nn loss on the gpu backend against the CPU
 * reference: the losses are compositions of primitives, so this exercises the
 * elementwise, reduction and indexing kernels (and their VJPs) together.
 */

let mode = '';
beforeAll(() => {
  mode = useGpu();
});

const runs = (n: number) => ({ numRuns: mode === 'webasm' ? n : Math.max(3, Math.ceil(n / 3)), seed: 7 });

function labels(n: number, classes: number, seed: number, ignore = false): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => (ignore && r() < 0.2 ? -100 : Math.floor(r() * classes)));
}

type LossCase = { name: string; run: (x: Tensor, side: 'cpu' | 'gpu') => Tensor };

function cases(N: number, C: number, seed: number): LossCase[] {
  const idx = labels(N, C, seed);
  const idxIgnore = labels(N, C, seed + 1, true);
  const on = (side: 'cpu' | 'gpu', f: () => Tensor) => withBackend(side, f);
  const probs = values(N * C, seed + 2, { lo: 0, hi: 1 });
  const bin = values(N * C, seed + 3, { lo: 0, hi: 1, integers: true });
  const pm1 = bin.map((v) => 2 * v - 1);
  const w = values(C, seed + 4, { lo: 0.5, hi: 2 });
  const t = (side: 'cpu' | 'gpu', data: Float32Array | Int32Array, shape: number[]) => on(side, () => tensor(data.slice()).reshape(shape));
  return [
    { name: 'crossEntropy (index targets)', run: (x, s) => crossEntropy(x, t(s, idx, [N])) },
    { name: 'crossEntropy (ignoreIndex, weight, labelSmoothing)', run: (x, s) => crossEntropy(x, t(s, idxIgnore, [N]), { weight: t(s, w, [C]), labelSmoothing: 0.1 }) },
    { name: 'crossEntropy (probability targets)', run: (x, s) => crossEntropy(x, t(s, probs, [N, C]).softmax(1)) },
    { name: 'nllLoss', run: (x, s) => nllLoss(x.logSoftmax(1), t(s, idx, [N]), { reduction: 'sum' }) },
    { name: 'binaryCrossEntropy', run: (x, s) => binaryCrossEntropy(x.sigmoid(), t(s, bin, [N, C])) },
    { name: 'binaryCrossEntropyWithLogits (posWeight)', run: (x, s) => binaryCrossEntropyWithLogits(x, t(s, probs, [N, C]), { posWeight: t(s, w, [C]) }) },
    { name: 'softMarginLoss', run: (x, s) => softMarginLoss(x, t(s, pm1, [N, C])) },
    { name: 'sigmoidFocalLoss', run: (x, s) => sigmoidFocalLoss(x, t(s, bin, [N, C]), { reduction: 'mean' }) },
    { name: 'softmaxFocalLoss', run: (x, s) => softmaxFocalLoss(x, t(s, idx, [N]), { gamma: 2 }) },
    { name: 'dualFocalLoss', run: (x, s) => dualFocalLoss(x, t(s, idx, [N])) },
  ];
}

describe('losses forward and backward on the gpu backend', () => {
  it('softmax cross-entropy [N, C]: value and gradient', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 2, max: 12 }), fc.integer(), (N, C, seed) => {
      const x = pair([N, C], values(N * C, seed, { lo: -8, hi: 8 }), true);
      const y = labels(N, C, seed);
      const lc = withBackend('cpu', () => crossEntropy(x.cpu, tensor(y)));
      lc.backward();
      const lg = crossEntropy(x.gpu, tensor(y));
      expect(lg.device).toBe('gpu');
      lg.backward();
      expect(x.gpu.grad!.device).toBe('gpu');
      expectClose(lg, lc, REDUCTION, 'loss');
      expectClose(x.gpu.grad!, x.cpu.grad!, REDUCTION, 'grad');
    }), runs(15));
  });

  for (const c of cases(6, 5, 11)) {
    it(`${c.name}: value and input gradient match the CPU`, () => {
      const x = pair([6, 5], values(30, 99, { lo: -4, hi: 4 }), true);
      const lc = withBackend('cpu', () => c.run(x.cpu, 'cpu'));
      withBackend('cpu', () => lc.backward());
      const lg = c.run(x.gpu, 'gpu');
      lg.backward();
      expectClose(lg, lc, REDUCTION, `${c.name} value`);
      expectClose(x.gpu.grad!, x.cpu.grad!, REDUCTION, `${c.name} grad`);
    });
  }

  it('dualFocalLoss with a trainable gamma tensor gets the same gamma gradient', () => {
    const x = pair([4, 3], values(12, 5, { lo: -3, hi: 3 }), true);
    const g = pair([], Float32Array.from([1.5]), true);
    const y = labels(4, 3, 8);
    const lc = withBackend('cpu', () => dualFocalLoss(x.cpu, tensor(y), { gamma: g.cpu }));
    withBackend('cpu', () => lc.backward());
    const lg = dualFocalLoss(x.gpu, tensor(y), { gamma: g.gpu });
    lg.backward();
    expectClose(lg, lc, REDUCTION, 'value');
    expectClose(g.gpu.grad!, g.cpu.grad!, REDUCTION, 'd gamma');
    expectClose(x.gpu.grad!, x.cpu.grad!, REDUCTION, 'd input');
  });

  it(`runs on the gpu (${'mode asserted in useGpu'})`, () => {
    expect(gpu.info()['mode']).toBe(mode);
  });
});
