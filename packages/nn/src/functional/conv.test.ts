import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTypeError, ShapeError, ValueError, tensor, type Tensor } from '@tsgrad/tensor';
import { gradcheck, gradgradcheck, mulberry32 } from '@tsgrad/testing';
import { conv1d, conv2d } from '../index.js';

/*
 * conv1d/conv2d against the direct definition of convolution in plain float64 loops
 * (no unfold, no matmul): out[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] ·
 * x[n, g·Cg + c, i·sH − padTop + p·dH, j·sW − padLeft + q·dW] (zero outside the input),
 * on float32 (the active backend) and float64; gradients by gradcheck in float64.
 */

interface Case {
  N: number; G: number; Cg: number; Og: number; H: number; W: number; kH: number; kW: number;
  stride: [number, number]; dilation: [number, number]; padding: [number, number]; bias: boolean; seed: number;
}

function values(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
}

function refConv2d(
  x: Float64Array, [N, C, H, W]: number[], w: Float64Array, [O, Cg, kH, kW]: number[], b: Float64Array | null,
  stride: number[], pads: [number, number][], dil: number[], groups: number,
): { data: Float64Array; shape: number[] } {
  const oH = Math.floor((H! + pads[0]![0] + pads[0]![1] - dil[0]! * (kH! - 1) - 1) / stride[0]!) + 1;
  const oW = Math.floor((W! + pads[1]![0] + pads[1]![1] - dil[1]! * (kW! - 1) - 1) / stride[1]!) + 1;
  const out = new Float64Array(N! * O! * oH * oW);
  const Og = O! / groups;
  for (let n = 0; n < N!; n++) for (let o = 0; o < O!; o++) for (let i = 0; i < oH; i++) for (let j = 0; j < oW; j++) {
    const g = Math.floor(o / Og);
    let s = b ? b[o]! : 0;
    for (let c = 0; c < Cg!; c++) for (let p = 0; p < kH!; p++) for (let q = 0; q < kW!; q++) {
      const h = i * stride[0]! - pads[0]![0] + p * dil[0]!;
      const ww = j * stride[1]! - pads[1]![0] + q * dil[1]!;
      if (h < 0 || h >= H! || ww < 0 || ww >= W!) continue;
      s += w[((o * Cg! + c) * kH! + p) * kW! + q]! * x[((n * C! + g * Cg! + c) * H! + h) * W! + ww]!;
    }
    out[((n * O! + o) * oH + i) * oW + j] = s;
  }
  return { data: out, shape: [N!, O!, oH, oW] };
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }), G: fc.integer({ min: 1, max: 2 }), Cg: fc.integer({ min: 1, max: 2 }),
    Og: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 6 }), W: fc.integer({ min: 1, max: 6 }),
    kH: fc.integer({ min: 1, max: 3 }), kW: fc.integer({ min: 1, max: 3 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    bias: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
  })
  .filter((c) => c.H + 2 * c.padding[0] >= c.dilation[0] * (c.kH - 1) + 1 && c.W + 2 * c.padding[1] >= c.dilation[1] * (c.kW - 1) + 1);

function build(c: Case, dtype: 'float32' | 'float64', requiresGrad = false) {
  const xShape = [c.N, c.G * c.Cg, c.H, c.W];
  const wShape = [c.G * c.Og, c.Cg, c.kH, c.kW];
  const xd = values(xShape.reduce((a, b) => a * b, 1), c.seed);
  const wd = values(wShape.reduce((a, b) => a * b, 1), c.seed + 1);
  const bd = c.bias ? values(c.G * c.Og, c.seed + 2) : null;
  const x = tensor(xd, { dtype, shape: xShape, requiresGrad });
  const w = tensor(wd, { dtype, shape: wShape, requiresGrad });
  const b = bd ? tensor(bd, { dtype, shape: [c.G * c.Og], requiresGrad }) : null;
  return { xShape, wShape, xd, wd, bd, x, w, b };
}

/** float32 data rounded the way the tensor stores it, so the reference sees the same inputs. */
const f32 = (a: Float64Array) => a.map((v) => Math.fround(v));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= tol * (1 + Math.abs(e)))) expect.fail(`element ${i}: got ${actual[i]}, expected ${e} (tol ${tol})`);
  }
}

describe('conv2d forward', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`matches the direct definition (${dtype}): stride, padding, dilation, groups, bias`, () => {
      fc.assert(
        fc.property(arbCase, (c) => {
          const { xShape, wShape, xd, wd, bd, x, w, b } = build(c, dtype);
          const conv = (a: Float64Array) => (dtype === 'float32' ? f32(a) : a);
          const ref = refConv2d(conv(xd), xShape, conv(wd), wShape, bd ? conv(bd) : null, c.stride, [[c.padding[0], c.padding[0]], [c.padding[1], c.padding[1]]], c.dilation, c.G);
          const y = conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.G });
          expect(y.shape).toEqual(ref.shape);
          expect(y.dtype).toBe(dtype);
          expectClose(y.dataSync(), ref.data, dtype === 'float32' ? 2e-6 : 1e-13);
        }),
        { numRuns: 40 },
      );
    });
  }

  it("padding 'same' keeps the size (odd total: the extra zero at the end), 'valid' pads nothing", () => {
    for (const [H, W, kH, kW, dil] of [[5, 6, 3, 4, 1], [4, 4, 2, 2, 2], [7, 3, 5, 1, 1]] as const) {
      const c: Case = { N: 1, G: 1, Cg: 2, Og: 3, H, W, kH, kW, stride: [1, 1], dilation: [dil, dil], padding: [0, 0], bias: true, seed: H * 31 + kW };
      const { xShape, wShape, xd, wd, bd, x, w, b } = build(c, 'float64');
      const pads = [kH, kW].map((k): [number, number] => {
        const total = dil * (k - 1);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      });
      const ref = refConv2d(xd, xShape, wd, wShape, bd, [1, 1], pads, [dil, dil], 1);
      const y = conv2d(x, w, b, { padding: 'same', dilation: dil });
      expect(y.shape).toEqual([1, 3, H, W]);
      expectClose(y.dataSync(), ref.data, 1e-13);
      const valid = conv2d(x, w, b, { padding: 'valid', dilation: dil });
      expect(valid.toArray()).toEqual(conv2d(x, w, b, { dilation: dil }).toArray());
    }
  });

  it('takes unbatched [C, H, W] input and non-contiguous input', () => {
    const c: Case = { N: 1, G: 2, Cg: 2, Og: 1, H: 4, W: 5, kH: 2, kW: 3, stride: [1, 2], dilation: [1, 1], padding: [1, 0], bias: false, seed: 9 };
    const { x, w } = build(c, 'float64');
    const opts = { stride: c.stride, padding: c.padding, groups: 2 };
    const batched = conv2d(x, w, null, opts);
    expect(conv2d(x.squeeze(0), w, null, opts).toArray()).toEqual(batched.squeeze(0).toArray());
    // The same values through a transposed (strided) view.
    const xt = x.transpose(2, 3).contiguous().transpose(2, 3);
    expect(xt.isContiguous()).toBe(false);
    expect(conv2d(xt, w, null, opts).toArray()).toEqual(batched.toArray());
  });
});

describe('conv1d forward', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`matches the direct definition (${dtype})`, () => {
      fc.assert(
        fc.property(arbCase, (c0) => {
          // A 1-d case: height 1 and a 1-tall kernel, the width dim carries the options.
          const c: Case = { ...c0, H: 1, kH: 1, stride: [1, c0.stride[1]], dilation: [1, c0.dilation[1]], padding: [0, c0.padding[1]] };
          const { xShape, wShape, xd, wd, bd } = build(c, dtype);
          const conv = (a: Float64Array) => (dtype === 'float32' ? f32(a) : a);
          const ref = refConv2d(conv(xd), xShape, conv(wd), wShape, bd ? conv(bd) : null, c.stride, [[0, 0], [c.padding[1], c.padding[1]]], c.dilation, c.G);
          const x = tensor(xd, { dtype, shape: [c.N, c.G * c.Cg, c.W] });
          const w = tensor(wd, { dtype, shape: [c.G * c.Og, c.Cg, c.kW] });
          const b = bd ? tensor(bd, { dtype }) : null;
          const y = conv1d(x, w, b, { stride: c.stride[1], padding: c.padding[1], dilation: [c.dilation[1]], groups: c.G });
          expect(y.shape).toEqual([c.N, c.G * c.Og, ref.shape[3]]);
          expectClose(y.dataSync(), ref.data, dtype === 'float32' ? 2e-6 : 1e-13);
          expect(conv1d(x.select(0, 0), w, b, { stride: c.stride[1], padding: c.padding[1], dilation: c.dilation[1], groups: c.G }).shape).toEqual([c.G * c.Og, ref.shape[3]]);
        }),
        { numRuns: 30 },
      );
    });
  }

  it("padding 'same' for an even kernel", () => {
    const x = tensor(values(2 * 7, 3), { dtype: 'float64', shape: [1, 2, 7] });
    const w = tensor(values(2 * 2 * 4, 4), { dtype: 'float64', shape: [2, 2, 4] });
    const ref = refConv2d(x.dataSync() as Float64Array, [1, 2, 1, 7], w.dataSync() as Float64Array, [2, 2, 1, 4], null, [1, 1], [[0, 0], [1, 2]], [1, 1], 1);
    const y = conv1d(x, w, null, { padding: 'same' });
    expect(y.shape).toEqual([1, 2, 7]);
    expectClose(y.dataSync(), ref.data, 1e-13);
  });
});

describe('conv gradients (float64, gradcheck)', () => {
  it('conv2d: input, weight and bias over random geometries', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { x, w, b } = build(c, 'float64', true);
        const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.G };
        return gradcheck((...t: Tensor[]) => conv2d(t[0]!, t[1]!, t[2] ?? null, opts), b ? [x, w, b] : [x, w]);
      }),
      { numRuns: 25 },
    );
  });

  it('conv1d: input, weight and bias', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const L = c.W + 2;
        const x = tensor(values(c.N * c.G * c.Cg * L, c.seed), { dtype: 'float64', shape: [c.N, c.G * c.Cg, L], requiresGrad: true });
        const w = tensor(values(c.G * c.Og * c.Cg * c.kW, c.seed + 1), { dtype: 'float64', shape: [c.G * c.Og, c.Cg, c.kW], requiresGrad: true });
        const b = tensor(values(c.G * c.Og, c.seed + 2), { dtype: 'float64', requiresGrad: true });
        const opts = { stride: c.stride[1], padding: c.padding[1], dilation: c.dilation[1], groups: c.G };
        return gradcheck((xx, ww, bb) => conv1d(xx!, ww!, bb!, opts), [x, w, b]);
      }),
      { numRuns: 20 },
    );
  });

  it('conv2d: second derivatives (gradgradcheck)', () => {
    const cases: Case[] = [
      { N: 1, G: 1, Cg: 2, Og: 2, H: 4, W: 3, kH: 2, kW: 2, stride: [1, 1], dilation: [1, 1], padding: [1, 0], bias: true, seed: 1 },
      { N: 2, G: 2, Cg: 1, Og: 1, H: 5, W: 4, kH: 3, kW: 2, stride: [2, 1], dilation: [1, 2], padding: [1, 1], bias: true, seed: 2 },
    ];
    for (const c of cases) {
      const { x, w, b } = build(c, 'float64', true);
      const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.G };
      expect(gradgradcheck((xx, ww, bb) => conv2d(xx!, ww!, bb!, opts), [x, w, b!])).toBe(true);
    }
  });
});

describe('conv errors', () => {
  const x = tensor(values(2 * 3 * 4 * 4, 1), { dtype: 'float32', shape: [2, 3, 4, 4] });
  const w = tensor(values(4 * 3 * 3 * 3, 2), { dtype: 'float32', shape: [4, 3, 3, 3] });
  it('checks shapes, dtypes and options before computing', () => {
    expect(() => conv2d(x, tensor(values(4 * 2 * 3 * 3, 2), { dtype: 'float32', shape: [4, 2, 3, 3] }))).toThrow(/conv2d: argument 'input' expected 2 channels/);
    expect(() => conv2d(x, w, null, { groups: 2 })).toThrow(ShapeError);
    expect(() => conv2d(x, w.to('float64'))).toThrow(DTypeError);
    expect(() => conv2d(x.to('int32'), w)).toThrow(DTypeError);
    expect(() => conv2d(x, w, tensor([1, 2]))).toThrow(/argument 'bias' expected shape \[4\]/);
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow(ValueError);
    expect(() => conv2d(x, w, null, { strides: 2 } as object)).toThrow(/conv2d: argument 'options' has unknown option 'strides'/);
    expect(() => conv2d(x, w, null, { padding: -1 })).toThrow(ValueError);
    expect(() => conv2d(x, w, null, { padding: 'same', stride: 2 })).toThrow(/not supported for strided/);
    expect(() => conv2d(x, w, null, { dilation: 3 })).toThrow(/kernel that fits/);
    expect(() => conv2d(x.reshape([96]), w)).toThrow(ShapeError);
    expect(() => conv1d(x.select(0, 0), w)).toThrow(/conv1d: argument 'weight' expected a 3-d tensor/);
  });
});
