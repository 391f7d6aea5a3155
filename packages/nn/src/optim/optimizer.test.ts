import { describe, expect, it } from 'vitest';
import { DTypeError, Tensor, ValueError, manualSeed, tensor } from '@tsgrad/tensor';
import { Adam, Linear, Module, Parameter, SGD } from '../index.js';
import { expectAllClose } from '../modules/test-helpers.js';

class Gamma extends Module {
  readonly gamma = new Parameter(tensor(2, { dtype: 'float64' }));
  forward(x: Tensor): Tensor {
    return x.mul(this.gamma);
  }
}

describe('parameter groups', () => {
  it('each group uses its own lr; unspecified options come from the defaults', () => {
    const model = new Linear(2, 1, { dtype: 'float64' });
    const loss = new Gamma();
    const opt = new SGD([{ params: model.parameters() }, { params: loss.parameters(), lr: 0.5 }], { lr: 0.01, momentum: 0.9 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.01, 0.5]);
    expect(opt.paramGroups[1]!.momentum).toBe(0.9);
    const w0 = Array.from(model.weight.dataSync());
    // d/dγ (γ · Σ w) = Σ w;  d/dw = γ
    loss.forward(model.weight.sum()).backward();
    opt.step();
    expectAllClose(Array.from(model.weight.dataSync()), w0.map((w) => w - 0.01 * 2), 1e-15);
    expect(loss.gamma.item()).toBeCloseTo(2 - 0.5 * (w0[0]! + w0[1]!), 14);
    expect(model.bias!.grad).toBeNull();
  });

  it("Adam with the issue's example: model params at the default lr, a loss's gamma at 1e-2", () => {
    manualSeed(17);
    const model = new Linear(3, 2, { dtype: 'float64' });
    const dfl = new Gamma();
    const opt = new Adam([{ params: model.parameters() }, { params: dfl.parameters(), lr: 1e-2 }], { lr: 1e-3 });
    const w0 = Array.from(model.weight.dataSync());
    dfl.forward(model.forward(tensor([[1, 2, 3]], { dtype: 'float64' })).sum()).backward();
    const gGamma = dfl.gamma.grad!.item();
    const gW = Array.from(model.weight.grad!.dataSync());
    opt.step();
    // Adam's first step moves each coordinate by −lr·sign(grad) (up to eps).
    expect(dfl.gamma.item()).toBeCloseTo(2 - 1e-2 * Math.sign(gGamma), 6);
    const w1 = Array.from(model.weight.dataSync());
    w1.forEach((w, i) => expect(w).toBeCloseTo(w0[i]! - 1e-3 * Math.sign(gW[i]!), 8));
  });

  it('lr can be changed between steps (schedules) and is re-validated', () => {
    const p = new Parameter(tensor([1], { dtype: 'float64' }));
    const opt = new SGD([p], { lr: 0.1 });
    opt.paramGroups[0]!.lr = 0.5;
    p.sum().backward();
    opt.step();
    expect(p.item()).toBeCloseTo(0.5, 15);
    opt.paramGroups[0]!.lr = -1;
    expect(() => opt.step()).toThrow("SGD: parameter group 0: option 'lr' expected a non-negative finite number, got -1");
    expect(p.item()).toBeCloseTo(0.5, 15);
  });

  it('addParamGroup adds tensors later, with defaults', () => {
    const a = new Parameter(tensor([1]));
    const b = tensor([1], { requiresGrad: true });
    const opt = new Adam([a], { lr: 0.1 });
    opt.addParamGroup({ params: [b], betas: [0.5, 0.5] });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.1, betas: [0.5, 0.5], eps: 1e-8 });
    expect(opt.parameters()).toEqual([a, b]);
  });

  it('rejects bad parameter lists with clear errors', () => {
    const p = new Parameter(tensor([1]));
    expect(() => new SGD([], { lr: 0.1 })).toThrow('SGD: got an empty parameter list');
    expect(() => new SGD([{ params: [p] }, { params: [p] }])).toThrow(/parameter group 1: some parameters appear in more than one parameter group/);
    expect(() => new SGD([{ params: [p], learningRate: 0.1 } as never])).toThrow(/unknown option 'learningRate'/);
    expect(() => new SGD([p, { params: [p] }] as never)).toThrow(/not a mix/);
    expect(() => new SGD([tensor([1], { requiresGrad: true }).mul(2)])).toThrow(/not a leaf/);
    expect(() => new SGD([tensor([1], { dtype: 'int32' })])).toThrow(DTypeError);
    expect(() => new SGD(null as never)).toThrow(ValueError);
  });

  it('drops repeats inside one group, so a tensor is never updated twice', () => {
    const p = new Parameter(tensor([1], { dtype: 'float64' }));
    const opt = new SGD([p, p], { lr: 1 });
    expect(opt.paramGroups[0]!.params).toHaveLength(1);
    p.sum().backward();
    opt.step();
    expect(p.item()).toBe(0);
  });
});

describe('step and zeroGrad', () => {
  it('step(closure) evaluates the closure with grad enabled and returns its loss', () => {
    const p = new Parameter(tensor([3], { dtype: 'float64' }));
    const opt = new SGD([p], { lr: 0.25 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.square().sum();
      l.backward();
      return l;
    });
    expect(loss!.item()).toBe(9);
    expect(p.item()).toBeCloseTo(3 - 0.25 * 6, 15);
  });

  it('zeroGrad sets .grad to null on every group', () => {
    const a = new Parameter(tensor([1]));
    const b = new Parameter(tensor([1]));
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 1 }]);
    a.add(b).sum().backward();
    opt.zeroGrad();
    expect([a.grad, b.grad]).toEqual([null, null]);
  });

  it('step records nothing in the graph', () => {
    const p = new Parameter(tensor([1, 2]));
    const opt = new Adam([p]);
    p.square().sum().backward();
    opt.step();
    expect(p.gradFn).toBeNull();
    expect(opt.state.get(p)!.expAvg.requiresGrad).toBe(false);
  });
});

describe('an optimiser step between two backward passes of one graph', () => {
  it('throws when the second pass needs a parameter the step overwrote (as in PyTorch), before any gradient changes', () => {
    for (const Opt of [SGD, Adam]) {
      const scale = new Gamma();
      const w = new Parameter(tensor([0.5, -1, 2], { dtype: 'float64' }));
      const opt = new Opt([...scale.parameters(), w], { lr: 0.1 });
      // ∂/∂w of Σ γ·tanh(w) reads γ: the step changes it.
      const loss = scale.forward(w.tanh()).sum();
      loss.backward(undefined, { retainGraph: true });
      opt.step();
      const before = [scale.gamma.grad!.item(), w.grad!.toArray()];
      expect(() => loss.backward()).toThrow(/backward: a tensor the gradient needs was modified in place after it was used: input 1 of 'mul'/);
      expect([scale.gamma.grad!.item(), w.grad!.toArray()]).toEqual(before);
      // A fresh forward after the step is the normal loop.
      opt.zeroGrad();
      scale.forward(w.tanh()).sum().backward();
      expect(w.grad).not.toBeNull();
    }
  });

  it("Linear reads its weight through weight.T: the step writes through that view too, so the second pass throws (as in PyTorch)", () => {
    manualSeed(3);
    const l1 = new Linear(3, 4, { dtype: 'float64' });
    const l2 = new Linear(4, 2, { dtype: 'float64' });
    const params = [...l1.parameters(), ...l2.parameters()];
    const x = tensor([[1, 2, 3], [-1, 0.5, 2]], { dtype: 'float64' });
    const loss = l2.forward(l1.forward(x).tanh()).square().sum();
    const opt = new SGD(params, { lr: 0.1 });
    loss.backward(undefined, { retainGraph: true });
    const first = params.map((p) => p.grad!.toArray());
    opt.step();
    expect(() => loss.backward()).toThrow(/input 1 of 'matmul' \(float64, shape \[4, 2\]\)/);
    expect(params.map((p) => p.grad!.toArray())).toEqual(first);
  });
});

describe('views of parameters follow optimiser steps', () => {
  it('a view made once before the loop (reshape, transpose, detach) reads the updated values every step', () => {
    manualSeed(5);
    const layer = new Linear(3, 2, { dtype: 'float64' });
    const flat = layer.weight.reshape([-1]);
    const wt = layer.weight.T;
    const opt = new Adam(layer.parameters(), { lr: 0.1 });
    const x = tensor([[1, -2, 0.5]], { dtype: 'float64' });
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      layer.forward(x).square().sum().backward();
      opt.step();
      expect(flat.toArray()).toEqual(layer.weight.reshape([-1]).toArray());
      expect(wt.toArray()).toEqual(layer.weight.T.toArray());
    }
  });
});
