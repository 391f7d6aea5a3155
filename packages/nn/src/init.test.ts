import { describe, expect, it } from 'vitest';
import { DTypeError, ValueError, manualSeed, tensor, zeros } from '@tsgrad/tensor';
import { Parameter, init } from './index.js';

function stats(v: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    s += v[i]!;
    min = Math.min(min, v[i]!);
    max = Math.max(max, v[i]!);
  }
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

describe('fan and gain', () => {
  it('calculateFanInAndFanOut follows PyTorch (dim 1 / dim 0 times the receptive field)', () => {
    expect(init.calculateFanInAndFanOut([5, 3])).toEqual({ fanIn: 3, fanOut: 5 });
    expect(init.calculateFanInAndFanOut([16, 8, 3, 3])).toEqual({ fanIn: 72, fanOut: 144 });
    expect(init.calculateFanInAndFanOut(zeros([4, 2, 5]))).toEqual({ fanIn: 10, fanOut: 20 });
    expect(() => init.calculateFanInAndFanOut([7])).toThrow(ValueError);
    expect(() => init.calculateFanInAndFanOut([7])).toThrow(/fewer than 2 dimensions, got shape \[7\]/);
  });

  it('calculateGain matches torch.nn.init.calculate_gain', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(init.calculateGain('selu')).toBe(0.75);
    // @ts-expect-error: runtime check
    expect(() => init.calculateGain('swish')).toThrow(/nonlinearity.*swish/);
  });
});

describe('distributions', () => {
  const N = [200, 300]; // 60 000 samples

  it('uniform(low, high) stays in [low, high) with the right mean and std', () => {
    manualSeed(1);
    const s = stats(init.uniform(N, -2, 3).dataSync());
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(3);
    expect(s.min).toBeLessThan(-1.99);
    expect(s.max).toBeGreaterThan(2.99);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(s.std / (5 / Math.sqrt(12)) - 1)).toBeLessThan(0.02);
    const d = stats(init.uniform([10000]).dataSync());
    expect(d.min).toBeGreaterThanOrEqual(0);
    expect(d.max).toBeLessThanOrEqual(1);
  });

  it('normal(mean, std) has that mean and std', () => {
    manualSeed(2);
    const s = stats(init.normal(N, 3, 0.5, { dtype: 'float64' }).dataSync());
    expect(Math.abs(s.mean - 3)).toBeLessThan(0.01);
    expect(Math.abs(s.std / 0.5 - 1)).toBeLessThan(0.02);
  });

  it('kaimingUniform defaults (a = √5) give U(−1/√fanIn, 1/√fanIn), as nn.Linear', () => {
    manualSeed(3);
    const shape = [300, 200];
    const s = stats(init.kaimingUniform(shape).dataSync());
    const b = 1 / Math.sqrt(200);
    expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(b);
    expect(Math.min(-s.min, s.max)).toBeGreaterThan(0.99 * b);
    expect(Math.abs(s.std / (b / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
  });

  it("kaimingUniform with a = 0 / 'relu' and mode 'fanOut' uses gain √2 and the chosen fan", () => {
    manualSeed(4);
    const shape = [100, 400, 1, 1];
    const relu = stats(init.kaimingUniform(shape, { nonlinearity: 'relu', mode: 'fanOut' }).dataSync());
    const b = Math.sqrt(3) * Math.SQRT2 / Math.sqrt(100);
    expect(Math.max(-relu.min, relu.max)).toBeLessThanOrEqual(b);
    expect(relu.max).toBeGreaterThan(0.99 * b);
    const a0 = stats(init.kaimingUniform(shape, { a: 0 }).dataSync());
    const b0 = Math.sqrt(3) * Math.SQRT2 / Math.sqrt(400);
    expect(Math.max(-a0.min, a0.max)).toBeLessThanOrEqual(b0);
    expect(a0.max).toBeGreaterThan(0.99 * b0);
  });

  it('kaimingNormal: std = √2/√fanIn by default, gain/√fanOut with mode fanOut', () => {
    manualSeed(5);
    const s = stats(init.kaimingNormal([300, 200]).dataSync());
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
    expect(Math.abs(s.std / (Math.SQRT2 / Math.sqrt(200)) - 1)).toBeLessThan(0.02);
    const t = stats(init.kaimingNormal([300, 200], { mode: 'fanOut', nonlinearity: 'tanh' }).dataSync());
    expect(Math.abs(t.std / (5 / 3 / Math.sqrt(300)) - 1)).toBeLessThan(0.02);
  });

  it('xavierUniform bound gain·√(6/(fanIn+fanOut)); xavierNormal std gain·√(2/(fanIn+fanOut))', () => {
    manualSeed(6);
    const u = stats(init.xavierUniform([200, 300], 2).dataSync());
    const b = 2 * Math.sqrt(6 / 500);
    expect(Math.max(-u.min, u.max)).toBeLessThanOrEqual(b);
    expect(Math.min(-u.min, u.max)).toBeGreaterThan(0.99 * b);
    const n = stats(init.xavierNormal([200, 300]).dataSync());
    expect(Math.abs(n.std / Math.sqrt(2 / 500) - 1)).toBeLessThan(0.02);
  });

  it('zeros, ones, constant', () => {
    expect(init.zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(init.ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(init.constant([2], 0.25, { dtype: 'float64' }).toArray()).toEqual([0.25, 0.25]);
    expect(init.constant([2], 0.25, { dtype: 'float64' }).dtype).toBe('float64');
  });
});

describe('in place, dtype, determinism, errors', () => {
  it('fills a tensor or Parameter in place and returns the same object', () => {
    const p = new Parameter(zeros([4, 5]));
    manualSeed(9);
    const r = init.kaimingUniform(p);
    expect(r).toBe(p);
    expect(p.requiresGrad && p.isLeaf).toBe(true);
    manualSeed(9);
    expect(p.toArray()).toEqual(init.kaimingUniform([4, 5]).toArray());
    const t = zeros([3], { dtype: 'float64' });
    expect(init.ones(t)).toBe(t);
    expect(t.toArray()).toEqual([1, 1, 1]);
    expect(t.dtype).toBe('float64');
  });

  it('the same seed gives the same values; draws advance the generator', () => {
    for (const f of [
      () => init.uniform([50], -1, 1),
      () => init.normal([50]),
      () => init.kaimingNormal([5, 10]),
      () => init.xavierUniform([5, 10]),
    ]) {
      manualSeed(42);
      const a = f().toArray();
      const b = f().toArray();
      manualSeed(42);
      expect(f().toArray()).toEqual(a);
      expect(b).not.toEqual(a);
    }
  });

  it('shapes give float32 by default, float64 on request', () => {
    expect(init.normal([2]).dtype).toBe('float32');
    expect(init.normal([2], 0, 1, { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('rejects bad arguments with clear errors', () => {
    expect(() => init.uniform([2], 1, 0)).toThrow(/uniform: expected low <= high, got low=1, high=0/);
    expect(() => init.normal([2], 0, -1)).toThrow(/normal: argument 'std' expected a non-negative number/);
    expect(() => init.uniform(tensor([1, 2], { dtype: 'int32' }))).toThrow(DTypeError);
    // @ts-expect-error: runtime check
    expect(() => init.kaimingUniform([2, 2], { mode: 'fan_in' })).toThrow(/kaimingUniform: option 'mode' expected 'fanIn' or 'fanOut', got fan_in/);
    expect(() => init.xavierUniform([3])).toThrow(/fewer than 2 dimensions/);
    expect(() => init.uniform([2], Number.NaN, 1)).toThrow(ValueError);
  });
});
