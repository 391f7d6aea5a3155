import { describe, expect, it } from 'vitest';
import { grad, pow, tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { binaryCrossEntropyWithLogits, crossEntropy, sigmoidFocalLoss, softmaxFocalLoss } from './index.js';
import { allFinite, assertClose, expectMatchesReference, f64, i32, ints, numel, param, uniform } from './test-support/harness.js';
import { refSigmoidFocalLoss, refSoftmaxFocalLoss, type Reduction } from './test-support/reference.js';

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

describe('sigmoidFocalLoss (torchvision.ops.sigmoid_focal_loss)', () => {
  for (const shape of [[6], [3, 4], [2, 3, 2]]) {
    for (const reduction of REDUCTIONS) {
      for (const { alpha, gamma } of [{ alpha: 0.25, gamma: 2 }, { alpha: -1, gamma: 1.5 }, { alpha: 0.7, gamma: 0.5 }, { alpha: 0.25, gamma: 0 }]) {
        it(`shape [${shape}], ${reduction}, alpha ${alpha}, gamma ${gamma} (values; gradients w.r.t. input, target and γ)`, () => {
          const next = mulberry32(numel(shape) * 13 + gamma * 10);
          const x = uniform(next, numel(shape), -4, 4);
          const t = uniform(next, numel(shape)).map((v, i) => (i % 3 === 2 ? (v + 3) / 6 : v > 0 ? 1 : 0));
          expectMatchesReference({
            label: 'sigmoidFocalLoss',
            // γ = 0 is the edge of the domain: differentiate w.r.t. it only inside.
            params: gamma > 0 ? [param(x, shape), param(t, shape), param([gamma], [])] : [param(x, shape), param(t, shape)],
            impl: ([xt, tt, gt]) => sigmoidFocalLoss(xt!, tt!, { alpha, gamma: gt ?? gamma, reduction }),
            ref: ([xv, tv, gv]) => refSigmoidFocalLoss(xv!, tv!, alpha, gv ? gv[0]! : gamma, reduction),
          });
        });
      }
    }
  }

  it("defaults to alpha 0.25, gamma 2, reduction 'none' like torchvision", () => {
    const x = f64([-1, 0.3, 2], [3]);
    const t = f64([0, 1, 1], [3]);
    const l = sigmoidFocalLoss(x, t);
    expect(l.shape).toEqual([3]);
    assertClose(l.dataSync(), refSigmoidFocalLoss([-1, 0.3, 2], [0, 1, 1]), 1e-12, 'defaults');
  });

  it('with gamma 0 and alpha < 0 equals binaryCrossEntropyWithLogits', () => {
    const next = mulberry32(8);
    const x = uniform(next, 12, -5, 5);
    const t = uniform(next, 12, 0, 1);
    for (const reduction of REDUCTIONS) {
      const a = sigmoidFocalLoss(f64(x, [3, 4]), f64(t, [3, 4]), { gamma: 0, alpha: -1, reduction });
      const b = binaryCrossEntropyWithLogits(f64(x, [3, 4]), f64(t, [3, 4]), { reduction });
      assertClose(a.dataSync(), b.dataSync(), 1e-14, reduction);
    }
  });

  it('gives γ a zero (not NaN) gradient where 1 − p_t is exactly 0, also for γ < 1', () => {
    for (const g of [0.5, 1, 2]) {
      const x = tensor([1e4, -1e4, 40, 0.3], { requiresGrad: true });
      const gamma = tensor(g, { requiresGrad: true });
      const l = sigmoidFocalLoss(x, tensor([1, 0, 1, 1]), { gamma, reduction: 'sum' });
      l.backward();
      expect(allFinite(x.grad)).toBe(true);
      expect(allFinite(gamma.grad)).toBe(true);
      expect(x.grad!.dataSync()[0]).toBe(0);
    }
  });
});

describe('softmaxFocalLoss', () => {
  const SHAPES = [[5, 3], [2, 4, 3], [2, 3, 2, 2], [4]];
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      const alphas: (undefined | number | 'vector')[] = [undefined, 0.25, 'vector'];
      for (const alpha of alphas) {
        for (const ignore of [false, true]) {
          it(`shape [${shape}], ${reduction}, alpha ${alpha ?? 'none'}${ignore ? ', ignored targets' : ''} (gradients w.r.t. input, γ, α)`, () => {
            const next = mulberry32(numel(shape) * 31 + (ignore ? 1 : 0));
            const C = shape.length === 1 ? shape[0]! : shape[1]!;
            const tShape = shape.length === 1 ? [] : [shape[0]!, ...shape.slice(2)];
            const t = ints(next, numel(tShape), 0, C);
            if (ignore && t.length > 1) for (let i = 1; i < t.length; i += 3) t[i] = -100;
            const x = uniform(next, numel(shape));
            const gamma = 1.5;
            const params = [param(x, shape), param([gamma], [])];
            if (alpha === 'vector') params.push(param(uniform(next, C, 0.1, 1), [C]));
            else if (alpha !== undefined) params.push(param([alpha], []));
            expectMatchesReference({
              label: 'softmaxFocalLoss',
              params,
              impl: ([xt, gt, at]) => softmaxFocalLoss(xt!, i32(t, tShape), { gamma: gt!, reduction, ...(at ? { alpha: at } : {}) }),
              ref: ([xv, gv, av]) => refSoftmaxFocalLoss(xv!, shape, t, {
                gamma: gv![0]!, reduction, ...(av ? { alpha: alpha === 'vector' ? av : av[0]! } : {}),
              }),
            });
          });
        }
      }
    }
  }

  it('with gamma 0 equals crossEntropy (value and gradient, K-dim, ignored targets)', () => {
    const next = mulberry32(21);
    const x = uniform(next, 2 * 4 * 3);
    const t = i32([0, 3, -100, 2, 1, -100], [2, 3]);
    for (const reduction of REDUCTIONS) {
      const xa = f64(x, [2, 4, 3], true);
      const xb = f64(x, [2, 4, 3], true);
      const a = softmaxFocalLoss(xa, t, { gamma: 0, reduction });
      const b = crossEntropy(xb, t, { reduction });
      assertClose(a.dataSync(), b.dataSync(), 1e-14, reduction);
      const [ga] = grad([a.sum()], [xa]);
      const [gb] = grad([b.sum()], [xb]);
      assertClose(ga!.dataSync(), gb!.dataSync(), 1e-13, `${reduction} gradient`);
    }
  });

  it('is finite with a zero γ-gradient contribution where p_t rounds to 1', () => {
    for (const g of [0.5, 2]) {
      const x = tensor([[1e4, -1e4, 0], [0.2, 0.1, -0.3]], { requiresGrad: true });
      const gamma = tensor(g, { requiresGrad: true });
      const l = softmaxFocalLoss(x, i32([0, 2], [2]), { gamma });
      l.backward();
      expect(Number.isFinite(l.item())).toBe(true);
      expect(allFinite(x.grad)).toBe(true);
      expect(allFinite(gamma.grad)).toBe(true);
    }
  });
});

describe('the core pow VJP at a zero base (what the focal terms rely on)', () => {
  it('gives ∂/∂γ 0^γ = 0 for γ ≥ 0 and finite second derivatives', () => {
    const a = f64([0, 0.5], [2], true);
    const gamma = f64([2], [], true);
    const [gg] = grad([pow(a, gamma).sum()], [gamma], { createGraph: true });
    expect(gg!.item()).toBeCloseTo(0.25 * Math.log(0.5), 14);
    const [g2] = grad([gg!], [gamma]);
    expect(g2!.item()).toBeCloseTo(0.25 * Math.log(0.5) ** 2, 14);
  });
});
