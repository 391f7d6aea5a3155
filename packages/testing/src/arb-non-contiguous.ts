import fc from 'fast-check';
import { Tensor, ValueError, contiguousStrides, isContiguous, tensor } from '@tsgrad/tensor';
import { arbValues } from './arb-values.js';
import { checkDType, shapeSource, type TensorArbOptions } from './arb-tensor.js';
import { withSource } from './describe.js';

/** How a view is made non-contiguous: a permutation, a stepped slice, or a broadcast (stride 0). */
export type NonContiguousKind = 'permute' | 'slice' | 'expand';

/** Options of {@link arbNonContiguous}: those of arbTensor plus which kinds of view to make. */
export interface NonContiguousOptions extends TensorArbOptions {
  /**
   * Kinds to draw from (default all three; 'expand' is left out when `distinct` is
   * set, since a broadcast repeats values).
   */
  kinds?: readonly NonContiguousKind[];
}

interface Plan {
  baseShape: number[];
  apply: (base: Tensor) => Tensor;
  /** The calls that turn the base into the view, for counterexample printing. */
  code: string;
}

const ALL_KINDS: readonly NonContiguousKind[] = ['permute', 'slice', 'expand'];

function permutePlan(shape: number[]): fc.Arbitrary<Plan> {
  const dims = shape.map((_, i) => i);
  return fc
    .shuffledSubarray(dims, { minLength: dims.length, maxLength: dims.length })
    .filter((p) => {
      const base = new Array<number>(shape.length);
      p.forEach((src, i) => (base[src] = shape[i]!));
      const cs = contiguousStrides(base);
      return !isContiguous(shape, p.map((src) => cs[src]!));
    })
    .map((p) => {
      const base = new Array<number>(shape.length);
      p.forEach((src, i) => (base[src] = shape[i]!));
      return { baseShape: base, apply: (t: Tensor) => t.permute(p), code: `.permute([${p.join(', ')}])` };
    });
}

function slicePlan(shape: number[], big: number[]): fc.Arbitrary<Plan> {
  return fc
    .record({ dim: fc.constantFrom(...big), step: fc.integer({ min: 2, max: 3 }), start: fc.integer({ min: 0, max: 2 }), extra: fc.integer({ min: 0, max: 1 }) })
    .map(({ dim, step, start, extra }) => {
      const s = start % step;
      const end = s + (shape[dim]! - 1) * step + 1;
      const base = [...shape];
      base[dim] = end + extra;
      return { baseShape: base, apply: (t: Tensor) => t.slice(dim, s, end, step), code: `.slice(${dim}, ${s}, ${end}, ${step})` };
    });
}

function expandPlan(shape: number[], big: number[]): fc.Arbitrary<Plan> {
  return fc
    .tuple(fc.subarray(big, { minLength: 1 }), fc.integer({ min: 0, max: shape.length }))
    .map(([squashed, drop]) => {
      const base = shape.map((d, i) => (squashed.includes(i) ? 1 : d));
      // Leading dims of size 1 may also be dropped from the base: expand re-creates them.
      let lead = 0;
      while (lead < drop && base[lead] === 1) lead++;
      const baseShape = base.slice(lead);
      return { baseShape, apply: (t: Tensor) => t.expand(shape), code: `.expand([${shape.join(', ')}])` };
    });
}

/** A contiguous view at a non-zero offset: the only strided form of shapes without a dim > 1. */
function offsetPlan(shape: number[]): Plan {
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    baseShape: [n + 1],
    apply: (t: Tensor) => t.slice(0, 1, n + 1).reshape(shape),
    code: `.slice(0, 1, ${n + 1}).reshape([${shape.join(', ')}])`,
  };
}

/**
 * Tensors that are strided views of a larger or smaller base: permuted, sliced with a
 * step, or expanded (stride 0). Whenever the shape has a dim of size > 1 the result is
 * non-contiguous (`!t.isContiguous()`); shapes without one (scalars, all-ones) come as
 * a view at a non-zero offset. With `requiresGrad` the view itself is the leaf, so a
 * gradcheck exercises the strided kernels of both the forward and the backward pass.
 *
 * @example
 * fc.assert(fc.property(arbNonContiguous({ requiresGrad: true }), (x) => gradcheck((t) => t.exp(), [x])));
 */
export function arbNonContiguous(opts: NonContiguousOptions = {}): fc.Arbitrary<Tensor> {
  const op = 'arbNonContiguous';
  const dtype = checkDType(op, opts);
  arbValues(op, 0, dtype, opts);
  const kinds = opts.kinds ?? ALL_KINDS.filter((k) => !(k === 'expand' && opts.distinct));
  if (kinds.length === 0) throw new ValueError(`${op}: option 'kinds' expected at least one of ${ALL_KINDS.join(', ')}`);
  for (const k of kinds) {
    if (!ALL_KINDS.includes(k)) throw new ValueError(`${op}: option 'kinds' expected only ${ALL_KINDS.join(', ')}, got ${String(k)}`);
  }
  if (opts.distinct && kinds.includes('expand')) throw new ValueError(`${op}: kind 'expand' repeats values, so it cannot be combined with 'distinct'`);

  return shapeSource(op, opts).chain((s) => {
    const shape = [...s];
    const big = shape.flatMap((d, i) => (d > 1 ? [i] : []));
    const plans: fc.Arbitrary<Plan>[] = [];
    if (kinds.includes('permute') && big.length >= 2) plans.push(permutePlan(shape));
    if (kinds.includes('slice') && big.length >= 1) plans.push(slicePlan(shape, big));
    if (kinds.includes('expand') && big.length >= 1) plans.push(expandPlan(shape, big));
    const plan = plans.length ? fc.oneof(...plans) : fc.constant(offsetPlan(shape));
    return plan.chain((p) =>
      arbValues(op, p.baseShape.reduce((a, b) => a * b, 1), dtype, opts).map((values) => {
        const base = tensor(values, { dtype, shape: p.baseShape });
        const view = p.apply(base);
        if (opts.requiresGrad) view.requiresGrad_();
        return withSource(view, `tensor(${JSON.stringify(base.toArray())}, { dtype: '${dtype}' })${p.code}`);
      }),
    );
  });
}
