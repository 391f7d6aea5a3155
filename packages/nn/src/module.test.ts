import { describe, expect, it } from 'vitest';
import { ShapeError, Tensor, TsgradError, ValueError, manualSeed, randn, tensor, zeros } from '@tsgrad/tensor';
import { Dropout, Linear, Module, Parameter, ReLU, Sequential } from './index.js';

class Block extends Module {
  readonly scale = new Parameter(tensor([2]));
  readonly fc = new Linear(3, 3);
  readonly act = new ReLU();
  readonly drop = new Dropout(0.5);
  forward(x: Tensor): Tensor {
    return this.drop.forward(this.act.forward(this.fc.forward(x))).mul(this.scale);
  }
}

class Net extends Module {
  readonly embed = new Parameter(zeros([4, 3]));
  readonly blocks = [new Block(), new Block()];
  readonly extras = [new Parameter(zeros([2])), new Parameter(zeros([1]))];
  readonly none: Module | null = null;
  readonly notAParam = zeros([3]);
  readonly head = new Linear(3, 2);
  forward(x: Tensor): Tensor {
    let h = x;
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(h);
  }
}

const names = (m: Module) => m.namedParameters().map(([k]) => k);

describe('Module discovery', () => {
  it('finds parameters in field order with dotted names (own first, then children)', () => {
    expect(names(new Net())).toEqual([
      'embed', 'extras.0', 'extras.1',
      'blocks.0.scale', 'blocks.0.fc.weight', 'blocks.0.fc.bias',
      'blocks.1.scale', 'blocks.1.fc.weight', 'blocks.1.fc.bias',
      'head.weight', 'head.bias',
    ]);
    const net = new Net();
    expect(net.parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
    expect(net.parameters()).toHaveLength(11);
    expect(net.namedParameters('model')[0]![0]).toBe('model.embed');
  });

  it('lists children and all modules with names', () => {
    const net = new Net();
    expect(net.namedChildren().map(([k]) => k)).toEqual(['blocks.0', 'blocks.1', 'head']);
    expect(net.children()).toHaveLength(3);
    expect(net.namedModules().map(([k]) => k)).toEqual([
      '', 'blocks.0', 'blocks.0.fc', 'blocks.0.act', 'blocks.0.drop',
      'blocks.1', 'blocks.1.fc', 'blocks.1.act', 'blocks.1.drop', 'head',
    ]);
    expect(net.modules()[0]).toBe(net);
  });

  it('lists a shared (tied) parameter or module once, under its first name', () => {
    class Tied extends Module {
      readonly a = new Linear(2, 2);
      readonly b = this.a;
      readonly w = this.a.weight;
      forward(x: Tensor): Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    const t = new Tied();
    expect(names(t)).toEqual(['w', 'a.bias']);
    expect(t.modules()).toHaveLength(2);
  });

  it('survives reference cycles', () => {
    class Child extends Module {
      parent: Module | null = null;
      readonly p = new Parameter(zeros([1]));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    class Parent extends Module {
      readonly child = new Child();
      constructor() {
        super();
        this.child.parent = this;
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(names(new Parent())).toEqual(['child.p']);
  });

  it('train()/eval() reach every descendant', () => {
    const net = new Net();
    expect(net.modules().every((m) => m.training)).toBe(true);
    expect(net.eval()).toBe(net);
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.blocks[1]!.drop.training).toBe(true);
    net.train(false);
    expect(net.blocks[1]!.drop.training).toBe(false);
  });

  it('zeroGrad sets every .grad to null', () => {
    const net = new Net();
    net.forward(randn([2, 3])).sum().backward();
    expect(net.head.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('Parameter is a leaf sharing the wrapped storage', () => {
    const t = tensor([1, 2, 3]);
    const p = new Parameter(t);
    expect(p.isLeaf && p.requiresGrad).toBe(true);
    expect(p.storage).toBe(t.storage);
    expect(new Parameter(t, false).requiresGrad).toBe(false);
    const nonLeaf = tensor([1], { requiresGrad: true }).mul(2);
    const q = new Parameter(nonLeaf);
    expect(q.isLeaf).toBe(true);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips: a fresh model loaded from the state computes the same outputs', () => {
    manualSeed(1);
    const a = new Net().eval();
    manualSeed(2);
    const b = new Net().eval();
    const x = randn([5, 3]);
    expect(a.forward(x).toArray()).not.toEqual(b.forward(x).toArray());
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual(names(a));
    expect(Object.values(sd).every((t) => !t.requiresGrad && t.gradFn === null)).toBe(true);
    expect(b.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.forward(x).toArray()).toEqual(a.forward(x).toArray());
    // parameters keep their identity and stay trainable
    expect(b.parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
  });

  it('stateDict is a snapshot and loadStateDict copies (no aliasing either way)', () => {
    const lin = new Linear(2, 2);
    const sd = lin.stateDict();
    const before = sd.weight!.toArray();
    lin.weight.assign_(zeros([2, 2]));
    expect(sd.weight!.toArray()).toEqual(before);
    const other = new Linear(2, 2);
    other.loadStateDict(sd);
    expect(other.weight.storage).not.toBe(sd.weight!.storage);
    other.weight.assign_(zeros([2, 2]));
    expect(sd.weight!.toArray()).toEqual(before);
  });

  it('casts values to each parameter dtype', () => {
    const lin = new Linear(2, 1);
    lin.loadStateDict({ weight: tensor([[0.5, 0.25]], { dtype: 'float64' }), bias: tensor([1], { dtype: 'float64' }) });
    expect(lin.weight.dtype).toBe('float32');
    expect(lin.weight.toArray()).toEqual([[0.5, 0.25]]);
  });

  const good = () => ({ weight: zeros([2, 3]), bias: zeros([2]) });

  it('missing entry: ValueError naming it, nothing changed', () => {
    const lin = new Linear(3, 2);
    const before = lin.stateDict();
    const { weight } = good();
    const err = (() => {
      try {
        lin.loadStateDict({ weight });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValueError);
    expect(err).toBeInstanceOf(TsgradError);
    expect((err as Error).message).toBe("loadStateDict: argument 'state' does not match the module: missing [bias], unexpected []");
    expect(lin.weight.toArray()).toEqual(before.weight!.toArray());
  });

  it('unexpected entry: ValueError naming it, nothing changed', () => {
    const lin = new Linear(3, 2);
    const before = lin.stateDict();
    expect(() => lin.loadStateDict({ ...good(), 'extra.weight': zeros([1]) })).toThrow(
      new ValueError("loadStateDict: argument 'state' does not match the module: missing [], unexpected [extra.weight]"),
    );
    expect(lin.weight.toArray()).toEqual(before.weight!.toArray());
  });

  it('mis-shaped entry: ShapeError naming it with both shapes, nothing changed (even entries before it)', () => {
    const lin = new Linear(3, 2);
    const before = lin.stateDict();
    const state = { weight: randn([2, 3]), bias: zeros([3]) };
    expect(() => lin.loadStateDict(state)).toThrow(ShapeError);
    expect(() => lin.loadStateDict(state)).toThrow("loadStateDict: argument 'state' has mis-shaped entries: bias: expected [2], got [3]");
    expect(lin.weight.toArray()).toEqual(before.weight!.toArray());
  });

  it('several problems at once are all reported in one error', () => {
    const net = new Sequential(new Linear(3, 2), new Linear(2, 1));
    const state: Record<string, Tensor> = { '0.weight': zeros([3, 2]), '0.bias': zeros([2]), '1.bias': zeros([1]), '2.weight': zeros([1]) };
    expect(() => net.loadStateDict(state)).toThrow(
      "loadStateDict: argument 'state' does not match the module: missing [1.weight], unexpected [2.weight], mis-shaped [0.weight: expected [2, 3], got [3, 2]]",
    );
  });

  it('rejects entries that are not tensors, and a non-object state', () => {
    const lin = new Linear(3, 2);
    expect(() => lin.loadStateDict({ ...good(), bias: [0, 0] as unknown as Tensor })).toThrow(/entries that are not Tensors: \[bias\]/);
    expect(() => lin.loadStateDict(null as unknown as Record<string, Tensor>)).toThrow(ValueError);
  });

  it('does not treat inherited object keys as entries', () => {
    const lin = new Linear(3, 2);
    const state = Object.assign(Object.create({ bias: zeros([2]) }) as Record<string, Tensor>, { weight: zeros([2, 3]) });
    expect(() => lin.loadStateDict(state)).toThrow(/missing \[bias\]/);
  });

  it('strict: false skips and reports missing/unexpected names but still checks shapes', () => {
    const lin = new Linear(3, 2);
    const w = randn([2, 3]);
    expect(lin.loadStateDict({ weight: w, other: zeros([1]) }, { strict: false })).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['other'] });
    expect(lin.weight.toArray()).toEqual(w.toArray());
    expect(() => lin.loadStateDict({ weight: zeros([3, 2]) }, { strict: false })).toThrow(ShapeError);
  });
});
