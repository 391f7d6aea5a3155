import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Tensor, tensor, neg, abs, sign, exp, expm1, log, log1p, sqrt, rsqrt, square, reciprocal, sin, cos, tanh, sigmoid,
  relu, softplus, logSigmoid, clamp, add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, where,
  type DType,
} from './index.js';
import {
  type Ref, numel, stridesOf, forEachIndex, randomRef, roundTo, expectClose, make, layouts, arbShape, broadcastable, broadcastRef,
} from './test-support/reference.js';

/*
 * Forward values of every elementwise op against float64 references written here with
 * plain loops over Float64Arrays (never the kernels under test), on contiguous inputs
 * and on transposed, permuted, strided-slice and expanded views of the same values.
 */

function offsetIn(shape: readonly number[], outIdx: readonly number[]): number {
  const off = outIdx.length - shape.length;
  const st = stridesOf(shape);
  let o = 0;
  for (let i = 0; i < shape.length; i++) o += (shape[i] === 1 ? 0 : outIdx[off + i]!) * st[i]!;
  return o;
}

function binaryRef(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = broadcastRef([a.shape, b.shape]);
  const data = new Float64Array(numel(shape));
  forEachIndex(shape, (idx, flat) => {
    data[flat] = f(a.data[offsetIn(a.shape, idx)]!, b.data[offsetIn(b.shape, idx)]!);
  });
  return { shape, data };
}

/** Two shapes that broadcast: drop leading dims of the output shape and set some dims to 1. */
const arbBroadcastPair = fc
  .record({
    out: arbShape(),
    dropA: fc.nat({ max: 4 }),
    dropB: fc.nat({ max: 4 }),
    onesA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    onesB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    seed: fc.integer(),
  })
  .map(({ out, dropA, dropB, onesA, onesB, seed }) => {
    const mk = (drop: number, ones: boolean[]) => {
      const k = Math.min(drop, out.length);
      return out.slice(k).map((d, i) => (ones[i + k] ? 1 : d));
    };
    return { a: mk(dropA, onesA), b: mk(dropB, onesB), seed };
  });

const sigmoidRef = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplusRef = (x: number) => (x > 30 ? x + Math.exp(-x) : Math.log(1 + Math.exp(x)));

type Domain = 'any' | 'positive' | 'aboveMinus1' | 'nonzero';
const UNARY: [string, (t: Tensor) => Tensor, (x: number) => number, Domain][] = [
  ['neg', neg, (x) => -x, 'any'],
  ['abs', abs, (x) => (x < 0 ? -x : x), 'any'],
  ['sign', sign, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), 'any'],
  ['exp', exp, Math.exp, 'any'],
  ['expm1', expm1, Math.expm1, 'any'],
  ['log', log, Math.log, 'positive'],
  ['log1p', log1p, Math.log1p, 'aboveMinus1'],
  ['sqrt', sqrt, Math.sqrt, 'positive'],
  ['rsqrt', rsqrt, (x) => 1 / Math.sqrt(x), 'positive'],
  ['square', square, (x) => x * x, 'any'],
  ['reciprocal', reciprocal, (x) => 1 / x, 'nonzero'],
  ['sin', sin, Math.sin, 'any'],
  ['cos', cos, Math.cos, 'any'],
  ['tanh', tanh, Math.tanh, 'any'],
  ['sigmoid', sigmoid, sigmoidRef, 'any'],
  ['relu', relu, (x) => (x > 0 ? x : 0), 'any'],
  ['softplus', softplus, softplusRef, 'any'],
  ['logSigmoid', logSigmoid, (x) => -softplusRef(-x), 'any'],
  ['clamp(-1, 2)', (t) => clamp(t, -1, 2), (x) => Math.min(Math.max(x, -1), 2), 'any'],
  ['clamp(min only)', (t) => clamp(t, 0.5), (x) => Math.max(x, 0.5), 'any'],
  ['clamp(max only)', (t) => clamp(t, null, -0.5), (x) => Math.min(x, -0.5), 'any'],
];

function domainRef(shape: readonly number[], seed: number, domain: Domain): Ref {
  switch (domain) {
    case 'any': return randomRef(shape, seed, -4, 4);
    case 'positive': return randomRef(shape, seed, 0.05, 6);
    case 'aboveMinus1': return randomRef(shape, seed, -0.95, 6);
    case 'nonzero': {
      const r = randomRef(shape, seed, 0.1, 4);
      r.data.forEach((v, i) => (r.data[i] = i % 2 ? -v : v));
      return r;
    }
  }
}

const TOL: Record<'float32' | 'float64', number> = { float64: 1e-12, float32: 1e-6 };

describe('unary elementwise ops: forward values', () => {
  for (const [name, op, f, domain] of UNARY) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${name} (${dtype}) matches the float64 reference on random shapes and every layout`, () => {
        fc.assert(
          fc.property(arbShape(), fc.integer(), (shape, seed) => {
            const ref = roundTo(domainRef(shape, seed, domain), dtype);
            for (const { name: layout, t, ref: r } of layouts(ref, dtype)) {
              const out = op(t);
              expect(out.dtype).toBe(dtype);
              expect(out.shape).toEqual(r.shape);
              const expected = r.data.map((x) => (dtype === 'float32' ? Math.fround(f(x)) : f(x)));
              expectClose(out.dataSync(), expected, TOL[dtype], 0, `${name} ${dtype} ${layout} shape [${r.shape}]`);
            }
          }),
          { numRuns: 12 },
        );
      });
    }
  }

  it('0-d inputs give 0-d outputs', () => {
    const out = exp(tensor(1, { dtype: 'float64' }));
    expect(out.shape).toEqual([]);
    expect(out.item()).toBe(Math.E);
  });

  it('special values: infinities, NaN, signed zero', () => {
    const x = tensor([-Infinity, -1, -0, 0, 1, Infinity, NaN], { dtype: 'float64' });
    expect(relu(x).toArray()).toEqual([0, 0, 0, 0, 1, Infinity, NaN]);
    expect(sign(x).toArray()).toEqual([-1, -1, -0, 0, 1, 1, NaN]);
    expect(exp(x).toArray()).toEqual([0, Math.exp(-1), 1, 1, Math.E, Infinity, NaN]);
    expect(sigmoid(x).toArray()).toEqual([0, sigmoidRef(-1), 0.5, 0.5, sigmoidRef(1), 1, NaN]);
    expect(log(tensor([0, -1], { dtype: 'float64' })).toArray()).toEqual([-Infinity, NaN]);
    expect(sqrt(tensor([-1], { dtype: 'float64' })).toArray()).toEqual([NaN]);
  });

  it('stable composites stay finite at extreme logits (±1e4, ±1e30)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([-1e30, -1e4, -50, 50, 1e4, 1e30], { dtype });
      const sp = softplus(x).toArray() as number[];
      const ls = logSigmoid(x).toArray() as number[];
      const sg = sigmoid(x).toArray() as number[];
      for (const v of [...sp, ...ls, ...sg]) expect(Number.isFinite(v)).toBe(true);
      expectClose(sp, [0, 0, Math.exp(-50), 50, 1e4, 1e30].map((v) => (dtype === 'float32' ? Math.fround(v) : v)), TOL[dtype], 0, `softplus ${dtype}`);
      expectClose(ls, [-1e30, -1e4, -50, -Math.exp(-50), -0, -0].map((v) => (dtype === 'float32' ? Math.fround(v) : v)), TOL[dtype], 0, `logSigmoid ${dtype}`);
      expect(sg[0]).toBe(0);
      expect(sg[5]).toBe(1);
    }
  });

  it('integer and bool inputs: float-only ops give float32, the others keep int32', () => {
    const i = tensor([-2, 0, 3], { dtype: 'int32' });
    expect(exp(i).dtype).toBe('float32');
    expectClose(exp(i).dataSync(), [-2, 0, 3].map((v) => Math.fround(Math.exp(v))), 1e-7);
    expect(reciprocal(i).dtype).toBe('float32');
    expect(sqrt(tensor([4, 9], { dtype: 'int32' })).toArray()).toEqual([2, 3]);
    for (const [op, expected] of [
      [neg, [2, 0, -3]], [abs, [2, 0, 3]], [sign, [-1, 0, 1]], [square, [4, 0, 9]], [relu, [0, 0, 3]],
    ] as const) {
      const out = op(i);
      expect(out.dtype).toBe('int32');
      expect(out.toArray()).toEqual(expected);
    }
    const clamped = clamp(i, -1, 2);
    expect(clamped.dtype).toBe('int32');
    expect(clamped.toArray()).toEqual([-1, 0, 2]);
    expect(clamp(i, 0.5).dtype).toBe('float32');
    expect(sigmoid(tensor([true, false])).dtype).toBe('float32');
  });

  it('clamp accepts tensor bounds that broadcast', () => {
    const x = tensor([[-3, 0, 3], [5, -5, 1]], { dtype: 'float64' });
    const lo = tensor([[-1], [0]], { dtype: 'float64' });
    const hi = tensor([2, 2, 0.5], { dtype: 'float64' });
    expect(clamp(x, lo, hi).toArray()).toEqual([[-1, 0, 0.5], [2, 0, 0.5]]);
  });
});

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number, 'any' | 'divisor' | 'pow'][] = [
  ['add', add, (x, y) => x + y, 'any'],
  ['sub', sub, (x, y) => x - y, 'any'],
  ['mul', mul, (x, y) => x * y, 'any'],
  ['div', div, (x, y) => x / y, 'divisor'],
  ['pow', pow, (x, y) => Math.exp(y * Math.log(x)), 'pow'],
  ['maximum', maximum, (x, y) => (x > y ? x : y), 'any'],
  ['minimum', minimum, (x, y) => (x < y ? x : y), 'any'],
];

describe('binary elementwise ops: NumPy broadcasting', () => {
  for (const [name, op, f, domain] of BINARY) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${name} (${dtype}) matches the reference on random broadcastable shapes`, () => {
        fc.assert(
          fc.property(arbBroadcastPair, ({ a: sa, b: sb, seed }) => {
            const a = roundTo(domain === 'pow' ? randomRef(sa, seed, 0.2, 3) : randomRef(sa, seed, -4, 4), dtype);
            const b = roundTo(
              domain === 'pow' ? randomRef(sb, seed + 1, -2, 2) : domain === 'divisor' ? domainRef(sb, seed + 1, 'nonzero') : randomRef(sb, seed + 1, -4, 4),
              dtype,
            );
            const expected = binaryRef(a, b, f);
            const out = op(make(a, dtype), make(b, dtype));
            expect(out.dtype).toBe(dtype);
            expect(out.shape).toEqual(expected.shape);
            const e = dtype === 'float32' ? expected.data.map(Math.fround) : expected.data;
            // pow's reference goes through exp/log, so allow a few ulps more than the exact ops.
            const tol = name === 'pow' ? TOL[dtype] * 10 : dtype === 'float64' ? 0 : TOL[dtype];
            expectClose(out.dataSync(), e, tol, 0, `${name} [${sa}]·[${sb}]`);
          }),
          { numRuns: 25 },
        );
      });
    }
  }

  it('non-contiguous operands: every layout of a against every layout of b', () => {
    // Shapes chosen so that every layout pair (expanded ones included) still broadcasts.
    const a = randomRef([2, 3, 4], 1, -3, 3);
    const b = randomRef([3, 1], 2, 0.5, 3);
    for (const [name, op, f, domain] of BINARY) {
      const base = domain === 'pow' ? { shape: a.shape, data: a.data.map(Math.abs) } : a;
      for (const la of layouts(base, 'float64')) {
        for (const lb of layouts(b, 'float64')) {
          const expected = binaryRef(la.ref, lb.ref, f);
          const out = op(la.t, lb.t);
          expect(out.shape).toEqual(expected.shape);
          expectClose(out.dataSync(), expected.data, name === 'pow' ? 1e-12 : 0, 0, `${name} ${la.name} vs ${lb.name}`);
        }
      }
    }
  });

  it('fixed broadcasting cases (PyTorch examples)', () => {
    expect(add(tensor([[1], [2], [3]]), tensor([10, 20])).toArray()).toEqual([[11, 21], [12, 22], [13, 23]]);
    expect(add(tensor(1), tensor([[1, 2]])).shape).toEqual([1, 2]);
    expect(mul(tensor([[[1, 2]]]), tensor([[3], [4]])).shape).toEqual([1, 2, 2]);
    expect(add(tensor([[1, 2, 3]]).expand([0, 3]), tensor([1, 2, 3])).shape).toEqual([0, 3]);
    expect(add(tensor(1), tensor(2)).shape).toEqual([]);
    // a JS number on either side
    expect(sub(10, tensor([1, 2])).toArray()).toEqual([9, 8]);
    expect(div(tensor([1, 2]), 4).toArray()).toEqual([0.25, 0.5]);
    expect(pow(2, tensor([3, 0.5], { dtype: 'float64' })).toArray()).toEqual([8, Math.SQRT2]);
  });

  it('maximum/minimum propagate NaN like PyTorch; pow matches Math.pow on negative bases', () => {
    const a = tensor([NaN, 1, 2], { dtype: 'float64' });
    const b = tensor([1, NaN, 1], { dtype: 'float64' });
    expect(maximum(a, b).toArray()).toEqual([NaN, NaN, 2]);
    expect(minimum(a, b).toArray()).toEqual([NaN, NaN, 1]);
    expect(pow(tensor([-2, -2, 0, 0], { dtype: 'float64' }), tensor([3, 0.5, 0, -1], { dtype: 'float64' })).toArray()).toEqual([
      -8, NaN, 1, Infinity,
    ]);
  });
});

const COMPARE: [string, (a: Tensor | number, b: Tensor | number) => Tensor, (x: number, y: number) => boolean][] = [
  ['eq', eq, (x, y) => x === y],
  ['ne', ne, (x, y) => x !== y],
  ['lt', lt, (x, y) => x < y],
  ['le', le, (x, y) => x <= y],
  ['gt', gt, (x, y) => x > y],
  ['ge', ge, (x, y) => x >= y],
];

describe('comparisons and where', () => {
  for (const [name, op, f] of COMPARE) {
    it(`${name} gives bool with broadcasting, ties included, on every layout`, () => {
      fc.assert(
        fc.property(arbBroadcastPair, fc.constantFrom<DType>('float32', 'float64', 'int32'), ({ a: sa, b: sb, seed }, dtype) => {
          const a = randomRef(sa, seed, -1, 1, true);
          const b = randomRef(sb, seed + 7, -1, 1, true);
          for (const la of layouts(a, dtype)) {
            if (!broadcastable(la.ref.shape, b.shape)) continue;
            const expected = binaryRef(la.ref, b, (x, y) => (f(x, y) ? 1 : 0));
            const out = op(la.t, make(b, dtype));
            expect(out.dtype).toBe('bool');
            expect(out.shape).toEqual(expected.shape);
            expect(Array.from(out.dataSync())).toEqual(Array.from(expected.data));
          }
        }),
        { numRuns: 15 },
      );
    });
  }

  it('comparisons with NaN and with JS numbers', () => {
    const x = tensor([NaN, 1, 2], { dtype: 'float64' });
    expect(eq(x, x).toArray()).toEqual([0, 1, 1]);
    expect(ne(x, x).toArray()).toEqual([1, 0, 0]);
    expect(lt(x, 2).toArray()).toEqual([0, 1, 0]);
    expect(ge(1.5, x).toArray()).toEqual([0, 1, 0]);
    expect(gt(tensor([1, 2], { dtype: 'int32' }), 1.5).toArray()).toEqual([0, 1]);
  });

  it('where broadcasts condition, a and b and reads non-contiguous views', () => {
    fc.assert(
      fc.property(arbBroadcastPair, fc.integer({ min: 0, max: 2 }), ({ a: sa, b: sb, seed }, which) => {
        const shapes = [sa, sb, broadcastRef([sa, sb])];
        const sc = shapes[which]!.map((d, i) => (i % 2 === 0 ? d : 1));
        const c = randomRef(sc, seed, 0, 1, true);
        const a = randomRef(sa, seed + 1, -4, 4);
        const b = randomRef(sb, seed + 2, -4, 4);
        const outShape = broadcastRef([sc, sa, sb]);
        const expected = new Float64Array(numel(outShape));
        forEachIndex(outShape, (idx, flat) => {
          expected[flat] = c.data[offsetIn(sc, idx)] ? a.data[offsetIn(sa, idx)]! : b.data[offsetIn(sb, idx)]!;
        });
        for (const lc of layouts(c, 'bool')) {
          if (lc.name === 'expanded') continue;
          for (const la of layouts(a, 'float64')) {
            if (la.name === 'expanded') continue;
            const out = where(lc.t, la.t, make(b, 'float64'));
            expect(out.shape).toEqual(outShape);
            expect(Array.from(out.dataSync())).toEqual(Array.from(expected));
          }
        }
      }),
      { numRuns: 20 },
    );
  });

  it('where with JS numbers and mixed dtypes', () => {
    const c = tensor([true, false, true]);
    expect(where(c, 1, 0).dtype).toBe('int32');
    expect(where(c, 1, 0).toArray()).toEqual([1, 0, 1]);
    const w = where(c, tensor([1, 2, 3], { dtype: 'float64' }), 0.5);
    expect(w.dtype).toBe('float64');
    expect(w.toArray()).toEqual([1, 0.5, 3]);
    expect(where(c, tensor([1, 2, 3], { dtype: 'int32' }), tensor([9], { dtype: 'float32' })).dtype).toBe('float32');
  });
});
