/*
 * Reference helpers for the forward-value tests (elementwise, reduce, indexing, matmul,
 * shape). Test-only: not exported from the package.
 *
 * They are deliberately independent of the library under test: every reference value is
 * computed with plain loops over Float64Arrays, never with tsgrad's ops or kernels. The
 * library is touched only to BUILD inputs — `tensor(...)` from a flat buffer, and
 * `.permute`, `.slice`, `.unsqueeze`/`.expand` to turn that buffer into the
 * non-contiguous views the tests feed to the op under test.
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '@tsgrad/testing';
import { Tensor, tensor, type DType } from '../index.js';

/** A reference array: a row-major float64 buffer and its shape. */
export interface Ref { shape: number[]; data: Float64Array }

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (contiguous) strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Calls fn(multiIndex, flatRowMajorIndex) for every element of `shape`. */
export function forEachIndex(shape: readonly number[], fn: (idx: number[], flat: number) => void): void {
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Seeded values uniform in [lo, hi), or integers in [lo, hi] when `integers`. */
export function randomRef(shape: readonly number[], seed: number, lo: number, hi: number, integers = false): Ref {
  const r = mulberry32(seed);
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = integers ? Math.floor(lo + r() * (hi - lo + 1)) : lo + r() * (hi - lo);
  return { shape: [...shape], data };
}

/** The values a tensor of `dtype` holds for `ref` (float32 rounds; other dtypes keep the ref as is). */
export function roundTo(ref: Ref, dtype: DType): Ref {
  if (dtype !== 'float32') return ref;
  return { shape: ref.shape, data: ref.data.map((v) => Math.fround(v)) };
}

/** |actual − expected| ≤ atol + rtol·|expected| elementwise; NaN must match NaN and ±Infinity itself. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) throw new Error(`${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/** A contiguous tensor holding `ref`. */
export const make = (ref: Ref, dtype: DType): Tensor => tensor(ref.data, { shape: ref.shape, dtype });

/** A non-contiguous view whose logical values are `ref`: phys.permute(q). */
export function permutedView(ref: Ref, q: readonly number[], dtype: DType): Tensor {
  const S = ref.shape;
  const P = new Array<number>(S.length);
  q.forEach((p, i) => (P[p] = S[i]!));
  const ps = stridesOf(P);
  const phys = new Float64Array(ref.data.length);
  forEachIndex(S, (idx, flat) => {
    let off = 0;
    for (let i = 0; i < idx.length; i++) off += idx[i]! * ps[q[i]!]!;
    phys[off] = ref.data[flat]!;
  });
  return tensor(phys, { shape: P, dtype }).permute(q);
}

/** A view taking every second element (from offset 1) along `dim` of a padded buffer full of junk. */
export function steppedView(ref: Ref, dim: number, dtype: DType): Tensor {
  const S = ref.shape;
  const P = S.map((s, i) => (i === dim ? 2 * s + 1 : s));
  const ps = stridesOf(P);
  const phys = new Float64Array(numel(P)).fill(dtype === 'int32' ? 77 : dtype === 'bool' ? 1 : 1e30);
  forEachIndex(S, (idx, flat) => {
    let off = 0;
    for (let i = 0; i < idx.length; i++) off += (i === dim ? 2 * idx[i]! + 1 : idx[i]!) * ps[i]!;
    phys[off] = ref.data[flat]!;
  });
  return tensor(phys, { shape: P, dtype }).slice(dim, 1, undefined, 2);
}

/** The same values laid out several ways; `expanded` changes the logical shape (and ref) to [2, ...shape]. */
export function layouts(ref: Ref, dtype: DType): { name: string; t: Tensor; ref: Ref }[] {
  const nd = ref.shape.length;
  const out = [{ name: 'contiguous', t: make(ref, dtype), ref }];
  if (nd >= 2) {
    const q = ref.shape.map((_, i) => i);
    [q[nd - 2], q[nd - 1]] = [q[nd - 1]!, q[nd - 2]!];
    out.push({ name: 'transposed', t: permutedView(ref, q, dtype), ref });
  }
  if (nd >= 3) out.push({ name: 'permuted', t: permutedView(ref, ref.shape.map((_, i) => nd - 1 - i), dtype), ref });
  if (nd >= 1) {
    out.push({ name: 'sliced last dim step 2', t: steppedView(ref, nd - 1, dtype), ref });
    out.push({ name: 'sliced dim 0 step 2', t: steppedView(ref, 0, dtype), ref });
  }
  const big: Ref = { shape: [2, ...ref.shape], data: new Float64Array(2 * ref.data.length) };
  big.data.set(ref.data, 0);
  big.data.set(ref.data, ref.data.length);
  out.push({ name: 'expanded', t: make(ref, dtype).unsqueeze(0).expand([2, ...ref.shape]), ref: big });
  return out;
}

/** Shapes of up to `maxDims` dims, each of size 1..`maxSize` (never 0). */
export const arbShape = (maxDims = 4, maxSize = 4) => fc.array(fc.integer({ min: 1, max: maxSize }), { maxLength: maxDims });

/** Whether two shapes broadcast under NumPy rules (trailing dims equal, or one of them 1). */
export function broadcastable(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i]!;
    const y = b[b.length - i]!;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** The NumPy broadcast shape of `shapes` (assumed broadcastable), trailing dims aligned. */
export function broadcastRef(shapes: readonly (readonly number[])[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) s.forEach((d, i) => { if (d !== 1) out[nd - s.length + i] = d; });
  return out;
}

/** out[i0, …] = x[i_perm[0], …]: the reference of x.permute(perm). */
export function permuteRef(x: Ref, perm: readonly number[]): Ref {
  const shape = perm.map((p) => x.shape[p]!);
  const st = stridesOf(x.shape);
  const data = new Float64Array(x.data.length);
  forEachIndex(shape, (idx, flat) => {
    let off = 0;
    for (let i = 0; i < idx.length; i++) off += idx[i]! * st[perm[i]!]!;
    data[flat] = x.data[off]!;
  });
  return { shape, data };
}

/** Keeps the positions `indices` of `dim`, in that order. */
export function takeRef(x: Ref, dim: number, indices: readonly number[]): Ref {
  const shape = x.shape.map((s, i) => (i === dim ? indices.length : s));
  const st = stridesOf(x.shape);
  const data = new Float64Array(numel(shape));
  forEachIndex(shape, (idx, flat) => {
    let off = 0;
    for (let i = 0; i < idx.length; i++) off += (i === dim ? indices[idx[i]!]! : idx[i]!) * st[i]!;
    data[flat] = x.data[off]!;
  });
  return { shape, data };
}
