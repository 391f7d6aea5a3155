import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, tensor } from '@tsgrad/tensor';
import { Adam, AdamW, Parameter, type AdamOptions } from '../index.js';
import { expectAllClose } from '../modules/test-helpers.js';

const C = [0.5, 1.5, -0.25, 2, 0.1];
const D = [1, -2, 0.5, 0.3, 0];
const P0 = [0.3, -1.2, 2.0, 0.7, -0.4];

function lossOf(p: Tensor): Tensor {
  return p.square().mul(tensor(C, { dtype: 'float64' })).add(p.mul(tensor(D, { dtype: 'float64' }))).sum();
}

/** torch.optim.Adam / AdamW as documented, in plain JS. */
function referenceAdam(o: AdamOptions, decoupled: boolean, steps: number): number[] {
  const [b1, b2] = o.betas;
  let p = [...P0];
  let m = p.map(() => 0);
  let v = p.map(() => 0);
  let vMax = p.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    let g = p.map((x, i) => 2 * C[i]! * x + D[i]!);
    if (o.maximize) g = g.map((x) => -x);
    if (o.weightDecay !== 0) {
      if (decoupled) p = p.map((x) => x * (1 - o.lr * o.weightDecay));
      else g = g.map((x, i) => x + o.weightDecay * p[i]!);
    }
    m = m.map((x, i) => b1 * x + (1 - b1) * g[i]!);
    v = v.map((x, i) => b2 * x + (1 - b2) * g[i]! * g[i]!);
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    if (o.amsgrad) vMax = vMax.map((x, i) => Math.max(x, v[i]!));
    const second = o.amsgrad ? vMax : v;
    p = p.map((x, i) => x - (o.lr / bc1) * (m[i]! / (Math.sqrt(second[i]!) / Math.sqrt(bc2) + o.eps)));
  }
  return p;
}

function run(make: (ps: Parameter[]) => Adam, steps: number): number[] {
  const p = new Parameter(tensor(P0, { dtype: 'float64' }));
  const opt = make([p]);
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    lossOf(p).backward();
    opt.step();
  }
  return Array.from(p.dataSync());
}

const adamDefaults: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };

describe('Adam matches PyTorch over several steps (float64)', () => {
  const cases: [string, Partial<AdamOptions>][] = [
    ['defaults', {}],
    ['lr and betas', { lr: 0.05, betas: [0.8, 0.99] }],
    ['L2 weight decay (added to the gradient)', { lr: 0.05, weightDecay: 0.1 }],
    ['amsgrad', { lr: 0.1, betas: [0.5, 0.9], amsgrad: true }],
    ['large eps', { lr: 0.1, eps: 0.5 }],
    ['maximize', { lr: 0.01, maximize: true }],
  ];
  for (const [name, opts] of cases) {
    it(name, () => {
      expectAllClose(run((ps) => new Adam(ps, opts), 8), referenceAdam({ ...adamDefaults, ...opts }, false, 8), 1e-14, 1e-12);
    });
  }
  it('the first step moves every coordinate by about lr (sign of the gradient)', () => {
    const p = run((ps) => new Adam(ps, { lr: 0.01 }), 1);
    const g = P0.map((x, i) => 2 * C[i]! * x + D[i]!);
    expectAllClose(p, P0.map((x, i) => x - 0.01 * Math.sign(g[i]!)), 1e-8);
  });
});

describe('AdamW', () => {
  it('uses decoupled weight decay, default 0.01, and matches PyTorch', () => {
    expect(new AdamW([new Parameter(tensor([1]))]).defaults.weightDecay).toBe(0.01);
    expect(new Adam([new Parameter(tensor([1]))]).defaults.weightDecay).toBe(0);
    expectAllClose(run((ps) => new AdamW(ps, { lr: 0.05 }), 8), referenceAdam({ ...adamDefaults, lr: 0.05, weightDecay: 0.01 }, true, 8), 1e-14, 1e-12);
    expectAllClose(
      run((ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.3, amsgrad: true }), 8),
      referenceAdam({ ...adamDefaults, lr: 0.1, weightDecay: 0.3, amsgrad: true }, true, 8),
      1e-14,
      1e-12,
    );
  });
  it('subclasses of AdamW keep decoupled decay', () => {
    class MyAdamW extends AdamW {}
    const mine = run((ps) => new MyAdamW(ps, { lr: 0.05 }), 3);
    expect(mine).toEqual(run((ps) => new AdamW(ps, { lr: 0.05 }), 3));
  });
  it('differs from Adam with the same weightDecay', () => {
    const a = run((ps) => new Adam(ps, { lr: 0.05, weightDecay: 0.5 }), 4);
    const w = run((ps) => new AdamW(ps, { lr: 0.05, weightDecay: 0.5 }), 4);
    expect(a).not.toEqual(w);
  });
  it('decays parameters even with a zero gradient', () => {
    const p = new Parameter(tensor([2], { dtype: 'float64' }));
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5 });
    p.mul(0).sum().backward();
    opt.step();
    expect(p.item()).toBeCloseTo(2 * (1 - 0.05), 15);
  });
});

describe('Adam on float32 parameters', () => {
  it('keeps float32 and tracks the float64 reference closely', () => {
    const p = new Parameter(tensor(P0));
    const opt = new Adam([p], { lr: 0.05 });
    for (let t = 0; t < 8; t++) {
      opt.zeroGrad();
      p.square().mul(tensor(C)).add(p.mul(tensor(D))).sum().backward();
      opt.step();
    }
    expect(p.dtype).toBe('float32');
    expect(opt.state.get(p)!.expAvg.dtype).toBe('float32');
    expectAllClose(Array.from(p.dataSync()), referenceAdam({ ...adamDefaults, lr: 0.05 }, false, 8), 1e-5, 1e-5);
  });
});

describe('Adam options', () => {
  it('validates lr, betas, eps, weightDecay with clear errors', () => {
    const ps = [new Parameter(tensor([1]))];
    expect(() => new Adam(ps, { lr: -1 })).toThrow(new ValueError("Adam: option 'lr' expected a non-negative finite number, got -1"));
    expect(() => new Adam(ps, { betas: [0.9, 1] })).toThrow("Adam: option 'betas' expected two numbers in [0, 1), got [0.9, 1]");
    expect(() => new Adam(ps, { betas: [-0.1, 0.9] })).toThrow(/betas/);
    expect(() => new Adam(ps, { eps: -1e-8 })).toThrow(/Adam: option 'eps'/);
    expect(() => new AdamW(ps, { weightDecay: -0.01 })).toThrow(/AdamW: option 'weightDecay'/);
  });
  it('counts steps per parameter and keeps state in a Map', () => {
    const a = new Parameter(tensor([1], { dtype: 'float64' }));
    const b = new Parameter(tensor([1], { dtype: 'float64' }));
    const opt = new Adam([a, b]);
    a.sum().backward();
    opt.step();
    a.sum().add(b.sum()).backward();
    opt.step();
    expect(opt.state.get(a)!.step).toBe(2);
    expect(opt.state.get(b)!.step).toBe(1);
  });
});
