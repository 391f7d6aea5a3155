/**
 * @tsgrad/testing — gradient checks and fast-check arbitraries for tsgrad tensors:
 * what tsgrad's own tests use, exported so users can property-test their own ops.
 * See the package README for a worked example.
 */
export { GradcheckError } from './errors.js';
export { gradcheck, type GradcheckOptions, type DifferentiableFn } from './gradcheck.js';
export { gradgradcheck, type GradgradcheckOptions } from './gradgradcheck.js';
export { arbShape, arbBroadcastShapes, arbDim, arbDims, type ShapeOptions } from './arb-shape.js';
export type { ValueOptions } from './arb-values.js';
export { arbTensor, arbIndexTensor, arbSeed, type TensorArbOptions } from './arb-tensor.js';
export { arbNonContiguous, type NonContiguousKind, type NonContiguousOptions } from './arb-non-contiguous.js';
export { tensorSource, withSource } from './describe.js';
export { mulberry32 } from './rng.js';
