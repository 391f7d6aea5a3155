import { BackendError, ValueError } from '../../errors.js';
import { declare, validateArgs, type ArgSpec } from '../../validate/checked.js';
import { fail } from '../../validate/spec.js';
import { envVar, nodeBuiltin } from '../../memory/sync-gc.js';

/*
 * How many threads the WebAssembly kernels may use, and why. Threads need memory that
 * every thread sees (a shared WebAssembly.Memory over a SharedArrayBuffer), a way to
 * start workers, and a calling thread that may block in `Atomics.wait` — tsgrad's API
 * is synchronous (`dataSync()`, `item()`, `backward()`), so the caller hands out the
 * work and waits for it. Node has all three (worker_threads). A browser has them only
 * inside a dedicated Worker of a cross-origin-isolated page (the main thread may not
 * block, and without the COOP/COEP headers there is no SharedArrayBuffer); there the
 * pool starts nested Web Workers. Elsewhere the kernels run on the calling thread and
 * `backendInfo()` says why.
 */

export interface ThreadSupport {
  /** Threads can run here (then the heap is a shared memory). */
  available: boolean;
  /** Cores reported by the platform (1 where unknown). */
  cores: number;
  /** Why threads are or are not available. */
  reason: string;
  /** 'node' | 'browser-worker' | 'none'. */
  platform: 'node' | 'browser-worker' | 'none';
}

let support: ThreadSupport | null = null;

interface OsModule {
  availableParallelism?(): number;
  cpus(): unknown[];
}

function sharedMemoryWorks(): boolean {
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    return typeof SharedArrayBuffer === 'function' && m.buffer instanceof SharedArrayBuffer && typeof Atomics.wait === 'function';
  } catch {
    return false;
  }
}

/** The globals a browser's thread support depends on (a parameter, so that tests can fake them). */
export interface BrowserGlobals {
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  document?: unknown;
  WorkerGlobalScope?: unknown;
  DedicatedWorkerGlobalScope?: unknown;
  SharedArrayBuffer?: unknown;
  Worker?: unknown;
  Blob?: unknown;
  URL?: { createObjectURL?: unknown };
}

/** Reason given where the calling thread may not block. */
export const MAIN_THREAD_REASON = 'browser main thread cannot block (use tsgrad inside a Worker for threads)';
/** Reason given where a browser runs threads. */
export const BROWSER_WORKER_REASON = 'cross-origin-isolated dedicated Worker: nested Web Workers';
/** Reason given without cross-origin isolation. */
export const NOT_ISOLATED_REASON =
  'no SharedArrayBuffer: not crossOriginIsolated (serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';

/**
 * Thread support in a browser-like global scope `g`; `sharedMemory` says whether a
 * shared WebAssembly.Memory can be made here.
 */
export function browserThreadSupport(g: BrowserGlobals, sharedMemory: boolean): ThreadSupport {
  const cores = Math.max(1, Math.floor(g.navigator?.hardwareConcurrency ?? 1));
  const none = (reason: string): ThreadSupport => ({ available: false, cores, reason, platform: 'none' });
  if (g.WorkerGlobalScope === undefined || g.document !== undefined) return none(MAIN_THREAD_REASON);
  // Shared and service workers may not block in Atomics.wait (or start Workers) everywhere.
  if (g.DedicatedWorkerGlobalScope === undefined) return none('threads need a dedicated Worker (this is a shared or service worker)');
  if (g.crossOriginIsolated !== true || typeof g.SharedArrayBuffer !== 'function') return none(NOT_ISOLATED_REASON);
  if (!sharedMemory) return none('no shared WebAssembly.Memory in this engine');
  if (typeof g.Worker !== 'function' || typeof g.Blob !== 'function' || typeof g.URL?.createObjectURL !== 'function') {
    return none('this engine cannot start Workers from a Worker');
  }
  return { available: true, cores, platform: 'browser-worker', reason: BROWSER_WORKER_REASON };
}

/** What this environment allows (probed once). */
export function threadSupport(): ThreadSupport {
  if (support) return support;
  const g = globalThis as BrowserGlobals & { process?: { versions?: { node?: string } } };
  if (g.process?.versions?.node) {
    const os = nodeBuiltin<OsModule>('node:os');
    const wt = nodeBuiltin<object>('node:worker_threads');
    const cores = os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
    if (!wt) support = { available: false, cores, reason: 'node:worker_threads is not available', platform: 'none' };
    else if (!sharedMemoryWorks()) support = { available: false, cores, reason: 'no shared WebAssembly.Memory in this engine', platform: 'none' };
    else support = { available: true, cores, reason: 'Node worker_threads', platform: 'node' };
    return support;
  }
  support = browserThreadSupport(g, sharedMemoryWorks());
  return support;
}

/** Most threads one pool runs (calling thread included). */
export const MAX_THREADS = 256;

let requested: number | null = null;
let requestedBy = '';
const listeners = new Set<(n: number) => void>();

function parseEnv(): number | null {
  const v = envVar('TSGRAD_THREADS');
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new BackendError(`TSGRAD_THREADS: expected an integer from 1 to ${MAX_THREADS}, got '${v}'`);
  }
  return n;
}

/**
 * Threads WebAssembly kernels use now: `setNumThreads(n)` if called, else
 * TSGRAD_THREADS, else the available cores — and 1 where threads are unavailable.
 */
export function getNumThreads(): number {
  const s = threadSupport();
  if (!s.available) return 1;
  if (requested === null) {
    const env = parseEnv();
    if (env !== null) {
      requested = env;
      requestedBy = `TSGRAD_THREADS=${env}`;
    } else {
      requested = Math.min(s.cores, MAX_THREADS);
      requestedBy = `default: ${s.cores} available core${s.cores === 1 ? '' : 's'}`;
    }
  }
  return requested;
}

/**
 * Sets how many threads WebAssembly kernels use (the calling thread included): 1 runs
 * every kernel on the calling thread and stops the workers. Results do not depend on
 * the number: every kernel splits its work by the shape, never by the thread count.
 * Where threads are unavailable (see `backendInfo().threadsReason`) the setting is
 * kept but kernels run on one thread.
 * @throws ValueError if `n` is not an integer from 1 to 256.
 */
export function setNumThreads(n: number): void {
  validateArgs('setNumThreads', SET_NUM_THREADS_ARGS, [n]);
  requested = n;
  requestedBy = `setNumThreads(${n})`;
  const eff = getNumThreads();
  for (const l of listeners) l(eff);
}

const THREADS_EXPECTED = `an integer from 1 to ${MAX_THREADS}`;
const SET_NUM_THREADS_ARGS: readonly ArgSpec[] = [
  ['n', { expected: THREADS_EXPECTED, check: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_THREADS ? null : fail(ValueError, THREADS_EXPECTED, v)) }],
];
declare('setNumThreads', SET_NUM_THREADS_ARGS, setNumThreads);

/** Why the thread count is what it is (for backendInfo). */
export function threadsReason(): string {
  const s = threadSupport();
  if (!s.available) return s.reason;
  getNumThreads();
  return `${requestedBy} (${s.reason})`;
}

/** Called with the new effective count whenever setNumThreads runs (pools shrink or stop). */
export function onThreadCountChange(fn: (n: number) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
