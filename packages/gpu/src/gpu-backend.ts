import {
  BackendError, cpuBackend, isContiguous, numelOf,
  type Backend, type BinaryOp, type DType, type KernelName, type ReduceOp, type Storage, type TypedArray, type UnaryOp, type View,
} from '@tsgrad/tensor';
import { GPU, type DeviceArray, type GpuInstance, type GpuKernel, type KernelArg } from './gpujs';
import { chooseMode, isGlMode, parseMode, type GpuMode, type ModeChoice, type RequestedMode } from './modes';
import { KernelCache, type CacheEntry } from './kernel-cache';
import {
  copyIntoKernel, elementwiseKernel, gatherKernel, matmulKernel, reduceKernel, scatterAddKernel,
  type ElementwiseOp, type KernelSpec, type OperandDesc,
} from './kernels';
import { MemoryTracker, deviceBytes, type Cell, type MemoryStats } from './memory';
import { env } from './node-builtins';

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
  /** Compiled kernels kept (least recently used evicted and destroyed); default 256. */
  kernelCacheSize?: number;
  /** GL modes: output bytes the kept kernels may pin (each keeps its last output texture); default 256 MiB. */
  kernelCacheBytes?: number;
  /** GL modes: force a collection of unreachable tensors after this many new device bytes (default 256 MiB, 0 = never). */
  memoryPressureBytes?: number;
}

/** Default minElements per mode: the crossover sizes measured by bench/gpu.ts on the 2-core CI machine. */
export const DEFAULT_MIN_ELEMENTS: Record<GpuMode, number> = {
  headlessgl: 16384,
  webgl2: 4096,
  webgl: 4096,
  webasm: 65536,
};

export interface GpuStats extends MemoryStats {
  /** Host → device copies (tensor creation, inputs moved from the CPU backend). */
  uploads: number;
  /** Device → host copies (reading a tensor, an op without a gpu kernel). */
  readbacks: number;
  kernelRuns: number;
  kernelsCompiled: number;
  kernelsCached: number;
  kernelsEvicted: number;
}

const ONE_FLOAT = new Set<DType>(['float32', 'bool']);

/**
 * Device storage: a texture (GL modes) or a Float32Array (webasm) holding float32
 * values (bool as 0/1), or — until something is written into it — just a constant,
 * which kernels take as a uniform (scalars, zeros, ones never touch device memory).
 */
export class GpuStorage implements Storage {
  disposed = false;
  constructor(
    readonly backend: GpuBackend,
    readonly dtype: DType,
    readonly size: number,
    public constant: number | null,
    readonly cell: Cell,
  ) {}
}

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
  private counters = { uploads: 0, readbacks: 0, kernelRuns: 0 };
  private minElementsOption: number | undefined;
  private readonly kernelCacheSize: number;
  private readonly kernelCacheBytes: number;
  private readonly memoryPressureBytes: number;
  private warnedLarge = false;

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
    this.kernelCacheSize = options.kernelCacheSize ?? 256;
    this.kernelCacheBytes = options.kernelCacheBytes ?? 256 * 1024 * 1024;
    this.memoryPressureBytes = options.memoryPressureBytes ?? 256 * 1024 * 1024;
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
        memory: new MemoryTracker(gl ? this.memoryPressureBytes : 0),
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
    };
  }

  /** Zeroes the transfer and kernel counters (memory counts are live values). */
  resetStats(): void {
    this.counters = { uploads: 0, readbacks: 0, kernelRuns: 0 };
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

  private cellFor(out: Launched): Cell {
    const s = this.init();
    const entry = out.entry;
    if (entry) entry.live++;
    return { array: out.array, bytes: deviceBytes(out.array), onRelease: entry ? () => s.cache.released(entry) : null };
  }

  private newStorage(dtype: DType, size: number, out: Launched): GpuStorage {
    const s = this.init();
    const cell = this.cellFor(out);
    const st = new GpuStorage(this, dtype, size, null, cell);
    s.memory.added(cell);
    s.memory.track(st, cell);
    return st;
  }

  private constantStorage(dtype: DType, size: number, value: number): GpuStorage {
    const v = dtype === 'bool' ? (value !== 0 ? 1 : 0) : Math.fround(value);
    return new GpuStorage(this, dtype, size, v, { array: null, bytes: 0, onRelease: null });
  }

  /** Replaces a storage's contents with a new device array (in-place writes). */
  private replaceArray(st: GpuStorage, out: Launched): void {
    const s = this.init();
    const hadArray = st.cell.array !== null;
    s.memory.release(st.cell);
    const c = this.cellFor(out);
    st.cell.array = c.array;
    st.cell.bytes = c.bytes;
    st.cell.onRelease = c.onRelease;
    st.constant = null;
    s.memory.added(st.cell);
    if (!hadArray) s.memory.track(st, st.cell);
  }

  private check(st: Storage): GpuStorage {
    if (st.backend !== this) throw new BackendError(`gpu backend: storage of backend '${st.backend.name}' passed to '${this.name}'`);
    const g = st as GpuStorage;
    if (g.disposed) throw new BackendError('gpu backend: this tensor (or a tensor sharing its storage) was disposed; it cannot be used any more');
    return g;
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
    return this.newStorage(dtype, f.length, this.upload(f === data ? new Float32Array(f) : f));
  }

  /** Host floats to a device array (the caller's array is not kept in GL modes). */
  private upload(f: Float32Array): Launched {
    const st = this.init();
    this.counters.uploads++;
    if (!st.gl) return { array: f, entry: null };
    return this.launch({ key: `${st.choice.mode}|upload|${f.length}`, source: 'function(a0, nanv, infv) { return a0[this.thread.x]; }', outSize: f.length }, [f]);
  }

  full(size: number, value: number, dtype: DType): Storage {
    this.init();
    return this.constantStorage(dtype, size, value);
  }

  /** The whole (non-constant) storage as host floats: one readback. */
  private hostArray(st: GpuStorage): Float32Array {
    const a = st.cell.array!;
    this.counters.readbacks++;
    if (a instanceof Float32Array) return a;
    return a.toArray();
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
    const host = this.hostArray(st);
    if (isContiguous(view.shape, view.strides) && view.dtype !== 'bool') {
      for (let i = 0; i < n; i++) out[i] = host[view.offset + i]!;
      return out;
    }
    gatherHost(host, view.offset, view.shape, view.strides, out, view.dtype === 'bool');
    return out;
  }

  dispose(storage: Storage): void {
    const st = storage as GpuStorage;
    if (st.disposed) return;
    st.disposed = true;
    if (st.cell.array && this.state) {
      this.state.memory.untrack(st.cell);
      this.state.memory.release(st.cell);
    }
  }

  // ---------- running kernels ----------

  private launch(spec: KernelSpec, args: KernelArg[]): Launched {
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
        throw new BackendError(`gpu backend: gpu.js could not create kernel ${spec.key}: ${(e as Error).message}`);
      }
    }, s.gl ? Math.ceil(spec.outSize / 4) * 16 : 0);
    let out: DeviceArray;
    try {
      out = entry.kernel(...args, NaN, Infinity);
    } catch (e) {
      throw new BackendError(`gpu backend: kernel ${spec.key} failed in mode ${s.choice.mode}: ${(e as Error).message}\n${spec.source}`);
    }
    this.counters.kernelRuns++;
    return { array: out, entry };
  }

  /** Runs a kernel whose output becomes a new storage. */
  private runToStorage(spec: KernelSpec, args: KernelArg[], dtype: DType): GpuStorage {
    if (spec.outSize === 0) return this.constantStorage(dtype, 0, 0);
    const st = this.newStorage(dtype, spec.outSize, this.launch(spec, args));
    this.state!.memory.maybeCollect();
    return st;
  }

  private desc(v: View): OperandDesc {
    const st = this.check(v.storage);
    return { constant: st.constant !== null, storageSize: st.size, offset: v.offset, strides: v.strides };
  }

  private arg(v: View): KernelArg {
    const st = this.check(v.storage);
    return st.constant !== null ? st.constant : st.cell.array!;
  }

  /** Gives a constant storage device memory (for kernels that index into it). */
  private materialize(v: View): View {
    const st = this.check(v.storage);
    if (st.constant === null || st.size === 0) return v;
    const spec: KernelSpec = { key: `${this.init().choice.mode}|fill|${st.size}`, source: 'function(a0, nanv, infv) { return a0; }', outSize: st.size };
    this.replaceArray(st, this.launch(spec, [st.constant]));
    return v;
  }

  private dialect() {
    return this.init().gl ? 'gl' as const : 'wasm' as const;
  }

  private elementwise(what: ElementwiseOp, views: readonly View[], outShape: readonly number[], outDtype: DType): Storage {
    const n = numelOf(outShape);
    const sts = views.map((v) => this.check(v.storage));
    if (n > 0 && sts.every((s) => s.constant !== null)) {
      // Every operand constant: fold on the host with the CPU backend's own arithmetic.
      const cpu = cpuBackend();
      const one = (s: GpuStorage, dtype: DType) => ({ storage: cpu.full(1, s.constant!, dtype), shape: [], strides: [], offset: 0, dtype });
      const vs = views.map((v, k) => one(sts[k]!, v.dtype));
      const r = what.kind === 'unary' ? cpu.unary(what.op, vs[0]!, outDtype)
        : what.kind === 'binary' ? cpu.binary(what.op, vs[0]!, vs[1]!, [], outDtype)
          : cpu.where(vs[0]!, vs[1]!, vs[2]!, [], outDtype);
      const value = cpu.read({ storage: r, shape: [], strides: [], offset: 0, dtype: outDtype })[0]!;
      return this.constantStorage(outDtype, n, value);
    }
    const spec = elementwiseKernel(this.dialect(), what, outShape, views.map((v) => this.desc(v)));
    return this.runToStorage(spec, views.map((v) => this.arg(v)), outDtype);
  }

  unary(op: UnaryOp, x: View, outDtype: DType): Storage {
    return this.elementwise({ kind: 'unary', op, toBool: outDtype === 'bool' && x.dtype !== 'bool' }, [x], x.shape, outDtype);
  }

  binary(op: BinaryOp, a: View, b: View, outShape: readonly number[], outDtype: DType): Storage {
    const cmp = op === 'eq' || op === 'ne' || op === 'lt' || op === 'le' || op === 'gt' || op === 'ge';
    return this.elementwise({ kind: 'binary', op, toBool: outDtype === 'bool' && !cmp }, [a, b], outShape, outDtype);
  }

  where(cond: View, a: View, b: View, outShape: readonly number[], outDtype: DType): Storage {
    return this.elementwise({ kind: 'where' }, [cond, a, b], outShape, outDtype);
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[], outDtype: DType): Storage {
    this.materialize(x);
    const spec = reduceKernel(this.dialect(), op, x.shape, this.desc(x), axes);
    if (op === 'argmax' || op === 'argmin') {
      // int32 lives on the CPU: the indices come back (exact floats below 2^24).
      if (spec.outSize === 0) return cpuBackend().full(0, 0, outDtype);
      const out = this.launch(spec, [this.arg(x)]).array;
      this.counters.readbacks++;
      const host = out instanceof Float32Array ? out : out.toArray();
      if (!(out instanceof Float32Array)) out.delete();
      return cpuBackend().fromTypedArray(Int32Array.from(host.subarray(0, spec.outSize)), outDtype);
    }
    return this.runToStorage(spec, [this.arg(x)], outDtype);
  }

  matmul(a: View, b: View, outShape: readonly number[], outDtype: DType): Storage {
    this.materialize(a);
    this.materialize(b);
    const K = a.shape[a.shape.length - 1]!;
    const spec = matmulKernel(this.dialect(), outShape, K, this.desc(a), this.desc(b));
    return this.runToStorage(spec, [this.arg(a), this.arg(b)], outDtype);
  }

  gather(x: View, dim: number, index: View, outDtype: DType): Storage {
    this.materialize(x);
    const spec = gatherKernel(this.dialect(), this.desc(x), dim, index.shape, this.desc(index));
    const out = this.runToStorage(spec, [this.arg(x), this.arg(index)], outDtype);
    this.releaseTransient(index);
    return out;
  }

  scatterAdd(base: View, dim: number, index: View, src: View): Storage {
    const spec = scatterAddKernel(this.dialect(), base.shape, this.desc(base), dim, index.shape, this.desc(index), this.desc(src));
    const out = this.runToStorage(spec, [this.arg(base), this.arg(index), this.arg(src)], base.dtype);
    this.releaseTransient(index);
    return out;
  }

  /** int32 storages here are index copies made for one kernel: free them at once. */
  private releaseTransient(v: View): void {
    if (v.dtype === 'int32') this.dispose(v.storage);
  }

  copyStrided(src: View, dst: View): void {
    const d = this.check(dst.storage);
    const n = numelOf(dst.shape);
    if (n === 0) return;
    const whole = dst.offset === 0 && n === d.size && isContiguous(dst.shape, dst.strides);
    const s = this.check(src.storage);
    if (whole) {
      if (s.constant !== null) {
        if (d.cell.array) {
          this.init().memory.untrack(d.cell);
          this.init().memory.release(d.cell);
        }
        d.constant = s.constant;
        return;
      }
      const spec = elementwiseKernel(this.dialect(), { kind: 'unary', op: 'copy', toBool: false }, dst.shape, [this.desc(src)]);
      this.replaceArray(d, this.launch(spec, [this.arg(src)]));
      return;
    }
    if (nested(dst.shape, dst.strides)) {
      const old: OperandDesc = { constant: d.constant !== null, storageSize: d.size, offset: 0, strides: [1] };
      const spec = copyIntoKernel(this.dialect(), d.size, old, dst.shape, dst.strides, dst.offset, this.desc(src));
      this.replaceArray(d, this.launch(spec, [this.arg(src), d.constant !== null ? d.constant : d.cell.array!]));
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
    this.replaceArray(d, this.upload(host));
  }

  /** Destroys every cached kernel (tensors stay valid; kernels recompile on use). */
  clearKernelCache(): void {
    this.state?.cache.clear();
  }
}
