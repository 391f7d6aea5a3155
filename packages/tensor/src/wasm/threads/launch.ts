import { BackendError } from '../../errors.js';
import { nodeBuiltin } from '../../memory/sync-gc.js';
import { browserWorkerSource, workerSource } from './worker-source.js';
import type { WasmMemory, WasmModule } from '../wasm-types.js';

/*
 * Starting the pool's workers, per platform. Both hand a worker the shared memory, the
 * control block and its thread index, and give the pool a way to send it compiled
 * kernel modules (and drop them) and to stop it:
 * - Node: worker_threads with the source evaluated, the shared objects in workerData,
 *   modules on a MessagePort the worker pulls synchronously; worker and port unref()ed.
 * - Browser (a cross-origin-isolated dedicated Worker): classic Web Workers from one
 *   Blob URL, the shared objects and modules sent with postMessage. Nothing here names a
 *   Node module statically: the package is bundled for browsers.
 */

/** What the pool sends a worker after it started: a kernel to instantiate, or one to drop. */
export type KernelMessage = { id: number; module: WasmModule } | { drop: number };

/** One started worker, as the pool sees it. */
export interface WorkerSlot {
  post(msg: KernelMessage): void;
  /** Stops the worker; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts the workers of one pool. */
export interface Launcher {
  /** Starts the worker of thread `thread` (1-based: 0 is the calling thread); throws if it cannot. */
  start(thread: number): WorkerSlot;
  /**
   * A failure a worker reported outside any task (it could not load or start), or null.
   * Seen only when the calling thread is not blocked (events need its event loop).
   */
  failure(): string | null;
  /** Releases what the launcher holds (after every worker was stopped). */
  close(): void;
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, fn: (arg: unknown) => void): void;
}
interface NodePort {
  postMessage(msg: unknown): void;
  unref(): void;
  close(): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: object) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
}

/** Workers from node:worker_threads. */
export function nodeLauncher(memory: WasmMemory, control: SharedArrayBuffer): Launcher {
  const wt = nodeBuiltin<WorkerThreads>('node:worker_threads');
  if (!wt) throw new BackendError('wasm backend: node:worker_threads is not available');
  const src = workerSource();
  return {
    start(thread) {
      const channel = new wt.MessageChannel();
      const port = channel.port1;
      const worker = new wt.Worker(src, {
        eval: true,
        workerData: { memory, control, port: channel.port2, thread },
        transferList: [channel.port2],
      });
      worker.unref();
      port.unref();
      // Only reachable when this thread is not blocked; the control block carries failures.
      worker.on('error', () => {});
      return {
        post: (msg) => port.postMessage(msg),
        stop: () => {
          port.close();
          return worker.terminate().then(() => undefined, () => undefined);
        },
      };
    },
    failure: () => null,
    close: () => {},
  };
}

/** The Web Worker API as a dedicated Worker sees it (declared here: the package's lib has no DOM types). */
interface WebWorker {
  postMessage(msg: unknown): void;
  terminate(): void;
  addEventListener(type: 'error', fn: (e: { message?: string; preventDefault(): void }) => void): void;
}
interface WebGlobals {
  Worker: new (url: string, opts?: { name?: string }) => WebWorker;
  Blob: new (parts: string[], opts: { type: string }) => object;
  URL: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
}

const BLOCKED = 'could not load or start (does a Content-Security-Policy forbid blob: workers? the thread pool needs worker-src blob:)';

/**
 * Web Workers started from a Blob URL of the worker source. `waitAsync: false` makes
 * them idle as they do in engines without Atomics.waitAsync (for tests).
 */
export function browserLauncher(memory: WasmMemory, control: SharedArrayBuffer, opts: { waitAsync: boolean }): Launcher {
  const g = globalThis as unknown as WebGlobals;
  const url = g.URL.createObjectURL(new g.Blob([browserWorkerSource()], { type: 'text/javascript' }));
  let failed: string | null = null;
  return {
    start(thread) {
      const worker = new g.Worker(url, { name: `tsgrad-wasm-thread-${thread}` });
      worker.addEventListener('error', (e) => {
        // Errors inside tasks are caught and reported in the control block; what reaches
        // here escaped a worker: most often it could not load (Chromium gives no message).
        failed ??= `worker ${thread}: ${e.message || BLOCKED}`;
        e.preventDefault();
      });
      worker.postMessage({ init: { memory, control, thread, waitAsync: opts.waitAsync } });
      return {
        post: (msg) => worker.postMessage(msg),
        stop: () => {
          worker.terminate();
          return Promise.resolve();
        },
      };
    },
    failure: () => failed,
    close: () => g.URL.revokeObjectURL(url),
  };
}
