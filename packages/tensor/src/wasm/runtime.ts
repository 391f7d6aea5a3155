import { BackendError } from '../errors.js';
import { envVar } from '../memory/sync-gc.js';
import { ModuleBuilder } from './builder.js';
import { WasmHeap } from './heap.js';
import { getNumThreads, threadSupport } from './threads/config.js';
import { ThreadPool, type KernelHandle, type ParallelJob } from './threads/pool.js';
import { MAX_ARGS } from './threads/protocol.js';

const NO_KINDS: readonly never[] = [];

/*
 * What every WebAssembly kernel needs: the heap, the engine's features, and a bounded
 * cache of compiled kernels. A kernel is one small module importing the heap's memory
 * and exporting `run`; it is built, validated and compiled once per key (op graph,
 * dtypes, layout class — never sizes or values, which are arguments) and evicted
 * least-recently-used beyond the cache's limit.
 */

export interface Features {
  simd: boolean;
  relaxedSimd: boolean;
}

function probe(build: (m: ModuleBuilder) => void): boolean {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return false;
  try {
    const m = new ModuleBuilder();
    build(m);
    return WebAssembly.validate(m.finish() as BufferSource);
  } catch {
    return false;
  }
}

let detected: Features | null = null;

/** What this engine's WebAssembly supports (probed once by validating tiny modules). */
export function detectFeatures(): Features {
  if (detected) return detected;
  const simd = probe((m) => m.func('p', [], ['v128'], (f) => {
    f.i32.const(0);
    f.i32x4.splat();
    f.f32x4.const(1);
    f.f32x4.add();
  }));
  const relaxedSimd = simd && probe((m) => m.func('p', [], ['v128'], (f) => {
    f.f32x4.const(1);
    f.f32x4.const(2);
    f.f32x4.const(3);
    f.f32x4.relaxed_madd();
  }));
  detected = { simd, relaxedSimd };
  return detected;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelExports = Record<string, (...args: number[]) => any>;

export interface KernelCacheStats {
  compiled: number;
  cached: number;
  evicted: number;
  hits: number;
}

let nextKernelId = 1;

export class WasmRuntime {
  readonly heap: WasmHeap;
  readonly features: Features;
  /** Emit relaxed-SIMD fused multiply-adds (only when the engine has them). */
  readonly relaxed: boolean;
  private readonly cache = new Map<string, KernelHandle>();
  /**
   * TSGRAD_WASM_VERIFY_KEYS=1 (tests): cache hits rebuild the kernel and compare its
   * bytes with the cached module's, so two different kernels under one key fail at once,
   * whatever the data — not only when a wrong result happens to be visible. Each key's
   * first 32 hits are checked, then every 32nd (a long training loop stays affordable).
   */
  private readonly verifyKeys = envVar('TSGRAD_WASM_VERIFY_KEYS') === '1';
  private readonly bytesOf = new Map<string, { bytes: Uint8Array; hits: number }>();
  /** The hit count at each kernel's last use. */
  private readonly used = new WeakMap<KernelHandle, number>();
  private threadPool: ThreadPool | null = null;
  private counters = { compiled: 0, evicted: 0, hits: 0 };

  /**
   * `shared` (default: where threads can run) makes the heap a shared memory, so
   * worker threads can run kernels on it; see ./threads/.
   */
  constructor(opts: { relaxed: boolean; cacheLimit: number; heap?: WasmHeap; shared?: boolean }) {
    this.features = detectFeatures();
    if (!this.features.simd) throw new BackendError('wasm backend: this engine has no WebAssembly SIMD');
    if (opts.relaxed && !this.features.relaxedSimd) {
      throw new BackendError('wasm backend: relaxed SIMD was requested but this engine does not support it');
    }
    this.relaxed = opts.relaxed;
    this.cacheLimit = opts.cacheLimit;
    this.heap = opts.heap ?? new WasmHeap(256, { shared: opts.shared ?? threadSupport().available });
  }

  /** Threads kernels may use now (1 when the heap is not shared). */
  get threads(): number {
    return this.heap.shared ? getNumThreads() : 1;
  }

  /** The worker pool (started by its first job), or null with one thread. */
  pool(): ThreadPool | null {
    const n = this.threads;
    if (n <= 1) return null;
    if (this.threadPool === null || this.threadPool.closed || this.threadPool.threads !== n) {
      if (this.threadPool) {
        this.before.jobs += this.threadPool.jobs;
        this.before.tasks += this.threadPool.workerTasks;
        this.before.callerTasks += this.threadPool.callerTasks;
        if (!this.threadPool.closed) void this.threadPool.terminate();
      }
      this.threadPool = new ThreadPool(this.heap.memory, n);
    }
    return this.threadPool;
  }

  /** Worker threads running, parallel jobs run, and the measured pool start-up (ms, -1 if not measured). */
  threadStats(): { workers: number; parallelJobs: number; workerTasks: number; callerTasks: number; startupMs: number } {
    const p = this.threadPool;
    return {
      workers: p && !p.closed ? p.workers : 0,
      parallelJobs: this.before.jobs + (p?.jobs ?? 0),
      workerTasks: this.before.tasks + (p?.workerTasks ?? 0),
      callerTasks: this.before.callerTasks + (p?.callerTasks ?? 0),
      startupMs: p?.startupMs ?? -1,
    };
  }

  /** Counts of pools replaced since (threadStats adds them up). */
  private before = { jobs: 0, tasks: 0, callerTasks: 0 };

  /**
   * Queues `job` on the pool's threads; it takes effect after every kernel queued before
   * it, and `sync()` (or any host access to memory) waits for it. With
   * TSGRAD_THREADS_ASYNC=0 (or while profiling) it runs at once instead.
   */
  parallel(job: ParallelJob): void {
    const pool = this.pool();
    if (pool === null) throw new Error('wasm backend: internal error, parallel job with one thread');
    if (this.profile) {
      const t0 = performance.now();
      pool.run(job);
      const key = `parallel:${job.fn}#${job.kernel.id}`;
      const e = this.profile.get(key) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += performance.now() - t0;
      this.profile.set(key, e);
      return;
    }
    if (this.queueKernels) pool.submit(job);
    else pool.run(job);
  }

  /**
   * Calls `fn` of a kernel once on the whole range: at once on the calling thread when
   * nothing is queued, else queued behind the kernels before it (as a one-task job).
   */
  call(handle: KernelHandle, fn: ParallelJob['fn'], args: readonly number[]): void {
    if (this.busy) {
      if (args.length <= MAX_ARGS) {
        this.threadPool!.submit({ kernel: handle, fn, args, kinds: NO_KINDS, mults: NO_KINDS, units: 1, chunk: 1 }, true);
        return;
      }
      this.sync();
    }
    const exports = this.profile ? this.profiled(handle.key, handle.exports) : handle.exports;
    exports[fn]!(...args);
  }

  /**
   * Waits until every queued kernel has run (the calling thread helps): before the host
   * reads or writes the heap. Throws the BackendError of a kernel that failed.
   */
  sync(): void {
    // Also with nothing queued: a kernel that failed on a worker is reported here.
    this.syncTo(null);
  }

  /** Kernels are queued on the threads (a host access to memory would wait for them). */
  get busy(): boolean {
    const pool = this.threadPool;
    return pool !== null && !pool.closed && pool.pending !== 0;
  }

  /**
   * A point in the queue: once `syncTo(mark())` returns, every kernel queued before this
   * call has run. (Across a change of pool, marks stay safe: a replaced pool was drained,
   * and a mark ahead of the new pool's queue just drains it.)
   */
  mark(): number {
    return this.threadPool?.mark ?? 0;
  }

  /** Waits for the kernels queued before `mark` (null: for every queued kernel). */
  syncTo(mark: number | null): void {
    const pool = this.threadPool;
    if (pool === null || pool.closed) return;
    if (mark === null) pool.drain();
    else pool.drainTo(mark);
  }

  /** TSGRAD_THREADS_ASYNC=0: every parallel job runs to its end before the op returns. */
  private readonly queueKernels = envVar('TSGRAD_THREADS_ASYNC') !== '0';

  cacheLimit: number;

  /**
   * Per-kernel call counts and time (TSGRAD_WASM_PROFILE=1, or set it): which fused
   * kernels a workload spends its time in. Null when off (no wrapping, no cost).
   */
  profile: Map<string, { calls: number; ms: number }> | null = null;

  private profiled(key: string, exports: KernelExports): KernelExports {
    const prof = this.profile;
    if (!prof) return exports;
    const out: KernelExports = {};
    for (const [name, fn] of Object.entries(exports)) {
      out[name] = (...args: number[]) => {
        const t0 = performance.now();
        const r = fn(...args);
        const e = prof.get(key) ?? { calls: 0, ms: 0 };
        e.calls++;
        e.ms += performance.now() - t0;
        prof.set(key, e);
        return r;
      };
    }
    return out;
  }

  /**
   * The exports of the kernel module under `key`, building it with `build` on a miss.
   * `build` adds functions to a builder whose memory import is already set.
   */
  kernel(key: string, build: (m: ModuleBuilder) => void): KernelExports {
    const h = this.handle(key, build);
    return this.profile ? this.profiled(key, h.exports) : h.exports;
  }

  /** The kernel under `key` with its compiled module (what worker threads instantiate). */
  handle(key: string, build: (m: ModuleBuilder) => void): KernelHandle {
    const hit = this.cache.get(key);
    if (hit && this.verifyKeys) this.verifyKey(key, build);
    if (hit) {
      this.counters.hits++;
      // Map order is insertion order: re-insert to mark as most recently used — but only
      // once the entry has aged (a re-insert per call would hash the key twice more).
      if ((this.used.get(hit) ?? 0) < this.counters.hits - this.cacheLimit) {
        this.cache.delete(key);
        this.cache.set(key, hit);
      }
      this.used.set(hit, this.counters.hits);
      return hit;
    }
    const m = new ModuleBuilder().importMemory(this.heap.importDescriptor);
    build(m);
    const bytes = m.finish();
    if (this.verifyKeys) this.bytesOf.set(key, { bytes, hits: 0 });
    let handle: KernelHandle;
    try {
      const module = new WebAssembly.Module(bytes as BufferSource);
      const exports = new WebAssembly.Instance(module, { env: { memory: this.heap.memory } }).exports as KernelExports;
      handle = { id: nextKernelId++, module, exports, key };
    } catch (e) {
      throw new BackendError(`wasm backend: kernel '${key}' failed to compile: ${(e as Error).message}`);
    }
    this.counters.compiled++;
    this.cache.set(key, handle);
    while (this.cache.size > this.cacheLimit) {
      const oldest = this.cache.keys().next().value!;
      const evicted = this.cache.get(oldest)!;
      this.cache.delete(oldest);
      this.threadPool?.forget(evicted.id);
      this.counters.evicted++;
    }
    return handle;
  }

  private verifyKey(key: string, build: (m: ModuleBuilder) => void): void {
    const entry = this.bytesOf.get(key);
    if (!entry) return;
    const hits = ++entry.hits;
    if (hits > 32 && hits % 32 !== 0) return;
    const want = entry.bytes;
    const m = new ModuleBuilder().importMemory(this.heap.importDescriptor);
    build(m);
    const got = m.finish();
    if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
      throw new BackendError(`wasm backend: internal error, two different kernels share the cache key '${key}' (TSGRAD_WASM_VERIFY_KEYS)`);
    }
  }

  cacheStats(): KernelCacheStats {
    return { ...this.counters, cached: this.cache.size };
  }

  clearCache(): void {
    for (const h of this.cache.values()) this.threadPool?.forget(h.id);
    this.cache.clear();
  }
}
