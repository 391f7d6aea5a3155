import type { Storage, View } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { DTypeError, ValueError, fmtShape } from './errors.js';
import { isFloat } from './dtype.js';
import { numelOf, type Shape } from './shape.js';
import type { GradNode } from './autograd/node.js';
import { backward } from './autograd/engine.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape.js';
import * as I from './ops/indexing.js';
import * as L from './ops/linalg.js';
import * as C from './ops/composite.js';
import * as X from './ops/tensor-extras.js';
import { formatTensorImpl } from './format.js';
import { toDType, readHost, readHostAsync } from './ops/dispatch.js';
import { gradReplaced, trackStorage, writtenInPlace } from './memory/scope.js';
import { registerTensorClass } from './validate/spec.js';
import { checkMethodArg, DTYPE_SPEC, ALPHA_SPEC, OPERAND_SPEC, BACKWARD_SPECS, BOOL_SPEC, GRAD_SPEC } from './validate/methods.js';

export type NestedArray = number | NestedArray[];
export type TensorLike = Tensor | number;

/**
 * An n-d array over a typed-array storage (or a device storage) with a strided view,
 * optionally recorded in the autograd graph. Methods chain and follow PyTorch's names
 * and dim conventions (negative dims count from the end).
 */
export class Tensor implements View {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** Where the data lives: shared by every view of it (in-place writes go through it). */
  readonly storage: Storage;
  private _grad: Tensor | null = null;
  /** @internal the recorded operation that produced this tensor. */
  gradFn: GradNode | null = null;
  private _requiresGrad = false;
  /** @internal */
  retainsGrad = false;

  /** @internal use the creation functions (`tensor`, `zeros`, …). */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, dtype: DType) {
    this.storage = storage;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype;
    trackStorage(storage);
  }

  /**
   * Accumulated gradient (leaves, and non-leaves that called `retainGrad()`). Inside a
   * memory scope (`tidy`) a gradient set here lives as long as this tensor, and the one
   * it replaces is freed when the scope ends.
   */
  get grad(): Tensor | null {
    return this._grad;
  }
  set grad(value: Tensor | null) {
    if (value !== null && !(value instanceof Tensor)) checkMethodArg('grad', 'value', GRAD_SPEC, value);
    const previous = this._grad;
    this._grad = value;
    gradReplaced(this, previous, value);
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    checkMethodArg('requiresGrad', 'value', BOOL_SPEC, value);
    if (value && !isFloat(this.dtype)) {
      throw new DTypeError(`requiresGrad: only floating point tensors can require gradients, got dtype ${this.dtype}`);
    }
    if (!value && this.gradFn) {
      throw new ValueError('requiresGrad: cannot switch off requiresGrad on a non-leaf tensor; use detach()');
    }
    this._requiresGrad = value;
  }

  /** Sets `requiresGrad` and returns this tensor (like `tensor.requires_grad_()`). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return numelOf(this.shape);
  }
  /** True for tensors created by the user (not the output of a recorded op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  /** The name of the backend this tensor's data lives on. */
  get device(): string {
    return this.storage.backend.name;
  }

  // ---------- reading ----------
  /** A typed-array copy of the elements in row-major order. */
  dataSync(): TypedArray {
    return readHost(this);
  }
  /**
   * `dataSync()` as a promise (TF.js's `data()`): the values as of this call, read
   * asynchronously on backends whose device reads are asynchronous.
   */
  data(): Promise<TypedArray> {
    return readHostAsync(this);
  }
  /** Nested JS arrays (bool as 0/1); a 0-d tensor gives a number. */
  toArray(): NestedArray {
    return this.nest(this.dataSync());
  }
  /** `toArray()` as a promise (TF.js's `array()`). */
  async array(): Promise<NestedArray> {
    return this.nest(await this.data());
  }
  private nest(data: TypedArray): NestedArray {
    if (this.ndim === 0) return data[0]!;
    const build = (dim: number, off: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const out: NestedArray[] = new Array(n);
      if (dim === this.ndim - 1) {
        for (let i = 0; i < n; i++) out[i] = data[off + i]!;
        return out;
      }
      const step = numelOf(this.shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, off + i * step);
      return out;
    };
    return build(0, 0);
  }
  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) {
      throw new ValueError(`item: expected a tensor with one element, got shape ${fmtShape(this.shape)}`);
    }
    return this.dataSync()[0]!;
  }
  /** A copy converted to `dtype` (this tensor itself when it already has it). */
  to(dtype: DType): Tensor {
    checkMethodArg('to', 'dtype', DTYPE_SPEC, dtype);
    return toDType(this, dtype);
  }
  /** The values, as PyTorch's repr shows them: `tensor([[1., 2.],\n        [3., 4.]], requiresGrad=true)`. */
  toString(): string {
    return formatTensorImpl(this);
  }
  /** Node's `console.log(t)` / `util.inspect(t)` print `toString()`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensorImpl(this);
  }

  // ---------- autograd ----------
  /** Back-propagates from this tensor into `.grad` of every leaf that requires grad. */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    BACKWARD_SPECS(this, gradient, opts);
    backward(this, gradient, opts);
  }
  /** Keep `.grad` on this non-leaf tensor during backward. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new ValueError("retainGrad: tensor does not require grad");
    this.retainsGrad = true;
    return this;
  }
  /**
   * Releases this tensor's device memory now (a GPU backend's texture; a no-op on the
   * CPU backend, whose arrays the garbage collector frees). The storage is shared
   * with every view of this tensor (`reshape`, `detach`, slices, …): none of them may
   * be read afterwards — reading throws a BackendError. Device memory of tensors
   * that are never disposed is released when they are garbage-collected.
   */
  dispose(): void {
    this.storage.backend.dispose(this.storage);
  }
  /** A tensor sharing this one's storage, outside the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype);
  }
  /**
   * Overwrites this tensor's data with `value` (same shape; cast to this dtype), outside
   * the graph — PyTorch's `copy_`: every view of the storage sees the new values.
   * Optimisers, `loadStateDict` and running statistics use it.
   */
  assign_(value: Tensor): this {
    S.assignInPlace(this, value);
    writtenInPlace(this);
    return this;
  }

  // ---------- elementwise ----------
  neg(): Tensor { return E.neg(this); }
  abs(): Tensor { return E.abs(this); }
  sign(): Tensor { return E.sign(this); }
  exp(): Tensor { return E.exp(this); }
  expm1(): Tensor { return E.expm1(this); }
  log(): Tensor { return E.log(this); }
  log1p(): Tensor { return E.log1p(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  rsqrt(): Tensor { return E.rsqrt(this); }
  square(): Tensor { return E.square(this); }
  reciprocal(): Tensor { return E.reciprocal(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  tanh(): Tensor { return E.tanh(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  relu(): Tensor { return E.relu(this); }
  softplus(): Tensor { return C.softplus(this); }
  logSigmoid(): Tensor { return C.logSigmoid(this); }
  clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor { return C.clamp(this, min, max); }

  add(other: TensorLike, alpha?: number): Tensor { return E.add(this, alpha === undefined ? other : scaled('add', other, alpha)); }
  sub(other: TensorLike, alpha?: number): Tensor { return E.sub(this, alpha === undefined ? other : scaled('sub', other, alpha)); }
  mul(other: TensorLike): Tensor { return E.mul(this, other); }
  div(other: TensorLike): Tensor { return E.div(this, other); }
  pow(exponent: TensorLike): Tensor { return E.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return E.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return E.minimum(this, other); }
  eq(other: TensorLike): Tensor { return E.eq(this, other); }
  ne(other: TensorLike): Tensor { return E.ne(this, other); }
  lt(other: TensorLike): Tensor { return E.lt(this, other); }
  le(other: TensorLike): Tensor { return E.le(this, other); }
  gt(other: TensorLike): Tensor { return E.gt(this, other); }
  ge(other: TensorLike): Tensor { return E.ge(this, other); }
  logicalNot(): Tensor { return E.eq(this, 0); }

  // ---------- reductions ----------
  sum(dim?: number | number[] | null, keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  mean(dim?: number | number[] | null, keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  max(dim?: number | number[] | null, keepdim = false): Tensor { return R.max(this, dim, keepdim); }
  min(dim?: number | number[] | null, keepdim = false): Tensor { return R.min(this, dim, keepdim); }
  argmax(dim?: number | null, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  argmin(dim?: number | null, keepdim = false): Tensor { return R.argmin(this, dim, keepdim); }
  logSumExp(dim?: number | number[] | null, keepdim = false): Tensor { return R.logSumExp(this, dim, keepdim); }
  var(dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor { return R.variance(this, dim, opts); }
  softmax(dim: number): Tensor { return C.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return C.logSoftmax(this, dim); }

  // ---------- shape ----------
  reshape(shape: readonly number[]): Tensor { return S.reshape(this, shape); }
  /** Same as `reshape` (copies when the strides do not allow a view). */
  view(shape: readonly number[]): Tensor { return S.reshape(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  squeeze(dim?: number | number[]): Tensor { return S.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return S.unsqueeze(this, dim); }
  permute(dims: readonly number[]): Tensor { return S.permute(this, dims); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return S.transpose(this, dim0, dim1); }
  /** The matrix transpose of a 2-d tensor (`t.T`). */
  get T(): Tensor { return S.transpose(this, 0, this.ndim > 1 ? 1 : 0); }
  expand(shape: readonly number[]): Tensor { return S.expand(this, shape); }
  broadcastTo(shape: readonly number[]): Tensor { return S.expand(this, shape); }
  contiguous(): Tensor { return S.contiguous(this); }
  isContiguous(): boolean { return S.isContiguousTensor(this); }
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor { return S.slice(this, dim, start, end, step); }
  narrow(dim: number, start: number, length: number): Tensor { return S.narrow(this, dim, start, length); }
  split(splitSize: number | number[], dim = 0): Tensor[] { return S.split(this, splitSize, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); }
  gather(dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return I.scatterAdd(this, dim, index, src); }
  indexSelect(dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); }
  matmul(other: Tensor): Tensor { return L.matmul(this, other); }

  // ---------- selection, sorting, scans, norms, in place (ops/tensor-extras.ts) ----------
  /** A copy with storage of its own, in the graph (`torch.clone`). */
  clone(): Tensor { return X.clone(this); }
  /** The slice at `index` along `dim`, dim removed (a view). */
  select(dim: number, index: number): Tensor { return X.select(this, dim, index); }
  /** Windows of `size` elements, `step` apart, along `dim` as a new last dim (a view). */
  unfold(dimension: number, size: number, step: number): Tensor { return X.unfold(this, dimension, size, step); }
  maskedFill(mask: Tensor, value: number | Tensor): Tensor { return X.maskedFill(this, mask, value); }
  sort(dim = -1, descending = false): X.SortResult { return X.sort(this, dim, descending); }
  argsort(dim = -1, descending = false): Tensor { return X.argsort(this, dim, descending); }
  topk(k: number, dim = -1, largest = true, sorted = true): X.SortResult { return X.topk(this, k, dim, largest, sorted); }
  cumsum(dim: number): Tensor { return X.cumsum(this, dim); }
  std(dim?: number | number[], opts: X.StdOptions = {}): Tensor { return X.std(this, dim, opts); }
  norm(p: X.NormOrder = 2, dim?: number | number[], keepdim = false): Tensor { return X.norm(this, p, dim, keepdim); }
  /** Fills this tensor (and views sharing its storage) with `value` in place; see `fill_` for the autograd rules. */
  fill_(value: number | boolean | Tensor): this { X.fill_(this, value); return this; }
  /** Zeroes this tensor in place; see `fill_` for the autograd rules. */
  zero_(): this { X.zero_(this); return this; }
}

registerTensorClass(Tensor);

/** `other·alpha` for add/sub's `alpha`, checked under the name the user called. */
function scaled(op: string, other: TensorLike, alpha: number): TensorLike {
  checkMethodArg(op, 'other', OPERAND_SPEC, other);
  checkMethodArg(op, 'alpha', ALPHA_SPEC, alpha);
  return E.mul(other, alpha);
}
