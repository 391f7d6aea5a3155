import { describe, expect, it } from 'vitest';
import { logSoftmax, tensor, type Tensor } from '@tsgrad/tensor';
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, dualFocalLoss, nllLoss, sigmoidFocalLoss, softMarginLoss,
  softmaxFocalLoss, type Reduction,
} from './index.js';
import { allFinite, i32 } from './test-support/harness.js';

/*
 * float32 logits of ±1e4 (softmax and sigmoid saturate to exact 0 and 1): every loss
 * and every gradient — input, weights, γ, α, β — must be finite.
 */

const BIG = 1e4;
const logits = () => tensor([[BIG, -BIG, 0], [-BIG, BIG, BIG], [-BIG, -BIG, -BIG], [0.5, -0.5, BIG]], { requiresGrad: true });
const flat = () => tensor([[BIG, -BIG, 0], [-BIG, BIG, 3]], { requiresGrad: true });
const scalar = (v: number) => tensor(v, { requiresGrad: true });

function expectFiniteLossAndGrads(make: (leaves: Tensor[]) => Tensor, leaves: Tensor[]): void {
  for (const reduction of ['mean', 'sum', 'none'] as Reduction[]) {
    leaves.forEach((l) => (l.grad = null));
    const out = make(leaves.map((l) => l));
    const loss = reduction === 'none' ? out : reduction === 'sum' ? out.sum() : out.mean();
    expect(allFinite(loss)).toBe(true);
    loss.sum().backward();
    leaves.forEach((l, i) => expect(allFinite(l.grad), `gradient of leaf ${i}`).toBe(true));
  }
}

describe('float32 logits of ±1e4: finite losses and gradients', () => {
  const targets = i32([0, 0, 2, 1], [4]);
  it('crossEntropy: indices (weights, smoothing, ignored), probabilities', () => {
    expectFiniteLossAndGrads(([x, w]) => crossEntropy(x!, i32([0, 0, -100, 1], [4]), { weight: w!, labelSmoothing: 0.1, reduction: 'none' }), [logits(), tensor([1, 2, 3], { requiresGrad: true })]);
    expectFiniteLossAndGrads(([x, p]) => crossEntropy(x!, p!, { labelSmoothing: 0.2, reduction: 'none' }), [logits(), tensor([[0.2, 0.3, 0.5], [1, 0, 0], [0, 0, 1], [0, 1, 0]], { requiresGrad: true })]);
  });
  it('nllLoss on logSoftmax', () => {
    expectFiniteLossAndGrads(([x]) => nllLoss(logSoftmax(x!, 1), targets, { reduction: 'none' }), [logits()]);
  });
  it('binaryCrossEntropy on saturated sigmoid probabilities', () => {
    expectFiniteLossAndGrads(([x]) => binaryCrossEntropy(x!.sigmoid(), tensor([[1, 1, 0], [0, 1, 0]]), { reduction: 'none' }), [flat()]);
  });
  it('binaryCrossEntropyWithLogits with weight and posWeight', () => {
    expectFiniteLossAndGrads(
      ([x, w, pw]) => binaryCrossEntropyWithLogits(x!, tensor([[0, 1, 0.5], [1, 0, 1]]), { weight: w!, posWeight: pw!, reduction: 'none' }),
      [flat(), tensor([1, 2, 3], { requiresGrad: true }), tensor([0.5, 2, 4], { requiresGrad: true })],
    );
  });
  it('softMarginLoss', () => {
    expectFiniteLossAndGrads(([x]) => softMarginLoss(x!, tensor([[1, 1, -1], [-1, 1, 1]]), { reduction: 'none' }), [flat()]);
  });
  it('sigmoidFocalLoss with γ a tensor (γ < 1, = 1, > 1)', () => {
    for (const g of [0.25, 1, 2]) {
      expectFiniteLossAndGrads(([x, gamma]) => sigmoidFocalLoss(x!, tensor([[1, 0, 0], [1, 0, 1]]), { gamma: gamma! }), [flat(), scalar(g)]);
    }
  });
  it('softmaxFocalLoss with γ and α tensors', () => {
    for (const g of [0.25, 1, 2]) {
      expectFiniteLossAndGrads(([x, gamma, a]) => softmaxFocalLoss(x!, targets, { gamma: gamma!, alpha: a!, reduction: 'none' }), [logits(), scalar(g), tensor([0.2, 0.3, 0.5], { requiresGrad: true })]);
    }
  });
  it('dualFocalLoss with α, β, γ tensors, ρ = 1 and ρ > 1', () => {
    for (const g of [0.25, 1, 2]) {
      for (const rho of [1, 1.1]) {
        expectFiniteLossAndGrads(
          ([x, a, b, gamma]) => dualFocalLoss(x!, targets, { alpha: a!, beta: b!, gamma: gamma!, rho, reduction: 'none' }),
          [logits(), scalar(1), scalar(1), scalar(g)],
        );
      }
    }
  });
});

describe('strided inputs', () => {
  it('permuted (non-contiguous) logits give the same losses and gradients as a contiguous copy', () => {
    const data = Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) * 3);
    const target = i32([0, 1, 2, 1, 0, 2, 2, 1], [2, 4]);
    const losses = [
      (x: Tensor) => crossEntropy(x, target, { labelSmoothing: 0.1, weight: tensor([1, 2, 3], { dtype: 'float64' }) }),
      (x: Tensor) => softmaxFocalLoss(x, target),
      (x: Tensor) => dualFocalLoss(x, target, { rho: 1.2, gamma: 0.7 }),
    ];
    for (const loss of losses) {
      const a = tensor(data, { dtype: 'float64', shape: [2, 4, 3], requiresGrad: true });
      const b = tensor(data, { dtype: 'float64', shape: [2, 4, 3], requiresGrad: true });
      const la = loss(a.permute([0, 2, 1]));
      const lb = loss(b.permute([0, 2, 1]).contiguous());
      expect(la.item()).toBeCloseTo(lb.item(), 14);
      la.backward();
      lb.backward();
      const ga = a.grad!.dataSync();
      const gb = b.grad!.dataSync();
      for (let i = 0; i < ga.length; i++) expect(ga[i]!).toBeCloseTo(gb[i]!, 14);
    }
  });
});
