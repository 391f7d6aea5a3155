import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tensor, gather, scatterAdd, indexSelect, oneHot } from './index.js';
import { mulberry32 } from '@tsgrad/testing';
import {
  type Ref, numel, stridesOf, forEachIndex, randomRef, roundTo, expectClose, make, layouts, takeRef,
} from './test-support/reference.js';

/*
 * gather / scatterAdd / indexSelect / oneHot against reference index loops written here,
 * with non-contiguous inputs and indices.
 */

function offsetOf(shape: readonly number[], idx: readonly number[]): number {
  const st = stridesOf(shape);
  let o = 0;
  for (let i = 0; i < idx.length; i++) o += idx[i]! * st[i]!;
  return o;
}

function gatherRef(x: Ref, dim: number, index: Ref): Ref {
  const data = new Float64Array(index.data.length);
  forEachIndex(index.shape, (idx, flat) => {
    const p = [...idx];
    p[dim] = index.data[flat]!;
    data[flat] = x.data[offsetOf(x.shape, p)]!;
  });
  return { shape: [...index.shape], data };
}

function scatterAddRef(x: Ref, dim: number, index: Ref, src: Ref): Ref {
  const data = Float64Array.from(x.data);
  forEachIndex(index.shape, (idx, flat) => {
    const p = [...idx];
    p[dim] = index.data[flat]!;
    data[offsetOf(x.shape, p)] += src.data[offsetOf(src.shape, idx)]!;
  });
  return { shape: [...x.shape], data };
}

/** x, a dim, and an index no larger than x outside `dim` (any length along it), values in range. */
const arbIndexCase = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    k: fc.nat(),
    shrink: fc.array(fc.nat({ max: 3 }), { minLength: 3, maxLength: 3 }),
    along: fc.integer({ min: 1, max: 5 }),
    seed: fc.integer(),
  })
  .map(({ shape, k, shrink, along, seed }) => {
    const dim = k % shape.length;
    const indexShape = shape.map((s, i) => (i === dim ? along : Math.max(1, s - shrink[i]!)));
    const r = mulberry32(seed);
    const index: Ref = { shape: indexShape, data: new Float64Array(numel(indexShape)).map(() => Math.floor(r() * shape[dim]!)) };
    return { shape, dim, index, seed };
  });

describe('gather', () => {
  for (const dtype of ['float64', 'float32', 'int32'] as const) {
    it(`matches the reference (${dtype}) for every layout of input and index`, () => {
      fc.assert(
        fc.property(arbIndexCase, ({ shape, dim, index, seed }) => {
          const x = randomRef(shape, seed, -50, 50, true);
          for (const lx of layouts(x, dtype)) {
            if (lx.name === 'expanded') continue;
            for (const li of layouts(index, 'int32')) {
              if (li.name === 'expanded') continue;
              const out = gather(lx.t, dim, li.t);
              expect(out.dtype).toBe(dtype);
              expect(out.shape).toEqual(index.shape);
              expect(Array.from(out.dataSync()), `gather ${lx.name} ${li.name}`).toEqual(Array.from(gatherRef(x, dim, index).data));
            }
          }
          // negative dim
          expect(Array.from(gather(make(x, dtype), dim - shape.length, make(index, 'int32')).dataSync())).toEqual(Array.from(gatherRef(x, dim, index).data));
        }),
        { numRuns: 20 },
      );
    });
  }

  it('PyTorch example', () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(gather(t, 1, tensor([[0, 0], [1, 0]], { dtype: 'int32' })).toArray()).toEqual([[1, 1], [4, 3]]);
    expect(t.gather(0, tensor([[1, 0]], { dtype: 'int32' })).toArray()).toEqual([[3, 2]]);
  });

  it('an expanded input (stride 0) reads the broadcast values', () => {
    const x = tensor([[1, 2, 3]], { dtype: 'float64' }).expand([4, 3]);
    expect(gather(x, 0, tensor([[3, 0, 2]], { dtype: 'int32' })).toArray()).toEqual([[1, 2, 3]]);
    expect(gather(x, 1, tensor([[2], [1], [0], [2]], { dtype: 'int32' })).toArray()).toEqual([[3], [2], [1], [3]]);
  });
});

describe('scatterAdd', () => {
  for (const dtype of ['float64', 'float32', 'int32'] as const) {
    it(`matches the reference (${dtype}), duplicates accumulate, input untouched, every layout`, () => {
      fc.assert(
        fc.property(arbIndexCase, fc.nat({ max: 2 }), ({ shape, dim, index, seed }, extra) => {
          const x = roundTo(randomRef(shape, seed, -4, 4, dtype === 'int32'), dtype);
          // src may be larger than index (only index's extent is used)
          const src = roundTo(randomRef(index.shape.map((s) => s + extra), seed + 1, -4, 4, dtype === 'int32'), dtype);
          const expected = scatterAddRef(x, dim, index, src);
          for (const lx of layouts(x, dtype)) {
            if (lx.name === 'expanded') continue;
            for (const li of layouts(index, 'int32')) {
              if (li.name === 'expanded') continue;
              const ls = layouts(src, dtype)[seed % 2 === 0 ? 0 : 1]!;
              const before = Array.from(lx.t.dataSync());
              const out = scatterAdd(lx.t, dim, li.t, ls.t);
              expect(out.dtype).toBe(dtype);
              expect(out.shape).toEqual(shape);
              expectClose(out.dataSync(), expected.data, dtype === 'float32' ? 1e-6 : 0, dtype === 'float32' ? 1e-5 : 0, `scatterAdd ${lx.name} ${li.name} ${ls.name}`);
              expect(Array.from(lx.t.dataSync())).toEqual(before);
            }
          }
        }),
        { numRuns: 20 },
      );
    });
  }

  it('PyTorch example with repeated indices', () => {
    const base = tensor([[0, 0, 0], [0, 0, 0]], { dtype: 'float64' });
    const src = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const index = tensor([[0, 1, 0], [1, 0, 1]], { dtype: 'int32' });
    expect(scatterAdd(base, 0, index, src).toArray()).toEqual([[1, 5, 3], [4, 2, 6]]);
    expect(scatterAdd(base, 1, tensor([[2, 2, 2], [0, 1, 0]], { dtype: 'int32' }), src).toArray()).toEqual([[0, 0, 6], [10, 5, 0]]);
    // src of another dtype is cast to the input's
    expect(scatterAdd(base, 0, index, src.to('int32')).dtype).toBe('float64');
  });

  it('a 0-d input with a 1-d index of zeros: gather repeats it, scatterAdd adds every element into it (and the gradient counts the repeats)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const idx = tensor([0, 0, 0], { dtype: 'int32' });
      const x = tensor(5, { dtype, requiresGrad: true });
      const y = gather(x, 0, idx);
      expect(y.toArray(), dtype).toEqual([5, 5, 5]);
      y.mul(tensor([1, 2, 4], { dtype })).sum().backward();
      expect(x.grad!.item(), dtype).toBe(7);
      expect(scatterAdd(tensor(5, { dtype }), 0, idx, tensor([1, 2, 3], { dtype })).item(), dtype).toBe(11);
    }
    expect(scatterAdd(tensor(1, { dtype: 'int32' }), 0, tensor([0, 0], { dtype: 'int32' }), tensor([2, 3], { dtype: 'int32' })).item()).toBe(6);
  });
});

describe('indexSelect and oneHot', () => {
  it('indexSelect picks (and repeats) entries along any dim, on every layout', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer(),
        (shape, k, picks, seed) => {
          const x = randomRef(shape, seed, -9, 9);
          for (const { name, t, ref: r } of layouts(x, 'float64')) {
            const dim = k % r.shape.length;
            const idx = picks.map((p) => p % r.shape[dim]!);
            const expected = takeRef(r, dim, idx);
            const out = indexSelect(t, dim, tensor(idx, { dtype: 'int32' }));
            expect(out.shape, `indexSelect ${name}`).toEqual(expected.shape);
            expect(Array.from(out.dataSync()), `indexSelect ${name}`).toEqual(Array.from(expected.data));
            expect(Array.from(t.indexSelect(dim - r.shape.length, tensor(idx, { dtype: 'int32' })).dataSync())).toEqual(Array.from(expected.data));
          }
        },
      ),
      { numRuns: 25 },
    );
    // a 0-d index selects one entry but keeps the dim
    expect(indexSelect(tensor([[1, 2], [3, 4]]), 0, tensor(1, { dtype: 'int32' })).toArray()).toEqual([[3, 4]]);
  });

  it('oneHot encodes int32 labels along a new last dim', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (shape, C, seed) => {
        const labels = randomRef(shape, seed, 0, C - 1, true);
        const lt = make(labels, 'int32');
        const out = oneHot(lt, C);
        expect(out.dtype).toBe('int32');
        expect(out.shape).toEqual([...shape, C]);
        const expected = new Float64Array(labels.data.length * C);
        labels.data.forEach((v, i) => (expected[i * C + v] = 1));
        expect(Array.from(out.dataSync())).toEqual(Array.from(expected));
        if (shape.length >= 2) expect(Array.from(oneHot(lt.transpose(0, 1), C).transpose(0, 1).contiguous().dataSync())).toEqual(Array.from(expected));
      }),
      { numRuns: 25 },
    );
    expect(oneHot(tensor([0, 2, 1], { dtype: 'int32' })).toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
  });
});
