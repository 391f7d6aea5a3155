import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbShape, gradcheck, gradgradcheck } from '@tsgrad/testing';
import { IndexError, cumsum, tensor } from '../index.js';
import { expectClose, forEachIndex, randomRef, roundTo, stridesOf } from '../test-support/reference.js';

/* cumsum against a running sum written here, along every dim, on every dtype. */

function refCumsum(data: Float64Array, shape: number[], dim: number): Float64Array {
  const st = stridesOf(shape);
  const out = new Float64Array(data.length);
  forEachIndex(shape, (idx, flat) => {
    out[flat] = idx[dim]! === 0 ? data[flat]! : out[flat - st[dim]!]! + data[flat]!;
  });
  return out;
}

const arbCase = arbShape({ minRank: 1, maxRank: 3, minSize: 0, maxSize: 9 }).chain((shape) =>
  fc.record({ shape: fc.constant(shape), dim: fc.integer({ min: -shape.length, max: shape.length - 1 }), seed: fc.integer({ min: 0, max: 1e6 }) }),
);

describe('cumsum', () => {
  for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
    it(`is the running sum along a dim (${dtype})`, () => {
      fc.assert(
        fc.property(arbCase, (c) => {
          const ref = roundTo(randomRef(c.shape, c.seed, dtype === 'bool' ? 0 : -5, dtype === 'bool' ? 1 : 5, dtype !== 'float32' && dtype !== 'float64'), dtype);
          const x = tensor(ref.data, { dtype, shape: c.shape });
          const d = c.dim < 0 ? c.dim + c.shape.length : c.dim;
          const y = cumsum(x, c.dim);
          expect(y.shape).toEqual(c.shape);
          expect(y.dtype).toBe(dtype === 'bool' ? 'int32' : dtype);
          expectClose(y.dataSync(), refCumsum(ref.data, c.shape, d), dtype === 'float32' ? 1e-6 : 0, dtype === 'float32' ? 1e-5 : 0, 'cumsum');
        }),
        { numRuns: 50 },
      );
    });
  }

  it('of a transposed view, a 0-d tensor, and a long line', () => {
    expect(tensor([[1, 2], [3, 4]]).T.cumsum(1).toArray()).toEqual([[1, 4], [2, 6]]);
    expect(cumsum(tensor(5), 0).item()).toBe(5);
    const n = 1000;
    const y = cumsum(tensor(new Float64Array(n).fill(1)), 0).dataSync();
    expect(Array.from(y)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(() => cumsum(tensor([1, 2]), 1)).toThrow(IndexError);
  });

  it('gradient is the reversed running sum (gradcheck over shapes and dims, gradgradcheck)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const x = tensor(randomRef(c.shape, c.seed, -1, 1).data, { dtype: 'float64', shape: c.shape, requiresGrad: true });
        return gradcheck((t) => cumsum(t!, c.dim), [x]);
      }),
      { numRuns: 40 },
    );
    const x = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
    cumsum(x, 0).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 3, 2, 1]);
    const y = tensor(randomRef([3, 5], 2, -1, 1).data, { dtype: 'float64', shape: [3, 5], requiresGrad: true });
    expect(gradgradcheck((t) => cumsum(t!, 1).square(), [y])).toBe(true);
  });
});
