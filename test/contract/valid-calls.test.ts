import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '@tsgrad/tensor';
import { Tensor } from '@tsgrad/tensor';
import * as NN from '@tsgrad/nn';
import { Adam, Linear, SGD, crossEntropy, init, sigmoidFocalLoss } from '@tsgrad/nn';
import { mulberry32 } from '@tsgrad/testing';
import { TENSOR_INVALID_BASE, TENSOR_TABLE } from './table-tensor.js';
import { INVALID_BASE, NN_TABLE, removeContractFiles } from './table-nn.js';

/*
 * The other half of the contract: validation never rejects good input. fast-check
 * generates valid calls at the edges of what the specs allow (negative dims, bounds
 * past the end, int32 extremes, 0-d and empty tensors, null = "all dims") and checks
 * each result against a plain float64 reference.
 */

const RUNS = { numRuns: 60 };

const arbShape = (minRank = 0, maxRank = 3) => fc.array(fc.integer({ min: 0, max: 3 }), { minLength: minRank, maxLength: maxRank });
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const iota = (s: readonly number[]) => T.arange(numel(s)).to('float64').reshape([...s]);

/** Row-major strides and element access of a nested reference array. */
function at(data: readonly number[], shape: readonly number[], idx: readonly number[]): number {
  let off = 0;
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    off += idx[i]! * stride;
    stride *= shape[i]!;
  }
  return data[off]!;
}

function forEachIndex(shape: readonly number[], fn: (idx: number[]) => void): void {
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    fn(idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Python's slice semantics on one axis (the reference for slice). */
function pySlice(size: number, start: number | null, end: number | null, step: number): number[] {
  const norm = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  const s = start === null ? 0 : norm(start);
  const e = end === null ? size : norm(end);
  const out: number[] = [];
  for (let i = s; i < e; i += step) out.push(i);
  return out;
}

describe('valid calls are accepted and match a float64 reference', () => {
  it('slice: any integer bounds (negative, past the end, null) and positive steps', () => {
    fc.assert(fc.property(arbShape(1), fc.nat(), fc.option(fc.integer({ min: -6, max: 6 })), fc.option(fc.integer({ min: -6, max: 6 })), fc.integer({ min: 1, max: 3 }),
      (shape, dRaw, start, end, step) => {
        const x = iota(shape);
        const d = dRaw % shape.length;
        const y = x.slice(d - shape.length, start, end, step);
        const picked = pySlice(shape[d]!, start, end, step);
        const expectedShape = shape.map((s, i) => (i === d ? picked.length : s));
        expect(y.shape).toEqual(expectedShape);
        const data = Array.from(x.dataSync());
        const got = Array.from(y.contiguous().dataSync());
        const want: number[] = [];
        forEachIndex(expectedShape, (idx) => want.push(at(data, shape, idx.map((v, i) => (i === d ? picked[v]! : v)))));
        expect(got).toEqual(want);
      }), RUNS);
  });

  it('sum / mean over any distinct dims (negative, null = all, a 0-d tensor’s dim 0), keepdim', () => {
    fc.assert(fc.property(arbShape(0), fc.array(fc.nat(), { maxLength: 3 }), fc.boolean(), fc.boolean(), (shape, raw, keepdim, useNull) => {
      const x = iota(shape);
      const n = shape.length;
      const dims = n === 0 ? (raw.length ? [raw[0]! % 2 === 0 ? 0 : -1] : []) : [...new Set(raw.map((r) => r % n))].map((d, i) => (i % 2 ? d - n : d));
      const axes = n === 0 ? [] : dims.map((d) => (d < 0 ? d + n : d));
      const arg = useNull ? null : dims;
      const s = x.sum(arg, keepdim);
      const reduced = useNull ? shape.map((_, i) => i) : axes;
      const outShape = shape.flatMap((v, i) => (reduced.includes(i) ? (keepdim ? [1] : []) : [v]));
      expect(s.shape).toEqual(outShape);
      const data = Array.from(x.dataSync());
      const want = new Array<number>(numel(outShape)).fill(0);
      forEachIndex(shape, (idx) => {
        let off = 0;
        let stride = 1;
        for (let i = shape.length - 1, j = outShape.length - 1; i >= 0; i--) {
          if (reduced.includes(i) && !keepdim) continue;
          off += (reduced.includes(i) ? 0 : idx[i]!) * stride;
          stride *= outShape[j--]!;
        }
        want[off]! += at(data, shape, idx);
      });
      expect(Array.from(s.dataSync())).toEqual(want);
      expect(() => x.mean(arg, keepdim)).not.toThrow();
    }), RUNS);
  });

  it('transpose / permute / unsqueeze / squeeze / flatten accept every in-range dim, negative ones too', () => {
    fc.assert(fc.property(arbShape(0), fc.integer({ min: -4, max: 3 }), fc.integer({ min: -4, max: 3 }), (shape, a, b) => {
      const x = iota(shape);
      const n = Math.max(shape.length, 1);
      const ok = (d: number) => d >= -n && d < n;
      if (ok(a) && ok(b)) {
        const y = x.transpose(a, b);
        if (shape.length >= 2) {
          const [p, q] = [(a + n) % n, (b + n) % n];
          const perm = shape.map((_, i) => (i === p ? q : i === q ? p : i));
          expect(y.shape).toEqual(perm.map((i) => shape[i]!));
          expect(x.permute(perm).toArray()).toEqual(y.toArray());
        } else expect(y).toBe(x);
        expect(x.flatten(a, a).shape).toEqual(shape.length ? shape : [1]);
        expect(x.squeeze(a).numel).toBe(x.numel);
      }
      const u = a >= -(shape.length + 1) && a <= shape.length;
      if (u) expect(x.unsqueeze(a).numel).toBe(x.numel);
    }), RUNS);
  });

  it('narrow / split / chunk / cat / stack round-trip', () => {
    fc.assert(fc.property(arbShape(1), fc.integer({ min: 1, max: 4 }), (shape, size) => {
      const x = iota(shape);
      const parts = x.split(size, -1);
      expect(T.cat(parts, -1).toArray()).toEqual(x.toArray());
      const chunks = x.chunk(size, 0);
      expect(T.cat(chunks, 0).toArray()).toEqual(x.toArray());
      expect(T.stack([x, x], -1).shape).toEqual([...shape, 2]);
      const last = shape[shape.length - 1]!;
      expect(x.narrow(-1, -last, last).toArray()).toEqual(x.toArray());
      const sizes = [Math.floor(last / 2), last - Math.floor(last / 2)];
      expect(T.cat(x.split(sizes, -1), -1).toArray()).toEqual(x.toArray());
    }), RUNS);
  });

  it('tensor(): every value an int32 or bool tensor can hold, and every typed array kind by value', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 8 }), (ints, bools) => {
      expect(Array.from(T.tensor(ints, { dtype: 'int32' }).dataSync())).toEqual(ints);
      expect(Array.from(T.tensor(ints.map((v) => v % 2 === 0 ? 0 : 1), { dtype: 'bool' }).dataSync())).toEqual(ints.map((v) => (v % 2 === 0 ? 0 : 1)));
      expect(T.tensor(bools).dtype).toBe(bools.length ? 'bool' : 'float32');
      const small = ints.map((v) => (v % 30000) | 0);
      expect(Array.from(T.tensor(new Int16Array(small)).dataSync())).toEqual(small);
      expect(T.tensor(new Int16Array(small)).dtype).toBe('int32');
      expect(Array.from(T.tensor(new Int8Array(small.map((v) => (v % 100) | 0))).dataSync())).toEqual(small.map((v) => (v % 100) | 0));
      expect(Array.from(T.tensor(new Uint16Array(small.map(Math.abs))).dataSync())).toEqual(small.map(Math.abs));
      expect(Array.from(T.tensor(new Uint32Array(ints.map(Math.abs).map((v) => Math.min(v, 2 ** 31 - 1)))).dataSync()))
        .toEqual(ints.map(Math.abs).map((v) => Math.min(v, 2 ** 31 - 1)));
      expect(Array.from(T.tensor(new Uint8ClampedArray(small.map((v) => Math.abs(v) % 256))).dataSync())).toEqual(small.map((v) => Math.abs(v) % 256));
    }), RUNS);
    expect(T.tensor([true, 2]).dtype).toBe('float32');
    expect(T.tensor([true, 2]).toArray()).toEqual([1, 2]);
  });

  it('full / arange / linspace / randint at the int32 and bool limits', () => {
    expect(T.full([2], 2 ** 31 - 1, { dtype: 'int32' }).toArray()).toEqual([2 ** 31 - 1, 2 ** 31 - 1]);
    expect(T.full([1], -(2 ** 31), { dtype: 'int32' }).toArray()).toEqual([-(2 ** 31)]);
    expect(T.full([2], 1, { dtype: 'bool' }).toArray()).toEqual([1, 1]);
    expect(T.arange(2 ** 31 - 3, 2 ** 31).toArray()).toEqual([2 ** 31 - 3, 2 ** 31 - 2, 2 ** 31 - 1]);
    expect(T.arange(0, 2 ** 31 + 5, 2 ** 30, { dtype: 'float64' }).toArray()).toEqual([0, 2 ** 30, 2 ** 31]);
    expect(T.linspace(0, 4, 5, { dtype: 'int32' }).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(T.linspace(0, 1, 2, { dtype: 'bool' }).toArray()).toEqual([0, 1]);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 2 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (low, span, seed) => {
      const high = Math.min(low + span, 2 ** 31);
      T.manualSeed(seed);
      const v = Array.from(T.randint(low, high, [16]).dataSync());
      expect(v.every((x) => x >= low && x < high)).toBe(true);
      const b = Array.from(T.randint(0, 2, [16], { dtype: 'bool' }).dataSync());
      expect(b.every((x) => x === 0 || x === 1)).toBe(true);
    }), RUNS);
  });

  it('manualSeed: any safe integer, negative ones included, gives a reproducible stream', () => {
    fc.assert(fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (seed) => {
      T.manualSeed(seed);
      const a = Array.from(T.rand([3]).dataSync());
      T.manualSeed(seed);
      expect(Array.from(T.rand([3]).dataSync())).toEqual(a);
    }), RUNS);
  });

  it('clamp with number, null and broadcasting tensor bounds matches Math.min/max', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 6 }), fc.option(fc.double({ min: -3, max: 0, noNaN: true })), fc.option(fc.double({ min: 0, max: 3, noNaN: true })),
      (vals, lo, hi) => {
        const x = T.tensor(vals, { dtype: 'float64' });
        const want = vals.map((v) => Math.min(hi ?? Infinity, Math.max(lo ?? -Infinity, v)));
        expect(Array.from(x.clamp(lo, hi).dataSync())).toEqual(want);
        const loT = lo === null ? null : T.tensor([lo], { dtype: 'float64' });
        expect(Array.from(T.clamp(x, loT, hi).dataSync())).toEqual(want);
      }), RUNS);
  });

  it('add/sub with alpha, and reductions with keepdim, follow the reference', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: -4, max: 4 }), (vals, alpha) => {
      const x = T.tensor(vals, { dtype: 'float64' });
      expect(Array.from(x.add(x, alpha).dataSync())).toEqual(vals.map((v) => v + alpha * v));
      expect(Array.from(x.sub(2, alpha).dataSync())).toEqual(vals.map((v) => v - 2 * alpha));
      expect(x.sum(0, true).shape).toEqual([1]);
      expect(x.argmax(null, true).shape).toEqual([1]);
    }), RUNS);
  });

  it('indexSelect on a 0-d input with one index, oneHot, gather: valid edge cases', () => {
    expect(T.indexSelect(T.tensor(5), 0, T.tensor([0], { dtype: 'int32' })).toArray()).toBe(5);
    expect(T.oneHot(T.tensor([0, 2], { dtype: 'int32' })).toArray()).toEqual([[1, 0, 0], [0, 0, 1]]);
    expect(T.oneHot(T.tensor([], { dtype: 'int32' }), 0).shape).toEqual([0, 0]);
    expect(T.cat([T.zeros([0]), T.ones([2])]).toArray()).toEqual([1, 1]);
  });

  it('grad and backward with every valid option shape; unused inputs allowed when asked', () => {
    const a = T.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const u = T.tensor([3], { dtype: 'float64', requiresGrad: true });
    const y = a.square().sum();
    const [ga, gu] = T.grad(y, [a, u], { allowUnused: true, retainGraph: true });
    expect(ga!.toArray()).toEqual([2, 4]);
    expect(gu).toBeNull();
    y.backward(undefined, { retainGraph: false });
    expect(a.grad!.toArray()).toEqual([2, 4]);
  });
});

describe('nn: valid options and gradients are accepted', () => {
  it('optimisers take every documented option, null-free, and step', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.99, noNaN: true }), fc.boolean(), (lr, momentum, maximize) => {
      const p = new Linear(2, 2).weight;
      const sgd = new SGD([p], { lr, momentum, dampening: 0, nesterov: momentum > 0, weightDecay: 0, maximize });
      p.sum().backward();
      sgd.step();
      const q = new Linear(2, 2).weight;
      const adam = new Adam([{ params: [q], lr }], { betas: [momentum, 0.999], amsgrad: maximize, eps: 1e-8, weightDecay: 0 });
      q.sum().backward();
      adam.step();
      expect(adam.state.get(q)).toBeDefined();
    }), { numRuns: 20 });
  });

  it('losses and initialisers take their documented options', () => {
    const x = T.rand([2, 3], { dtype: 'float64' });
    const t = T.tensor([0, 2], { dtype: 'int32' });
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      expect(() => crossEntropy(x, t, { reduction, labelSmoothing: 0.1, ignoreIndex: -100 })).not.toThrow();
      expect(() => sigmoidFocalLoss(x, x, { alpha: -1, gamma: 0, reduction })).not.toThrow();
      expect(() => sigmoidFocalLoss(x, x, { alpha: 1, reduction })).not.toThrow();
    }
    expect(init.kaimingUniform([3, 2], { a: 0, mode: 'fanOut', nonlinearity: 'relu', dtype: 'float64' }).dtype).toBe('float64');
    expect(init.uniform(T.zeros([2, 2]), -1, 1)).toBeInstanceOf(Tensor);
    expect(init.zeros([2], {}).toArray()).toEqual([0, 0]);
  });
});

describe('the valid base of every table entry is accepted', () => {
  it('every entry (tensor and nn) on 3 generated bases, except the few whose base is the bad call by design', () => {
    const exempt: Record<string, string> = { ...TENSOR_INVALID_BASE, ...INVALID_BASE };
    for (const name of Object.keys(exempt)) expect([...TENSOR_TABLE, ...NN_TABLE].map((e) => e.name), name).toContain(name);
    const failed: string[] = [];
    for (const e of [...TENSOR_TABLE, ...NN_TABLE]) {
      if (Object.prototype.hasOwnProperty.call(exempt, e.name)) continue;
      for (let base = 1; base <= 3; base++) {
        try {
          e.call(e.make(mulberry32(base * 7919)));
        } catch (err) {
          failed.push(`${e.name} (base ${base}): ${(err as Error).message}`);
        }
      }
    }
    expect(failed, failed.join('\n')).toEqual([]);
  });
});

describe('valid calls of the exports that landed alongside the validation layer', () => {
  afterAll(removeContractFiles);

  it('memory scopes, thread count and printing', () => {
    const x = T.tensor([1, 2], { dtype: 'float64' });
    const kept: Tensor[] = [];
    const y = T.tidy(() => {
      kept.push(T.keep(x.mul(3)));
      expect(T.inScope()).toBe(true);
      return T.releaseToScope(x.add(1)).mul(2);
    });
    expect(y.toArray()).toEqual([4, 6]);
    expect(kept[0]!.toArray()).toEqual([3, 6]);
    expect(T.tidyUpdates(() => 5)).toBe(5);
    expect(T.inScope()).toBe(false);
    const n = T.getNumThreads();
    T.setNumThreads(n);
    expect(T.getNumThreads()).toBe(n);
    expect(T.formatTensor(x)).toBe(String(x));
    expect(T.formatTensor(x)).toBe('tensor([1., 2.], dtype=float64)');
  });

  it('functionalCall: the forward with the given tensors, the module untouched', () => {
    const lin = new Linear(2, 3, { dtype: 'float64' });
    const before = lin.weight.toArray();
    const w = T.tensor([[1, 0], [0, 1], [1, 1]], { dtype: 'float64' });
    const x = T.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const out = NN.functionalCall(lin, { weight: w }, x);
    expect(out.toArray()).toEqual(x.matmul(w.transpose(0, 1)).add(lin.bias!).toArray());
    expect(lin.weight.toArray()).toEqual(before);
    const bn = new NN.BatchNorm1d(2, { dtype: 'float64' });
    const mean = T.zeros([2], { dtype: 'float64' });
    NN.functionalCall(bn, { running_mean: mean }, x);
    expect(Array.from(mean.dataSync())).not.toEqual([0, 0]);
    expect(Array.from(bn.getBuffer('running_mean')!.dataSync())).toEqual([0, 0]);
  });

  it('balancedCrossEntropy: crossEntropy weighted by inverse class counts', () => {
    const x = T.tensor([[1, 2, 3], [0, 1, 0], [2, 0, 1]], { dtype: 'float64' });
    const t = T.tensor([0, 0, 2], { dtype: 'int32' });
    const want = crossEntropy(x, t, { weight: T.tensor([0.5, 0, 1], { dtype: 'float64' }) });
    expect(NN.balancedCrossEntropy(x, t).item()).toBeCloseTo(want.item(), 14);
  });

  it('schedulers: documented arguments, step() and a state round trip', () => {
    const opt = () => new SGD([new NN.Parameter(T.rand([2]))], { lr: 1, momentum: 0.9 });
    const step = new NN.StepLR(opt(), 2, { gamma: 0.5 });
    step.step();
    step.step();
    expect(step.getLastLr()).toEqual([0.5]);
    const multi = new NN.MultiStepLR(opt(), [1, 1], { gamma: 0.5 });
    multi.step();
    expect(multi.getLastLr()).toEqual([0.25]);
    const other = new NN.MultiStepLR(opt(), [3]);
    other.loadStateDict(multi.stateDict());
    expect(other.milestones).toEqual([1, 1]);
    expect(other.lastEpoch).toBe(1);
    expect(new NN.ExponentialLR(opt(), 0).getLastLr()).toEqual([1]);
    expect(new NN.CosineAnnealingLR(opt(), 1, { etaMin: 0 }).getLastLr()).toEqual([1]);
    expect(new NN.LinearLR(opt(), { startFactor: 1, endFactor: 0, totalIters: 1 }).getLastLr()).toEqual([1]);
    const one = new NN.OneCycleLR(opt(), [2], { epochs: 2, stepsPerEpoch: 5, annealStrategy: 'linear', threePhase: true, cycleMomentum: true });
    expect(one.getLastLr()[0]).toBeCloseTo(0.08, 15);
    const copy = new NN.OneCycleLR(opt(), 2, { totalSteps: 10, annealStrategy: 'linear', threePhase: true });
    copy.loadStateDict(one.stateDict());
    expect(copy.stateDict()).toEqual(one.stateDict());
  });

  it('HyperTuner: a step with every option given', () => {
    const model = new Linear(2, 3);
    const loss = new NN.DualFocalLoss({ gamma: { init: 2, min: 0, max: 5 } });
    const tuner = new NN.HyperTuner({
      model, losses: [loss], optimizer: new SGD(model.parameters(), { lr: 0.1 }), every: 2, lookaheadLr: 0.1,
      valObjective: NN.balancedCrossEntropy, trainObjective: (l, t) => loss.forward(l, t), hyperOptimizer: new Adam(loss.parameters(), { lr: 0.01 }),
      bounds: { '0.gammaTheta': [-10, Infinity] },
    });
    const b = { x: T.tensor([[1, 0], [0, 1], [1, 1], [-1, 0]]), y: T.tensor([0, 1, 2, 1], { dtype: 'int32' }) };
    const r = tuner.step(b, b);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.hyper).not.toBeNull();
    expect(tuner.step(b, b).hyper).toBeNull();
    expect(Object.keys(tuner.hypergradient(b, b).grads)).toEqual(['0.gammaTheta']);
  });

  it('safetensors: bytes and files round-trip every dtype', () => {
    const sd = { w: T.tensor([[1.5, -2], [3, 4]]), d: T.tensor([0.1], { dtype: 'float64' }), n: T.tensor([7, -1], { dtype: 'int32' }), m: T.tensor([1, 0], { dtype: 'bool' }) };
    const bytes = NN.serializeSafetensors(sd, { format: 'pt' });
    expect(Object.keys(NN.parseSafetensorsHeader(bytes).tensors).sort()).toEqual(['d', 'm', 'n', 'w']);
    const back = NN.deserializeSafetensors(bytes);
    for (const [k, t] of Object.entries(sd)) {
      expect(back[k]!.dtype).toBe(t.dtype);
      expect(back[k]!.toArray()).toEqual(t.toArray());
    }
    const path = NN_TABLE.find((e) => e.name === 'saveSafetensors')!.make(mulberry32(1))[1] as string;
    NN.saveSafetensors(sd, path);
    expect(NN.loadSafetensors(path)['n']!.toArray()).toEqual([7, -1]);
  });
});
