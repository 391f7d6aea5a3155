import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { promoteTypes } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { fromStorage, onto, pickBackend } from './dispatch.js';
import { broadcastView } from './views.js';
import { reshape, unsqueeze } from './shape.js';
import { checked, checkSize, tensor } from '../validate/index.js';

/**
 * Matrix product with PyTorch's rules: 1-d·1-d is a dot product, a 1-d operand is
 * promoted to a matrix and the added dim removed afterwards, and batch dims broadcast.
 */
export const matmul = checked('matmul', [['input', tensor()], ['other', tensor()]], matmulImpl);

function matmulImpl(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new DTypeError("matmul: arguments 'input' and 'other' must be Tensors");
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments need at least 1 dim, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (a.ndim === 1 && b.ndim === 1) {
    checkInner(a.shape[0]!, b.shape[0]!, a, b);
    return reshape(matmul2(unsqueeze(a, 0), unsqueeze(b, 1), a, b), []);
  }
  if (a.ndim === 1) {
    const out = matmul2(unsqueeze(a, 0), b, a, b);
    return reshape(out, [...out.shape.slice(0, -2), out.shape[out.ndim - 1]!]);
  }
  if (b.ndim === 1) {
    const out = matmul2(a, unsqueeze(b, 1), a, b);
    return reshape(out, out.shape.slice(0, -1));
  }
  return matmul2(a, b, a, b);
}

function checkInner(ka: number, kb: number, a: Tensor, b: Tensor): void {
  if (ka !== kb) {
    throw new ShapeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${ka} vs ${kb} inner size)`);
  }
}

function matmul2(a: Tensor, b: Tensor, origA: Tensor, origB: Tensor): Tensor {
  const M = a.shape[a.ndim - 2]!;
  const K = a.shape[a.ndim - 1]!;
  const N = b.shape[b.ndim - 1]!;
  checkInner(K, b.shape[b.ndim - 2]!, origA, origB);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new ShapeError(`matmul: batch dims of ${fmtShape(origA.shape)} and ${fmtShape(origB.shape)} cannot be broadcast together`);
  }
  let dtype = promoteTypes(a.dtype, b.dtype);
  if (dtype === 'bool') dtype = 'int32';
  const outShape = [...batch, M, N];
  checkSize('matmul', outShape);
  const av = broadcastView(a, [...batch, M, K]);
  const bv = broadcastView(b, [...batch, K, N]);
  const ins = [av, bv];
  const be = pickBackend('matmul', ins, dtype);
  const [x, y] = onto(ins, be);
  const storage = be.matmul(x!, y!, outShape, dtype);
  return record(fromStorage(storage, outShape, dtype), 'matmul', [a, b], {});
}
