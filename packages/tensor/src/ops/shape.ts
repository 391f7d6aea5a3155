import { DTypeError, IndexError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { contiguousStrides, isContiguous, normalizeDim, numelOf, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { noteStorageWrite } from '../autograd/version.js';
import { fromStorage, onBackend, runKernel } from './dispatch.js';
import { promoteTypes } from '../dtype.js';
import {
  any, checked, checkSize, dim as dimSpec, dims as dimsSpec, int, intList, nullable, oneOf, optional, shapeWithInfer, tensor, tensorList,
} from '../validate/index.js';

function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x.storage, [...shape], [...strides], offset, x.dtype);
}

export function isContiguousTensor(x: Tensor): boolean {
  return isContiguous(x.shape, x.strides);
}

/** Copies a view into fresh contiguous storage (the same tensor if already contiguous). */
export const contiguous = checked('contiguous', [['input', tensor()]], contiguousImpl);

function contiguousImpl(x: Tensor): Tensor {
  if (isContiguousTensor(x)) return x;
  return record(contiguousCopy(x), 'contiguous', [x], {});
}

function contiguousCopy(x: Tensor): Tensor {
  const storage = runKernel('copyStrided', [x], x.dtype, (b, [v]) => {
    const s = b.full(numelOf(x.shape), 0, x.dtype);
    b.copyStrided(v!, { storage: s, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0, dtype: x.dtype });
    return s;
  });
  return fromStorage(storage, x.shape, x.dtype);
}

function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const out = [...shape];
  let infer = -1;
  let known = 1;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]!;
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`${op}: argument 'shape' may contain only one -1, got ${fmtShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: argument 'shape' expected non-negative integers or -1, got ${fmtShape(shape)}`);
    } else known *= d;
  }
  if (infer >= 0) {
    if (known === 0 || x.numel % known !== 0) {
      throw new ShapeError(`${op}: argument 'shape' expected a shape with ${x.numel} elements (input shape ${fmtShape(x.shape)}), got ${fmtShape(shape)}, which cannot hold them`);
    }
    out[infer] = x.numel / known;
  }
  if (numelOf(out) !== x.numel) {
    throw new ShapeError(`${op}: argument 'shape' expected a shape with ${x.numel} elements (input shape ${fmtShape(x.shape)}), got ${fmtShape(shape)} (${numelOf(out)} elements)`);
  }
  return out;
}

/** A view when the data is contiguous, otherwise a copy; -1 infers one dim. */
export const reshape = checked('reshape', [['input', tensor()], ['shape', shapeWithInfer()]], reshapeImpl);

function reshapeImpl(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape('reshape', x, shape);
  if (shapesEqual(target, x.shape)) return x;
  const src = isContiguousTensor(x) ? x : contiguousCopy(x);
  const out = viewOf(src, target, contiguousStrides(target), src.offset);
  return record(out, 'reshape', [x], { inputShape: [...x.shape] });
}

export const flatten = checked('flatten', [['input', tensor()], ['startDim', optional(dimSpec())], ['endDim', optional(dimSpec())]], flattenImpl);

function flattenImpl(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim, 'startDim');
  const e = normalizeDim('flatten', endDim, x.ndim, 'endDim');
  if (s > e) throw new IndexError(`flatten: argument 'startDim' (${startDim}) must not come after 'endDim' (${endDim})`);
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export const squeeze = checked('squeeze', [['input', tensor()], ['dim', dimsSpec()]], squeezeImpl);

function squeezeImpl(x: Tensor, dim?: number | number[] | null): Tensor {
  let dims: number[];
  if (dim === undefined || dim === null) dims = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  else dims = (typeof dim === 'number' ? [dim] : dim).map((d) => normalizeDim('squeeze', d, x.ndim)).filter((d) => x.shape[d] === 1);
  return reshape(x, x.shape.filter((_, i) => !dims.includes(i)));
}

export const unsqueeze = checked('unsqueeze', [['input', tensor()], ['dim', dimSpec(0, 1)]], unsqueezeImpl);

function unsqueezeImpl(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

/** Reorders dims (a view). */
export const permute = checked('permute', [['input', tensor()], ['dims', intList()]], permuteImpl);

function permuteImpl(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new ShapeError(`permute: argument 'dims' expected ${x.ndim} dims for shape ${fmtShape(x.shape)}, got [${dims.join(', ')}]`);
  }
  // Loops, not closures: every backward through a matmul transposes (see exprKey in wasm/plan.ts).
  const perm: number[] = [];
  for (const d of dims) perm.push(normalizeDim('permute', d, x.ndim, 'dims'));
  const shape: number[] = [];
  const strides: number[] = [];
  let identity = true;
  for (let i = 0; i < perm.length; i++) {
    const d = perm[i]!;
    if (perm.indexOf(d) !== i) throw new IndexError(`permute: argument 'dims' repeats a dim: [${dims.join(', ')}]`);
    if (d !== i) identity = false;
    shape.push(x.shape[d]!);
    strides.push(x.strides[d]!);
  }
  if (identity) return x;
  const out = viewOf(x, shape, strides, x.offset);
  return record(out, 'permute', [x], { dims: perm });
}

export const transpose = checked('transpose', [['input', tensor()], ['dim0', dimSpec()], ['dim1', dimSpec()]], transposeImpl);

function transposeImpl(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim < 2) return x;
  const a = normalizeDim('transpose', dim0, x.ndim, 'dim0');
  const b = normalizeDim('transpose', dim1, x.ndim, 'dim1');
  const perm: number[] = [];
  for (let i = 0; i < x.ndim; i++) perm.push(i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts size-1 (or new leading) dims to `shape` without copying; -1 keeps a dim. */
export const expand = checked('expand', [['input', tensor()], ['shape', shapeWithInfer()]], expandImpl);

function expandImpl(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new ShapeError(`expand: target shape ${fmtShape(shape)} has fewer dims than the input ${fmtShape(x.shape)}`);
  }
  const off = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off]! : d));
  const strides = new Array<number>(target.length).fill(0);
  for (let i = 0; i < target.length; i++) {
    const t = target[i]!;
    if (!Number.isInteger(t) || t < 0) throw new ShapeError(`expand: argument 'shape' expected non-negative sizes, got ${fmtShape(shape)}`);
    if (i < off) continue;
    const s = x.shape[i - off]!;
    if (s === t) strides[i] = x.strides[i - off]!;
    else if (s !== 1) {
      throw new ShapeError(`expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)} (dim ${i} is ${s}, not 1)`);
    }
  }
  if (shapesEqual(target, x.shape)) return x;
  checkSize('expand', target);
  return record(viewOf(x, target, strides, x.offset), 'expand', [x], {});
}

/** Python-style slice along one dim (a view); negative and out-of-range bounds clamp. */
export const slice = checked('slice', [['input', tensor()], ['dim', dimSpec()], ['start', nullable(int())], ['end', nullable(int())], ['step', optional(int({ min: 1 }))]], sliceImpl);

function sliceImpl(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  const d = normalizeDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) throw new ValueError(`slice: argument 'step' expected a positive integer, got ${step}`);
  const size = x.shape[d]!;
  const clampIdx = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  const s = start === undefined || start === null ? 0 : clampIdx(start);
  const e = end === undefined || end === null ? size : clampIdx(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  if (s === 0 && len === size && step === 1) return x;
  const shape = [...x.shape];
  shape[d] = len;
  const strides = [...x.strides];
  strides[d] = x.strides[d]! * step;
  const out = viewOf(x, shape, strides, x.offset + (len > 0 ? s * x.strides[d]! : 0));
  return record(out, 'slice', [x], { dim: d, start: s, step, inputShape: [...x.shape] });
}

export const narrow = checked('narrow', [['input', tensor()], ['dim', dimSpec()], ['start', int()], ['length', int({ min: 0 })]], narrowImpl);

function narrowImpl(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || s < 0 || !Number.isInteger(length) || length < 0 || s + length > size) {
    throw new IndexError(`narrow: start ${start} and length ${length} expected to lie within dim ${dim} of size ${size}`);
  }
  return slice(x, d, s, s + length);
}

export const split = checked('split', [['input', tensor()], ['splitSize', oneOf(int({ min: 1 }), intList({ min: 0 }))], ['dim', optional(dimSpec())]], splitImpl);

function splitImpl(x: Tensor, splitSize: number | number[], dim = 0): Tensor[] {
  const d = normalizeDim('split', dim, x.ndim);
  const size = x.shape[d]!;
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new ValueError(`split: argument 'splitSize' expected a positive integer, got ${splitSize}`);
    sizes = [];
    for (let s = 0; s < size; s += splitSize) sizes.push(Math.min(splitSize, size - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = splitSize;
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size) throw new ShapeError(`split: sizes [${sizes.join(', ')}] sum to ${total}, expected dim ${dim} size ${size}`);
  }
  const out: Tensor[] = [];
  let s = 0;
  for (const len of sizes) {
    out.push(narrow(x, d, s, len));
    s += len;
  }
  return out;
}

export const chunk = checked('chunk', [['input', tensor()], ['chunks', int({ min: 1 })], ['dim', optional(dimSpec())]], chunkImpl);

function chunkImpl(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError(`chunk: argument 'chunks' expected a positive integer, got ${chunks}`);
  const d = normalizeDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d]! / chunks)), d);
}

/** Concatenates along an existing dim. */
export const cat = checked('cat', [['tensors', tensorList()], ['dim', optional(any('a dim'))]], catImpl);

function catImpl(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError("cat: argument 'tensors' expected a non-empty list");
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    if (t.ndim === 0) throw new ShapeError(`cat: argument 'tensors[${i}]' is 0-d; zero-dimensional tensors cannot be concatenated (use stack)`);
  });
  const d = normalizeDim('cat', dim, first.ndim);
  let dtype = first.dtype;
  let total = 0;
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new DTypeError(`cat: argument 'tensors[${i}]' expected a Tensor`);
    if (t.ndim !== first.ndim || t.shape.some((s, j) => j !== d && s !== first.shape[j])) {
      throw new ShapeError(`cat: argument 'tensors[${i}]' has shape ${fmtShape(t.shape)}, expected ${fmtShape(first.shape)} except in dim ${d}`);
    }
    dtype = promoteTypes(dtype, t.dtype);
    total += t.shape[d]!;
  });
  const shape = [...first.shape];
  shape[d] = total;
  checkSize('cat', shape);
  const outStrides = contiguousStrides(shape);
  const storage = runKernel('copyStrided', tensors, dtype, (b, views) => {
    const s = b.full(numelOf(shape), 0, dtype);
    let at = 0;
    views.forEach((v, i) => {
      const len = tensors[i]!.shape[d]!;
      const part = onBackend(v.dtype === dtype ? v : tensors[i]!.to(dtype), b);
      b.copyStrided(part, { storage: s, shape: v.shape, strides: outStrides, offset: at * outStrides[d]!, dtype });
      at += len;
    });
    return s;
  });
  return record(fromStorage(storage, shape, dtype), 'cat', tensors, { dim: d, sizes: tensors.map((t) => t.shape[d]!) });
}

/** Stacks equal-shaped tensors along a new dim. */
export const stack = checked('stack', [['tensors', tensorList()], ['dim', optional(any('a dim'))]], stackImpl);

function stackImpl(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError("stack: argument 'tensors' expected a non-empty list");
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new ShapeError(`stack: argument 'tensors[${i}]' has shape ${fmtShape(t.shape)}, expected ${fmtShape(first.shape)}`);
    }
  });
  const d = normalizeDim('stack', dim, first.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** Slice's adjoint: zeros of `inputShape` with `g` written at [start::step] along `dim`. */
export function embedSlice(g: Tensor, inputShape: readonly number[], dim: number, start: number, step: number): Tensor {
  const strides = contiguousStrides(inputShape);
  const storage = runKernel('copyStrided', [g], g.dtype, (b, [v]) => {
    const s = b.full(numelOf(inputShape), 0, g.dtype);
    const dstStrides = [...strides];
    dstStrides[dim] = strides[dim]! * step;
    b.copyStrided(v!, { storage: s, shape: g.shape, strides: dstStrides, offset: start * strides[dim]!, dtype: g.dtype });
    return s;
  });
  return record(fromStorage(storage, inputShape, g.dtype), 'embedSlice', [g], { dim, start, step, length: g.shape[dim]! });
}

/** Overwrites `target`'s data with `value` (optimiser updates). Not recorded. */
export function assignInPlace(target: Tensor, value: Tensor): void {
  if (!shapesEqual(target.shape, value.shape)) {
    throw new ShapeError(`assign_: argument 'value' expected shape ${fmtShape(target.shape)}, got ${fmtShape(value.shape)}`);
  }
  if (target.gradFn && isGradEnabled()) throw new ValueError('assign_: cannot overwrite a non-leaf tensor that is part of the graph');
  const v = value.dtype === target.dtype ? value : value.detach().to(target.dtype);
  const b = target.storage.backend;
  const src = onBackend(v, b);
  noteStorageWrite(target);
  b.copyStrided(src, target);
}
