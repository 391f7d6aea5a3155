import type { Tensor } from '../tensor';
import { mul } from './elementwise';

/** Elementwise AND of two bool tensors (broadcasting). */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  return mul(a, b);
}
