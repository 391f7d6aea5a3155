import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, tensor } from '@tsgrad/tensor';
import { Linear, Parameter, SGD, type SGDOptions } from '../index.js';
import { expectAllClose } from '../modules/test-helpers.js';

/*
 * Loss Σ c·p² + d·p, so ∇ = 2c·p + d depends on p and every step matters. The
 * reference is torch.optim.SGD's documented algorithm, written out in plain JS.
 */
const C = [0.5, 1.5, -0.25, 2];
const D = [1, -2, 0.5, 0.3];
const P0 = [0.3, -1.2, 2.0, 0.7];

function lossOf(p: Tensor): Tensor {
  const c = tensor(C, { dtype: 'float64' });
  const d = tensor(D, { dtype: 'float64' });
  return p.square().mul(c).add(p.mul(d)).sum();
}

function referenceSGD(o: SGDOptions, steps: number): number[] {
  const p = [...P0];
  let buf: number[] | null = null;
  for (let t = 0; t < steps; t++) {
    let g = p.map((v, i) => 2 * C[i]! * v + D[i]!);
    if (o.maximize) g = g.map((v) => -v);
    if (o.weightDecay !== 0) g = g.map((v, i) => v + o.weightDecay * p[i]!);
    if (o.momentum !== 0) {
      buf = buf === null ? [...g] : buf.map((b, i) => o.momentum * b + (1 - o.dampening) * g[i]!);
      g = o.nesterov ? g.map((v, i) => v + o.momentum * buf![i]!) : [...buf];
    }
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - o.lr * g[i]!;
  }
  return p;
}

function run(opts: Partial<SGDOptions>, steps: number): number[] {
  const p = new Parameter(tensor(P0, { dtype: 'float64' }));
  const opt = new SGD([p], opts);
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    lossOf(p).backward();
    opt.step();
  }
  return Array.from(p.dataSync());
}

const base: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false };

describe('SGD matches PyTorch update rules over several steps (float64)', () => {
  const cases: [string, Partial<SGDOptions>][] = [
    ['plain', { lr: 0.1 }],
    ['momentum (first buffer = grad)', { lr: 0.05, momentum: 0.9 }],
    ['momentum + dampening', { lr: 0.05, momentum: 0.8, dampening: 0.3 }],
    ['nesterov', { lr: 0.05, momentum: 0.9, nesterov: true }],
    ['weight decay', { lr: 0.1, weightDecay: 0.1 }],
    ['weight decay + nesterov', { lr: 0.02, momentum: 0.7, nesterov: true, weightDecay: 0.05 }],
    ['maximize', { lr: 0.01, momentum: 0.5, maximize: true }],
  ];
  for (const [name, opts] of cases) {
    it(name, () => {
      expectAllClose(run(opts, 6), referenceSGD({ ...base, ...opts }, 6), 1e-14, 1e-13);
    });
  }

  it('first momentum step equals plain SGD (buffer initialised to the gradient)', () => {
    expectAllClose(run({ lr: 0.1, momentum: 0.9, dampening: 0.5 }, 1), run({ lr: 0.1 }, 1), 0);
  });

  it('default lr is 1e-3', () => {
    expect(new SGD([new Parameter(tensor([1]))]).defaults.lr).toBe(1e-3);
  });
});

describe('SGD bookkeeping', () => {
  it('skips parameters whose grad is null (no state, no change)', () => {
    const a = new Parameter(tensor([1, 2], { dtype: 'float64' }));
    const b = new Parameter(tensor([3], { dtype: 'float64' }));
    const opt = new SGD([a, b], { lr: 0.5, momentum: 0.9 });
    a.sum().backward();
    opt.step();
    expect(Array.from(a.dataSync())).toEqual([0.5, 1.5]);
    expect(Array.from(b.dataSync())).toEqual([3]);
    expect(opt.state.has(a)).toBe(true);
    expect(opt.state.has(b)).toBe(false);
  });

  it('updates in place: the module keeps the same Parameter objects, which stay leaves', () => {
    const lin = new Linear(2, 1, { dtype: 'float64' });
    const w = lin.weight;
    const before = Array.from(w.dataSync());
    const opt = new SGD(lin.parameters(), { lr: 1 });
    lin.forward(tensor([[1, 2]], { dtype: 'float64' })).sum().backward();
    opt.step();
    expect(lin.weight).toBe(w);
    expect(w.isLeaf && w.requiresGrad).toBe(true);
    expectAllClose(Array.from(w.dataSync()), [before[0]! - 1, before[1]! - 2], 1e-15);
    opt.zeroGrad();
    expect(w.grad).toBeNull();
  });

  it('the momentum buffer does not alias the gradient', () => {
    const p = new Parameter(tensor([1], { dtype: 'float64' }));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.mul(2).sum().backward();
    opt.step();
    expect(opt.state.get(p)!.momentumBuffer).not.toBe(p.grad);
    expect(opt.state.get(p)!.momentumBuffer!.storage).not.toBe(p.grad!.storage);
  });

  it('validates options with clear errors', () => {
    const ps = [new Parameter(tensor([1]))];
    expect(() => new SGD(ps, { lr: -0.1 })).toThrow(new ValueError("SGD: option 'lr' expected a non-negative finite number, got -0.1"));
    expect(() => new SGD(ps, { momentum: -1 })).toThrow(/SGD: option 'momentum'/);
    expect(() => new SGD(ps, { weightDecay: -1 })).toThrow(/SGD: option 'weightDecay'/);
    expect(() => new SGD(ps, { nesterov: true })).toThrow(
      'SGD: nesterov momentum requires momentum > 0 and dampening = 0, got momentum=0, dampening=0',
    );
    expect(() => new SGD(ps, { nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/nesterov/);
    expect(() => new SGD(ps, { lr: Number.NaN })).toThrow(ValueError);
    expect(() => new SGD([{ params: ps, lr: -1 }], { lr: 0.1 })).toThrow("SGD: parameter group 0: option 'lr' expected a non-negative finite number, got -1");
  });
});
