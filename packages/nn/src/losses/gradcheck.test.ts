import { describe, it } from 'vitest';
import fc from 'fast-check';
import { grad, noGrad, type Tensor } from '@tsgrad/tensor';
import { gradcheck, gradgradcheck, mulberry32 } from '@tsgrad/testing';
import {
  DualFocalLoss, SoftmaxFocalLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, dualFocalLoss, nllLoss,
  sigmoidFocalLoss, softMarginLoss, softmaxFocalLoss, type Reduction,
} from './index.js';
import { f64, i32, ints, numel, uniform } from './test-support/harness.js';

/*
 * Property tests: for random shapes (batched and unbatched, K-dim), random options and
 * random data, autograd's gradients of every loss agree with central differences of
 * the loss itself (float64), with respect to the input and every differentiable
 * coefficient (γ; α and β for DFL). Second derivatives for crossEntropy and DFL.
 */

const RUNS = { numRuns: 60 };

interface ClassCase {
  shape: number[];
  C: number;
  tShape: number[];
  seed: number;
  reduction: Reduction;
}

const arbReduction = fc.constantFrom<Reduction>('mean', 'sum', 'none');

const arbClassCase: fc.Arbitrary<ClassCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 3 }),
    C: fc.integer({ min: 2, max: 4 }),
    extra: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 2 }),
    unbatched: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 30 }),
    reduction: arbReduction,
  })
  .map(({ N, C, extra, unbatched, seed, reduction }) => {
    const shape = unbatched ? [C] : [N, C, ...extra];
    const tShape = unbatched ? [] : [N, ...extra];
    return { shape, C, tShape, seed, reduction };
  });

const arbBinaryCase = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
  reduction: arbReduction,
});

/** Class targets; with `ignore`, every second one after the first is ignoreIndex. */
function classTargets(c: ClassCase, next: () => number, ignore: boolean): Tensor {
  const t = ints(next, numel(c.tShape), 0, c.C);
  if (ignore) for (let i = 1; i < t.length; i += 2) t[i] = -100;
  return i32(t, c.tShape);
}

describe('gradcheck (float64, random shapes and options)', () => {
  it('crossEntropy: index targets with weight / ignoreIndex / labelSmoothing, and probability targets', () => {
    fc.assert(
      fc.property(arbClassCase, fc.boolean(), fc.boolean(), fc.constantFrom(0, 0.15, 0.6), fc.boolean(), (c, weighted, ignore, labelSmoothing, probabilities) => {
        const next = mulberry32(c.seed);
        const x = f64(uniform(next, numel(c.shape)), c.shape, true);
        const w = weighted ? f64(uniform(next, c.C, 0.3, 2), [c.C], true) : undefined;
        const target = probabilities ? f64(uniform(next, numel(c.shape), 0, 1), c.shape, true) : classTargets(c, next, ignore);
        const inputs = [x, ...(w ? [w] : []), ...(probabilities ? [target] : [])];
        gradcheck(
          (xi, wi, ti) => crossEntropy(xi!, probabilities ? (w ? ti! : wi!) : target, { reduction: c.reduction, labelSmoothing, ...(w ? { weight: wi! } : {}) }),
          inputs,
        );
      }),
      RUNS,
    );
  });

  it('nllLoss', () => {
    fc.assert(
      fc.property(arbClassCase, fc.boolean(), (c, ignore) => {
        const next = mulberry32(c.seed);
        const x = f64(uniform(next, numel(c.shape), -3, 0), c.shape, true);
        const w = f64(uniform(next, c.C, 0.3, 2), [c.C], true);
        const t = classTargets(c, next, ignore);
        gradcheck((xi, wi) => nllLoss(xi!, t, { weight: wi!, reduction: c.reduction }), [x, w]);
      }),
      RUNS,
    );
  });

  it('binaryCrossEntropy, binaryCrossEntropyWithLogits (weight, posWeight), softMarginLoss', () => {
    fc.assert(
      fc.property(arbBinaryCase, ({ shape, seed, reduction }) => {
        const next = mulberry32(seed);
        const n = numel(shape);
        const last = shape[shape.length - 1]!;
        const p = f64(uniform(next, n, 0.05, 0.95), shape, true);
        const x = f64(uniform(next, n, -4, 4), shape, true);
        // Targets stay a finite-difference step inside [0, 1]: binaryCrossEntropy rejects
        // targets outside it (as PyTorch does), and gradcheck perturbs t by ±eps.
        const t = f64(uniform(next, n, 0.01, 0.99), shape, true);
        const w = f64(uniform(next, last, 0.3, 2), [last], true);
        const pw = f64(uniform(next, last, 0.3, 3), [last], true);
        const y = f64(uniform(next, n).map((v) => (v > 0 ? 1 : -1)), shape);
        gradcheck((pi, ti, wi) => binaryCrossEntropy(pi!, ti!, { weight: wi!, reduction }), [p, t, w]);
        gradcheck((xi, ti, wi, pwi) => binaryCrossEntropyWithLogits(xi!, ti!, { weight: wi!, posWeight: pwi!, reduction }), [x, t, w, pw]);
        gradcheck((xi) => softMarginLoss(xi!, y, { reduction }), [x]);
      }),
      // The case that once drew a target within eps of 0 (CI, 2026-12-01).
      { ...RUNS, examples: [[{ shape: [2, 2], seed: 904342083, reduction: 'mean' }]] },
    );
  });

  it('sigmoidFocalLoss w.r.t. input, target and γ', () => {
    fc.assert(
      fc.property(arbBinaryCase, fc.double({ min: 0.3, max: 3, noNaN: true }), fc.constantFrom(0.25, -1, 0.8), ({ shape, seed, reduction }, gamma, alpha) => {
        const next = mulberry32(seed);
        const n = numel(shape);
        const x = f64(uniform(next, n, -4, 4), shape, true);
        const t = f64(uniform(next, n, 0, 1), shape, true);
        const g = f64([gamma], [], true);
        gradcheck((xi, ti, gi) => sigmoidFocalLoss(xi!, ti!, { gamma: gi!, alpha, reduction }), [x, t, g]);
      }),
      RUNS,
    );
  });

  it('softmaxFocalLoss w.r.t. input, γ and a per-class α', () => {
    fc.assert(
      fc.property(arbClassCase, fc.double({ min: 0.3, max: 3, noNaN: true }), fc.boolean(), (c, gamma, ignore) => {
        const next = mulberry32(c.seed);
        const x = f64(uniform(next, numel(c.shape)), c.shape, true);
        const g = f64([gamma], [], true);
        const a = f64(uniform(next, c.C, 0.1, 1), [c.C], true);
        const t = classTargets(c, next, ignore);
        gradcheck((xi, gi, ai) => softmaxFocalLoss(xi!, t, { gamma: gi!, alpha: ai!, reduction: c.reduction }), [x, g, a]);
      }),
      RUNS,
    );
  });

  it('dualFocalLoss w.r.t. input, α, β and γ (ρ = 1 and ρ > 1)', () => {
    fc.assert(
      fc.property(
        arbClassCase, fc.double({ min: 0.3, max: 3, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), fc.constantFrom(1, 1.25, 2),
        (c, gamma, alpha, beta, rho) => {
          const next = mulberry32(c.seed);
          const x = f64(uniform(next, numel(c.shape)), c.shape, true);
          const t = classTargets(c, next, false);
          const params = [x, f64([alpha], [], true), f64([beta], [], true), f64([gamma], [], true)];
          gradcheck((xi, ai, bi, gi) => dualFocalLoss(xi!, t, { alpha: ai!, beta: bi!, gamma: gi!, rho, reduction: c.reduction }), params);
        },
      ),
      RUNS,
    );
  });

  it('loss modules with a trainable γ: gradient w.r.t. θ (central differences through assign_)', () => {
    fc.assert(
      fc.property(arbClassCase, fc.double({ min: 0.6, max: 2.9, noNaN: true }), (c, init) => {
        const next = mulberry32(c.seed);
        const x = f64(uniform(next, numel(c.shape)), c.shape);
        const t = classTargets(c, next, false);
        const spec = { init, min: 0.5, max: 3, dtype: 'float64' as const };
        for (const loss of [new DualFocalLoss({ gamma: spec, reduction: 'sum' }), new SoftmaxFocalLoss({ gamma: spec, reduction: 'sum' })]) {
          const theta = loss.gammaTheta!;
          const [analytic] = grad([loss.forward(x, t)], [theta]);
          const at = (v: number) => noGrad(() => {
            theta.assign_(f64([v], []));
            return loss.forward(x, t).item();
          });
          const theta0 = theta.item();
          const h = 1e-6;
          const numeric = (at(theta0 + h) - at(theta0 - h)) / (2 * h);
          at(theta0);
          if (Math.abs(analytic!.item() - numeric) > 1e-5 + 1e-4 * Math.abs(numeric)) {
            throw new Error(`θ gradient ${analytic!.item()} vs numerical ${numeric}`);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('gradgradcheck (second derivatives)', () => {
  it('crossEntropy (index targets with weights and smoothing; probability targets)', () => {
    fc.assert(
      fc.property(arbClassCase, fc.boolean(), (c, probabilities) => {
        const next = mulberry32(c.seed);
        const x = f64(uniform(next, numel(c.shape)), c.shape, true);
        const w = f64(uniform(next, c.C, 0.3, 2), [c.C]);
        const target = probabilities ? f64(uniform(next, numel(c.shape), 0, 1), c.shape) : classTargets(c, next, true);
        gradgradcheck((xi) => crossEntropy(xi!, target, { weight: w, labelSmoothing: 0.1, reduction: c.reduction }), [x]);
      }),
      { numRuns: 25 },
    );
  });

  it('dualFocalLoss w.r.t. input and γ (ρ = 1 and ρ > 1)', () => {
    fc.assert(
      fc.property(arbClassCase, fc.double({ min: 0.5, max: 3, noNaN: true }), fc.constantFrom(1, 1.5), (c, gamma, rho) => {
        const next = mulberry32(c.seed);
        const x = f64(uniform(next, numel(c.shape)), c.shape, true);
        const t = classTargets(c, next, false);
        gradgradcheck((xi, gi) => dualFocalLoss(xi!, t, { gamma: gi!, alpha: 0.7, beta: 1.2, rho, reduction: c.reduction }), [x, f64([gamma], [], true)]);
      }),
      { numRuns: 25 },
    );
  });
});
