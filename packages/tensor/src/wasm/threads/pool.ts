import { BackendError } from '../../errors.js';
import type { KernelExports } from '../runtime.js';
import { onThreadCountChange, threadSupport } from './config.js';
import { browserLauncher, nodeLauncher, type Launcher, type WorkerSlot } from './launch.js';
import { ARG, CONTROL_BYTES, FUNCS, LAYOUT, MAX_ARGS, MAX_TASKS, STATUS, W } from './protocol.js';
import type { WasmMemory, WasmModule } from '../wasm-types.js';

/*
 * A pool of worker threads (Node worker_threads, or Web Workers inside a
 * cross-origin-isolated dedicated Worker: ./launch.ts) sharing one WebAssembly.Memory
 * with the calling thread. `run(job)` publishes a job in the control block, wakes the
 * workers, takes tasks itself like any worker, and blocks in Atomics.wait until every
 * task is done — so the caller stays synchronous. Workers start lazily (the first job
 * runs while they boot: the calling thread simply takes every task; a browser starts
 * them only once the calling Worker returns to its event loop, see `ready()`), never
 * keep a Node process alive (unref), and stop on `terminate()`. A worker that throws or
 * exits reports it in the control block; the job then fails with a BackendError and the
 * pool is stopped (a later job starts a fresh one), never a hang.
 */

/** A compiled kernel as the pool needs it: identity, module (for the workers), exports (here). */
export interface KernelHandle {
  id: number;
  module: WasmModule;
  exports: KernelExports;
}

export type ArgKind = (typeof ARG)[keyof typeof ARG];

/** One parallel call: `fn` of `kernel` once per chunk of `units`, arguments patched per task. */
export interface ParallelJob {
  kernel: KernelHandle;
  fn: (typeof FUNCS)[number];
  /** Argument values (for patched ones: the base). */
  args: readonly number[];
  /** Per argument: how it follows the task's range (default FIXED). */
  kinds: readonly ArgKind[];
  /** Per argument: the multiplier of OFFSET / PER_THREAD arguments. */
  mults: readonly number[];
  units: number;
  /** Units per task: fixed by the shape, never by the thread count. */
  chunk: number;
}

interface Slot {
  worker: WorkerSlot;
  /** Kernel ids this worker has been sent. */
  sent: Set<number>;
}

/** How long the caller waits between checks of the status word (ms). */
const WAIT_SLICE_MS = 20;

export interface PoolOptions {
  /** Give up when no task finishes for this long (a worker died without reporting), ms. */
  stallTimeoutMs?: number;
  /** Microseconds a worker spins for the next job before it sleeps. */
  spinMicros?: number;
}

/** Pools with workers (or about to start them): what terminateThreads() stops. */
const livePools = new Set<ThreadPool>();

/**
 * Stops every worker thread of the WebAssembly backend; kernels run on the calling
 * thread until the next large one starts a fresh pool. Resolves when all have exited.
 */
export function terminateThreads(): Promise<void> {
  return Promise.all([...livePools].map((p) => p.terminate())).then(() => undefined);
}

// A pool has a fixed size: a new thread count stops it (a later job starts one of the new size).
onThreadCountChange((n) => {
  for (const p of livePools) if (p.threads !== n) void p.terminate();
});

export class ThreadPool {
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly C = new Int32Array(this.control);
  private readonly base = new Float64Array(this.control, LAYOUT.argsByte, MAX_ARGS);
  private readonly mult = new Float64Array(this.control, LAYOUT.argsByte + 8 * MAX_ARGS, MAX_ARGS);
  private readonly kind = new Int32Array(this.control, LAYOUT.kindsByte, MAX_ARGS);
  private slots: Slot[] = [];
  private launcher: Launcher | null = null;
  private gen = 0;
  private readonly callArgs: number[] = [];
  /** Give up when no task finishes for this long (a worker died without reporting), ms. */
  stallTimeoutMs: number;
  /** Test hook: the next job's tasks go to workers only, and one of them fails (1: throws, 2: exits). */
  crashNext: 0 | 1 | 2 = 0;
  /** Test hook: runs once, in the next job, after its fields are written and before it is published. */
  testAfterFields: (() => void) | null = null;
  /** Test hook: the next job a worker enters, it sleeps `ms` before reading the job. */
  delayWorkerOnce(ms: number): void {
    Atomics.store(this.C, W.DELAY, ms);
  }
  /**
   * Browser workers idle in Atomics.waitAsync where the engine has it; false makes them
   * use the fallback for engines without it (blocking slices and yields). Read when the
   * workers start: a test hook.
   */
  useWaitAsync = true;
  /** Web Workers (a cross-origin-isolated browser Worker), not Node worker_threads. */
  private readonly browser = threadSupport().platform === 'browser-worker';
  /** Milliseconds from the first worker's start to all workers waiting for work (-1: not measured yet). */
  startupMs = -1;
  private startedAt = 0;
  jobs = 0;
  /** Tasks the calling thread ran (plain counter: only the calling thread writes it). */
  callerTasks = 0;

  constructor(
    private readonly memory: WasmMemory,
    /** Threads including the caller. */
    readonly threads: number,
    opts: PoolOptions = {},
  ) {
    this.stallTimeoutMs = opts.stallTimeoutMs ?? 60_000;
    this.C[W.SPIN] = opts.spinMicros ?? 100;
  }

  /** Workers running now. */
  get workers(): number {
    return this.slots.length;
  }

  /** Tasks the workers (not the calling thread) have run. */
  get workerTasks(): number {
    return Atomics.load(this.C, W.WORKER_TASKS);
  }

  /** Workers that have booted and wait for work. */
  get alive(): number {
    return Atomics.load(this.C, W.ALIVE);
  }

  private start(): void {
    this.startedAt = performance.now();
    livePools.add(this);
    for (let t = 1; t < this.threads; t++) {
      try {
        this.launcher ??= this.browser
          ? browserLauncher(this.memory, this.control, { waitAsync: this.useWaitAsync })
          : nodeLauncher(this.memory, this.control);
        this.slots.push({ worker: this.launcher.start(t), sent: new Set() });
      } catch (e) {
        void this.terminate();
        throw new BackendError(
          `wasm backend: cannot start worker thread ${t} of ${this.threads - 1}: ${(e as Error).message}; setNumThreads(1) runs every kernel on the calling thread`,
        );
      }
    }
  }

  /**
   * Blocks until every worker waits for work (or `timeoutMs` passes); returns whether
   * they all did. For benchmarks and tests: jobs never wait for workers to boot. In a
   * browser a blocked caller cannot see its workers boot (a browser starts a Web Worker
   * only while its creator's event loop runs), so there this returns at once: await
   * `ready()` instead.
   */
  waitReady(timeoutMs = 10_000): boolean {
    if (this.slots.length === 0 && !this.closed) this.start();
    const end = performance.now() + timeoutMs;
    for (;;) {
      const a = Atomics.load(this.C, W.ALIVE);
      if (a >= this.slots.length) break;
      if (this.browser) return false;
      const left = end - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.C, W.ALIVE, a, Math.min(left, WAIT_SLICE_MS));
    }
    if (this.startupMs < 0) this.startupMs = performance.now() - this.startedAt;
    return true;
  }

  /**
   * Starts the workers if they are not running and resolves, without blocking, when
   * every one waits for work (true) or `timeoutMs` passed (false). A browser starts a
   * Web Worker only while its creator's event loop runs, so a browser caller awaits
   * this (or simply returns to its event loop) before its workers can take tasks.
   */
  async ready(timeoutMs = 10_000): Promise<boolean> {
    if (this.closed) return false;
    if (this.slots.length === 0) this.start();
    const end = performance.now() + timeoutMs;
    while (Atomics.load(this.C, W.ALIVE) < this.slots.length) {
      if (this.closed || this.launcher?.failure() || performance.now() >= end) return false;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (this.startupMs < 0) this.startupMs = performance.now() - this.startedAt;
    return true;
  }

  /** Forgets a kernel evicted from the cache (workers drop their instance). */
  forget(id: number): void {
    for (const s of this.slots) {
      if (s.sent.delete(id)) s.worker.post({ drop: id });
    }
  }

  /** Runs `job` on every thread; returns when all its tasks are done. */
  run(job: ParallelJob): void {
    const n = job.args.length;
    const tasks = Math.ceil(job.units / job.chunk);
    if (n > MAX_ARGS || tasks > MAX_TASKS) throw new BackendError('wasm backend: internal error, parallel job too large');
    if (this.closed) throw new BackendError('wasm backend: internal error, job on a stopped thread pool');
    if (this.slots.length === 0) this.start();
    const startFailure = this.launcher?.failure();
    if (startFailure) {
      void this.terminate();
      throw new BackendError(
        `wasm backend: a worker thread failed outside any task (${startFailure}); the worker threads were stopped — setNumThreads(1) runs every kernel on the calling thread`,
      );
    }
    const C = this.C;
    for (const s of this.slots) {
      if (!s.sent.has(job.kernel.id)) {
        s.worker.post({ id: job.kernel.id, module: job.kernel.module });
        s.sent.add(job.kernel.id);
      }
    }
    // Close the previous job's tickets before its fields change (see ./protocol.ts).
    Atomics.store(C, W.TICKET, ((this.gen & 0xffff) << 16) | 0xffff);
    for (let a = 0; a < n; a++) {
      this.base[a] = job.args[a]!;
      this.kind[a] = job.kinds[a] ?? ARG.FIXED;
      this.mult[a] = job.mults[a] ?? 0;
    }
    C[W.NARGS] = n;
    Atomics.store(C, W.NTASKS, tasks);
    C[W.UNITS] = job.units;
    C[W.CHUNK] = job.chunk;
    C[W.KERNEL] = job.kernel.id;
    C[W.FUNC] = FUNCS.indexOf(job.fn);
    C[W.STATUS] = STATUS.OK;
    C[W.DONE] = 0;
    if (this.testAfterFields) {
      const hook = this.testAfterFields;
      this.testAfterFields = null;
      hook();
    }
    const crash = this.crashNext;
    this.crashNext = 0;
    C[W.CRASH] = crash;
    const gen = (this.gen = (this.gen + 1) | 0);
    const g = gen & 0xffff;
    Atomics.store(C, W.TICKET, g << 16);
    Atomics.store(C, W.GEN, gen);
    Atomics.notify(C, W.GEN);
    this.jobs++;
    let ownError: unknown = null;
    if (crash === 0) {
      try {
        this.work(job, g, tasks);
      } catch (e) {
        ownError = e;
      }
    }
    if (ownError !== null || !this.await(tasks)) {
      this.fail(g, tasks, ownError);
    }
  }

  /** The calling thread's share: tasks taken by ticket, like a worker. */
  private work(job: ParallelJob, g: number, tasks: number): void {
    const C = this.C;
    const fn = job.kernel.exports[job.fn]!;
    const { args, kinds, mults, units, chunk } = job;
    const n = args.length;
    const out = this.callArgs;
    out.length = n;
    for (;;) {
      const t = Atomics.load(C, W.TICKET);
      if (t >>> 16 !== g) return;
      const i = t & 0xffff;
      if (i >= tasks) return;
      if (Atomics.compareExchange(C, W.TICKET, t, t + 1) !== t) continue;
      const start = i * chunk;
      const end = Math.min(units, start + chunk);
      for (let a = 0; a < n; a++) {
        const k = kinds[a] ?? ARG.FIXED;
        const b = args[a]!;
        out[a] = k === ARG.FIXED ? b : k === ARG.OFFSET ? b + start * mults[a]! : k === ARG.COUNT ? end - start
          : k === ARG.BEGIN ? start : k === ARG.END ? end : b; // PER_THREAD: the caller is thread 0
      }
      this.callerTasks++;
      try {
        fn(...out);
      } finally {
        Atomics.add(C, W.DONE, 1);
      }
    }
  }

  /** Waits for all tasks; false when a worker failed or nothing progressed for too long. */
  private await(tasks: number): boolean {
    const C = this.C;
    let last = Atomics.load(C, W.DONE);
    let lastChange = 0;
    for (;;) {
      const d = Atomics.load(C, W.DONE);
      if (Atomics.load(C, W.STATUS) !== STATUS.OK) return false;
      if (d >= tasks) return true;
      if (d !== last) {
        last = d;
        lastChange = 0;
      }
      // A short spin first: the last tasks usually finish within microseconds.
      let spun = 0;
      while (Atomics.load(C, W.DONE) === d && spun < 2000) spun++;
      if (Atomics.load(C, W.DONE) !== d) continue;
      const t0 = performance.now();
      Atomics.wait(C, W.DONE, d, WAIT_SLICE_MS);
      if (Atomics.load(C, W.DONE) === d) {
        lastChange += performance.now() - t0;
        if (lastChange > this.stallTimeoutMs) return false;
      }
    }
  }

  /** Stops handing out tasks, waits for the ones running, stops the pool, throws. */
  private fail(g: number, tasks: number, ownError: unknown): never {
    const C = this.C;
    const taken = Math.min(Atomics.exchange(C, W.TICKET, (g << 16) | 0xffff) & 0xffff, tasks);
    const end = performance.now() + 2000;
    while (Atomics.load(C, W.DONE) < taken && performance.now() < end) {
      Atomics.wait(C, W.DONE, Atomics.load(C, W.DONE), WAIT_SLICE_MS);
    }
    const status = Atomics.load(C, W.STATUS);
    let why: string;
    if (status !== STATUS.OK) {
      const len = Atomics.load(C, W.ERRLEN);
      why = new TextDecoder().decode(new Uint8Array(this.control, LAYOUT.errByte, len).slice());
    } else if (ownError !== null) {
      why = `the calling thread: ${(ownError as Error).message ?? String(ownError)}`;
    } else {
      why = `no task finished for ${this.stallTimeoutMs} ms (a worker died without reporting)`;
    }
    this.terminate();
    throw new BackendError(`wasm backend: a parallel kernel failed in ${why}; the worker threads were stopped`);
  }

  /** Stopped by terminate(): the owner makes a new pool for later jobs. */
  closed = false;

  /** Stops every worker (they exit at once, also when waiting). Resolves when all have exited. */
  terminate(): Promise<void> {
    this.closed = true;
    livePools.delete(this);
    const slots = this.slots;
    this.slots = [];
    const launcher = this.launcher;
    this.launcher = null;
    if (slots.length === 0) {
      launcher?.close();
      return Promise.resolve();
    }
    Atomics.store(this.C, W.SHUTDOWN, 1);
    Atomics.store(this.C, W.GEN, (this.gen = (this.gen + 1) | 0));
    Atomics.notify(this.C, W.GEN);
    const done = slots.map((s) => s.worker.stop());
    return Promise.all(done).then(() => launcher?.close());
  }
}
