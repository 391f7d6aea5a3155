import { allocTyped, isFloat, type DType, type TypedArray } from './dtype.js';
import { DTypeError, ValueError } from './errors.js';
import { numelOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';
import { fromTypedArray } from './ops/dispatch.js';
import { filled } from './ops/fill.js';
import { nextFloat32, nextFloat64, nextInt, nextNormal } from './random.js';
import {
  any, bool, checked, checkSize, dtype as dtypeSpec, finite, int, number, optional, options, shape as shapeSpec, tensor as tensorSpec,
  validateArgs, type ArgSpec, type Spec,
} from './validate/index.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Data = number | boolean | NestedData[] | ArrayBufferView;
type NestedData = number | boolean | NestedData[];

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const TENSOR_OPTIONS: Spec = options({ dtype: dtypeSpec(), requiresGrad: bool() });

/**
 * The dtype the options ask for (or `fallback`), with `requiresGrad` checked against it
 * before anything is allocated or drawn from the generator.
 */
function resolveDType(op: string, opts: TensorOptions | undefined, fallback: DType): DType {
  const dtype = opts?.dtype ?? fallback;
  if (opts?.requiresGrad && !isFloat(dtype)) {
    throw new DTypeError(`${op}: argument 'requiresGrad' expected a floating point dtype (float32 or float64), got ${dtype}`);
  }
  return dtype;
}

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Why `v` cannot be stored in `dtype` without a cast (null when it can). */
function unrepresentable(v: number, dtype: DType): string | null {
  if (dtype === 'int32') {
    if (!Number.isFinite(v)) return 'finite values for an int32 tensor';
    if (!Number.isInteger(v)) return "integers for an int32 tensor (fractions are not truncated silently: create a float tensor and call .to('int32'))";
    if (v < INT32_MIN || v > INT32_MAX) return `values in the int32 range [${INT32_MIN}, ${INT32_MAX}]`;
  } else if (dtype === 'bool') {
    if (v !== 0 && v !== 1) return "0 or 1 (or true/false) for a bool tensor (create a numeric tensor and compare, e.g. .ne(0), to get a mask)";
  }
  return null;
}

/** The dtype a typed array converts to by value: see `tensor`. */
function dtypeOfTyped(op: string, a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array || a instanceof Int16Array || a instanceof Int8Array || a instanceof Uint16Array || a instanceof Uint32Array || a instanceof Uint8ClampedArray) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  const name = a.constructor.name;
  if (name === 'Float16Array') return 'float32';
  throw new DTypeError(
    `${op}: argument 'data' expected a number, a boolean, nested arrays or a Float32Array, Float64Array, Float16Array, Int32Array, Int16Array, Int8Array, Uint32Array, Uint16Array, Uint8Array or Uint8ClampedArray, got a ${name}`,
  );
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

/**
 * Flattens nested arrays, checking that every level has the length the first row had.
 * Returns whether every element was a boolean (then the default dtype is bool).
 */
function flattenNested(data: NestedData, shape: number[], out: number[]): boolean {
  let sawBool = false;
  let sawNumber = false;
  const walk = (v: NestedData, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (Array.isArray(v)) {
        throw new ValueError(`tensor: argument 'data' is ragged: at [${path.join(', ')}] expected a number, got an array of length ${v.length}`);
      }
      if (typeof v === 'boolean') {
        sawBool = true;
        out.push(v ? 1 : 0);
      } else if (typeof v === 'number') {
        sawNumber = true;
        out.push(v);
      } else throw new ValueError(`tensor: argument 'data' at [${path.join(', ')}] expected a number or boolean, got ${typeof v}`);
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
  return sawBool && !sawNumber;
}

/** Copies `values` into a typed array of `dtype`, rejecting any value the dtype cannot hold. */
function toTyped(values: ArrayLike<number | bigint>, dtype: DType, op: string, arg = 'data'): TypedArray {
  const out = allocTyped(dtype, values.length);
  const checkValues = dtype === 'int32' || dtype === 'bool';
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]!);
    if (checkValues) {
      const why = unrepresentable(v, dtype);
      if (why) throw new ValueError(`${op}: argument '${arg}' expected ${why}, got ${v} at element ${i}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Creates a tensor from nested arrays, a number/boolean, or a typed array (1-d, or
 * reshaped by `shape`). Numbers default to float32 and all-boolean data to bool: pass
 * `{ dtype: 'int32' }` for class labels. Typed arrays convert by value: Float32Array →
 * float32, Float64Array → float64, Int32Array/Int16Array/Int8Array/Uint32Array/
 * Uint16Array/Uint8ClampedArray → int32, Uint8Array → bool (0/1 only), Float16Array →
 * float32; BigInt arrays and DataView are rejected.
 *
 * Values the dtype cannot represent are a `ValueError`, never wrapped or rounded: a
 * fraction, ±Infinity, NaN or a value outside [−2³¹, 2³¹ − 1] into int32, anything but
 * 0/1 into bool. Convert explicitly with `.to('int32')` (which truncates, like PyTorch's
 * cast) when that is what you mean.
 */
export const tensor = checked(
  'tensor',
  [['data', any('a number, a boolean, nested arrays or a typed array')], ['options', options({ dtype: dtypeSpec(), requiresGrad: bool(), shape: any() })]],
  tensorImpl,
);

function tensorImpl(data: Data, opts?: TensorOptions & { shape?: readonly number[] }): Tensor {
  let flat: ArrayLike<number>;
  let shape: number[];
  let inferred: DType;
  if (ArrayBuffer.isView(data)) {
    inferred = dtypeOfTyped('tensor', data);
    flat = data as unknown as ArrayLike<number>;
    shape = [flat.length];
  } else {
    if (typeof data !== 'number' && typeof data !== 'boolean' && !Array.isArray(data)) {
      throw new ValueError(`tensor: argument 'data' expected a number, a boolean, nested arrays or a typed array, got ${data === null ? 'null' : typeof data}`);
    }
    shape = inferShape(data as NestedData);
    const values: number[] = [];
    const allBool = flattenNested(data as NestedData, shape, values);
    flat = values;
    inferred = allBool ? 'bool' : 'float32';
  }
  checkSize('tensor', shape, 'data shape');
  if (opts?.shape !== undefined) {
    validateArgs('tensor', [['shape', shapeSpec()]], [opts.shape]);
    const target = [...opts.shape];
    if (numelOf(target) !== flat.length) {
      throw new ValueError(`tensor: argument 'shape' [${target.join(', ')}] needs ${numelOf(target)} elements, data has ${flat.length}`);
    }
    shape = target;
  }
  const dtype = resolveDType('tensor', opts, inferred);
  // Always copy: a tensor never aliases the caller's array.
  const typed = toTyped(flat, dtype, 'tensor');
  return finish(fromTypedArray(typed, shape, dtype), opts);
}

const FULL: readonly ArgSpec[] = [['shape', shapeSpec()], ['value', number()], ['options', TENSOR_OPTIONS]];
const SHAPE_ONLY: readonly ArgSpec[] = [['shape', shapeSpec()], ['options', TENSOR_OPTIONS]];
const LIKE: readonly ArgSpec[] = [['input', tensorSpec()], ['options', TENSOR_OPTIONS]];
const FULL_LIKE: readonly ArgSpec[] = [['input', tensorSpec()], ['value', number()], ['options', TENSOR_OPTIONS]];

/** `full` reporting errors under the name the user called (zeros, onesLike, …). */
function fullAs(op: string, shape: readonly number[], value: number, opts: TensorOptions | undefined, fallback: DType = 'float32'): Tensor {
  const dtype = resolveDType(op, opts, fallback);
  const why = unrepresentable(value, dtype);
  if (why) throw new ValueError(`${op}: argument 'value' expected ${why}, got ${value}`);
  return finish(filled([...shape], value, dtype), opts);
}

/** A tensor of `shape` filled with `value` (float32 unless `dtype`; the value must be representable in it). */
export const full = checked('full', FULL, (shape: readonly number[], value: number, opts?: TensorOptions) => fullAs('full', shape, value, opts));
export const zeros = checked('zeros', SHAPE_ONLY, (shape: readonly number[], opts?: TensorOptions) => fullAs('zeros', shape, 0, opts));
export const ones = checked('ones', SHAPE_ONLY, (shape: readonly number[], opts?: TensorOptions) => fullAs('ones', shape, 1, opts));
export const zerosLike = checked('zerosLike', LIKE, (t: Tensor, opts?: TensorOptions) => fullAs('zerosLike', t.shape, 0, opts, t.dtype));
export const onesLike = checked('onesLike', LIKE, (t: Tensor, opts?: TensorOptions) => fullAs('onesLike', t.shape, 1, opts, t.dtype));
export const fullLike = checked('fullLike', FULL_LIKE, (t: Tensor, value: number, opts?: TensorOptions) => fullAs('fullLike', t.shape, value, opts, t.dtype));

/**
 * [start, end) in steps (`arange(n)` = 0…n−1); int32 when every argument is an integer
 * (a ValueError if a value would leave the int32 range: pass `{ dtype: 'float64' }`).
 * bool is not an arange dtype.
 */
export const arange = checked(
  'arange',
  [['start', finite()], ['end', optional(finite())], ['step', optional(finite())], ['options', TENSOR_OPTIONS]],
  arangeImpl,
);

function arangeImpl(start: number, end?: number, step = 1, opts?: TensorOptions): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new ValueError("arange: argument 'step' must be non-zero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkSize('arange', [n]);
  const dtype = resolveDType('arange', opts, [start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  if (dtype === 'bool') throw new DTypeError("arange: argument 'dtype' expected float32, float64 or int32, got bool");
  if (dtype === 'int32' && n > 0) {
    // Every value is start + i·step: checking the first, the second and the last covers them all.
    for (const i of [0, Math.min(1, n - 1), n - 1]) {
      const why = unrepresentable(start + i * step, 'int32');
      if (why) throw new ValueError(`arange: expected ${why}, got ${start + i * step} (element ${i}); pass { dtype: 'float64' } for such values`);
    }
  }
  const out = allocTyped(dtype, n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return finish(fromTypedArray(out, [n], dtype), opts);
}

/** `steps` evenly spaced values from start to end inclusive (int32/bool only when every value is representable). */
export const linspace = checked(
  'linspace',
  [['start', finite()], ['end', finite()], ['steps', int({ min: 0, max: 2 ** 31 - 1 })], ['options', TENSOR_OPTIONS]],
  linspaceImpl,
);

function linspaceImpl(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  const dtype = resolveDType('linspace', opts, 'float32');
  const values = new Float64Array(steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends (as PyTorch does) so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) values[i] = i < half ? start + delta * i : end - delta * (steps - 1 - i);
  const out = isFloat(dtype) ? (dtype === 'float64' ? values : Float32Array.from(values)) : toTyped(values, dtype, 'linspace', 'start');
  return finish(fromTypedArray(out, [steps], dtype), opts);
}

/** n×m identity (m = n by default). */
export const eye = checked('eye', [['n', int({ min: 0 })], ['m', optional(int({ min: 0 }))], ['options', TENSOR_OPTIONS]], eyeImpl);

function eyeImpl(n: number, m = n, opts?: TensorOptions): Tensor {
  checkSize('eye', [n, m]);
  const dtype = resolveDType('eye', opts, 'float32');
  const out = allocTyped(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) out[i * m + i] = 1;
  return finish(fromTypedArray(out, [n, m], dtype), opts);
}

function randomFloat(op: string, shape: readonly number[], opts: TensorOptions | undefined, draw: (dtype: DType) => number): Tensor {
  const dtype = resolveDType(op, opts, 'float32');
  if (!isFloat(dtype)) throw new DTypeError(`${op}: argument 'dtype' expected float32 or float64, got ${dtype}`);
  const out = allocTyped(dtype, numelOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = draw(dtype);
  return finish(fromTypedArray(out, [...shape], dtype), opts);
}

/** Uniform [0, 1), from the seeded global generator. */
export const rand = checked('rand', SHAPE_ONLY, (shape: readonly number[], opts?: TensorOptions) =>
  randomFloat('rand', shape, opts, (d) => (d === 'float32' ? nextFloat32() : nextFloat64())));

/** Standard normal, from the seeded global generator. */
export const randn = checked('randn', SHAPE_ONLY, (shape: readonly number[], opts?: TensorOptions) => randomFloat('randn', shape, opts, () => nextNormal()));

/**
 * Uniform integers in [low, high), int32 by default. For int32 the range must lie in
 * [−2³¹, 2³¹]; for bool in [0, 2]. Every check runs before the generator is advanced.
 */
export const randint = checked(
  'randint',
  [['low', int()], ['high', int()], ['shape', shapeSpec()], ['options', TENSOR_OPTIONS]],
  randintImpl,
);

function randintImpl(low: number, high: number, shape: readonly number[], opts?: TensorOptions): Tensor {
  if (high <= low) {
    throw new ValueError(`randint: arguments 'low' and 'high' expected integers with low < high, got ${low} and ${high}`);
  }
  const dtype = resolveDType('randint', opts, 'int32');
  const [lo, hi] = dtype === 'bool' ? [0, 2] : dtype === 'int32' ? [INT32_MIN, INT32_MAX + 1] : [-(2 ** 53), 2 ** 53];
  if (low < lo || high > hi) {
    throw new ValueError(`randint: arguments 'low' and 'high' expected a range inside [${lo}, ${hi}] for dtype ${dtype}, got ${low} and ${high}`);
  }
  const out = allocTyped(dtype, numelOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = nextInt(low, high);
  return finish(fromTypedArray(out, [...shape], dtype), opts);
}

export type { NestedArray };
