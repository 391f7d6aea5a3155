import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTypeError, ValueError, tensor, type Tensor } from '@tsgrad/tensor';
import { GradcheckError, arbTensor, gradcheck, gradgradcheck } from './index.js';

const f64 = (data: number[] | number[][], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });

/**
 * exp with a hand-written first derivative that autograd cannot see through:
 * value exp(x), first derivative exp(x) (right), second derivative 0 (wrong).
 */
function flatExp(x: Tensor): Tensor {
  const c = x.detach();
  return c.exp().add(x.sub(c).mul(c.exp()));
}

describe('gradgradcheck', () => {
  it('passes on correct second derivatives', () => {
    const x = f64([[0.5, -1.5, 2], [0.25, 1, -0.75]]);
    const y = f64([[1.5, 0.5, -2], [3, -1, 0.5]]);
    expect(gradgradcheck((t) => t.mul(t.sigmoid()), [x])).toBe(true);
    expect(gradgradcheck((a, b) => a.mul(b).tanh(), [x, y])).toBe(true);
    expect(gradgradcheck((a, b) => [a.exp().sum(), a.mul(b)], [x, y])).toBe(true);
    expect(gradgradcheck((a, b) => a.mul(b), [x, y.detach()])).toBe(true);
  });

  it('accepts explicit and strided gradOutputs', () => {
    const x = f64([[0.5, -1.5, 2], [0.25, 1, -0.75]]);
    const v = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(gradgradcheck((t) => t.sin(), [x], { gradOutputs: [v] })).toBe(true);
    expect(gradgradcheck((t) => t.sin().mul(t), [x], { nonContiguousGradOutputs: true })).toBe(true);
    expect(() => gradgradcheck((t) => t.sin(), [x], { gradOutputs: [] })).toThrow(ValueError);
    expect(() => gradgradcheck((t) => t.sin(), [x], { gradOutputs: [v.to('float32')] })).toThrow(DTypeError);
  });

  it('fails, naming input and index, when only the second derivative is wrong', () => {
    const x = f64([0.5, -1, 2]);
    expect(gradcheck(flatExp, [x])).toBe(true);
    let err: Error | undefined;
    try {
      gradgradcheck(flatExp, [x]);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(GradcheckError);
    expect(err!.message).toMatch(/^gradgradcheck: second-order gradient mismatch for input 0 \(shape \[3\]\) at index \[\d\]: numerical \S+ vs analytical 0;/);
  });

  it('is a fast-check property', () => {
    fc.assert(
      fc.property(arbTensor({ requiresGrad: true }), (x) => gradgradcheck((t) => t.square().mul(t.cos()), [x])),
      { numRuns: 15 },
    );
  });

  it('rejects non-float64 inputs and functions with no differentiable output', () => {
    expect(() => gradgradcheck((t) => t.exp(), [tensor([1], { dtype: 'float32', requiresGrad: true })])).toThrow(DTypeError);
    expect(() => gradgradcheck((t) => t.gt(0), [f64([1])])).toThrow(/no output of fn/);
  });
});
