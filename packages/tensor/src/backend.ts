import type { DType, TypedArray } from './dtype.js';
import type { Shape } from './shape.js';
import { BackendError } from './errors.js';

/** Device memory owned by one backend. The front end never looks inside. */
export interface Storage {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

/** A strided window onto a storage: what every kernel receives. */
export interface View {
  readonly storage: Storage;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'expm1' | 'log' | 'log1p' | 'sqrt' | 'rsqrt'
  | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'square' | 'reciprocal' | 'copy';
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin' | 'logSumExp';

/** Kernel families a backend may or may not implement for a given dtype list. */
export type KernelName =
  | UnaryOp | BinaryOp | ReduceOp | 'where' | 'matmul' | 'gather' | 'scatterAdd' | 'copyStrided';

/**
 * The seam between the tensor front end and a device. A backend allocates, reads,
 * writes and frees storage, and runs the kernels the primitive table needs. Every
 * kernel returns a fresh contiguous storage of the output shape; inputs arrive as
 * strided views already broadcast to the output shape (stride 0 on broadcast dims).
 */
export interface Backend {
  readonly name: string;
  /** Details reported by `backendInfo()` (mode, device, …). */
  info(): Record<string, string | number | boolean>;
  /**
   * Whether `kernel` runs here for inputs of these dtypes (else the CPU backend runs
   * it). `inputs` are the kernel's input views, for backends that also decide by size
   * or by where the data already lives (e.g. small tensors faster on the CPU).
   */
  supports(kernel: KernelName, dtypes: readonly DType[], inputs?: readonly View[]): boolean;
  /**
   * Called when the backend is selected (`setBackend`, TSGRAD_BACKEND): a backend that
   * cannot run here throws a BackendError saying why, instead of failing later.
   */
  activate?(): void;
  /** Whether tensors of this dtype can live on this backend. */
  supportsDType(dtype: DType): boolean;

  fromTypedArray(data: TypedArray, dtype: DType): Storage;
  full(size: number, value: number, dtype: DType): Storage;
  /** A contiguous copy of the view's elements in row-major order, on the host. */
  read(view: View): TypedArray;
  /**
   * The same as `read`, for devices whose reads complete asynchronously (WebGPU
   * buffer mapping): `Tensor.data()`/`array()` use it when present, `read` otherwise.
   */
  readAsync?(view: View): Promise<TypedArray>;
  /**
   * Computes these views' values now, for backends that record work lazily (fused
   * elementwise chains): `evaluate(...tensors)` calls it, for timing and to cut what a
   * long-lived result keeps alive. Backends that compute eagerly omit it.
   */
  evaluate?(...views: View[]): void;
  /**
   * Frees the storage's device memory. Lazy backends keep memory that a recorded op
   * which has not run yet still reads; `unread` = true is the caller's guarantee that
   * no such op exists any more (a memory scope computes every tensor that outlives it
   * first), so that memory is freed now too.
   */
  dispose(storage: Storage, unread?: boolean | 'adopted'): void;
  /** Writes src's elements into dst (same shape); dst's storage belongs to this backend. */
  copyStrided(src: View, dst: View): void;

  unary(op: UnaryOp, x: View, outDtype: DType): Storage;
  binary(op: BinaryOp, a: View, b: View, outShape: Shape, outDtype: DType): Storage;
  where(cond: View, a: View, b: View, outShape: Shape, outDtype: DType): Storage;
  /** Reduces over `axes` (sorted, unique); the output drops those dims. */
  reduce(op: ReduceOp, x: View, axes: readonly number[], outDtype: DType): Storage;
  /** a [...B, M, K] · b [...B, K, N] with identical (already broadcast) batch dims. */
  matmul(a: View, b: View, outShape: Shape, outDtype: DType): Storage;
  /** out[p] = x[p with p[dim] = index[p]]; out has index's shape. Indices are pre-validated. */
  gather(x: View, dim: number, index: View, outDtype: DType): Storage;
  /** A copy of base with src[p] added at base[p with p[dim] = index[p]]. */
  scatterAdd(base: View, dim: number, index: View, src: View): Storage;
}

const registry = new Map<string, Backend>();
let current: Backend | null = null;
let envChecked = false;
/** Why the active backend is the one it is (reported by backendInfo()). */
let reason = '';

/** The backend used when nothing selects one: WebAssembly where it runs, else the JS reference. */
const PREFERRED_DEFAULT = 'wasm';

export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
}

export function listBackends(): string[] {
  return [...registry.keys()];
}

export function getBackendByName(name: string): Backend {
  const b = registry.get(name);
  if (!b) {
    throw new BackendError(
      `setBackend: argument 'name' expected one of ${[...registry.keys()].join(', ')}, got '${name}'` +
        (name === 'gpu' ? " (import '@tsgrad/gpu' to register the gpu backend)" : ''),
    );
  }
  return b;
}

/** Selects the backend new tensors are created on and ops prefer. */
export function setBackend(name: string): void {
  const b = getBackendByName(name);
  b.activate?.();
  current = b;
  envChecked = true;
  reason = `setBackend('${name}')`;
}

/** The active backend; honours TSGRAD_BACKEND on first use. */
export function getBackend(): Backend {
  if (!envChecked) {
    envChecked = true;
    const env = typeof process !== 'undefined' ? process.env?.['TSGRAD_BACKEND'] : undefined;
    if (env) {
      const b = getBackendByName(env);
      b.activate?.();
      current = b;
      reason = `TSGRAD_BACKEND=${env}`;
    }
  }
  if (!current) current = defaultBackend();
  return current;
}

function defaultBackend(): Backend {
  const preferred = registry.get(PREFERRED_DEFAULT);
  if (preferred) {
    try {
      preferred.activate?.();
      reason = 'default: WebAssembly SIMD is available';
      return preferred;
    } catch (e) {
      reason = `default: the JS reference backend (${(e as Error).message})`;
      return getBackendByName('cpu');
    }
  }
  reason = 'default: the JS reference backend';
  return getBackendByName('cpu');
}

export function cpuBackend(): Backend {
  return getBackendByName('cpu');
}

/** What runs now: `{ backend: 'wasm', reason: 'default: …', … }` (why it was chosen) plus the backend's own details (e.g. the gpu.js mode). */
export function backendInfo(): { backend: string; reason: string } & Record<string, string | number | boolean> {
  const b = getBackend();
  return { ...b.info(), backend: b.name, reason };
}
