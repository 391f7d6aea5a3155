import type { ReduceOp } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import { coalesce } from '../shape.js';

/*
 * Reductions permute the view so kept dims come first and reduced dims last (free: a
 * stride permutation), coalesce each group, then pick a loop order:
 *  - "inner": the reduced block is walked innermost (the last-dim case, contiguous or
 *    strided) — one tight loop per output element;
 *  - "rows": the kept block is contiguous-ish and the reduced dim has a large stride
 *    (e.g. summing a bias gradient over the batch): accumulate whole rows so memory
 *    is read in order.
 * Sums accumulate in float64 whatever the storage dtype.
 */

export interface ReducePlan {
  keptShape: number[];
  keptStrides: number[];
  R: number;
  rs: number;
}

/** Returns null when the reduced dims do not collapse to one strided run. */
export function planReduce(shape: readonly number[], strides: readonly number[], axes: readonly number[]): ReducePlan | null {
  const kept: number[] = [];
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) kept.push(d);
  const k = coalesce(kept.map((d) => shape[d]!), [kept.map((d) => strides[d]!)]);
  const r = coalesce(axes.map((d) => shape[d]!), [axes.map((d) => strides[d]!)]);
  if (r.shape.length > 1) return null;
  return {
    keptShape: k.shape,
    keptStrides: k.strides[0]!,
    R: r.shape.length === 0 ? 1 : r.shape[0]!,
    rs: r.shape.length === 0 ? 0 : r.strides[0]![0]!,
  };
}

export function reduceRun(op: ReduceOp, x: TypedArray, p: number, R: number, rs: number): number {
  switch (op) {
    case 'sum': {
      let s = 0;
      if (rs === 1) {
        // Four partial sums: shorter dependency chains, and a slightly better rounding.
        let s1 = 0, s2 = 0, s3 = 0;
        let j = 0;
        for (; j + 3 < R; j += 4) {
          s += x[p + j]!;
          s1 += x[p + j + 1]!;
          s2 += x[p + j + 2]!;
          s3 += x[p + j + 3]!;
        }
        for (; j < R; j++) s += x[p + j]!;
        return s + s1 + (s2 + s3);
      }
      for (let j = 0, q = p; j < R; j++, q += rs) s += x[q]!;
      return s;
    }
    case 'max': {
      let m = -Infinity;
      for (let j = 0, q = p; j < R; j++, q += rs) {
        const v = x[q]!;
        if (v > m || v !== v) { m = v; if (v !== v) break; }
      }
      return m;
    }
    case 'min': {
      let m = Infinity;
      for (let j = 0, q = p; j < R; j++, q += rs) {
        const v = x[q]!;
        if (v < m || v !== v) { m = v; if (v !== v) break; }
      }
      return m;
    }
    case 'argmax': {
      let m = -Infinity, at = 0;
      for (let j = 0, q = p; j < R; j++, q += rs) {
        const v = x[q]!;
        if (v > m || v !== v) { m = v; at = j; if (v !== v) break; }
      }
      return at;
    }
    case 'argmin': {
      let m = Infinity, at = 0;
      for (let j = 0, q = p; j < R; j++, q += rs) {
        const v = x[q]!;
        if (v < m || v !== v) { m = v; at = j; if (v !== v) break; }
      }
      return at;
    }
    case 'logSumExp': {
      let m = -Infinity;
      for (let j = 0, q = p; j < R; j++, q += rs) {
        const v = x[q]!;
        if (v > m || v !== v) m = v;
      }
      // All -inf gives -inf, any +inf gives +inf, NaN stays NaN: no inf - inf.
      if (m === Infinity || m === -Infinity || m !== m) return m;
      let s = 0;
      if (rs === 1) for (let j = 0; j < R; j++) s += Math.exp(x[p + j]! - m);
      else for (let j = 0, q = p; j < R; j++, q += rs) s += Math.exp(x[q]! - m);
      return m + Math.log(s);
    }
  }
}

/** Inner order: one reduced run per output element, kept dims walked by an odometer. */
export function reduceInner(op: ReduceOp, x: TypedArray, xo: number, plan: ReducePlan, out: TypedArray): void {
  const { keptShape, keptStrides, R, rs } = plan;
  const nd = keptShape.length;
  let n = 1;
  for (let d = 0; d < nd; d++) n *= keptShape[d]!;
  if (R === 0) {
    const empty = op === 'sum' ? 0 : op === 'logSumExp' ? -Infinity : NaN;
    out.fill(empty);
    return;
  }
  const idx = new Int32Array(nd);
  let p = xo;
  for (let i = 0; i < n; i++) {
    out[i] = reduceRun(op, x, p, R, rs);
    for (let d = nd - 1; d >= 0; d--) {
      p += keptStrides[d]!;
      if (++idx[d]! < keptShape[d]!) break;
      p -= keptStrides[d]! * keptShape[d]!;
      idx[d] = 0;
    }
  }
}

/** Row order for sum/max/min: for each reduced index, fold a whole kept block into acc. */
export function reduceRows(op: 'sum' | 'max' | 'min', x: TypedArray, xo: number, plan: ReducePlan, out: TypedArray): void {
  const { keptShape, keptStrides, R, rs } = plan;
  const nd = keptShape.length;
  let n = 1;
  for (let d = 0; d < nd; d++) n *= keptShape[d]!;
  const acc = new Float64Array(n).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
  const last = nd - 1;
  const L = keptShape[last]!;
  const s = keptStrides[last]!;
  const idx = new Int32Array(nd);
  const outer = n / L;
  for (let r = 0; r < R; r++) {
    let p = xo + r * rs;
    idx.fill(0);
    let oi = 0;
    for (let o = 0; o < outer; o++) {
      if (op === 'sum') {
        if (s === 1) for (let j = 0; j < L; j++) acc[oi + j] += x[p + j]!;
        else for (let j = 0, q = p; j < L; j++, q += s) acc[oi + j] += x[q]!;
      } else if (op === 'max') {
        for (let j = 0, q = p; j < L; j++, q += s) {
          const v = x[q]!;
          const a = acc[oi + j]!;
          if (v > a || (v !== v && a === a)) acc[oi + j] = v;
        }
      } else {
        for (let j = 0, q = p; j < L; j++, q += s) {
          const v = x[q]!;
          const a = acc[oi + j]!;
          if (v < a || (v !== v && a === a)) acc[oi + j] = v;
        }
      }
      oi += L;
      for (let d = last - 1; d >= 0; d--) {
        p += keptStrides[d]!;
        if (++idx[d]! < keptShape[d]!) break;
        p -= keptStrides[d]! * keptShape[d]!;
        idx[d] = 0;
      }
    }
  }
  for (let i = 0; i < n; i++) out[i] = acc[i]!;
}
