import { describe, expect, it } from 'vitest';
import { manualSeed, rand, randn, randint } from './index.js';

/* The seeded global generator behind rand / randn / randint. */

const draw = () => [
  Array.from(rand([7]).dataSync()),
  Array.from(rand([3], { dtype: 'float64' }).dataSync()),
  Array.from(randn([2, 5]).dataSync()),
  Array.from(randint(-10, 10, [9]).dataSync()),
];

describe('RNG determinism', () => {
  it('manualSeed(n) then rand/randn/randint gives identical values every time', () => {
    for (const seed of [0, 1, 42, 2 ** 31 - 1, 2 ** 40 + 3, -5]) {
      manualSeed(seed);
      const first = draw();
      manualSeed(seed);
      const second = draw();
      expect(second).toEqual(first);
    }
  });

  it('the stream continues: consecutive draws differ', () => {
    manualSeed(7);
    const a = Array.from(rand([16]).dataSync());
    const b = Array.from(rand([16]).dataSync());
    expect(a).not.toEqual(b);
  });

  it('different seeds give different values', () => {
    const seen = new Set<string>();
    // including seeds whose 32-bit words fold onto small seeds (2**32 + 1 vs 0, -5 vs 4)
    const seeds = [0, 1, 2, 3, 4, 1000, -1, -5, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 3];
    for (const seed of seeds) {
      manualSeed(seed);
      seen.add(JSON.stringify(draw()));
    }
    expect(seen.size).toBe(seeds.length);
  });
});

describe('RNG distributions', () => {
  it('rand is uniform in [0, 1) (float32 and float64)', () => {
    manualSeed(1);
    for (const dtype of ['float32', 'float64'] as const) {
      const v = rand([100_000], { dtype }).dataSync();
      let lo = Infinity, hi = -Infinity, s = 0;
      const bins = new Array<number>(10).fill(0);
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
        s += x;
        bins[Math.floor(x * 10)]!++;
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThan(1);
      expect(Math.abs(s / v.length - 0.5)).toBeLessThan(0.005); // σ of the mean ≈ 0.0009
      for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500); // σ ≈ 95
    }
  });

  it('randn has mean ≈ 0 and std ≈ 1 over 10^5 samples, and normal tails', () => {
    manualSeed(2);
    for (const dtype of ['float32', 'float64'] as const) {
      const v = randn([100_000], { dtype }).dataSync();
      let s = 0, s2 = 0, beyond2 = 0, nonFinite = 0;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (!Number.isFinite(x)) nonFinite++;
        s += x;
        s2 += x * x;
        if (Math.abs(x) > 2) beyond2++;
      }
      expect(nonFinite).toBe(0);
      const mean = s / v.length;
      const std = Math.sqrt(s2 / v.length - mean * mean);
      expect(Math.abs(mean)).toBeLessThan(0.02); // σ of the mean ≈ 0.003
      expect(Math.abs(std - 1)).toBeLessThan(0.02);
      expect(Math.abs(beyond2 / v.length - 0.0455)).toBeLessThan(0.005);
    }
  });

  it('randint covers [low, high) uniformly', () => {
    manualSeed(3);
    const v = randint(5, 9, [40_000]).dataSync();
    const counts = new Map<number, number>();
    for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([5, 6, 7, 8]);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});
