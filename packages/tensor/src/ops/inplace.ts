import { AutogradError, DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { isFloat } from '../dtype.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor.js';
import { readHost } from './dispatch.js';
import { noteStorageWrite } from '../autograd/version.js';
import { bool, checked, number, oneOf, tensor } from '../validate/index.js';

/*
 * In-place writes. They are not recorded in the autograd graph (PyTorch records them
 * and rebases the tensor's history), so tsgrad refuses them where the tensor itself is
 * part of a graph:
 * - a leaf that requires grad, while grad mode is on (PyTorch's rule too; inside
 *   `noGrad` it is allowed, e.g. to initialise a parameter or take an optimiser step);
 * - any tensor with a `gradFn` (an op's output or a view of one), in any mode: its
 *   gradFn would describe values it no longer holds.
 * Every write is stamped (../autograd/version.ts): a later backward() that would read
 * overwritten values — a tensor saved by a recorded op, written through any view of
 * its storage or by `detach()` — throws an AutogradError instead of using them.
 */

function checkInPlace(op: string, x: Tensor): void {
  if (x.gradFn) {
    throw new AutogradError(
      `${op}: cannot write in place into a tensor that is part of the autograd graph (it was produced by '${x.gradFn.op}'); in-place writes are not recorded in the graph, so its gradient would describe values it no longer holds — write into a clone() or detach the computation first`,
    );
  }
  if (x.requiresGrad && isGradEnabled()) {
    throw new AutogradError(`${op}: a leaf tensor that requires grad cannot be written in place while grad mode is on; wrap the call in noGrad(() => ...)`);
  }
}

/** Overwrites every element of `x` (and of every view sharing its storage) with `value`; returns `x`. */
export const fill_ = checked('fill_', [['input', tensor()], ['value', oneOf(number(), bool(), tensor())]], fillImpl);

function fillImpl(x: Tensor, value: number | boolean | Tensor, op = 'fill_'): Tensor {
  let v: number;
  if (typeof value === 'number' || typeof value === 'boolean') v = Number(value);
  else if (value !== null && typeof value === 'object' && 'ndim' in value && 'dtype' in value) {
    const t = value as Tensor;
    if (t.ndim !== 0) throw new ShapeError(`fill_: argument 'value' expected a number or a 0-d Tensor, got a tensor of shape ${fmtShape(t.shape)}`);
    v = readHost(t)[0]!;
  } else {
    throw new DTypeError(`fill_: argument 'value' expected a number or a 0-d Tensor, got ${typeof value}`);
  }
  if (!isFloat(x.dtype) && x.dtype !== 'bool' && !Number.isFinite(v)) {
    throw new ValueError(`${op}: argument 'value' expected a finite number for a ${x.dtype} tensor, got ${v}`);
  }
  // Truncation is the cast PyTorch's fill_ does; wrapping around is never silent.
  if (x.dtype === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31)) {
    throw new ValueError(`${op}: argument 'value' expected a value in the int32 range [-2147483648, 2147483647], got ${v}`);
  }
  checkInPlace(op, x);
  if (x.numel === 0) return x;
  noteStorageWrite(x);
  // The dtype's value as PyTorch casts it: bool true for any non-zero, int32 truncated.
  if (x.dtype === 'bool') v = v !== 0 ? 1 : 0;
  else if (x.dtype === 'int32') v = Math.trunc(v) | 0;
  const b = x.storage.backend;
  const src = { storage: b.full(1, v, x.dtype), shape: x.shape, strides: x.shape.map(() => 0), offset: 0, dtype: x.dtype };
  b.copyStrided(src, x);
  return x;
}

/** `fill_(x, 0)`: zeroes `x` in place (and every view sharing its storage); returns `x`. */
export const zero_ = checked('zero_', [['input', tensor()]], zeroImpl);

function zeroImpl(x: Tensor): Tensor {
  return fillImpl(x, 0, 'zero_');
}
