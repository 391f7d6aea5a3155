import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, Tensor, ValueError, tensor, tidy, zeros } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer, type OptimizerStateDict } from './index.js';

/*
 * Optimiser checkpoints (`torch.optim.Optimizer.state_dict` / `load_state_dict`):
 * training that stops, saves the optimiser, restores it into a fresh optimiser over a
 * copy of the parameters and continues must give the same numbers as training that
 * never stopped — bit for bit, in float64 and on the default backend.
 */

type Make = (params: Tensor[] | { params: Tensor[]; lr?: number }[]) => Optimizer<object, unknown>;
const MAKERS: Record<string, Make> = {
  'SGD (momentum, nesterov, weight decay)': (p) => new SGD(p as Tensor[], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  'SGD (plain)': (p) => new SGD(p as Tensor[], { lr: 0.1 }),
  'Adam (amsgrad)': (p) => new Adam(p as Tensor[], { lr: 0.01, amsgrad: true }),
  AdamW: (p) => new AdamW(p as Tensor[], { lr: 0.01 }),
  'RMSprop (centered, momentum)': (p) => new RMSprop(p as Tensor[], { lr: 0.01, centered: true, momentum: 0.5 }),
  Adagrad: (p) => new Adagrad(p as Tensor[], { lr: 0.1, lrDecay: 0.01 }),
};

function params(dtype: 'float32' | 'float64', seed: number): Tensor[] {
  const r = mulberry32(seed);
  return [[3, 2], [2], [4]].map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    return tensor(Array.from({ length: n }, () => r() * 2 - 1), { shape: s, dtype, requiresGrad: true });
  });
}

/** One step with deterministic gradients (a function of the parameters and the step). */
function step(opt: Optimizer<object, unknown>, ps: Tensor[], k: number): void {
  ps.forEach((p, i) => {
    p.grad = p.detach().mul(0.5 + 0.1 * i).add(Math.sin(k + i)).sin();
  });
  opt.step();
}

const bits = (ts: Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

describe('optimizer stateDict / loadStateDict', () => {
  for (const [name, make] of Object.entries(MAKERS)) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${name}, ${dtype}: stop after 3 steps, save, restore into a fresh optimiser, continue — same as never stopping`, () => {
        const a = params(dtype, 1);
        const optA = make(a);
        for (let k = 0; k < 3; k++) step(optA, a, k);
        const saved = optA.stateDict();
        const b = a.map((p) => p.detach().clone().requiresGrad_());
        // A fresh optimiser with other options: the state dict brings the saved ones.
        const optB = make(b);
        for (const g of optB.paramGroups as unknown as { lr: number }[]) g.lr = 123;
        optB.loadStateDict(saved);
        expect((optB.paramGroups[0] as unknown as { lr: number }).lr).toBe((optA.paramGroups[0] as unknown as { lr: number }).lr);
        for (let k = 3; k < 6; k++) {
          step(optA, a, k);
          step(optB, b, k);
        }
        expect(bits(b)).toEqual(bits(a));
      });
    }
  }

  it('is a snapshot: later steps change neither its tensors nor its options, and they stay readable', () => {
    const ps = params('float32', 2);
    const opt = new Adam(ps, { lr: 0.01 });
    step(opt, ps, 0);
    const sd = opt.stateDict();
    const before = JSON.stringify(Object.values(sd.state).map((e) => Object.values(e).map((v) => (v instanceof Tensor ? Array.from(v.dataSync()) : v))));
    tidy(() => {
      for (let k = 1; k < 4; k++) step(opt, ps, k);
    });
    (opt.paramGroups[0] as unknown as { betas: number[] }).betas[0] = 0.5;
    const after = JSON.stringify(Object.values(sd.state).map((e) => Object.values(e).map((v) => (v instanceof Tensor ? Array.from(v.dataSync()) : v))));
    expect(after).toBe(before);
    expect(sd.paramGroups[0]!['betas']).toEqual([0.9, 0.999]);
    expect(sd.state[0]!['step']).toBe(1);
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2']);
    expect(sd.paramGroups[0]!.params).toEqual([0, 1, 2]);
  });

  it('parameter groups: indices run over all groups in order; parameters without state are absent', () => {
    const ps = params('float64', 3);
    const opt = new SGD([{ params: [ps[0]!] }, { params: [ps[1]!, ps[2]!], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
    ps[1]!.grad = zeros([2], { dtype: 'float64' });
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0], [1, 2]]);
    expect(sd.paramGroups.map((g) => g['lr'])).toEqual([0.1, 0.5]);
    expect(Object.keys(sd.state)).toEqual(['1']);
  });

  it('float64 state loads into float32 parameters (cast, as PyTorch does)', () => {
    const p64 = params('float64', 4);
    const opt64 = new Adam(p64, { lr: 0.01 });
    step(opt64, p64, 0);
    const p32 = params('float32', 4);
    const opt32 = new Adam(p32, { lr: 0.01 });
    opt32.loadStateDict(opt64.stateDict());
    const st = opt32.state.get(p32[0]!) as { expAvg: Tensor };
    expect(st.expAvg.dtype).toBe('float32');
  });

  it('rejects a bad state dict with a TsgradError naming the entry, and changes nothing', () => {
    const ps = params('float32', 5);
    const opt = new Adam(ps, { lr: 0.01 });
    step(opt, ps, 0);
    const good = opt.stateDict();
    const snapshot = () => JSON.stringify([
      opt.paramGroups.map(({ params: _p, ...o }) => o),
      [...opt.state.values()].map((st) => Object.values(st as object).map((v) => (v instanceof Tensor ? Array.from(v.dataSync()) : v))),
    ]);
    const before = snapshot();
    const s0 = good.state[0]!;
    const cases: [string, unknown, new (...a: never[]) => Error, RegExp][] = [
      ['not an object', 5, ValueError, /argument 'stateDict' expected \{ state, paramGroups \}/],
      ['an extra entry', { ...good, extra: 1 }, ValueError, /unexpected entries \[extra\]/],
      ['too few groups', { ...good, paramGroups: [] }, ValueError, /has 0 groups, this optimiser has 1/],
      ['too few params', { ...good, paramGroups: [{ ...good.paramGroups[0], params: [0, 1] }] }, ValueError, /params expected 3 parameter indices/],
      ['a repeated index', { ...good, paramGroups: [{ ...good.paramGroups[0], params: [0, 0, 1] }] }, ValueError, /params\[1\] expected a new non-negative integer index/],
      ['an unknown option', { ...good, paramGroups: [{ ...good.paramGroups[0], learningRate: 1 }] }, ValueError, /unknown option 'learningRate'/],
      ['a bad option value', { ...good, paramGroups: [{ ...good.paramGroups[0], lr: -1 }] }, ValueError, /lr/],
      ['state for a missing index', { ...good, state: { ...good.state, 7: s0 } }, ValueError, /state\[7\]: no parameter has index 7/],
      ['an unknown state entry', { ...good, state: { ...good.state, 0: { ...s0, momentum: 1 } } }, ValueError, /unexpected entry 'momentum'/],
      ['a missing state entry', { ...good, state: { ...good.state, 0: { step: 1, expAvg: s0['expAvg'], maxExpAvgSq: null } } }, ValueError, /is missing expAvgSq/],
      ['a mis-shaped tensor', { ...good, state: { ...good.state, 1: { ...good.state[1], expAvg: zeros([3]) } } }, ShapeError, /state\[1\]\.expAvg expected shape \[2\]/],
      ['an int32 tensor', { ...good, state: { ...good.state, 0: { ...s0, expAvg: zeros([3, 2], { dtype: 'int32' }) } } }, DTypeError, /floating point/],
      ['a fractional step', { ...good, state: { ...good.state, 0: { ...s0, step: 1.5 } } }, ValueError, /non-negative integer step count/],
      ['an array for a tensor', { ...good, state: { ...good.state, 0: { ...s0, expAvg: [1, 2] } } }, ValueError, /expected a Tensor, a number or null/],
    ];
    for (const [what, bad, cls, msg] of cases) {
      expect(() => opt.loadStateDict(bad as OptimizerStateDict), what).toThrow(cls);
      expect(() => opt.loadStateDict(bad as OptimizerStateDict), what).toThrow(msg);
      expect(() => opt.loadStateDict(bad as OptimizerStateDict), what).toThrow(/^Adam\.loadStateDict: /);
      expect(snapshot(), what).toBe(before);
    }
  });
});
