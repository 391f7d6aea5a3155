import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '@tsgrad/testing';
import {
  BackendError, TsgradError, ValueError, backendInfo, evaluate, getBackend, getNumThreads, matmul, setBackend, setNumThreads,
  tensor, terminateThreads, threadsReady, wasm, type Tensor,
} from '../../index.js';
import type { WasmRuntime } from '../runtime.js';
import { setThreadTuning, type ThreadTuning } from './split.js';
import { RING } from './protocol.js';

/*
 * Threads of the WebAssembly backend: results bit-identical for 1, 2 and 8 threads
 * (every kernel is split by its shape, never by the thread count), a worker that
 * throws or exits becomes a BackendError (never a hang), lazy start, unref (a script
 * using threads exits by itself), and setNumThreads's validation.
 */

const rt = (): WasmRuntime => (wasm as unknown as { rt: WasmRuntime }).rt;
let previousBackend = '';
let previousTuning: ThreadTuning;
const startThreads = getNumThreads();

beforeAll(() => {
  previousBackend = getBackend().name;
  setBackend('wasm');
  // Split every kernel, into small tasks: the property test's small tensors then take
  // the parallel path (results must not depend on that either).
  previousTuning = setThreadTuning({ minElements: 0, minMacs: 0, taskElements: 32 });
});

afterAll(async () => {
  setThreadTuning(previousTuning);
  setNumThreads(startThreads);
  await terminateThreads();
  setBackend(previousBackend);
});

/** Uses `n` threads with every worker started (a pool boots asynchronously). */
function useThreads(n: number): void {
  setNumThreads(n);
  if (n > 1) expect(rt().pool()!.waitReady(30_000), 'workers started').toBe(true);
}

function values(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() - 0.5) * 8;
  return out;
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const rand = (shape: number[], seed: number): Tensor => tensor(values(numel(shape), seed), { shape });

/** Bits of every output, for exact comparison (NaN payloads and the sign of zero included). */
function bits(ts: readonly Tensor[]): Int32Array[] {
  return ts.map((t) => {
    const d = t.dataSync();
    if (d instanceof Float32Array) return new Int32Array(d.buffer.slice(0));
    return Int32Array.from(d as ArrayLike<number>);
  });
}

interface Case {
  name: string;
  run(): Tensor[];
}

const arbShape = fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 4 });

function elementwiseCase(shape: number[], seed: number, bcastDim: number, permuted: boolean): Case {
  return {
    name: `elementwise [${shape}] bcast ${bcastDim} ${permuted ? 'permuted' : ''}`,
    run: () => {
      let x = rand(shape, seed);
      if (permuted && shape.length > 1) x = x.transpose(0, shape.length - 1);
      const ys = [...x.shape];
      ys[bcastDim % ys.length] = 1;
      const y = rand(ys, seed + 1);
      const z = x.exp().mul(y).add(x.sin()).sub(y.tanh());
      const c = x.gt(y);
      return [z, c, x.add(3).relu().sqrt()];
    },
  };
}

function reduceCase(shape: number[], seed: number, axis: number): Case {
  return {
    name: `reductions [${shape}] axis ${axis}`,
    run: () => {
      const x = rand(shape, seed);
      const d = axis % shape.length;
      const xt = shape.length > 1 ? x.transpose(0, shape.length - 1) : x;
      return [
        x.sum(d), x.max(d), x.argmax(d), x.mean(), x.sum(), x.exp().sum(), x.logSumExp(d), x.logSumExp(),
        xt.sum(0), xt.logSumExp(shape.length - 1), x.square().sum(shape.length > 1 ? [0, shape.length - 1] : [0]),
      ];
    },
  };
}

function matmulCase(b: number, m: number, k: number, n: number, seed: number): Case {
  return {
    name: `matmul ${b}×${m}×${k}×${n}`,
    run: () => {
      const a = rand([b, m, k], seed), bb = rand([b, k, n], seed + 1);
      const at = rand([b, k, m], seed + 2).transpose(1, 2), bt = rand([b, n, k], seed + 3).transpose(1, 2);
      const a2 = rand([m, k], seed + 4);
      return [matmul(a, bb), matmul(at, bb), matmul(a, bt), matmul(a2, bb)];
    },
  };
}

function lossCase(batch: number, features: number, classes: number, seed: number): Case {
  return {
    name: `cross-entropy forward+backward ${batch}×${features}→${classes}`,
    run: () => {
      const x = rand([batch, features], seed);
      const w = rand([features, classes], seed + 1).mul(0.1).detach().requiresGrad_();
      const bias = rand([classes], seed + 2).detach().requiresGrad_();
      const r = mulberry32(seed + 3);
      const target = tensor(Int32Array.from({ length: batch }, () => Math.floor(r() * classes)), { shape: [batch, 1] });
      const loss = x.matmul(w).add(bias).relu().logSoftmax(1).gather(1, target).mean().neg();
      loss.backward();
      return [loss, w.grad!, bias.grad!];
    },
  };
}

describe('wasm threads: a heap that grows while the workers run', () => {
  // First in this file: the heap is still small, so growing it stays cheap.
  it('workers read and write memory added after they started', () => {
    useThreads(2);
    const before = wasm.stats();
    // Far more than the heap holds now: it must grow, under running workers.
    const n = Math.ceil(before.memoryBytes / 4) + (1 << 20);
    const x = tensor(values(n, 9), { shape: [n] });
    const y = x.mul(2).add(1);
    const got = bits([y, x.sum()]);
    expect(wasm.stats().grows).toBeGreaterThan(before.grows);
    expect(wasm.stats().workerTasks).toBeGreaterThan(before.workerTasks);
    useThreads(1);
    const want = bits([x.mul(2).add(1), x.sum()]);
    want.forEach((w, j) => expect(w.findIndex((v, i) => v !== got[j]![i]), `output ${j}: first differing element`).toBe(-1));
  });
});

describe('wasm threads: results do not depend on the thread count', () => {
  it('elementwise, reductions (full ones too), logSumExp, matmul in three layouts and a loss with its gradients: 1, 2 and 8 threads bit-identical', () => {
    const cases: Case[] = [
      ...fc.sample(fc.tuple(arbShape, fc.integer({ min: 1, max: 1000 }), fc.nat(3), fc.boolean()), { seed: 15, numRuns: 25 })
        .map(([s, seed, d, p]) => elementwiseCase(s, seed, d, p)),
      ...fc.sample(fc.tuple(arbShape, fc.integer({ min: 1, max: 1000 }), fc.nat(3)), { seed: 16, numRuns: 25 })
        .map(([s, seed, d]) => reduceCase(s, seed, d)),
      ...fc.sample(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 1000 })), { seed: 17, numRuns: 20 })
        .map(([b, m, k, n, seed]) => matmulCase(b, m, k, n, seed)),
      ...fc.sample(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 1000 })), { seed: 18, numRuns: 10 })
        .map(([b, f, c, seed]) => lossCase(b, f, c, seed)),
      // Larger than the default thresholds and the matmul blocks: the shipped split.
      elementwiseCase([300, 517], 5, 0, false),
      reduceCase([257, 1031], 6, 1),
      reduceCase([1031, 257], 7, 0),
      matmulCase(1, 200, 300, 530, 8),
      matmulCase(6, 40, 50, 60, 9),
      lossCase(128, 784, 10, 10),
    ];
    const results = new Map<number, Int32Array[][]>();
    const stats = wasm.stats();
    for (const n of [1, 2, 8]) {
      useThreads(n);
      results.set(n, cases.map((c) => bits(c.run())));
    }
    const after = wasm.stats();
    // The parallel path ran, and the workers took part (not only the calling thread).
    expect(after.parallelJobs).toBeGreaterThan(stats.parallelJobs + cases.length);
    expect(after.workerTasks).toBeGreaterThan(stats.workerTasks);
    const one = results.get(1)!;
    for (const n of [2, 8]) {
      const other = results.get(n)!;
      cases.forEach((c, i) => {
        one[i]!.forEach((want, j) => {
          const got = other[i]![j]!;
          expect(got.length, `${c.name}, output ${j}, ${n} threads: length`).toBe(want.length);
          const at = want.findIndex((v, q) => v !== got[q]);
          expect(at, `${c.name}, output ${j}, ${n} threads: first differing element`).toBe(-1);
        });
      });
    }
  });
});

describe('wasm threads: a job published while a worker still reads the previous one', () => {
  it('a worker that enters a finished job late takes no task while the next job is being written (its tickets are closed first)', () => {
    useThreads(2);
    const old = setThreadTuning({ minElements: 64, minMacs: 256, taskElements: 64 });
    try {
      const pool = rt().pool()!;
      const x = tensor(values(256, 1)), y = tensor(values(256, 2));
      const u = tensor(values(1024, 3)), v = tensor(values(1024, 4));
      const sleep = (ms: number) => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const before = pool.callerTasks + pool.workerTasks;
      // Job A (4 tasks): the worker wakes for it and then sleeps before reading it, so the
      // calling thread runs all four; the worker is still "inside" job A afterwards.
      pool.delayWorkerOnce(300);
      const a = x.add(y).dataSync();
      sleep(100);
      // Job B (16 tasks): its fields are written, then the caller pauses before publishing
      // it — the worker wakes meanwhile and reads B's fields under A's generation.
      pool.testAfterFields = () => sleep(600);
      const b = u.mul(v).dataSync();
      sleep(50);
      // Exactly A's and B's tasks ran (a phantom task of A with B's fields made it 21).
      expect(pool.callerTasks + pool.workerTasks - before).toBe(4 + 16);
      const [xs, ys, us, vs] = [x, y, u, v].map((t) => t.dataSync());
      expect(Array.from(a)).toEqual(Array.from(xs!, (q, i) => Math.fround(q + ys![i]!)));
      expect(Array.from(b)).toEqual(Array.from(us!, (q, i) => Math.fround(q * vs![i]!)));
    } finally {
      setThreadTuning(old);
    }
  });
});

describe('wasm threads: a ring slot rewritten while a late worker still reads it', () => {
  it(`a worker that enters a finished job late takes no task while its slot is rewritten ${RING} jobs later`, () => {
    useThreads(2);
    const old = setThreadTuning({ minElements: 64, minMacs: 256, taskElements: 64 });
    try {
      const pool = rt().pool()!;
      const x = tensor(values(256, 1));
      const m = tensor(values(16 * 64, 5), { shape: [16, 64] });
      const u = tensor(values(1024, 3)), v = tensor(values(1024, 4));
      const sleep = (ms: number) => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      const fillers = () => Array.from({ length: RING - 1 }, () => m.sum(1));
      // The tasks of the same sequence with no worker delayed and no pause.
      let before = pool.callerTasks + pool.workerTasks;
      const wantA = bits([x.reshape([4, 64]).sum(1)]);
      let fs = fillers();
      u.mul(v).dataSync();
      const tasks = pool.callerTasks + pool.workerTasks - before;
      const wantF = bits(fs);
      before = pool.callerTasks + pool.workerTasks;
      // Job A (a reduction: queued, not run, when the op returns): the worker enters it and
      // sleeps before reading it, then the calling thread runs all of it; the worker is
      // still "inside" A afterwards.
      pool.delayWorkerOnce(300);
      const ja = x.reshape([4, 64]).sum(1);
      sleep(100);
      const a = bits([ja]);
      // RING − 1 jobs queued behind A, then B: B's slot is A's. Its fields are written, then
      // the caller pauses before publishing it — the worker wakes meanwhile and reads A's
      // slot half-rewritten.
      fs = fillers();
      pool.testAfterFields = () => sleep(600);
      const b = u.mul(v).dataSync();
      sleep(50);
      // Exactly the same tasks ran (a task of A's ticket with B's fields would be one more).
      expect(pool.callerTasks + pool.workerTasks - before).toBe(tasks);
      expect(a).toEqual(wantA);
      expect(bits(fs)).toEqual(wantF);
      const [us, vs] = [u, v].map((t) => t.dataSync());
      expect(Array.from(b)).toEqual(Array.from(us!, (q, i) => Math.fround(q * vs![i]!)));
    } finally {
      setThreadTuning(old);
    }
  });
});

describe('wasm threads: full reductions in fixed chunks', () => {
  it('sum, max, min, logSumExp (plain, fused, int32, strided) over 2¹⁶+ elements: partials in parallel, combined in order; right and bit-identical for 1, 2 and 8 threads', () => {
    const n = (1 << 17) + 12_345; // eight whole chunks and a ragged one
    const data = values(n, 21);
    const ints = Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 2001) - 1000);
    const special = values(n, 22);
    special[70_000] = Infinity;
    const withNaN = values(n, 23);
    withNaN[100_000] = NaN;
    const run = (): Tensor[] => {
      const x = tensor(data, { shape: [n] });
      const i = tensor(ints, { dtype: 'int32' });
      const strided = tensor(data, { shape: [n] }).slice(0, 1, n - 1, 2);
      return [
        x.sum(), x.max(), x.min(), x.logSumExp(0), x.exp().sum(), x.mean(), i.sum(), i.max(), strided.sum(),
        tensor(special).logSumExp(0), tensor(special).max(), tensor(withNaN).sum(), tensor(withNaN).logSumExp(0), tensor(withNaN).min(),
      ];
    };
    const before = wasm.stats();
    const byThreads = [1, 2, 8].map((t) => {
      useThreads(t);
      return bits(run());
    });
    expect(wasm.stats().workerTasks).toBeGreaterThan(before.workerTasks);
    byThreads.slice(1).forEach((got, t) => got.forEach((g, j) => expect(Array.from(g), `output ${j}, ${[2, 8][t]} threads`).toEqual(Array.from(byThreads[0]![j]!))));
    // A full sum is one parallel job (its partials), not a kernel on the calling thread alone.
    useThreads(2);
    const xs = tensor(data, { shape: [n] });
    const jobs = wasm.stats().parallelJobs;
    xs.sum().item();
    expect(wasm.stats().parallelJobs).toBe(jobs + 1);
    // Against float64 references.
    const [sum, max, min, lse, expSum, mean, isum, imax, ssum, lseInf, maxInf, sumNaN, lseNaN, minNaN] = run().map((t) => t.item());
    let s64 = 0, e64 = 0, st64 = 0, is = 0, im = -Infinity, dmax = -Infinity, dmin = Infinity;
    for (let k = 0; k < n; k++) {
      s64 += data[k]!;
      dmax = Math.max(dmax, data[k]!);
      dmin = Math.min(dmin, data[k]!);
      e64 += Math.exp(data[k]!);
      is += ints[k]!;
      im = Math.max(im, ints[k]!);
    }
    for (let k = 1; k < n - 1; k += 2) st64 += data[k]!;
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
    expect(rel(sum!, s64)).toBeLessThan(1e-6);
    expect(rel(ssum!, st64)).toBeLessThan(1e-6);
    expect(rel(mean!, s64 / n)).toBeLessThan(1e-6);
    expect(max).toBe(dmax);
    expect(min).toBe(dmin);
    expect(rel(lse!, Math.log(e64))).toBeLessThan(1e-6);
    expect(rel(expSum!, e64)).toBeLessThan(1e-6);
    expect(isum).toBe(is);
    expect(imax).toBe(im);
    expect(lseInf).toBe(Infinity);
    expect(maxInf).toBe(Infinity);
    expect(sumNaN).toBeNaN();
    expect(lseNaN).toBeNaN();
    expect(minNaN).toBeNaN();
  });
});

describe('wasm threads: the kernel queue', () => {
  /** The heap address of a tensor's block (test-only peek at the backend's storage). */
  const ptrOf = (t: Tensor): number => (t.storage as unknown as { buf: { ptr: number } | null }).buf!.ptr;

  it('an op returns with its kernel still queued; a read waits for it (and for nothing after it)', () => {
    const x = rand([64, 256], 11);
    useThreads(1);
    const want = bits([x.sum(1)]);
    useThreads(2);
    const pool = rt().pool()!;
    // The worker sleeps on entering the job and the calling thread takes no task before it
    // reads: the reduction is still queued when the op returns.
    pool.delayWorkerOnce(200);
    const s = x.sum(1);
    expect(pool.pending).toBeGreaterThan(0);
    expect(bits([s])).toEqual(want);
    expect(pool.pending).toBe(0);
  });

  it('memory a queued kernel still reads is written again only after that kernel ran (by an upload, by a later kernel)', () => {
    const n = 1 << 12;
    const a0 = values(n, 12);
    const shape = [64, n / 64];
    useThreads(1);
    const want = bits([tensor(a0, { shape }).sum(1)]);
    useThreads(2);
    const pool = rt().pool()!;
    const y = rand([n], 14);
    for (const rewrite of ['upload', 'kernel'] as const) {
      const a = tensor(a0, { shape });
      const at = ptrOf(a);
      pool.delayWorkerOnce(100);
      const s = a.sum(1); // queued: reads a's block (a reduction records nothing that holds it)
      expect(pool.pending).toBeGreaterThan(0);
      a.dispose(); // a's block is free at once (no recorded op holds it)
      // The next block of that size is a's: its new contents must wait for the sum.
      // An upload (a host write) waits for the queue; a kernel's output is queued behind the sum.
      const b = rewrite === 'upload' ? tensor(new Float32Array(n).fill(1e6)) : y.add(1e6);
      if (rewrite === 'kernel') evaluate(b);
      expect(ptrOf(b), 'the freed block was reused').toBe(at);
      expect(bits([s]), rewrite).toEqual(want);
      expect(b.dataSync()[n - 1]).toBe(rewrite === 'upload' ? 1e6 : Math.fround(y.dataSync()[n - 1]! + 1e6));
    }
  });

  it(`more queued jobs than the ring's ${RING} slots: the calling thread helps, every result is right`, () => {
    const xs = Array.from({ length: 3 * RING }, (_, i) => rand([8, 64 + (i % 7)], 100 + i));
    useThreads(1);
    const want = bits(xs.map((x) => x.max(1)));
    useThreads(2);
    const pool = rt().pool()!;
    const jobs = pool.jobs;
    pool.delayWorkerOnce(100);
    const got = xs.map((x) => x.max(1));
    expect(pool.jobs - jobs).toBe(3 * RING);
    expect(bits(got)).toEqual(want);
  });

  it('a kernel that fails in the queue fails the next read with a BackendError; later ops run on a fresh pool', () => {
    const x = rand([64, 256], 13);
    useThreads(1);
    const want = bits([x.sum(1)]);
    useThreads(2);
    rt().pool()!.crashNext = 1;
    const s = x.sum(1); // returns: the failure happens on a worker, later
    expect(() => s.dataSync()).toThrow(/worker 1: test hook: a worker throws/);
    expect(wasm.stats().threadWorkers).toBe(0);
    useThreads(2);
    expect(bits([x.sum(1)])).toEqual(want);
  });
});

describe('wasm threads: random programs against the queue', () => {
  /*
   * A program: uploads, lazy elementwise ops, reductions and products (queued at once),
   * in-place writes, fills, disposals (memory freed while queued kernels may still use
   * it, then handed out again) and reads, in random order — with two threads every
   * kernel is split or queued behind others. Every read must give the bits of the same
   * program on one thread.
   */
  type Step =
    | { k: 'upload'; seed: number }
    | { k: 'unary'; a: number }
    | { k: 'binary'; a: number; b: number }
    | { k: 'sum'; a: number }
    | { k: 'matmul'; a: number; b: number }
    | { k: 'assign'; a: number; b: number }
    | { k: 'fill'; a: number }
    | { k: 'dispose'; a: number }
    | { k: 'read'; a: number };
  const N = 32;
  const arbStep: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ k: fc.constant('upload' as const), seed: fc.integer({ min: 0, max: 1000 }) }),
    fc.record({ k: fc.constant('unary' as const), a: fc.nat() }),
    fc.record({ k: fc.constant('binary' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ k: fc.constant('sum' as const), a: fc.nat() }),
    fc.record({ k: fc.constant('matmul' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ k: fc.constant('assign' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ k: fc.constant('fill' as const), a: fc.nat() }),
    fc.record({ k: fc.constant('dispose' as const), a: fc.nat() }),
    fc.record({ k: fc.constant('read' as const), a: fc.nat() }),
  );

  /** Runs `steps` on square N×N tensors; returns the bits of every read, then of every live tensor. */
  function runProgram(steps: readonly Step[]): Int32Array[] {
    const live: Tensor[] = [rand([N, N], 1), rand([N, N], 2)];
    const out: Int32Array[] = [];
    const pick = (i: number) => live[i % live.length]!;
    for (const s of steps) {
      switch (s.k) {
        case 'upload': live.push(rand([N, N], s.seed)); break;
        case 'unary': live.push(pick(s.a).tanh()); break;
        case 'binary': live.push(pick(s.a).mul(0.5).add(pick(s.b))); break;
        case 'sum': live.push(pick(s.a).sum(1, true).expand([N, N])); break;
        case 'matmul': live.push(matmul(pick(s.a), pick(s.b)).mul(1 / N)); break;
        case 'assign': pick(s.a).assign_(pick(s.b).sub(1)); break;
        case 'fill': pick(s.a).fill_(s.a % 7); break;
        case 'dispose':
          if (live.length > 2) live.splice(s.a % live.length, 1)[0]!.dispose();
          break;
        case 'read': out.push(...bits([pick(s.a)])); break;
      }
    }
    return [...out, ...bits(live)];
  }

  it('every read of a random program of queued kernels, writes and disposals gives the 1-thread bits', () => {
    fc.assert(
      fc.property(fc.array(arbStep, { minLength: 1, maxLength: 40 }), (steps) => {
        useThreads(1);
        const want = runProgram(steps);
        useThreads(2);
        const pool = rt().pool()!;
        // Half the time the worker starts late, so that more of the program is queued.
        if (steps.length % 2 === 0) pool.delayWorkerOnce(5);
        expect(runProgram(steps)).toEqual(want);
        // Reads wait only for the kernels they need: a disposed result's may still be queued.
        rt().sync();
        expect(pool.pending).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});

describe('wasm threads: failures', () => {
  it('a worker that throws becomes a BackendError, and the next kernel runs on a fresh pool', () => {
    useThreads(2);
    const a = rand([64, 64], 1), b = rand([64, 64], 2);
    const want = bits([matmul(a, b)]);
    rt().pool()!.crashNext = 1;
    expect(() => matmul(a, b).dataSync()).toThrow(BackendError);
    expect(wasm.stats().threadWorkers).toBe(0);
    rt().pool()!.crashNext = 1;
    expect(() => matmul(a, b).dataSync()).toThrow(/worker 1: test hook: a worker throws/);
    useThreads(2);
    expect(bits([matmul(a, b)])).toEqual(want);
  });

  it('a worker that exits while running a task becomes a BackendError', () => {
    const x = rand([4096], 3);
    useThreads(1);
    const want = bits([x.exp()]);
    useThreads(2);
    rt().pool()!.crashNext = 2;
    expect(() => x.exp().dataSync()).toThrow(/worker 1: exited \(code 3\) while running a task/);
    useThreads(2);
    expect(bits([x.exp()])).toEqual(want);
  });
});

describe('wasm threads: lifecycle and settings', () => {
  it('workers start on the first kernel large enough to split, and stop on setNumThreads(1) and terminateThreads()', async () => {
    await terminateThreads();
    setNumThreads(2);
    const old = setThreadTuning({ minElements: 1 << 16, minMacs: 1 << 18 });
    try {
      rand([100], 1).exp().dataSync();
      expect(wasm.stats().threadWorkers).toBe(0);
      rand([1 << 17], 2).exp().dataSync();
      expect(wasm.stats().threadWorkers).toBe(1);
      setNumThreads(1);
      expect(wasm.stats().threadWorkers).toBe(0);
      setNumThreads(2);
      rand([1 << 17], 3).exp().dataSync();
      expect(wasm.stats().threadWorkers).toBe(1);
      await terminateThreads();
      expect(wasm.stats().threadWorkers).toBe(0);
    } finally {
      setThreadTuning(old);
    }
  });

  it('threadsReady() starts the workers and resolves once they wait for work; true at once on one thread; bad timeouts throw', async () => {
    await terminateThreads();
    setNumThreads(1);
    await expect(threadsReady()).resolves.toBe(true);
    expect(wasm.stats().threadWorkers).toBe(0);
    setNumThreads(3);
    expect(wasm.stats().threadWorkers).toBe(0);
    await expect(threadsReady(30_000)).resolves.toBe(true);
    expect(wasm.stats().threadWorkers).toBe(2);
    expect(rt().pool()!.alive).toBe(2);
    for (const bad of [-1, NaN, Infinity, '5' as unknown as number]) {
      expect(() => threadsReady(bad), String(bad)).toThrow(ValueError);
    }
    expect(() => threadsReady(-1)).toThrow("threadsReady: argument 'timeoutMs' expected a non-negative finite number of milliseconds, got -1");
    await terminateThreads();
    setNumThreads(1);
  });

  it('reports threads and why in backendInfo()', () => {
    setNumThreads(2);
    const info = backendInfo();
    expect(info['threads']).toBe(2);
    expect(info['threadsReason']).toBe('setNumThreads(2) (Node worker_threads)');
    setNumThreads(1);
    expect(backendInfo()['threads']).toBe(1);
  });

  it('setNumThreads accepts integers from 1 to 256 and rejects everything else with a TsgradError', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, 257, '2' as unknown as number]) {
      expect(() => setNumThreads(bad), String(bad)).toThrow(ValueError);
      expect(() => setNumThreads(bad), String(bad)).toThrow(TsgradError);
    }
    expect(() => setNumThreads(0)).toThrow("setNumThreads: argument 'n' expected an integer from 1 to 256, got 0");
    setNumThreads(3);
    expect(getNumThreads()).toBe(3);
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
  });

  it('a script that uses threads exits by itself (workers are unref()ed)', () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const index = resolve(here, '../../index.ts');
    const dir = mkdtempSync(join(tmpdir(), 'tsgrad-threads-'));
    const script = join(dir, 'uses-threads.ts');
    writeFileSync(script, [
      `import { matmul, randn, setNumThreads, wasm } from ${JSON.stringify(index)};`,
      'setNumThreads(2);',
      'const a = randn([256, 256]);',
      'for (let i = 0; i < 3; i++) matmul(a, a).dataSync();',
      'const s = wasm.stats();',
      'console.log(JSON.stringify({ workers: s.threadWorkers, jobs: s.parallelJobs }));',
      // No terminateThreads(): the process must end on its own.
    ].join('\n'));
    const t0 = performance.now();
    // The child runs without the V8 flags of this test process: no relaxed-SIMD request either.
    const env = { ...process.env };
    delete env['TSGRAD_WASM_RELAXED'];
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000, cwd: resolve(here, '../../../../..'), env });
    expect(r.error, 'timed out or failed to start').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { workers: number; jobs: number };
    expect(out.workers).toBe(1);
    expect(out.jobs).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(60_000);
  });
});
