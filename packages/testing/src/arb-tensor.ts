import fc from 'fast-check';
import { DTypeError, Tensor, ValueError, tensor, type DType } from '@tsgrad/tensor';
import { arbShape } from './arb-shape.js';
import { arbValues, type ValueOptions } from './arb-values.js';
import { withSource } from './describe.js';

/** Options of {@link arbTensor}: a shape (fixed or drawn), a dtype and the value range. */
export interface TensorArbOptions extends ValueOptions {
  /** A fixed shape. */
  shape?: readonly number[];
  /** Where shapes come from (default `arbShape()`); exclusive with `shape`. */
  shapeArb?: fc.Arbitrary<readonly number[]>;
  /** Element dtype (default float64, the dtype gradcheck needs). */
  dtype?: DType;
  /** Make the tensor a leaf that requires grad (float dtypes only; default false). */
  requiresGrad?: boolean;
}

export function shapeSource(op: string, o: TensorArbOptions): fc.Arbitrary<readonly number[]> {
  if (o.shape && o.shapeArb) throw new ValueError(`${op}: pass either option 'shape' or 'shapeArb', not both`);
  if (o.shape) {
    if (!o.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ValueError(`${op}: option 'shape' expected non-negative integers, got [${o.shape.join(', ')}]`);
    }
    return fc.constant([...o.shape]);
  }
  return o.shapeArb ?? arbShape();
}

export function checkDType(op: string, o: TensorArbOptions): DType {
  const dtype = o.dtype ?? 'float64';
  if (!['float32', 'float64', 'int32', 'bool'].includes(dtype)) {
    throw new DTypeError(`${op}: option 'dtype' expected one of float32, float64, int32, bool, got ${String(dtype)}`);
  }
  if (o.requiresGrad && dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${op}: option 'requiresGrad' needs a floating point dtype, got ${dtype}`);
  }
  return dtype;
}

const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Contiguous tensors of a dtype with values in a range. Counterexamples print as the
 * `tensor(...)` call that rebuilds them.
 *
 * @example
 * fc.assert(fc.property(arbTensor({ min: 0.1, max: 2, requiresGrad: true }), (x) =>
 *   gradcheck((t) => t.log(), [x])));
 */
export function arbTensor(opts: TensorArbOptions = {}): fc.Arbitrary<Tensor> {
  const dtype = checkDType('arbTensor', opts);
  // Validate the value options eagerly, so a bad range fails at the call, not mid-run.
  arbValues('arbTensor', 0, dtype, opts);
  return shapeSource('arbTensor', opts).chain((shape) =>
    arbValues('arbTensor', numelOf(shape), dtype, opts).map((values) => {
      const t = tensor(values, { dtype, shape: [...shape] });
      if (opts.requiresGrad) t.requiresGrad_();
      return withSource(t);
    }),
  );
}

/**
 * int32 index tensors of `shape` with values in [0, bound) — for gather, scatterAdd and
 * indexSelect. `unique` draws distinct values (needs numel ≤ bound).
 */
export function arbIndexTensor(shape: readonly number[], bound: number, opts: { unique?: boolean } = {}): fc.Arbitrary<Tensor> {
  if (!Number.isInteger(bound) || bound < 1) throw new ValueError(`arbIndexTensor: argument 'bound' expected a positive integer, got ${bound}`);
  return arbTensor({ shape, dtype: 'int32', min: 0, max: bound - 1, distinct: opts.unique ?? false });
}

/** Seeds for tsgrad's `manualSeed` (non-negative 31-bit integers). */
export function arbSeed(): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 2 ** 31 - 1 });
}
