import { describe, expect, it } from 'vitest';
import {
  Tensor, tensor, grad, noGrad, enableGrad, isGradEnabled, AutogradError, ShapeError, mul, add, exp,
} from './index.js';

/*
 * The autograd engine itself: accumulation, retainGrad, detach, noGrad, grad() options,
 * higher-order gradients, non-scalar backward, long chains and graph freeing. (Per-op
 * gradient correctness lives in the gradcheck tests.)
 */

const f64 = (data: number[], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });
const values = (t: Tensor | null) => {
  if (!t) throw new Error('expected a gradient, got null');
  return Array.from(t.dataSync());
};

describe('.grad accumulation', () => {
  it('accumulates across two backward calls when the graph is retained', () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(x).sum(); // dy/dx = 2x
    y.backward(undefined, { retainGraph: true });
    expect(values(x.grad)).toEqual([2, 4, 6]);
    y.backward();
    expect(values(x.grad)).toEqual([4, 8, 12]);
  });

  it('accumulates across two separate graphs', () => {
    const x = f64([1, 2]);
    x.mul(3).sum().backward();
    x.exp().sum().backward();
    expect(values(x.grad)).toEqual([3 + Math.exp(1), 3 + Math.exp(2)]);
  });

  it('sums contributions of a reused leaf and a reused intermediate node', () => {
    const x = f64([0.5, -1]);
    x.add(x).mul(x).sum().backward(); // d/dx 2x² = 4x
    expect(values(x.grad)).toEqual([2, -4]);

    const z = f64([0.5, -1]);
    const h = z.exp(); // used three times
    h.mul(h).add(h).sum().backward(); // d/dz (e^{2z} + e^z) = 2e^{2z} + e^z
    expect(values(z.grad)).toEqual([0.5, -1].map((v) => 2 * Math.exp(v) * Math.exp(v) + Math.exp(v)));
  });

  it('broadcast inputs receive gradients summed back to their own shape', () => {
    const b = f64([1, 2, 3]); // [3] broadcast against [2, 3]
    const s = tensor([[[5]]], { dtype: 'float64', requiresGrad: true }); // [1,1,1] broadcast to [1,2,3]
    const x = tensor([[1, 1, 1], [2, 2, 2]], { dtype: 'float64' });
    x.mul(b).mul(s).sum().backward();
    expect(b.grad!.shape).toEqual([3]);
    expect(values(b.grad)).toEqual([15, 15, 15]);
    expect(s.grad!.shape).toEqual([1, 1, 1]);
    expect(values(s.grad)).toEqual([1 * 1 + 1 * 2 + 1 * 3 + 2 * 1 + 2 * 2 + 2 * 3]);
  });

  it('leaves that do not require grad, and non-leaves, get no .grad', () => {
    const x = f64([1, 2]);
    const c = f64([3, 4], false);
    const h = x.mul(c);
    h.sum().backward();
    expect(values(x.grad)).toEqual([3, 4]);
    expect(c.grad).toBeNull();
    expect(h.grad).toBeNull();
    expect(h.isLeaf).toBe(false);
  });
});

describe('retainGrad, detach, noGrad', () => {
  it('retainGrad() keeps the gradient of a non-leaf', () => {
    const x = f64([1, 2]);
    const h = x.mul(2).retainGrad();
    const y = h.square().sum(); // dy/dh = 2h
    y.backward();
    expect(values(h.grad)).toEqual([4, 8]);
    expect(values(x.grad)).toEqual([8, 16]);
  });

  it('a retained non-leaf gradient accumulates across backward calls like a leaf one', () => {
    const x = f64([1, 2]);
    const h = x.mul(2).retainGrad();
    const y = h.sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(values(h.grad)).toEqual([2, 2]);
    expect(values(x.grad)).toEqual([4, 4]);
  });

  it('detach() shares storage, leaves the graph, and blocks gradient flow', () => {
    const x = f64([1, 2]);
    const d = x.detach();
    expect(d.storage).toBe(x.storage);
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    x.mul(x.detach()).sum().backward(); // only the first factor is differentiated
    expect(values(x.grad)).toEqual([1, 2]);
    const h = x.exp();
    expect(h.detach().requiresGrad).toBe(false);
  });

  it('noGrad(fn) records nothing and restores the mode, even when fn throws', () => {
    const x = f64([1, 2]);
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(3).exp().sum();
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(() => y.backward()).toThrow(AutogradError);
    // enableGrad inside noGrad records again
    const z = noGrad(() => enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
  });
});

describe('grad()', () => {
  it('returns gradients without touching .grad', () => {
    const x = f64([1, 2, 3]);
    const [g] = grad(x.pow(2).sum(), x);
    expect(values(g!)).toEqual([2, 4, 6]);
    expect(x.grad).toBeNull();
  });

  it('gradOutputs weight a non-scalar output; several inputs at once', () => {
    const x = f64([1, 2, 3]);
    const w = f64([4, 5, 6]);
    const y = x.mul(w); // non-scalar
    const v = tensor([1, 10, 100], { dtype: 'float64' });
    const [gx, gw] = grad(y, [x, w], { gradOutputs: v, retainGraph: true });
    expect(values(gx!)).toEqual([4, 50, 600]);
    expect(values(gw!)).toEqual([1, 20, 300]);
    const [gx2] = grad([y], [x], { gradOutputs: [v] });
    expect(values(gx2!)).toEqual([4, 50, 600]);
  });

  it('allowUnused returns null for an input the output does not depend on; without it, an AutogradError', () => {
    const x = f64([1]);
    const unused = f64([2]);
    const y = x.mul(3).sum();
    expect(() => grad(y, [x, unused], { retainGraph: true })).toThrow(AutogradError);
    expect(() => grad(y, [x, unused], { retainGraph: true })).toThrow(/inputs\[1\].*allowUnused/);
    const [gx, gu] = grad(y, [x, unused], { allowUnused: true });
    expect(values(gx!)).toEqual([3]);
    expect(gu).toBeNull();
  });

  it('differentiates with respect to an intermediate (non-leaf) tensor', () => {
    const x = f64([1, -2]);
    const h = x.mul(3);
    const [gh, gx] = grad(h.square().sum(), [h, x]); // 2h and 2h·3
    expect(values(gh!)).toEqual([6, -12]);
    expect(values(gx!)).toEqual([18, -36]);
    expect(h.grad).toBeNull();
  });

  it('createGraph gives differentiable gradients: the second derivative of x³ is 6x', () => {
    for (const cube of [(x: Tensor) => x.pow(3), (x: Tensor) => x.mul(x).mul(x)]) {
      const x = f64([-2, 0.5, 3]);
      const [g] = grad(cube(x).sum(), x, { createGraph: true });
      expect(g!.requiresGrad).toBe(true);
      expect(values(g!)).toEqual([12, 0.75, 27]); // 3x²
      const [h] = grad(g!.sum(), x, { createGraph: true });
      expect(values(h!)).toEqual([-12, 3, 18]); // 6x
      const [t] = grad(h!.sum(), x);
      expect(values(t!)).toEqual([6, 6, 6]);
    }
  });

  it('backward(createGraph) leaves a differentiable .grad', () => {
    const x = f64([2]);
    x.pow(3).sum().backward(undefined, { createGraph: true });
    expect(x.grad!.requiresGrad).toBe(true);
    const [h] = grad(x.grad!.sum(), x);
    expect(values(h!)).toEqual([12]);
  });
});

describe('backward()', () => {
  it('backward(gradient) on a non-scalar output', () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(3);
    y.backward(tensor([1, 0.5, -1], { dtype: 'float64' }));
    expect(values(x.grad)).toEqual([3, 1.5, -3]);
    // a gradient of another dtype is converted
    const z = tensor([[1, 2]], { requiresGrad: true });
    z.mul(z).backward(tensor([[1, 1]], { dtype: 'float64' }));
    expect(z.grad!.dtype).toBe('float32');
    expect(values(z.grad)).toEqual([2, 4]);
  });

  it('.grad has the leaf dtype and shape', () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(x.grad!.shape).toEqual([2, 2]);
  });

  it('a 100,000-op chain back-propagates without a stack overflow', () => {
    const x = f64([1]);
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = y.add(1e-3);
    y = y.mul(2);
    y.sum().backward();
    expect(values(x.grad)).toEqual([2]);
    expect(y.item()).toBeCloseTo(2 * (1 + 100), 6);
  });

  it('the graph is freed after backward(): a second backward throws, and leaves .grad untouched', () => {
    const x = f64([1, 2]);
    const y = x.exp().mul(x).sum();
    y.backward();
    const first = values(x.grad);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/second time.*retainGraph/);
    expect(values(x.grad)).toEqual(first);
    // an intermediate that shares the freed graph fails too
    const x2 = f64([1]);
    const h = x2.exp();
    const y1 = h.mul(2).sum();
    y1.backward();
    expect(() => h.mul(3).sum().backward()).toThrow(AutogradError);
  });

  it('retainGraph keeps the graph for another pass (and grad() retains when asked)', () => {
    const x = f64([3]);
    const y = x.square().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(values(x.grad)).toEqual([18]);
    expect(() => y.backward()).toThrow(AutogradError);
    const z = x.mul(5).sum();
    grad(z, x, { retainGraph: true });
    expect(values(grad(z, x)[0]!)).toEqual([5]);
    expect(() => grad(z, x)).toThrow(AutogradError);
  });

  it('failing backward calls change nothing', () => {
    const x = f64([1, 2]);
    x.mul(2).sum().backward();
    const before = values(x.grad);
    const y = x.mul(x);
    expect(() => y.backward()).toThrow(AutogradError); // non-scalar without gradient
    expect(() => y.backward(tensor([1, 2, 3], { dtype: 'float64' }))).toThrow(ShapeError); // wrong gradient shape
    expect(values(x.grad)).toEqual(before);
    // the graph was not freed by the failed calls
    y.backward(tensor([1, 1], { dtype: 'float64' }));
    expect(values(x.grad)).toEqual([2 + 2, 2 + 4]);
  });

  it('module-level functions and methods build the same graph', () => {
    const x = f64([0.5]);
    add(mul(x, 2), exp(x)).sum().backward();
    expect(values(x.grad)).toEqual([2 + Math.exp(0.5)]);
  });
});
