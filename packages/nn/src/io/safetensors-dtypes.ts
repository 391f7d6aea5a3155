/*
 * The element types of the safetensors format and how each maps onto tsgrad's four
 * dtypes. Writing uses F32/F64/I32/BOOL only. Reading also accepts the types that
 * convert without losing anything (F16 and BF16 widen exactly to float32; small
 * integers widen to int32), and 64/32-bit unsigned and 64-bit integers when every
 * value fits in int32 — PyTorch stores class labels and BatchNorm's
 * `num_batches_tracked` as int64, and tsgrad has no int64.
 */
import type { DType, TypedArray } from '@tsgrad/tensor';

/** The dtypes tsgrad writes, by tsgrad dtype. */
export const WRITTEN_DTYPE: Readonly<Record<DType, 'F32' | 'F64' | 'I32' | 'BOOL'>> = {
  float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL',
};

/**
 * HF's writer orders tensors by dtype (widest first) and then name, so every tensor
 * starts at a multiple of its element size once the data begins 8-byte aligned.
 */
export const WRITE_ORDER: Readonly<Record<DType, number>> = { float64: 0, float32: 1, int32: 2, bool: 3 };

interface ReadRule {
  /** Bytes per element in the file. */
  readonly size: number;
  /** The tsgrad dtype it loads as. */
  readonly dtype: DType;
  /**
   * Decodes `count` little-endian elements starting at byte `offset` of `view`.
   * Returns the typed array, or a description of the first value that does not fit.
   */
  decode(view: DataView, offset: number, count: number): TypedArray | { badIndex: number; badValue: string };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies bytes straight into a typed array where the host is little-endian, as every current platform is. */
function copyOrRead<T extends Float32Array | Float64Array | Int32Array>(
  make: (n: number) => T,
  read: (view: DataView, at: number) => number,
  size: number,
): ReadRule['decode'] {
  return (view, offset, count) => {
    const out = make(count);
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset + offset, count * size));
    } else {
      for (let i = 0; i < count; i++) out[i] = read(view, offset + i * size);
    }
    return out;
  };
}

/** IEEE 754 binary16 → float32 (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Scratch.buffer);
/** bfloat16 is the upper half of a float32. */
export function bfloat16ToFloat(bits: number): number {
  bf16Bits[0] = bits << 16;
  return bf16Scratch[0]!;
}

function widenToInt32(size: number, read: (view: DataView, at: number) => number): ReadRule['decode'] {
  return (view, offset, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = read(view, offset + i * size);
    return out;
  };
}

/** Integers that may not fit: every value is range-checked before anything loads. */
function narrowToInt32(size: number, read: (view: DataView, at: number) => number | string): ReadRule['decode'] {
  return (view, offset, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const v = read(view, offset + i * size);
      if (typeof v === 'string') return { badIndex: i, badValue: v };
      out[i] = v;
    }
    return out;
  };
}

const INT32_MAX = 0x7fffffff;

/** A little-endian int64 as a number when it fits in int32, else its decimal text. */
function readInt64(view: DataView, at: number): number | string {
  const lo = view.getUint32(at, true);
  const hi = view.getInt32(at + 4, true);
  if (hi === 0 && lo <= INT32_MAX) return lo;
  if (hi === -1 && lo > INT32_MAX) return lo - 2 ** 32;
  return view.getBigInt64(at, true).toString();
}

function readUint64(view: DataView, at: number): number | string {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi === 0 && lo <= INT32_MAX) return lo;
  return view.getBigUint64(at, true).toString();
}

/** What each safetensors dtype loads as. Anything not listed is rejected by name. */
export const READ_RULES: Readonly<Record<string, ReadRule>> = {
  F32: { size: 4, dtype: 'float32', decode: copyOrRead((n) => new Float32Array(n), (v, at) => v.getFloat32(at, true), 4) },
  F64: { size: 8, dtype: 'float64', decode: copyOrRead((n) => new Float64Array(n), (v, at) => v.getFloat64(at, true), 8) },
  I32: { size: 4, dtype: 'int32', decode: copyOrRead((n) => new Int32Array(n), (v, at) => v.getInt32(at, true), 4) },
  BOOL: {
    size: 1, dtype: 'bool',
    decode: (view, offset, count) => {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint8(offset + i) !== 0 ? 1 : 0;
      return out;
    },
  },
  F16: {
    size: 2, dtype: 'float32',
    decode: (view, offset, count) => Float32Array.from({ length: count }, (_, i) => halfToFloat(view.getUint16(offset + 2 * i, true))),
  },
  BF16: {
    size: 2, dtype: 'float32',
    decode: (view, offset, count) => Float32Array.from({ length: count }, (_, i) => bfloat16ToFloat(view.getUint16(offset + 2 * i, true))),
  },
  I8: { size: 1, dtype: 'int32', decode: widenToInt32(1, (v, at) => v.getInt8(at)) },
  U8: { size: 1, dtype: 'int32', decode: widenToInt32(1, (v, at) => v.getUint8(at)) },
  I16: { size: 2, dtype: 'int32', decode: widenToInt32(2, (v, at) => v.getInt16(at, true)) },
  U16: { size: 2, dtype: 'int32', decode: widenToInt32(2, (v, at) => v.getUint16(at, true)) },
  U32: {
    size: 4, dtype: 'int32',
    decode: narrowToInt32(4, (v, at) => {
      const u = v.getUint32(at, true);
      return u <= INT32_MAX ? u : String(u);
    }),
  },
  I64: { size: 8, dtype: 'int32', decode: narrowToInt32(8, readInt64) },
  U64: { size: 8, dtype: 'int32', decode: narrowToInt32(8, readUint64) },
};

/** For error messages: what loads and as what. */
export const READABLE_DTYPES_TEXT =
  'F32, F64, I32, BOOL (loaded as is), F16 and BF16 (widened exactly to float32), I8, U8, I16, U16 (widened to int32), ' +
  'I64, U64, U32 (to int32 when every value fits)';
