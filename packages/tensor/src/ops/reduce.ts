import type { ReduceOp } from '../backend.js';
import { floatResult, isFloat, type DType } from '../dtype.js';
import { ValueError } from '../errors.js';
import { normalizeDim, normalizeDims, numelOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { fromStorage, onto, pickBackend } from './dispatch.js';
import { reshape } from './shape.js';
import { div, sub, square } from './elementwise.js';
import { bool, checked, dim as dimSpec, dims as dimsSpec, finite, nullable, optional, options, tensor, type ArgSpec } from '../validate/index.js';

const REDUCE: readonly ArgSpec[] = [['input', tensor()], ['dim', dimsSpec()], ['keepdim', optional(bool())]];
const ARG_REDUCE: readonly ArgSpec[] = [['input', tensor()], ['dim', nullable(dimSpec())], ['keepdim', optional(bool())]];

/** The shape `x` has after reducing `axes` with keepdim. */
export function keepdimShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceRaw(op: ReduceOp, x: Tensor, axes: number[], outDtype: DType): Tensor {
  if ((op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin') && axes.some((d) => x.shape[d] === 0)) {
    throw new ValueError(`${op}: cannot reduce over a dim of size 0 (input shape [${x.shape.join(', ')}])`);
  }
  const outShape = x.shape.filter((_, d) => !axes.includes(d));
  const ins = [x];
  const b = pickBackend(op, ins, outDtype);
  const storage = b.reduce(op, onto(ins, b)[0]!, axes, outDtype);
  return fromStorage(storage, outShape, outDtype);
}

function finish(out: Tensor, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  return keepdim ? reshape(out, keepdimShape(x.shape, axes)) : out;
}

/** Sum over `dim` (one, several, or all when omitted). Ints and bools sum to int32. */
export const sum = checked('sum', REDUCE, sumImpl);

function sumImpl(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const axes = normalizeDims('sum', dim, x.ndim);
  const outDtype = isFloat(x.dtype) ? x.dtype : 'int32';
  const out = record(reduceRaw('sum', x, axes, outDtype), 'sum', [x], { axes });
  return finish(out, x, axes, keepdim);
}

export const mean = checked('mean', REDUCE, meanImpl);

function meanImpl(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const axes = normalizeDims('mean', dim, x.ndim);
  const count = numelOf(axes.map((d) => x.shape[d]!));
  const s = sum(isFloat(x.dtype) ? x : x.to('float32'), axes, keepdim);
  return div(s, count);
}

/** Largest value over `dim` (values only, like `torch.amax`); ties share the gradient. */
export const max = checked('max', REDUCE, maxImpl);

function maxImpl(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const axes = normalizeDims('max', dim, x.ndim);
  const out = record(reduceRaw('max', x, axes, x.dtype), 'max', [x], { axes });
  return finish(out, x, axes, keepdim);
}

export const min = checked('min', REDUCE, minImpl);

function minImpl(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const axes = normalizeDims('min', dim, x.ndim);
  const out = record(reduceRaw('min', x, axes, x.dtype), 'min', [x], { axes });
  return finish(out, x, axes, keepdim);
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (dim === undefined) {
    const flat = reshape(x, [x.numel]);
    const out = reduceRaw(op, flat, [0], 'int32');
    return keepdim ? reshape(out, x.shape.map(() => 1)) : out;
  }
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0) return reduceRaw(op, reshape(x, [1]), [0], 'int32');
  return finish(reduceRaw(op, x, [d], 'int32'), x, [d], keepdim);
}

/** Index of the largest value along `dim` (of the flattened tensor when omitted), int32. */
export const argmax = checked('argmax', ARG_REDUCE, (x: Tensor, dim?: number | null, keepdim = false) => argReduce('argmax', x, dim ?? undefined, keepdim));
export const argmin = checked('argmin', ARG_REDUCE, (x: Tensor, dim?: number | null, keepdim = false) => argReduce('argmin', x, dim ?? undefined, keepdim));

/** log Σ exp(x) over `dim`, computed with the max subtracted so it never overflows. */
export const logSumExp = checked('logSumExp', REDUCE, logSumExpImpl);

function logSumExpImpl(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor {
  const axes = normalizeDims('logSumExp', dim, x.ndim);
  const input = isFloat(x.dtype) ? x : x.to(floatResult(x.dtype));
  const out = record(reduceRaw('logSumExp', input, axes, input.dtype), 'logSumExp', [input], { axes });
  return finish(out, x, axes, keepdim);
}

/** Variance with Bessel's correction by default (`correction: 1`), like `torch.var`. */
export const variance = checked('var', [['input', tensor()], ['dim', dimsSpec()], ['options', options({ correction: finite(), keepdim: bool() })]], varianceImpl);

function varianceImpl(x: Tensor, dim?: number | number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  const { correction = 1, keepdim = false } = opts;
  const axes = normalizeDims('var', dim, x.ndim);
  const n = numelOf(axes.map((d) => x.shape[d]!));
  const xf = isFloat(x.dtype) ? x : x.to('float32');
  const centred = sub(xf, mean(xf, axes, true));
  return div(sum(square(centred), axes, keepdim), Math.max(0, n - correction));
}

