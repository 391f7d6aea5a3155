import { IndexError, ShapeError, fmtShape } from './errors.js';

export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when a view with these strides walks memory in row-major order without gaps. */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/** NumPy broadcasting of any number of shapes; the message names the op and every shape. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    const off = nd - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together (dim ${i - s.length} is ${o} vs ${d})`,
        );
    }
  }
  return out;
}

/** Normalise a possibly negative dim, naming the op and argument on failure. */
export function normalizeDim(op: string, dim: number, ndim: number, arg = 'dim'): number {
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new IndexError(`${op}: argument '${arg}' expected an integer in [${lo}, ${hi}] for a ${ndim}-d tensor, got ${dim}`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** Normalise a dim list (undefined = all dims), rejecting duplicates. */
export function normalizeDims(op: string, dims: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dims === undefined || dims === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  const out: number[] = [];
  for (const d of list) {
    const n = normalizeDim(op, d, ndim);
    if (out.includes(n)) throw new IndexError(`${op}: argument 'dim' lists dim ${d} twice`);
    out.push(n);
  }
  // A 0-d tensor has no axes to reduce: its dim 0 / -1 names the tensor itself.
  return ndim === 0 ? [] : out.sort((a, b) => a - b);
}

export function checkShapeArg(op: string, shape: readonly number[], arg = 'shape'): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: argument '${arg}' expected non-negative integers, got ${fmtShape(shape)}`);
    }
  }
  return [...shape];
}

/**
 * Merge adjacent dims that every operand walks as one (stride[d] == stride[d+1]*shape[d+1]
 * for all operands) so kernels run long inner loops. Size-1 dims are dropped.
 */
export function coalesce(shape: Shape, stridesList: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    if (merge) {
      for (let k = 0; k < stridesList.length; k++) {
        if (outStrides[k]![last] !== stridesList[k]![d]! * size) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      outShape[last] = outShape[last]! * size;
      for (let k = 0; k < stridesList.length; k++) outStrides[k]![last] = stridesList[k]![d]!;
    } else {
      outShape.push(size);
      for (let k = 0; k < stridesList.length; k++) outStrides[k]!.push(stridesList[k]![d]!);
    }
  }
  return { shape: outShape, strides: outStrides };
}
