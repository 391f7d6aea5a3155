import type { Backend, BinaryOp, KernelName, ReduceOp, Storage, UnaryOp, View } from '../backend.js';
import { registerBackend } from '../backend.js';
import { allocTyped, type DType, type TypedArray } from '../dtype.js';
import { coalesce, contiguousStrides, isContiguous, numelOf, type Shape } from '../shape.js';
import { binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import { matmulRowsDot } from './matmul.js';
import { planReduce, reduceInner, reduceRows, reduceRun } from './reduce.js';
import { specialize } from './specialize.js';
import { pinShape } from '../memory/pin.js';

/** CPU storage is a typed array; the only backend whose data the host can touch directly. */
export class CpuStorage implements Storage {
  constructor(
    readonly backend: Backend,
    readonly dtype: DType,
    readonly data: TypedArray,
  ) {}
  get size(): number {
    return this.data.length;
  }
}

function dataOf(v: View): TypedArray {
  return (v.storage as CpuStorage).data;
}

/** Copies any strided view into a fresh contiguous typed array (`out` may be supplied). */
function gatherStrided(v: View, out: TypedArray): TypedArray {
  const src = dataOf(v);
  const n = out.length;
  if (n === 0) return out;
  if (isContiguous(v.shape, v.strides)) {
    if (src.constructor === out.constructor) (out as Float64Array).set((src as Float64Array).subarray(v.offset, v.offset + n));
    else for (let i = 0; i < n; i++) out[i] = src[v.offset + i]!;
    return out;
  }
  const c = coalesce(v.shape, [v.strides]);
  unaryKernel('copy', v.dtype, dtypeOfArray(out))(out, src, v.offset, c.shape, c.strides[0]!);
  return out;
}

function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

/** A row-major [rows, cols] matrix at (data, offset) for the 2-D view (rs, cs), packing only if needed. */
function rowMajor(data: TypedArray, off: number, rows: number, cols: number, rs: number, cs: number) {
  if ((cs === 1 || cols === 1) && (rs === cols || rows === 1)) return { data, off };
  const out = new (data.constructor as new (n: number) => TypedArray)(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0, p = off + r * rs; c < cols; c++, p += cs) out[o + c] = data[p]!;
  }
  return { data: out, off: 0 };
}

export class CpuBackend implements Backend {
  readonly name = 'cpu';

  constructor() {
    // Other backends fold constants with this one, creating storages that all die at
    // once: keep one so that V8 keeps their hidden class (../memory/pin.ts).
    pinShape(new CpuStorage(this, 'float32', new Float32Array(0)));
  }

  info() {
    return { mode: 'js', threads: 1 };
  }

  supports(_kernel: KernelName, _dtypes: readonly DType[]): boolean {
    return true;
  }

  supportsDType(_dtype: DType): boolean {
    return true;
  }

  wrap(data: TypedArray, dtype: DType): CpuStorage {
    return new CpuStorage(this, dtype, data);
  }

  fromTypedArray(data: TypedArray, dtype: DType): Storage {
    return this.wrap(data, dtype);
  }

  full(size: number, value: number, dtype: DType): Storage {
    const data = allocTyped(dtype, size);
    if (value !== 0 || Object.is(value, -0)) data.fill(value);
    return this.wrap(data, dtype);
  }

  read(view: View): TypedArray {
    return gatherStrided(view, allocTyped(view.dtype, numelOf(view.shape)));
  }

  dispose(_storage: Storage): void {
    // Typed arrays are garbage-collected.
  }

  copyStrided(src: View, dst: View): void {
    if (dataOf(src) === dataOf(dst) && numelOf(dst.shape) > 1) {
      // Source and destination share an array (`w.assign_(w.T)`, a shifted slice): read the
      // source whole first, as the lazy backends do, or the copy reads what it just wrote.
      const copy = gatherStrided(src, allocTyped(src.dtype, numelOf(src.shape)));
      src = { storage: this.wrap(copy, src.dtype), shape: src.shape, strides: contiguousStrides(src.shape), offset: 0, dtype: src.dtype };
    }
    const c = coalesce(dst.shape, [dst.strides, src.strides]);
    const [ds, ss] = c.strides as [number[], number[]];
    const D = dataOf(dst);
    const S = dataOf(src);
    const nd = c.shape.length;
    const n = numelOf(c.shape);
    if (n === 0) return;
    if (nd === 0) {
      D[dst.offset] = S[src.offset]!;
      return;
    }
    const last = nd - 1;
    const L = c.shape[last]!;
    const sd = ds[last]!;
    const sS = ss[last]!;
    const idx = new Int32Array(nd);
    let pd = dst.offset;
    let ps = src.offset;
    for (let r = 0; r < n / L; r++) {
      for (let j = 0, qd = pd, qs = ps; j < L; j++, qd += sd, qs += sS) D[qd] = S[qs]!;
      for (let d = last - 1; d >= 0; d--) {
        pd += ds[d]!;
        ps += ss[d]!;
        if (++idx[d]! < c.shape[d]!) break;
        pd -= ds[d]! * c.shape[d]!;
        ps -= ss[d]! * c.shape[d]!;
        idx[d] = 0;
      }
    }
  }

  unary(op: UnaryOp, x: View, outDtype: DType): Storage {
    const out = allocTyped(outDtype, numelOf(x.shape));
    const c = coalesce(x.shape, [x.strides]);
    unaryKernel(op, x.dtype, outDtype)(out, dataOf(x), x.offset, c.shape, c.strides[0]!);
    return this.wrap(out, outDtype);
  }

  binary(op: BinaryOp, a: View, b: View, outShape: Shape, outDtype: DType): Storage {
    const out = allocTyped(outDtype, numelOf(outShape));
    const c = coalesce(outShape, [a.strides, b.strides]);
    binaryKernel(op, a.dtype, b.dtype, outDtype)(out, dataOf(a), a.offset, c.strides[0]!, dataOf(b), b.offset, c.strides[1]!, c.shape);
    return this.wrap(out, outDtype);
  }

  where(cond: View, a: View, b: View, outShape: Shape, outDtype: DType): Storage {
    const out = allocTyped(outDtype, numelOf(outShape));
    const c = coalesce(outShape, [cond.strides, a.strides, b.strides]);
    whereKernel(cond.dtype, a.dtype, b.dtype, outDtype)(
      out, dataOf(cond), cond.offset, c.strides[0]!, dataOf(a), a.offset, c.strides[1]!, dataOf(b), b.offset, c.strides[2]!, c.shape,
    );
    return this.wrap(out, outDtype);
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[], outDtype: DType): Storage {
    const outShape = x.shape.filter((_, d) => !axes.includes(d));
    const out = allocTyped(outDtype, numelOf(outShape));
    let data = dataOf(x);
    let offset = x.offset;
    let plan = planReduce(x.shape, x.strides, axes);
    if (!plan) {
      // Reduced dims do not collapse to one strided run (e.g. axes [0, 2], or a strided
      // view): copy with the kept dims first and the reduced dims last, so they do.
      const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
      const perm = [...kept, ...axes];
      const shape = perm.map((d) => x.shape[d]!);
      data = this.read({ storage: x.storage, shape, strides: perm.map((d) => x.strides[d]!), offset: x.offset, dtype: x.dtype });
      offset = 0;
      plan = planReduce(shape, contiguousStrides(shape), axes.map((_, i) => kept.length + i))!;
    }
    const key = `${x.dtype}:${outDtype}`;
    const lastKept = plan.keptStrides.length ? Math.abs(plan.keptStrides[plan.keptStrides.length - 1]!) : Infinity;
    const rowsOrder = (op === 'sum' || op === 'max' || op === 'min') && plan.keptShape.length > 0 && plan.R > 0 && Math.abs(plan.rs) > lastKept;
    if (rowsOrder) specialize(reduceRows, key)(op as 'sum' | 'max' | 'min', data, offset, plan, out);
    else specialize(reduceInner, key, { reduceRun })(op, data, offset, plan, out);
    return this.wrap(out, outDtype);
  }

  matmul(a: View, b: View, outShape: Shape, outDtype: DType): Storage {
    const nd = outShape.length;
    const M = outShape[nd - 2]!;
    const N = outShape[nd - 1]!;
    const K = a.shape[nd - 1]!;
    const batchShape = outShape.slice(0, nd - 2);
    const nb = numelOf(batchShape);
    const C = allocTyped(outDtype, nb * M * N);
    if (C.length === 0) return this.wrap(C, outDtype);
    const A = dataOf(a);
    const B = dataOf(b);
    const ars = a.strides[nd - 2]!, acs = a.strides[nd - 1]!;
    const brs = b.strides[nd - 2]!, bcs = b.strides[nd - 1]!;
    const kernel = specialize(matmulRowsDot, `${a.dtype}:${b.dtype}:${outDtype}`);
    const idx = new Int32Array(batchShape.length);
    let pa = a.offset;
    let pb = b.offset;
    for (let bi = 0; bi < nb; bi++) {
      const Am = rowMajor(A, pa, M, K, ars, acs);
      // Bᵀ as row-major [N, K]: the view b [K, N] read with swapped strides.
      const Bt = rowMajor(B, pb, N, K, bcs, brs);
      kernel(Am.data, Am.off, Bt.data, Bt.off, C, bi * M * N, M, N, K);
      for (let d = batchShape.length - 1; d >= 0; d--) {
        pa += a.strides[d]!;
        pb += b.strides[d]!;
        if (++idx[d]! < batchShape[d]!) break;
        pa -= a.strides[d]! * batchShape[d]!;
        pb -= b.strides[d]! * batchShape[d]!;
        idx[d] = 0;
      }
    }
    return this.wrap(C, outDtype);
  }

  gather(x: View, dim: number, index: View, outDtype: DType): Storage {
    const shape = index.shape;
    const n = numelOf(shape);
    const out = allocTyped(outDtype, n);
    const X = dataOf(x);
    const I = dataOf(index);
    const nd = shape.length;
    const pos = new Int32Array(nd);
    for (let i = 0; i < n; i++) {
      let pi = index.offset;
      let px = x.offset;
      for (let d = 0; d < nd; d++) {
        pi += pos[d]! * index.strides[d]!;
        if (d !== dim) px += pos[d]! * x.strides[d]!;
      }
      out[i] = X[px + I[pi]! * x.strides[dim]!]!;
      for (let d = nd - 1; d >= 0; d--) {
        if (++pos[d]! < shape[d]!) break;
        pos[d] = 0;
      }
    }
    return this.wrap(out, outDtype);
  }

  scatterAdd(base: View, dim: number, index: View, src: View): Storage {
    const out = this.read(base);
    const outStrides = contiguousStrides(base.shape);
    const shape = index.shape;
    const n = numelOf(shape);
    const I = dataOf(index);
    const S = dataOf(src);
    const nd = shape.length;
    const pos = new Int32Array(nd);
    for (let i = 0; i < n; i++) {
      let pi = index.offset;
      let ps = src.offset;
      let po = 0;
      for (let d = 0; d < nd; d++) {
        pi += pos[d]! * index.strides[d]!;
        ps += pos[d]! * src.strides[d]!;
        if (d !== dim) po += pos[d]! * outStrides[d]!;
      }
      out[po + I[pi]! * outStrides[dim]!] += S[ps]!;
      for (let d = nd - 1; d >= 0; d--) {
        if (++pos[d]! < shape[d]!) break;
        pos[d] = 0;
      }
    }
    return this.wrap(out, base.dtype);
  }
}

export const cpu = new CpuBackend();
registerBackend(cpu);
