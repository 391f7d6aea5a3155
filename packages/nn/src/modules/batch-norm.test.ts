import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ShapeError, Tensor, ValueError, tensor } from '@tsgrad/tensor';
import { gradcheck, mulberry32 } from '@tsgrad/testing';
import { BatchNorm1d, BatchNorm2d, Linear, Sequential, batchNorm } from '../index.js';
import { data64, expectAllClose } from './test-helpers.js';

/*
 * BatchNorm against a plain float64 loop of PyTorch's documented formulas: per channel c,
 * mean and biased variance over every other dim normalise; the running statistics
 * follow r ← (1 − f)·r + f·stat with the unbiased variance, f = momentum or 1/k.
 */

const f64 = (data: readonly number[], shape: number[], requiresGrad = false) =>
  tensor(Float64Array.from(data), { dtype: 'float64', shape, requiresGrad });

function randomData(seed: number, n: number, lo = -2, hi = 3): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * next());
}

/** Per-channel values of a row-major [N, C, rest] array. */
function channelValues(x: readonly number[], shape: readonly number[], c: number): number[] {
  const [N, C] = [shape[0]!, shape[1]!];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) out.push(x[(n * C + c) * S + s]!);
  return out;
}

function stats(v: readonly number[]): { mean: number; biased: number; unbiased: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const ss = v.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, biased: ss / v.length, unbiased: ss / (v.length - 1) };
}

/** y = (x − μ_c)/√(σ²_c + eps)·w_c + b_c with the given per-channel μ, σ². */
function refNormalize(x: readonly number[], shape: readonly number[], mu: number[], v: number[], w: number[], b: number[], eps: number): number[] {
  const C = shape[1]!;
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  return x.map((xi, i) => {
    const c = Math.floor(i / S) % C;
    return ((xi - mu[c]!) / Math.sqrt(v[c]! + eps)) * w[c]! + b[c]!;
  });
}

const SHAPES: [string, number[]][] = [
  ['BatchNorm1d [N, C]', [5, 3]],
  ['BatchNorm1d [N, C, L]', [3, 2, 4]],
  ['BatchNorm2d [N, C, H, W]', [2, 3, 2, 3]],
];

function make(shape: number[], opts: ConstructorParameters<typeof BatchNorm1d>[1] = {}): BatchNorm1d | BatchNorm2d {
  return shape.length === 4 ? new BatchNorm2d(shape[1]!, opts) : new BatchNorm1d(shape[1]!, opts);
}

describe('BatchNorm1d / BatchNorm2d against a float64 loop of PyTorch’s formulas', () => {
  for (const [name, shape] of SHAPES) {
    for (const momentum of [0.1, 0.35, null]) {
      it(`${name}, momentum ${momentum}: training outputs, running statistics over 4 batches, then eval`, () => {
        const C = shape[1]!;
        const numel = shape.reduce((a, b) => a * b, 1);
        const bn = make(shape, { momentum, dtype: 'float64', eps: 1e-3 });
        const w = randomData(7, C, 0.5, 2);
        const b = randomData(8, C, -1, 1);
        bn.weight!.assign_(f64(w, [C]));
        bn.bias!.assign_(f64(b, [C]));
        let rm = Array<number>(C).fill(0);
        let rv = Array<number>(C).fill(1);
        for (let k = 1; k <= 4; k++) {
          const x = randomData(100 + k, numel, -2 + k, 3 + 2 * k);
          const y = bn.forward(f64(x, shape));
          const st = Array.from({ length: C }, (_, c) => stats(channelValues(x, shape, c)));
          expectAllClose(data64(y), refNormalize(x, shape, st.map((s) => s.mean), st.map((s) => s.biased), w, b, 1e-3), 1e-12, 1e-12);
          const f = momentum ?? 1 / k;
          rm = rm.map((r, c) => (1 - f) * r + f * st[c]!.mean);
          rv = rv.map((r, c) => (1 - f) * r + f * st[c]!.unbiased);
          expectAllClose(data64(bn.runningMean!), rm, 1e-12, 1e-12);
          expectAllClose(data64(bn.runningVar!), rv, 1e-12, 1e-12);
          expect(bn.numBatchesTracked!.item()).toBe(k);
          expect(bn.numBatchesTracked!.dtype).toBe('int32');
        }
        bn.eval();
        const x = randomData(999, numel);
        const y = bn.forward(f64(x, shape));
        expectAllClose(data64(y), refNormalize(x, shape, rm, rv, w, b, 1e-3), 1e-12, 1e-12);
        expect(bn.numBatchesTracked!.item()).toBe(4);
        expectAllClose(data64(bn.runningMean!), rm, 1e-12, 1e-12);
      });
    }
  }

  it('momentum null is the cumulative average: the running mean equals the plain mean of the batch means', () => {
    const bn = new BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    const means: number[][] = [];
    for (let k = 0; k < 5; k++) {
      const x = randomData(k, 8, k, 2 * k + 1);
      bn.forward(f64(x, [4, 2]));
      means.push([0, 1].map((c) => stats(channelValues(x, [4, 2], c)).mean));
    }
    expectAllClose(data64(bn.runningMean!), [0, 1].map((c) => means.reduce((s, m) => s + m[c]!, 0) / 5), 1e-12, 1e-12);
  });

  it('float32 (the default backend) agrees with the float64 loop', () => {
    const shape = [4, 3, 2, 2];
    const x = randomData(5, 48);
    const bn = new BatchNorm2d(3);
    const y = bn.forward(tensor(x, { shape }));
    const st = [0, 1, 2].map((c) => stats(channelValues(x, shape, c)));
    expectAllClose(y.dataSync(), refNormalize(x, shape, st.map((s) => s.mean), st.map((s) => s.biased), [1, 1, 1], [0, 0, 0], 1e-5), 1e-5, 1e-5);
    expectAllClose(bn.runningVar!.dataSync(), st.map((s) => 0.9 + 0.1 * s.unbiased), 1e-6, 1e-6);
  });

  it('defaults as PyTorch: weight 1, bias 0, running mean 0, running var 1, eps 1e-5, momentum 0.1', () => {
    const bn = new BatchNorm2d(4);
    expect([bn.eps, bn.momentum, bn.affine, bn.trackRunningStats]).toEqual([1e-5, 0.1, true, true]);
    expect(Array.from(bn.weight!.dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(bn.bias!.dataSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(bn.runningMean!.dataSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(bn.runningVar!.dataSync())).toEqual([1, 1, 1, 1]);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expect(bn.namedParameters().map(([k]) => k)).toEqual(['weight', 'bias']);
    expect(new BatchNorm1d(3, { affine: false }).parameters()).toEqual([]);
  });

  it('without trackRunningStats: no buffers, batch statistics in eval() too', () => {
    const bn = new BatchNorm1d(2, { trackRunningStats: false, dtype: 'float64' });
    expect(bn.buffers()).toEqual([]);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias']);
    bn.eval();
    const x = randomData(3, 6);
    const st = [0, 1].map((c) => stats(channelValues(x, [3, 2], c)));
    expectAllClose(data64(bn.forward(f64(x, [3, 2]))), refNormalize(x, [3, 2], st.map((s) => s.mean), st.map((s) => s.biased), [1, 1], [0, 0], 1e-5), 1e-12, 1e-12);
  });
});

describe('BatchNorm state dict: PyTorch names, buffers saved and loaded', () => {
  it('lists running_mean, running_var, num_batches_tracked after each module’s parameters', () => {
    const model = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new Linear(4, 2));
    expect(Object.keys(model.stateDict())).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '2.weight', '2.bias',
    ]);
    expect(model.parameters().length).toBe(6);
    expect(model.namedBuffers().map(([k]) => k)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked']);
  });

  it('round-trips: a trained copy’s statistics load into a fresh module (and are copies, not views)', () => {
    const a = new BatchNorm2d(2, { dtype: 'float64' });
    for (let k = 0; k < 3; k++) a.forward(f64(randomData(k, 16), [2, 2, 2, 2]));
    const state = a.stateDict();
    expect(state['num_batches_tracked']!.dtype).toBe('int32');
    a.forward(f64(randomData(9, 16, 5, 9), [2, 2, 2, 2]));
    expect(state['num_batches_tracked']!.item()).toBe(3);
    const b = new BatchNorm2d(2, { dtype: 'float64' });
    const rmBefore = b.runningMean;
    b.loadStateDict(state);
    expect(b.runningMean).toBe(rmBefore);
    expectAllClose(data64(b.runningMean!), data64(state['running_mean']!), 0);
    expectAllClose(data64(b.runningVar!), data64(state['running_var']!), 0);
    expect(b.numBatchesTracked!.item()).toBe(3);
    b.eval();
    a.loadStateDict(state);
    a.eval();
    const x = f64(randomData(11, 16), [2, 2, 2, 2]);
    expectAllClose(data64(b.forward(x)), data64(a.forward(x)), 0);
  });

  it('a missing buffer is reported like a missing parameter', () => {
    const state = new BatchNorm1d(2).stateDict();
    delete state['running_var'];
    expect(() => new BatchNorm1d(2).loadStateDict(state)).toThrow(/missing \[running_var\]/);
    expect(new BatchNorm1d(2).loadStateDict(state, { strict: false }).missingKeys).toEqual(['running_var']);
  });
});

describe('BatchNorm gradients (float64 gradcheck through the batch statistics)', () => {
  it('w.r.t. input, weight and bias over random shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (N, C, rest, seed) => {
          const shape = [N, C, ...rest];
          const numel = shape.reduce((a, b) => a * b, 1);
          fc.pre(numel / C > 1);
          const x = f64(randomData(seed, numel), shape, true);
          const w = f64(randomData(seed + 1, C, 0.5, 2), [C], true);
          const b = f64(randomData(seed + 2, C), [C], true);
          gradcheck((xi, wi, bi) => batchNorm(xi!, null, null, { weight: wi!, bias: bi!, training: true, eps: 1e-3 }), [x, w, b]);
          const rm = f64(randomData(seed + 3, C), [C]);
          const rv = f64(randomData(seed + 4, C, 0.5, 2), [C]);
          gradcheck((xi, wi, bi) => batchNorm(xi!, rm, rv, { weight: wi!, bias: bi! }), [x, w, b]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('the module in train() mode gives its weight and bias the functional form’s gradients', () => {
    const bn = new BatchNorm1d(3, { dtype: 'float64' });
    bn.weight!.assign_(f64([0.5, 2, -1], [3]));
    const x = f64(randomData(1, 12), [4, 3], true);
    const v = f64(randomData(2, 12), [4, 3]);
    bn.forward(x).mul(v).sum().backward();
    const w = f64([0.5, 2, -1], [3], true);
    const b = f64([0, 0, 0], [3], true);
    const x2 = f64(randomData(1, 12), [4, 3], true);
    batchNorm(x2, null, null, { weight: w, bias: b, training: true }).mul(v).sum().backward();
    expectAllClose(data64(bn.weight!.grad!), data64(w.grad!), 1e-14);
    expectAllClose(data64(bn.bias!.grad!), data64(b.grad!), 1e-14);
    expectAllClose(data64(x.grad!), data64(x2.grad!), 1e-14);
    // Normalised outputs are invariant to a shift of the input: Σ ∂l/∂x over a channel is 0.
    const g = data64(x.grad!);
    for (let c = 0; c < 3; c++) expect(Math.abs(g[c]! + g[3 + c]! + g[6 + c]! + g[9 + c]!)).toBeLessThan(1e-12);
  });
});

describe('BatchNorm errors: checked before anything changes', () => {
  it('rejects options, shapes and a single value per channel', () => {
    expect(() => new BatchNorm1d(0)).toThrow(ValueError);
    expect(() => new BatchNorm1d(3, { momentum: 1.5 })).toThrow(/momentum/);
    expect(() => new BatchNorm1d(3, { eps: -1 })).toThrow(/eps/);
    expect(() => new BatchNorm1d(3, { track_running_stats: false } as never)).toThrow(/unknown option 'track_running_stats'/);
    const bn = new BatchNorm1d(3);
    expect(() => bn.forward(tensor([[1, 2]]))).toThrow(ShapeError);
    expect(() => bn.forward(tensor([[[[1, 2, 3]]]]))).toThrow(/BatchNorm1d: argument 'input' expected 2-d or 3-d input/);
    expect(() => new BatchNorm2d(3).forward(tensor([[1, 2, 3]]))).toThrow(/BatchNorm2d: argument 'input' expected 4-d input/);
    expect(() => bn.forward(tensor([[1, 2, 3]]))).toThrow(/more than 1 value per channel/);
    expect(() => bn.forward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' }))).toThrow(/float32 or float64/);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expect(Array.from(bn.runningMean!.dataSync())).toEqual([0, 0, 0]);
    bn.momentum = 2;
    expect(() => bn.forward(tensor([[1, 2, 3], [4, 5, 6]]))).toThrow(/BatchNorm1d: option 'momentum'/);
    expect(bn.numBatchesTracked!.item()).toBe(0);
    bn.momentum = 0.1;
    bn.eval();
    expect(bn.forward(tensor([[1, 2, 3]])).shape).toEqual([1, 3]);
  });

  it('batchNorm rejects wrong statistics shapes and unknown options', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(() => batchNorm(x, tensor([0, 0, 0]), tensor([1, 1]))).toThrow(/runningMean' expected shape \[2\]/);
    expect(() => batchNorm(x, null, null, { trainng: true } as never)).toThrow(/unknown option 'trainng'/);
    expect(batchNorm(x, null, null) instanceof Tensor).toBe(true);
  });
});
