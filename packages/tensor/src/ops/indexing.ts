import { DTypeError, IndexError, ShapeError, fmtShape } from '../errors.js';
import { normalizeDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import type { View } from '../backend.js';
import { record } from '../autograd/node.js';
import { fromStorage, onto, pickBackend, readHost } from './dispatch.js';
import { eq } from './elementwise.js';
import { expand, reshape, unsqueeze } from './shape.js';
import { arangeInt } from './arange.js';
import { checked, checkSize, dim as dimSpec, int, optional, tensor } from '../validate/index.js';

function checkIndex(op: string, x: Tensor, dim: number, index: Tensor, boundShape: readonly number[]): number {
  if (!(index instanceof Tensor)) throw new DTypeError(`${op}: argument 'index' expected an int32 Tensor, got ${typeof index}`);
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: argument 'index' expected dtype int32, got ${index.dtype}`);
  const d = normalizeDim(op, dim, x.ndim);
  if (index.ndim !== x.ndim && !(x.ndim === 0 && index.ndim <= 1)) {
    throw new ShapeError(`${op}: argument 'index' expected ${x.ndim} dims like input ${fmtShape(x.shape)}, got ${fmtShape(index.shape)}`);
  }
  for (let i = 0; i < index.ndim; i++) {
    if (i !== d && index.shape[i]! > boundShape[i]!) {
      throw new ShapeError(`${op}: argument 'index' shape ${fmtShape(index.shape)} exceeds input ${fmtShape(boundShape)} in dim ${i}`);
    }
  }
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  const data = readHost(index);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= size) {
      throw new IndexError(`${op}: argument 'index' expected values in [0, ${size}) for dim ${d} of input shape ${fmtShape(x.shape)}, got ${v} (out of range)`);
    }
  }
  return d;
}

/** out[i][j] = x[index[i][j]][j] for dim 0, and so on (`torch.gather`). */
export const gather = checked('gather', [['input', tensor()], ['dim', dimSpec()], ['index', tensor('int32')]], gatherImpl);

/**
 * A 0-d input indexed by a 1-d index (only zeros pass checkIndex) is, to the backends,
 * the 1-element vector it is: gather repeats its value, scatterAdd adds every src
 * element into it (backends walk the input by the index's dims; a 0-d view has none).
 */
function asVector(v: View, index: Tensor): View {
  return v.shape.length === 0 && index.ndim === 1 ? { ...v, shape: [1], strides: [1] } : v;
}

function gatherImpl(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = checkIndex('gather', x, dim, index, x.shape);
  const ins = [x, index];
  const b = pickBackend('gather', ins, x.dtype);
  const [v, i] = onto(ins, b);
  const storage = b.gather(asVector(v!, index), d, i!, x.dtype);
  return record(fromStorage(storage, index.shape, x.dtype), 'gather', [x, index], { dim: d });
}

/** A copy of x with src[i][j] added at x[index[i][j]][j] for dim 0 (`torch.scatter_add`). */
export const scatterAdd = checked('scatterAdd', [['input', tensor()], ['dim', dimSpec()], ['index', tensor('int32')], ['src', tensor()]], scatterAddImpl);

function scatterAddImpl(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  if (!(src instanceof Tensor)) throw new DTypeError(`scatterAdd: argument 'src' expected a Tensor, got ${typeof src}`);
  const d = checkIndex('scatterAdd', x, dim, index, src.shape);
  if (src.ndim !== index.ndim) throw new ShapeError(`scatterAdd: argument 'src' shape ${fmtShape(src.shape)} expected ${index.ndim} dims like index ${fmtShape(index.shape)}`);
  // Every dim, `dim` included: each index element reads the src element at its position.
  for (let i = 0; i < index.ndim; i++) {
    if (index.shape[i]! > src.shape[i]!) {
      throw new ShapeError(`scatterAdd: argument 'index' shape ${fmtShape(index.shape)} exceeds src ${fmtShape(src.shape)} in dim ${i}`);
    }
  }
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i]! > x.shape[i]!) {
      throw new ShapeError(`scatterAdd: argument 'index' shape ${fmtShape(index.shape)} exceeds input ${fmtShape(x.shape)} in dim ${i}`);
    }
  }
  const s = src.dtype === x.dtype ? src : src.to(x.dtype);
  const ins = [x, index, s];
  const b = pickBackend('scatterAdd', ins, x.dtype);
  const [v, i, sv] = onto(ins, b);
  const storage = b.scatterAdd(asVector(v!, index), d, i!, sv!);
  return record(fromStorage(storage, x.shape, x.dtype), 'scatterAdd', [x, index, s], { dim: d });
}

/** Picks entries of `index` (1-d int32) along `dim`. */
export const indexSelect = checked('indexSelect', [['input', tensor()], ['dim', dimSpec()], ['index', tensor('int32')]], indexSelectImpl);

function indexSelectImpl(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim('indexSelect', dim, x.ndim);
  if (!(index instanceof Tensor) || index.dtype !== 'int32' || index.ndim > 1) {
    throw new DTypeError(`indexSelect: argument 'index' expected a 1-d int32 Tensor, got ${index instanceof Tensor ? `${index.dtype} ${fmtShape(index.shape)}` : typeof index}`);
  }
  // Checked here so an out-of-range index is reported as indexSelect's, not gather's.
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  const data = readHost(index);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= size) {
      throw new IndexError(`indexSelect: argument 'index' expected values in [0, ${size}) for dim ${d} of input shape ${fmtShape(x.shape)}, got ${v} (out of range)`);
    }
  }
  const k = index.numel;
  if (x.ndim === 0) {
    // As PyTorch: a 0-d input takes exactly one index and stays 0-d.
    if (k !== 1) throw new IndexError(`indexSelect: argument 'index' expected one element for a 0-d input, got shape ${fmtShape(index.shape)}`);
    return x;
  }
  const lifted = x.shape.map((_, i) => (i === d ? k : 1));
  const target = x.shape.map((s, i) => (i === d ? k : s));
  return gather(x, d, expand(reshape(index, lifted), target));
}

/** One-hot encoding along a new last dim, int32 (numClasses = max + 1 when omitted). */
export const oneHot = checked('oneHot', [['index', tensor('int32')], ['numClasses', optional(int({ min: -1 }))]], oneHotImpl);

function oneHotImpl(index: Tensor, numClasses = -1): Tensor {
  if (!(index instanceof Tensor) || index.dtype !== 'int32') {
    throw new DTypeError(`oneHot: argument 'index' expected an int32 Tensor, got ${index instanceof Tensor ? index.dtype : typeof index}`);
  }
  const data = readHost(index);
  let maxV = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0) throw new IndexError(`oneHot: argument 'index' expected non-negative class indices, got ${v}`);
    if (v > maxV) maxV = v;
  }
  const C = numClasses === -1 ? maxV + 1 : numClasses;
  if (!Number.isInteger(C) || C < 0) throw new IndexError(`oneHot: argument 'numClasses' expected a non-negative integer or -1, got ${numClasses}`);
  if (maxV >= C) throw new IndexError(`oneHot: argument 'index' expected values in [0, ${C}) for numClasses ${C}, got ${maxV} (out of range)`);
  checkSize('oneHot', [...index.shape, C]);
  return eq(unsqueeze(index, -1), arangeInt(C)).to('int32');
}

