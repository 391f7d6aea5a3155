import { Tensor, eq, pow, where } from '@tsgrad/tensor';
import type { ScalarLike } from './validate.js';

/**
 * base^gamma for base ≥ 0 and gamma ≥ 0 whose gradients are finite everywhere.
 *
 * At base = 0 the plain power has ∂/∂base = γ·0^(γ−1) = ∞ for γ < 1 (and 0·∞ = NaN once
 * the chain rule multiplies it by a zero upstream factor). Here the zeros are routed
 * through a constant branch: the value is 0^γ (1 for γ = 0, else 0), the gradient with
 * respect to base there is 0 (the subgradient |·| gives at 0 anyway) and with respect
 * to γ is 0 (the limit of a^γ·log a). The power itself only ever sees base = 1 at those
 * positions, so second derivatives stay finite too.
 */
export function safePow(base: Tensor, gamma: ScalarLike): Tensor {
  const zero = eq(base, 0);
  const powered = pow(where(zero, 1, base), gamma);
  const atZero = typeof gamma === 'number' ? (gamma === 0 ? 1 : 0) : eq(gamma.detach(), 0).to(base.dtype);
  return where(zero, atZero, powered);
}
