import { DTypeError } from '../errors.js';
import { isFloat } from '../dtype.js';
import { normalizeDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { embedSlice, slice } from './shape.js';
import { checked, dim as dimSpec, tensor } from '../validate/index.js';

/**
 * Cumulative sum along `dim`, like `torch.cumsum`: out[i] = x[0] + … + x[i]. int32 and
 * bool inputs sum to int32 (PyTorch's int64; tsgrad has no 64-bit integers).
 *
 * A composition (Hillis–Steele scan): ⌈log₂ n⌉ rounds of y += y shifted by 1, 2, 4, …
 * along `dim`, each shift a slice written one offset further (`embedSlice`), so every
 * round is two kernels on any backend and the gradient — the reversed cumulative sum
 * of the incoming gradient — and its derivatives come from slice/embedSlice/add.
 */
export const cumsum = checked('cumsum', [['input', tensor()], ['dim', dimSpec()]], cumsumImpl);

function cumsumImpl(x: Tensor, dim: number): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`cumsum: argument 'input' expected a Tensor, got ${typeof x}`);
  if (x.ndim === 0) {
    normalizeDim('cumsum', dim, 0);
    return isFloat(x.dtype) ? x.mul(1) : x.to('int32').mul(1);
  }
  const d = normalizeDim('cumsum', dim, x.ndim);
  let y = isFloat(x.dtype) || x.dtype === 'int32' ? x : x.to('int32');
  const n = x.shape[d]!;
  if (n <= 1) return y.mul(1);
  for (let s = 1; s < n; s *= 2) {
    y = add(y, embedSlice(slice(y, d, 0, n - s), y.shape, d, s, 1));
  }
  return y;
}

