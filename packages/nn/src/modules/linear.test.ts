import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError, manualSeed, randn, tensor } from '@tsgrad/tensor';
import { gradcheck } from '@tsgrad/testing';
import { Linear } from '../index.js';
import { data64, expectAllClose, expectGradsMatch } from './test-helpers.js';

/** y[r, o] = Σᵢ x[r, i] W[o, i] + b[o], in plain float64 loops. */
function refLinear(x: Float64Array, rows: number, w: Float64Array, b: Float64Array | null, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      y[r * outF + o] = s;
    }
  }
  return y;
}

describe('Linear', () => {
  it('stores weight [out, in] and bias [out], named weight then bias', () => {
    const lin = new Linear(3, 5);
    expect(lin.weight.shape).toEqual([5, 3]);
    expect(lin.bias!.shape).toEqual([5]);
    expect(lin.namedParameters().map(([k]) => k)).toEqual(['weight', 'bias']);
    expect(lin.weight.requiresGrad && lin.bias!.requiresGrad).toBe(true);
    expect(lin.weight.dtype).toBe('float32');
    expect(new Linear(3, 5, { bias: false }).namedParameters().map(([k]) => k)).toEqual(['weight']);
    expect(new Linear(2, 2, { dtype: 'float64' }).bias!.dtype).toBe('float64');
  });

  it("initialises like PyTorch: weight and bias ~ U(−1/√in, 1/√in)", () => {
    manualSeed(1);
    const inF = 50;
    const lin = new Linear(inF, 400);
    const bound = 1 / Math.sqrt(inF);
    for (const p of [lin.weight, lin.bias!]) {
      const v = data64(p);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v)).toBeGreaterThan(0.9 * bound);
      expect(Math.min(...v)).toBeLessThan(-0.9 * bound);
    }
    const w = data64(lin.weight);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    // U(−b, b) has std b/√3; 20 000 samples pin it to well under 2 %.
    expect(Math.abs(std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean)).toBeLessThan(0.01 * bound);
  });

  it('is deterministic under manualSeed', () => {
    manualSeed(7);
    const a = new Linear(4, 3);
    manualSeed(7);
    const b = new Linear(4, 3);
    expect(a.weight.toArray()).toEqual(b.weight.toArray());
    expect(a.bias!.toArray()).toEqual(b.bias!.toArray());
  });

  it('forward matches a float64 reference for [N, in], [in] and [A, B, in] inputs', () => {
    manualSeed(3);
    const lin = new Linear(4, 3, { dtype: 'float64' });
    const w = data64(lin.weight);
    const b = data64(lin.bias!);
    for (const shape of [[6, 4], [4], [2, 3, 4]]) {
      const x = randn(shape, { dtype: 'float64' });
      const rows = x.numel / 4;
      const y = lin.forward(x);
      expect(y.shape).toEqual([...shape.slice(0, -1), 3]);
      expectAllClose(data64(y), refLinear(data64(x), rows, w, b, 4, 3), 1e-14, 1e-14);
    }
    const noBias = new Linear(4, 2, { bias: false, dtype: 'float64' });
    const x = randn([5, 4], { dtype: 'float64' });
    expectAllClose(data64(noBias.forward(x)), refLinear(data64(x), 5, data64(noBias.weight), null, 4, 2), 1e-14, 1e-14);
  });

  it('gradients w.r.t. input, weight and bias match finite differences (float64)', () => {
    manualSeed(4);
    const lin = new Linear(3, 2, { dtype: 'float64' });
    const x = randn([4, 3], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((t) => lin.forward(t), [x])).toBe(true);
    const target = randn([4, 2], { dtype: 'float64' });
    // A non-linear scalar so that every entry of every gradient matters.
    const loss = () => lin.forward(x).sub(target).square().sum().add(lin.forward(x).tanh().sum());
    expectGradsMatch(loss, [x, lin.weight, lin.bias!]);
  });

  it('bias gradient sums over every leading dim', () => {
    const lin = new Linear(2, 2, { dtype: 'float64' });
    const x = randn([3, 5, 2], { dtype: 'float64' });
    lin.forward(x).sum().backward();
    expect(Array.from(lin.bias!.grad!.dataSync())).toEqual([15, 15]);
  });

  it('rejects a wrong last dim and bad sizes with clear errors', () => {
    const lin = new Linear(3, 2);
    expect(() => lin.forward(tensor([[1, 2]]))).toThrow(ShapeError);
    expect(() => lin.forward(tensor([[1, 2]]))).toThrow(/Linear: argument 'input' expected shape \[\*, 3\].*got \[1, 2\]/);
    expect(() => new Linear(-1, 2)).toThrow(ValueError);
    expect(() => new Linear(2.5, 2)).toThrow(/inFeatures/);
  });
});
