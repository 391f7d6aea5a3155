/*
 * Runs inside a dedicated Worker of the page test/browser/threads.browser.ts serves
 * (bundled by esbuild into a classic worker script). It checks tsgrad's WebAssembly
 * thread pool in the browser and posts a report back to the page; the test asserts on
 * the report. Comparisons of results happen here, bit by bit; the report carries the
 * first differing index of every output (-1: identical).
 */
import {
  BackendError, backendInfo, getBackend, manualSeed, matmul, setBackend, setNumThreads, tensor, terminateThreads, threadsReady, wasm,
  type Tensor,
} from '@tsgrad/tensor';
import { Linear, ReLU, SGD, Sequential, crossEntropy } from '@tsgrad/nn';
import { mulberry32 } from '@tsgrad/testing';
import type { WasmRuntime } from '../../packages/tensor/src/wasm/runtime.js';
import { threadSupport } from '../../packages/tensor/src/wasm/threads/config.js';

export interface CaseReport {
  name: string;
  outputs: number;
  /** Per output: its length, and the first element whose bits differ between 1 and 2 threads (-1: none). */
  lengths: number[];
  firstDiff: number[];
}

export interface RunReport {
  /** Tasks the worker ran, parallel jobs, during the two runs of every case. */
  workerTasks: number;
  parallelJobs: number;
  cases: CaseReport[];
}

export interface CrashReport {
  name: string;
  message: string;
  isBackendError: boolean;
  workersAfter: number;
  ms: number;
}

export interface AfterReport {
  firstDiff: number[];
  workerTasksGrew: boolean;
}

export interface GrowthReport {
  grew: boolean;
  workerTasksGrew: boolean;
  firstDiff: number[];
}

export interface CspReport {
  ready: boolean;
  errors: string[];
  afterSet1: number[];
}

export interface ThreadsReport {
  crossOriginIsolated: boolean;
  backend: string;
  threads: number;
  threadsReason: string;
  platform: string;
  waitAsync: boolean;
  threadsAfterSet2?: number;
  reasonAfterSet2?: string;
  /** Only when threads are available: */
  workersAlive?: number;
  readyMs?: number;
  waitAsyncRun?: RunReport;
  growth?: GrowthReport;
  fallbackReady?: boolean;
  fallbackRun?: RunReport;
  fallbackAfterIdle?: AfterReport;
  crash?: CrashReport;
  afterCrash?: AfterReport;
  exit?: CrashReport;
  afterExit?: AfterReport;
  /** Only in the Worker whose CSP forbids blob: workers: */
  csp?: CspReport;
}

const rt = (): WasmRuntime => (wasm as unknown as { rt: WasmRuntime }).rt;

function values(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() - 0.5) * 8;
  return out;
}

const rand = (shape: number[], seed: number): Tensor => tensor(values(shape.reduce((a, b) => a * b, 1), seed), { shape });

/** The bits of every output, for exact comparison (NaN payloads and the sign of zero included). */
function bits(ts: readonly Tensor[]): Int32Array[] {
  return ts.map((t) => {
    const d = t.dataSync();
    return d instanceof Float32Array ? new Int32Array(d.buffer.slice(0)) : Int32Array.from(d as ArrayLike<number>);
  });
}

function firstDiffs(a: Int32Array[], b: Int32Array[]): number[] {
  return a.map((x, j) => {
    const y = b[j]!;
    if (x.length !== y.length) return 0;
    return x.findIndex((v, i) => v !== y[i]);
  });
}

interface Case {
  name: string;
  run(): Tensor[];
}

const CASES: Case[] = [
  {
    name: 'matmul 512×512·512×512',
    run: () => [matmul(rand([512, 512], 1), rand([512, 512], 2))],
  },
  {
    name: 'add and exp over 2¹⁸ elements',
    run: () => {
      const x = rand([1 << 18], 3), y = rand([1 << 18], 4);
      return [x.add(y), x.exp(), x.exp().mul(y).add(x)];
    },
  },
  {
    name: 'sum and logSumExp over a 1024×1024 tensor',
    run: () => {
      const x = rand([1024, 1024], 5);
      return [x.sum(1), x.sum(0), x.logSumExp(1), x.logSumExp(0), x.sum(), x.logSumExp()];
    },
  },
  {
    name: '5 SGD steps of a 784→256→10 MLP, batch 128',
    run: () => {
      manualSeed(7);
      const model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
      const opt = new SGD(model.parameters(), { lr: 0.05 });
      const x = rand([128, 784], 6);
      const r = mulberry32(8);
      const target = tensor(Int32Array.from({ length: 128 }, () => Math.floor(r() * 10)), { shape: [128] });
      const losses: Tensor[] = [];
      for (let step = 0; step < 5; step++) {
        opt.zeroGrad();
        const loss = crossEntropy(model.forward(x), target);
        loss.backward();
        opt.step();
        losses.push(loss.detach());
      }
      return [...losses, ...model.parameters()];
    },
  },
];

async function check(): Promise<ThreadsReport> {
  if (getBackend().name !== 'wasm') setBackend('wasm');
  const info = backendInfo();
  const report: ThreadsReport = {
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    backend: String(info['backend']),
    threads: Number(info['threads']),
    threadsReason: String(info['threadsReason']),
    platform: threadSupport().platform,
    waitAsync: typeof (Atomics as { waitAsync?: unknown }).waitAsync === 'function',
  };
  if (!threadSupport().available) {
    // Threads unavailable: a request for two changes nothing.
    setNumThreads(2);
    report.threadsAfterSet2 = Number(backendInfo()['threads']);
    report.reasonAfterSet2 = String(backendInfo()['threadsReason']);
    return report;
  }

  if ((globalThis as unknown as { location: { pathname: string } }).location.pathname.startsWith('/csp/')) {
    report.csp = await blockedWorkers();
    return report;
  }

  setNumThreads(1);
  const one = CASES.map((c) => bits(c.run()));
  // A kernel no 2-thread run uses before the fallback workers have idled.
  const fresh = (): Tensor => rand([1 << 18], 11).sin().mul(3).sub(1);
  const wantFresh = bits([fresh()]);

  setNumThreads(2);
  report.threadsAfterSet2 = Number(backendInfo()['threads']);
  report.reasonAfterSet2 = String(backendInfo()['threadsReason']);
  // A browser starts a Web Worker only while this Worker's event loop runs: await it
  // (the public threadsReady(), as a user would).
  const t0 = performance.now();
  const ready = await threadsReady(20_000);
  report.readyMs = performance.now() - t0;
  report.workersAlive = ready ? rt().pool()!.alive : 0;
  report.waitAsyncRun = compare(one);
  report.growth = growsUnderWorkers();

  // Workers idling as in an engine without Atomics.waitAsync (blocking slices, yields).
  await terminateThreads();
  rt().pool()!.useWaitAsync = false;
  report.fallbackReady = await rt().pool()!.ready(20_000);
  report.fallbackRun = compare(one);
  // Idle for longer than a blocking slice: a kernel sent now must still reach the worker.
  await new Promise((resolve) => setTimeout(resolve, 100));
  report.fallbackAfterIdle = await runsAgain(wantFresh, fresh);
  await terminateThreads();

  const a = rand([512, 512], 9), b = rand([512, 512], 10);
  setNumThreads(1);
  const want = bits([matmul(a, b)]);
  setNumThreads(2);
  // A worker that throws in a task: a BackendError in this thread, never a hang.
  report.crash = await crash(1, () => matmul(a, b).dataSync());
  report.afterCrash = await runsAgain(want, () => matmul(a, b));
  // A worker that dies in a task without reporting: the caller gives up after the stall timeout.
  report.exit = await crash(2, () => matmul(a, b).dataSync(), 1000);
  report.afterExit = await runsAgain(want, () => matmul(a, b));
  return report;
}

/**
 * This Worker's Content-Security-Policy forbids blob: workers: the pool cannot start
 * its workers. That must be a BackendError saying so (not a silent single thread, not
 * a hang), and setNumThreads(1) must still work.
 */
async function blockedWorkers(): Promise<CspReport> {
  const x = rand([1 << 18], 12);
  setNumThreads(1);
  const want = bits([x.exp()]);
  setNumThreads(2);
  const errors: string[] = [];
  const attempt = (): void => {
    try {
      x.exp().dataSync();
    } catch (e) {
      errors.push(`${e instanceof BackendError ? 'BackendError' : (e as Error).name}: ${(e as Error).message}`);
    }
  };
  attempt();
  const ready = await rt().pool()!.ready(5000);
  attempt();
  setNumThreads(1);
  return { ready, errors, afterSet1: firstDiffs(want, bits([x.exp()])) };
}

/** The heap grows while the workers run: they read and write the memory added. */
function growsUnderWorkers(): GrowthReport {
  const before = wasm.stats();
  const n = Math.ceil(before.memoryBytes / 4) + (1 << 20);
  const x = tensor(values(n, 13), { shape: [n] });
  const got = bits([x.mul(2).add(1), x.sum(), x.reshape([n / 8, 8]).sum(1)]);
  const after = wasm.stats();
  setNumThreads(1);
  const want = bits([x.mul(2).add(1), x.sum(), x.reshape([n / 8, 8]).sum(1)]);
  setNumThreads(2);
  x.dispose();
  return { grew: after.grows > before.grows, workerTasksGrew: after.workerTasks > before.workerTasks, firstDiff: firstDiffs(want, got) };
}

/** Runs every case twice with the pool as it is; each output compared with the 1-thread run. */
function compare(one: Int32Array[][]): RunReport {
  const before = wasm.stats();
  const two = CASES.map((c) => bits(c.run()));
  // Again: every kernel module has reached the workers by now.
  const twoAgain = CASES.map((c) => bits(c.run()));
  const after = wasm.stats();
  return {
    workerTasks: after.workerTasks - before.workerTasks,
    parallelJobs: after.parallelJobs - before.parallelJobs,
    cases: CASES.map((c, i) => ({
      name: c.name,
      outputs: one[i]!.length,
      lengths: one[i]!.map((x) => x.length),
      firstDiff: [...firstDiffs(one[i]!, two[i]!), ...firstDiffs(one[i]!, twoAgain[i]!)],
    })),
  };
}

/** Makes the next job fail in a worker (pool.crashNext) and reports what the caller saw. */
async function crash(kind: 1 | 2, job: () => void, stallTimeoutMs?: number): Promise<CrashReport> {
  const pool = rt().pool()!;
  await pool.ready(20_000);
  job(); // the worker receives the kernels
  await new Promise((resolve) => setTimeout(resolve, 10));
  if (stallTimeoutMs !== undefined) pool.stallTimeoutMs = stallTimeoutMs;
  pool.crashNext = kind;
  const t0 = performance.now();
  try {
    job();
    return { name: 'none', message: 'no error', isBackendError: false, workersAfter: wasm.stats().threadWorkers, ms: performance.now() - t0 };
  } catch (e) {
    return {
      name: (e as Error).name, message: (e as Error).message, isBackendError: e instanceof BackendError,
      workersAfter: wasm.stats().threadWorkers, ms: performance.now() - t0,
    };
  }
}

/**
 * After a failure: the job gives the 1-thread result on a fresh pool, and its worker
 * takes tasks (a few tries: a worker woken through its event loop can miss every task
 * of a job the caller finishes first).
 */
async function runsAgain(want: Int32Array[], job: () => Tensor): Promise<AfterReport> {
  const tasks = wasm.stats().workerTasks;
  await rt().pool()!.ready(20_000);
  let firstDiff: number[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    firstDiff = firstDiffs(want, bits([job()]));
    if (firstDiff.some((d) => d !== -1) || wasm.stats().workerTasks > tasks) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { firstDiff, workerTasksGrew: wasm.stats().workerTasks > tasks };
}

const scope = globalThis as unknown as { postMessage(msg: unknown): void };
check().then(
  (report) => scope.postMessage({ report }),
  (e: unknown) => scope.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) }),
);
