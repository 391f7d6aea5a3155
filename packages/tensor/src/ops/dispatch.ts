import { cpuBackend, getBackend, getBackendByName, listBackends, type Backend, type KernelName, type Storage, type View } from '../backend.js';
import { scalarDType, type DType, type TypedArray } from '../dtype.js';
import { contiguousStrides, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { trackStorage } from '../memory/scope.js';

/**
 * The host: where work the active device leaves goes (int32 labels, small tensors,
 * kernels it lacks). The WebAssembly backend when it runs here and a device other
 * than the JS reference is active; the JS reference otherwise (float64 always ends
 * there: nothing else holds it).
 */
export function hostBackend(): Backend {
  const active = getBackend();
  if (active.name === 'cpu') return cpuBackend();
  if (active.name === 'wasm') return active;
  const wasm = listBackends().includes('wasm') ? getBackendByName('wasm') : null;
  if (!wasm) return cpuBackend();
  try {
    wasm.activate?.();
    return wasm;
  } catch {
    return cpuBackend();
  }
}

/**
 * Chooses where a kernel runs: the backend the inputs live on when it supports the
 * kernel for these dtypes, otherwise the active backend, otherwise the host
 * (`hostBackend`), otherwise the CPU reference. Inputs living elsewhere are moved
 * (read back and uploaded) — the only place data crosses backends (`transferStats`).
 */
export function pickBackend(kernel: KernelName, inputs: readonly View[], outDtype?: DType): Backend {
  const dtypes: DType[] = [];
  for (const v of inputs) dtypes.push(v.dtype);
  if (outDtype) dtypes.push(outDtype);
  let home: Backend | null = null;
  for (const v of inputs) {
    if (v.storage.backend.name !== 'cpu') {
      home = v.storage.backend;
      break;
    }
  }
  if (home && home.supports(kernel, dtypes, inputs)) return home;
  const active = getBackend();
  if (!home && active.name !== 'cpu' && active.supports(kernel, dtypes, inputs)) return active;
  const host = hostBackend();
  if (host !== home && host.name !== 'cpu' && host.supports(kernel, dtypes, inputs)) return host;
  return cpuBackend();
}

const transfers = { count: 0, bytes: 0 };

/** Views moved between backends by ops so far (count and bytes; the user's own reads are not counted). */
export function transferStats(): { count: number; bytes: number } {
  return { ...transfers };
}

export function resetTransferStats(): void {
  transfers.count = 0;
  transfers.bytes = 0;
}

/** The view with its data on `backend` (same logical elements; contiguous if it moved). */
export function onBackend(v: View, backend: Backend): View {
  if (v.storage.backend === backend) return v;
  const host = v.storage.backend.read(v);
  transfers.count++;
  transfers.bytes += host.byteLength;
  const storage = backend.fromTypedArray(host, v.dtype);
  // A transient copy no tensor wraps: the innermost memory scope frees it.
  trackStorage(storage);
  return {
    storage,
    shape: v.shape,
    strides: contiguousStrides(v.shape),
    offset: 0,
    dtype: v.dtype,
  };
}

/** Runs `fn` on the chosen backend with every input moved there. */
export function runKernel(
  kernel: KernelName, inputs: readonly View[], outDtype: DType, fn: (b: Backend, views: readonly View[]) => Storage,
): Storage {
  const b = pickBackend(kernel, inputs, outDtype);
  return fn(b, onto(inputs, b));
}

/**
 * `inputs` with their data on `b` (the same array when they all are there already).
 * With `pickBackend`, `runKernel` in two steps for the ops every training step records:
 * no closure per call (V8 re-optimises a closure made per call after every full
 * collection, see exprKey in wasm/plan.ts).
 */
export function onto(inputs: readonly View[], b: Backend): readonly View[] {
  let moved: View[] | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const v = inputs[i]!;
    if (v.storage.backend === b && moved === null) continue;
    moved ??= inputs.slice(0, i);
    moved.push(onBackend(v, b));
  }
  return moved ?? inputs;
}

/** The backend new tensors of `dtype` are created on. */
export function creationBackend(dtype: DType): Backend {
  const b = getBackend();
  if (b.supportsDType(dtype)) return b;
  const host = hostBackend();
  return host.supportsDType(dtype) ? host : cpuBackend();
}

export function fromStorage(storage: Storage, shape: Shape, dtype: DType): Tensor {
  return new Tensor(storage, [...shape], contiguousStrides(shape), 0, dtype);
}

export function fromTypedArray(data: TypedArray, shape: Shape, dtype: DType): Tensor {
  return fromStorage(creationBackend(dtype).fromTypedArray(data, dtype), shape, dtype);
}

export function readHost(v: View): TypedArray {
  return v.storage.backend.read(v);
}

/** `readHost` as a promise: the backend's asynchronous read when it has one. */
export function readHostAsync(v: View): Promise<TypedArray> {
  const b = v.storage.backend;
  try {
    return b.readAsync ? b.readAsync(v) : Promise.resolve(b.read(v));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** A 0-d constant for a JS scalar, on the backend `like` lives on when it can hold it. */
export function scalarTensor(value: number | boolean, dtype: DType = scalarDType(value), like?: View): Tensor {
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const b = like && like.storage.backend.supportsDType(dtype) ? like.storage.backend : creationBackend(dtype);
  return fromStorage(b.full(1, v, dtype), [], dtype);
}

/** Cast primitive: `x.to(dtype)`; the same tensor when the dtype already matches. */
export function toDType(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const b = pickBackend('copy', [x], dtype);
  const storage = b.unary('copy', onto([x], b)[0]!, dtype);
  return record(fromStorage(storage, x.shape, dtype), 'cast', [x], { from: x.dtype });
}
