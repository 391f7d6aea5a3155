import {
  BackendError, binaryOp, blockReplaced, cpuBackend, foldConstants, inScope, isContiguous, markCaptured, numelOf, unaryOp,
  type Backend, type BinaryOp, type DType, type KernelName, type ReduceOp, type Storage, type TypedArray, type UnaryOp, type View,
} from '@tsgrad/tensor';
import { GPU, type DeviceArray, type GpuInstance, type GpuKernel } from './gpujs.js';
import { chooseMode, isGlMode, parseMode, type GpuMode, type ModeChoice, type RequestedMode } from './modes.js';
import { KernelCache, type CacheEntry } from './kernel-cache.js';
import { copyIntoKernel, evaluateKernel, gatherKernel, matmulKernel, reduceKernel, reduceSplit, scatterAddKernel, type KernelSpec } from './kernels.js';
import { Buffer, LazyNode, opsOf, sourceOfNode, type Access, type ElementwiseOp, type Source } from './graph.js';
import { MemoryTracker, deviceBytes, isTexture, type Cell, type MemoryStats } from './memory.js';
import { env } from './node-builtins.js';
import { TexturePool, installPool, registerPool } from './texture-pool.js';

/** Indices and sizes are computed in float32 in the kernels: exact below 2^24. */
export const MAX_ELEMENTS = 1 << 24;

export interface GpuBackendOptions {
  /** Registry name (default 'gpu'). */
  name?: string;
  /** gpu.js mode (default: TSGRAD_GPU_MODE, else 'auto'). */
  mode?: RequestedMode | string;
  /**
   * Ops whose inputs and output all have fewer elements than this run on the CPU
   * backend, which is faster for them (default: TSGRAD_GPU_MIN_ELEMENTS, else the
   * mode's measured crossover). 0 runs everything it can on the gpu.
   */
  minElements?: number;
  /**
   * Record elementwise ops and compute them inside the kernel that first needs them
   * (one pass over memory for a chain of ops). Default true; TSGRAD_GPU_FUSE=0 turns
   * it off (every op its own kernel, for comparison).
   */
  fuse?: boolean;
  /**
   * Compute reductions with few outputs over long rows as partials over runs of each
   * row plus a short second reduction, so a software rasterizer spreads them over
   * its threads. Default: on in GL modes, off in webasm (one thread either way);
   * TSGRAD_GPU_SPLIT_REDUCTIONS=0/1 overrides.
   */
  splitReductions?: boolean;
  /** Compiled kernels kept (least recently used evicted and destroyed); default 256. */
  kernelCacheSize?: number;
  /** GL modes: output bytes the kept kernels may pin (each keeps its last output texture); default 256 MiB. */
  kernelCacheBytes?: number;
  /** Force a collection of unreachable tensors (running their finalizers now) after this many new device bytes; default 256 MiB, 0 = never. */
  memoryPressureBytes?: number;
  /** The same threshold counted in new device arrays (each GL texture has a fixed cost); default 8192. */
  memoryPressureArrays?: number;
  /** GL modes: bytes of released textures kept for reuse (allocating one costs more than most kernels); default 256 MiB, 0 = off. */
  texturePoolBytes?: number;
}

/**
 * Default minElements per mode, from bench/gpu.ts on the 2-core CI machine: headless
 * GL (llvmpipe) overtakes the CPU between 1e4 and 1e5 elements for transcendental
 * ops (a fused chain already at 1e4); webasm wins only for arithmetic and fused
 * chains of it from ~1e5 (its Math.exp/log are calls out to JS). The browser GL
 * modes are unmeasured here and use the headless GL value.
 */
export const DEFAULT_MIN_ELEMENTS: Record<GpuMode, number> = {
  headlessgl: 65536,
  webgl2: 65536,
  webgl: 65536,
  webasm: 100000,
};

export interface GpuStats extends MemoryStats {
  /** Host → device copies (tensor creation, inputs moved from the CPU backend). */
  uploads: number;
  /** Device → host copies (reading a tensor, an op without a gpu kernel). */
  readbacks: number;
  /** Index (int32) inputs found already on the device (same values as a recent upload). */
  indexCacheHits: number;
  kernelRuns: number;
  kernelsCompiled: number;
  kernelsCached: number;
  kernelsEvicted: number;
  /** Evicted kernels destroyed (GL programs and textures freed). */
  kernelsDestroyed: number;
  /** Evicted kernels kept until the last tensor they produced is released. */
  kernelsPendingDestroy: number;
  /** GL modes: bytes of released textures waiting for reuse. */
  pooledBytes: number;
  /** GL modes: outputs rendered into a recycled texture instead of a new one. */
  texturesReused: number;
}

const ONE_FLOAT = new Set<DType>(['float32', 'bool']);

/** Index uploads kept for reuse (see GpuBackend.indexBuffer), and the longest kept. */
const INDEX_CACHE_ENTRIES = 16;
const INDEX_CACHE_MAX_ELEMENTS = 1 << 20;

function hashFloats(f: Float32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < f.length; i++) h = Math.imul(h ^ (f[i]! | 0), 0x01000193);
  return h >>> 0;
}

function equalFloats(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Device storage: float32 values (bool as 0/1) held as one of
 *  - a constant (scalars, zeros, ones: kernels take it as a uniform, no memory),
 *  - a device buffer (a texture in GL modes, a Float32Array in webasm),
 *  - a recorded elementwise op, computed by the first kernel that reads it.
 */
export class GpuStorage implements Storage {
  disposed = false;
  constant: number | null = null;
  buf: Buffer | null = null;
  node: LazyNode | null = null;
  constructor(
    readonly backend: GpuBackend,
    readonly dtype: DType,
    readonly size: number,
  ) {}
}

/** Most ops one kernel inlines (deeper records are computed into memory first). */
export const MAX_FUSED_OPS = 16;

/** A device array and the cached kernel that produced it (null: made on the host). */
interface Launched {
  array: DeviceArray;
  entry: CacheEntry<GpuKernel> | null;
}

interface State {
  gpu: GpuInstance;
  choice: ModeChoice;
  gl: boolean;
  cache: KernelCache<GpuKernel>;
  memory: MemoryTracker;
  /** GL modes: released output textures kept for reuse. */
  pool: TexturePool | null;
  poolInstalled: boolean;
}

function nested(shape: readonly number[], strides: readonly number[]): boolean {
  const dims = shape.map((_, d) => d).filter((d) => shape[d]! > 1).sort((a, b) => strides[b]! - strides[a]!);
  for (let k = 0; k < dims.length; k++) {
    const d = dims[k]!;
    if (strides[d]! <= 0) return false;
    const next = dims[k + 1];
    if (next !== undefined && strides[d]! < strides[next]! * shape[next]!) return false;
  }
  return true;
}

/** Copies a strided view of host data into a contiguous array of `out`'s type. */
function gatherHost(src: ArrayLike<number>, offset: number, shape: readonly number[], strides: readonly number[], out: TypedArray, toBool: boolean): void {
  const n = out.length;
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let p = offset;
  for (let i = 0; i < n; i++) {
    const v = src[p]!;
    out[i] = toBool ? (v !== 0 ? 1 : 0) : v;
    for (let d = nd - 1; d >= 0; d--) {
      p += strides[d]!;
      if (++idx[d]! < shape[d]!) break;
      p -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

function allocFor(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'bool': return new Uint8Array(n);
  }
}

/**
 * A gpu.js backend for the elementwise, reduction and indexing kernels (plus
 * matmul), float32 (and bool as 0/1) only: float64 and int32 tensors stay on the
 * CPU backend. Data stays on the device between ops and is read back only when a
 * tensor is read or an op has no gpu kernel.
 */
export class GpuBackend implements Backend {
  readonly name: string;
  private requested: RequestedMode;
  private state: State | null = null;
  private initError: BackendError | null = null;
  private counters = { uploads: 0, readbacks: 0, kernelRuns: 0, indexCacheHits: 0 };
  private readonly indexCache = new Map<string, { host: Float32Array; buf: Buffer }>();
  private minElementsOption: number | undefined;
  private readonly kernelCacheSize: number;
  private readonly kernelCacheBytes: number;
  private readonly memoryPressureBytes: number;
  private readonly memoryPressureArrays: number;
  private readonly texturePoolBytes: number;
  private warnedLarge = false;
  /** Record elementwise ops and compute them inside their consumers' kernels. */
  fuse: boolean;
  /** Split reductions with few outputs (see GpuBackendOptions.splitReductions); undefined: the mode's default. */
  splitReductions: boolean | undefined;

  constructor(options: GpuBackendOptions = {}) {
    this.name = options.name ?? 'gpu';
    const envMode = env('TSGRAD_GPU_MODE');
    this.requested = options.mode !== undefined
      ? parseMode(options.mode, `GpuBackend: option 'mode'`)
      : envMode ? parseMode(envMode, 'TSGRAD_GPU_MODE') : 'auto';
    const envMin = env('TSGRAD_GPU_MIN_ELEMENTS');
    this.minElementsOption = options.minElements ?? (envMin !== undefined && envMin !== '' ? Number(envMin) : undefined);
    if (this.minElementsOption !== undefined && !(this.minElementsOption >= 0)) {
      throw new BackendError(`GpuBackend: minElements expected a number >= 0, got ${String(options.minElements ?? envMin)}`);
    }
    this.fuse = options.fuse ?? env('TSGRAD_GPU_FUSE') !== '0';
    const envSplit = env('TSGRAD_GPU_SPLIT_REDUCTIONS');
    this.splitReductions = options.splitReductions ?? (envSplit === '0' ? false : envSplit === '1' ? true : undefined);
    this.kernelCacheSize = options.kernelCacheSize ?? 256;
    this.kernelCacheBytes = options.kernelCacheBytes ?? 256 * 1024 * 1024;
    this.memoryPressureBytes = options.memoryPressureBytes ?? 256 * 1024 * 1024;
    this.memoryPressureArrays = options.memoryPressureArrays ?? 8192;
    this.texturePoolBytes = options.texturePoolBytes ?? 256 * 1024 * 1024;
  }

  // ---------- setup and reporting ----------

  private init(): State {
    if (this.state) return this.state;
    if (this.initError) throw this.initError;
    try {
      const choice = chooseMode(this.requested);
      const gpu = new GPU({ mode: choice.mode });
      const gl = isGlMode(choice.mode);
      this.state = {
        gpu,
        choice,
        gl,
        cache: new KernelCache<GpuKernel>(this.kernelCacheSize, this.kernelCacheBytes, (k) => k.destroy()),
        memory: new MemoryTracker(this.memoryPressureBytes, this.memoryPressureArrays),
        pool: gl && this.texturePoolBytes > 0 ? new TexturePool(this.texturePoolBytes) : null,
        poolInstalled: false,
      };
      return this.state;
    } catch (e) {
      this.initError = e instanceof BackendError ? e : new BackendError(`gpu backend: cannot start gpu.js: ${(e as Error).message}`);
      throw this.initError;
    }
  }

  /** Starts gpu.js in the requested mode; throws a BackendError saying why it cannot. */
  activate(): void {
    this.init();
  }

  /** The gpu.js mode that runs (starting the backend if needed). */
  get mode(): GpuMode {
    return this.init().choice.mode;
  }

  /** The mode asked for: an explicit mode, or 'auto'. */
  get requestedMode(): RequestedMode {
    return this.requested;
  }

  /**
   * Picks the mode before the backend starts (an explicit mode that cannot run
   * throws when the backend starts). Once started, only a call with the running
   * mode (or 'auto' resolving to it) is accepted: tensors live in one context.
   */
  setMode(mode: RequestedMode | string): void {
    const m = parseMode(mode, 'setGpuMode');
    if (this.state) {
      if (m === 'auto' || m === this.state.choice.mode) return;
      throw new BackendError(`setGpuMode: the gpu backend already runs in mode '${this.state.choice.mode}'; choose the mode before the first gpu tensor (or set TSGRAD_GPU_MODE)`);
    }
    this.requested = m;
    this.initError = null;
  }

  get minElements(): number {
    if (this.minElementsOption !== undefined) return this.minElementsOption;
    return DEFAULT_MIN_ELEMENTS[this.mode];
  }

  set minElements(value: number) {
    if (!(value >= 0)) throw new BackendError(`gpu backend: minElements expected a number >= 0, got ${value}`);
    this.minElementsOption = value;
  }

  info(): Record<string, string | number | boolean> {
    const s = this.init();
    return {
      mode: s.choice.mode,
      requestedMode: s.choice.requested,
      modeReason: s.choice.reason,
      minElements: this.minElements,
      splitReductions: this.splitReductions ?? s.gl,
      kernelCacheSize: s.cache.limit,
      liveArrays: s.memory.liveArrays,
      liveBytes: s.memory.liveBytes,
      syncCollection: s.memory.syncCollection,
    };
  }

  stats(): GpuStats {
    const s = this.init();
    return {
      ...this.counters,
      ...s.memory.stats(),
      kernelsCompiled: s.cache.compiled,
      kernelsCached: s.cache.size,
      kernelsEvicted: s.cache.evicted,
      kernelsDestroyed: s.cache.destroyedCount,
      kernelsPendingDestroy: s.cache.pending,
      pooledBytes: s.pool?.bytes ?? 0,
      texturesReused: s.pool?.reused ?? 0,
    };
  }

  /** Zeroes the transfer and kernel counters (memory counts are live values). */
  resetStats(): void {
    this.counters = { uploads: 0, readbacks: 0, kernelRuns: 0, indexCacheHits: 0 };
    const s = this.init();
    s.cache.resetCounters();
    s.memory.resetPeak();
  }

  /** Forces a garbage collection and frees the device memory of unreachable tensors now. */
  collectGarbage(): number {
    return this.init().memory.collect();
  }

  /** Resizes the kernel cache (evicting and destroying the least recently used). */
  setKernelCacheSize(limit: number): void {
    this.init().cache.resize(limit);
  }

  /** Blocks until queued GL work is done (for timing). */
  finish(): void {
    this.init().gpu.context?.finish?.();
  }

  // ---------- capability ----------

  supportsDType(dtype: DType): boolean {
    return ONE_FLOAT.has(dtype);
  }

  supports(kernel: KernelName, dtypes: readonly DType[], inputs?: readonly View[]): boolean {
    this.init();
    const out = dtypes[dtypes.length - 1];
    const ins = dtypes.slice(0, -1);
    switch (kernel) {
      case 'argmax': case 'argmin':
        if (!ins.every((d) => ONE_FLOAT.has(d)) || out !== 'int32') return false;
        break;
      case 'gather':
        if (!ONE_FLOAT.has(ins[0]!) || ins[1] !== 'int32' || !ONE_FLOAT.has(out!)) return false;
        break;
      case 'scatterAdd':
        if (!ONE_FLOAT.has(ins[0]!) || ins[1] !== 'int32' || !ONE_FLOAT.has(ins[2]!) || !ONE_FLOAT.has(out!)) return false;
        break;
      default:
        if (!dtypes.every((d) => ONE_FLOAT.has(d))) return false;
    }
    if (!inputs) return true;
    let work = 0;
    for (const v of inputs) {
      work = Math.max(work, numelOf(v.shape));
      if (v.storage.size >= MAX_ELEMENTS || numelOf(v.shape) >= MAX_ELEMENTS) {
        if (!this.warnedLarge) {
          this.warnedLarge = true;
          console.warn(`[@tsgrad/gpu] an op on a tensor of ${Math.max(v.storage.size, numelOf(v.shape))} elements runs on the CPU backend: gpu kernels index in float32, exact below 2^24 (${MAX_ELEMENTS}) elements`);
        }
        return false;
      }
    }
    if (kernel === 'matmul' && inputs.length === 2) {
      const a = inputs[0]!, b = inputs[1]!;
      const outN = numelOf(a.shape) / a.shape[a.shape.length - 1]! * b.shape[b.shape.length - 1]!;
      if (outN >= MAX_ELEMENTS) return false;
      work = Math.max(work, outN);
    }
    // Small work runs where it is fastest, the CPU: moving gpu inputs back is cheap at that size.
    return work >= this.minElements;
  }

  // ---------- storage ----------

  /** Wraps a kernel output (or an upload) as a tracked device buffer. */
  private newBuffer(out: Launched, size: number): Buffer {
    const s = this.init();
    const entry = out.entry;
    if (entry) entry.live++;
    const cell: Cell = {
      live: true,
      texture: isTexture(out.array) ? out.array : null,
      bytes: deviceBytes(out.array),
      onRelease: entry ? () => s.cache.released(entry) : null,
    };
    const buf = new Buffer(out.array, size, cell);
    s.memory.added(cell);
    s.memory.track(buf, cell);
    return buf;
  }

  /** Frees a buffer now, unless a recorded op still reads it (then the GC frees it) and the caller cannot vouch otherwise (`unread`). */
  private dropBuffer(buf: Buffer | null, unread: boolean | 'adopted' = false): void {
    if (!buf || !this.state) return;
    // 'adopted': freed by a scope it was handed to; an op recorded outside every scope may still read it.
    if (buf.captured && (unread === false || (unread === 'adopted' && buf.capturedAt <= 0))) return;
    this.state.memory.untrack(buf.cell);
    this.state.memory.release(buf.cell);
  }

  private bufferStorage(dtype: DType, buf: Buffer): GpuStorage {
    const st = new GpuStorage(this, dtype, buf.size);
    st.buf = buf;
    return st;
  }

  private constantStorage(dtype: DType, size: number, value: number): GpuStorage {
    const st = new GpuStorage(this, dtype, size);
    st.constant = dtype === 'bool' ? (value !== 0 ? 1 : 0) : Math.fround(value);
    return st;
  }

  private check(st: Storage): GpuStorage {
    if (st.backend !== this) throw new BackendError(`gpu backend: storage of backend '${st.backend.name}' passed to '${this.name}'`);
    const g = st as GpuStorage;
    if (g.disposed) throw new BackendError('gpu backend: this tensor (or a tensor sharing its storage) was disposed; it cannot be used any more');
    return g;
  }

  /** What kernels read for a storage. */
  private source(st: GpuStorage): Source {
    if (st.constant !== null) return { kind: 'const', value: st.constant };
    if (st.buf) return { kind: 'buf', buf: st.buf };
    if (st.node) return sourceOfNode(st.node);
    throw new BackendError('gpu backend: internal error, storage without data');
  }

  private access(v: View): Access {
    return { src: this.source(this.check(v.storage)), offset: v.offset, strides: v.strides };
  }

  fromTypedArray(data: TypedArray, dtype: DType): Storage {
    this.init();
    // int32 arrives only as a kernel's index input, moved here for gather/scatterAdd;
    // indices are below 2^24, exact in float32.
    let f: Float32Array;
    if (data instanceof Float32Array && dtype !== 'bool') f = data;
    else {
      f = new Float32Array(data.length);
      if (dtype === 'bool') for (let i = 0; i < f.length; i++) f[i] = data[i] !== 0 ? 1 : 0;
      else f.set(data as ArrayLike<number>);
    }
    if (f.length === 0) return this.constantStorage(dtype, 0, 0);
    // Inside a memory scope an index copy is an ordinary temporary the scope frees (the
    // cache's buffers outlive it and, once evicted, only the garbage collector frees them).
    if (dtype === 'int32' && !inScope()) return this.bufferStorage(dtype, this.indexBuffer(f));
    return this.bufferStorage(dtype, this.newBuffer(this.upload(f === data ? new Float32Array(f) : f), f.length));
  }

  /**
   * Device copy of index values (labels: the same ones reach gather in the forward
   * pass and scatterAdd in the backward pass, and often step after step). Kept by
   * content — a hit is checked element by element against the kept host copy, so a
   * label tensor changed in place is uploaded again — in a small LRU. Kept buffers
   * are never written (buffers are immutable) and are freed by the garbage collector
   * once evicted and unread.
   */
  private indexBuffer(f: Float32Array): Buffer {
    const key = `${f.length}:${hashFloats(f)}`;
    const hit = this.indexCache.get(key);
    if (hit && equalFloats(hit.host, f)) {
      this.indexCache.delete(key);
      this.indexCache.set(key, hit);
      this.counters.indexCacheHits++;
      return hit.buf;
    }
    const buf = this.newBuffer(this.upload(new Float32Array(f)), f.length);
    // Shared by every op that uses this index: never freed by a scope.
    buf.captured = true;
    buf.capturedAt = -Infinity;
    if (f.length <= INDEX_CACHE_MAX_ELEMENTS) {
      if (hit) this.indexCache.delete(key);
      this.indexCache.set(key, { host: f, buf });
      while (this.indexCache.size > INDEX_CACHE_ENTRIES) this.indexCache.delete(this.indexCache.keys().next().value!);
    }
    return buf;
  }

  /** Host floats to a device array (the caller's array is not kept in GL modes). */
  private upload(f: Float32Array): Launched {
    const st = this.init();
    this.counters.uploads++;
    if (!st.gl) return { array: f, entry: null };
    return this.launch({ key: `${st.choice.mode}|upload|${f.length}`, source: 'function(a0, nanv, infv, onev) { return a0[this.thread.x]; }', outSize: f.length, args: [f] });
  }

  full(size: number, value: number, dtype: DType): Storage {
    this.init();
    return this.constantStorage(dtype, size, value);
  }

  /** Computes a recorded op's values into device memory (no-op for buffers and constants). */
  private materialize(st: GpuStorage): void {
    const node = st.node;
    if (!node) return;
    if (!node.result) {
      const spec = evaluateKernel(this.dialect(), { kind: 'lazy', node }, st.size);
      const buf = this.newBuffer(this.launch(spec), st.size);
      if (node.captured) {
        buf.captured = true;
        buf.capturedAt = Math.min(buf.capturedAt, node.capturedAt);
      }
      node.result = buf;
      this.state!.memory.maybeCollect();
    }
    st.buf = node.result;
    st.node = null;
  }

  /**
   * Computes the values of these gpu tensors now (they are otherwise computed by the
   * first kernel or read that needs them). For timing, and to cap what a long-lived
   * result keeps alive.
   */
  evaluate(...views: View[]): void {
    for (const v of views) if (v.storage.backend === this) this.materialize(this.check(v.storage));
  }

  read(view: View): TypedArray {
    const st = this.check(view.storage);
    const n = numelOf(view.shape);
    const out = allocFor(view.dtype, n);
    if (n === 0) return out;
    if (st.constant !== null) {
      out.fill(view.dtype === 'bool' ? (st.constant !== 0 ? 1 : 0) : st.constant);
      return out;
    }
    this.materialize(st);
    const a = st.buf!.array;
    this.counters.readbacks++;
    const host = a instanceof Float32Array ? a : a.toArray();
    if (isContiguous(view.shape, view.strides) && view.dtype !== 'bool') {
      for (let i = 0; i < n; i++) out[i] = host[view.offset + i]!;
      return out;
    }
    gatherHost(host, view.offset, view.shape, view.strides, out, view.dtype === 'bool');
    return out;
  }

  dispose(storage: Storage, unread: boolean | 'adopted' = false): void {
    const st = storage as GpuStorage;
    if (st.disposed) return;
    st.disposed = true;
    const buf = st.buf ?? st.node?.result ?? null;
    st.buf = null;
    st.node = null;
    st.constant = null;
    this.dropBuffer(buf, unread);
  }

  // ---------- running kernels ----------

  private launch(spec: KernelSpec): Launched {
    const s = this.init();
    const entry = s.cache.get(spec.key, () => {
      try {
        return s.gpu.createKernel(spec.source, {
          output: [spec.outSize],
          precision: 'single',
          pipeline: true,
          immutable: true,
          optimizeFloatMemory: s.gl,
          tactic: 'precision',
          returnType: 'Float',
          dynamicOutput: false,
          dynamicArguments: false,
          loopMaxIterations: MAX_ELEMENTS,
        });
      } catch (e) {
        throw new BackendError(`gpu backend: gpu.js could not create a kernel in mode ${s.choice.mode}: ${(e as Error).message}\n${spec.source}`);
      }
    }, s.gl ? Math.ceil(spec.outSize / 4) * 16 : 0);
    let out: DeviceArray;
    try {
      out = entry.kernel(...spec.args, NaN, Infinity, 1);
    } catch (e) {
      throw new BackendError(`gpu backend: a kernel failed in mode ${s.choice.mode}: ${(e as Error).message}\n${spec.source}`);
    }
    this.counters.kernelRuns++;
    if (s.pool && !s.poolInstalled && !(out instanceof Float32Array)) {
      s.poolInstalled = true;
      installPool(out);
      registerPool((out as unknown as { context: object }).context, s.pool);
    }
    return { array: out, entry };
  }

  /** Runs a kernel whose output becomes a new storage. */
  private runToStorage(spec: KernelSpec, dtype: DType): GpuStorage {
    if (spec.outSize === 0) return this.constantStorage(dtype, 0, 0);
    const st = this.bufferStorage(dtype, this.newBuffer(this.launch(spec), spec.outSize));
    this.state!.memory.maybeCollect();
    return st;
  }

  private dialect() {
    return this.init().gl ? 'gl' as const : 'wasm' as const;
  }

  /** Gives a recorded input device memory when a kernel would recompute it many times. */
  private settle(v: View, minOps: number): void {
    const st = this.check(v.storage);
    if (st.node && !st.node.result && st.node.ops >= minOps) this.materialize(st);
  }

  private elementwise(what: ElementwiseOp, views: readonly View[], outShape: readonly number[], outDtype: DType): Storage {
    const n = numelOf(outShape);
    const sts = views.map((v) => this.check(v.storage));
    if (n > 0 && sts.every((s) => s.constant !== null)) {
      // Every operand constant: fold on the host with the CPU backend's own arithmetic.
      const value = foldConstants(what, sts.map((st) => st.constant!), views.map((v) => v.dtype), outDtype);
      return this.constantStorage(outDtype, n, value);
    }
    if (n === 0) return this.constantStorage(outDtype, 0, 0);
    // A broadcast (stride-0) read of a recorded op would recompute it per repeat.
    // A broadcast (stride-0) read of a recorded op recomputes it per repeat: fine for one op.
    views.forEach((v) => {
      if (numelOf(v.shape) > 4 * this.check(v.storage).size) this.settle(v, 3);
    });
    let acc = views.map((v) => this.access(v));
    let ops = 1 + acc.reduce((t, a) => t + opsOf(a.src), 0);
    if (ops > MAX_FUSED_OPS) {
      views.forEach((v) => this.materialize(this.check(v.storage)));
      acc = views.map((v) => this.access(v));
      ops = 1;
    }
    this.capture(acc);
    const st = new GpuStorage(this, outDtype, n);
    st.node = new LazyNode(what, [...outShape], acc, ops, n);
    if (!this.fuse) this.materialize(st);
    return st;
  }

  unary(op: UnaryOp, x: View, outDtype: DType): Storage {
    return this.elementwise(unaryOp(op, x.dtype, outDtype), [x], x.shape, outDtype);
  }

  binary(op: BinaryOp, a: View, b: View, outShape: readonly number[], outDtype: DType): Storage {
    return this.elementwise(binaryOp(op, outDtype), [a, b], outShape, outDtype);
  }

  where(cond: View, a: View, b: View, outShape: readonly number[], outDtype: DType): Storage {
    return this.elementwise({ kind: 'where' }, [cond, a, b], outShape, outDtype);
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[], outDtype: DType): Storage {
    const acc = this.access(x);
    const parts = (this.splitReductions ?? this.init().gl) ? reduceSplit(op, x.shape, acc, axes) : 1;
    if (parts > 1) {
      // Partials over runs of each row, then one short reduction over them.
      const partial = this.runToStorage(reduceKernel(this.dialect(), op, x.shape, acc, axes, parts), 'float32');
      const nOut = partial.size / parts;
      const pv: View = { storage: partial, shape: [nOut, parts], strides: [parts, 1], offset: 0, dtype: 'float32' };
      const out = this.reduce(op, pv, [1], outDtype);
      this.dispose(partial);
      return out;
    }
    const spec = reduceKernel(this.dialect(), op, x.shape, acc, axes);
    if (op === 'argmax' || op === 'argmin') {
      // int32 lives on the CPU: the indices come back (exact floats below 2^24).
      if (spec.outSize === 0) return cpuBackend().full(0, 0, outDtype);
      const out = this.launch(spec).array;
      this.counters.readbacks++;
      const host = out instanceof Float32Array ? out : out.toArray();
      if (!(out instanceof Float32Array)) out.delete();
      return cpuBackend().fromTypedArray(Int32Array.from(host.subarray(0, spec.outSize)), outDtype);
    }
    return this.runToStorage(spec, outDtype);
  }

  matmul(a: View, b: View, outShape: readonly number[], outDtype: DType): Storage {
    // Each input element is read once per output row/column: compute recorded inputs first.
    this.settle(a, 1);
    this.settle(b, 1);
    const K = a.shape[a.shape.length - 1]!;
    return this.runToStorage(matmulKernel(this.dialect(), outShape, K, this.access(a), this.access(b)), outDtype);
  }

  gather(x: View, dim: number, index: View, outDtype: DType): Storage {
    const out = this.runToStorage(gatherKernel(this.dialect(), this.access(x), dim, index.shape, this.access(index)), outDtype);
    this.releaseTransient(index);
    return out;
  }

  scatterAdd(base: View, dim: number, index: View, src: View): Storage {
    const n = numelOf(base.shape);
    if (n === 0) return this.constantStorage(base.dtype, 0, 0);
    // Recorded like an elementwise op: gather's gradient (zeros + a scatter) then costs
    // nothing until the kernel that reads it (e.g. the rest of the softmax gradient).
    [index, src].forEach((v) => this.settle(v, 2));
    const acc = [base, index, src].map((v) => this.access(v));
    const ops = 2 + acc.reduce((t, a) => t + opsOf(a.src), 0);
    if (!this.fuse || ops > MAX_FUSED_OPS) {
      const spec = scatterAddKernel(this.dialect(), base.shape, acc[0]!, dim, index.shape, acc[1]!, acc[2]!);
      const out = this.runToStorage(spec, base.dtype);
      this.releaseTransient(index);
      return out;
    }
    this.capture(acc);
    const st = new GpuStorage(this, base.dtype, n);
    st.node = new LazyNode({ kind: 'scatter', dim, indexShape: [...index.shape] }, [...base.shape], acc, ops, n);
    this.releaseTransient(index);
    return st;
  }

  private capture(acc: readonly Access[]): void {
    for (const a of acc) {
      if (a.src.kind === 'buf') markCaptured(a.src.buf);
      else if (a.src.kind === 'lazy') markCaptured(a.src.node);
    }
  }

  /**
   * int32 storages here are index copies made for one kernel: free them at once (in a
   * memory scope the scope frees them: a recorded scatter may still read one).
   */
  private releaseTransient(v: View): void {
    if (v.dtype === 'int32' && !inScope()) this.dispose(v.storage);
  }

  /** Gives `st` new contents (an in-place write): recorded ops keep reading the old ones. */
  private replace(st: GpuStorage, next: { buf?: Buffer; node?: LazyNode; constant?: number }): void {
    const old = st.buf ?? st.node?.result ?? null;
    st.buf = next.buf ?? null;
    st.node = next.node ?? null;
    st.constant = next.constant ?? null;
    if (old && old !== st.buf) {
      // Still read by recorded ops: a memory scope frees it once they have run.
      if (old.captured && blockReplaced(st, this.bufferStorage(st.dtype, old))) return;
      this.dropBuffer(old);
    }
  }

  copyStrided(src: View, dst: View): void {
    const d = this.check(dst.storage);
    const n = numelOf(dst.shape);
    if (n === 0) return;
    const whole = dst.offset === 0 && n === d.size && isContiguous(dst.shape, dst.strides);
    const s = this.check(src.storage);
    if (whole) {
      if (s.constant !== null) {
        this.replace(d, { constant: s.constant });
        return;
      }
      // A recorded copy: computed (fused into its consumer) when needed.
      const a = this.access(src);
      this.capture([a]);
      const node = new LazyNode({ kind: 'unary', op: 'copy', toBool: false }, [...dst.shape], [a], 1 + opsOf(a.src), n);
      this.replace(d, { node });
      if (!this.fuse || node.ops > MAX_FUSED_OPS) this.materialize(d);
      return;
    }
    if (nested(dst.shape, dst.strides)) {
      const spec = copyIntoKernel(this.dialect(), d.size, this.source(d), dst.shape, dst.strides, dst.offset, this.access(src));
      this.replace(d, { buf: this.newBuffer(this.launch(spec), d.size) });
      return;
    }
    // Overlapping or reversed destination strides: write on the host.
    const host = Float32Array.from(this.read({ storage: d, shape: [d.size], strides: [1], offset: 0, dtype: 'float32' }));
    const vals = this.read({ ...src, dtype: 'float32' });
    const nd = dst.shape.length;
    const idx = new Array<number>(nd).fill(0);
    let p = dst.offset;
    for (let i = 0; i < n; i++) {
      host[p] = vals[i]!;
      for (let k = nd - 1; k >= 0; k--) {
        p += dst.strides[k]!;
        if (++idx[k]! < dst.shape[k]!) break;
        p -= dst.strides[k]! * dst.shape[k]!;
        idx[k] = 0;
      }
    }
    this.replace(d, { buf: this.newBuffer(this.upload(host), d.size) });
  }

  /** Destroys every cached kernel (tensors stay valid; kernels recompile on use). */
  clearKernelCache(): void {
    this.state?.cache.clear();
  }
}
