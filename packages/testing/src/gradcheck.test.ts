import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTypeError, TsgradError, VJP, ValueError, manualSeed, rand, tensor, type Tensor } from '@tsgrad/tensor';
import { GradcheckError, arbNonContiguous, arbTensor, gradcheck } from './index.js';

const f64 = (data: number[] | number[][], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });

/** Catches what `fn` throws (failing the test if it does not). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('gradcheck on correct functions', () => {
  it('passes for scalar, non-scalar and multi-tensor outputs', () => {
    const x = f64([[0.5, -1.5, 2], [0.25, 1, -0.75]]);
    const y = f64([[1.5, 0.5, -2], [3, -1, 0.5]]);
    expect(gradcheck((t) => t.mul(t.sigmoid()).sum(), [x])).toBe(true);
    expect(gradcheck((t) => t.sin().mul(t), [x])).toBe(true);
    expect(gradcheck((a, b) => a.mul(b).add(a.exp()), [x, y])).toBe(true);
    expect(gradcheck((a, b) => [a.tanh(), a.mul(b).sum(1)], [x, y])).toBe(true);
  });

  it('only checks inputs that require grad, and accepts unused ones', () => {
    const x = f64([1, 2, 3]);
    const c = f64([4, 5, 6], false);
    const unused = f64([7], true);
    expect(gradcheck((a, b) => a.mul(b), [x, c])).toBe(true);
    expect(gradcheck((a, _u) => a.square(), [x, unused])).toBe(true);
  });

  it('handles 0-d tensors, empty tensors and outputs that do not require grad', () => {
    expect(gradcheck((t) => t.exp(), [tensor(0.3, { dtype: 'float64', requiresGrad: true })])).toBe(true);
    expect(gradcheck((t) => t.exp(), [tensor([], { dtype: 'float64', requiresGrad: true })])).toBe(true);
    expect(gradcheck((t) => [t.exp(), t.gt(0)], [f64([1, -1])])).toBe(true);
    const constant = f64([3, 4], false);
    expect(gradcheck((_t) => constant, [f64([1, -1])])).toBe(true);
  });

  it('passes on non-contiguous inputs (a property over random views)', () => {
    fc.assert(
      fc.property(arbNonContiguous({ requiresGrad: true }), (x) => gradcheck((t) => t.exp().mul(t), [x])),
      { numRuns: 20 },
    );
  });

  it('is a fast-check property of random tensors', () => {
    fc.assert(
      fc.property(arbTensor({ requiresGrad: true }), arbTensor({ min: 0.5, max: 2, requiresGrad: true }), (a, b) =>
        gradcheck((x, y) => x.div(y.sum()), [a, b]),
      ),
      { numRuns: 20 },
    );
  });

  it('does not draw from the global generator', () => {
    manualSeed(7);
    const a = rand([3]).dataSync();
    manualSeed(7);
    gradcheck((t) => t.exp(), [f64([[1, 2], [3, 4]])]);
    const b = rand([3]).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('gradcheck on wrong gradients', () => {
  // x² + w·x with the w·x term detached: autograd misses w exactly where w ≠ 0.
  const wrongAt = (w: Tensor) => (t: Tensor) => t.square().add(t.detach().mul(w));

  it('names the input, the worst index and both values', () => {
    const x = f64([[0.5, -1, 2], [1.5, 0.25, -2]]);
    const w = f64([[0, 0, 0], [0, 0, 3]], false);
    const err = thrown(() => gradcheck(wrongAt(w), [x]));
    expect(err).toBeInstanceOf(GradcheckError);
    expect(err).toBeInstanceOf(TsgradError);
    expect(err.message).toMatch(/^gradcheck: gradient mismatch for input 0 \(shape \[2, 3\]\) at index \[1, 2\]: /);
    expect(err.message).toMatch(/numerical -?\d[\d.e-]* vs analytical -?\d[\d.e-]*/);
    expect(err.message).toContain('(1 of 6 elements out of tolerance)');
    // The numerical value carries the missed term: |numerical − analytical| = |v·w| ≥ 0.5·3.
    const [, num, ana] = /numerical (\S+) vs analytical (\S+);/.exec(err.message)!;
    expect(Math.abs(Number(num) - Number(ana))).toBeGreaterThanOrEqual(1.5);
  });

  it('names the second input when only its gradient is wrong', () => {
    const a = f64([1, 2]);
    const b = f64([0.5, -0.5]);
    const err = thrown(() => gradcheck((x, y) => x.mul(y).add(y.detach().exp()), [a, b]));
    expect(err.message).toContain('for input 1 (shape [2])');
  });

  it('reports a wrong gradient on a non-contiguous input', () => {
    const base = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const x = base.transpose(0, 1).requiresGrad_();
    expect(x.isContiguous()).toBe(false);
    const err = thrown(() => gradcheck((t) => t.mul(t.detach()), [x]));
    expect(err.message).toMatch(/gradient mismatch for input 0 \(shape \[3, 2\]\)/);
  });

  it('detects a forward that depends on the memory layout', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' }).transpose(0, 1).requiresGrad_();
    const err = thrown(() => gradcheck((t) => (t.isContiguous() ? t.exp() : t.exp().add(1)), [x]));
    expect(err).toBeInstanceOf(GradcheckError);
    expect(err.message).toContain('different outputs for the non-contiguous input 0 and a contiguous copy');
  });

  it('returns false instead of throwing with raiseException: false', () => {
    const w = f64([1, 1], false);
    expect(gradcheck(wrongAt(w), [f64([1, 2])], { raiseException: false })).toBe(false);
  });

  it('catches a 1% error in a primitive VJP', () => {
    const table = VJP as unknown as Record<string, (a: unknown) => (Tensor | null)[]>;
    const right = table.sin!;
    table.sin = (a) => right(a).map((g) => g && g.mul(1.01));
    try {
      expect(() => gradcheck((t) => t.sin(), [f64([0.5, 1, -2])])).toThrow(/gradient mismatch for input 0/);
    } finally {
      table.sin = right;
    }
    expect(gradcheck((t) => t.sin(), [f64([0.5, 1, -2])])).toBe(true);
  });

  it('catches a wrong gradient as a fast-check property, then shrinks it', () => {
    const out = fc.check(
      fc.property(arbTensor({ requiresGrad: true, minAbs: 0.1 }), (x) => gradcheck((t) => t.mul(t.detach()), [x])),
      { numRuns: 20 },
    );
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toContain('gradient mismatch for input 0');
  });
});

describe('gradcheck argument errors', () => {
  it('rejects non-float64 inputs with a DTypeError', () => {
    const x = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const err = thrown(() => gradcheck((t) => t.exp(), [x]));
    expect(err).toBeInstanceOf(DTypeError);
    expect(err.message).toContain("gradcheck: argument 'inputs[0]' expected dtype float64, got float32");
    expect(() => gradcheck((t) => t, [tensor([1], { dtype: 'int32' })])).toThrow(DTypeError);
  });

  it('rejects inputs none of which require grad, repeated inputs and bad options', () => {
    const x = f64([1, 2], false);
    expect(() => gradcheck((t) => t.exp(), [x])).toThrow(ValueError);
    expect(() => gradcheck((t) => t.exp(), [x])).toThrow(/no input requires grad/);
    const y = f64([1, 2]);
    expect(() => gradcheck((a, b) => a.mul(b), [y, y])).toThrow(/same tensor as inputs\[0\]/);
    expect(() => gradcheck((t) => t, [y], { eps: 0 })).toThrow(/option 'eps'/);
    expect(() => gradcheck((t) => t, [y], { atol: -1 })).toThrow(/option 'atol'/);
  });

  it('rejects a function that does not return tensors', () => {
    const y = f64([1, 2]);
    expect(() => gradcheck(((t: Tensor) => t.sum().item()) as unknown as (t: Tensor) => Tensor, [y])).toThrow(/must return a Tensor/);
  });

  it('checks gradient dtypes on request', () => {
    const y = f64([1, 2]);
    expect(gradcheck((t) => t.to('float32').to('float64'), [y], { checkGradDtypes: true, eps: 1e-3, atol: 1e-4 })).toBe(true);
  });
});
