import { describe, expect, it } from 'vitest';
import * as T from '@tsgrad/tensor';
import { AutogradError, DTypeError, IndexError, ShapeError, Tensor, TsgradError, ValueError, manualSeed, rand, tensor } from '@tsgrad/tensor';
import { Adam, LayerNorm, Linear, Parameter, SGD, SoftmaxFocalLoss, crossEntropy, init, sigmoidFocalLoss } from '@tsgrad/nn';

/*
 * The examples of the "every bad input gets a TsgradError before anything changes"
 * issue, one by one, as a user would hit them.
 */

type Cls = new (m: string) => TsgradError;

function throwsAs(fn: () => unknown, cls: Cls, prefix: string, ...fragments: string[]): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name} from ${prefix}`).toBeInstanceOf(cls);
  const msg = (caught as Error).message;
  expect(msg.startsWith(`${prefix}:`) || msg.startsWith(`${prefix}.`), msg).toBe(true);
  for (const f of fragments) expect(msg).toContain(f);
}

describe('silent garbage is now an error (or the value PyTorch gives)', () => {
  it('fractional or NaN slice bounds', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    throwsAs(() => x.slice(0, 0.5).contiguous(), ValueError, 'slice', "'start'", '0.5');
    throwsAs(() => x.slice(0, 0, Number.NaN), ValueError, 'slice', "'end'");
  });

  it('cat of 0-d tensors, randint into bool, int32 overflow, a typed array of another kind', () => {
    throwsAs(() => T.cat([tensor(1), tensor(2)]), ShapeError, 'cat', '0-d');
    throwsAs(() => T.randint(0, 10, [4], { dtype: 'bool' }), ValueError, 'randint', '[0, 2]');
    throwsAs(() => tensor([1e10], { dtype: 'int32' }), ValueError, 'tensor', 'int32 range');
    throwsAs(() => T.arange(0, 2 ** 31 + 2, 2 ** 30), ValueError, 'arange', 'int32 range');
    throwsAs(() => T.full([2], 1e10, { dtype: 'int32' }), ValueError, 'full', 'int32 range');
    const i16 = tensor(new Int16Array([300, -5]));
    expect(i16.dtype).toBe('int32');
    expect(i16.toArray()).toEqual([300, -5]);
    throwsAs(() => tensor(new Int16Array([300, -5]), { dtype: 'bool' }), ValueError, 'tensor', '0 or 1');
  });

  it('transpose dims out of range on 1-d, sum([0, 0]) on 0-d, keepdim "yes"', () => {
    throwsAs(() => tensor([1, 2]).transpose(5, 7), IndexError, 'transpose', "'dim0'", '[-1, 0]');
    throwsAs(() => tensor(3).sum([0, 0]), IndexError, 'sum', 'twice');
    throwsAs(() => tensor([1, 2]).sum(0, 'yes' as never), ValueError, 'sum', "'keepdim'", 'boolean');
  });
});

describe('no half-done steps', () => {
  it('a wrongly shaped gradient (broadcastable or not) updates nothing, step counters included', () => {
    manualSeed(3);
    const lin = new Linear(3, 2);
    const opt = new Adam(lin.parameters(), { lr: 0.1 });
    lin.forward(rand([4, 3])).sum().backward();
    opt.step();
    const before = lin.parameters().map((p) => Array.from(p.dataSync()));
    const steps = lin.parameters().map((p) => (opt.state.get(p) as { step: number }).step);
    lin.weight.grad = T.ones([2, 3]);
    lin.bias!.grad = tensor([5]);
    throwsAs(() => opt.step(), ShapeError, 'Adam.step', 'params[1]', '[2]', '[1]');
    lin.bias!.grad = T.ones([7]);
    throwsAs(() => opt.step(), ShapeError, 'Adam.step');
    expect(lin.parameters().map((p) => Array.from(p.dataSync()))).toEqual(before);
    expect(lin.parameters().map((p) => (opt.state.get(p) as { step: number }).step)).toEqual(steps);
    throwsAs(() => { (lin.bias as Tensor).grad = 5 as never; }, DTypeError, 'grad');
  });

  it('grad(y, [a, unrelated]) rejects without freeing the graph', () => {
    const a = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const unrelated = tensor([3], { dtype: 'float64', requiresGrad: true });
    const y = a.square().sum();
    throwsAs(() => T.grad(y, [a, unrelated]), AutogradError, 'grad', 'inputs[1]');
    expect(T.grad(y, [a])[0]!.toArray()).toEqual([2, 4]);
  });

  it('a rejected randint(…, { requiresGrad: true }) leaves the generator where it was', () => {
    manualSeed(11);
    const expected = Array.from(rand([3]).dataSync());
    manualSeed(11);
    throwsAs(() => T.randint(0, 10, [1000], { requiresGrad: true }), DTypeError, 'randint', 'requiresGrad');
    expect(Array.from(rand([3]).dataSync())).toEqual(expected);
  });
});

describe('options are never ignored', () => {
  it('unknown optimiser options, top level and in groups', () => {
    const p = [new Parameter(tensor([1, 2]))];
    throwsAs(() => new Adam(p, { learningRate: 0.5 } as never), ValueError, 'Adam', "'learningRate'");
    throwsAs(() => new SGD(p, { lr: 0.1, momentun: 0.9 } as never), ValueError, 'SGD', "'momentun'");
    throwsAs(() => new SGD([{ params: p, momentun: 0.9 } as never]), ValueError, 'SGD', "'momentun'");
  });

  it('init options, loss-module options at construction, seeds, reduction null, sigmoid focal alpha', () => {
    throwsAs(() => init.kaimingUniform([3, 2], { gain: 2 } as never), ValueError, 'kaimingUniform', "'gain'");
    throwsAs(() => new SoftmaxFocalLoss({ gamma: -1 }), ValueError, 'SoftmaxFocalLoss', "'gamma'");
    throwsAs(() => manualSeed(Number.NaN), ValueError, 'manualSeed');
    throwsAs(() => manualSeed(0.9), ValueError, 'manualSeed', '0.9');
    throwsAs(() => crossEntropy(T.rand([2, 3]), tensor([0, 1], { dtype: 'int32' }), { reduction: null as never }), ValueError, 'crossEntropy', "'reduction'");
    throwsAs(() => sigmoidFocalLoss(T.rand([2]), T.rand([2]), { alpha: 1.5 }), ValueError, 'sigmoidFocalLoss', "'alpha'");
    expect(() => sigmoidFocalLoss(T.rand([2]), T.rand([2]), { alpha: -1 })).not.toThrow();
  });
});

describe('the right error class', () => {
  it('sizes beyond what can be allocated name the shape and the limit', () => {
    const big = [1e9, 1e9];
    for (const [name, call] of [
      ['zeros', () => T.zeros(big)], ['ones', () => T.ones(big)], ['full', () => T.full(big, 1)], ['rand', () => T.rand(big)],
      ['randn', () => T.randn(big)], ['arange', () => T.arange(1e10)], ['eye', () => T.eye(1e5)],
      ['oneHot', () => T.oneHot(tensor([0, 1], { dtype: 'int32' }), 1e10)], ['Linear', () => new Linear(1e5, 1e5)],
    ] as const) {
      throwsAs(call, ValueError, name, String(T.MAX_ELEMENTS));
    }
    throwsAs(() => T.zeros(big), ValueError, 'zeros', '[1000000000, 1000000000]');
  });

  it('zeros(5), to(float16), sum(null), backward(1), cat(t), stack([t, [1, 2]]), LayerNorm on an array', () => {
    const t = tensor([1, 2]);
    throwsAs(() => T.zeros(5 as never), ShapeError, 'zeros');
    throwsAs(() => t.to('float16' as never), DTypeError, 'to', 'float16');
    expect(t.sum(null).item()).toBe(3); // dim=None: every dim, as in PyTorch
    const y = tensor([1, 2], { requiresGrad: true }).sum();
    throwsAs(() => y.backward(1 as never), DTypeError, 'backward', "'gradient'");
    throwsAs(() => T.cat(t as never), DTypeError, 'cat', "'tensors'");
    throwsAs(() => T.stack([t, [1, 2]] as never), DTypeError, 'stack', 'index 1');
    throwsAs(() => new LayerNorm(4).forward([1, 2, 3, 4] as never), DTypeError, 'LayerNorm', "'input'");
  });

  it('messages name the function called, not an internal one', () => {
    const x = T.zeros([2, 3]);
    throwsAs(() => T.clamp(x, 'a' as never), DTypeError, 'clamp');
    throwsAs(() => T.clamp(x, T.zeros([4])), ShapeError, 'clamp');
    throwsAs(() => x.split([2, -1] as never, 1), ValueError, 'split');
    throwsAs(() => x.add('a' as never, 2), DTypeError, 'add');
    throwsAs(() => x.add(1, Number.NaN), ValueError, 'add', "'alpha'");
    throwsAs(() => T.indexSelect(tensor(1), 0, tensor([0, 0], { dtype: 'int32' })), IndexError, 'indexSelect');
    throwsAs(() => init.uniform([-1, 2]), ShapeError, 'uniform');
    const p = new Parameter(tensor([1, 2]));
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = T.ones([3]);
    throwsAs(() => opt.step(), ShapeError, 'SGD.step');
  });
});
