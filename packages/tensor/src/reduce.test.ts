import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Tensor, tensor, sum, mean, max, min, argmax, argmin, logSumExp, variance, softmax, logSoftmax, ValueError, getBackend,
} from './index.js';
import {
  type Ref, numel, stridesOf, forEachIndex, randomRef, roundTo, expectClose, layouts,
} from './test-support/reference.js';

/*
 * Reductions (one dim, several, all; keepdim) and softmax/logSoftmax against float64
 * references written here with plain loops, on contiguous and non-contiguous inputs.
 */

/** Groups the values of `x` by output position after removing `axes`, in row-major order. */
function reduceRef(x: Ref, axes: readonly number[], keepdim: boolean, f: (vals: number[]) => number): Ref {
  const outShape = keepdim ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const groups: number[][] = Array.from({ length: numel(outShape) }, () => []);
  const keptStrides = stridesOf(x.shape.filter((_, i) => !axes.includes(i)));
  forEachIndex(x.shape, (idx, flat) => {
    let o = 0;
    let k = 0;
    for (let i = 0; i < idx.length; i++) if (!axes.includes(i)) o += idx[i]! * keptStrides[k++]!;
    groups[o]!.push(x.data[flat]!);
  });
  return { shape: outShape, data: Float64Array.from(groups, f) };
}

const refSum = (v: number[]) => { let s = 0; for (const x of v) s += x; return s; };
const refAbsSum = (v: number[]) => { let s = 0; for (const x of v) s += Math.abs(x); return s; };
const refMean = (v: number[]) => refSum(v) / v.length;
const refMax = (v: number[]) => { let m = -Infinity; for (const x of v) if (x > m) m = x; return m; };
const refMin = (v: number[]) => { let m = Infinity; for (const x of v) if (x < m) m = x; return m; };
const refArgmax = (v: number[]) => { let at = 0; for (let i = 1; i < v.length; i++) if (v[i]! > v[at]!) at = i; return at; };
const refArgmin = (v: number[]) => { let at = 0; for (let i = 1; i < v.length; i++) if (v[i]! < v[at]!) at = i; return at; };
// Naive on purpose (inputs are moderate): an independent check of the max-shifted kernel.
const refLogSumExp = (v: number[]) => { let s = 0; for (const x of v) s += Math.exp(x); return Math.log(s); };
const refVar = (correction: number) => (v: number[]) => {
  const m = refMean(v);
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return s / Math.max(0, v.length - correction);
};

/** Random dims spec: undefined (all), a single (maybe negative) dim, or a list. */
const arbCase = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }),
    pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    mode: fc.constantFrom('all', 'one', 'list'),
    negative: fc.boolean(),
    keepdim: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ shape, pick, mode, negative, keepdim, seed }) => {
    const nd = shape.length;
    let dim: number | number[] | undefined;
    let axes: number[];
    if (mode === 'all' || nd === 0) {
      dim = undefined;
      axes = shape.map((_, i) => i);
    } else if (mode === 'one') {
      const d = pick.findIndex(Boolean) >= 0 ? pick.findIndex(Boolean) % nd : nd - 1;
      dim = negative ? d - nd : d;
      axes = [d];
    } else {
      axes = shape.map((_, i) => i).filter((i) => pick[i]);
      dim = axes.map((d) => (negative ? d - nd : d)).reverse();
    }
    return { shape, dim, axes, keepdim, seed };
  });

type RedOp = (x: Tensor, dim: number | number[] | undefined, keepdim: boolean) => Tensor;
const REDUCTIONS: [string, RedOp, (v: number[]) => number, 'sum' | 'exact' | 'smooth'][] = [
  ['sum', (x, d, k) => sum(x, d, k), refSum, 'sum'],
  ['mean', (x, d, k) => mean(x, d, k), refMean, 'sum'],
  ['max', (x, d, k) => max(x, d, k), refMax, 'exact'],
  ['min', (x, d, k) => min(x, d, k), refMin, 'exact'],
  ['logSumExp', (x, d, k) => logSumExp(x, d, k), refLogSumExp, 'smooth'],
  ['var', (x, d, k) => variance(x, d, { keepdim: k }), refVar(1), 'smooth'],
  ['var (correction 0)', (x, d, k) => x.var(d, { keepdim: k, correction: 0 }), refVar(0), 'smooth'],
];

describe('reductions over one dim, several dims or all, with keepdim', () => {
  for (const [name, op, f, kind] of REDUCTIONS) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${name} (${dtype}) matches the reference on every layout`, () => {
        fc.assert(
          fc.property(arbCase, ({ shape, dim, axes, keepdim, seed }) => {
            const ref = roundTo(randomRef(shape, seed, -4, 4), dtype);
            for (const { name: layout, t, ref: r } of layouts(ref, dtype)) {
              // The expanded layout adds a leading dim: shift the requested dims past it.
              const shift = r.shape.length - ref.shape.length;
              const ax = dim === undefined ? r.shape.map((_, i) => i) : axes.map((a) => a + shift);
              const d = dim === undefined ? undefined : typeof dim === 'number' ? (dim < 0 ? dim : dim + shift) : dim.map((a) => (a < 0 ? a : a + shift));
              const expected = reduceRef(r, ax, keepdim, f);
              const scale = reduceRef(r, ax, keepdim, refAbsSum);
              const out = op(t, d, keepdim);
              expect(out.dtype).toBe(dtype);
              expect(out.shape).toEqual(expected.shape);
              const got = out.dataSync();
              const what = `${name} ${dtype} ${layout} [${r.shape}] dim ${JSON.stringify(d)} keepdim ${keepdim}`;
              if (kind === 'exact') expectClose(got, expected.data, 0, 0, what);
              else {
                const rtol = dtype === 'float64' ? 1e-12 : 1e-6;
                // Sums may cancel: bound the error by the size of what was added, not the result.
                const atol = Array.from(scale.data, (s) => s * (dtype === 'float64' ? 1e-14 : 1e-7));
                got.forEach((g, i) => expectClose([g], [expected.data[i]!], rtol, atol[i]!, `${what} at ${i}`));
              }
            }
          }),
          { numRuns: 15 },
        );
      });
    }
  }

  for (const [name, op, f] of [['argmax', argmax, refArgmax], ['argmin', argmin, refArgmin]] as const) {
    it(`${name} over one dim or the flattened tensor gives int32 indices, on every layout`, () => {
      fc.assert(
        fc.property(arbCase, fc.boolean(), ({ shape, dim, axes, keepdim, seed }, ties) => {
          // Small integers make ties common: the first occurrence wins, as in PyTorch.
          const ref = ties ? randomRef(shape, seed, -1, 1, true) : randomRef(shape, seed, -4, 4);
          for (const { name: layout, t, ref: r } of layouts(ref, 'float64')) {
            const shift = r.shape.length - ref.shape.length;
            let out: Tensor;
            let expected: Ref;
            if (typeof dim === 'number') {
              out = op(t, dim < 0 ? dim : dim + shift, keepdim);
              expected = reduceRef(r, [axes[0]! + shift], keepdim, f);
            } else {
              out = op(t, undefined, keepdim);
              const flat = reduceRef({ shape: [r.data.length], data: r.data }, [0], false, f);
              expected = { shape: keepdim ? r.shape.map(() => 1) : [], data: flat.data };
            }
            expect(out.dtype).toBe('int32');
            expect(out.shape).toEqual(expected.shape);
            expect(Array.from(out.dataSync()), `${name} ${layout} dim ${dim}`).toEqual(Array.from(expected.data));
          }
        }),
        { numRuns: 25 },
      );
    });
  }

  it('integer and bool inputs', () => {
    const i = tensor([[1, 5, -2], [7, 0, 3]], { dtype: 'int32' });
    expect(sum(i).dtype).toBe('int32');
    expect(sum(i, 1).toArray()).toEqual([4, 10]);
    expect(max(i, 0).toArray()).toEqual([7, 5, 3]);
    expect(max(i).dtype).toBe('int32');
    expect(mean(i).dtype).toBe('float32');
    expect(mean(i, 0).toArray()).toEqual([4, 2.5, 0.5]);
    expect(sum(tensor([true, true, false])).toArray()).toBe(2);
    expect(sum(tensor([true, true, false])).dtype).toBe('int32');
    expect(logSumExp(tensor([0, 0], { dtype: 'int32' })).dtype).toBe('float32');
    expect(variance(tensor([1, 2, 3, 4], { dtype: 'int32' })).item()).toBeCloseTo(5 / 3, 6);
  });

  it('0-d tensors, size-1 dims and empty dims', () => {
    const s = tensor(3, { dtype: 'float64' });
    expect(sum(s).shape).toEqual([]);
    expect(sum(s).item()).toBe(3);
    expect(sum(s, 0).item()).toBe(3);
    expect(max(s, -1, true).shape).toEqual([]);
    expect(argmax(s).item()).toBe(0);
    const e = tensor([[], []], { dtype: 'float64' }); // shape [2, 0]
    expect(e.shape).toEqual([2, 0]);
    expect(sum(e, 1).toArray()).toEqual([0, 0]);
    expect(sum(e).item()).toBe(0);
    expect(mean(e, 1).toArray()).toEqual([NaN, NaN]);
    expect(logSumExp(e, 1).toArray()).toEqual([-Infinity, -Infinity]);
    expect(sum(e, 0).shape).toEqual([0]);
    expect(() => max(e, 1)).toThrow(ValueError);
    expect(() => argmax(e, 1)).toThrow(/argmax.*size 0/);
    expect(sum(tensor([[1, 2, 3]], { dtype: 'float64' }), 0).toArray()).toEqual([1, 2, 3]);
  });

  it('NaN propagates through max/min/logSumExp; argmax points at the NaN', () => {
    const x = tensor([[1, NaN, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(max(x, 1).toArray()).toEqual([NaN, 6]);
    expect(min(x, 1).toArray()).toEqual([NaN, 4]);
    expect(max(x, 0).toArray()).toEqual([4, NaN, 6]);
    expect(min(x, 0).toArray()).toEqual([1, NaN, 3]);
    expect((logSumExp(x, 1).toArray() as number[])[0]).toBeNaN();
    expect(argmax(x, 1).toArray()).toEqual([1, 2]);
  });

  it('logSumExp is stable for huge and -inf inputs', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([[1e4, 1e4], [-1e4, -1e4], [-Infinity, -Infinity], [-Infinity, 0], [Infinity, 1]], { dtype });
      const out = logSumExp(x, 1).toArray() as number[];
      expectClose(out, [1e4 + Math.LN2, -1e4 + Math.LN2, -Infinity, 0, Infinity].map((v) => (dtype === 'float32' ? Math.fround(v) : v)), dtype === 'float32' ? 1e-6 : 1e-12, 0, `logSumExp ${dtype}`);
    }
  });
});

const refSoftmax = (v: number[]) => { const e = v.map(Math.exp); const s = refSum(e); return e.map((x) => x / s); };
const refLogSoftmax = (v: number[]) => { const l = refLogSumExp(v); return v.map((x) => x - l); };

/** Applies a row function along `dim` of a reference array. */
function alongDim(x: Ref, dim: number, f: (v: number[]) => number[]): Float64Array {
  const out = new Float64Array(x.data.length);
  const st = stridesOf(x.shape);
  forEachIndex(x.shape, (idx, flat) => {
    if (idx[dim] !== 0) return;
    const pos = Array.from({ length: x.shape[dim]! }, (_, j) => flat + j * st[dim]!);
    f(pos.map((p) => x.data[p]!)).forEach((v, j) => (out[pos[j]!] = v));
  });
  return out;
}

// The CPU computes a float32 log-sum-exp in float64 and rounds once; a gpu backend
// accumulates in float32, so lse (≈ 1) carries ~2 ulp (2.4e-7), which logSoftmax
// outputs near 0 inherit as absolute error. float64 bounds are the same everywhere.
const F32_ATOL = getBackend().name === 'cpu' ? 1e-7 : 3e-7;

describe('softmax and logSoftmax', () => {
  for (const [name, op, f] of [['softmax', softmax, refSoftmax], ['logSoftmax', logSoftmax, refLogSoftmax]] as const) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${name} (${dtype}) matches the reference along any dim, on every layout`, () => {
        fc.assert(
          fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer(), (shape, k, seed) => {
            const ref = roundTo(randomRef(shape, seed, -5, 5), dtype);
            for (const { name: layout, t, ref: r } of layouts(ref, dtype)) {
              const dim = k % r.shape.length;
              const out = op(t, dim - (k % 2 ? r.shape.length : 0));
              expect(out.dtype).toBe(dtype);
              expect(out.shape).toEqual(r.shape);
              const expected = alongDim(r, dim, f);
              expectClose(out.dataSync(), expected, dtype === 'float64' ? 1e-12 : 2e-6, dtype === 'float64' ? 1e-14 : F32_ATOL, `${name} ${dtype} ${layout} dim ${dim}`);
            }
          }),
          { numRuns: 15 },
        );
      });
    }
  }

  it('logits of ±1e4 give finite results; softmax rows sum to 1', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([[1e4, -1e4, 0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1, -1e4]], { dtype });
      const ls = logSoftmax(x, 1).toArray() as number[][];
      const sm = softmax(x, 1).toArray() as number[][];
      for (const row of [...ls, ...sm]) for (const v of row) expect(Number.isFinite(v)).toBe(true);
      expect(ls[0]).toEqual([0, -2e4, -1e4]);
      expectClose(ls[1]!, [-Math.log(3), -Math.log(3), -Math.log(3)], dtype === 'float32' ? 1e-6 : 1e-12);
      expectClose(ls[2]!, [-Math.log1p(Math.exp(-1)), -1 - Math.log1p(Math.exp(-1)), -2e4 - Math.log1p(Math.exp(-1))], dtype === 'float32' ? 1e-6 : 1e-12);
      for (const row of sm) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, dtype === 'float32' ? 6 : 12);
      expect(sm[0]).toEqual([1, 0, 0]);
    }
  });

  it('int input gives float32 probabilities', () => {
    const out = softmax(tensor([[0, 0]], { dtype: 'int32' }), -1);
    expect(out.dtype).toBe('float32');
    expect(out.toArray()).toEqual([[0.5, 0.5]]);
  });
});
