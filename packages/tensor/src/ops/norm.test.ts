import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbShape, gradcheck } from '@tsgrad/testing';
import { DTypeError, ValueError, norm, std, tensor } from '../index.js';
import { expectClose, forEachIndex, randomRef, roundTo } from '../test-support/reference.js';

/* std and norm against reductions written here over the selected dims. */

/** Groups the elements of `shape` by their coordinates outside `dims`; fn(values) per group, in row-major order. */
function reduceRef(data: Float64Array, shape: number[], dims: number[], fn: (v: number[]) => number): Float64Array {
  const groups = new Map<string, number[]>();
  forEachIndex(shape, (idx, flat) => {
    const key = idx.filter((_, i) => !dims.includes(i)).join(',');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(data[flat]!);
  });
  return Float64Array.from([...groups.values()].map(fn));
}

const refNorm = (p: number) => (v: number[]): number => {
  const a = v.map(Math.abs);
  if (p === Infinity) return Math.max(...a);
  if (p === -Infinity) return Math.min(...a);
  if (p === 0) return a.filter((x) => x !== 0).length;
  return a.reduce((s, x) => s + x ** p, 0) ** (1 / p);
};

const refStd = (correction: number) => (v: number[]): number => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  // PyTorch's divisor: max(0, n − correction) (0/0 = NaN for a single element).
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(0, v.length - correction));
};

const arbCase = arbShape({ minRank: 1, maxRank: 3, minSize: 1, maxSize: 5 }).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    dims: fc.subarray(shape.map((_, i) => i)),
    keepdim: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
  }),
);

describe('norm', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const p of [2, 1, Infinity, -Infinity, 0, 3, 0.5] as const) {
      it(`p = ${p} over any dims (${dtype})`, () => {
        fc.assert(
          fc.property(arbCase, (c) => {
            const ref = roundTo(randomRef(c.shape, c.seed, -2, 2), dtype);
            const x = tensor(ref.data, { dtype, shape: c.shape });
            const dims = c.dims.length ? c.dims : c.shape.map((_, i) => i);
            const y = norm(x, p, c.dims.length ? c.dims : undefined, c.keepdim);
            const keptShape = c.shape.map((s, i) => (dims.includes(i) ? 1 : s));
            expect(y.shape).toEqual(c.keepdim ? keptShape : c.shape.filter((_, i) => !dims.includes(i)));
            const tol = dtype === 'float32' ? 1e-5 : 1e-12;
            expectClose(y.dataSync(), reduceRef(ref.data, c.shape, dims, refNorm(p)), tol, tol, `norm p=${p}`);
          }),
          { numRuns: 25 },
        );
      });
    }
  }

  it("'fro' is the 2-norm; int input is rejected; p must be a number", () => {
    const x = tensor([[3, 4], [0, 12]]);
    expect(norm(x, 'fro').item()).toBe(13);
    expect(x.norm(2, 1).toArray()).toEqual([5, 12]);
    expect(() => norm(x.to('int32'))).toThrow(DTypeError);
    expect(() => norm(x, NaN)).toThrow(ValueError);
  });

  it('gradients (gradcheck), 0 at x = 0 like PyTorch, ∞-norm ties share', () => {
    for (const p of [2, 1, Infinity, 3, 'fro'] as const) {
      fc.assert(
        fc.property(arbCase, (c) => {
          const x = tensor(randomRef(c.shape, c.seed, 0.1, 1).data.map((v, i) => (i % 2 ? -v : v)), { dtype: 'float64', shape: c.shape, requiresGrad: true });
          return gradcheck((t) => norm(t!, p, c.dims.length ? c.dims : undefined, c.keepdim), [x]);
        }),
        { numRuns: 15 },
      );
    }
    for (const p of [2, 3, 1]) {
      const z = tensor([0, 0, 0], { dtype: 'float64', requiresGrad: true });
      norm(z, p).backward();
      expect(z.grad!.toArray()).toEqual([0, 0, 0]);
    }
    const t = tensor([-2, 1, 2], { dtype: 'float64', requiresGrad: true });
    norm(t, Infinity).backward();
    expect(t.grad!.toArray()).toEqual([-0.5, 0, 0.5]);
    const c = tensor([1, 0, 2], { dtype: 'float64', requiresGrad: true });
    norm(c, 0).backward();
    expect(c.grad!.toArray()).toEqual([0, 0, 0]);
  });
});

describe('std', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`is √(Σ(x − mean)² / (n − correction)) (${dtype})`, () => {
      fc.assert(
        fc.property(arbCase, fc.constantFrom(0, 1, 2), (c, correction) => {
          const ref = roundTo(randomRef(c.shape, c.seed, -2, 2), dtype);
          const x = tensor(ref.data, { dtype, shape: c.shape });
          const dims = c.dims.length ? c.dims : c.shape.map((_, i) => i);
          const y = std(x, c.dims.length ? c.dims : undefined, { correction, keepdim: c.keepdim });
          const tol = dtype === 'float32' ? 1e-5 : 1e-12;
          expectClose(y.dataSync(), reduceRef(ref.data, c.shape, dims, refStd(correction)), tol, tol, 'std');
        }),
        { numRuns: 40 },
      );
    });
  }

  it('unbiased: false is correction 0; gradcheck', () => {
    const x = tensor([1, 2, 3, 4], { dtype: 'float64' });
    expect(std(x, undefined, { unbiased: false }).item()).toBeCloseTo(Math.sqrt(1.25), 14);
    expect(x.std().item()).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(() => std(x, 0, { unbiased: true, correction: 1 })).toThrow(ValueError);
    fc.assert(
      fc.property(arbCase, (c) => {
        const t = tensor(randomRef(c.shape, c.seed, -1, 1).data, { dtype: 'float64', shape: c.shape, requiresGrad: true });
        const dims = c.dims.length ? c.dims : c.shape.map((_, i) => i);
        if (dims.reduce((n, d) => n * c.shape[d]!, 1) < 2) return true;
        return gradcheck((u) => std(u!, dims, { keepdim: c.keepdim }), [t]);
      }),
      { numRuns: 25 },
    );
  });
});
