import { DTypeError, ShapeError, Tensor, ValueError, broadcastShapes, type FloatDType } from '@tsgrad/tensor';

/*
 * Argument checks shared by the losses. Every loss runs all of its checks before it
 * builds any graph, and every message names the function, the argument, what was
 * expected and what arrived (DESIGN.md, principle 8).
 */

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function describe(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} Tensor of shape ${fmtShape(value.shape)}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `'${value}'` : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Rejects option keys the loss does not know (a typo such as `label_smoothing` would otherwise be ignored). */
export function checkOptionKeys(fn: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`${fn}: argument 'options' expected an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ValueError(`${fn}: unknown option '${key}', expected one of ${known.map((k) => `'${k}'`).join(', ')}`);
    }
    // null never means "the default" (PyTorch's None does for some options, but a silent
    // 'mean' for `reduction: null` hides a bug): leave the option out instead.
    if ((options as Record<string, unknown>)[key] === null) {
      throw new ValueError(`${fn}: argument '${key}' expected a value or undefined (left out for the default), got null`);
    }
  }
}

/**
 * A fixed loss coefficient given to a module's constructor: a finite number or a 0-d
 * floating point Tensor, at least `min`. Checked at construction so a bad value fails
 * where it was written, not at the first forward.
 */
export function checkConstructionScalar(fn: string, arg: string, value: unknown, min = -Infinity): ScalarLike {
  const bound = Number.isFinite(min) ? ` >= ${min}` : '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < min) throw new ValueError(`${fn}: argument '${arg}' expected a finite number${bound}, got ${value}`);
    return value;
  }
  const t = checkFloatTensor(fn, arg, value, 'a number or a 0-d floating point Tensor');
  if (t.ndim !== 0) throw new ShapeError(`${fn}: argument '${arg}' expected a number or a 0-d Tensor, got shape ${fmtShape(t.shape)}`);
  const v = t.item();
  if (!Number.isFinite(v) || v < min) throw new ValueError(`${fn}: argument '${arg}' expected a finite value${bound}, got ${v}`);
  return t;
}

export function checkTensor(fn: string, arg: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new DTypeError(`${fn}: argument '${arg}' expected a Tensor, got ${describe(value)}`);
  return value;
}

/** A floating point tensor (the loss input, or a float target, weight, …). */
export function checkFloatTensor(fn: string, arg: string, value: unknown, what = 'a floating point Tensor'): Tensor & { dtype: FloatDType } {
  const t = checkTensor(fn, arg, value);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') {
    throw new DTypeError(`${fn}: argument '${arg}' expected ${what} (float32 or float64), got dtype ${t.dtype}`);
  }
  return t as Tensor & { dtype: FloatDType };
}

export function checkSameShape(fn: string, input: Tensor, target: Tensor, targetArg = 'target'): void {
  const a = input.shape;
  const b = target.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new ShapeError(`${fn}: argument '${targetArg}' expected the shape of input ${fmtShape(a)}, got ${fmtShape(b)}`);
  }
}

/** A per-class vector (class weights, per-class alpha): float, shape [C]. */
export function checkClassVector(fn: string, arg: string, value: unknown, numClasses: number): Tensor {
  const t = checkFloatTensor(fn, arg, value);
  if (t.ndim !== 1 || t.shape[0] !== numClasses) {
    throw new ShapeError(`${fn}: argument '${arg}' expected shape [${numClasses}] (one value per class, C = ${numClasses}), got ${fmtShape(t.shape)}`);
  }
  return t;
}

/** A float tensor that broadcasts to `shape` without changing it (BCE weights). */
export function checkBroadcastsTo(fn: string, arg: string, value: unknown, shape: readonly number[], hint = ''): Tensor {
  const t = checkFloatTensor(fn, arg, value);
  let ok = t.ndim <= shape.length;
  if (ok) {
    try {
      const out = broadcastShapes(fn, t.shape, shape);
      ok = out.length === shape.length && out.every((d, i) => d === shape[i]);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new ShapeError(`${fn}: argument '${arg}' expected a shape that broadcasts to input ${fmtShape(shape)}${hint}, got ${fmtShape(t.shape)}`);
  }
  return t;
}

/** A finite JS number, optionally an integer and inside [min, max]. */
export function checkNumber(fn: string, arg: string, value: unknown, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  const { min, max, integer = false } = range;
  const kind = integer ? 'an integer' : 'a finite number';
  if (typeof value !== 'number') throw new ValueError(`${fn}: argument '${arg}' expected ${kind}, got ${describe(value)}`);
  const inRange = (min === undefined || value >= min) && (max === undefined || value <= max);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || !inRange) {
    const bounds = min !== undefined || max !== undefined ? ` in [${min ?? '-inf'}, ${max ?? 'inf'}]` : '';
    throw new ValueError(`${fn}: argument '${arg}' expected ${kind}${bounds}, got ${value}`);
  }
  return value;
}

/** A loss coefficient such as gamma: a JS number or a 0-d float tensor (which may require grad). */
export type ScalarLike = number | Tensor;

/**
 * Checks a scalar coefficient and returns it ready for use with an input of `dtype`:
 * numbers stay numbers (weak scalars), tensors are cast to the input's dtype (the cast
 * is recorded, so a float32 trainable gamma still receives its gradient).
 */
export function checkScalar(fn: string, arg: string, value: unknown, dtype: FloatDType, min?: number): ScalarLike {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (min !== undefined && value < min)) {
      throw new ValueError(`${fn}: argument '${arg}' expected a finite number${min !== undefined ? ` >= ${min}` : ''}, got ${value}`);
    }
    return value;
  }
  if (!(value instanceof Tensor)) throw new DTypeError(`${fn}: argument '${arg}' expected a number or a 0-d Tensor, got ${describe(value)}`);
  const t = checkFloatTensor(fn, arg, value, 'a number or a 0-d floating point Tensor');
  if (t.ndim !== 0) throw new ShapeError(`${fn}: argument '${arg}' expected a number or a 0-d Tensor, got shape ${fmtShape(t.shape)}`);
  const v = t.item();
  if (!Number.isFinite(v) || (min !== undefined && v < min)) {
    throw new ValueError(`${fn}: argument '${arg}' expected a finite value${min !== undefined ? ` >= ${min}` : ''}, got ${v}`);
  }
  return t.to(dtype);
}
