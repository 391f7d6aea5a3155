import { BackendError } from '../../errors.js';
import type { KernelExports } from '../runtime.js';
import { onThreadCountChange, threadSupport } from './config.js';
import { browserLauncher, nodeLauncher, type Launcher, type WorkerSlot } from './launch.js';
import { ARG, CONTROL_BYTES, FUNCS, LAYOUT, MAX_ARGS, MAX_TASKS, RING, S, STATUS, W, slotLayout } from './protocol.js';
import type { WasmMemory, WasmModule } from '../wasm-types.js';

/*
 * A pool of worker threads (Node worker_threads, or Web Workers inside a
 * cross-origin-isolated dedicated Worker: ./launch.ts) sharing one WebAssembly.Memory
 * with the calling thread, fed through a queue of jobs (./protocol.ts).
 *
 * `submit(job)` writes a job into the next slot of the ring and returns at once: the
 * workers run the jobs in submission order while the calling thread goes on with its
 * JavaScript (recording ops, autograd, the next kernels' arguments). `drain()` makes the
 * calling thread take tasks like any worker, job after job, until every submitted job
 * has finished; the backend calls it before the host reads or writes memory (dataSync,
 * uploads, host-side loops) and `run(job)` is submit + drain. Because jobs take effect
 * in order and every kernel goes through the queue while it is not empty (see
 * WasmRuntime.call), memory a finished op released can be handed out again at once:
 * whatever a later kernel writes there runs after every earlier reader.
 *
 * Workers start lazily (jobs submitted meanwhile wait, and drain() runs them on the
 * calling thread; a browser starts workers only once the calling Worker returns to its
 * event loop, see `ready()`), never keep a Node process alive (unref), and stop on
 * `terminate()`, which first drains. A worker that throws or exits reports it in the
 * control block; the next submit or drain fails with a BackendError and the pool is
 * stopped (a later job starts a fresh one), never a hang.
 */

/** A compiled kernel as the pool needs it: identity, module (for the workers), exports (here). */
export interface KernelHandle {
  id: number;
  module: WasmModule;
  exports: KernelExports;
  /** Its kernel-cache key (for profiles). */
  key: string;
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
  try {
    return Promise.all([...livePools].map((p) => p.terminate())).then(() => undefined);
  } catch (e) {
    // A queued kernel failed while the pools finished their queues.
    return Promise.reject(e);
  }
}

// A pool has a fixed size: a new thread count stops it (a later job starts one of the new size).
onThreadCountChange((n) => {
  for (const p of livePools) if (p.threads !== n) void p.terminate();
});

interface SlotViews {
  header: Int32Array;
  base: Float64Array;
  mult: Float64Array;
  kind: Int32Array;
}

export class ThreadPool {
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly C = new Int32Array(this.control, 0, LAYOUT.words);
  private readonly ring: SlotViews[] = Array.from({ length: RING }, (_, i) => {
    const l = slotLayout(i);
    return {
      header: new Int32Array(this.control, l.header, LAYOUT.slotHeader / 4),
      base: new Float64Array(this.control, l.base, MAX_ARGS),
      mult: new Float64Array(this.control, l.mult, MAX_ARGS),
      kind: new Int32Array(this.control, l.kind, MAX_ARGS),
    };
  });
  /** The function each queued job calls, by slot (the calling thread's own instance). */
  private readonly queued: (((...args: number[]) => unknown) | null)[] = new Array<((...args: number[]) => unknown) | null>(RING).fill(null);
  private slots: Slot[] = [];
  private launcher: Launcher | null = null;
  /** Jobs submitted (the sequence number of the next one; int32, wrapping). */
  private published = 0;
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
  /** Jobs split into tasks (submit with `whole` false). */
  jobs = 0;
  /** Whole kernel calls queued behind other jobs (WasmRuntime.call). */
  queuedCalls = 0;
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

  /** Submitted jobs that have not finished yet. */
  get pending(): number {
    return (this.published - Atomics.load(this.C, W.FINISHED)) | 0;
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
    // A queued job may still name it: evictions are rare, so simply finish the queue first.
    if (this.pending !== 0 && !this.closed) this.drain();
    for (const s of this.slots) {
      if (s.sent.delete(id)) s.worker.post({ drop: id });
    }
  }

  /** Runs `job` on every thread; returns when it (and every job before it) is done. */
  run(job: ParallelJob): void {
    this.submit(job);
    this.drain();
  }

  /**
   * Queues `job` behind the jobs submitted before it and returns at once; the workers
   * start on it when those have finished. Fails (BackendError) if an earlier job failed.
   * `whole`: one unsplit kernel call (counted in queuedCalls, not in jobs).
   */
  submit(job: ParallelJob, whole = false): void {
    const n = job.args.length;
    const tasks = Math.ceil(job.units / job.chunk);
    if (n > MAX_ARGS || tasks > MAX_TASKS) throw new BackendError('wasm backend: internal error, parallel job too large');
    if (this.closed) throw new BackendError('wasm backend: internal error, job on a stopped thread pool');
    const C = this.C;
    if (Atomics.load(C, W.STATUS) !== STATUS.OK) this.fail(null);
    if (this.slots.length === 0) this.start();
    const startFailure = this.launcher?.failure();
    if (startFailure) {
      void this.terminate();
      throw new BackendError(
        `wasm backend: a worker thread failed outside any task (${startFailure}); the worker threads were stopped — setNumThreads(1) runs every kernel on the calling thread`,
      );
    }
    for (const s of this.slots) {
      if (!s.sent.has(job.kernel.id)) {
        s.worker.post({ id: job.kernel.id, module: job.kernel.module });
        s.sent.add(job.kernel.id);
      }
    }
    const seq = this.published;
    // The slot is free once the job RING submissions earlier has finished.
    while (((seq - Atomics.load(C, W.FINISHED)) | 0) >= RING) this.drainOne();
    const i = seq & (RING - 1);
    const slot = this.ring[i]!;
    const H = slot.header;
    for (let a = 0; a < n; a++) {
      slot.base[a] = job.args[a]!;
      slot.kind[a] = job.kinds[a] ?? ARG.FIXED;
      slot.mult[a] = job.mults[a] ?? 0;
    }
    H[S.NARGS] = n;
    Atomics.store(H, S.NTASKS, tasks);
    H[S.UNITS] = job.units;
    H[S.CHUNK] = job.chunk;
    H[S.KERNEL] = job.kernel.id;
    H[S.FUNC] = FUNCS.indexOf(job.fn);
    H[S.DONE] = 0;
    const crash = this.crashNext;
    this.crashNext = 0;
    H[S.WORKERS_ONLY] = crash === 0 ? 0 : 1;
    if (this.testAfterFields) {
      const hook = this.testAfterFields;
      this.testAfterFields = null;
      hook();
    }
    if (crash !== 0) C[W.CRASH] = crash;
    this.queued[i] = job.kernel.exports[job.fn]!;
    Atomics.store(H, S.TICKET, (seq & 0xffff) << 16);
    this.published = (seq + 1) | 0;
    Atomics.store(C, W.PUBLISHED, this.published);
    Atomics.notify(C, W.PUBLISHED);
    if (whole) this.queuedCalls++;
    else this.jobs++;
  }

  /**
   * Runs every submitted job to its end, the calling thread taking tasks too; throws a
   * BackendError (and stops the pool) if a task failed or no task finished for
   * stallTimeoutMs.
   */
  drain(): void {
    this.drainTo(this.published);
  }

  /** Runs the submitted jobs up to (not including) job `mark`, the calling thread helping. */
  drainTo(mark: number): void {
    while (this.published !== Atomics.load(this.C, W.FINISHED) && ((mark - Atomics.load(this.C, W.FINISHED)) | 0) > 0) this.drainOne();
    if (Atomics.load(this.C, W.STATUS) !== STATUS.OK) this.fail(null);
  }

  /** The number of the next job: every job submitted so far has finished once FINISHED reaches it. */
  get mark(): number {
    return this.published;
  }

  /** Helps with the job running now and waits until it has finished. */
  private drainOne(): void {
    const C = this.C;
    const j = Atomics.load(C, W.FINISHED);
    if (j === this.published) return;
    if (Atomics.load(C, W.STATUS) !== STATUS.OK) this.fail(null);
    const i = j & (RING - 1);
    const slot = this.ring[i]!;
    const fn = this.queued[i]!;
    const tasks = Atomics.load(slot.header, S.NTASKS);
    if (slot.header[S.WORKERS_ONLY] === 0) {
      try {
        this.work(fn, slot, j, tasks);
      } catch (e) {
        this.fail(e);
      }
    }
    if (!this.await(slot.header, j)) this.fail(null);
    this.queued[i] = null;
  }

  /** The calling thread's share of job `j` (in `slot`): tasks taken by ticket, like a worker. */
  private work(fn: (...args: number[]) => unknown, slot: SlotViews, j: number, tasks: number): void {
    const H = slot.header;
    const { base, mult, kind } = slot;
    const n = H[S.NARGS]!, units = H[S.UNITS]!, chunk = H[S.CHUNK]!;
    const g = j & 0xffff;
    const out = this.callArgs;
    out.length = n;
    for (;;) {
      const t = Atomics.load(H, S.TICKET);
      if (t >>> 16 !== g) return;
      const i = t & 0xffff;
      if (i >= tasks) return;
      if (Atomics.compareExchange(H, S.TICKET, t, t + 1) !== t) continue;
      const start = i * chunk;
      const end = Math.min(units, start + chunk);
      for (let a = 0; a < n; a++) {
        const k = kind[a]!;
        const b = base[a]!;
        out[a] = k === ARG.FIXED ? b : k === ARG.OFFSET ? b + start * mult[a]! : k === ARG.COUNT ? end - start
          : k === ARG.BEGIN ? start : k === ARG.END ? end : b; // PER_THREAD: the caller is thread 0
      }
      this.callerTasks++;
      let ok = false;
      try {
        fn(...out);
        ok = true;
      } finally {
        if (Atomics.add(H, S.DONE, 1) + 1 === tasks) {
          // The job's last task: close its tickets, then let the workers go on.
          Atomics.store(H, S.TICKET, (g << 16) | 0xffff);
          Atomics.store(this.C, W.FINISHED, (j + 1) | 0);
          Atomics.notify(this.C, W.FINISHED);
        } else if (!ok) {
          // Stop handing out this job's tasks: fail() waits for the running ones.
          Atomics.store(H, S.TICKET, (g << 16) | 0xffff);
        }
      }
    }
  }

  /** Waits until job `j` has finished; false when a task failed or nothing progressed for too long. */
  private await(H: Int32Array, j: number): boolean {
    const C = this.C;
    let last = Atomics.load(H, S.DONE);
    let lastChange = 0;
    for (;;) {
      if (Atomics.load(C, W.FINISHED) !== j) return true;
      if (Atomics.load(C, W.STATUS) !== STATUS.OK) return false;
      const d = Atomics.load(H, S.DONE);
      if (d !== last) {
        last = d;
        lastChange = 0;
      }
      // A short spin first: the last tasks usually finish within microseconds.
      let spun = 0;
      while (Atomics.load(C, W.FINISHED) === j && spun < 2000) spun++;
      if (Atomics.load(C, W.FINISHED) !== j) return true;
      const t0 = performance.now();
      Atomics.wait(C, W.FINISHED, j, WAIT_SLICE_MS);
      if (Atomics.load(C, W.FINISHED) === j && Atomics.load(H, S.DONE) === last) {
        lastChange += performance.now() - t0;
        if (lastChange > this.stallTimeoutMs) return false;
      }
    }
  }

  /** Stops handing out tasks, waits for the ones running, stops the pool, throws. */
  private fail(ownError: unknown): never {
    const C = this.C;
    const j = Atomics.load(C, W.FINISHED);
    if (j !== this.published) {
      // The job running now: close its tickets and give the tasks already taken time to end.
      const H = this.ring[j & (RING - 1)]!.header;
      const tasks = Atomics.load(H, S.NTASKS);
      const taken = Math.min(Atomics.exchange(H, S.TICKET, ((j & 0xffff) << 16) | 0xffff) & 0xffff, tasks);
      const end = performance.now() + 2000;
      while (Atomics.load(H, S.DONE) < taken && Atomics.load(C, W.FINISHED) === j && performance.now() < end) {
        Atomics.wait(C, W.FINISHED, j, WAIT_SLICE_MS);
      }
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
    this.failed = true;
    void this.terminate();
    throw new BackendError(`wasm backend: a parallel kernel failed in ${why}; the worker threads were stopped`);
  }

  /** Stopped by terminate(): the owner makes a new pool for later jobs. */
  closed = false;
  private failed = false;

  /**
   * Finishes the queued jobs (unless the pool failed), then stops every worker (they exit
   * at once, also when waiting). Resolves when all have exited.
   */
  terminate(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.failed && this.pending !== 0) this.drain();
    this.closed = true;
    livePools.delete(this);
    this.queued.fill(null);
    const slots = this.slots;
    this.slots = [];
    const launcher = this.launcher;
    this.launcher = null;
    if (slots.length === 0) {
      launcher?.close();
      return Promise.resolve();
    }
    Atomics.store(this.C, W.SHUTDOWN, 1);
    Atomics.notify(this.C, W.PUBLISHED);
    Atomics.notify(this.C, W.FINISHED);
    Atomics.notify(this.C, W.SHUTDOWN);
    const done = slots.map((s) => s.worker.stop());
    return Promise.all(done).then(() => launcher?.close());
  }
}
