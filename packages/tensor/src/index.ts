/**
 * @tsgrad/tensor — n-d tensors over typed arrays, reverse-mode autograd and the CPU
 * reference backend. See the package README for the full API.
 */
import './cpu/cpu-backend.js';
import './wasm/register.js';

export { Tensor, type NestedArray, type TensorLike } from './tensor.js';
export type { DType, FloatDType, TypedArray } from './dtype.js';
export { promoteTypes } from './dtype.js';
export * as spec from './validate/spec.js';
export { checked, declare, validateArgs, signatureOf, type ArgSpec, type Signature } from './validate/checked.js';
export { checkArg, checkSize, describeValue, isTensor, MAX_ELEMENTS, type Spec, type Failure, type ErrorClass } from './validate/spec.js';
export {
  TsgradError, ShapeError, DTypeError, IndexError, ValueError, AutogradError, BackendError,
} from './errors.js';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint,
  type TensorOptions,
} from './creation.js';
export { manualSeed } from './random.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { grad, unbroadcastChecked as unbroadcast, type GradOptions } from './autograd/engine.js';
export {
  neg, abs, sign, exp, expm1, log, log1p, sqrt, rsqrt, square, reciprocal, sin, cos, tanh, sigmoid, relu,
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, where,
} from './ops/elementwise.js';
export { sum, mean, max, min, argmax, argmin, logSumExp, variance as var_, variance } from './ops/reduce.js';
export {
  reshape, flatten, squeeze, unsqueeze, permute, transpose, expand, contiguous, slice, narrow, split, chunk, cat, stack,
} from './ops/shape.js';
export { gather, scatterAdd, indexSelect, oneHot } from './ops/indexing.js';
export { matmul } from './ops/linalg.js';
export { softmax, logSoftmax, softplus, logSigmoid, clamp } from './ops/composite.js';
export {
  clone, select, maskedFill, sort, argsort, topk, cumsum, std, norm, fill_, zero_, unfold,
  type SortResult, type StdOptions, type NormOrder,
} from './ops/tensor-extras.js';
export { formatTensor } from './format.js';
export { VJP, type PrimitiveName, type PrimitiveParams } from './ops/primitives.js';
export {
  setBackend, getBackend, backendInfo, registerBackend, listBackends, getBackendByName, cpuBackend,
  type Backend, type Storage, type View, type KernelName, type UnaryOp, type BinaryOp, type ReduceOp,
} from './backend.js';
export { CpuBackend, CpuStorage } from './cpu/cpu-backend.js';
export { WasmBackend, WasmStorage, type WasmBackendOptions, type WasmStats } from './wasm/wasm-backend.js';
export { wasm, threadsReady } from './wasm/register.js';
export { setNumThreads, getNumThreads, terminateThreads } from './wasm/threads/index.js';
export { evaluate } from './ops/evaluate.js';
export { hostBackend, transferStats, resetTransferStats } from './ops/dispatch.js';
export { broadcastShapes, contiguousStrides, isContiguous, numelOf } from './shape.js';
export {
  LazyNode, sourceOfNode, opsOf, opName, nextGraphId, unaryOp, binaryOp, markCaptured,
  type ElementwiseOp, type Source as FusionSource, type Access as FusionAccess,
} from './fusion/graph.js';
export { foldConstants } from './fusion/fold.js';
export { syncCollector, cleanupSome, envVar, nodeBuiltin, type SyncCollector } from './memory/sync-gc.js';
export { tidy, tidyUpdates, keep, releaseToScope, inScope, blockReplaced, type TidyResult } from './memory/scope.js';
