import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError, tensor, type Tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { Parameter, clipGradNorm_, clipGradValue_ } from '../index.js';
import { expectAllClose } from '../modules/test-helpers.js';

/** Parameters with the given gradients (float64 unless said otherwise). */
function withGrads(grads: number[][], dtype: 'float32' | 'float64' = 'float64'): Parameter[] {
  return grads.map((g) => {
    const p = new Parameter(tensor(g.map(() => 0), { dtype }));
    p.grad = tensor(g, { dtype });
    return p;
  });
}

/** PyTorch's rule in plain JS: total p-norm, then g·min(maxNorm/(total + 1e-6), 1). */
function refClip(grads: number[][], maxNorm: number, p: number): { total: number; clipped: number[][] } {
  const flat = grads.flat();
  const total = p === Infinity ? Math.max(...flat.map(Math.abs)) : flat.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p);
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  return { total, clipped: grads.map((g) => g.map((x) => x * coef)) };
}

describe('clipGradNorm_', () => {
  const next = mulberry32(5);
  const grads = [Array.from({ length: 6 }, () => next() * 4 - 2), Array.from({ length: 3 }, () => next() * 10 - 5), [0.5]];
  for (const p of [2, 1, 3, Infinity]) {
    for (const maxNorm of [0.5, 3, 1000]) {
      it(`norm ${p}, maxNorm ${maxNorm}: returns the total norm and scales as PyTorch`, () => {
        const params = withGrads(grads);
        const total = clipGradNorm_(params, maxNorm, p);
        const ref = refClip(grads, maxNorm, p);
        expect(total.ndim).toBe(0);
        expect(total.dtype).toBe('float64');
        expect(total.item()).toBeCloseTo(ref.total, 12);
        params.forEach((q, i) => expectAllClose(Array.from(q.grad!.dataSync()), ref.clipped[i]!, 1e-14, 1e-13));
        if (maxNorm < ref.total) expect(clipGradNorm_(params, maxNorm, p).item()).toBeCloseTo(maxNorm, 5);
      });
    }
  }

  it('skips parameters without gradients, accepts one tensor, returns 0 when nothing has a gradient', () => {
    const [a] = withGrads([[3, 4]]);
    const b = new Parameter(tensor([1, 1], { dtype: 'float64' }));
    expect(clipGradNorm_([a!, b], 1).item()).toBeCloseTo(5, 14);
    expect(b.grad).toBeNull();
    expectAllClose(Array.from(a!.grad!.dataSync()), [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 1e-15);
    expect(clipGradNorm_(b, 1).item()).toBe(0);
    const [c] = withGrads([[6, 8]], 'float32');
    expect(clipGradNorm_(c!, 5).dtype).toBe('float32');
    expectAllClose(Array.from(c!.grad!.dataSync()), [3, 4], 1e-5);
  });

  it('errorIfNonfinite throws before any gradient changes; otherwise non-finite norms give NaN gradients (PyTorch)', () => {
    const params = withGrads([[1, 2], [Infinity, 0]]);
    expect(() => clipGradNorm_(params, 1, 2, { errorIfNonfinite: true })).toThrow(/total norm of order 2 of the gradients is Infinity/);
    expect(Array.from(params[0]!.grad!.dataSync())).toEqual([1, 2]);
    expect(clipGradNorm_(params, 1).item()).toBe(Infinity);
    expect(Array.from(params[0]!.grad!.dataSync()).every((x) => x === 0)).toBe(true);
  });

  it('validates arguments and every gradient before changing any', () => {
    const params = withGrads([[1, 2], [3]]);
    (params[1] as Tensor).grad = tensor([1, 2], { dtype: 'float64' });
    expect(() => clipGradNorm_(params, 0.1)).toThrow(ShapeError);
    expect(Array.from(params[0]!.grad!.dataSync())).toEqual([1, 2]);
    expect(() => clipGradNorm_(params, -1)).toThrow(/clipGradNorm_: argument 'maxNorm'/);
    expect(() => clipGradNorm_(params, 1, 0)).toThrow(/normType/);
    expect(() => clipGradNorm_(params, 1, 2, { error_if_nonfinite: true } as never)).toThrow(/unknown option/);
    expect(() => clipGradNorm_([1] as never, 1)).toThrow(ValueError);
    const [q] = withGrads([[1]]);
    q!.grad = tensor([1], { dtype: 'int32' });
    expect(() => clipGradNorm_([q!], 1)).toThrow(DTypeError);
  });
});

describe('clipGradValue_', () => {
  it('clamps every gradient into [−clipValue, clipValue]', () => {
    const params = withGrads([[-3, 0.2, 5], [0.7, -0.1]]);
    clipGradValue_(params, 0.5);
    expect(Array.from(params[0]!.grad!.dataSync())).toEqual([-0.5, 0.2, 0.5]);
    expect(Array.from(params[1]!.grad!.dataSync())).toEqual([0.5, -0.1]);
    expect(() => clipGradValue_(params, -1)).toThrow(/clipGradValue_: argument 'clipValue'/);
  });
});
