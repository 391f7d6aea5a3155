import { describe, expect, it } from 'vitest';
import { AutogradError, DTypeError, ShapeError, ValueError, fill_, noGrad, tensor, zero_, zeros } from '../index.js';

/* fill_ / zero_: writes through every view of the storage, and the autograd rules. */

describe('fill_ and zero_', () => {
  it('overwrite every element in place and return the tensor', () => {
    for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
      const x = tensor(dtype === 'bool' ? [[1, 0], [0, 1]] : [[1, 0], [3, 4]], { dtype });
      expect(x.fill_(dtype === 'int32' ? 2.9 : 2)).toBe(x);
      expect(x.toArray()).toEqual(dtype === 'bool' ? [[1, 1], [1, 1]] : [[2, 2], [2, 2]]);
      expect(zero_(x).toArray()).toEqual([[0, 0], [0, 0]]);
    }
    expect(fill_(tensor([1, 2]), tensor(-3)).toArray()).toEqual([-3, -3]);
  });

  it('write through views: a selected row, a transposed view and a strided slice change the base', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    x.select(0, 1).fill_(9);
    expect(x.toArray()).toEqual([[1, 2, 3], [9, 9, 9]]);
    x.T.select(0, 0).zero_();
    expect(x.toArray()).toEqual([[0, 2, 3], [0, 9, 9]]);
    x.slice(1, 0, 3, 2).fill_(7);
    expect(x.toArray()).toEqual([[7, 2, 7], [7, 9, 7]]);
    const base = zeros([4]);
    const alias = base.reshape([2, 2]);
    base.fill_(1);
    expect(alias.toArray()).toEqual([[1, 1], [1, 1]]);
  });

  it('refuse a leaf that requires grad under grad mode (allowed in noGrad) and any tensor in a graph', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => w.zero_()).toThrow(AutogradError);
    expect(() => w.fill_(1)).toThrow(/leaf tensor that requires grad/);
    noGrad(() => w.fill_(3));
    expect(w.toArray()).toEqual([3, 3]);
    const y = w.mul(2);
    expect(() => y.zero_()).toThrow(/part of the autograd graph/);
    expect(() => noGrad(() => y.zero_())).toThrow(AutogradError);
    expect(() => w.select(0, 0).fill_(0)).toThrow(AutogradError);
    // Nothing was written by the refused calls.
    expect(y.toArray()).toEqual([6, 6]);
  });

  it('check the value before writing', () => {
    const x = tensor([1, 2], { dtype: 'int32' });
    expect(() => x.fill_(NaN)).toThrow(ValueError);
    expect(() => x.fill_(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => fill_(x, 'a' as unknown as number)).toThrow(/fill_: argument 'value' expected a number/);
    expect(() => fill_([1, 2] as unknown as typeof x, 0)).toThrow(DTypeError);
    expect(x.toArray()).toEqual([1, 2]);
  });
});

describe('assign_', () => {
  it("writes through the storage, as PyTorch's copy_: views and detach() taken before see the new values; ops recorded before keep the old ones", () => {
    const w = tensor([[1, 2], [3, 4]]);
    const flat = w.reshape([4]);
    const wt = w.T;
    const snapshot = w.detach();
    const lazy = w.mul(10); // recorded before the write (computed later on lazy backends)
    noGrad(() => w.assign_(tensor([[5, 6], [7, 8]])));
    expect(w.toArray()).toEqual([[5, 6], [7, 8]]);
    expect(flat.toArray()).toEqual([5, 6, 7, 8]);
    expect(wt.toArray()).toEqual([[5, 7], [6, 8]]);
    expect(snapshot.toArray()).toEqual([[5, 6], [7, 8]]);
    expect(lazy.toArray()).toEqual([[10, 20], [30, 40]]);
    // A strided target writes through too, and a cast value is converted.
    w.T.assign_(tensor([[1, 2], [3, 4]], { dtype: 'int32' }));
    expect(flat.toArray()).toEqual([1, 3, 2, 4]);
    // A value that shares the target's storage is read whole before anything is written
    // (the JS reference backend wrote row by row: w.assign_(w.T) gave [[1,4,7],[4,5,8],[7,8,9]]).
    const sq = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    sq.assign_(sq.T);
    expect(sq.toArray()).toEqual([[1, 4, 7], [2, 5, 8], [3, 6, 9]]);
    const row = tensor([1, 2, 3, 4, 5]);
    row.slice(0, 1, 5).assign_(row.slice(0, 0, 4));
    expect(row.toArray()).toEqual([1, 1, 2, 3, 4]);
    // The value stays independent of the target.
    const v = tensor([9, 9, 9, 9]);
    flat.assign_(v);
    v.fill_(0);
    expect(w.toArray()).toEqual([[9, 9], [9, 9]]);
  });
});
