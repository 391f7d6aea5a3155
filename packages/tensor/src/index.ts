/**
 * @tsgrad/tensor — n-d tensors over typed arrays, reverse-mode autograd and the CPU
 * reference backend. See the package README for the full API.
 */
import './cpu/cpu-backend';
import './wasm/register';

export { Tensor, type NestedArray, type TensorLike } from './tensor';
export type { DType, FloatDType, TypedArray } from './dtype';
export { promoteTypes } from './dtype';
export {
  TsgradError, ShapeError, DTypeError, IndexError, ValueError, AutogradError, BackendError,
} from './errors';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint,
  type TensorOptions,
} from './creation';
export { manualSeed } from './random';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode';
export { grad, unbroadcast, type GradOptions } from './autograd/engine';
export {
  neg, abs, sign, exp, expm1, log, log1p, sqrt, rsqrt, square, reciprocal, sin, cos, tanh, sigmoid, relu,
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, where,
} from './ops/elementwise';
export { sum, mean, max, min, argmax, argmin, logSumExp, variance as var_, variance } from './ops/reduce';
export {
  reshape, flatten, squeeze, unsqueeze, permute, transpose, expand, contiguous, slice, narrow, split, chunk, cat, stack,
} from './ops/shape';
export { gather, scatterAdd, indexSelect, oneHot } from './ops/indexing';
export { matmul } from './ops/linalg';
export { softmax, logSoftmax, softplus, logSigmoid, clamp } from './ops/composite';
export { VJP, type PrimitiveName, type PrimitiveParams } from './ops/primitives';
export {
  setBackend, getBackend, backendInfo, registerBackend, listBackends, getBackendByName, cpuBackend,
  type Backend, type Storage, type View, type KernelName, type UnaryOp, type BinaryOp, type ReduceOp,
} from './backend';
export { CpuBackend, CpuStorage } from './cpu/cpu-backend';
export { WasmBackend, WasmStorage, type WasmBackendOptions, type WasmStats } from './wasm/wasm-backend';
export { wasm } from './wasm/register';
export { evaluate } from './ops/evaluate';
export { hostBackend, transferStats, resetTransferStats } from './ops/dispatch';
export { broadcastShapes, contiguousStrides, isContiguous, numelOf } from './shape';
export {
  LazyNode, sourceOfNode, opsOf, opName, nextGraphId, unaryOp, binaryOp,
  type ElementwiseOp, type Source as FusionSource, type Access as FusionAccess,
} from './fusion/graph';
export { foldConstants } from './fusion/fold';
export { syncCollector, cleanupSome, envVar, nodeBuiltin, type SyncCollector } from './memory/sync-gc';
