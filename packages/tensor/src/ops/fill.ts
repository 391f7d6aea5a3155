import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { creationBackend, fromStorage } from './dispatch.js';

/** A new tensor of `shape` filled with `value`, on the active backend when it holds `dtype`. */
export function filled(shape: readonly number[], value: number, dtype: DType): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return fromStorage(creationBackend(dtype).full(n, value, dtype), shape, dtype);
}

export function zerosOf(x: Tensor): Tensor {
  return filled(x.shape, 0, x.dtype);
}
