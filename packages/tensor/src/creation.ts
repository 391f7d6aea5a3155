import { allocTyped, assertDType, isFloat, type DType, type TypedArray } from './dtype.js';
import { DTypeError, ValueError } from './errors.js';
import { checkShapeArg, numelOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';
import { fromTypedArray } from './ops/dispatch.js';
import { filled } from './ops/fill.js';
import { nextFloat32, nextFloat64, nextInt, nextNormal } from './random.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Data = number | boolean | NestedData[] | TypedArray;
type NestedData = number | boolean | NestedData[];

function dtypeOfTyped(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

function finish(t: Tensor, opts: TensorOptions | undefined, op: string): Tensor {
  if (opts?.requiresGrad) {
    if (!isFloat(t.dtype)) {
      throw new DTypeError(`${op}: argument 'requiresGrad' expected a floating point dtype (float32 or float64), got ${t.dtype}`);
    }
    t.requiresGrad = true;
  }
  return t;
}

function checkOpts(op: string, opts: TensorOptions | undefined): DType | undefined {
  if (opts?.dtype !== undefined) assertDType(op, 'dtype', opts.dtype);
  if (opts?.requiresGrad && opts.dtype !== undefined && !isFloat(opts.dtype)) {
    throw new DTypeError(`${op}: argument 'requiresGrad' expected a floating point dtype (float32 or float64), got ${opts.dtype}`);
  }
  return opts?.dtype;
}

function inferShape(data: NestedData): number[] {
  const shape: number[] = [];
  let cur: NestedData = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

/** Flattens nested arrays, checking that every level has the length the first row had. */
function flattenNested(data: NestedData, shape: number[], out: number[]): boolean {
  let sawBool = false;
  const walk = (v: NestedData, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (Array.isArray(v)) {
        throw new ValueError(`tensor: argument 'data' is ragged: at [${path.join(', ')}] expected a number, got an array of length ${v.length}`);
      }
      if (typeof v === 'boolean') {
        sawBool = true;
        out.push(v ? 1 : 0);
      } else if (typeof v === 'number') out.push(v);
      else throw new ValueError(`tensor: argument 'data' at [${path.join(', ')}] expected a number or boolean, got ${typeof v}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ValueError(
        `tensor: argument 'data' is ragged: at [${path.join(', ')}] expected ${shape[depth]} elements, got ${Array.isArray(v) ? v.length : 'a scalar'}`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i]!, depth + 1, [...path, i]);
  };
  walk(data, 0, []);
  return sawBool;
}

function toTyped(values: ArrayLike<number>, dtype: DType, op: string): TypedArray {
  const out = allocTyped(dtype, values.length);
  if (dtype === 'int32') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) {
        throw new ValueError(`${op}: argument 'data' expected finite values for an int32 tensor, got ${v} at element ${i}`);
      }
      out[i] = v;
    }
  } else if (dtype === 'bool') {
    for (let i = 0; i < values.length; i++) out[i] = values[i] !== 0 ? 1 : 0;
  } else {
    (out as Float64Array).set(values);
  }
  return out;
}

/**
 * Creates a tensor from nested arrays, a number/boolean, or a typed array (1-d, or
 * reshaped by `shape`). Numbers default to float32 and booleans to bool, whatever their
 * values: pass `{ dtype: 'int32' }` for class labels.
 */
export function tensor(data: Data, opts?: TensorOptions & { shape?: readonly number[] }): Tensor {
  const requested = checkOpts('tensor', opts);
  let flat: ArrayLike<number>;
  let shape: number[];
  let inferred: DType;
  if (ArrayBuffer.isView(data)) {
    flat = data as TypedArray;
    shape = [data.length];
    inferred = dtypeOfTyped(data as TypedArray);
  } else {
    shape = inferShape(data as NestedData);
    const values: number[] = [];
    const sawBool = flattenNested(data as NestedData, shape, values);
    flat = values;
    inferred = sawBool ? 'bool' : 'float32';
  }
  if (opts?.shape) {
    const target = checkShapeArg('tensor', opts.shape);
    if (numelOf(target) !== flat.length) {
      throw new ValueError(`tensor: argument 'shape' [${target.join(', ')}] needs ${numelOf(target)} elements, data has ${flat.length}`);
    }
    shape = target;
  }
  const dtype = requested ?? inferred;
  if (opts?.requiresGrad && !isFloat(dtype)) {
    throw new DTypeError(`tensor: argument 'requiresGrad' expected a floating point dtype (float32 or float64), got ${dtype}`);
  }
  // Always copy: a tensor never aliases the caller's array.
  const typed = toTyped(flat, dtype, 'tensor');
  return finish(fromTypedArray(typed, shape, dtype), opts, 'tensor');
}

export function full(shape: readonly number[], value: number, opts?: TensorOptions): Tensor {
  return fullAs('full', shape, value, opts);
}

/** `full` reporting errors under the name the user called (zeros, onesLike, …). */
function fullAs(op: string, shape: readonly number[], value: number, opts?: TensorOptions): Tensor {
  const dtype = checkOpts(op, opts) ?? 'float32';
  const s = checkShapeArg(op, shape);
  if (dtype === 'int32' && !Number.isFinite(value)) {
    throw new ValueError(`${op}: argument 'value' expected a finite number for an int32 tensor, got ${value}`);
  }
  return finish(filled(s, value, dtype), opts, op);
}

export const zeros = (shape: readonly number[], opts?: TensorOptions) => fullAs('zeros', shape, 0, opts);
export const ones = (shape: readonly number[], opts?: TensorOptions) => fullAs('ones', shape, 1, opts);
export const zerosLike = (t: Tensor, opts?: TensorOptions) => fullAs('zerosLike', t.shape, 0, { dtype: t.dtype, ...opts });
export const onesLike = (t: Tensor, opts?: TensorOptions) => fullAs('onesLike', t.shape, 1, { dtype: t.dtype, ...opts });
export const fullLike = (t: Tensor, value: number, opts?: TensorOptions) => fullAs('fullLike', t.shape, value, { dtype: t.dtype, ...opts });

/** [start, end) in steps (`arange(n)` = 0…n−1); int32 when every argument is an integer. */
export function arange(start: number, end?: number, step = 1, opts?: TensorOptions): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  for (const [name, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (!Number.isFinite(v)) throw new ValueError(`arange: argument '${name}' expected a finite number, got ${v}`);
  }
  if (step === 0) throw new ValueError("arange: argument 'step' must be non-zero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = checkOpts('arange', opts) ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  const out = allocTyped(dtype, n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return finish(fromTypedArray(out, [n], dtype), opts, 'arange');
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: argument 'steps' expected a non-negative integer, got ${steps}`);
  const dtype = checkOpts('linspace', opts) ?? 'float32';
  const out = allocTyped(dtype, steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends (as PyTorch does) so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? start + delta * i : end - delta * (steps - 1 - i);
  return finish(fromTypedArray(out, [steps], dtype), opts, 'linspace');
}

/** n×m identity (m = n by default). */
export function eye(n: number, m = n, opts?: TensorOptions): Tensor {
  const s = checkShapeArg('eye', [n, m]);
  const dtype = checkOpts('eye', opts) ?? 'float32';
  const out = allocTyped(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) out[i * m + i] = 1;
  return finish(fromTypedArray(out, s, dtype), opts, 'eye');
}

function randomFloat(op: string, shape: readonly number[], opts: TensorOptions | undefined, draw: (dtype: DType) => number): Tensor {
  const s = checkShapeArg(op, shape);
  const dtype = checkOpts(op, opts) ?? 'float32';
  if (!isFloat(dtype)) throw new DTypeError(`${op}: argument 'dtype' expected float32 or float64, got ${dtype}`);
  const out = allocTyped(dtype, numelOf(s));
  for (let i = 0; i < out.length; i++) out[i] = draw(dtype);
  return finish(fromTypedArray(out, s, dtype), opts, op);
}

/** Uniform [0, 1), from the seeded global generator. */
export const rand = (shape: readonly number[], opts?: TensorOptions) =>
  randomFloat('rand', shape, opts, (d) => (d === 'float32' ? nextFloat32() : nextFloat64()));

/** Standard normal, from the seeded global generator. */
export const randn = (shape: readonly number[], opts?: TensorOptions) => randomFloat('randn', shape, opts, () => nextNormal());

/** Uniform integers in [low, high), int32 by default. */
export function randint(low: number, high: number, shape: readonly number[], opts?: TensorOptions): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`randint: arguments 'low' and 'high' expected integers with low < high, got ${low} and ${high}`);
  }
  const s = checkShapeArg('randint', shape);
  const dtype = checkOpts('randint', opts) ?? 'int32';
  const out = allocTyped(dtype, numelOf(s));
  for (let i = 0; i < out.length; i++) out[i] = nextInt(low, high);
  return finish(fromTypedArray(out, s, dtype), opts, 'randint');
}

export type { NestedArray };
