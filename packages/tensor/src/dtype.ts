import { DTypeError } from './errors.js';

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export type FloatDType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array;

export function typedArrayCtor(dtype: DType) {
  switch (dtype) {
    case 'float32':
      return Float32Array;
    case 'float64':
      return Float64Array;
    case 'int32':
      return Int32Array;
    case 'bool':
      return Uint8Array;
  }
}

export function allocTyped(dtype: DType, size: number): TypedArray {
  return new (typedArrayCtor(dtype))(size);
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function assertDType(op: string, arg: string, value: unknown): DType {
  if (value === 'float32' || value === 'float64' || value === 'int32' || value === 'bool') return value;
  throw new DTypeError(`${op}: argument '${arg}' expected one of float32, float64, int32, bool, got ${String(value)}`);
}

/** Rank in the promotion lattice bool < int32 < float32 < float64. */
const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Type promotion of two tensors (PyTorch's category rules for our four dtypes). */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * A JS number is a *weak* scalar: it never upcasts a tensor of its own category.
 * float tensor + any number keeps the tensor's dtype; an int/bool tensor meets a
 * fractional number → float32 (the default float), an integral number → int32.
 */
export function promoteWithScalar(t: DType, value: number | boolean): DType {
  if (isFloat(t)) return t;
  if (typeof value === 'boolean') return t;
  if (!Number.isInteger(value)) return 'float32';
  return t === 'bool' ? 'int32' : t;
}

/** The dtype a scalar literal gets when it must become a tensor on its own. */
export function scalarDType(value: number | boolean): DType {
  if (typeof value === 'boolean') return 'bool';
  return Number.isInteger(value) ? 'int32' : 'float32';
}

/** Result dtype of a float-only function (exp, log, …): ints and bools become float32. */
export function floatResult(dtype: DType): FloatDType {
  return isFloat(dtype) ? dtype : 'float32';
}
