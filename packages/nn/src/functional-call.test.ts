import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTypeError, ShapeError, Tensor, ValueError, tensor, zeros } from '@tsgrad/tensor';
import { gradcheck, mulberry32 } from '@tsgrad/testing';
import {
  BatchNorm1d, Conv1d, Conv2d, DualFocalLoss, Dropout, Embedding, Flatten, GELU, Identity, LayerNorm, LeakyReLU, Linear, Module, ModuleList,
  Parameter, ReLU, Sequential, Sigmoid, Softmax, SoftmaxFocalLoss, Tanh, functionalCall,
} from './index.js';
import { data64, expectAllClose } from './modules/test-helpers.js';

const f64 = { dtype: 'float64' as const };

/** A float64 tensor of the given shape with values from mulberry32(seed), in [-1, 1). */
function rand64(shape: number[], seed: number, requiresGrad = false): Tensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, () => 2 * next() - 1), { dtype: 'float64', shape, requiresGrad });
}

/** Fresh random values for every state entry, keyed by name. */
function randomState(m: Module, seed: number, requiresGrad = false): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  Object.entries(m.stateDict()).forEach(([k, t], i) => (out[k] = rand64([...t.shape], seed * 101 + i, requiresGrad)));
  return out;
}

const mlp = () => new Sequential(new Linear(3, 5, f64), new LayerNorm(5, f64), new Tanh(), new Linear(5, 2, f64));

/** Every observable piece of a module's state: parameter objects, values, grads, training flags. */
function snapshot(m: Module) {
  return {
    params: m.namedParameters().map(([k, p]) => [k, p, Array.from(p.dataSync()), p.grad] as const),
    training: m.modules().map((c) => c.training),
  };
}

function expectUnchanged(m: Module, before: ReturnType<typeof snapshot>): void {
  const after = snapshot(m);
  expect(after.training).toEqual(before.training);
  expect(after.params.length).toBe(before.params.length);
  after.params.forEach(([k, p, v, g], i) => {
    const [k0, p0, v0, g0] = before.params[i]!;
    expect(k).toBe(k0);
    expect(p).toBe(p0); // the same Parameter object
    expect(v).toEqual(v0);
    expect(g).toBe(g0); // the same .grad object (or null)
  });
}

describe('functionalCall: equals forward with those parameters loaded', () => {
  it('Linear, all parameters', () => {
    const lin = new Linear(4, 3, f64);
    const x = rand64([6, 4], 1);
    const params = randomState(lin, 2);
    const loaded = new Linear(4, 3, f64);
    loaded.loadStateDict(params);
    expectAllClose(data64(functionalCall(lin, params, x)), data64(loaded.forward(x)), 0);
  });

  it('an MLP with LayerNorm, some parameters (the rest stay the module\'s own)', () => {
    const model = mlp();
    const x = rand64([7, 3], 3);
    const subset = { '0.weight': rand64([5, 3], 4), '1.bias': rand64([5], 5), '3.weight': rand64([2, 5], 6) };
    const loaded = mlp();
    loaded.loadStateDict({ ...model.stateDict(), ...subset });
    expectAllClose(data64(functionalCall(model, subset, x)), data64(loaded.forward(x)), 0);
  });

  it('property: any Linear sizes and values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat(), (inF, outF, n, bias, seed) => {
        const lin = new Linear(inF, outF, { dtype: 'float64', bias });
        const params = randomState(lin, seed);
        const x = rand64([n, inF], seed + 7);
        const loaded = new Linear(inF, outF, { dtype: 'float64', bias });
        loaded.loadStateDict(params);
        expectAllClose(data64(functionalCall(lin, params, x)), data64(loaded.forward(x)), 0);
      }),
      { numRuns: 25, seed: 12 },
    );
  });

  it('every module in modules/: parameter-free ones with {}, Dropout in eval, Flatten, LayerNorm without bias', () => {
    const x = rand64([2, 3, 2], 9);
    for (const m of [new ReLU(), new Sigmoid(), new Tanh(), new GELU(), new Flatten(), new Dropout(0.3).eval()]) {
      expectAllClose(data64(functionalCall(m, {}, x)), data64(m.forward(x)), 0);
    }
    const ln = new LayerNorm([3, 2], { dtype: 'float64', bias: false });
    const w = rand64([3, 2], 10);
    const ref = new LayerNorm([3, 2], { dtype: 'float64', bias: false });
    ref.loadStateDict({ weight: w });
    expectAllClose(data64(functionalCall(ln, { weight: w }, x)), data64(ref.forward(x)), 0);
  });

  it('the other layers: Conv1d, Conv2d, Embedding, BatchNorm1d (parameters and running-statistics buffers), ModuleList', () => {
    const cases: [() => Module, Tensor][] = [
      [() => new Conv1d(2, 3, 2, { dtype: 'float64', padding: 1 }), rand64([2, 2, 5], 80)],
      [() => new Conv2d(2, 2, [2, 2], { dtype: 'float64' }), rand64([1, 2, 3, 3], 81)],
      [() => new Embedding(5, 3, { dtype: 'float64' }), tensor([[0, 4], [2, 2]], { dtype: 'int32' })],
      [() => new BatchNorm1d(3, { dtype: 'float64' }).eval(), rand64([4, 3], 82)],
      [() => new Sequential(new Linear(3, 3, f64), new LeakyReLU(0.1), new Identity(), new Softmax(1)), rand64([2, 3], 83)],
    ];
    cases.forEach(([make, x], i) => {
      const m = make();
      const params = randomState(m, 90 + i);
      // BatchNorm's running variance must stay positive, and num_batches_tracked is an int32 buffer.
      for (const [k, t] of Object.entries(m.stateDict())) {
        if (k.endsWith('running_var')) params[k] = params[k]!.abs().add(0.5);
        if (t.dtype === 'int32') params[k] = tensor(3, { dtype: 'int32' });
      }
      const loaded = make();
      loaded.loadStateDict(params);
      const before = snapshot(m);
      expectAllClose(data64(functionalCall(m, params, x)), data64(loaded.forward(x)), 0);
      expectUnchanged(m, before);
    });
    // A ModuleList holds its children under '0', '1', …: replacing through the list reaches them.
    const list = new ModuleList([new Linear(2, 2, f64), new Linear(2, 1, f64)]);
    const user = new (class extends Module {
      blocks = list;
      forward(x: Tensor): Tensor {
        let h = x;
        for (const b of this.blocks) h = b.forward(h);
        return h;
      }
    })();
    const w = rand64([1, 2], 95);
    const x = rand64([3, 2], 96);
    const expected = list.at(0).forward(x).matmul(w.T).add((list.at(1) as Linear).bias!);
    expectAllClose(data64(functionalCall(user, { 'blocks.1.weight': w }, x)), data64(expected), 1e-15, 1e-14);
  });

  it('BatchNorm in training mode updates the running statistics you pass, not its own (as PyTorch)', () => {
    const bn = new BatchNorm1d(3, { dtype: 'float64' });
    const own = Array.from(bn.getBuffer('running_mean')!.dataSync());
    const mean = tensor([0, 0, 0], f64);
    functionalCall(bn, { running_mean: mean }, rand64([6, 3], 97).add(2));
    expect(Array.from(bn.getBuffer('running_mean')!.dataSync())).toEqual(own);
    expect(Array.from(mean.dataSync()).every((v) => v > 0.05)).toBe(true);
  });

  it('loss modules: a trainable γ is replaced through gammaTheta', () => {
    const logits = rand64([5, 4], 11);
    const y = tensor([0, 3, 1, 1, 2], { dtype: 'int32' });
    for (const make of [
      () => new DualFocalLoss({ gamma: { init: 2, min: 0, max: 5, dtype: 'float64' } }),
      () => new SoftmaxFocalLoss({ gamma: { init: 2, min: 0, max: 5, dtype: 'float64' } }),
    ]) {
      const loss = make();
      const theta = tensor(0.7, f64);
      const ref = make();
      ref.loadStateDict({ gammaTheta: theta });
      expect(functionalCall(loss, { gammaTheta: theta }, logits, y).item()).toBe(ref.forward(logits, y).item());
      expect(functionalCall(loss, { gammaTheta: theta }, logits, y).item()).not.toBe(loss.forward(logits, y).item());
      expect(loss.gamma).toBeCloseTo(2, 12);
    }
  });
});

/** A user subclass: nested children, an array of Parameters, a tied weight, a buffer. */
class Inner extends Module {
  scale = new Parameter(tensor([1.5], f64));
  forward(x: Tensor): Tensor {
    return x.mul(this.scale);
  }
}
class UserNet extends Module {
  readonly shared = new Parameter(rand64([3, 3], 20));
  readonly gains = [new Parameter(tensor([2], f64)), new Parameter(tensor([-1], f64))];
  readonly inner = new Inner();
  readonly blocks = [new Inner(), new Inner()];
  tied: Parameter;
  constructor() {
    super();
    this.tied = this.shared; // weight tying: one Parameter under two fields
    this.registerBuffer('offset', tensor([0.25, -0.5, 1], f64));
  }
  forward(x: Tensor): Tensor {
    let h = x.matmul(this.shared).mul(this.gains[0]!);
    h = this.inner.forward(h).add(this.getBuffer('offset')!);
    for (const b of this.blocks) h = b.forward(h);
    return h.matmul(this.tied.T).mul(this.gains[1]!);
  }
}

describe('functionalCall on user subclasses', () => {
  it('replaces nested, array, tied and buffer entries by stateDict() name', () => {
    const net = new UserNet();
    const names = Object.keys(net.stateDict());
    expect(names).toEqual(['shared', 'gains.0', 'gains.1', 'offset', 'inner.scale', 'blocks.0.scale', 'blocks.1.scale']);
    const x = rand64([4, 3], 21);
    const params = randomState(net, 22);
    const loaded = new UserNet();
    loaded.loadStateDict(params);
    const before = snapshot(net);
    expectAllClose(data64(functionalCall(net, params, x)), data64(loaded.forward(x)), 0);
    expectUnchanged(net, before);
    expect(net.tied).toBe(net.shared);
    expect(Array.from(net.getBuffer('offset')!.dataSync())).toEqual([0.25, -0.5, 1]);
  });

  it('a tied weight is replaced at every use', () => {
    const net = new UserNet();
    const x = rand64([2, 3], 23);
    const s = rand64([3, 3], 24);
    // Reference by hand: both uses of the tied weight see s.
    const ref = (() => {
      let h = x.matmul(s).mul(net.gains[0]!);
      h = h.mul(net.inner.scale).add(net.getBuffer('offset')!);
      for (const b of net.blocks) h = h.mul(b.scale);
      return h.matmul(s.T).mul(net.gains[1]!);
    })();
    expectAllClose(data64(functionalCall(net, { shared: s }, x)), data64(ref), 1e-15, 1e-14);
  });
});

describe('functionalCall leaves the module untouched', () => {
  it('parameters, their values and grads, and training flags, also when forward throws', () => {
    const model = mlp();
    model.eval();
    model.parameters().forEach((p, i) => (p.grad = rand64([...p.shape], 30 + i)));
    const before = snapshot(model);
    const params = randomState(model, 31, true);
    functionalCall(model, params, rand64([2, 3], 32)).sum().backward();
    expectUnchanged(model, before);
    // A wrong input shape throws inside Linear.forward, after the swap: still restored.
    expect(() => functionalCall(model, params, rand64([2, 4], 33))).toThrow(ShapeError);
    expectUnchanged(model, before);
    const boom = new (class extends Module {
      w = new Parameter(tensor([1], f64));
      forward(): Tensor {
        throw new Error('boom');
      }
    })();
    const w0 = boom.w;
    expect(() => functionalCall(boom, { w: tensor([3], f64) })).toThrow('boom');
    expect(boom.w).toBe(w0);
  });

  it('during the call parameters() and stateDict() list the module\'s own; nested calls on the same module nest', () => {
    const outerW = rand64([3, 3], 40);
    const innerW = rand64([3, 3], 41);
    const seen: string[] = [];
    class Reentrant extends Module {
      w = new Parameter(rand64([3, 3], 42));
      depth = 0;
      forward(x: Tensor): Tensor {
        expect(this.parameters()).toEqual([original]);
        expect(Object.keys(this.stateDict())).toEqual(['w']);
        seen.push(this.w === outerW ? 'outer' : this.w === innerW ? 'inner' : 'own');
        if (this.depth++ === 0) {
          const nested = functionalCall(this as Reentrant, { w: innerW }, x);
          seen.push(this.w === outerW ? 'outer' : 'other');
          return nested.add(x.matmul(this.w));
        }
        return x.matmul(this.w);
      }
    }
    const m = new Reentrant();
    const original = m.w;
    const x = rand64([2, 3], 43);
    const out = functionalCall(m, { w: outerW }, x);
    expect(seen).toEqual(['outer', 'inner', 'outer']);
    expect(m.w).toBe(original);
    expectAllClose(data64(out), data64(x.matmul(innerW).add(x.matmul(outerW))), 1e-15, 1e-14);
  });
});

describe('functionalCall gradients', () => {
  it('flow to the substituted tensors (gradcheck in float64), never to the module\'s parameters', () => {
    const model = mlp();
    const x = rand64([4, 3], 50);
    const w0 = rand64([5, 3], 51, true);
    const lnw = rand64([5], 52, true);
    const b3 = rand64([2], 53, true);
    expect(gradcheck((a, b, c) => functionalCall(model, { '0.weight': a, '1.weight': b, '3.bias': c }, x), [w0, lnw, b3])).toBe(true);
    functionalCall(model, { '0.weight': w0 }, x).square().sum().backward();
    expect(w0.grad).not.toBeNull();
    // The replaced Parameter gets nothing; the ones left in place are used, so they do.
    const own = new Map(model.namedParameters());
    expect(own.get('0.weight')!.grad).toBeNull();
    expect(own.get('0.bias')!.grad).not.toBeNull();
  });

  it('flow through a graph tensor passed in (a look-ahead w − η·g) back to its inputs', () => {
    const lin = new Linear(3, 2, f64);
    const x = rand64([4, 3], 60);
    const g = rand64([2, 3], 61);
    const eta = tensor(0.3, { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((e) => functionalCall(lin, { weight: lin.weight.sub(g.mul(e)) }, x), [eta])).toBe(true);
  });
});

describe('functionalCall errors (before anything changes)', () => {
  it('names the argument and the offending entries', () => {
    const model = mlp();
    const before = snapshot(model);
    const x = rand64([2, 3], 70);
    expect(() => functionalCall(model, { '0.weight': rand64([5, 3], 71), '9.weight': zeros([1]), bogus: zeros([1]) }, x)).toThrow(
      /functionalCall: argument 'params' has names that are not in the module's stateDict\(\): \[9\.weight, bogus\]; expected some of \[0\.weight, 0\.bias, 1\.weight, 1\.bias, 3\.weight, 3\.bias\]/,
    );
    expect(() => functionalCall(model, { '0.bias': rand64([4], 72) }, x)).toThrow(ShapeError);
    expect(() => functionalCall(model, { '0.bias': rand64([4], 72) }, x)).toThrow("functionalCall: argument 'params' entry '0.bias' expected shape [5], got [4]");
    expect(() => functionalCall(model, { '0.bias': [1, 2, 3, 4, 5] as unknown as Tensor }, x)).toThrow(ValueError);
    expect(() => functionalCall(model, { '0.bias': tensor([1, 2, 3, 4, 5], { dtype: 'int32' }) }, x)).toThrow(DTypeError);
    expect(() => functionalCall(model, null as unknown as Record<string, Tensor>, x)).toThrow(/argument 'params'/);
    expect(() => functionalCall({} as unknown as Module, {}, x)).toThrow(/functionalCall: argument 'module' expected a Module/);
    expectUnchanged(model, before);
  });

  it('refuses a read-only field before swapping any other', () => {
    class Frozen extends Module {
      a = new Parameter(tensor([1], f64));
      b!: Parameter;
      constructor() {
        super();
        Object.defineProperty(this, 'b', { value: new Parameter(tensor([2], f64)), enumerable: true, writable: false });
      }
      forward(x: Tensor): Tensor {
        return x.mul(this.a).mul(this.b);
      }
    }
    const m = new Frozen();
    const a = m.a;
    expect(() => functionalCall(m, { a: tensor([5], f64), b: tensor([6], f64) }, tensor([1], f64))).toThrow(/cannot substitute field 'b' of Frozen/);
    expect(m.a).toBe(a);
  });
});
