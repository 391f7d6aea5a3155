import type { BinaryOp, UnaryOp } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';

/*
 * Elementwise kernels are generated once per (op, output kind) with `new Function`, so
 * each op gets its own monomorphic loop with the scalar expression inlined: no closure
 * call and no allocation per element. Every kernel has a flat fast path for
 * contiguous operands, inner-loop fast paths for a broadcast (stride 0) operand, and a
 * general strided path over coalesced dims.
 */

const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: '-v',
  abs: 'Math.abs(v)',
  sign: '(v > 0 ? 1 : v < 0 ? -1 : v)',
  exp: 'Math.exp(v)',
  expm1: 'Math.expm1(v)',
  log: 'Math.log(v)',
  log1p: 'Math.log1p(v)',
  sqrt: 'Math.sqrt(v)',
  rsqrt: '1 / Math.sqrt(v)',
  sin: 'Math.sin(v)',
  cos: 'Math.cos(v)',
  tanh: 'Math.tanh(v)',
  // exp(-v) overflows to Infinity for v < -709 and 1/Infinity = 0: finite either way.
  sigmoid: '1 / (1 + Math.exp(-v))',
  relu: '(v > 0 ? v : v === v ? 0 : v)',
  square: 'v * v',
  reciprocal: '1 / v',
  copy: 'v',
};

const BINARY_EXPR: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'Math.pow(a, b)',
  // NaN propagates like PyTorch's maximum/minimum.
  maximum: '(a > b || a !== a ? a : b)',
  minimum: '(a < b || a !== a ? a : b)',
  eq: '(a === b ? 1 : 0)',
  ne: '(a !== b ? 1 : 0)',
  lt: '(a < b ? 1 : 0)',
  le: '(a <= b ? 1 : 0)',
  gt: '(a > b ? 1 : 0)',
  ge: '(a >= b ? 1 : 0)',
};

/** Casting a value to bool: any non-zero (NaN included) is true. */
const TO_BOOL = (e: string) => `((${e}) !== 0 ? 1 : 0)`;

export type UnaryKernel = (o: TypedArray, x: TypedArray, xo: number, shape: number[], xs: number[]) => void;
export type BinaryKernel = (
  o: TypedArray, a: TypedArray, ao: number, as: number[], b: TypedArray, bo: number, bs: number[], shape: number[],
) => void;
export type WhereKernel = (
  o: TypedArray, c: TypedArray, co: number, cs: number[], a: TypedArray, ao: number, as: number[],
  b: TypedArray, bo: number, bs: number[], shape: number[],
) => void;

/** The outer-dims odometer shared by every generated kernel: advances pointers p0..pk. */
function advance(ptrs: string[], strides: string[]): string {
  const step = ptrs.map((p, i) => `${p} += ${strides[i]}[d];`).join(' ');
  const back = ptrs.map((p, i) => `${p} -= ${strides[i]}[d] * shape[d];`).join(' ');
  return `for (let d = last - 1; d >= 0; d--) { ${step} if (++idx[d] < shape[d]) break; ${back} idx[d] = 0; }`;
}

function unarySource(expr: string): string {
  return `
  const nd = shape.length;
  let n = 1; for (let d = 0; d < nd; d++) n *= shape[d];
  if (n === 0) return;
  if (nd === 0) { const v = x[xo]; o[0] = ${expr}; return; }
  const last = nd - 1, L = shape[last], s = xs[last];
  if (nd === 1 && s === 1) { for (let i = 0; i < L; i++) { const v = x[xo + i]; o[i] = ${expr}; } return; }
  const idx = new Int32Array(nd);
  let p = xo, oi = 0;
  const outer = n / L;
  for (let r = 0; r < outer; r++) {
    if (s === 1) { for (let j = 0; j < L; j++) { const v = x[p + j]; o[oi + j] = ${expr}; } }
    else if (s === 0) { const v = x[p]; const r0 = ${expr}; for (let j = 0; j < L; j++) o[oi + j] = r0; }
    else { for (let j = 0, q = p; j < L; j++, q += s) { const v = x[q]; o[oi + j] = ${expr}; } }
    oi += L;
    ${advance(['p'], ['xs'])}
  }`;
}

function binarySource(expr: string): string {
  return `
  const nd = shape.length;
  let n = 1; for (let d = 0; d < nd; d++) n *= shape[d];
  if (n === 0) return;
  if (nd === 0) { const a = A[ao], b = B[bo]; o[0] = ${expr}; return; }
  const last = nd - 1, L = shape[last], sa = as[last], sb = bs[last];
  const idx = new Int32Array(nd);
  let pa = ao, pb = bo, oi = 0;
  const outer = n / L;
  for (let r = 0; r < outer; r++) {
    if (sa === 1 && sb === 1) { for (let j = 0; j < L; j++) { const a = A[pa + j], b = B[pb + j]; o[oi + j] = ${expr}; } }
    else if (sa === 1 && sb === 0) { const b = B[pb]; for (let j = 0; j < L; j++) { const a = A[pa + j]; o[oi + j] = ${expr}; } }
    else if (sa === 0 && sb === 1) { const a = A[pa]; for (let j = 0; j < L; j++) { const b = B[pb + j]; o[oi + j] = ${expr}; } }
    else { for (let j = 0, qa = pa, qb = pb; j < L; j++, qa += sa, qb += sb) { const a = A[qa], b = B[qb]; o[oi + j] = ${expr}; } }
    oi += L;
    ${advance(['pa', 'pb'], ['as', 'bs'])}
  }`;
}

function whereSource(): string {
  return `
  const nd = shape.length;
  let n = 1; for (let d = 0; d < nd; d++) n *= shape[d];
  if (n === 0) return;
  if (nd === 0) { o[0] = C[co] ? A[ao] : B[bo]; return; }
  const last = nd - 1, L = shape[last], sc = cs[last], sa = as[last], sb = bs[last];
  const idx = new Int32Array(nd);
  let pc = co, pa = ao, pb = bo, oi = 0;
  const outer = n / L;
  for (let r = 0; r < outer; r++) {
    for (let j = 0, qc = pc, qa = pa, qb = pb; j < L; j++, qc += sc, qa += sa, qb += sb) o[oi + j] = C[qc] ? A[qa] : B[qb];
    oi += L;
    ${advance(['pc', 'pa', 'pb'], ['cs', 'as', 'bs'])}
  }`;
}

const unaryCache = new Map<string, UnaryKernel>();
const binaryCache = new Map<string, BinaryKernel>();
const whereCache = new Map<string, WhereKernel>();

// Keyed by the dtypes too: one function per typed-array combination keeps V8's
// element-access feedback monomorphic, which is most of the speed of a hand loop.
export function unaryKernel(op: UnaryOp, inDtype: DType, outDtype: DType): UnaryKernel {
  const key = `${op}:${inDtype}:${outDtype}`;
  let k = unaryCache.get(key);
  if (!k) {
    let base = UNARY_EXPR[op];
    // float → int32 saturates (NaN → 0), as WebAssembly's trunc_sat does; PyTorch leaves
    // out-of-range casts undefined, wrapping modulo 2^32 would be the least useful answer.
    if (op === 'copy' && outDtype === 'int32' && (inDtype === 'float32' || inDtype === 'float64')) {
      base = '(v !== v ? 0 : v >= 2147483647 ? 2147483647 : v <= -2147483648 ? -2147483648 : v)';
    }
    // An int32 input of a float32 op is converted to float32 first, as PyTorch does.
    if (inDtype === 'int32' && outDtype === 'float32') base = base.replace(/\bv\b/g, 'Math.fround(v)');
    const expr = outDtype === 'bool' ? TO_BOOL(base) : base;
    k = new Function('o', 'x', 'xo', 'shape', 'xs', unarySource(expr)) as UnaryKernel;
    unaryCache.set(key, k);
  }
  return k;
}

export function binaryKernel(op: BinaryOp, aDtype: DType, bDtype: DType, outDtype: DType): BinaryKernel {
  const key = `${op}:${aDtype}:${bDtype}:${outDtype}`;
  let k = binaryCache.get(key);
  if (!k) {
    // int32 products wrap exactly modulo 2^32 (a float64 product is already rounded above 2^53).
    let base = op === 'mul' && outDtype === 'int32' ? 'Math.imul(a, b)' : BINARY_EXPR[op];
    // int32 meeting float32 computes in float32 (PyTorch's promotion): convert it first.
    if (aDtype === 'int32' && bDtype === 'float32') base = base.replace(/\ba\b/g, 'Math.fround(a)');
    if (bDtype === 'int32' && aDtype === 'float32') base = base.replace(/\bb\b/g, 'Math.fround(b)');
    const expr = outDtype === 'bool' && !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op) ? TO_BOOL(base) : base;
    k = new Function('o', 'A', 'ao', 'as', 'B', 'bo', 'bs', 'shape', binarySource(expr)) as BinaryKernel;
    binaryCache.set(key, k);
  }
  return k;
}

export function whereKernel(cDtype: DType, aDtype: DType, bDtype: DType, outDtype: DType): WhereKernel {
  const key = `${cDtype}:${aDtype}:${bDtype}:${outDtype}`;
  let k = whereCache.get(key);
  if (!k) {
    k = new Function('o', 'C', 'co', 'cs', 'A', 'ao', 'as', 'B', 'bo', 'bs', 'shape', whereSource()) as WhereKernel;
    whereCache.set(key, k);
  }
  return k;
}
