import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbShape, gradcheck, gradgradcheck } from '@tsgrad/testing';
import { DTypeError, IndexError, ShapeError, clone, maskedFill, select, tensor } from '../index.js';
import { forEachIndex, randomRef, stridesOf } from '../test-support/reference.js';

/* select, maskedFill and clone against element loops written here. */

const arbCase = arbShape({ minRank: 1, maxRank: 3, minSize: 1, maxSize: 5 }).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    dim: fc.integer({ min: -shape.length, max: shape.length - 1 }),
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    negative: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
  }),
);

describe('select', () => {
  it('is x[..., i, ...] with the dim removed, a view of the same storage, negative i from the end', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const ref = randomRef(c.shape, c.seed, -9, 9, true);
        const x = tensor(ref.data, { dtype: 'float32', shape: c.shape });
        const d = c.dim < 0 ? c.dim + c.shape.length : c.dim;
        const i = Math.floor(c.at * c.shape[d]!);
        const y = select(x, c.dim, c.negative ? i - c.shape[d]! : i);
        const outShape = c.shape.filter((_, k) => k !== d);
        const st = stridesOf(c.shape);
        const expected: number[] = [];
        forEachIndex(outShape, (idx) => {
          const full = [...idx];
          full.splice(d, 0, i);
          expected.push(ref.data[full.reduce((o, v, k) => o + v * st[k]!, 0)]!);
        });
        expect(y.shape).toEqual(outShape);
        expect(y.storage).toBe(x.storage);
        expect(Array.from(y.dataSync())).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('gradient lands in the selected slice (gradcheck, gradgradcheck); bad index throws', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const x = tensor(randomRef(c.shape, c.seed, -1, 1).data, { dtype: 'float64', shape: c.shape, requiresGrad: true });
        const d = c.dim < 0 ? c.dim + c.shape.length : c.dim;
        return gradcheck((t) => t!.select(c.dim, Math.floor(c.at * c.shape[d]!)), [x]);
      }),
      { numRuns: 30 },
    );
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    x.select(1, -1).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 0, 1], [0, 0, 1]]);
    expect(gradgradcheck((t) => t!.select(0, 1).square(), [tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true })])).toBe(true);
    expect(() => select(x, 1, 3)).toThrow(IndexError);
    expect(() => select(x, 1, -4)).toThrow(/argument 'index' expected an integer in \[-3, 2\]/);
    expect(() => select(x, 2, 0)).toThrow(IndexError);
    expect(() => select(tensor(1), 0, 0)).toThrow(IndexError);
  });
});

describe('maskedFill', () => {
  it('writes value where the broadcast mask is true, keeps the input dtype', () => {
    fc.assert(
      fc.property(arbCase, fc.boolean(), (c, lowRankMask) => {
        const ref = randomRef(c.shape, c.seed, -9, 9, true);
        const maskShape = lowRankMask ? c.shape.slice(1) : c.shape.map((s, i) => (i === 0 ? 1 : s));
        const maskRef = randomRef(maskShape, c.seed + 1, 0, 1, true);
        const mask = tensor(maskRef.data, { dtype: 'bool', shape: maskShape });
        for (const dtype of ['float32', 'int32'] as const) {
          const x = tensor(ref.data, { dtype, shape: c.shape });
          const y = maskedFill(x, mask, 7.5);
          expect(y.dtype).toBe(dtype);
          const st = stridesOf(c.shape);
          const mst = stridesOf(maskShape);
          const off = c.shape.length - maskShape.length;
          const expected: number[] = [];
          forEachIndex(c.shape, (idx, flat) => {
            let mo = 0;
            for (let k = 0; k < maskShape.length; k++) mo += (maskShape[k] === 1 ? 0 : idx[k + off]!) * mst[k]!;
            expected.push(maskRef.data[mo] ? (dtype === 'int32' ? 7 : 7.5) : ref.data[flat]!);
            void st;
          });
          expect(Array.from(y.dataSync())).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('gradient: to x where the mask is false, to a 0-d tensor value summed where true', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    const v = tensor(0.5, { dtype: 'float64', requiresGrad: true });
    const mask = tensor([true, false], { dtype: 'bool' });
    x.maskedFill(mask, v).mul(tensor([[1, 2], [3, 4]], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 2], [0, 4]]);
    expect(v.grad!.item()).toBe(4);
    expect(gradcheck((a, b) => maskedFill(a!, mask, b!), [x, v])).toBe(true);
    expect(() => maskedFill(x, tensor([1, 0]), 1)).toThrow(DTypeError);
    expect(() => maskedFill(x, mask, tensor([1, 2]))).toThrow(ShapeError);
    expect(() => maskedFill(x, tensor([true, false, true], { dtype: 'bool' }), 1)).toThrow(ShapeError);
  });
});

describe('clone', () => {
  it('copies into storage of its own (logical order, same dtype) and passes the gradient through', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
    const t = x.T;
    const c = clone(t);
    expect(c.storage).not.toBe(x.storage);
    expect(c.dtype).toBe('int32');
    expect(c.isContiguous()).toBe(true);
    expect(c.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    const y = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const z = y.clone();
    expect(z.isLeaf).toBe(false);
    z.mul(z).sum().backward();
    expect(y.grad!.toArray()).toEqual([2, 4]);
    expect(gradgradcheck((a) => clone(a!).square(), [tensor([0.5, -1], { dtype: 'float64', requiresGrad: true })])).toBe(true);
  });
});
