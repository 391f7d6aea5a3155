import { DTypeError, IndexError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, contiguousStrides, normalizeDim, numelOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { fromStorage, runKernel } from './dispatch.js';
import { evaluate } from './evaluate.js';
import { where } from './elementwise.js';
import { slice } from './shape.js';
import { dropUnitDim } from './unfold.js';
import { bool, checked, dim as dimSpec, int, oneOf, operand, tensor } from '../validate/index.js';

/**
 * The slice at `index` along `dim`, with that dim removed, like `torch.select` /
 * `x[..., index, ...]`: a view sharing `x`'s storage. A negative index counts from
 * the end.
 */
export const select = checked('select', [['input', tensor()], ['dim', dimSpec()], ['index', int()]], selectImpl);

function selectImpl(x: Tensor, dim: number, index: number): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`select: argument 'input' expected a Tensor, got ${typeof x}`);
  if (x.ndim === 0) throw new IndexError('select: argument \'input\' expected at least 1 dim, got a 0-d tensor');
  const d = normalizeDim('select', dim, x.ndim);
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError(`select: argument 'index' expected an integer in [${-size}, ${size - 1}] for dim ${d} of input shape ${fmtShape(x.shape)}, got ${String(index)}`);
  }
  const i = index < 0 ? index + size : index;
  return dropUnitDim(slice(x, d, i, i + 1), d);
}

/**
 * `x` with `value` where `mask` is true, like `torch.masked_fill`: `mask` is a bool
 * tensor broadcastable with `x`, `value` a number or a 0-d tensor (which receives the
 * gradient of the filled positions, summed). The result has `x`'s dtype.
 */
export const maskedFill = checked('maskedFill', [['input', tensor()], ['mask', tensor('bool')], ['value', oneOf(operand(), bool())]], maskedFillImpl);

function maskedFillImpl(x: Tensor, mask: Tensor, value: number | boolean | Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`maskedFill: argument 'input' expected a Tensor, got ${typeof x}`);
  if (!(mask instanceof Tensor) || mask.dtype !== 'bool') {
    throw new DTypeError(`maskedFill: argument 'mask' expected a bool Tensor, got ${mask instanceof Tensor ? `dtype ${mask.dtype}` : typeof mask}`);
  }
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new ShapeError(`maskedFill: argument 'value' expected a number or a 0-d Tensor, got a tensor of shape ${fmtShape(value.shape)}`);
  } else if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new DTypeError(`maskedFill: argument 'value' expected a number or a 0-d Tensor, got ${typeof value}`);
  }
  // The result has the input's shape: the mask broadcasts to it, never the other way.
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (shape.length !== x.ndim || shape.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError(`maskedFill: argument 'mask' of shape ${fmtShape(mask.shape)} expected to broadcast to the input's shape ${fmtShape(x.shape)}`);
  }
  const v = typeof value === 'boolean' ? Number(value) : value;
  const out = where(mask, v, x);
  return out.dtype === x.dtype ? out : out.to(x.dtype);
}

/**
 * A copy with storage of its own, like `torch.clone`: same values and dtype, in the
 * graph (the gradient passes through unchanged), contiguous, and computed at once (on
 * a lazy backend too), so it never depends on the original's memory.
 */
export const clone = checked('clone', [['input', tensor()]], cloneImpl);

function cloneImpl(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`clone: argument 'input' expected a Tensor, got ${typeof x}`);
  const storage = runKernel('copyStrided', [x], x.dtype, (b, [v]) => {
    const s = b.full(numelOf(x.shape), 0, x.dtype);
    b.copyStrided(v!, { storage: s, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0, dtype: x.dtype });
    return s;
  });
  // A copy's VJP is the identity: the `contiguous` primitive's.
  const out = record(fromStorage(storage, x.shape, x.dtype), 'contiguous', [x], {});
  // Computed now, as torch.clone is: a lazy backend would otherwise keep reading x's
  // memory, which a memory scope may free (an optimiser step replacing x's storage) —
  // a copy must stay readable whatever happens to the original.
  evaluate(out);
  return out;
}
