import { describe, expect, it } from 'vitest';
import { tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, softMarginLoss } from './index.js';
import { allFinite, assertClose, expectMatchesReference, f64, i32, numel, param, uniform } from './test-support/harness.js';
import {
  broadcastTo, refBinaryCrossEntropy, refBinaryCrossEntropyWithLogits, refSoftMarginLoss, type Reduction,
} from './test-support/reference.js';

const SHAPES: number[][] = [[5], [3, 4], [2, 3, 2]];
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

describe('binaryCrossEntropy', () => {
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      for (const weightShape of [null, shape.slice(-1), [1, ...shape.slice(1)]]) {
        it(`shape [${shape}], ${reduction}, weight ${weightShape ? `[${weightShape}]` : 'none'}`, () => {
          const next = mulberry32(numel(shape) * 3 + 1);
          const p = uniform(next, numel(shape), 0.02, 0.98);
          const t = uniform(next, numel(shape), 0, 1);
          const w = weightShape ? uniform(next, numel(weightShape), 0.2, 2) : null;
          const params = [param(p, shape), param(t, shape), ...(w ? [param(w, weightShape!)] : [])];
          expectMatchesReference({
            label: 'binaryCrossEntropy',
            params,
            impl: ([pt, tt, wt]) => binaryCrossEntropy(pt!, tt!, { reduction, ...(wt ? { weight: wt } : {}) }),
            ref: ([pv, tv, wv]) => refBinaryCrossEntropy(pv!, tv!, wv ? broadcastTo(wv, weightShape!, shape) : undefined, reduction),
          });
        });
      }
    }
  }

  it('clamps each log at -100 like PyTorch: p = 0 or 1 gives a finite loss and gradient', () => {
    const p = f64([0, 1, 0, 1, 0.5], [5], true);
    const t = f64([1, 0, 0, 1, 1], [5]);
    const l = binaryCrossEntropy(p, t, { reduction: 'none' });
    assertClose(l.dataSync(), [100, 100, 0, 0, Math.LN2], 1e-12, 'clamped values');
    l.sum().backward();
    expect(allFinite(p.grad)).toBe(true);
    // Where the log is clamped the function is constant, so its gradient is 0.
    assertClose(p.grad!.dataSync(), [0, 0, 1, -1, -2], 1e-12, 'gradient');
    const p32 = tensor([0, 1, 1e-30, 1 - 1e-7], { requiresGrad: true });
    const l32 = binaryCrossEntropy(p32, tensor([1, 0, 1, 0]));
    l32.backward();
    expect(Number.isFinite(l32.item())).toBe(true);
    expect(allFinite(p32.grad)).toBe(true);
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      for (const opts of [{}, { weight: true }, { posWeight: true }, { weight: true, posWeight: true }] as { weight?: boolean; posWeight?: boolean }[]) {
        it(`shape [${shape}], ${reduction}, ${JSON.stringify(opts)}`, () => {
          const next = mulberry32(numel(shape) * 5 + 2);
          const x = uniform(next, numel(shape), -4, 4);
          const t = uniform(next, numel(shape), 0, 1);
          const last = shape[shape.length - 1]!;
          const w = opts.weight ? uniform(next, numel(shape), 0.2, 2) : null;
          const pw = opts.posWeight ? uniform(next, last, 0.3, 3) : null;
          const params = [param(x, shape), param(t, shape)];
          if (w) params.push(param(w, shape));
          if (pw) params.push(param(pw, [last]));
          const wi = w ? 2 : -1;
          const pi = pw ? params.length - 1 : -1;
          expectMatchesReference({
            label: 'binaryCrossEntropyWithLogits',
            params,
            impl: (a) => binaryCrossEntropyWithLogits(a[0]!, a[1]!, {
              reduction, ...(wi >= 0 ? { weight: a[wi]! } : {}), ...(pi >= 0 ? { posWeight: a[pi]! } : {}),
            }),
            ref: (a) => refBinaryCrossEntropyWithLogits(a[0]!, a[1]!, wi >= 0 ? a[wi] : undefined, pi >= 0 ? broadcastTo(a[pi]!, [last], shape) : undefined, reduction),
          });
        });
      }
    }
  }

  it('is exact for huge logits in both directions (max(x,0) − x·z + log1p(exp(−|x|)))', () => {
    const x = f64([800, -800, 50, -50], [4], true);
    const z = f64([1, 0, 0, 1], [4]);
    const l = binaryCrossEntropyWithLogits(x, z, { reduction: 'none' });
    assertClose(l.dataSync(), [0, 0, 50, 50], 1e-12, 'values');
    const lp = binaryCrossEntropyWithLogits(f64([800, -800], [2]), f64([1, 0], [2]), { reduction: 'none', posWeight: f64([3], [1]) });
    assertClose(lp.dataSync(), [0, 0], 1e-12, 'values with posWeight');
    l.sum().backward();
    assertClose(x.grad!.dataSync(), [0, 0, 1, -1], 1e-12, 'gradient');
  });

  it('has gradient σ(x) − z at x = 0 (the true derivative, not a subgradient)', () => {
    const x = f64([0, 0], [2], true);
    binaryCrossEntropyWithLogits(x, f64([0, 1], [2]), { reduction: 'sum' }).backward();
    assertClose(x.grad!.dataSync(), [0.5, -0.5], 1e-15, 'gradient at 0');
  });
});

describe('softMarginLoss', () => {
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      it(`shape [${shape}], ${reduction}`, () => {
        const next = mulberry32(numel(shape) + 77);
        const x = uniform(next, numel(shape), -4, 4);
        const y = uniform(next, numel(shape)).map((v) => (v > 0 ? 1 : -1));
        expectMatchesReference({
          label: 'softMarginLoss',
          params: [param(x, shape), param(y, shape)],
          impl: ([xt, yt]) => softMarginLoss(xt!, yt!, { reduction }),
          ref: ([xv, yv]) => refSoftMarginLoss(xv!, yv!, reduction),
        });
      });
    }
  }

  it('accepts int32 ±1 labels and equals binaryCrossEntropyWithLogits with z = (y + 1)/2', () => {
    const x = f64([-2, 0.5, 3, -0.1], [4]);
    const a = softMarginLoss(x, i32([1, -1, 1, -1], [4]), { reduction: 'none' });
    const b = binaryCrossEntropyWithLogits(x, f64([1, 0, 1, 0], [4]), { reduction: 'none' });
    assertClose(a.dataSync(), b.dataSync(), 1e-15, 'logistic loss');
  });

  it('stays finite where log1p(exp(−y·x)) would overflow', () => {
    const x = tensor([1e4, -1e4], { requiresGrad: true });
    const l = softMarginLoss(x, tensor([-1, 1]), { reduction: 'sum' });
    expect(l.item()).toBeCloseTo(2e4, 0);
    l.backward();
    assertClose(x.grad!.dataSync(), [1, -1], 1e-7, 'gradient');
  });
});
