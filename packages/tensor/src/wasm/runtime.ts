import { BackendError } from '../errors.js';
import { ModuleBuilder } from './builder.js';
import { WasmHeap } from './heap.js';

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

export class WasmRuntime {
  readonly heap: WasmHeap;
  readonly features: Features;
  /** Emit relaxed-SIMD fused multiply-adds (only when the engine has them). */
  readonly relaxed: boolean;
  private readonly cache = new Map<string, KernelExports>();
  /** The hit count at each kernel's last use. */
  private readonly used = new WeakMap<KernelExports, number>();
  private counters = { compiled: 0, evicted: 0, hits: 0 };

  constructor(opts: { relaxed: boolean; cacheLimit: number; heap?: WasmHeap }) {
    this.features = detectFeatures();
    if (!this.features.simd) throw new BackendError('wasm backend: this engine has no WebAssembly SIMD');
    if (opts.relaxed && !this.features.relaxedSimd) {
      throw new BackendError('wasm backend: relaxed SIMD was requested but this engine does not support it');
    }
    this.relaxed = opts.relaxed;
    this.cacheLimit = opts.cacheLimit;
    this.heap = opts.heap ?? new WasmHeap();
  }

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
    const hit = this.cache.get(key);
    if (hit) {
      this.counters.hits++;
      // Map order is insertion order: re-insert to mark as most recently used — but only
      // once the entry has aged (a re-insert per call would hash the key twice more).
      if ((this.used.get(hit) ?? 0) < this.counters.hits - this.cacheLimit) {
        this.cache.delete(key);
        this.cache.set(key, hit);
      }
      this.used.set(hit, this.counters.hits);
      return this.profile ? this.profiled(key, hit) : hit;
    }
    const m = new ModuleBuilder().importMemory(this.heap.importDescriptor);
    build(m);
    const bytes = m.finish();
    let exports: KernelExports;
    try {
      const mod = new WebAssembly.Module(bytes as BufferSource);
      exports = new WebAssembly.Instance(mod, { env: { memory: this.heap.memory } }).exports as KernelExports;
    } catch (e) {
      throw new BackendError(`wasm backend: kernel '${key}' failed to compile: ${(e as Error).message}`);
    }
    this.counters.compiled++;
    this.cache.set(key, exports);
    while (this.cache.size > this.cacheLimit) {
      this.cache.delete(this.cache.keys().next().value!);
      this.counters.evicted++;
    }
    return this.profiled(key, exports);
  }

  cacheStats(): KernelCacheStats {
    return { ...this.counters, cached: this.cache.size };
  }

  clearCache(): void {
    this.cache.clear();
  }
}
