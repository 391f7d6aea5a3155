import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbShape, gradcheck, gradgradcheck } from '@tsgrad/testing';
import { IndexError, ValueError, argsort, sort, tensor, topk } from '../index.js';
import { forEachIndex, randomRef, roundTo, stridesOf } from '../test-support/reference.js';

/*
 * sort/topk against an insertion sort written here (stable by construction; NaN
 * ordered after every number), along every dim, with many ties (small integer values).
 */

/** Stable order of `keys`: insertion sort, NaN larger than every number. */
function refOrder(keys: number[], descending: boolean): number[] {
  const before = (a: number, b: number): boolean => {
    const va = keys[a]!;
    const vb = keys[b]!;
    if (Number.isNaN(va) || Number.isNaN(vb)) return descending ? Number.isNaN(va) && !Number.isNaN(vb) : !Number.isNaN(va) && Number.isNaN(vb);
    return descending ? va > vb : va < vb;
  };
  const order: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    let at = order.length;
    while (at > 0 && before(i, order[at - 1]!)) at--;
    order.splice(at, 0, i);
  }
  return order;
}

/** Sorted values and indices of the first k along dim, by lines. */
function refSort(data: Float64Array, shape: number[], dim: number, k: number, descending: boolean) {
  const outShape = [...shape];
  outShape[dim] = k;
  const st = stridesOf(shape);
  const values = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const indices = new Float64Array(values.length);
  forEachIndex(outShape, (idx, flat) => {
    const base = idx.reduce((o, v, i) => o + (i === dim ? 0 : v * st[i]!), 0);
    const keys = Array.from({ length: shape[dim]! }, (_, j) => data[base + j * st[dim]!]!);
    const j = refOrder(keys, descending)[idx[dim]!]!;
    indices[flat] = j;
    values[flat] = keys[j]!;
  });
  return { shape: outShape, values, indices };
}

const arbCase = arbShape({ minRank: 1, maxRank: 3, minSize: 1, maxSize: 6 }).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    dim: fc.integer({ min: -shape.length, max: shape.length - 1 }),
    descending: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
    kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

describe('sort', () => {
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    it(`orders every line stably (${dtype}, many ties)`, () => {
      fc.assert(
        fc.property(arbCase, (c) => {
          const ref = roundTo(randomRef(c.shape, c.seed, -3, 3, true), dtype);
          const x = tensor(ref.data, { dtype, shape: c.shape });
          const d = c.dim < 0 ? c.dim + c.shape.length : c.dim;
          const expected = refSort(ref.data, c.shape, d, c.shape[d]!, c.descending);
          const { values, indices } = sort(x, c.dim, c.descending);
          expect(values.shape).toEqual(expected.shape);
          expect(values.dtype).toBe(dtype);
          expect(indices.dtype).toBe('int32');
          expect(Array.from(values.dataSync())).toEqual(Array.from(expected.values));
          expect(Array.from(indices.dataSync())).toEqual(Array.from(expected.indices));
          expect(argsort(x, c.dim, c.descending).toArray()).toEqual(indices.toArray());
        }),
        { numRuns: 60 },
      );
    });
  }

  it('puts NaN last ascending and first descending; sorts transposed views logically', () => {
    const x = tensor([2, NaN, -1, 2]);
    expect(sort(x).values.toArray()).toEqual([-1, 2, 2, NaN]);
    expect(sort(x).indices.toArray()).toEqual([2, 0, 3, 1]);
    expect(sort(x, 0, true).values.toArray()).toEqual([NaN, 2, 2, -1]);
    expect(sort(x, 0, true).indices.toArray()).toEqual([1, 0, 3, 2]);
    const t = tensor([[3, 1], [2, 5]]).T; // [[3, 2], [1, 5]]
    expect(t.sort(1).values.toArray()).toEqual([[2, 3], [1, 5]]);
    expect(sort(tensor(4)).values.item()).toBe(4);
  });

  it('sends each gradient to the element the value came from', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const x = tensor(randomRef(c.shape, c.seed, -1, 1).data, { dtype: 'float64', shape: c.shape, requiresGrad: true });
        return gradcheck((t) => sort(t!, c.dim, c.descending).values, [x]);
      }),
      { numRuns: 30 },
    );
    const x = tensor([3, 1, 2], { dtype: 'float64', requiresGrad: true });
    sort(x).values.mul(tensor([10, 20, 30], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArray()).toEqual([30, 10, 20]);
    const y = tensor([[0.3, -0.2], [0.1, 0.5]], { dtype: 'float64', requiresGrad: true });
    expect(gradgradcheck((t) => sort(t!, 0).values.square(), [y])).toBe(true);
  });
});

describe('topk', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`picks the k largest / smallest in order, earlier index first among ties (${dtype})`, () => {
      fc.assert(
        fc.property(arbCase, (c) => {
          const ref = roundTo(randomRef(c.shape, c.seed, -3, 3, true), dtype);
          const x = tensor(ref.data, { dtype, shape: c.shape });
          const d = c.dim < 0 ? c.dim + c.shape.length : c.dim;
          const k = Math.round(c.kFrac * c.shape[d]!);
          const largest = c.descending;
          const expected = refSort(ref.data, c.shape, d, k, largest);
          const { values, indices } = topk(x, k, c.dim, largest);
          expect(values.shape).toEqual(expected.shape);
          expect(Array.from(values.dataSync())).toEqual(Array.from(expected.values));
          expect(Array.from(indices.dataSync())).toEqual(Array.from(expected.indices));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('gradient flows to the selected elements only', () => {
    const x = tensor([[1, 5, 3, 4]], { dtype: 'float64', requiresGrad: true });
    x.topk(2).values.sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 1, 0, 1]]);
    fc.assert(
      fc.property(arbCase, (c) => {
        const d = c.dim < 0 ? c.dim + c.shape.length : c.dim;
        const k = Math.max(1, Math.round(c.kFrac * c.shape[d]!));
        const t = tensor(randomRef(c.shape, c.seed, -1, 1).data, { dtype: 'float64', shape: c.shape, requiresGrad: true });
        return gradcheck((u) => topk(u!, k, c.dim, c.descending).values, [t]);
      }),
      { numRuns: 25 },
    );
  });

  it('checks k and dim', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => topk(x, 4)).toThrow(ValueError);
    expect(() => topk(x, 5)).toThrow(/topk: argument 'k' expected an integer in \[0, 3\]/);
    expect(() => topk(x, -1)).toThrow(/topk: argument 'k' expected an integer >= 0/);
    expect(() => sort(x, -1, 'yes' as unknown as boolean)).toThrow(/sort: argument 'descending' expected a boolean/);
    expect(() => topk(x, 1, 2)).toThrow(IndexError);
    expect(() => sort(x, -3)).toThrow(IndexError);
  });
});
