import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ShapeError, ValueError, tensor, type Tensor } from '@tsgrad/tensor';
import { gradcheck, gradgradcheck, mulberry32 } from '@tsgrad/testing';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, maxPool2dWithIndices } from '../index.js';

/*
 * Pooling against plain float64 loops over each window, written from PyTorch's
 * definitions (output size ⌊(in + 2p − d(k−1) − 1 + (ceil ? s−1 : 0)) / s⌋ + 1, a ceil-mode
 * window must start inside the input or its left padding; max over the window with
 * padding as −∞, first maximum in row-major window order; average divisors as in
 * PyTorch's kernel; adaptive windows ⌊i·in/out⌋ … ⌈(i+1)·in/out⌉), on float32 and
 * float64; gradients by gradcheck in float64.
 */

interface PoolCase {
  N: number; C: number; H: number; W: number; k: [number, number]; s: [number, number];
  p: [number, number]; d: [number, number]; ceil: boolean; seed: number;
}

function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let o = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

function values(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => 4 * r() - 2);
}

/** Max pooling by definition; also the flat input index each output took its value from (−1: padding). */
function refMaxPool(x: Float64Array, c: PoolCase): { data: Float64Array; from: Int32Array; shape: number[] } {
  const oH = outSize(c.H, c.k[0], c.s[0], c.p[0], c.d[0], c.ceil);
  const oW = outSize(c.W, c.k[1], c.s[1], c.p[1], c.d[1], c.ceil);
  const data = new Float64Array(c.N * c.C * oH * oW);
  const from = new Int32Array(data.length);
  for (let nc = 0; nc < c.N * c.C; nc++) for (let i = 0; i < oH; i++) for (let j = 0; j < oW; j++) {
    let best = -Infinity;
    let at = -1;
    // PyTorch's CPU kernel visits the in-range elements in row-major order and keeps the first strict maximum.
    for (let a = 0; a < c.k[0]; a++) for (let b = 0; b < c.k[1]; b++) {
      const h = i * c.s[0] - c.p[0] + a * c.d[0];
      const w = j * c.s[1] - c.p[1] + b * c.d[1];
      if (h < 0 || h >= c.H || w < 0 || w >= c.W) continue;
      const v = x[(nc * c.H + h) * c.W + w]!;
      if (v > best) {
        best = v;
        at = (nc * c.H + h) * c.W + w;
      }
    }
    data[(nc * oH + i) * oW + j] = best;
    from[(nc * oH + i) * oW + j] = at;
  }
  return { data, from, shape: [c.N, c.C, oH, oW] };
}

function refAvgPool(x: Float64Array, c: PoolCase, countIncludePad: boolean, divisorOverride: number | null): { data: Float64Array; shape: number[] } {
  const oH = outSize(c.H, c.k[0], c.s[0], c.p[0], 1, c.ceil);
  const oW = outSize(c.W, c.k[1], c.s[1], c.p[1], 1, c.ceil);
  const data = new Float64Array(c.N * c.C * oH * oW);
  for (let nc = 0; nc < c.N * c.C; nc++) for (let i = 0; i < oH; i++) for (let j = 0; j < oW; j++) {
    let h0 = i * c.s[0] - c.p[0];
    let w0 = j * c.s[1] - c.p[1];
    let h1 = Math.min(h0 + c.k[0], c.H + c.p[0]);
    let w1 = Math.min(w0 + c.k[1], c.W + c.p[1]);
    const poolSize = (h1 - h0) * (w1 - w0);
    h0 = Math.max(h0, 0);
    w0 = Math.max(w0, 0);
    h1 = Math.min(h1, c.H);
    w1 = Math.min(w1, c.W);
    let sum = 0;
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) sum += x[(nc * c.H + h) * c.W + w]!;
    const div = divisorOverride ?? (countIncludePad ? poolSize : (h1 - h0) * (w1 - w0));
    data[(nc * oH + i) * oW + j] = sum / div;
  }
  return { data, shape: [c.N, c.C, oH, oW] };
}

function refAdaptive(x: Float64Array, N: number, C: number, H: number, W: number, oH: number, oW: number): Float64Array {
  const out = new Float64Array(N * C * oH * oW);
  for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < oH; i++) for (let j = 0; j < oW; j++) {
    const h0 = Math.floor((i * H) / oH);
    const h1 = Math.ceil(((i + 1) * H) / oH);
    const w0 = Math.floor((j * W) / oW);
    const w1 = Math.ceil(((j + 1) * W) / oW);
    let s = 0;
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x[(nc * H + h) * W + w]!;
    out[(nc * oH + i) * oW + j] = s / ((h1 - h0) * (w1 - w0));
  }
  return out;
}

const arbPool = (dilation: boolean): fc.Arbitrary<PoolCase> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }),
      H: fc.integer({ min: 1, max: 7 }), W: fc.integer({ min: 1, max: 7 }),
      k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })),
      s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })),
      p: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
      d: dilation ? fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })) : fc.constant<[number, number]>([1, 1]),
      ceil: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
    })
    .map((c) => ({ ...c, p: [Math.min(c.p[0], c.k[0] >> 1), Math.min(c.p[1], c.k[1] >> 1)] as [number, number] }))
    .filter((c) => outSize(c.H, c.k[0], c.s[0], c.p[0], c.d[0], c.ceil) >= 1 && outSize(c.W, c.k[1], c.s[1], c.p[1], c.d[1], c.ceil) >= 1);

const f32 = (a: Float64Array) => a.map((v) => Math.fround(v));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= tol * (1 + Math.abs(e)))) expect.fail(`element ${i}: got ${actual[i]}, expected ${e} (tol ${tol})`);
  }
}

const input = (c: PoolCase, dtype: 'float32' | 'float64', requiresGrad = false) => {
  const xd = values(c.N * c.C * c.H * c.W, c.seed);
  return { xd: dtype === 'float32' ? f32(xd) : xd, x: tensor(xd, { dtype, shape: [c.N, c.C, c.H, c.W], requiresGrad }) };
};

describe('maxPool2d', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`matches the window maximum (${dtype}): padding, stride, dilation, ceilMode`, () => {
      fc.assert(
        fc.property(arbPool(true), (c) => {
          const { xd, x } = input(c, dtype);
          const ref = refMaxPool(xd, c);
          const y = maxPool2d(x, c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil });
          expect(y.shape).toEqual(ref.shape);
          expect(Array.from(y.dataSync())).toEqual(Array.from(ref.data));
          if (!ref.from.includes(-1)) {
            const [values, indices] = maxPool2dWithIndices(x, c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil });
            expect(values.toArray()).toEqual(y.toArray());
            expect(indices.dtype).toBe('int32');
            expect(Array.from(indices.dataSync())).toEqual(Array.from(ref.from, (f) => f % (c.H * c.W)));
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('routes each window\'s gradient to the element it picked (overlapping windows accumulate)', () => {
    fc.assert(
      fc.property(arbPool(true), (c) => {
        const { xd, x } = input(c, 'float64', true);
        const ref = refMaxPool(xd, c);
        const g = values(ref.data.length, c.seed + 7);
        const y = maxPool2d(x, c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil });
        y.backward(tensor(g, { shape: ref.shape }));
        const expected = new Float64Array(xd.length);
        ref.from.forEach((at, o) => (expected[at] += g[o]!));
        expectClose(x.grad!.dataSync(), expected, 1e-15);
      }),
      { numRuns: 40 },
    );
  });

  it('gives a tied window\'s whole gradient to its first maximum, as PyTorch\'s CPU kernel', () => {
    const x = tensor([[[[1, 1, 0], [1, 1, 0]]]], { dtype: 'float64', requiresGrad: true });
    maxPool2d(x, 2, { stride: 1 }).sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[1, 1, 0], [0, 0, 0]]]]);
  });

  it('passes gradcheck and gradgradcheck (float64)', () => {
    fc.assert(
      fc.property(arbPool(true), (c) => {
        const { xd, x } = input(c, 'float64', true);
        // A dilated window can hold padding only (PyTorch allows it): its output is −∞ for
        // every input, so finite differences are NaN there; the forward test covers it.
        if (refMaxPool(xd, c).from.includes(-1)) return true;
        return gradcheck((t) => maxPool2d(t!, c.k, { stride: c.s, padding: c.p, dilation: c.d, ceilMode: c.ceil }), [x]);
      }),
      { numRuns: 25 },
    );
    const x = tensor(values(2 * 5 * 4, 3), { dtype: 'float64', shape: [1, 2, 5, 4], requiresGrad: true });
    expect(gradgradcheck((t) => maxPool2d(t!, 2, { stride: 1, padding: 1 }), [x])).toBe(true);
  });

  it('takes unbatched input and checks its arguments', () => {
    const x = tensor(values(3 * 4 * 4, 5), { dtype: 'float32', shape: [3, 4, 4] });
    expect(maxPool2d(x, 2).toArray()).toEqual(maxPool2d(x.unsqueeze(0), 2).squeeze(0).toArray());
    expect(() => maxPool2d(x, 2, { padding: 2 })).toThrow(/at most half the kernel size/);
    expect(() => maxPool2d(x, 5)).toThrow(ShapeError);
    expect(() => maxPool2d(x, 0)).toThrow(ValueError);
    expect(() => maxPool2d(x, [2, 2], { stride: [1, 0] })).toThrow(/argument 'stride'/);
    expect(() => maxPool2d(x.reshape([48]), 2)).toThrow(ShapeError);
    expect(() => maxPool2d(x, 2, { ceil: true } as object)).toThrow(/maxPool2d: argument 'options' has unknown option 'ceil'/);
  });
});

describe('avgPool2d', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`matches PyTorch's window averages (${dtype}): countIncludePad, ceilMode, divisorOverride`, () => {
      fc.assert(
        fc.property(arbPool(false), fc.boolean(), fc.option(fc.integer({ min: 1, max: 5 })), (c, countIncludePad, divisorOverride) => {
          const { xd, x } = input(c, dtype);
          const ref = refAvgPool(xd, c, countIncludePad, divisorOverride);
          const y = avgPool2d(x, c.k, { stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad, divisorOverride });
          expect(y.shape).toEqual(ref.shape);
          expectClose(y.dataSync(), ref.data, dtype === 'float32' ? 2e-6 : 1e-14);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('passes gradcheck (float64)', () => {
    fc.assert(
      fc.property(arbPool(false), fc.boolean(), (c, countIncludePad) => {
        const { x } = input(c, 'float64', true);
        return gradcheck((t) => avgPool2d(t!, c.k, { stride: c.s, padding: c.p, ceilMode: c.ceil, countIncludePad }), [x]);
      }),
      { numRuns: 25 },
    );
  });

  it('checks its arguments', () => {
    const x = tensor(values(16, 1), { dtype: 'float32', shape: [1, 1, 4, 4] });
    expect(() => avgPool2d(x, 2, { padding: 2 })).toThrow(ValueError);
    expect(() => avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(/divisorOverride/);
  });
});

describe('adaptiveAvgPool2d', () => {
  const arbAdaptive = fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 9 }),
    oH: fc.integer({ min: 1, max: 5 }), oW: fc.option(fc.integer({ min: 1, max: 5 })), seed: fc.integer({ min: 0, max: 1e6 }),
  });
  for (const dtype of ['float32', 'float64'] as const) {
    it(`averages PyTorch's windows ⌊i·in/out⌋ … ⌈(i+1)·in/out⌉ (${dtype})`, () => {
      fc.assert(
        fc.property(arbAdaptive, (c) => {
          const xd = values(c.N * c.C * c.H * c.W, c.seed);
          const x = tensor(xd, { dtype, shape: [c.N, c.C, c.H, c.W] });
          const oW = c.oW ?? c.W;
          const y = adaptiveAvgPool2d(x, [c.oH, c.oW]);
          expect(y.shape).toEqual([c.N, c.C, c.oH, oW]);
          expectClose(y.dataSync(), refAdaptive(dtype === 'float32' ? f32(xd) : xd, c.N, c.C, c.H, c.W, c.oH, oW), dtype === 'float32' ? 2e-6 : 1e-14);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('passes gradcheck (float64); global pooling of an unbatched input', () => {
    fc.assert(
      fc.property(arbAdaptive, (c) => {
        const x = tensor(values(c.N * c.C * c.H * c.W, c.seed), { dtype: 'float64', shape: [c.N, c.C, c.H, c.W], requiresGrad: true });
        return gradcheck((t: Tensor) => adaptiveAvgPool2d(t, [c.oH, c.oW]), [x]);
      }),
      { numRuns: 20 },
    );
    const x = tensor([[[1, 2], [3, 6]]], { dtype: 'float64' });
    expect(adaptiveAvgPool2d(x, 1).toArray()).toEqual([[[3]]]);
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow(ValueError);
  });
});
