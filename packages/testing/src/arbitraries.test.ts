import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTypeError, ValueError, broadcastShapes, type Tensor } from '@tsgrad/tensor';
import { arbBroadcastShapes, arbDim, arbDims, arbIndexTensor, arbNonContiguous, arbSeed, arbShape, arbTensor } from './index.js';

const values = (t: Tensor) => Array.from(t.dataSync());
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('arbShape', () => {
  it('respects rank, size and numel bounds (small by default)', () => {
    fc.assert(
      fc.property(arbShape(), (s) => s.length <= 4 && s.every((d) => d >= 1 && d <= 4) && numel(s) <= 64),
    );
    fc.assert(
      fc.property(arbShape({ minRank: 2, maxRank: 3, minSize: 0, maxSize: 2 }), (s) => s.length >= 2 && s.length <= 3 && s.every((d) => d >= 0 && d <= 2)),
    );
    fc.assert(fc.property(arbShape({ maxNumel: 8, maxRank: 4 }), (s) => numel(s) <= 8));
  });

  it('rejects impossible bounds', () => {
    expect(() => arbShape({ minRank: 3, maxRank: 2 })).toThrow(ValueError);
    expect(() => arbShape({ minSize: 4, minRank: 4, maxNumel: 10 })).toThrow(ValueError);
  });
});

describe('arbBroadcastShapes', () => {
  it('draws mutually broadcastable shapes with rank differences and size-1 dims', () => {
    const samples = fc.sample(arbBroadcastShapes(3), 300);
    for (const shapes of samples) {
      expect(shapes).toHaveLength(3);
      expect(() => broadcastShapes('test', ...shapes)).not.toThrow();
    }
    const rankDiff = samples.some((s) => new Set(s.map((x) => x.length)).size > 1);
    const sizeOne = samples.some((s) => {
      const out = broadcastShapes('test', ...s);
      return s.some((x) => x.some((d, i) => d === 1 && out[out.length - x.length + i]! > 1));
    });
    expect(rankDiff).toBe(true);
    expect(sizeOne).toBe(true);
  });
});

describe('arbDim / arbDims / arbSeed', () => {
  it('draws valid dims', () => {
    fc.assert(fc.property(arbDim(3), (d) => d >= -3 && d <= 2));
    fc.assert(fc.property(arbDim(3, { allowNegative: false }), (d) => d >= 0 && d <= 2));
    fc.assert(fc.property(arbDims(4), (ds) => ds.length >= 1 && new Set(ds).size === ds.length && ds.every((d, i) => d >= 0 && d < 4 && (i === 0 || d > ds[i - 1]!))));
    fc.assert(fc.property(arbSeed(), (s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31));
  });
});

describe('arbTensor', () => {
  it('draws float64 tensors in [-3, 3] by default', () => {
    fc.assert(
      fc.property(arbTensor(), (t) => t.dtype === 'float64' && t.isContiguous() && !t.requiresGrad && values(t).every((v) => v >= -3 && v <= 3)),
    );
  });

  it('honours dtype, range, minAbs, distinct, shape and requiresGrad', () => {
    fc.assert(fc.property(arbTensor({ dtype: 'float32', min: 0.5, max: 1 }), (t) => t.dtype === 'float32' && values(t).every((v) => v >= 0.5 && v <= 1)));
    fc.assert(fc.property(arbTensor({ minAbs: 0.25, min: -1, max: 1 }), (t) => values(t).every((v) => Math.abs(v) >= 0.25 && Math.abs(v) <= 1)));
    fc.assert(
      fc.property(arbTensor({ distinct: true, shape: [4, 4] }), (t) => {
        const v = values(t).sort((a, b) => a - b);
        // At least (range length)/(2·numel) apart.
        return t.shape.join() === '4,4' && v.every((x, i) => i === 0 || x - v[i - 1]! >= 6 / 32 - 1e-12);
      }),
    );
    fc.assert(fc.property(arbTensor({ dtype: 'int32', min: -2, max: 5 }), (t) => t.dtype === 'int32' && values(t).every((v) => Number.isInteger(v) && v >= -2 && v <= 5)));
    fc.assert(fc.property(arbTensor({ dtype: 'bool' }), (t) => t.dtype === 'bool' && values(t).every((v) => v === 0 || v === 1)));
    fc.assert(fc.property(arbTensor({ requiresGrad: true, shapeArb: arbShape({ minRank: 1 }) }), (t) => t.requiresGrad && t.isLeaf && t.ndim >= 1));
  });

  it('spreads values over the range instead of piling them onto the bounds', () => {
    const vs = fc.sample(arbTensor({ shape: [8] }), 50).flatMap(values);
    const atBounds = vs.filter((v) => v === -3 || v === 3).length;
    expect(atBounds).toBeLessThan(vs.length / 20);
    expect(new Set(vs).size).toBeGreaterThan(vs.length * 0.9);
  });

  it('prints counterexamples as code', () => {
    const [t] = fc.sample(arbTensor({ shape: [2], requiresGrad: true }), 1);
    expect(fc.stringify(t)).toMatch(/^tensor\(\[\S+,\S+\], \{ dtype: 'float64' \}\)\.requiresGrad_\(\)$/);
  });

  it('rejects bad options', () => {
    expect(() => arbTensor({ dtype: 'int32', requiresGrad: true })).toThrow(DTypeError);
    expect(() => arbTensor({ min: 2, max: 1 })).toThrow(ValueError);
    expect(() => arbTensor({ min: -1, max: 1, minAbs: 2 })).toThrow(ValueError);
    expect(() => arbTensor({ shape: [2], shapeArb: arbShape() })).toThrow(ValueError);
  });
});

describe('arbIndexTensor', () => {
  it('draws int32 indices in [0, bound)', () => {
    fc.assert(fc.property(arbIndexTensor([3, 2], 4), (t) => t.dtype === 'int32' && values(t).every((v) => v >= 0 && v < 4)));
    fc.assert(fc.property(arbIndexTensor([5], 5, { unique: true }), (t) => new Set(values(t)).size === 5));
  });
});

describe('arbNonContiguous', () => {
  it('draws non-contiguous views whenever the shape allows one', () => {
    fc.assert(
      fc.property(arbNonContiguous(), (t) => {
        const canBeStrided = t.shape.some((d) => d > 1);
        return canBeStrided ? !t.isContiguous() : t.offset > 0;
      }),
      { numRuns: 300 },
    );
  });

  it('reaches permuted, sliced and expanded views', () => {
    const shapeArb = arbShape({ minRank: 2, minSize: 2 });
    const kinds = new Set<string>();
    for (const t of fc.sample(arbNonContiguous({ shapeArb }), 200)) {
      if (t.strides.some((s) => s === 0)) kinds.add('expand');
      else if (t.strides.some((s, i) => i > 0 && s > t.strides[i - 1]!)) kinds.add('permute');
      else kinds.add('slice');
    }
    expect([...kinds].sort()).toEqual(['expand', 'permute', 'slice']);
  });

  it('honours kinds, values options and requiresGrad', () => {
    fc.assert(
      fc.property(arbNonContiguous({ kinds: ['expand'], shapeArb: arbShape({ minRank: 1, minSize: 2 }) }), (t) => t.strides.includes(0)),
    );
    fc.assert(
      fc.property(arbNonContiguous({ distinct: true, min: 1, max: 2, requiresGrad: true }), (t) => {
        const v = values(t);
        return t.requiresGrad && t.isLeaf && new Set(v).size === v.length && v.every((x) => x >= 1 && x <= 2);
      }),
    );
    expect(() => arbNonContiguous({ distinct: true, kinds: ['expand'] })).toThrow(ValueError);
    expect(() => arbNonContiguous({ kinds: [] })).toThrow(ValueError);
  });
});
