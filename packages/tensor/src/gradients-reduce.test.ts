import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbDim, arbDims, arbNonContiguous, arbShape, arbTensor, gradcheck, gradgradcheck, type ShapeOptions } from '@tsgrad/testing';
import { Tensor, grad, tensor, logSoftmax, logSumExp, max, mean, min, softmax, sum, variance } from './index.js';

/*
 * Gradient checks of the reductions over one dim, several dims and all dims, with and
 * without keepdim, on contiguous and strided inputs. max/min draw distinct values
 * (their gradient is split at ties, where they are not differentiable).
 */

const RUNS = { numRuns: 20 };
const RUNS2 = { numRuns: 15 };

type Reduce = (x: Tensor, dim: number | number[] | undefined, keepdim: boolean) => Tensor;

interface ReduceCase {
  name: string;
  fn: Reduce;
  distinct?: boolean;
  /** Fewest elements each reduction must see (var needs more than its correction). */
  minCount?: number;
}

const CASES: ReduceCase[] = [
  { name: 'sum', fn: (x, d, k) => sum(x, d, k) },
  { name: 'mean', fn: (x, d, k) => mean(x, d, k) },
  { name: 'max', fn: (x, d, k) => max(x, d, k), distinct: true },
  { name: 'min', fn: (x, d, k) => min(x, d, k), distinct: true },
  { name: 'logSumExp', fn: (x, d, k) => logSumExp(x, d, k) },
  { name: 'var', fn: (x, d, k) => variance(x, d, { keepdim: k }), minCount: 2 },
  { name: 'var (correction 0)', fn: (x, d, k) => variance(x, d, { keepdim: k, correction: 0 }) },
];

type DimKind = 'single' | 'several' | 'all';

/** A tensor plus a dim argument of the given kind and a keepdim flag. */
function arbReduction(c: ReduceCase, kind: DimKind, opts: { strided?: boolean; shape?: ShapeOptions } = {}) {
  const make = opts.strided ? arbNonContiguous : arbTensor;
  const shapeArb = arbShape({ minRank: kind === 'all' ? 0 : 1, ...opts.shape });
  return shapeArb
    .chain((shape) => {
      const dim: fc.Arbitrary<number | number[] | undefined> =
        kind === 'all' ? fc.constant(undefined) : kind === 'single' ? arbDim(shape.length) : arbDims(shape.length);
      return fc.tuple(make({ shape, distinct: c.distinct, requiresGrad: true }), dim, fc.boolean());
    })
    .filter(([x, dim]) => {
      const dims = dim === undefined ? x.shape.map((_, i) => i) : typeof dim === 'number' ? [dim < 0 ? dim + x.ndim : dim] : dim;
      return dims.reduce((n, d) => n * x.shape[d]!, 1) >= (c.minCount ?? 1);
    });
}

describe('gradients of reductions', () => {
  for (const c of CASES) {
    for (const kind of ['single', 'several', 'all'] as const) {
      it(`${c.name} over ${kind === 'all' ? 'all dims' : kind === 'single' ? 'one dim' : 'several dims'}`, () => {
        fc.assert(fc.property(arbReduction(c, kind), ([x, dim, keepdim]) => gradcheck((t) => c.fn(t, dim, keepdim), [x])), RUNS);
      });
    }
    it(`${c.name} on non-contiguous input`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom<DimKind>('single', 'several', 'all').chain((k) => arbReduction(c, k, { strided: true })),
          ([x, dim, keepdim]) => gradcheck((t) => c.fn(t, dim, keepdim), [x]),
        ),
        RUNS,
      );
    });
  }

  it('max and min split the gradient evenly between exact ties', () => {
    // Not differentiable at a tie, so no gradcheck: the rule is that tied elements share.
    const x = tensor([[1, 3, 3], [2, 0, 2]], { dtype: 'float64', requiresGrad: true });
    const [gMax] = grad(max(x, 1).sum(), x);
    expect(gMax!.toArray()).toEqual([[0, 0.5, 0.5], [0.5, 0, 0.5]]);
    const [gMin] = grad(min(x).mul(3), x);
    expect(gMin!.toArray()).toEqual([[0, 0, 0], [0, 3, 0]]);
  });
});

describe('gradients of softmax and logSoftmax', () => {
  const fns = { softmax, logSoftmax } as const;
  for (const [name, f] of Object.entries(fns)) {
    it(`${name} along any dim`, () => {
      fc.assert(
        fc.property(
          arbShape({ minRank: 1 }).chain((s) => fc.tuple(arbTensor({ shape: s, min: -5, max: 5, requiresGrad: true }), arbDim(s.length))),
          ([x, d]) => gradcheck((t) => f(t, d), [x]),
        ),
        RUNS,
      );
    });
    it(`${name} on non-contiguous input`, () => {
      fc.assert(
        fc.property(
          arbShape({ minRank: 1 }).chain((s) => fc.tuple(arbNonContiguous({ shape: s, requiresGrad: true }), arbDim(s.length))),
          ([x, d]) => gradcheck((t) => f(t, d), [x]),
        ),
        RUNS,
      );
    });
    it(`${name}: second order`, () => {
      fc.assert(
        fc.property(
          arbShape({ minRank: 1, maxNumel: 16 }).chain((s) => fc.tuple(arbTensor({ shape: s, requiresGrad: true }), arbDim(s.length))),
          ([x, d]) => gradgradcheck((t) => f(t, d), [x]),
        ),
        RUNS2,
      );
    });
  }
});

describe('second-order gradients of reductions', () => {
  const small = { maxNumel: 16 };
  for (const c of CASES) {
    it(`${c.name}`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom<DimKind>('single', 'several', 'all').chain((k) => arbReduction(c, k, { shape: small })),
          // Through exp too, so the second derivative of a linear reduction is not trivially
          // 0 (exp is monotonic: max/min inputs stay distinct).
          ([x, dim, keepdim]) => gradgradcheck((t) => c.fn(t.exp(), dim, keepdim), [x]) && gradgradcheck((t) => c.fn(t, dim, keepdim), [x]),
        ),
        RUNS2,
      );
    });
  }
});
