// The worked example of packages/testing/README.md, verbatim: if this breaks, so does the README.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { Tensor, softplus } from '@tsgrad/tensor';
import { arbBroadcastShapes, arbNonContiguous, arbTensor, gradcheck, gradgradcheck } from '@tsgrad/testing';

/** swish(x) = x · σ(x), a user's own activation. */
function swish(x: Tensor): Tensor {
  return x.mul(x.sigmoid());
}

/** mean log(cosh(pred − target)), written stably: |d| + softplus(−2|d|) − log 2. */
function logCoshLoss(pred: Tensor, target: Tensor): Tensor {
  const d = pred.sub(target).abs();
  return d.add(softplus(d.mul(-2))).sub(Math.LN2).mean();
}

describe('my ops', () => {
  it('swish has the right first and second derivatives', () => {
    fc.assert(
      fc.property(arbTensor({ min: -6, max: 6, requiresGrad: true }), (x) => gradcheck(swish, [x]) && gradgradcheck(swish, [x])),
      { numRuns: 25 },
    );
  });

  it('swish is also right on strided views', () => {
    fc.assert(fc.property(arbNonContiguous({ requiresGrad: true }), (x) => gradcheck(swish, [x])), { numRuns: 25 });
  });

  it('logCoshLoss differentiates in both arguments, with broadcasting', () => {
    fc.assert(
      fc.property(
        arbBroadcastShapes(2).chain(([sp, st]) =>
          fc.tuple(arbTensor({ shape: sp, requiresGrad: true }), arbTensor({ shape: st, requiresGrad: true })),
        ),
        ([pred, target]) => {
          // |d| has a kink at d = 0 that the softplus term cancels; autograd's second derivative
          // at exactly d = 0 sees only sign(0) = 0, so stay off that point.
          fc.pre(pred.sub(target).abs().min().item() > 1e-3);
          return gradcheck(logCoshLoss, [pred, target]) && gradgradcheck(logCoshLoss, [pred, target]);
        },
      ),
      { numRuns: 25 },
    );
  });
});
