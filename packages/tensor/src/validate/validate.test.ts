import { describe, expect, it } from 'vitest';
import {
  DTypeError, IndexError, MAX_ELEMENTS, ShapeError, TsgradError, ValueError, checked, describeValue, signatureOf, spec, tensor, validateArgs, zeros,
} from '../index.js';

/*
 * The validation layer on its own: each spec accepts what it documents and rejects the
 * rest with the right error class and a message naming the function, the argument,
 * what was expected and what arrived.
 */

function failureOf(s: spec.Spec, value: unknown, args: readonly unknown[] = [value]): spec.Failure | null {
  return s.check(value, args);
}

describe('specs', () => {
  it('int, finite, number, bool, literal', () => {
    expect(failureOf(spec.int(), 3)).toBeNull();
    expect(failureOf(spec.int(), -(2 ** 53))).not.toBeNull();
    for (const bad of [1.5, Number.NaN, Infinity, '3', null, undefined]) expect(failureOf(spec.int(), bad)?.error).toBe(ValueError);
    expect(failureOf(spec.int({ min: 1 }), 0)?.text).toBe('expected an integer >= 1, got 0');
    expect(failureOf(spec.finite({ min: 0, max: 1 }), 0.5)).toBeNull();
    expect(failureOf(spec.finite({ min: 0, max: 1 }), 2)?.text).toBe('expected a finite number in [0, 1], got 2');
    expect(failureOf(spec.number(), Number.NaN)).toBeNull();
    expect(failureOf(spec.bool(), 'yes')?.text).toBe("expected a boolean, got 'yes'");
    expect(failureOf(spec.literal('a', 'b'), 'c')?.text).toBe("expected one of 'a', 'b', got 'c'");
  });

  it('tensor, dtype, operand, tensorList', () => {
    const x = zeros([2]);
    expect(failureOf(spec.tensor(), x)).toBeNull();
    expect(failureOf(spec.tensor('int32'), x)?.error).toBe(DTypeError);
    expect(failureOf(spec.tensor(), [1])?.text).toBe('expected a Tensor, got an array [1]');
    expect(failureOf(spec.dtype(), 'float16')?.error).toBe(DTypeError);
    expect(failureOf(spec.operand(), 2)).toBeNull();
    expect(failureOf(spec.operand(), '2')?.error).toBe(DTypeError);
    expect(failureOf(spec.tensorList(), [x, x])).toBeNull();
    expect(failureOf(spec.tensorList(), [])?.error).toBe(ValueError);
    expect(failureOf(spec.tensorList(), [x, [1]])?.text).toBe('expected a Tensor at index 1, got an array [1]');
  });

  it('shape: non-negative safe integers and at most MAX_ELEMENTS elements', () => {
    expect(failureOf(spec.shape(), [2, 0, 3])).toBeNull();
    expect(failureOf(spec.shape(), 5)?.error).toBe(ShapeError);
    expect(failureOf(spec.shape(), [-1])?.error).toBe(ShapeError);
    const big = failureOf(spec.shape(), [1e9, 1e9]);
    expect(big?.error).toBe(ValueError);
    expect(big?.text).toContain('[1000000000, 1000000000]');
    expect(big?.text).toContain(String(MAX_ELEMENTS));
    expect(failureOf(spec.shape(), [MAX_ELEMENTS])).toBeNull();
  });

  it('dim and dims follow the tensor argument, 0-d tensors accept -1 and 0, repeats are rejected', () => {
    const x = zeros([2, 3]);
    const s = tensor(1);
    expect(failureOf(spec.dim(), -2, [x])).toBeNull();
    expect(failureOf(spec.dim(), 2, [x])?.text).toBe('expected an integer in [-2, 1] for a 2-d tensor, got 2');
    expect(failureOf(spec.dim(), 2, [x])?.error).toBe(IndexError);
    expect(failureOf(spec.dim(0, 1), 2, [x])).toBeNull();
    expect(failureOf(spec.dim(), -1, [s])).toBeNull();
    expect(failureOf(spec.dim(), 1, [s])).not.toBeNull();
    expect(failureOf(spec.dims(), null, [x])).toBeNull();
    expect(failureOf(spec.dims(), [0, -2], [x])?.text).toContain('twice');
    expect(failureOf(spec.dims(), [0, 0], [s])?.text).toContain('twice');
  });

  it('options: unknown keys and bad values are errors; undefined values are left-out options', () => {
    const o = spec.options({ dtype: spec.dtype(), keepdim: spec.bool() });
    expect(failureOf(o, undefined)).toBeNull();
    expect(failureOf(o, { dtype: undefined })).toBeNull();
    expect(failureOf(o, { dtpye: 'float32' })?.text).toBe("has unknown option 'dtpye', expected one of 'dtype', 'keepdim'");
    const f = failureOf(o, { keepdim: 'yes' });
    expect(f?.arg).toBe('keepdim');
    expect(f?.text).toBe("expected a boolean, got 'yes'");
    expect(failureOf(o, null)?.error).toBe(ValueError);
  });

  it('oneOf, optional, nullable', () => {
    const s = spec.oneOf(spec.int({ min: 1 }), spec.intList());
    expect(failureOf(s, 2)).toBeNull();
    expect(failureOf(s, [1, 2])).toBeNull();
    expect(failureOf(s, 0)?.text).toBe('expected an integer >= 1 or an array of integers, got 0');
    expect(failureOf(spec.optional(spec.int()), undefined)).toBeNull();
    expect(failureOf(spec.optional(spec.int()), null)).not.toBeNull();
    expect(failureOf(spec.nullable(spec.int()), null)).toBeNull();
  });

  it('describeValue never dumps a tensor’s storage', () => {
    expect(describeValue(zeros([2, 3], { dtype: 'int32' }))).toBe('a int32 Tensor of shape [2, 3]');
    expect(describeValue(new Int16Array(2))).toBe('a Int16Array');
    expect(describeValue(Symbol('s'))).toBe('a symbol');
  });
});

describe('checked / validateArgs', () => {
  const narrowish = checked('narrowish', [['input', spec.tensor()], ['dim', spec.dim()], ['length', spec.int({ min: 0 })]],
    (x: unknown, d: number, n: number) => [x, d, n]);

  it('runs every spec in order before the implementation, and names the function and argument', () => {
    const x = zeros([3]);
    expect(narrowish(x, 0, 2)).toEqual([x, 0, 2]);
    expect(() => narrowish(x, 1, 2)).toThrow(new IndexError("narrowish: argument 'dim' expected an integer in [-1, 0] for a 1-d tensor, got 1"));
    expect(() => narrowish(x, 0, -1)).toThrow(new ValueError("narrowish: argument 'length' expected an integer >= 0, got -1"));
    expect(() => narrowish(5 as never, 0, 1)).toThrow(DTypeError);
    let err: unknown = null;
    try {
      narrowish(x, 0, 1.5);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TsgradError);
  });

  it('attaches the signature, so the public API can be enumerated', () => {
    expect(signatureOf(narrowish)?.fn).toBe('narrowish');
    expect(signatureOf(narrowish)?.args.map(([n]) => n)).toEqual(['input', 'dim', 'length']);
    expect(signatureOf(zeros)?.fn).toBe('zeros');
    expect(signatureOf(() => 0)).toBeNull();
  });

  it('validateArgs checks without wrapping', () => {
    expect(() => validateArgs('mine', [['k', spec.int()]], [0.5])).toThrow("mine: argument 'k' expected an integer, got 0.5");
  });
});
