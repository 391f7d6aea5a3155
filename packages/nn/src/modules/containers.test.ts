import { describe, expect, it } from 'vitest';
import { ValueError, tensor } from '@tsgrad/tensor';
import { gradcheck } from '@tsgrad/testing';
import { inspect } from 'node:util';
import {
  BatchNorm2d, Dropout, Embedding, Flatten, GELU, Identity, LayerNorm, LeakyReLU, Linear, ModuleDict, ModuleList, ReLU, Sequential, Softmax, leakyRelu,
} from '../index.js';
import { data64, expectAllClose } from './test-helpers.js';

describe('ModuleList', () => {
  it('registers its modules as 0, 1, …: parameters and state dict as PyTorch', () => {
    const list = new ModuleList([new Linear(2, 3), new ReLU(), new Linear(3, 1)]);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    list.append(new Linear(1, 1)).insert(0, new Identity()).extend([new ReLU()]);
    expect(list.length).toBe(6);
    expect(list.at(0)).toBeInstanceOf(Identity);
    expect(list.at(-1)).toBeInstanceOf(ReLU);
    expect(Object.keys(list.stateDict())).toEqual(['1.weight', '1.bias', '3.weight', '3.bias', '4.weight', '4.bias']);
    expect([...list].length).toBe(6);
    const replaced = new Linear(2, 3);
    list.set(1, replaced);
    expect(list.parameters()[0]).toBe(replaced.weight);
  });

  it('as a field of a user module gives names field.i', () => {
    class Net extends Linear {
      readonly blocks = new ModuleList([new Linear(1, 1)]);
    }
    expect(Object.keys(new Net(1, 1).stateDict())).toEqual(['weight', 'bias', 'blocks.0.weight', 'blocks.0.bias']);
  });

  it('rejects non-modules, bad indices and forward', () => {
    expect(() => new ModuleList([new ReLU(), 3 as never])).toThrow(/ModuleList: argument 'modules\[1\]' expected a Module/);
    expect(() => new ModuleList().at(0)).toThrow(ValueError);
    expect(() => new ModuleList().insert(2, new ReLU())).toThrow(ValueError);
    expect(() => new ModuleList([new ReLU()]).forward(tensor([1]))).toThrow(/forward is not defined/);
  });
});

describe('ModuleDict', () => {
  it('registers modules by key in insertion order: key.weight', () => {
    const d = new ModuleDict({ encoder: new Linear(2, 2), act: new ReLU() });
    d.set('head', new Linear(2, 1));
    expect(d.keys()).toEqual(['encoder', 'act', 'head']);
    expect(Object.keys(d.stateDict())).toEqual(['encoder.weight', 'encoder.bias', 'head.weight', 'head.bias']);
    expect(d.get('act')).toBeInstanceOf(ReLU);
    expect(d.has('head')).toBe(true);
    d.pop('encoder');
    expect(d.size).toBe(2);
    d.update([['z', new Identity()]]);
    expect(d.keys()).toEqual(['act', 'head', 'z']);
  });

  it('rejects bad keys, unknown keys and forward', () => {
    expect(() => new ModuleDict({ 'a.b': new ReLU() })).toThrow(/without '.'/);
    expect(() => new ModuleDict({ a: 1 as never })).toThrow(ValueError);
    expect(() => new ModuleDict().get('x')).toThrow(/'x' not found/);
    expect(() => new ModuleDict().forward(tensor([1]))).toThrow(/forward is not defined/);
  });
});

describe('Identity, LeakyReLU, Softmax', () => {
  it('Identity returns the same tensor', () => {
    const x = tensor([1, 2]);
    expect(new Identity().forward(x)).toBe(x);
  });

  it('LeakyReLU: x for x > 0, slope·x otherwise (default 0.01); derivative slope at 0 as PyTorch', () => {
    const xs = [-3, -0.5, 0, 0.25, 4];
    const x = tensor(xs, { dtype: 'float64', requiresGrad: true });
    const y = new LeakyReLU().forward(x);
    expectAllClose(data64(y), xs.map((v) => (v > 0 ? v : 0.01 * v)), 0);
    y.sum().backward();
    expectAllClose(data64(x.grad!), [0.01, 0.01, 0.01, 1, 1], 0);
    expectAllClose(data64(leakyRelu(tensor(xs, { dtype: 'float64' }), 0.2)), xs.map((v) => (v > 0 ? v : 0.2 * v)), 0);
    expect(new LeakyReLU(0.3).negativeSlope).toBe(0.3);
    gradcheck((a) => leakyRelu(a!, -0.7), [tensor([-2, -0.1, 0.3, 1.5], { dtype: 'float64', requiresGrad: true })]);
    expect(() => new LeakyReLU(NaN)).toThrow(/LeakyReLU: argument 'negativeSlope'/);
  });

  it('Softmax(dim) sums to 1 along dim and matches exp(x)/Σexp(x)', () => {
    const xs = [1, 2, 3, -1, 0, 4];
    const y = data64(new Softmax(0).forward(tensor(xs, { dtype: 'float64', shape: [2, 3] })));
    for (let j = 0; j < 3; j++) {
      const z = Math.exp(xs[j]!) + Math.exp(xs[3 + j]!);
      expectAllClose([y[j]!, y[3 + j]!], [Math.exp(xs[j]!) / z, Math.exp(xs[3 + j]!) / z], 1e-15, 1e-14);
    }
    expect(() => new Softmax(2).forward(tensor([[1, 2]]))).toThrow(/Softmax: dim 2 out of range/);
    expect(() => new Softmax(0.5)).toThrow(ValueError);
  });
});

describe('printing modules (PyTorch’s repr, extraRepr)', () => {
  it('lists the tree with each module’s settings', () => {
    const model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10, { bias: false }), new Softmax(1));
    expect(String(model)).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=784, outFeatures=256, bias=true)',
        '  (1): ReLU()',
        '  (2): Linear(inFeatures=256, outFeatures=10, bias=false)',
        '  (3): Softmax(dim=1)',
        ')',
      ].join('\n'),
    );
  });

  it('nests containers with indentation and prints fields by name', () => {
    const d = new ModuleDict({ body: new Sequential(new LeakyReLU(0.2), new Identity()), head: new ModuleList([new ReLU()]) });
    expect(d.toString()).toBe(
      [
        'ModuleDict(',
        '  (body): Sequential(',
        '    (0): LeakyReLU(negativeSlope=0.2)',
        '    (1): Identity()',
        '  )',
        '  (head): ModuleList(',
        '    (0): ReLU()',
        '  )',
        ')',
      ].join('\n'),
    );
    const all = new Sequential(new LayerNorm([4, 2]), new Dropout(0.25), new Flatten(), new GELU({ approximate: 'tanh' }), new BatchNorm2d(8), new Embedding(10, 3, { paddingIdx: 0 }));
    expect(String(all)).toBe(
      [
        'Sequential(',
        '  (0): LayerNorm(normalizedShape=[4, 2], eps=0.00001, elementwiseAffine=true)',
        '  (1): Dropout(p=0.25)',
        '  (2): Flatten(startDim=1, endDim=-1)',
        "  (3): GELU(approximate='tanh')",
        '  (4): BatchNorm2d(numFeatures=8, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)',
        '  (5): Embedding(numEmbeddings=10, embeddingDim=3, paddingIdx=0)',
        ')',
      ].join('\n'),
    );
    expect(inspect(all)).toBe(String(all));
    class Net extends Sequential {}
    expect(String(new Net())).toBe('Net()');
  });
});
