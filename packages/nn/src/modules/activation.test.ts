import { describe, expect, it } from 'vitest';
import { linspace, tensor, ValueError } from '@tsgrad/tensor';
import { gradcheck, gradgradcheck } from '@tsgrad/testing';
import { GELU, ReLU, Sigmoid, Tanh, erf, erfc, gelu } from '../index.js';
import { data64, expectAllClose, refErf, refErfc, refGelu } from './test-helpers.js';

const f64 = (v: number[], requiresGrad = false) => tensor(v, { dtype: 'float64', requiresGrad });
const grid = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

describe('ReLU, Sigmoid, Tanh', () => {
  const xs = [-3, -0.5, 0, 0.25, 2, 7];
  it('match Math in float64', () => {
    const x = f64(xs);
    expectAllClose(data64(new ReLU().forward(x)), xs.map((v) => Math.max(v, 0)), 0);
    expectAllClose(data64(new Sigmoid().forward(x)), xs.map((v) => 1 / (1 + Math.exp(-v))), 1e-16, 1e-15);
    expectAllClose(data64(new Tanh().forward(x)), xs.map(Math.tanh), 1e-16, 1e-15);
  });
  it('have correct gradients', () => {
    const x = f64([-3, -0.5, 0.25, 2], true);
    for (const m of [new ReLU(), new Sigmoid(), new Tanh()]) expect(gradcheck((t) => m.forward(t), [x])).toBe(true);
  });
  it('have no parameters', () => {
    expect(new ReLU().parameters()).toEqual([]);
  });
});

describe('erf / erfc compositions', () => {
  // mpmath at 30 digits: independent anchors for the float64 reference too.
  const anchors: [number, number, number][] = [
    [0.1, 0.1124629160182849, 0.8875370839817151],
    [1, 0.8427007929497149, 0.15729920705028513],
    [2, 0.9953222650189527, 0.004677734981047266],
    [2.5, 0.999593047982555, 0.00040695201744495894],
    [5, 0.9999999999984626, 1.5374597944280349e-12],
    [10, 1, 2.0884875837625448e-45],
    [26, 1, 5.663192408856143e-296],
  ];
  it('hits mpmath anchors to a few ulp in float64', () => {
    const x = f64(anchors.map((a) => a[0]));
    expectAllClose(data64(erf(x)), anchors.map((a) => a[1]), 0, 1e-15);
    expectAllClose(data64(erfc(x)), anchors.map((a) => a[2]), 0, 1e-15);
    expectAllClose(data64(erfc(f64(anchors.map((a) => -a[0])))), anchors.map((a) => 2 - a[2]), 0, 1e-15);
  });
  it('matches the float64 reference over [-27, 27]: relative error ≤ 1e-15 (documented 7e-16 vs mpmath)', () => {
    const xs = [...grid(-6, 6, 1201), ...grid(6, 27, 211), 1e-300, -1e-12, 1e-8, 0.4999999, 0.5, 0.5000001];
    const x = f64(xs);
    expectAllClose(data64(erf(x)), xs.map(refErf), 0, 1e-15);
    // The reference itself rounds x² in exp(−x²): allow for that far in the tail.
    const c = data64(erfc(x));
    xs.forEach((v, i) => {
      const r = refErfc(v);
      // Below 1 the reference is 1 − erf, good to ~5e-16 absolute only.
      expect(Math.abs(c[i]! - r)).toBeLessThanOrEqual(r * (1e-15 + 2.2e-16 * v * v) + (v < 1 ? 5e-16 : 0));
    });
  });
  it('is accurate in float32 (a few float32 ulp) and keeps float32', () => {
    const xs = grid(-4, 9, 521);
    const x = tensor(xs);
    const c = erfc(x);
    expect(c.dtype).toBe('float32');
    const got = c.dataSync();
    xs.forEach((v, i) => {
      const xv = Math.fround(v);
      const r = refErfc(xv);
      expect(Math.abs(got[i]! - r)).toBeLessThanOrEqual(r * 1e-6);
    });
    expectAllClose(erf(x).dataSync(), xs.map((v) => refErf(Math.fround(v))), 1e-7, 1e-6);
  });
  it('saturates without NaN and handles infinities', () => {
    const x = f64([-Infinity, -40, 40, Infinity]);
    expect(Array.from(erfc(x).dataSync())).toEqual([2, 2, 0, 0]);
    expect(Array.from(erf(x).dataSync())).toEqual([-1, -1, 1, 1]);
  });
  it('differentiates to first and second order (d erf = 2/√π e^(−x²))', () => {
    const x = f64([-3, -1.2, -0.5, -0.2, 0, 0.3, 0.49, 0.51, 1, 2.5, 6], true);
    expect(gradcheck((t) => erf(t), [x])).toBe(true);
    expect(gradcheck((t) => erfc(t), [x])).toBe(true);
    expect(gradgradcheck((t) => erf(t), [x])).toBe(true);
    erf(x).sum().backward();
    expectAllClose(data64(x.grad!), data64(x).map((v) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v)), 1e-16, 1e-14);
  });
  it('gives finite zero gradients deep in the tails', () => {
    const x = f64([-1e10, -30, 30, 1e10], true);
    erfc(x).sum().backward();
    expect(Array.from(x.grad!.dataSync()).map(Math.abs)).toEqual([0, 0, 0, 0]);
  });
});

describe('GELU', () => {
  it('exact form matches x·Φ(x) in float64 to the documented 1e-15 + x²·ε, tails included', () => {
    const xs = [...grid(-10, 10, 801), -20, -37, 1e-12, -1e-12];
    const got = data64(gelu(f64(xs)));
    xs.forEach((v, i) => {
      const r = refGelu(v);
      // Documented 1e-15 + x²·ε for ours, about the same for the reference (both round x/√2).
      expect(Math.abs(got[i]! - r)).toBeLessThanOrEqual(Math.abs(r) * (2.5e-15 + 4.4e-16 * v * v) + 1e-300);
    });
    // mpmath values, within the documented bound
    const at = [-8, -5, -3, -1, 0.25, 1, 3, 6];
    const exact = [
      -4.976768459417427e-15, -1.4332578593959695e-6, -0.0040496940948902835, -0.15865525393145705,
      0.14967658142073093, 0.8413447460685429, 2.99595030590511, 5.999999994080474,
    ];
    const g = data64(gelu(f64(at)));
    at.forEach((v, i) => expect(Math.abs(g[i]! - exact[i]!)).toBeLessThanOrEqual(Math.abs(exact[i]!) * (1e-15 + 2.2e-16 * v * v)));
  });
  it('float32 exact form is within a few float32 ulp', () => {
    const xs = grid(-6, 6, 301);
    const got = new GELU().forward(tensor(xs)).dataSync();
    xs.forEach((v, i) => {
      const r = refGelu(Math.fround(v));
      expect(Math.abs(got[i]! - r)).toBeLessThanOrEqual(Math.abs(r) * (1e-6 + 1.2e-7 * v * v) + 1e-38);
    });
  });
  it("approximate: 'tanh' is PyTorch's tanh formula and within 4.8e-4 of the exact GELU", () => {
    const xs = grid(-8, 8, 1601);
    const got = data64(new GELU({ approximate: 'tanh' }).forward(f64(xs)));
    const c = Math.sqrt(2 / Math.PI);
    expectAllClose(got, xs.map((v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3)))), 1e-15, 1e-13);
    const maxDiff = Math.max(...xs.map((v, i) => Math.abs(got[i]! - refGelu(v))));
    expect(maxDiff).toBeGreaterThan(4e-4);
    expect(maxDiff).toBeLessThan(4.8e-4);
  });
  it('gradients: GELU\'(x) = Φ(x) + x φ(x), checked by finite differences to second order', () => {
    const xs = [-6, -2, -0.7, -1e-3, 0, 1e-3, 0.5, 1.5, 4];
    const x = f64(xs, true);
    for (const approximate of ['none', 'tanh'] as const) {
      expect(gradcheck((t) => gelu(t, { approximate }), [x])).toBe(true);
      expect(gradgradcheck((t) => gelu(t, { approximate }), [x])).toBe(true);
    }
    x.grad = null;
    gelu(x).sum().backward();
    const phi = (v: number) => Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
    expectAllClose(data64(x.grad!), xs.map((v) => 0.5 * refErfc(-v / Math.SQRT2) + v * phi(v)), 1e-15, 1e-13);
  });
  it('GELU\'(0) is exactly 1/2 and the CDF is continuous at 0', () => {
    const x = f64([0], true);
    gelu(x).sum().backward();
    expect(x.grad!.item()).toBe(0.5);
    const around = data64(gelu(linspace(-1e-9, 1e-9, 5, { dtype: 'float64' })));
    expectAllClose(around, [-1e-9, -5e-10, 0, 5e-10, 1e-9].map(refGelu), 1e-25, 1e-12);
  });
  it('validates approximate', () => {
    // @ts-expect-error: runtime check for JS callers
    expect(() => new GELU({ approximate: 'erf' })).toThrow(ValueError);
    // @ts-expect-error: runtime check for JS callers
    expect(() => gelu(f64([1]), { approximate: 'fast' })).toThrow(/approximate.*'none' or 'tanh'.*fast/);
  });
});
