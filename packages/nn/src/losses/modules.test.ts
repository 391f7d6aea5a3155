import { describe, expect, it } from 'vitest';
import { grad, noGrad, sigmoid, tensor, type Tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { Module } from '../module.js';
import { Adam, SGD } from '../optim/index.js';
import {
  BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, DualFocalLoss, NLLLoss, SigmoidFocalLoss, SoftMarginLoss, SoftmaxFocalLoss,
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, dualFocalLoss, nllLoss, sigmoidFocalLoss, softMarginLoss, softmaxFocalLoss,
} from './index.js';
import { assertClose, f64, i32, ints, uniform } from './test-support/harness.js';

const next = mulberry32(42);
const logits = f64(uniform(next, 2 * 4 * 3), [2, 4, 3]);
const index = i32([0, 3, -100, 2, 1, 1], [2, 3]);
const dense = i32(ints(next, 6, 0, 4), [2, 3]);
const probs = f64(uniform(next, 12, 0.05, 0.95), [3, 4]);
const binary = f64(uniform(next, 12, 0, 1).map(Math.round), [3, 4]);

describe('loss modules equal their functions', () => {
  const weight = f64([0.5, 1, 2, 1.5], [4]);
  const cases: [string, Module, () => Tensor, Tensor, Tensor][] = [
    ['CrossEntropyLoss', new CrossEntropyLoss({ weight, labelSmoothing: 0.1 }), () => crossEntropy(logits, index, { weight, labelSmoothing: 0.1 }), logits, index],
    ['NLLLoss', new NLLLoss({ reduction: 'sum' }), () => nllLoss(logits, index, { reduction: 'sum' }), logits, index],
    ['BCELoss', new BCELoss({ weight: f64([1, 2, 3, 4], [4]) }), () => binaryCrossEntropy(probs, binary, { weight: f64([1, 2, 3, 4], [4]) }), probs, binary],
    ['BCEWithLogitsLoss', new BCEWithLogitsLoss({ posWeight: f64([1, 2, 3, 4], [4]) }), () => binaryCrossEntropyWithLogits(probs, binary, { posWeight: f64([1, 2, 3, 4], [4]) }), probs, binary],
    ['SoftMarginLoss', new SoftMarginLoss({ reduction: 'none' }), () => softMarginLoss(probs, binary.mul(2).sub(1), { reduction: 'none' }), probs, binary.mul(2).sub(1)],
    ['SigmoidFocalLoss', new SigmoidFocalLoss({ alpha: 0.3, gamma: 1.5 }), () => sigmoidFocalLoss(probs, binary, { alpha: 0.3, gamma: 1.5 }), probs, binary],
    ['SoftmaxFocalLoss', new SoftmaxFocalLoss({ alpha: weight, gamma: 3 }), () => softmaxFocalLoss(logits, index, { alpha: weight, gamma: 3 }), logits, index],
    ['DualFocalLoss', new DualFocalLoss({ alpha: 0.5, beta: 2, rho: 1.3, gamma: 2 }), () => dualFocalLoss(logits, dense, { alpha: 0.5, beta: 2, rho: 1.3, gamma: 2 }), logits, dense],
  ];
  for (const [name, module, functional, input, target] of cases) {
    it(name, () => {
      assertClose(module.forward(input, target).dataSync(), functional().dataSync(), 1e-15, name);
      expect(module.parameters()).toEqual([]);
    });
  }

  it('expose their options like PyTorch modules', () => {
    const m = new CrossEntropyLoss();
    expect([m.ignoreIndex, m.reduction, m.labelSmoothing, m.weight]).toEqual([-100, 'mean', 0, undefined]);
    expect(new SigmoidFocalLoss().reduction).toBe('none');
    const d = new DualFocalLoss();
    expect([d.alpha, d.beta, d.rho, d.gamma, d.reduction]).toEqual([1, 1, 1, 1, 'mean']);
  });
});

describe('trainable gamma', () => {
  it('starts at init, inside [min, max], with θ listed in parameters()', () => {
    const loss = new DualFocalLoss({ gamma: { init: 2, trainable: true, min: 0.5, max: 5 } });
    expect(loss.gamma).toBeCloseTo(2, 6);
    expect(loss.namedParameters().map(([k]) => k)).toEqual(['gammaTheta']);
    expect(loss.gammaTheta!.requiresGrad).toBe(true);
    const fixed = new DualFocalLoss({ gamma: { init: 2, trainable: false, min: 0.5, max: 5 } });
    expect(fixed.parameters()).toEqual([]);
    expect(fixed.gamma).toBe(2);
  });

  it('receives the chain-rule gradient ∂l/∂γ · (max − min)·σ′(θ)', () => {
    const loss = new DualFocalLoss({ gamma: { init: 1.5, min: 0.5, max: 4, dtype: 'float64' } });
    const l = loss.forward(logits, dense);
    const [gTheta] = grad([l], [loss.gammaTheta!]);
    const gamma = f64([loss.gamma], [], true);
    const [gGamma] = grad([dualFocalLoss(logits, dense, { gamma })], [gamma]);
    const s = noGrad(() => sigmoid(loss.gammaTheta!).item());
    expect(gTheta!.item()).toBeCloseTo(gGamma!.item() * 3.5 * s * (1 - s), 12);
    expect(gGamma!.item()).toBeLessThan(0);
  });

  for (const [name, make] of [
    ['DualFocalLoss', () => new DualFocalLoss({ gamma: { init: 2, min: 0.5, max: 5 } })],
    ['SoftmaxFocalLoss', () => new SoftmaxFocalLoss({ gamma: { init: 2, min: 0.5, max: 5 } })],
  ] as const) {
    it(`${name}: manual SGD steps (noGrad + assign_) move γ up and keep it in [min, max]`, () => {
      const loss = make();
      const x = tensor([[2, -1, 0.5], [0.1, 0.3, -0.2], [-1, 3, 0]]);
      const t = i32([0, 1, 2], [3]);
      const start = loss.gamma;
      const theta = loss.gammaTheta!;
      for (let step = 0; step < 25; step++) {
        loss.zeroGrad();
        loss.forward(x, t).backward();
        noGrad(() => theta.assign_(theta.sub(theta.grad!.mul(50))));
        expect(loss.gamma).toBeGreaterThanOrEqual(0.5);
        expect(loss.gamma).toBeLessThanOrEqual(5);
      }
      // The loss alone always pushes γ up (∂l/∂γ ≤ 0); the sigmoid stops it at max.
      expect(loss.gamma).toBeGreaterThan(start);
    });
  }

  it('is updated by the optimisers (Adam, SGD) with the model, and stays bounded', () => {
    const loss = new DualFocalLoss({ gamma: { init: 1, min: 0.5, max: 3 } });
    const w = tensor(uniform(mulberry32(9), 12, -0.5, 0.5), { shape: [4, 3], requiresGrad: true });
    const x = tensor(uniform(mulberry32(10), 20), { shape: [5, 4] });
    const t = i32([0, 1, 2, 1, 0], [5]);
    const adam = new Adam([w, ...loss.parameters()], { lr: 0.3 });
    const history: number[] = [];
    for (let step = 0; step < 30; step++) {
      adam.zeroGrad();
      loss.forward(x.matmul(w), t).backward();
      adam.step();
      history.push(loss.gamma);
    }
    expect(history[history.length - 1]!).toBeGreaterThan(1);
    for (const g of history) expect(g >= 0.5 && g <= 3).toBe(true);

    const focal = new SigmoidFocalLoss({ gamma: { init: 2, min: 1, max: 4 }, reduction: 'mean' });
    const sgd = new SGD(focal.parameters(), { lr: 1000 });
    for (let step = 0; step < 10; step++) {
      sgd.zeroGrad();
      focal.forward(tensor([[0.3, -2, 1]]), tensor([[1, 0, 0]])).backward();
      sgd.step();
      expect(focal.gamma >= 1 && focal.gamma <= 4).toBe(true);
    }
  });

  it('round-trips through stateDict / loadStateDict', () => {
    const a = new DualFocalLoss({ gamma: { init: 3, min: 0.5, max: 5 } });
    const b = new DualFocalLoss({ gamma: { init: 1, min: 0.5, max: 5 } });
    b.loadStateDict(a.stateDict());
    expect(b.gamma).toBeCloseTo(3, 6);
  });

  it('accepts a 0-d tensor for gamma, which then receives the gradient itself', () => {
    const gamma = f64([2], [], true);
    const loss = new SoftmaxFocalLoss({ gamma });
    loss.forward(logits, index).backward();
    expect(gamma.grad).not.toBeNull();
    expect(loss.gamma).toBe(2);
  });
});
