/**
 * @tsgrad/testing — gradient checks and fast-check arbitraries for tsgrad tensors:
 * what tsgrad's own tests use, exported so users can property-test their own ops.
 * See the package README for a worked example.
 */
export { GradcheckError } from './errors';
export { gradcheck, type GradcheckOptions, type DifferentiableFn } from './gradcheck';
export { gradgradcheck, type GradgradcheckOptions } from './gradgradcheck';
export { arbShape, arbBroadcastShapes, arbDim, arbDims, type ShapeOptions } from './arb-shape';
export type { ValueOptions } from './arb-values';
export { arbTensor, arbIndexTensor, arbSeed, type TensorArbOptions } from './arb-tensor';
export { arbNonContiguous, type NonContiguousKind, type NonContiguousOptions } from './arb-non-contiguous';
export { tensorSource, withSource } from './describe';
export { mulberry32 } from './rng';
