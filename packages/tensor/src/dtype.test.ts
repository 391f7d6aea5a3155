import { describe, expect, it } from 'vitest';
import {
  tensor, promoteTypes, add, sub, mul, div, pow, maximum, minimum, eq, lt, ge, where, matmul, cat, type DType,
} from './index.js';

/*
 * The promotion lattice bool < int32 < float32 < float64, JS numbers as weak scalars,
 * and comparisons giving bool.
 */

const ORDER: DType[] = ['bool', 'int32', 'float32', 'float64'];
const sample = (dtype: DType) => tensor(dtype === 'bool' ? [1, 0] : [2, 3], { dtype });

describe('promotion table', () => {
  it('promoteTypes is the max in bool < int32 < float32 < float64, symmetric', () => {
    for (const [i, a] of ORDER.entries()) {
      for (const [j, b] of ORDER.entries()) {
        expect(promoteTypes(a, b), `${a} + ${b}`).toBe(ORDER[Math.max(i, j)]);
      }
    }
  });

  it('tensor ⊕ tensor results follow the table (bool arithmetic counts as int32; div is always float)', () => {
    for (const a of ORDER) {
      for (const b of ORDER) {
        const p = promoteTypes(a, b);
        const arith = p === 'bool' ? 'int32' : p;
        const x = sample(a);
        const y = sample(b);
        expect(add(x, y).dtype, `add ${a} ${b}`).toBe(arith);
        expect(sub(x, y).dtype, `sub ${a} ${b}`).toBe(arith);
        expect(mul(x, y).dtype, `mul ${a} ${b}`).toBe(p); // bool·bool is logical and
        expect(maximum(x, y).dtype, `maximum ${a} ${b}`).toBe(p);
        expect(minimum(x, y).dtype, `minimum ${a} ${b}`).toBe(p);
        expect(pow(x, y).dtype, `pow ${a} ${b}`).toBe(arith);
        expect(div(x, y).dtype, `div ${a} ${b}`).toBe(p === 'float64' ? 'float64' : 'float32');
        expect(where(tensor([true, false]), x, y).dtype, `where ${a} ${b}`).toBe(p);
        expect(cat([x, y]).dtype, `cat ${a} ${b}`).toBe(p);
        expect(matmul(x, y).dtype, `matmul ${a} ${b}`).toBe(arith);
      }
    }
  });

  it('values are computed in the promoted dtype', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    const f = tensor([0.1, 0.2], { dtype: 'float64' });
    expect(add(i, f).toArray()).toEqual([1.1, 2.2]);
    expect(add(i, tensor([0.1, 0.2])).toArray()).toEqual([Math.fround(1 + Math.fround(0.1)), Math.fround(2 + Math.fround(0.2))]);
    expect(add(tensor([0.1], { dtype: 'float32' }), tensor([0.1], { dtype: 'float64' })).toArray()).toEqual([Math.fround(0.1) + 0.1]);
    expect(add(tensor([true, true]), tensor([true, false])).toArray()).toEqual([2, 1]);
    expect(div(tensor([7, -7], { dtype: 'int32' }), tensor([2, 2], { dtype: 'int32' })).toArray()).toEqual([3.5, -3.5]);
  });
});

describe('JS numbers are weak scalars', () => {
  it('a float tensor keeps its dtype whatever the number', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([1, 2], { dtype });
      for (const s of [1.5, 2, -0.1, 1e10]) {
        expect(add(x, s).dtype).toBe(dtype);
        expect(mul(s, x).dtype).toBe(dtype);
        expect(div(x, s).dtype).toBe(dtype);
        expect(pow(x, s).dtype).toBe(dtype);
        expect(maximum(x, s).dtype).toBe(dtype);
      }
    }
    // float32 + 1.5 stays float32 and the scalar is rounded to float32, like PyTorch
    const t = tensor([0.1]);
    expect(add(t, 1.5).toArray()).toEqual([Math.fround(Math.fround(0.1) + 1.5)]);
    expect(eq(t, 0.1).toArray()).toEqual([1]);
    expect(eq(tensor([0.1], { dtype: 'float64' }), 0.1).toArray()).toEqual([1]);
  });

  it('an int32 tensor stays int32 with integral numbers and becomes float32 with fractional ones', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(add(i, 2).dtype).toBe('int32');
    expect(add(i, 2).toArray()).toEqual([3, 4]);
    expect(mul(i, -3).toArray()).toEqual([-3, -6]);
    expect(sub(10, i).toArray()).toEqual([9, 8]);
    expect(add(i, 0.5).dtype).toBe('float32');
    expect(add(i, 0.5).toArray()).toEqual([1.5, 2.5]);
    expect(mul(0.5, i).dtype).toBe('float32');
    // division is true division
    expect(div(i, 2).dtype).toBe('float32');
    expect(div(i, 2).toArray()).toEqual([0.5, 1]);
    expect(div(i, tensor([4, 4], { dtype: 'int32' })).dtype).toBe('float32');
  });

  it('a bool tensor becomes int32 with integral numbers and float32 with fractional ones', () => {
    const b = tensor([true, false]);
    expect(add(b, 2).dtype).toBe('int32');
    expect(add(b, 2).toArray()).toEqual([3, 2]);
    expect(add(b, 0.5).dtype).toBe('float32');
  });

  it('two JS numbers make int32 or float32 0-d tensors', () => {
    expect(add(1, 2).dtype).toBe('int32');
    expect(add(1, 2).shape).toEqual([]);
    expect(add(1, 0.5).dtype).toBe('float32');
  });
});

describe('comparisons give bool', () => {
  it('for every dtype pair and against numbers', () => {
    for (const a of ORDER) {
      for (const b of ORDER) {
        expect(lt(sample(a), sample(b)).dtype).toBe('bool');
        expect(eq(sample(a), sample(b)).dtype).toBe('bool');
      }
      expect(ge(sample(a), 0.5).dtype).toBe('bool');
      expect(ge(1, sample(a)).dtype).toBe('bool');
    }
    // int32 vs fractional number compares exactly (the number is not truncated)
    expect(lt(tensor([0, 1], { dtype: 'int32' }), 0.5).toArray()).toEqual([1, 0]);
    expect(eq(tensor([1], { dtype: 'int32' }), 1.5).toArray()).toEqual([0]);
  });

  it('a bool result is not differentiable and can feed where', () => {
    const x = tensor([1, -1], { requiresGrad: true });
    const m = lt(x, 0);
    expect(m.requiresGrad).toBe(false);
    expect(where(m, 0, x).toArray()).toEqual([1, 0]);
  });
});
