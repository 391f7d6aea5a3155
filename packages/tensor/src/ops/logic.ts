import type { Tensor } from '../tensor.js';
import { mul } from './elementwise.js';

/** Elementwise AND of two bool tensors (broadcasting). */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  return mul(a, b);
}
