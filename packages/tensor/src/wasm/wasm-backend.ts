import type { Backend, BinaryOp, KernelName, ReduceOp, Storage, UnaryOp, View } from '../backend.js';
import { allocTyped, type DType, type TypedArray } from '../dtype.js';
import { BackendError } from '../errors.js';
import { foldConstants } from '../fusion/fold.js';
import { LazyNode, binaryOp, markCaptured, opsOf, sourceOfNode, unaryOp, type Access, type ElementwiseOp, type Source } from '../fusion/graph.js';
import { cleanupSome, envVar, syncCollector } from '../memory/sync-gc.js';
import { blockReplaced } from '../memory/scope.js';
import { pinShape } from '../memory/pin.js';
import { coalesce, contiguousStrides, isContiguous, numelOf } from '../shape.js';
import { canEmit } from './emit.js';
import { runMap, runReduce } from './kernels.js';
import { copyBytes, fillBytes, fillWords, wordOf } from './fill.js';
import { scatterAddKernel, scatterArgs } from './scatter.js';
import { matmulF32, type MatrixOperand } from './matmul.js';
import { MAX_FUSED_OPS, Plan, WasmBuffer, elemBytes, type Node } from './plan.js';
import { WasmRuntime, detectFeatures } from './runtime.js';
import { threadsReason } from './threads/config.js';
import type { HeapStats } from './heap.js';

/*
 * The WebAssembly backend: tensors live in one WebAssembly.Memory, kernels are
 * WebAssembly SIMD modules generated at run time (./builder.ts) — elementwise chains
 * recorded lazily and fused into the kernel that consumes them (the shared graph of
 * ../fusion/graph.ts), reductions, matmul on packed panels, gather/scatterAdd. float32,
 * int32 and bool live here; float64 stays on the JS reference backend, whose exact
 * float64 arithmetic the gradient checks rely on.
 */

export interface WasmBackendOptions {
  /** Registry name (default 'wasm'); another instance has a heap and kernel cache of its own. */
  name?: string;
  /**
   * Emit relaxed-SIMD fused multiply-adds: true (fails to start where the engine lacks
   * them), false (plain SIMD), or 'auto' (default: when the engine has them).
   * TSGRAD_WASM_RELAXED=0/1 overrides 'auto'.
   */
  relaxedSimd?: boolean | 'auto';
  /** Record elementwise ops and fuse them into their consumer (default true; TSGRAD_WASM_FUSE=0 turns it off). */
  fuse?: boolean;
  /** Compiled kernels kept, least recently used evicted (default 512). */
  kernelCacheSize?: number;
  /**
   * Before the heap grows, force a garbage collection (Node) at the latest when this
   * many bytes were allocated since the last one, so memory held by unreachable
   * tensors is reused (default 256 MiB; 0 = never force one). Below this cap the
   * backend adapts the interval to what a collection costs (4 MiB upwards).
   */
  pressureBytes?: number;
}

/** A tensor's data here: a constant (no memory), a heap block, or a recorded op. */
export class WasmStorage implements Storage {
  disposed = false;
  constant: number | null = null;
  buf: WasmBuffer | null = null;
  node: Node | null = null;
  constructor(
    readonly backend: WasmBackend,
    readonly dtype: DType,
    readonly size: number,
  ) {}
}

// A storage and a block as a step leaves them (the recorded graph's shapes: ../fusion/graph.ts).
{
  const buf = pinShape(new WasmBuffer(0, 'float32', 0));
  markCaptured(buf);
  buf.ready = 0;
}

const HOLDS: ReadonlySet<DType> = new Set(['float32', 'int32', 'bool']);

function roundTo(dtype: DType, v: number): number {
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  if (dtype === 'int32') return v | 0;
  return Math.fround(v);
}

export interface WasmStats extends HeapStats {
  kernelsCompiled: number;
  kernelsCached: number;
  kernelsEvicted: number;
  kernelRuns: number;
  /** Blocks freed by dispose() or in-place replacement. */
  released: number;
  /** Blocks freed because their tensor was garbage-collected. */
  finalized: number;
  /** Garbage collections forced before the heap would grow. */
  pressureCollections: number;
  /** Worker threads running now (0 until the first kernel large enough to split). */
  threadWorkers: number;
  /** Kernels (or matmul phases) split over threads. */
  parallelJobs: number;
  /** Tasks of those run by worker threads (the rest ran on the calling thread). */
  workerTasks: number;
}

/** Element strides in bytes. */
function byteStrides(elementStrides: readonly number[], size: number): number[] {
  const out: number[] = [];
  for (const st of elementStrides) out.push(st * size);
  return out;
}

/**
 * Recorded ops a kernel inlining these operands would compute: distinct nodes (a
 * shared sub-expression is computed once per element), counting stops past the limit.
 */
function distinctOps(acc: readonly Access<WasmBuffer>[]): number {
  const seen = new Set<Node>();
  const stack: Node[] = [];
  for (const a of acc) if (a.src.kind === 'lazy') stack.push(a.src.node);
  while (stack.length > 0 && seen.size <= MAX_FUSED_OPS) {
    const n = stack.pop()!;
    if (seen.has(n) || n.result) continue;
    seen.add(n);
    for (const o of n.operands) if (o.src.kind === 'lazy') stack.push(o.src.node);
  }
  return seen.size;
}

export class WasmBackend implements Backend {
  readonly name: string;
  private runtime: WasmRuntime | null = null;
  private initError: BackendError | null = null;
  private readonly relaxedOption: boolean | 'auto';
  readonly fuse: boolean;
  private readonly cacheSize: number;
  private readonly pressureBytes: number;
  private readonly registry: FinalizationRegistry<WasmBuffer['cell']>;
  private readonly collector = syncCollector();
  /** A plan's way to compute a node it reads (one function for every plan: see exprKey in plan.ts). */
  private readonly evalFn = (n: Node): WasmBuffer => this.evalNode(n);
  private counters = { kernelRuns: 0, released: 0, finalized: 0, pressureCollections: 0 };
  private allocatedSinceCollect = 0;

  constructor(options: WasmBackendOptions = {}) {
    this.name = options.name ?? 'wasm';
    const envRelaxed = envVar('TSGRAD_WASM_RELAXED');
    this.relaxedOption = options.relaxedSimd ?? (envRelaxed === '1' ? true : envRelaxed === '0' ? false : 'auto');
    this.fuse = options.fuse ?? envVar('TSGRAD_WASM_FUSE') !== '0';
    this.cacheSize = options.kernelCacheSize ?? 512;
    this.pressureBytes = options.pressureBytes ?? 256 * 1024 * 1024;
    const Registry = this.collector?.Registry ?? FinalizationRegistry;
    this.registry = new Registry((cell: WasmBuffer['cell']) => {
      if (!cell.live || !this.runtime) return;
      cell.live = false;
      this.runtime.heap.release(cell.ptr);
      this.counters.finalized++;
    });
  }

  // ---------- setup and reporting ----------

  private get rt(): WasmRuntime {
    if (this.runtime) return this.runtime;
    if (this.initError) throw this.initError;
    try {
      const features = detectFeatures();
      const relaxed = this.relaxedOption === 'auto' ? features.relaxedSimd : this.relaxedOption;
      this.runtime = new WasmRuntime({ relaxed, cacheLimit: this.cacheSize });
      this.runtime.heap.beforeGrow = () => this.relieve();
      return this.runtime;
    } catch (e) {
      this.initError = e instanceof BackendError ? e : new BackendError(`wasm backend: cannot start: ${(e as Error).message}`);
      throw this.initError;
    }
  }

  /** Throws a BackendError when this engine cannot run the backend (no WebAssembly SIMD). */
  activate(): void {
    void this.rt;
  }

  info(): Record<string, string | number | boolean> {
    const rt = this.rt;
    return {
      mode: rt.relaxed ? 'wasm-relaxed-simd' : 'wasm-simd',
      simd: rt.features.simd,
      relaxedSimd: rt.relaxed,
      relaxedSimdAvailable: rt.features.relaxedSimd,
      fuse: this.fuse,
      threads: rt.threads,
      threadsReason: threadsReason(),
      syncCollection: this.collector !== null,
    };
  }

  stats(): WasmStats {
    const rt = this.rt;
    const h = rt.heap.stats();
    const c = rt.cacheStats();
    const t = rt.threadStats();
    return {
      ...h, kernelsCompiled: c.compiled, kernelsCached: c.cached, kernelsEvicted: c.evicted, ...this.counters,
      threadWorkers: t.workers, parallelJobs: t.parallelJobs, workerTasks: t.workerTasks,
    };
  }

  /** Runs pending finalizers now, after a forced garbage collection where possible; returns blocks freed. */
  collectGarbage(): number {
    const before = this.counters.finalized;
    if (this.collector) {
      this.collector.gc();
      cleanupSome(this.registry);
      this.counters.pressureCollections++;
    }
    this.allocatedSinceCollect = 0;
    return this.counters.finalized - before;
  }

  /** New bytes between forced collections: adapted to what a collection costs here. */
  private threshold = 4 << 20;
  private lastCollectEnd = 0;

  /**
   * Before the heap grows: free what unreachable tensors hold. Pending finalizers run
   * first (free). A full collection is forced once `threshold` new bytes have been
   * allocated; the threshold adapts so collections take about 5–10 % of the time
   * between them — a small loop keeps a small heap, a loop allocating many megabytes
   * a step is not collected every step (a full collection costs milliseconds).
   */
  private relieve(): void {
    if (!this.collector) return;
    cleanupSome(this.registry);
    if (this.pressureBytes <= 0 || this.allocatedSinceCollect < Math.min(this.threshold, this.pressureBytes)) return;
    const start = performance.now();
    const interval = start - this.lastCollectEnd;
    this.collectGarbage();
    const end = performance.now();
    const cost = end - start;
    if (this.lastCollectEnd > 0) {
      if (cost > 0.1 * interval) this.threshold = Math.min(this.threshold * 2, this.pressureBytes);
      else if (cost < 0.05 * interval) this.threshold = Math.max(this.threshold / 2, 4 << 20);
    }
    this.lastCollectEnd = end;
  }

  /**
   * Starts the worker threads (when more than one thread is in use) and resolves when
   * every worker waits for work — true — or after `timeoutMs` — false. Kernels never
   * wait for workers to boot (until they are up the calling thread runs the queued
   * kernels itself when it waits for results);
   * in a browser Worker, whose nested Workers start only while its event loop runs,
   * await this before a long synchronous loop, or that loop runs on one thread.
   */
  threadsReady(timeoutMs = 10_000): Promise<boolean> {
    const pool = this.rt.pool();
    return pool ? pool.ready(timeoutMs) : Promise.resolve(true);
  }

  /** Forgets every compiled kernel (tensors stay valid; kernels are rebuilt on use). */
  clearKernelCache(): void {
    this.runtime?.clearCache();
  }

  // ---------- capability ----------

  supportsDType(dtype: DType): boolean {
    return HOLDS.has(dtype);
  }

  supports(kernel: KernelName, dtypes: readonly DType[]): boolean {
    let allF32 = true;
    for (const d of dtypes) {
      if (!HOLDS.has(d)) return false;
      if (d !== 'float32') allF32 = false;
    }
    const out = dtypes[dtypes.length - 1]!;
    const ins = dtypes.slice(0, -1);
    switch (kernel) {
      case 'matmul':
        return allF32;
      case 'logSumExp':
        return out === 'float32' && ins[0] === 'float32';
      case 'sum': case 'max': case 'min': case 'argmax': case 'argmin':
      case 'gather': case 'scatterAdd': case 'copyStrided':
        return true;
      case 'where':
        return canEmit('where', 'where', ins, out);
      case 'neg': case 'abs': case 'sign': case 'exp': case 'expm1': case 'log': case 'log1p': case 'sqrt':
      case 'rsqrt': case 'sin': case 'cos': case 'tanh': case 'sigmoid': case 'relu': case 'square':
      case 'reciprocal': case 'copy':
        return canEmit('unary', kernel, ins, out);
      default:
        return canEmit('binary', kernel, ins, out);
    }
  }

  // ---------- storage ----------

  private newBuffer(dtype: DType, size: number): WasmBuffer {
    const rt = this.rt;
    const bytes = Math.max(1, size) * elemBytes(dtype);
    const ptr = rt.heap.alloc(bytes);
    this.allocatedSinceCollect += bytes;
    const buf = new WasmBuffer(ptr, dtype, size);
    this.registry.register(buf, buf.cell, buf.cell);
    return buf;
  }

  /**
   * Frees a block now, unless a recorded op still reads it (then the garbage collector
   * frees it) — `unread`: the caller guarantees no recorded op that has not run reads it.
   */
  private drop(buf: WasmBuffer | null, unread: boolean | 'adopted' = false): void {
    if (!buf || !buf.cell.live) return;
    // 'adopted': freed by a scope it was handed to; an op recorded outside every scope may still read it.
    if (buf.captured && (unread === false || (unread === 'adopted' && buf.capturedAt === 0))) return;
    buf.cell.live = false;
    this.registry.unregister(buf.cell);
    this.rt.heap.release(buf.ptr);
    this.counters.released++;
  }

  /** A storage of `buf`, whose writers have all been called or queued by now. */
  private storageOf(dtype: DType, buf: WasmBuffer): WasmStorage {
    buf.ready = this.rt.mark();
    const st = new WasmStorage(this, dtype, buf.size);
    st.buf = buf;
    return st;
  }

  private constantStorage(dtype: DType, size: number, value: number): WasmStorage {
    const st = new WasmStorage(this, dtype, size);
    st.constant = roundTo(dtype, value);
    return st;
  }

  private check(st: Storage, what = 'this tensor'): WasmStorage {
    if (st.backend !== this) throw new BackendError(`wasm backend: storage of backend '${st.backend.name}' passed to '${this.name}'`);
    const w = st as WasmStorage;
    if (w.disposed) {
      throw new BackendError(`wasm backend: ${what} (or a tensor sharing its storage) was disposed; it cannot be used any more`);
    }
    return w;
  }

  private source(st: WasmStorage): Source<WasmBuffer> {
    if (st.constant !== null) return { kind: 'const', value: st.constant };
    if (st.buf) return { kind: 'buf', buf: st.buf };
    if (st.node) return sourceOfNode(st.node);
    throw new BackendError('wasm backend: internal error, storage without data');
  }

  private access(v: View): Access<WasmBuffer> {
    return { src: this.source(this.check(v.storage)), offset: v.offset, strides: v.strides };
  }

  fromTypedArray(data: TypedArray, dtype: DType): Storage {
    if (data.length === 0) return this.constantStorage(dtype, 0, 0);
    const buf = this.newBuffer(dtype, data.length);
    // A host write: after every queued kernel (one may still read this block's previous contents).
    this.rt.sync();
    const h = this.rt.heap;
    if (dtype === 'float32') h.f32.set(data, buf.ptr >> 2);
    else if (dtype === 'int32') h.i32.set(data, buf.ptr >> 2);
    else if (data instanceof Uint8Array) h.u8.set(data, buf.ptr);
    else {
      const u8 = h.u8;
      for (let i = 0; i < data.length; i++) u8[buf.ptr + i] = data[i] !== 0 ? 1 : 0;
    }
    return this.storageOf(dtype, buf);
  }

  full(size: number, value: number, dtype: DType): Storage {
    void this.rt;
    return this.constantStorage(dtype, size, value);
  }

  /** Computes a recorded node's values into memory (once). */
  private evalNode(node: Node): WasmBuffer {
    if (node.result) return node.result;
    const buf = this.newBuffer(node.dtype, node.size);
    const plan = new Plan(node.outShape, this.evalFn);
    const root = plan.read({ kind: 'lazy', node }, node.dtype, 0, contiguousStrides(node.outShape), true);
    this.counters.kernelRuns++;
    runMap(this.rt, plan, root, { ptr: buf.ptr, dtype: node.dtype, strides: contiguousStrides(node.outShape) });
    if (node.captured) {
      buf.captured = true;
      buf.capturedAt = Math.min(buf.capturedAt, node.capturedAt);
    }
    node.result = buf;
    buf.ready = this.rt.mark();
    return buf;
  }

  /** Gives a storage memory of its own: recorded ops computed, constants filled. */
  private materialize(st: WasmStorage): WasmBuffer {
    if (st.buf) return st.buf;
    if (st.node) {
      st.buf = this.evalNode(st.node);
      st.node = null;
      return st.buf;
    }
    const buf = this.newBuffer(st.dtype, st.size);
    const v = st.constant ?? 0;
    if (st.dtype === 'float32' || st.dtype === 'int32') fillWords(this.rt, buf.ptr, st.size, wordOf(st.dtype, v));
    else fillBytes(this.rt, buf.ptr, st.size, v);
    buf.ready = this.rt.mark();
    st.buf = buf;
    st.constant = null;
    return buf;
  }

  /**
   * Computes these tensors' values now (they are otherwise computed by the first
   * kernel or read that needs them): for timing, and to cap what a long-lived result
   * keeps alive.
   */
  evaluate(...views: View[]): void {
    for (const v of views) {
      if (v.storage.backend !== this) continue;
      const st = this.check(v.storage);
      if (st.node) this.materialize(st);
    }
    // Computed now, not queued: evaluate() is what timing loops end with.
    this.rt.sync();
  }

  read(view: View): TypedArray {
    const st = this.check(view.storage);
    const n = numelOf(view.shape);
    const out = allocTyped(view.dtype, n);
    if (n === 0) return out;
    if (st.constant !== null) {
      out.fill(st.constant);
      return out;
    }
    const buf = this.materialize(st);
    // Only the kernels that write this block need to have run.
    this.rt.syncTo(buf.ready);
    const h = this.rt.heap;
    const src = view.dtype === 'float32' ? h.f32 : view.dtype === 'int32' ? h.i32 : h.u8;
    const base = view.dtype === 'bool' ? buf.ptr : buf.ptr >> 2;
    if (isContiguous(view.shape, view.strides)) {
      out.set(src.subarray(base + view.offset, base + view.offset + n));
      return out;
    }
    const c = coalesce(view.shape, [view.strides]);
    WasmBackend.walk(c.shape, c.strides, [base + view.offset], (i, at) => {
      out[i] = src[at[0]!]!;
    });
    return out;
  }

  dispose(storage: Storage, unread: boolean | 'adopted' = false): void {
    const st = storage as WasmStorage;
    if (st.disposed) return;
    st.disposed = true;
    const buf = st.buf ?? st.node?.result ?? null;
    st.buf = null;
    st.node = null;
    st.constant = null;
    this.drop(buf, unread);
  }

  // ---------- elementwise: recorded, fused into the consumer ----------

  private capture(acc: readonly Access<WasmBuffer>[]): void {
    for (const a of acc) {
      if (a.src.kind === 'buf') markCaptured(a.src.buf);
      else if (a.src.kind === 'lazy') {
        markCaptured(a.src.node);
        a.src.node.consumers++;
      }
    }
  }

  private elementwise(what: ElementwiseOp, views: readonly View[], outShape: readonly number[], outDtype: DType): Storage {
    const n = numelOf(outShape);
    const sts: WasmStorage[] = [];
    const dtypes: DType[] = [];
    let allConstant = true;
    for (const v of views) {
      const s = this.check(v.storage);
      sts.push(s);
      dtypes.push(v.dtype);
      if (s.constant === null) allConstant = false;
    }
    if (n === 0) return this.constantStorage(outDtype, 0, 0);
    if (allConstant) {
      // Every operand constant: fold on the host with the reference backend's arithmetic.
      const values: number[] = [];
      for (const s of sts) values.push(s.constant!);
      return this.constantStorage(outDtype, n, foldConstants(what, values, dtypes, outDtype));
    }
    let acc: Access<WasmBuffer>[] = [];
    for (const v of views) acc.push(this.access(v));
    let ops = 1 + distinctOps(acc);
    if (ops > MAX_FUSED_OPS) {
      for (const s of sts) if (s.node) this.materialize(s);
      acc = [];
      for (const v of views) acc.push(this.access(v));
      ops = 1;
    }
    this.capture(acc);
    const st = new WasmStorage(this, outDtype, n);
    st.node = new LazyNode(what, [...outShape], acc, ops, n, outDtype, dtypes);
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

  // ---------- reductions: fused with their elementwise producers ----------

  reduce(op: ReduceOp, x: View, axes: readonly number[], outDtype: DType): Storage {
    const kept: number[] = [];
    for (let d = 0; d < x.shape.length; d++) if (!axes.includes(d)) kept.push(d);
    let nOut = 1;
    for (const d of kept) nOut *= x.shape[d]!;
    if (nOut === 0) return this.constantStorage(outDtype, 0, 0);
    const st = this.check(x.storage);
    const shape: number[] = [];
    const strides: number[] = [];
    for (const d of kept) {
      shape.push(x.shape[d]!);
      strides.push(x.strides[d]!);
    }
    for (const d of axes) {
      shape.push(x.shape[d]!);
      strides.push(x.strides[d]!);
    }
    const buf = this.newBuffer(outDtype, nOut);
    const plan = new Plan(shape, this.evalFn);
    const root = plan.read(this.source(st), x.dtype, x.offset, strides);
    this.counters.kernelRuns++;
    runReduce(this.rt, plan, root, axes.length, { op, ptr: buf.ptr, outDtype });
    return this.storageOf(outDtype, buf);
  }

  // ---------- matmul ----------

  matmul(a: View, b: View, outShape: readonly number[], outDtype: DType): Storage {
    const n = numelOf(outShape);
    if (n === 0) return this.constantStorage(outDtype, 0, 0);
    const nd = a.shape.length;
    const M = a.shape[nd - 2]!;
    const K = a.shape[nd - 1]!;
    const N = b.shape[nd - 1]!;
    const out = this.newBuffer(outDtype, n);
    if (K === 0) {
      fillWords(this.rt, out.ptr, n, 0);
      return this.storageOf(outDtype, out);
    }
    const ab = this.materialize(this.check(a.storage));
    const bb = this.materialize(this.check(b.storage));
    const batchShape = a.shape.slice(0, nd - 2);
    const outBatchStride = M * N;
    const c = coalesce(batchShape, [a.strides.slice(0, nd - 2), b.strides.slice(0, nd - 2), contiguousStrides(batchShape).map((s) => s * outBatchStride)]);
    const bshape = c.shape;
    const [as, bs, os] = c.strides as [number[], number[], number[]];
    const inner = bshape.length > 0 ? bshape[bshape.length - 1]! : 1;
    const outer = numelOf(bshape) / inner;
    const last = bshape.length - 1;
    const idx = new Array<number>(Math.max(0, last)).fill(0);
    let pa = a.offset, pb = b.offset, po = 0;
    for (let i = 0; i < outer; i++) {
      const A: MatrixOperand = { ptr: ab.ptr + pa * 4, batchStride: last >= 0 ? as[last]! : 0, rowStride: a.strides[nd - 2]!, colStride: a.strides[nd - 1]! };
      const B: MatrixOperand = { ptr: bb.ptr + pb * 4, batchStride: last >= 0 ? bs[last]! : 0, rowStride: b.strides[nd - 2]!, colStride: b.strides[nd - 1]! };
      this.counters.kernelRuns++;
      matmulF32(this.rt, A, B, out.ptr + po * 4, inner, M, K, N);
      for (let d = last - 1; d >= 0; d--) {
        pa += as[d]!;
        pb += bs[d]!;
        po += os[d]!;
        if (++idx[d]! < bshape[d]!) break;
        pa -= as[d]! * bshape[d]!;
        pb -= bs[d]! * bshape[d]!;
        po -= os[d]! * bshape[d]!;
        idx[d] = 0;
      }
    }
    return this.storageOf(outDtype, out);
  }

  // ---------- indexing ----------

  /**
   * A host-side walk of `shape` in row-major order keeping one running offset per
   * strides list, calling fn(i, offsets): indexing kernels touch one element per
   * index, so an odometer over the index's shape is all they need.
   */
  private static walk(
    shape: readonly number[], strides: readonly (readonly number[])[], starts: readonly number[],
    fn: (i: number, at: Float64Array) => void,
  ): void {
    const n = numelOf(shape);
    const nd = shape.length;
    const k = strides.length;
    const idx = new Int32Array(nd);
    const at = Float64Array.from(starts);
    for (let i = 0; i < n; i++) {
      fn(i, at);
      for (let d = nd - 1; d >= 0; d--) {
        for (let q = 0; q < k; q++) at[q] += strides[q]![d]!;
        if (++idx[d]! < shape[d]!) break;
        for (let q = 0; q < k; q++) at[q] -= strides[q]![d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  }

  private viewOf(dtype: DType): 'f32' | 'i32' | 'u8' {
    return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u8';
  }

  gather(x: View, dim: number, index: View, outDtype: DType): Storage {
    const n = numelOf(index.shape);
    if (n === 0) return this.constantStorage(outDtype, 0, 0);
    const xst = this.check(x.storage);
    if (xst.node && !xst.node.result && x.dtype === outDtype) {
      // A recorded source: evaluate it at the gathered elements only (fused gather).
      const ib = this.materialize(this.check(index.storage));
      const out = this.newBuffer(outDtype, n);
      const plan = new Plan(index.shape, this.evalFn);
      const root = plan.readGather(
        this.source(xst), x.dtype, x.offset, x.strides, dim, x.shape[dim]!,
        { kind: 'buf', buf: ib }, index.offset, index.strides,
      );
      this.counters.kernelRuns++;
      runMap(this.rt, plan, root, { ptr: out.ptr, dtype: outDtype, strides: contiguousStrides(index.shape) });
      return this.storageOf(outDtype, out);
    }
    const xb = this.materialize(this.check(x.storage));
    const ib = this.materialize(this.check(index.storage));
    const out = this.newBuffer(outDtype, n);
    // A loop on the host: after every queued kernel.
    this.rt.sync();
    const h = this.rt.heap;
    const xs = h[this.viewOf(x.dtype)];
    const os = h[this.viewOf(outDtype)];
    const is = h.i32;
    const xBase = x.dtype === 'bool' ? xb.ptr : xb.ptr >> 2;
    const oBase = outDtype === 'bool' ? out.ptr : out.ptr >> 2;
    const iBase = ib.ptr >> 2;
    // Offsets into the index and into x with the gathered dim's stride left out.
    const xs0 = x.strides.map((st, d) => (d === dim ? 0 : st));
    const dimStride = x.strides[dim]!;
    WasmBackend.walk(index.shape, [index.strides, xs0], [iBase + index.offset, xBase + x.offset], (i, at) => {
      os[oBase + i] = xs[at[1]! + is[at[0]!]! * dimStride]!;
    });
    return this.storageOf(outDtype, out);
  }

  scatterAdd(base: View, dim: number, index: View, src: View): Storage {
    const n = numelOf(base.shape);
    if (n === 0) return this.constantStorage(base.dtype, 0, 0);
    // A contiguous copy of base, then the additions (a kernel).
    const out = this.newBuffer(base.dtype, n);
    const bst = this.check(base.storage);
    const strides = contiguousStrides(base.shape);
    if (bst.constant !== null) {
      // The usual base (gather's gradient starts from zeros): a fill (fill.ts).
      if (base.dtype === 'bool') fillBytes(this.rt, out.ptr, n, bst.constant);
      else fillWords(this.rt, out.ptr, n, wordOf(base.dtype as 'float32' | 'int32', bst.constant));
    } else {
      const plan = new Plan(base.shape, this.evalFn);
      const root = plan.read(this.source(bst), base.dtype, base.offset, base.strides);
      this.counters.kernelRuns++;
      runMap(this.rt, plan, root, { ptr: out.ptr, dtype: base.dtype, strides });
    }
    if (numelOf(index.shape) === 0) return this.storageOf(base.dtype, out);
    const ib = this.materialize(this.check(index.storage));
    const sb = this.materialize(this.check(src.storage));
    // The additions as a kernel (./scatter.ts), in index order: queued behind the copy above.
    const isBool = base.dtype === 'bool';
    const eb = elemBytes(base.dtype);
    // The output offset is the index's coordinates in base's contiguous strides, with
    // the scattered dim's coordinate replaced by the index value.
    // (A 0-d base takes a 0- or 1-d index of zeros: every position adds into its one element.)
    const outStrides: number[] = [];
    for (let d = 0; d < index.shape.length; d++) outStrides.push(d === dim || d >= strides.length ? 0 : strides[d]! * eb);
    const args = scatterArgs(
      index.shape,
      { ptr: ib.ptr + index.offset * 4, strides: byteStrides(index.strides, 4) },
      { ptr: sb.ptr + src.offset * elemBytes(src.dtype), strides: byteStrides(src.strides, elemBytes(src.dtype)) },
      { ptr: out.ptr, strides: outStrides },
      (strides[dim] ?? 0) * eb,
    );
    this.counters.kernelRuns++;
    this.rt.call(scatterAddKernel(this.rt, index.shape.length, isBool ? 'bool' : base.dtype as 'float32' | 'int32'), 'run', args);
    return this.storageOf(base.dtype, out);
  }

  // ---------- copies ----------

  /** Gives `st` new contents (an in-place write): recorded ops keep reading the old ones. */
  private replace(st: WasmStorage, next: { buf?: WasmBuffer; node?: Node; constant?: number }): void {
    const old = st.buf ?? st.node?.result ?? null;
    st.buf = next.buf ?? null;
    st.node = next.node ?? null;
    st.constant = next.constant ?? null;
    if (old && old !== st.buf) {
      // Still read by recorded ops: a memory scope frees it once they have run.
      if (old.captured && old.cell.live && blockReplaced(st, this.storageOf(old.dtype, old))) return;
      this.drop(old);
    }
  }

  copyStrided(src: View, dst: View): void {
    const d = this.check(dst.storage);
    const n = numelOf(dst.shape);
    if (n === 0) return;
    const s = this.check(src.storage);
    const whole = dst.offset === 0 && n === d.size && isContiguous(dst.shape, dst.strides);
    if (whole) {
      if (s.constant !== null) {
        this.replace(d, { constant: roundTo(dst.dtype, s.constant) });
        return;
      }
      // A recorded copy: computed (fused into its consumer) when needed.
      const a = this.access(src);
      this.capture([a]);
      const node = new LazyNode<WasmBuffer>(unaryOp('copy', src.dtype, dst.dtype), [...dst.shape], [a], 1 + opsOf(a.src), n, dst.dtype, [src.dtype]);
      this.replace(d, { node });
      if (!this.fuse || node.ops > MAX_FUSED_OPS) this.materialize(d);
      return;
    }
    // A partial write: into a block of its own (recorded ops may read the current one).
    let buf = this.materialize(d);
    if (buf.captured) {
      const fresh = this.newBuffer(d.dtype, d.size);
      copyBytes(this.rt, fresh.ptr, buf.ptr, d.size * elemBytes(d.dtype));
      this.replace(d, { buf: fresh });
      buf = fresh;
    }
    const plan = new Plan(dst.shape, this.evalFn);
    const root = plan.read(this.source(s), src.dtype, src.offset, src.strides);
    const ptr = buf.ptr + dst.offset * elemBytes(d.dtype);
    this.counters.kernelRuns++;
    runMap(this.rt, plan, root, { ptr, dtype: d.dtype, strides: [...dst.strides] });
    buf.ready = this.rt.mark();
  }
}
