import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { normalizeDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { add } from './elementwise.js';
import { embedSlice, slice } from './shape.js';
import { checked, dim as dimSpec, int, optional, tensor } from '../validate/index.js';

/*
 * Sliding windows as a view (`Tensor.unfold`), the building block of convolution and
 * pooling in @tsgrad/nn: conv is pad → unfold → one strided copy (im2col, a backend
 * copy kernel) → matmul; pooling reduces over the window dims of the view directly.
 * `unfold` is a primitive whose forward is metadata only (no kernel, so every backend
 * runs it); its VJP `fold` sums the windows back, written with slice/embedSlice/add,
 * so gradients of any order come from those primitives.
 */

function checkWindow(op: string, arg: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ValueError(`${op}: argument '${arg}' expected an integer >= ${min}, got ${String(v)}`);
}

/**
 * Every window of `size` elements along `dim`, `step` apart, as a view (like
 * `torch.Tensor.unfold`): `dim` becomes the number of windows, ⌊(S − span)/step⌋ + 1,
 * and a new last dim of length `size` walks each window. `dilation` (a tsgrad
 * extension, default 1 = PyTorch's unfold) spaces a window's elements, so a window
 * spans dilation·(size − 1) + 1 input elements. Windows overlap when step < span; the
 * gradient of an element sums over every window that contains it.
 */
export const unfold = checked(
  'unfold',
  [['input', tensor()], ['dimension', dimSpec()], ['size', int({ min: 1 })], ['step', int({ min: 1 })], ['dilation', optional(int({ min: 1 }))]],
  unfoldImpl,
);

function unfoldImpl(x: Tensor, dim: number, size: number, step: number, dilation = 1): Tensor {
  if (x.ndim === 0) throw new ShapeError(`unfold: argument 'input' expected at least 1 dim, got shape ${fmtShape(x.shape)}`);
  const d = normalizeDim('unfold', dim, x.ndim, 'dimension');
  checkWindow('unfold', 'size', size, 1);
  checkWindow('unfold', 'step', step, 1);
  checkWindow('unfold', 'dilation', dilation, 1);
  const span = dilation * (size - 1) + 1;
  const len = x.shape[d]!;
  if (span > len) {
    throw new ShapeError(`unfold: argument 'size' expected a window that fits dim ${d} of size ${len} (input shape ${fmtShape(x.shape)}), got size ${size} spanning ${span} elements`);
  }
  const windows = Math.floor((len - span) / step) + 1;
  const shape = [...x.shape, size];
  shape[d] = windows;
  const strides = [...x.strides, x.strides[d]! * dilation];
  strides[d] = x.strides[d]! * step;
  const out = new Tensor(x.storage, shape, strides, x.offset, x.dtype);
  return record(out, 'unfold', [x], { dim: d, size, step, dilation, inputShape: [...x.shape] });
}

/**
 * Drops a size-1 dim as a view of the same storage. Recorded as `reshape`, whose VJP
 * (reshape the gradient back) is exactly this op's; `reshape` itself would copy a
 * non-contiguous view.
 */
export function dropUnitDim(x: Tensor, dim: number): Tensor {
  const shape = x.shape.filter((_, i) => i !== dim);
  const strides = x.strides.filter((_, i) => i !== dim);
  const out = new Tensor(x.storage, shape, strides, x.offset, x.dtype);
  return record(out, 'reshape', [x], { inputShape: [...x.shape] });
}

/**
 * unfold's adjoint: `g` [..., windows (at dim), ..., size] summed back into
 * `inputShape`, window element j landing at j·dilation + i·step for window i.
 */
export function fold(g: Tensor, inputShape: readonly number[], dim: number, size: number, step: number, dilation: number): Tensor {
  const last = g.ndim - 1;
  let acc: Tensor | null = null;
  for (let j = 0; j < size; j++) {
    const part = embedSlice(dropUnitDim(slice(g, last, j, j + 1), last), inputShape, dim, j * dilation, step);
    acc = acc ? add(acc, part) : part;
  }
  return acc!;
}
