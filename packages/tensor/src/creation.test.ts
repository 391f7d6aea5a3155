import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Tensor, tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint,
  manualSeed, type DType, type NestedArray,
} from './index.js';

/*
 * Creating tensors (nested arrays, typed arrays, scalars, the factory functions) and
 * reading them back (shape, dtype, ndim, numel, toArray, item, dataSync, to).
 */

/** A nested array of `shape` with values produced by `f(flatIndex)`. */
function nested(shape: readonly number[], f: (i: number) => number): NestedArray {
  let next = 0;
  const build = (d: number): NestedArray => {
    if (d === shape.length) return f(next++);
    return Array.from({ length: shape[d]! }, () => build(d + 1));
  };
  return build(0);
}

function flatten(a: NestedArray): number[] {
  return Array.isArray(a) ? a.flatMap(flatten) : [a];
}

const arbShape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

describe('tensor(): from nested arrays, typed arrays and scalars', () => {
  it('nested arrays round-trip through toArray with the inferred shape (float32 by default)', () => {
    fc.assert(
      fc.property(arbShape, fc.integer(), (shape, seed) => {
        const data = nested(shape, (i) => Math.fround(Math.sin(seed + i) * 100));
        const t = tensor(data);
        // A shape with a 0 dim only infers up to that dim: [] rows have no further structure.
        const z = shape.indexOf(0);
        const inferred = z === -1 ? shape : shape.slice(0, z + 1);
        expect(t.shape).toEqual(inferred);
        expect(t.dtype).toBe('float32');
        expect(t.ndim).toBe(inferred.length);
        expect(t.numel).toBe(inferred.reduce((a, b) => a * b, 1));
        if (z === -1) expect(t.toArray()).toEqual(data);
        expect(Array.from(t.dataSync())).toEqual(flatten(data));
      }),
      { numRuns: 40 },
    );
  });

  it('requested dtypes hold values exactly: fractions into int32 and non-0/1 into bool need an explicit cast', () => {
    const data = [[0.1, -1.7], [2.5, 0]];
    expect(tensor(data, { dtype: 'float64' }).toArray()).toEqual(data);
    expect(tensor(data).toArray()).toEqual([[Math.fround(0.1), Math.fround(-1.7)], [2.5, 0]]);
    expect(() => tensor(data, { dtype: 'int32' })).toThrow(/tensor: argument 'data' expected integers for an int32 tensor.*got 0.1 at element 0/);
    expect(() => tensor(data, { dtype: 'bool' })).toThrow(/tensor: argument 'data' expected 0 or 1.*got 0.1 at element 0/);
    expect(tensor(data).to('int32').toArray()).toEqual([[0, -1], [2, 0]]);
    expect(tensor(data).ne(0).toArray()).toEqual([[1, 1], [1, 0]]);
    expect(tensor([[1, -2], [3, 0]], { dtype: 'int32' }).toArray()).toEqual([[1, -2], [3, 0]]);
    expect(tensor([[1, 0], [1, 0]], { dtype: 'bool' }).toArray()).toEqual([[1, 0], [1, 0]]);
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, false]).toArray()).toEqual([1, 0]);
    expect(tensor([[true], [false]], { dtype: 'float32' }).toArray()).toEqual([[1], [0]]);
  });

  it('scalars give 0-d tensors: toArray() gives a number, item() the value', () => {
    const s = tensor(3.5);
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.numel).toBe(1);
    expect(s.dtype).toBe('float32');
    expect(s.toArray()).toBe(3.5);
    expect(s.item()).toBe(3.5);
    expect(tensor(7, { dtype: 'int32' }).toArray()).toBe(7);
    expect(tensor(true).dtype).toBe('bool');
    expect(tensor(true).item()).toBe(1);
    expect(tensor(0.1, { dtype: 'float64' }).item()).toBe(0.1);
  });

  it('typed arrays: dtype from the array type, shape option, and always a copy of the caller data', () => {
    const cases: [Float32Array | Float64Array | Int32Array | Uint8Array, DType][] = [
      [new Float32Array([1.5, 2, 3, 4, 5, 6]), 'float32'],
      [new Float64Array([0.1, 2, 3, 4, 5, 6]), 'float64'],
      [new Int32Array([-1, 2, 3, 4, 5, 6]), 'int32'],
      [new Uint8Array([1, 0, 1, 1, 0, 0]), 'bool'],
    ];
    for (const [arr, dtype] of cases) {
      const t = tensor(arr);
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual([6]);
      expect(Array.from(t.dataSync())).toEqual(Array.from(arr));
      const m = tensor(arr, { shape: [2, 3] });
      expect(m.shape).toEqual([2, 3]);
      expect((m.toArray() as number[][])[1]).toEqual(Array.from(arr.slice(3)));
      arr[0] = 9; // mutating the source does not reach the tensor
      expect(t.dataSync()[0]).not.toBe(9);
    }
    expect(tensor(new Float64Array([1.25, 2]), { dtype: 'float32' }).dtype).toBe('float32');
    expect(tensor(new Float64Array([7]), { shape: [] }).toArray()).toBe(7);
  });

  it('requiresGrad option on float tensors', () => {
    const t = tensor([1, 2], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(t.grad).toBeNull();
    expect(tensor([1, 2]).requiresGrad).toBe(false);
    expect(zeros([2], { dtype: 'float64', requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('factories', () => {
  it('zeros / ones / full / *Like with shapes and dtypes', () => {
    fc.assert(
      fc.property(arbShape, fc.constantFrom<DType>('float32', 'float64', 'int32', 'bool'), (shape, dtype) => {
        const n = shape.reduce((a, b) => a * b, 1);
        for (const [t, v] of [
          [zeros(shape, { dtype }), 0],
          [ones(shape, { dtype }), 1],
          [full(shape, dtype === 'bool' ? 1 : 3, { dtype }), dtype === 'bool' ? 1 : 3],
        ] as const) {
          expect(t.shape).toEqual(shape);
          expect(t.dtype).toBe(dtype);
          expect(Array.from(t.dataSync())).toEqual(new Array(n).fill(v));
        }
        const like = tensor(new Float64Array(n), { shape, dtype });
        expect(zerosLike(like).dtype).toBe(dtype);
        expect(zerosLike(like).shape).toEqual(shape);
        expect(Array.from(onesLike(like).dataSync())).toEqual(new Array(n).fill(1));
        expect(fullLike(like, 0).shape).toEqual(shape);
      }),
      { numRuns: 20 },
    );
    expect(zeros([2, 3]).dtype).toBe('float32');
    expect(full([2], 0.1).toArray()).toEqual([Math.fround(0.1), Math.fround(0.1)]);
    expect(full([2], 0.1, { dtype: 'float64' }).toArray()).toEqual([0.1, 0.1]);
    expect(full([], 5).toArray()).toBe(5);
    expect(onesLike(tensor([1, 2], { dtype: 'int32' }), { dtype: 'float64' }).dtype).toBe('float64');
    expect(zerosLike(tensor([[1, 2]]).transpose(0, 1)).shape).toEqual([2, 1]);
  });

  it('arange(end), arange(start, end, step): int32 for integer arguments, float32 otherwise', () => {
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('int32');
    expect(arange(2, 8, 3).toArray()).toEqual([2, 5]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(arange(0).shape).toEqual([0]);
    expect(arange(3, 1).shape).toEqual([0]);
    const f = arange(0, 1, 0.25);
    expect(f.dtype).toBe('float32');
    expect(f.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(0, 3, 1, { dtype: 'float64' }).toArray()).toEqual([0, 1, 2]);
    fc.assert(
      fc.property(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -20, max: 20 }), fc.integer({ min: -5, max: 5 }).filter((s) => s !== 0), (a, b, s) => {
        const expected: number[] = [];
        for (let v = a; s > 0 ? v < b : v > b; v += s) expected.push(v);
        expect(arange(a, b, s).toArray()).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('linspace includes both ends and is evenly spaced', () => {
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(3, 3, 1).toArray()).toEqual([3]);
    expect(linspace(0, 1, 0).shape).toEqual([0]);
    expect(linspace(-1, 1, 2).toArray()).toEqual([-1, 1]);
    const t = linspace(0.1, 0.7, 7, { dtype: 'float64' }).toArray() as number[];
    expect(t[0]).toBe(0.1);
    expect(t[6]).toBe(0.7);
    t.forEach((v, i) => expect(Math.abs(v - (0.1 + 0.1 * i))).toBeLessThan(1e-15));
    expect(linspace(0, 1, 3).dtype).toBe('float32');
  });

  it('eye(n) and eye(n, m)', () => {
    expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(eye(3, 2).toArray()).toEqual([[1, 0], [0, 1], [0, 0]]);
    expect(eye(2, 2, { dtype: 'int32' }).dtype).toBe('int32');
    expect(eye(0).shape).toEqual([0, 0]);
  });

  it('rand / randn / randint: shapes, dtypes and ranges', () => {
    manualSeed(123);
    const r = rand([4, 5]);
    expect(r.shape).toEqual([4, 5]);
    expect(r.dtype).toBe('float32');
    expect(rand([3], { dtype: 'float64' }).dtype).toBe('float64');
    expect(randn([2, 0]).shape).toEqual([2, 0]);
    expect(randn([]).shape).toEqual([]);
    const i = randint(-3, 4, [1000]);
    expect(i.dtype).toBe('int32');
    const vals = Array.from(i.dataSync());
    expect(Math.min(...vals)).toBe(-3);
    expect(Math.max(...vals)).toBe(3);
    expect(vals.every(Number.isInteger)).toBe(true);
    expect(randint(0, 2, [3], { dtype: 'float32' }).dtype).toBe('float32');
    expect(rand([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('reading a tensor', () => {
  it('dataSync() returns a copy: mutating it does not change the tensor', () => {
    for (const t of [tensor([1, 2, 3]), tensor([[1, 2], [3, 4]]).transpose(0, 1), tensor([1, 2, 3], { dtype: 'int32' })]) {
      const before = t.toArray();
      const d = t.dataSync();
      d[0] = 99;
      expect(t.toArray()).toEqual(before);
      expect(t.dataSync()).not.toBe(t.dataSync());
    }
  });

  it('dataSync() gives the typed array of the dtype, in row-major order of the view', () => {
    expect(tensor([1]).dataSync()).toBeInstanceOf(Float32Array);
    expect(tensor([1], { dtype: 'float64' }).dataSync()).toBeInstanceOf(Float64Array);
    expect(tensor([1], { dtype: 'int32' }).dataSync()).toBeInstanceOf(Int32Array);
    expect(tensor([true]).dataSync()).toBeInstanceOf(Uint8Array);
    expect(Array.from(tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1).dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('item() reads any one-element tensor', () => {
    expect(tensor([[4]]).item()).toBe(4);
    expect(tensor([1, 2, 3]).slice(0, 2).item()).toBe(3);
  });

  it('to(dtype) converts (float→int truncates toward zero, nonzero→true) and returns the tensor itself for its own dtype', () => {
    const x = tensor([1.7, -1.7, 0, 2.5], { dtype: 'float64' });
    expect(x.to('float64')).toBe(x);
    const i = x.to('int32');
    expect(i.dtype).toBe('int32');
    expect(i.toArray()).toEqual([1, -1, 0, 2]);
    expect(x.to('bool').toArray()).toEqual([1, 1, 0, 1]);
    expect(x.to('float32').toArray()).toEqual([Math.fround(1.7), Math.fround(-1.7), 0, 2.5]);
    expect(tensor([true, false]).to('float32').toArray()).toEqual([1, 0]);
    expect(tensor([3, -4], { dtype: 'int32' }).to('float64').toArray()).toEqual([3, -4]);
    // on a non-contiguous view
    expect(tensor([[1.5, 2.5], [3.5, 4.5]], { dtype: 'float64' }).transpose(0, 1).to('int32').toArray()).toEqual([[1, 3], [2, 4]]);
  });

  it('toString shows the values (PyTorch repr; more cases in format.test.ts)', () => {
    expect(String(tensor([[1, 2]]))).toBe('tensor([[1., 2.]])');
    expect(tensor([1]) instanceof Tensor).toBe(true);
  });
});
