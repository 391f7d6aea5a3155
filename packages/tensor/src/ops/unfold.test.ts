import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbShape, gradcheck, gradgradcheck } from '@tsgrad/testing';
import { IndexError, ShapeError, ValueError, tensor, unfold } from '../index.js';
import { forEachIndex, randomRef, roundTo, stridesOf } from '../test-support/reference.js';

/*
 * unfold (sliding windows as a view) against index arithmetic written here:
 * out[..., w (at dim), ..., j] = x[..., w·step + j·dilation (at dim), ...].
 */

const arbCase = arbShape({ minRank: 1, maxRank: 3, minSize: 1, maxSize: 6 }).chain((shape) =>
  fc
    .record({
      dim: fc.integer({ min: 0, max: shape.length - 1 }),
      size: fc.integer({ min: 1, max: 3 }),
      step: fc.integer({ min: 1, max: 3 }),
      dilation: fc.integer({ min: 1, max: 2 }),
      seed: fc.integer({ min: 0, max: 1e6 }),
    })
    .filter((c) => c.dilation * (c.size - 1) + 1 <= shape[c.dim]!)
    .map((c) => ({ ...c, shape })),
);

function refUnfold(data: Float64Array, shape: number[], dim: number, size: number, step: number, dilation: number) {
  const windows = Math.floor((shape[dim]! - dilation * (size - 1) - 1) / step) + 1;
  const outShape = [...shape, size];
  outShape[dim] = windows;
  const st = stridesOf(shape);
  const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  forEachIndex(outShape, (idx, flat) => {
    let off = 0;
    for (let i = 0; i < shape.length; i++) off += (i === dim ? idx[i]! * step + idx[shape.length]! * dilation : idx[i]!) * st[i]!;
    out[flat] = data[off]!;
  });
  return { shape: outShape, data: out };
}

describe('unfold', () => {
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    it(`windows along a dim match index arithmetic (${dtype}), as a view of the same storage`, () => {
      fc.assert(
        fc.property(arbCase, (c) => {
          const ref = roundTo(randomRef(c.shape, c.seed, -50, 50, dtype === 'int32'), dtype);
          const x = tensor(ref.data, { dtype, shape: c.shape });
          const y = unfold(x, c.dim, c.size, c.step, c.dilation);
          const expected = refUnfold(ref.data, c.shape, c.dim, c.size, c.step, c.dilation);
          expect(y.shape).toEqual(expected.shape);
          expect(y.storage).toBe(x.storage);
          expect(Array.from(y.dataSync())).toEqual(Array.from(expected.data));
          if (c.dilation === 1) expect(x.unfold(c.dim - c.shape.length, c.size, c.step).toArray()).toEqual(y.toArray());
        }),
        { numRuns: 60 },
      );
    });
  }

  it('of a transposed view reads the logical elements', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]).T; // [[1, 4], [2, 5], [3, 6]]
    expect(x.unfold(0, 2, 1).toArray()).toEqual([[[1, 2], [4, 5]], [[2, 3], [5, 6]]]);
  });

  it('gradients sum over every window holding an element (gradcheck, gradgradcheck)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const x = tensor(randomRef(c.shape, c.seed, -1, 1).data, { dtype: 'float64', shape: c.shape, requiresGrad: true });
        return gradcheck((t) => unfold(t!, c.dim, c.size, c.step, c.dilation), [x]);
      }),
      { numRuns: 40 },
    );
    const x = tensor(randomRef([3, 5], 4, -1, 1).data, { dtype: 'float64', shape: [3, 5], requiresGrad: true });
    expect(gradgradcheck((t) => unfold(t!, 1, 2, 1).square(), [x])).toBe(true);
    // Overlapping windows: element i of [0..4] lies in min(i+1, 2, 5−i) windows of size 2, step 1.
    const y = tensor([0, 0, 0, 0, 0], { requiresGrad: true });
    unfold(y, 0, 2, 1).sum().backward();
    expect(y.grad!.toArray()).toEqual([1, 2, 2, 2, 1]);
  });

  it('checks its arguments', () => {
    const x = tensor([1, 2, 3]);
    expect(() => unfold(x, 0, 4, 1)).toThrow(ShapeError);
    expect(() => unfold(x, 0, 2, 1, 3)).toThrow(/spanning 4 elements/);
    expect(() => unfold(x, 0, 0, 1)).toThrow(ValueError);
    expect(() => unfold(x, 0, 2, 0)).toThrow(/argument 'step'/);
    expect(() => unfold(x, 1, 2, 1)).toThrow(IndexError);
    expect(() => unfold(tensor(1), 0, 1, 1)).toThrow(ShapeError);
  });
});
