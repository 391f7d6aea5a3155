import { describe, expect, it } from 'vitest';
import {
  Tensor, tensor, zeros, ones, full, arange, randint, add, mul, maximum, lt, where, matmul, sum, mean, softmax,
  logSoftmax, cat, stack, gather, scatterAdd, indexSelect, oneHot, grad, getBackend, setBackend,
  TsgradError, ShapeError, DTypeError, IndexError, ValueError, AutogradError, BackendError,
} from './index.js';

/*
 * Errors are part of the API: each bad call throws a TsgradError subclass whose message
 * names the function, the argument, what was expected and what arrived — and throws
 * before anything changes.
 */

type ErrorClass = new (message: string) => TsgradError;

/** Runs fn, checks the error class (and that it is a TsgradError) and that the message contains every fragment. */
function expectError(fn: () => unknown, cls: ErrorClass, ...fragments: (string | RegExp)[]): TsgradError {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').not.toBeNull();
  expect(caught).toBeInstanceOf(cls);
  expect(caught).toBeInstanceOf(TsgradError);
  expect(caught).toBeInstanceOf(Error);
  const err = caught as TsgradError;
  expect(err.name).toBe(cls.name);
  for (const f of fragments) {
    if (typeof f === 'string') expect(err.message).toContain(f);
    else expect(err.message).toMatch(f);
  }
  return err;
}

describe('error classes', () => {
  it('every class is a TsgradError with its own name', () => {
    for (const cls of [ShapeError, DTypeError, IndexError, ValueError, AutogradError, BackendError]) {
      const e = new cls('x');
      expect(e).toBeInstanceOf(TsgradError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(cls.name);
    }
  });
});

describe('creation errors', () => {
  it('ragged nested arrays: where, expected and actual lengths', () => {
    expectError(() => tensor([[1, 2], [3]] as number[][]), ValueError, 'tensor', "argument 'data'", 'ragged', 'at [1]', 'expected 2 elements', 'got 1');
    expectError(() => tensor([[1, 2], 3] as never), ValueError, 'tensor', "argument 'data'", 'ragged', 'expected 2 elements', 'got a scalar');
    expectError(() => tensor([1, [2]] as never), ValueError, 'tensor', "argument 'data'", 'ragged', 'expected a number', 'array of length 1');
    expectError(() => tensor([[[1], [2]], [[3], [4, 5]]]), ValueError, 'at [1, 1]', 'expected 1 elements', 'got 2');
    expectError(() => tensor(['a'] as never), ValueError, 'tensor', "argument 'data'", 'number or boolean', 'string');
  });

  it('non-finite values into int32', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      expectError(() => tensor([1, bad], { dtype: 'int32' }), ValueError, 'tensor', "argument 'data'", 'finite', 'int32', `got ${bad}`, 'element 1');
      expectError(() => tensor(new Float64Array([bad]), { dtype: 'int32' }), ValueError, 'tensor', 'int32', `got ${bad}`);
      expectError(() => full([2], bad, { dtype: 'int32' }), ValueError, 'full', "argument 'value'", 'finite', 'int32', `got ${bad}`);
    }
  });

  it('bad shapes, dtypes and option values', () => {
    expectError(() => zeros([2, -1]), ShapeError, 'zeros', "argument 'shape'", 'non-negative integers', '[2, -1]');
    expectError(() => ones([1.5]), ShapeError, 'ones', "argument 'shape'", '[1.5]');
    expectError(() => zeros([2], { dtype: 'float16' as never }), DTypeError, 'zeros', "argument 'dtype'", 'float32, float64, int32, bool', 'float16');
    expectError(() => tensor([1, 2, 3], { shape: [2, 2] }), ValueError, 'tensor', "argument 'shape'", '4 elements', 'has 3');
    expectError(() => arange(0, 5, 0), ValueError, 'arange', "argument 'step'");
    expectError(() => randint(3, 3, [2]), ValueError, 'randint', "'low' and 'high'", '3 and 3');
    expectError(() => tensor([1, 2]).item(), ValueError, 'item', 'one element', '[2]');
  });
});

describe('shape errors', () => {
  it('broadcast mismatch names the op and both shapes', () => {
    const a = zeros([2, 3]);
    const b = zeros([4]);
    expectError(() => add(a, b), ShapeError, 'add', '[2, 3]', '[4]', 'broadcast');
    expectError(() => mul(zeros([2, 1, 3]), zeros([5, 2])), ShapeError, 'mul', '[2, 1, 3]', '[5, 2]');
    expectError(() => maximum(a, zeros([3, 2])), ShapeError, 'maximum', '[2, 3]', '[3, 2]');
    expectError(() => lt(a, b), ShapeError, 'lt', '[2, 3]', '[4]');
    expectError(() => a.sub(zeros([2, 2])), ShapeError, 'sub', '[2, 3]', '[2, 2]');
    expectError(() => where(tensor([true, false, true, false]), a, 0), ShapeError, 'where', '[4]', '[2, 3]');
    expectError(() => a.expand([3, 3]), ShapeError, 'expand', '[2, 3]', '[3, 3]');
    expectError(() => a.expand([3]), ShapeError, 'expand', '[3]', '[2, 3]');
  });

  it('matmul mismatch names both shapes', () => {
    expectError(() => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, 'matmul', '[2, 3]', '[4, 5]', '3 vs 4');
    expectError(() => matmul(zeros([3]), zeros([4])), ShapeError, 'matmul', '[3]', '[4]');
    expectError(() => matmul(zeros([3]), zeros([2, 4, 5])), ShapeError, 'matmul', '[3]', '[2, 4, 5]');
    expectError(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4])), ShapeError, 'matmul', '[2, 2, 3]', '[3, 3, 4]', 'batch');
    expectError(() => matmul(tensor(1), zeros([2])), ShapeError, 'matmul', 'at least 1 dim', '[]', '[2]');
  });

  it('reshape to an incompatible size names the argument, both shapes and element counts', () => {
    expectError(() => zeros([2, 3]).reshape([4]), ShapeError, 'reshape', "argument 'shape'", '6 elements', '[2, 3]', 'got [4]', '4 elements');
    expectError(() => zeros([2, 3]).view([4, -1]), ShapeError, 'reshape', "argument 'shape'", '6 elements', '[4, -1]');
    expectError(() => zeros([2, 3]).reshape([-1, -1]), ShapeError, 'reshape', "argument 'shape'", 'only one -1');
    expectError(() => zeros([2, 3]).reshape([-2, -3]), ShapeError, 'reshape', "argument 'shape'", '[-2, -3]');
    expectError(() => tensor([1, 2]).reshape([]), ShapeError, 'reshape', '2 elements', 'got []');
  });

  it('cat / stack / split mismatches', () => {
    expectError(() => cat([zeros([2, 3]), zeros([2, 4])], 0), ShapeError, 'cat', "'tensors[1]'", '[2, 4]', '[2, 3]');
    expectError(() => cat([]), ValueError, 'cat', "'tensors'", 'non-empty');
    expectError(() => stack([zeros([2, 3]), zeros([3, 2])]), ShapeError, 'stack', "'tensors[1]'", '[3, 2]', '[2, 3]');
    expectError(() => zeros([5]).split([2, 2]), ShapeError, 'split', '[2, 2]', 'sum to 4', 'size 5');
    expectError(() => zeros([2, 3]).permute([1]), ShapeError, 'permute', "'dims'", '[2, 3]', '[1]');
  });
});

describe('dim out of range', () => {
  const x = zeros([2, 3]);
  const i = tensor([[0]], { dtype: 'int32' });
  const cases: [string, () => unknown, string, string, string][] = [
    ['sum', () => sum(x, 2), "'dim'", '[-2, 1]', 'got 2'],
    ['mean', () => mean(x, -3), "'dim'", '[-2, 1]', 'got -3'],
    ['max', () => x.max(2), "'dim'", '[-2, 1]', 'got 2'],
    ['argmax', () => x.argmax(5), "'dim'", '[-2, 1]', 'got 5'],
    ['logSumExp', () => x.logSumExp([0, 2]), "'dim'", '[-2, 1]', 'got 2'],
    ['var', () => x.var(2), "'dim'", '[-2, 1]', 'got 2'],
    ['softmax', () => softmax(x, 2), "'dim'", '[-2, 1]', 'got 2'],
    ['logSoftmax', () => logSoftmax(x, -3), "'dim'", '[-2, 1]', 'got -3'],
    ['unsqueeze', () => x.unsqueeze(3), "'dim'", '[-3, 2]', 'got 3'],
    ['squeeze', () => x.squeeze(2), "'dim'", '[-2, 1]', 'got 2'],
    ['transpose', () => x.transpose(0, 2), "'dim1'", '[-2, 1]', 'got 2'],
    ['permute', () => x.permute([0, 2]), "'dims'", '[-2, 1]', 'got 2'],
    ['flatten', () => x.flatten(0, 2), "'endDim'", '[-2, 1]', 'got 2'],
    ['slice', () => x.slice(2, 0, 1), "'dim'", '[-2, 1]', 'got 2'],
    ['narrow', () => x.narrow(-3, 0, 1), "'dim'", '[-2, 1]', 'got -3'],
    ['split', () => x.split(1, 2), "'dim'", '[-2, 1]', 'got 2'],
    ['chunk', () => x.chunk(2, 2), "'dim'", '[-2, 1]', 'got 2'],
    ['cat', () => cat([x, x], 2), "'dim'", '[-2, 1]', 'got 2'],
    ['stack', () => stack([x, x], 3), "'dim'", '[-3, 2]', 'got 3'],
    ['gather', () => gather(x, 2, i), "'dim'", '[-2, 1]', 'got 2'],
    ['scatterAdd', () => scatterAdd(x, -3, i, x), "'dim'", '[-2, 1]', 'got -3'],
    ['indexSelect', () => indexSelect(x, 2, tensor([0], { dtype: 'int32' })), "'dim'", '[-2, 1]', 'got 2'],
  ];
  for (const [op, fn, arg, range, got] of cases) {
    it(`${op}`, () => {
      expectError(fn, IndexError, `${op}:`, arg, range, got);
    });
  }

  it('a non-integer or repeated dim', () => {
    expectError(() => sum(x, 0.5), IndexError, 'sum', "'dim'", 'integer', 'got 0.5');
    expectError(() => sum(x, [0, -2]), IndexError, 'sum', "'dim'", 'twice');
    expectError(() => x.permute([0, 0]), IndexError, 'permute', "'dims'", 'repeats');
    expectError(() => x.narrow(1, 2, 2), IndexError, 'narrow', 'start 2', 'length 2', 'size 3');
  });
});

describe('index errors', () => {
  it('gather index out of range names the op, the argument, the valid range and the value', () => {
    const x = zeros([2, 3]);
    expectError(() => gather(x, 1, tensor([[0, 3]], { dtype: 'int32' })), IndexError, 'gather', "argument 'index'", '[0, 3)', 'dim 1', 'got 3');
    expectError(() => gather(x, 0, tensor([[-1]], { dtype: 'int32' })), IndexError, 'gather', "argument 'index'", '[0, 2)', 'got -1');
    expectError(() => x.gather(0, tensor([[0]], { dtype: 'float32' })), DTypeError, 'gather', "argument 'index'", 'int32', 'float32');
    expectError(() => gather(x, 0, tensor([0], { dtype: 'int32' })), ShapeError, 'gather', "argument 'index'", '2 dims', '[2, 3]', '[1]');
  });

  it('scatterAdd / indexSelect / oneHot out of range', () => {
    const x = zeros([2, 3]);
    expectError(() => scatterAdd(x, 1, tensor([[5]], { dtype: 'int32' }), ones([1, 1])), IndexError, 'scatterAdd', "argument 'index'", '[0, 3)', 'got 5');
    expectError(() => indexSelect(x, 0, tensor([0, 2], { dtype: 'int32' })), IndexError, 'indexSelect', "argument 'index'", '[0, 2)', 'got 2');
    expectError(() => oneHot(tensor([0, 3], { dtype: 'int32' }), 3), IndexError, 'oneHot', "argument 'index'", '[0, 3)', 'got 3');
    expectError(() => oneHot(tensor([-1], { dtype: 'int32' }), 3), IndexError, 'oneHot', "argument 'index'", 'non-negative', 'got -1');
    expectError(() => oneHot(tensor([1.5])), DTypeError, 'oneHot', "argument 'index'", 'int32', 'float32');
  });

  it('where needs a bool condition', () => {
    expectError(() => where(tensor([1, 0]), 1, 0), DTypeError, 'where', "argument 'condition'", 'bool', 'float32');
  });
});

describe('autograd errors', () => {
  it('requiresGrad on an int or bool tensor', () => {
    for (const dtype of ['int32', 'bool'] as const) {
      expectError(() => tensor([1], { dtype, requiresGrad: true }), DTypeError, 'tensor', "argument 'requiresGrad'", 'floating point', dtype);
      expectError(() => zeros([1], { dtype, requiresGrad: true }), DTypeError, 'zeros', "argument 'requiresGrad'", 'floating point', dtype);
      const t = zeros([1], { dtype });
      expectError(() => { t.requiresGrad = true; }, DTypeError, 'requiresGrad', 'floating point', dtype);
      expectError(() => t.requiresGrad_(), DTypeError, 'requiresGrad', 'floating point', dtype);
      expect(t.requiresGrad).toBe(false); // unchanged by the failed calls
    }
    expectError(() => arange(3, undefined, 1, { requiresGrad: true }), DTypeError, 'arange', "argument 'requiresGrad'", 'int32');
  });

  it('backward() on a non-scalar without a gradient names the shape', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    expectError(() => x.mul(2).backward(), AutogradError, 'backward', 'scalar', '[2, 3]');
    expectError(() => x.mul(2).backward(zeros([3])), ShapeError, 'backward', "argument 'gradient'", '[2, 3]', 'got [3]');
    expectError(() => grad(x.mul(2), x), AutogradError, 'grad', 'scalar', '[2, 3]');
    expectError(() => zeros([1]).backward(), AutogradError, 'backward', 'does not require grad');
    expectError(() => grad(x.sum(), zeros([1])), AutogradError, 'grad', 'inputs[0]', 'does not require grad');
    expectError(() => zeros([1]).retainGrad(), ValueError, 'retainGrad', 'does not require grad');
    expect(x.grad).toBeNull();
  });

  it('a second backward() through a freed graph, leaving .grad untouched', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    const before = Array.from(x.grad!.dataSync());
    const gradTensor = x.grad;
    expectError(() => y.backward(), AutogradError, 'backward', 'second time', 'retainGraph');
    expectError(() => grad(y, x), AutogradError, 'second time', 'retainGraph');
    expect(x.grad).toBe(gradTensor);
    expect(Array.from(x.grad!.dataSync())).toEqual(before);
  });

  it('a failing op records nothing and leaves its inputs as they were', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    expect(() => x.add(zeros([2]))).toThrow(ShapeError);
    expect(() => x.reshape([2])).toThrow(ShapeError);
    expect(x.gradFn).toBeNull();
    expect(x.shape).toEqual([3]);
    x.sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([1, 1, 1]);
  });
});

describe('backend errors', () => {
  it("setBackend('nope') throws a BackendError naming the available backends and changes nothing", () => {
    const before = getBackend();
    expectError(() => setBackend('nope'), BackendError, 'setBackend', "argument 'name'", 'cpu', "'nope'");
    expect(getBackend()).toBe(before);
    expect(tensor([1]) instanceof Tensor).toBe(true);
  });
});
