import { describe, expect, it } from 'vitest';
import { grad, logSoftmax, tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { crossEntropy, dualFocalLoss, log1mSoftmax } from './index.js';
import { allFinite, assertClose, expectMatchesReference, f64, i32, ints, numel, param, uniform } from './test-support/harness.js';
import { layoutOf, refDualFocalLoss, rowAt, softmaxRow, type Reduction } from './test-support/reference.js';

const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

function tShapeOf(shape: number[]): number[] {
  return shape.length === 1 ? [] : [shape[0]!, ...shape.slice(2)];
}

describe('dualFocalLoss against the paper formula', () => {
  const SHAPES = [[4, 3], [2, 5, 3], [2, 3, 2, 2], [4]];
  const OPTIONS = [
    { alpha: 1, beta: 1, gamma: 1, rho: 1 },
    { alpha: 0.7, beta: 2, gamma: 2.5, rho: 1 },
    { alpha: 1.5, beta: 0.5, gamma: 0.6, rho: 1 },
    { alpha: 1, beta: 1, gamma: 1.5, rho: 1.5 },
  ];
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      for (const o of OPTIONS) {
        it(`shape [${shape}], ${reduction}, ${JSON.stringify(o)} (gradients w.r.t. input, α, β, γ)`, () => {
          const next = mulberry32(numel(shape) * 17 + o.gamma * 100);
          const C = shape.length === 1 ? shape[0]! : shape[1]!;
          const tShape = tShapeOf(shape);
          const t = ints(next, numel(tShape), 0, C);
          const x = uniform(next, numel(shape));
          expectMatchesReference({
            label: 'dualFocalLoss',
            params: [param(x, shape), param([o.alpha], []), param([o.beta], []), param([o.gamma], [])],
            impl: ([xt, at, bt, gt]) => dualFocalLoss(xt!, i32(t, tShape), { alpha: at!, beta: bt!, gamma: gt!, rho: o.rho, reduction }),
            ref: ([xv, av, bv, gv]) => refDualFocalLoss(xv!, shape, t, { alpha: av![0]!, beta: bv![0]!, gamma: gv![0]!, rho: o.rho, reduction }),
          });
        });
      }
    }
  }

  it("uses the defaults α = β = γ = ρ = 1 and 'mean' over all N·d1·… positions", () => {
    const next = mulberry32(2);
    const x = uniform(next, 2 * 3 * 4);
    const t = ints(next, 8, 0, 3);
    const l = dualFocalLoss(f64(x, [2, 3, 4]), i32(t, [2, 4]));
    expect(l.shape).toEqual([]);
    expect(l.item()).toBeCloseTo(refDualFocalLoss(x, [2, 3, 4], t)[0]!, 12);
    const none = dualFocalLoss(f64(x, [2, 3, 4]), i32(t, [2, 4]), { reduction: 'none' });
    expect(none.shape).toEqual([2, 4]);
  });

  it('with α = β = 0 equals crossEntropy per position', () => {
    const next = mulberry32(3);
    const x = uniform(next, 3 * 4 * 2);
    const t = i32(ints(next, 6, 0, 4), [3, 2]);
    const xa = f64(x, [3, 4, 2], true);
    const xb = f64(x, [3, 4, 2], true);
    const a = dualFocalLoss(xa, t, { alpha: 0, beta: 0, gamma: 2, reduction: 'none' });
    const b = crossEntropy(xb, t, { reduction: 'none' });
    assertClose(a.dataSync(), b.dataSync(), 1e-14, 'values');
    const [ga] = grad([a.sum()], [xa]);
    const [gb] = grad([b.sum()], [xb]);
    assertClose(ga!.dataSync(), gb!.dataSync(), 1e-14, 'gradients');
  });

  it('gives ∂l/∂γ = α Σ_c |y_c − p_c|^γ log|y_c − p_c| ≤ 0', () => {
    const next = mulberry32(4);
    const shape = [5, 4];
    const x = uniform(next, 20);
    const t = ints(next, 5, 0, 4);
    const gamma = f64([1.7], [], true);
    const alpha = 0.8;
    const l = dualFocalLoss(f64(x, shape), i32(t, [5]), { gamma, alpha, reduction: 'sum' });
    l.backward();
    const L = layoutOf(shape);
    let expected = 0;
    for (let n = 0; n < 5; n++) {
      const p = softmaxRow(rowAt(x, L, n, 0));
      p.forEach((pc, c) => {
        const a = Math.abs((c === t[n] ? 1 : 0) - pc);
        expected += alpha * a ** 1.7 * Math.log(a);
      });
    }
    expect(gamma.grad!.item()).toBeCloseTo(expected, 12);
    expect(gamma.grad!.item()).toBeLessThan(0);
  });
});

describe('log1mSoftmax: log(1 − softmax) without an epsilon', () => {
  it('keeps full relative precision when p rounds to 1', () => {
    const x = f64([30, 0, -5, 0.5, 0.2, 0.1], [2, 3]);
    const got = log1mSoftmax(x).dataSync();
    // Row 0, class 0: log(e^0 + e^-5) − logSumExp(30, 0, −5), no cancellation.
    const lse = 30 + Math.log1p(Math.exp(-30) + Math.exp(-35));
    expect(got[0]! / (Math.log1p(Math.exp(-5)) - lse)).toBeCloseTo(1, 14);
    const p = softmaxRow([0.5, 0.2, 0.1]);
    assertClose(Array.from(got).slice(3), p.map((v) => Math.log1p(-v)), 1e-14, 'row 1');
    // float32: naive log(1 − p) is log(0) = −∞ here.
    const x32 = tensor([[20, 0]]);
    const g32 = log1mSoftmax(x32, -1).dataSync();
    expect(g32[0]! / -20).toBeCloseTo(1, 6);
  });

  it('works along any dim and accepts a precomputed logSoftmax', () => {
    const x = f64([3, -1, 0.5, 8, 2, 2, -4, 0, 1], [3, 3]);
    const a = log1mSoftmax(x, 1).dataSync();
    const b = log1mSoftmax(x.transpose(0, 1), 0, logSoftmax(x.transpose(0, 1), 0)).transpose(0, 1).contiguous().dataSync();
    assertClose(b, a, 1e-15, 'dim 0 vs dim 1');
    for (let r = 0; r < 3; r++) {
      const p = softmaxRow([0, 1, 2].map((c) => x.dataSync()[r * 3 + c]!));
      assertClose(Array.from(a).slice(r * 3, r * 3 + 3), p.map((v) => Math.log(1 - v)), 1e-12, `row ${r}`);
    }
  });

  it('has finite first and second derivatives at saturated logits', () => {
    const x = f64([1e4, -1e4, 0, 3, 3, 3], [2, 3], true);
    const y = log1mSoftmax(x);
    expect(allFinite(y)).toBe(true);
    const [g] = grad([y.sum()], [x], { createGraph: true });
    expect(allFinite(g)).toBe(true);
    const [h] = grad([g!.mul(f64([1, 2, 3, 4, 5, 6], [2, 3])).sum()], [x]);
    expect(allFinite(h)).toBe(true);
  });
});

describe('dualFocalLoss at saturated logits', () => {
  it('float32 logits of ±1e4: finite loss and finite gradients w.r.t. input, α, β and γ (γ < 1 too)', () => {
    for (const g of [0.3, 1, 2.5]) {
      for (const rho of [1, 1.2]) {
        const x = tensor([[1e4, -1e4, 0], [-1e4, 1e4, 1e4], [0.1, 0.2, 0.3]], { requiresGrad: true });
        const gamma = tensor(g, { requiresGrad: true });
        const alpha = tensor(1, { requiresGrad: true });
        const beta = tensor(1, { requiresGrad: true });
        const l = dualFocalLoss(x, i32([0, 0, 2], [3]), { gamma, alpha, beta, rho });
        l.backward();
        expect(Number.isFinite(l.item())).toBe(true);
        for (const t of [x.grad, gamma.grad, alpha.grad, beta.grad]) expect(allFinite(t)).toBe(true);
      }
    }
  });

  it('γ gets exactly 0 from a position whose |y − p| underflows to 0', () => {
    const gamma = tensor(0.5, { requiresGrad: true });
    dualFocalLoss(tensor([[1e4, -1e4, -1e4]]), i32([0], [1]), { gamma }).backward();
    expect(gamma.grad!.item()).toBe(0);
  });
});
