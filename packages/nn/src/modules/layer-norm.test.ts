import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError, manualSeed, randn, tensor } from '@tsgrad/tensor';
import { gradcheck } from '@tsgrad/testing';
import { LayerNorm, layerNorm } from '../index.js';
import { data64, expectAllClose, expectGradsMatch } from './test-helpers.js';

/** Normalises each contiguous block of `n` values with the biased variance, then γ·x̂ + β. */
function refLayerNorm(x: Float64Array, n: number, eps: number, w?: Float64Array, b?: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let s = 0; s < x.length; s += n) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[s + i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[s + i]! - mean) ** 2;
    v /= n;
    for (let i = 0; i < n; i++) out[s + i] = ((x[s + i]! - mean) / Math.sqrt(v + eps)) * (w ? w[i]! : 1) + (b ? b[i]! : 0);
  }
  return out;
}

describe('LayerNorm', () => {
  it('has weight = 1 and bias = 0 of normalizedShape; none without elementwiseAffine', () => {
    const ln = new LayerNorm([2, 3]);
    expect(ln.namedParameters().map(([k, p]) => [k, p.shape])).toEqual([['weight', [2, 3]], ['bias', [2, 3]]]);
    expect(Array.from(ln.weight!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(ln.bias!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(new LayerNorm(4, { elementwiseAffine: false }).parameters()).toEqual([]);
    expect(new LayerNorm(4, { bias: false }).namedParameters().map(([k]) => k)).toEqual(['weight']);
    expect(new LayerNorm(4).eps).toBe(1e-5);
  });

  it('matches a float64 reference (biased variance) over one and two trailing dims', () => {
    manualSeed(11);
    const x = randn([3, 2, 5], { dtype: 'float64' }).mul(3).add(1);
    const ln1 = new LayerNorm(5, { dtype: 'float64' });
    expectAllClose(data64(ln1.forward(x)), refLayerNorm(data64(x), 5, 1e-5), 1e-13, 1e-13);
    const ln2 = new LayerNorm([2, 5], { eps: 1e-3, dtype: 'float64' });
    const w = randn([2, 5], { dtype: 'float64' });
    const b = randn([2, 5], { dtype: 'float64' });
    ln2.weight!.assign_(w);
    ln2.bias!.assign_(b);
    expectAllClose(data64(ln2.forward(x)), refLayerNorm(data64(x), 10, 1e-3, data64(w), data64(b)), 1e-13, 1e-13);
    // A known case: [1, 2, 3, 4] has mean 2.5 and biased variance 1.25.
    const y = data64(layerNorm(tensor([1, 2, 3, 4], { dtype: 'float64' }), 4, { eps: 0 }));
    expectAllClose(y, [-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.25)), 1e-15, 1e-15);
  });

  it('float32 output has zero mean and unit (biased) variance per row', () => {
    manualSeed(12);
    const y = new LayerNorm(64).forward(randn([4, 64]).mul(10).add(5));
    const rows = y.toArray() as number[][];
    for (const r of rows) {
      const m = r.reduce((a, b) => a + b, 0) / r.length;
      const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(Math.abs(v - 1)).toBeLessThan(1e-4);
    }
  });

  it('gradients w.r.t. input, weight and bias match finite differences (float64)', () => {
    manualSeed(13);
    const ln = new LayerNorm([2, 3], { dtype: 'float64' });
    ln.weight!.assign_(randn([2, 3], { dtype: 'float64' }));
    ln.bias!.assign_(randn([2, 3], { dtype: 'float64' }));
    const x = randn([2, 2, 3], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((t) => ln.forward(t), [x])).toBe(true);
    const r = randn([2, 2, 3], { dtype: 'float64' });
    expectGradsMatch(() => ln.forward(x).mul(r).sum().add(ln.forward(x).square().sum()), [x, ln.weight!, ln.bias!]);
  });

  it('rejects mismatched trailing dims and bad options', () => {
    const ln = new LayerNorm([2, 3]);
    expect(() => ln.forward(randn([4, 3, 2]))).toThrow(ShapeError);
    expect(() => ln.forward(randn([3]))).toThrow(/LayerNorm|layerNorm: argument 'input' expected shape \[\*, 2, 3\].*got \[3\]/);
    expect(() => new LayerNorm(0)).toThrow(ValueError);
    expect(() => new LayerNorm(3, { eps: -1 })).toThrow(/eps/);
  });
});
