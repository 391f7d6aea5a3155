import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, tensor } from '@tsgrad/tensor';
import { Adagrad, Parameter, RMSprop, type AdagradOptions, type RMSpropOptions } from '../index.js';
import { expectAllClose } from '../modules/test-helpers.js';

/*
 * RMSprop and Adagrad against plain float64 loops of PyTorch's documented update rules,
 * compared after every step on the quadratic loss Σ C·p² + D·p (gradient 2Cp + D).
 */

const C = [0.5, 1.5, -0.25, 2, 0.1];
const D = [1, -2, 0.5, 0.3, 0];
const P0 = [0.3, -1.2, 2.0, 0.7, -0.4];
const gradAt = (p: number[]) => p.map((x, i) => 2 * C[i]! * x + D[i]!);

function lossOf(p: Tensor): Tensor {
  return p.square().mul(tensor(C, { dtype: p.dtype })).add(p.mul(tensor(D, { dtype: p.dtype }))).sum();
}

/** Every step's parameters from the optimiser under test. */
function trajectory(make: (ps: Parameter[]) => RMSprop | Adagrad, steps: number, dtype: 'float32' | 'float64' = 'float64'): number[][] {
  const p = new Parameter(tensor(P0, { dtype }));
  const opt = make([p]);
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    lossOf(p).backward();
    opt.step();
    out.push(Array.from(p.dataSync()));
  }
  return out;
}

/** torch.optim.RMSprop's rule, one coordinate at a time. */
function referenceRMSprop(o: RMSpropOptions, steps: number): number[][] {
  let p = [...P0];
  const v = p.map(() => 0);
  const gAvg = p.map(() => 0);
  const buf = p.map(() => 0);
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const grad = gradAt(p);
    p = p.map((x, i) => {
      let g = o.maximize ? -grad[i]! : grad[i]!;
      g += o.weightDecay * x;
      v[i] = o.alpha * v[i]! + (1 - o.alpha) * g * g;
      let denom: number;
      if (o.centered) {
        gAvg[i] = o.alpha * gAvg[i]! + (1 - o.alpha) * g;
        denom = Math.sqrt(v[i]! - gAvg[i]! * gAvg[i]!) + o.eps;
      } else {
        denom = Math.sqrt(v[i]!) + o.eps;
      }
      if (o.momentum > 0) {
        buf[i] = o.momentum * buf[i]! + g / denom;
        return x - o.lr * buf[i]!;
      }
      return x - (o.lr * g) / denom;
    });
    out.push([...p]);
  }
  return out;
}

/** torch.optim.Adagrad's rule. */
function referenceAdagrad(o: AdagradOptions, steps: number): number[][] {
  let p = [...P0];
  const s = p.map(() => o.initialAccumulatorValue);
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const grad = gradAt(p);
    const clr = o.lr / (1 + (t - 1) * o.lrDecay);
    p = p.map((x, i) => {
      let g = o.maximize ? -grad[i]! : grad[i]!;
      g += o.weightDecay * x;
      s[i] = s[i]! + g * g;
      return x - (clr * g) / (Math.sqrt(s[i]!) + o.eps);
    });
    out.push([...p]);
  }
  return out;
}

const rmsDefaults: RMSpropOptions = { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };
const adagradDefaults: AdagradOptions = { lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false };

function expectTrajectory(got: number[][], want: number[][], atol: number, rtol: number): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, t) => expectAllClose(g, want[t]!, atol, rtol));
}

describe('RMSprop matches PyTorch step by step (float64)', () => {
  const cases: [string, Partial<RMSpropOptions>][] = [
    ['defaults', {}],
    ['lr and alpha', { lr: 0.05, alpha: 0.8 }],
    ['weight decay', { lr: 0.03, weightDecay: 0.2 }],
    ['momentum', { lr: 0.02, momentum: 0.9 }],
    ['centered', { lr: 0.02, alpha: 0.9, centered: true }],
    ['centered with momentum and weight decay', { lr: 0.01, alpha: 0.7, centered: true, momentum: 0.5, weightDecay: 0.1 }],
    ['large eps, maximize', { lr: 0.1, eps: 0.3, maximize: true }],
  ];
  for (const [name, opts] of cases) {
    it(name, () => {
      expectTrajectory(trajectory((ps) => new RMSprop(ps, opts), 10), referenceRMSprop({ ...rmsDefaults, ...opts }, 10), 1e-14, 1e-12);
    });
  }
  it('defaults as PyTorch, state per parameter', () => {
    const p = new Parameter(tensor([1, 2]));
    const opt = new RMSprop([p], { centered: true, momentum: 0.1 });
    expect(opt.defaults).toEqual({ ...rmsDefaults, centered: true, momentum: 0.1 });
    p.sum().backward();
    opt.step();
    const st = opt.state.get(p)!;
    expect(st.step).toBe(1);
    expect(st.gradAvg!.shape).toEqual([2]);
    expect(st.momentumBuffer!.dtype).toBe('float32');
  });
  it('float32 parameters track the float64 rule', () => {
    expectTrajectory(trajectory((ps) => new RMSprop(ps, { lr: 0.02, momentum: 0.5, centered: true }), 6, 'float32'), referenceRMSprop({ ...rmsDefaults, lr: 0.02, momentum: 0.5, centered: true }, 6), 1e-5, 1e-5);
  });
});

describe('Adagrad matches PyTorch step by step (float64)', () => {
  const cases: [string, Partial<AdagradOptions>][] = [
    ['defaults', {}],
    ['lr', { lr: 0.3 }],
    ['lrDecay', { lr: 0.3, lrDecay: 0.25 }],
    ['weight decay', { lr: 0.1, weightDecay: 0.3 }],
    ['initialAccumulatorValue', { lr: 0.2, initialAccumulatorValue: 0.7 }],
    ['large eps, maximize', { lr: 0.1, eps: 0.5, maximize: true }],
  ];
  for (const [name, opts] of cases) {
    it(name, () => {
      expectTrajectory(trajectory((ps) => new Adagrad(ps, opts), 10), referenceAdagrad({ ...adagradDefaults, ...opts }, 10), 1e-14, 1e-12);
    });
  }
  it('the first step moves every coordinate by lr (|g|/√g² = 1) without an initial accumulator', () => {
    const [p1] = trajectory((ps) => new Adagrad(ps, { lr: 0.05 }), 1);
    const g = gradAt(P0);
    expectAllClose(p1!, P0.map((x, i) => x - 0.05 * Math.sign(g[i]!)), 1e-9);
  });
  it('float32 parameters track the float64 rule', () => {
    expectTrajectory(trajectory((ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.1 }), 6, 'float32'), referenceAdagrad({ ...adagradDefaults, lr: 0.1, lrDecay: 0.1 }, 6), 1e-5, 1e-5);
  });
});

describe('option validation', () => {
  const ps = () => [new Parameter(tensor([1]))];
  it('rejects negative or non-finite options and unknown names, naming the optimiser', () => {
    expect(() => new RMSprop(ps(), { lr: -1 })).toThrow(new ValueError("RMSprop: option 'lr' expected a non-negative finite number, got -1"));
    expect(() => new RMSprop(ps(), { alpha: -0.1 })).toThrow(/RMSprop: option 'alpha'/);
    expect(() => new RMSprop(ps(), { momentum: NaN })).toThrow(/RMSprop: option 'momentum'/);
    expect(() => new RMSprop(ps(), { centered: 1 as never })).toThrow(/RMSprop: option 'centered' expected a boolean/);
    expect(() => new Adagrad(ps(), { lrDecay: -1 })).toThrow(/Adagrad: option 'lrDecay'/);
    expect(() => new Adagrad(ps(), { initialAccumulatorValue: -1 })).toThrow(/Adagrad: option 'initialAccumulatorValue'/);
    expect(() => new Adagrad(ps(), { eps: Infinity })).toThrow(/Adagrad: option 'eps'/);
    expect(() => new Adagrad([{ params: ps(), lr_decay: 0.1 } as never])).toThrow(/unknown option 'lr_decay'/);
  });
  it('checks every gradient before updating anything (a wrong shape in the second parameter)', () => {
    for (const make of [(ps: Parameter[]) => new RMSprop(ps, { momentum: 0.5, centered: true }), (ps: Parameter[]) => new Adagrad(ps)]) {
      const a = new Parameter(tensor([1, 2], { dtype: 'float64' }));
      const b = new Parameter(tensor([3, 4], { dtype: 'float64' }));
      const opt = make([a, b]);
      a.grad = tensor([1, 1], { dtype: 'float64' });
      b.grad = tensor([1], { dtype: 'float64' });
      expect(() => opt.step()).toThrow(/shape/);
      expect([...a.dataSync(), ...b.dataSync()]).toEqual([1, 2, 3, 4]);
      expect(opt.state.size).toBe(0);
    }
  });
  it('re-validates group options at step, before any parameter changes', () => {
    const a = new Parameter(tensor([1], { dtype: 'float64' }));
    const b = new Parameter(tensor([2], { dtype: 'float64' }));
    const opt = new Adagrad([{ params: [a] }, { params: [b] }]);
    a.add(b).sum().backward();
    opt.paramGroups[1]!.lr = -3;
    expect(() => opt.step()).toThrow(/Adagrad: parameter group 1: option 'lr'/);
    expect([a.item(), b.item()]).toEqual([1, 2]);
    expect(opt.state.size).toBe(0);
  });
});
