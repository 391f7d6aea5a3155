import type { DType } from '../dtype.js';
import { isFloat } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { where, eq, ge, gt, lt, mul, sign } from './elementwise.js';
import { sum } from './reduce.js';
import { embedSlice, expand, permute, reshape, slice, transpose } from './shape.js';
import { gather, scatterAdd } from './indexing.js';
import { matmul } from './linalg.js';
import { zerosOf } from './fill.js';
import { keepdimShape } from './reduce.js';
import { logicalAnd } from './logic.js';
import { fold } from './unfold.js';

/**
 * The primitive table: every recorded operation and its vector-Jacobian product.
 * VJPs are written with tensor ops (never raw buffers), so with `createGraph` the
 * backward pass is itself recorded and gradients of gradients work for every entry.
 * The engine un-broadcasts each returned gradient to its input's shape and casts it
 * to the input's dtype, so VJPs may return gradients of the (broadcast) output shape.
 * A name missing from this table is a compile error.
 */
export interface PrimitiveParams {
  neg: object; abs: object; sign: object; exp: object; expm1: object; log: object; log1p: object;
  sqrt: object; rsqrt: object; square: object; reciprocal: object; sin: object; cos: object;
  tanh: object; sigmoid: object; relu: object;
  cast: { from: DType };
  add: object; sub: object; mul: object; div: object; pow: object; maximum: object; minimum: object;
  where: object;
  sum: { axes: number[] }; max: { axes: number[] }; min: { axes: number[] }; logSumExp: { axes: number[] };
  reshape: { inputShape: number[] };
  permute: { dims: number[] };
  expand: object;
  contiguous: object;
  slice: { dim: number; start: number; step: number; inputShape: number[] };
  embedSlice: { dim: number; start: number; step: number; length: number };
  unfold: { dim: number; size: number; step: number; dilation: number; inputShape: number[] };
  cat: { dim: number; sizes: number[] };
  gather: { dim: number };
  scatterAdd: { dim: number };
  matmul: object;
}

export type PrimitiveName = keyof PrimitiveParams;

export interface VjpArgs<K extends PrimitiveName> {
  /** Gradient with respect to the output. */
  g: Tensor;
  inputs: readonly Tensor[];
  /** The output tensor itself (part of the graph, so it may appear in a VJP). */
  out: Tensor;
  params: PrimitiveParams[K];
  /** needs[i]: whether input i wants a gradient (skip work otherwise). */
  needs: readonly boolean[];
}

export type Vjp<K extends PrimitiveName> = (a: VjpArgs<K>) => (Tensor | null)[];

/** g broadcast back over the reduced axes of an input of `shape`. */
function expandReduced(g: Tensor, shape: readonly number[], axes: number[]): Tensor {
  return expand(reshape(g, keepdimShape(shape, axes)), shape);
}

/** Gradient of max/min: split evenly among the elements equal to the extremum. */
function extremumVjp({ g, inputs, out, params }: VjpArgs<'max' | 'min'>): (Tensor | null)[] {
  const x = inputs[0]!;
  const mask = eq(x, expandReduced(out.detach(), x.shape, params.axes)).to(x.dtype);
  const count = sum(mask, params.axes, true);
  return [mul(expandReduced(g, x.shape, params.axes), mask.div(count))];
}

/** Tie-split mask for maximum/minimum: 1 where `a` wins, 1/2 on ties, 0 otherwise. */
function winMask(a: Tensor, b: Tensor, wins: Tensor, dtype: DType): Tensor {
  return wins.to(dtype).add(eq(a, b).to(dtype).mul(0.5));
}

export const VJP: { [K in PrimitiveName]: Vjp<K> } = {
  neg: ({ g }) => [g.neg()],
  abs: ({ g, inputs }) => [g.mul(sign(inputs[0]!))],
  sign: ({ inputs }) => [zerosOf(inputs[0]!)],
  exp: ({ g, out }) => [g.mul(out)],
  expm1: ({ g, out }) => [g.mul(out.add(1))],
  log: ({ g, inputs }) => [g.div(inputs[0]!)],
  log1p: ({ g, inputs }) => [g.div(inputs[0]!.add(1))],
  sqrt: ({ g, out }) => [g.div(out.mul(2))],
  rsqrt: ({ g, out, inputs }) => [g.mul(out).div(inputs[0]!).mul(-0.5)],
  square: ({ g, inputs }) => [g.mul(inputs[0]!).mul(2)],
  reciprocal: ({ g, out }) => [g.mul(out.square()).neg()],
  sin: ({ g, inputs }) => [g.mul(inputs[0]!.cos())],
  cos: ({ g, inputs }) => [g.mul(inputs[0]!.sin()).neg()],
  tanh: ({ g, out }) => [g.mul(out.square().neg().add(1))],
  sigmoid: ({ g, out }) => [g.mul(out).mul(out.neg().add(1))],
  relu: ({ g, inputs }) => [g.mul(gt(inputs[0]!, 0).to(g.dtype))],
  cast: ({ g, params }) => [isFloat(params.from) ? g.to(params.from) : null],

  add: ({ g, needs }) => [needs[0] ? g : null, needs[1] ? g : null],
  sub: ({ g, needs }) => [needs[0] ? g : null, needs[1] ? g.neg() : null],
  mul: ({ g, inputs, needs }) => [needs[0] ? g.mul(inputs[1]!) : null, needs[1] ? g.mul(inputs[0]!) : null],
  div: ({ g, inputs, out, needs }) => [
    needs[0] ? g.div(inputs[1]!) : null,
    needs[1] ? g.mul(out).div(inputs[1]!).neg() : null,
  ],
  pow: ({ g, inputs, out, needs }) => {
    const [a, b] = inputs as [Tensor, Tensor];
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (needs[0]) {
      // d/da a^b = b·a^(b−1); PyTorch defines it as 0 where b == 0 (even at a == 0).
      const d = b.mul(a.pow(b.sub(1)));
      ga = g.mul(where(eq(b, 0), 0, d));
    }
    if (needs[1]) {
      // d/db a^b = a^b·log a, defined as 0 where a == 0 and b >= 0 (the limit), never NaN.
      // The inner where keeps log away from 0 so the *second* derivative is finite too.
      const zero = logicalAnd(eq(a, 0), ge(b, 0));
      const safeA = where(zero, 1, a);
      gb = g.mul(where(zero, 0, out.mul(safeA.log())));
    }
    return [ga, gb];
  },
  maximum: ({ g, inputs, needs }) => {
    const [a, b] = inputs as [Tensor, Tensor];
    return [
      needs[0] ? g.mul(winMask(a, b, gt(a, b), g.dtype)) : null,
      needs[1] ? g.mul(winMask(b, a, gt(b, a), g.dtype)) : null,
    ];
  },
  minimum: ({ g, inputs, needs }) => {
    const [a, b] = inputs as [Tensor, Tensor];
    return [
      needs[0] ? g.mul(winMask(a, b, lt(a, b), g.dtype)) : null,
      needs[1] ? g.mul(winMask(b, a, lt(b, a), g.dtype)) : null,
    ];
  },
  where: ({ g, inputs, needs }) => {
    const c = inputs[0]!;
    return [null, needs[1] ? where(c, g, 0) : null, needs[2] ? where(c, 0, g) : null];
  },

  sum: ({ g, inputs, params }) => [expandReduced(g, inputs[0]!.shape, params.axes)],
  max: (a) => extremumVjp(a),
  min: (a) => extremumVjp(a),
  // ∂/∂x logΣexp = softmax(x) = exp(x − out), with `out` in the graph for higher orders.
  logSumExp: ({ g, inputs, out, params }) => {
    const x = inputs[0]!;
    return [expandReduced(g, x.shape, params.axes).mul(x.sub(expandReduced(out, x.shape, params.axes)).exp())];
  },

  reshape: ({ g, params }) => [reshape(g, params.inputShape)],
  permute: ({ g, params }) => {
    const inv = new Array<number>(params.dims.length);
    params.dims.forEach((d, i) => (inv[d] = i));
    return [permute(g, inv)];
  },
  expand: ({ g }) => [g],
  contiguous: ({ g }) => [g],
  slice: ({ g, params }) => [embedSlice(g, params.inputShape, params.dim, params.start, params.step)],
  embedSlice: ({ g, params }) => [slice(g, params.dim, params.start, params.start + params.step * (params.length - 1) + 1, params.step)],
  unfold: ({ g, params: p }) => [fold(g, p.inputShape, p.dim, p.size, p.step, p.dilation)],
  cat: ({ g, params, needs }) => {
    let at = 0;
    return params.sizes.map((len, i) => {
      const part = needs[i] ? slice(g, params.dim, at, at + len) : null;
      at += len;
      return part;
    });
  },
  gather: ({ g, inputs, params, needs }) => {
    const [x, index] = inputs as [Tensor, Tensor];
    return [needs[0] ? scatterAdd(zerosOf(x), params.dim, index, g) : null, null];
  },
  scatterAdd: ({ g, inputs, params, needs }) => {
    const [, index, src] = inputs as [Tensor, Tensor, Tensor];
    let gs: Tensor | null = null;
    if (needs[2]) {
      // src may be larger than index (as in PyTorch); its elements beyond index's
      // extent are never read, so their gradient is zero: pad with embedSlice per dim.
      gs = gather(g, params.dim, index);
      for (let i = 0; i < src.ndim; i++) {
        const cur: Tensor = gs;
        if (cur.shape[i] !== src.shape[i]) gs = embedSlice(cur, src.shape.map((s, j) => (j <= i ? s : cur.shape[j]!)), i, 0, 1);
      }
    }
    return [needs[0] ? g : null, null, gs];
  },
  matmul: ({ g, inputs, needs }) => {
    const [a, b] = inputs as [Tensor, Tensor];
    return [needs[0] ? matmul(g, transpose(b, -1, -2)) : null, needs[1] ? matmul(transpose(a, -1, -2), g) : null];
  },
};
