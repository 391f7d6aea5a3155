import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { arange, tensor, zeros } from './index.js';
import { formatFixed, formatScientific, formatTensor } from './format.js';

/*
 * String(t) follows PyTorch's repr (torch/_tensor_str.py): each expected string below is
 * what PyTorch prints for the same values, with tsgrad's spellings (requiresGrad=true,
 * gradFn=<…>, dtype=int32, true/false).
 */

describe('tensor printing', () => {
  it('shows values row by row, aligned, with requiresGrad and gradFn', () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(String(x)).toBe('tensor([[1., 2.],\n        [3., 4.]], requiresGrad=true)');
    expect(x.mul(2).toString()).toBe('tensor([[2., 4.],\n        [6., 8.]], gradFn=<MulBackward>)');
    expect(String(tensor([-1.5, 2.25]))).toBe('tensor([-1.5000,  2.2500])');
    expect(String(tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]))).toBe(
      'tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])',
    );
  });

  it('prints views in logical order', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(String(x.T)).toBe('tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])');
    expect(String(x.slice(1, 0, 3, 2))).toBe('tensor([[1., 3.],\n        [4., 6.]])');
  });

  it('switches to scientific notation where PyTorch does', () => {
    expect(String(tensor([1e-5, 1]))).toBe('tensor([1.0000e-05, 1.0000e+00])');
    expect(String(tensor([1, 1e9]))).toBe('tensor([1.0000e+00, 1.0000e+09])');
    expect(String(tensor([1, 2000]))).toBe('tensor([1.0000e+00, 2.0000e+03])');
    expect(String(tensor([0.5, 100]))).toBe('tensor([  0.5000, 100.0000])');
    expect(String(tensor([1, 1000]))).toBe('tensor([   1., 1000.])');
  });

  it('dtypes: int32 and float64 named, bool as true/false, non-finite values and -0', () => {
    expect(String(tensor([1, -20, 3], { dtype: 'int32' }))).toBe('tensor([  1, -20,   3], dtype=int32)');
    expect(String(tensor([1.5, 2], { dtype: 'float64' }))).toBe('tensor([1.5000, 2.0000], dtype=float64)');
    expect(String(tensor([true, false]))).toBe('tensor([ true, false])');
    expect(String(tensor([1, NaN, Infinity, -Infinity]))).toBe('tensor([1., nan, inf, -inf])');
    expect(String(tensor([-0, 0]))).toBe('tensor([-0., 0.])');
    expect(String(tensor([0.25, NaN]))).toBe('tensor([0.2500,    nan])');
  });

  it('0-d and empty tensors', () => {
    expect(String(tensor(3))).toBe('tensor(3.)');
    expect(String(tensor(0.1))).toBe('tensor(0.1000)');
    expect(String(tensor(7, { dtype: 'int32' }))).toBe('tensor(7, dtype=int32)');
    expect(String(zeros([0]))).toBe('tensor([])');
    expect(String(zeros([2, 0]))).toBe('tensor([], size=[2, 0])');
    expect(String(zeros([0], { dtype: 'int32' }))).toBe('tensor([], dtype=int32)');
  });

  it('summarises past 1000 elements with 3 edge items per dim', () => {
    expect(String(arange(2000, undefined, undefined, { dtype: 'float32' }))).toBe(
      'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
    );
    expect(String(arange(1600).reshape([40, 40]))).toBe(
      [
        'tensor([[   0,    1,    2,  ...,   37,   38,   39],',
        '        [  40,   41,   42,  ...,   77,   78,   79],',
        '        [  80,   81,   82,  ...,  117,  118,  119],',
        '        ...,',
        '        [1480, 1481, 1482,  ..., 1517, 1518, 1519],',
        '        [1520, 1521, 1522,  ..., 1557, 1558, 1559],',
        '        [1560, 1561, 1562,  ..., 1597, 1598, 1599]], dtype=int32)',
      ].join('\n'),
    );
    // Exactly 1000 elements: not summarised.
    expect(String(zeros([1000]))).not.toContain('...');
  });

  it('wraps long rows at 80 columns and moves a suffix that does not fit to its own line', () => {
    const row = tensor(new Array(12).fill(0.5));
    expect(String(row)).toBe(
      'tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000,\n        0.5000, 0.5000, 0.5000])',
    );
    expect(String(tensor(new Array(9).fill(0.5), { requiresGrad: true }))).toBe(
      'tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000],\n       requiresGrad=true)',
    );
  });

  it('says why instead of throwing when the data cannot be read (a disposed tensor)', () => {
    const gone = {
      shape: [2], dtype: 'float32' as const, requiresGrad: false, gradFn: null,
      dataSync(): Float32Array { throw new Error('disposed'); },
    };
    expect(formatTensor(gone)).toBe('tensor(<disposed>, size=[2])');
  });

  it("is what Node's util.inspect and console.log show", () => {
    const x = tensor([[1, 2], [3, 4]]).T;
    expect(inspect(x)).toBe(String(x));
    expect(inspect({ x })).toContain('tensor([[1., 3.],');
  });
});

describe("number formatting (Python's format())", () => {
  it('rounds half to even on the exact binary value', () => {
    expect(formatFixed(0.03125, 4)).toBe('0.0312');
    expect(formatFixed(0.09375, 4)).toBe('0.0938');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    // 0.1 + 0.2 = 0.3000000000000000444…: not a tie.
    expect(formatFixed(0.30000000000000004, 4)).toBe('0.3000');
    expect(formatFixed(2.00005, 4)).toBe('2.0000'); // 2.00004999999999988…
    expect(formatFixed(1.00005, 4)).toBe('1.0001'); // 1.00005000000000010…
    expect(formatFixed(-0, 4)).toBe('-0.0000');
    expect(formatFixed(-1e-9, 4)).toBe('-0.0000');
    expect(formatFixed(123456789.125, 4)).toBe('123456789.1250');
  });

  it('scientific: mantissa, sign and a two-digit exponent', () => {
    expect(formatScientific(123456, 4)).toBe('1.2346e+05');
    expect(formatScientific(-2.5e-10, 4)).toBe('-2.5000e-10');
    expect(formatScientific(1e100, 4)).toBe('1.0000e+100');
    expect(formatScientific(0, 4)).toBe('0.0000e+00');
    expect(formatScientific(9.99996, 4)).toBe('1.0000e+01');
    expect(formatScientific(1.03125, 4)).toBe('1.0312e+00');
    expect(formatScientific(5e-324, 4)).toBe('4.9407e-324');
    expect(formatScientific(Infinity, 4)).toBe('inf');
  });
});
