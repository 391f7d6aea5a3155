import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '@tsgrad/testing';
import { detectFeatures, WasmRuntime } from './runtime.js';
import { DEFAULT_MATMUL_CONFIG, matmulF32, matmulF32WithConfig, type MatmulConfig, type MatrixOperand } from './matmul.js';

/*
 * The WebAssembly matmul against a float64 triple loop, on every operand layout the
 * packing has to absorb (row-major, a transposed view, every-other-column strided,
 * broadcast over the batch), on ragged shapes around the tile and block edges, and with
 * deliberately tiny block sizes so one small product crosses every block boundary.
 */

type Layout = 'row' | 'trans' | 'strided';
const LAYOUTS: readonly Layout[] = ['row', 'trans', 'strided'];

interface Case {
  batch: number;
  M: number;
  K: number;
  N: number;
  la: Layout;
  lb: Layout;
  /** Operand shared by every batch (batch stride 0). */
  broadcastA: boolean;
  broadcastB: boolean;
}

/** Element strides of an R×C matrix stored in `layout`, and the floats one batch spans. */
function placement(layout: Layout, R: number, C: number): { rowStride: number; colStride: number; span: number } {
  switch (layout) {
    case 'row':
      return { rowStride: C, colStride: 1, span: R * C };
    case 'trans': // a transposed view of a row-major [C, R] buffer
      return { rowStride: 1, colStride: R, span: R * C };
    case 'strided': // every other column of a row-major [R, 2C + 1] buffer
      return { rowStride: 2 * C + 1, colStride: 2, span: R * (2 * C + 1) };
  }
}

/** Values with few mantissa bits (exact products) plus a random float32 tail. */
function randomValues(n: number, next: () => number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.fround((next() - 0.5) * 4);
  return v;
}

interface Result {
  got: Float32Array;
  want: Float64Array;
  scale: Float64Array;
}

function runCase(rt: WasmRuntime, c: Case, seed: number, cfg: Readonly<MatmulConfig> | null = null): Result {
  const { batch, M, K, N } = c;
  const next = mulberry32(seed);
  const pa = placement(c.la, M, K);
  const pb = placement(c.lb, K, N);
  const nA = c.broadcastA ? 1 : batch;
  const nB = c.broadcastB ? 1 : batch;
  const A = randomValues(nA * M * K, next);
  const B = randomValues(nB * K * N, next);
  const guard = 16; // sentinel floats on each side of the output
  const aPtr = rt.heap.alloc(Math.max(1, nA * pa.span) * 4);
  const bPtr = rt.heap.alloc(Math.max(1, nB * pb.span) * 4);
  const cBase = rt.heap.alloc((batch * M * N + 2 * guard) * 4);
  const outPtr = cBase + guard * 4;
  const f = rt.heap.f32;
  // Fill the holes of strided buffers with NaN: a read of one would show.
  f.fill(NaN, aPtr >> 2, (aPtr >> 2) + nA * pa.span);
  f.fill(NaN, bPtr >> 2, (bPtr >> 2) + nB * pb.span);
  f.fill(-7, cBase >> 2, (cBase >> 2) + batch * M * N + 2 * guard);
  for (let b = 0; b < nA; b++) {
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) f[(aPtr >> 2) + b * pa.span + i * pa.rowStride + k * pa.colStride] = A[(b * M + i) * K + k]!;
  }
  for (let b = 0; b < nB; b++) {
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) f[(bPtr >> 2) + b * pb.span + k * pb.rowStride + j * pb.colStride] = B[(b * K + k) * N + j]!;
  }
  const a: MatrixOperand = { ptr: aPtr, batchStride: c.broadcastA ? 0 : pa.span, rowStride: pa.rowStride, colStride: pa.colStride };
  const bo: MatrixOperand = { ptr: bPtr, batchStride: c.broadcastB ? 0 : pb.span, rowStride: pb.rowStride, colStride: pb.colStride };
  const live = rt.heap.stats().liveBytes;
  if (cfg) matmulF32WithConfig(rt, a, bo, outPtr, batch, M, K, N, cfg);
  else matmulF32(rt, a, bo, outPtr, batch, M, K, N);
  // Scratch panels are returned to the heap.
  expect(rt.heap.stats().liveBytes).toBe(live);
  // With threads the product may still be queued: wait for it before reading the heap.
  rt.sync();
  const g = rt.heap.f32;
  for (let i = 0; i < guard; i++) {
    expect(g[(cBase >> 2) + i]).toBe(-7);
    expect(g[(outPtr >> 2) + batch * M * N + i]).toBe(-7);
  }
  const got = g.slice(outPtr >> 2, (outPtr >> 2) + batch * M * N);
  rt.heap.release(aPtr);
  rt.heap.release(bPtr);
  rt.heap.release(cBase);

  const want = new Float64Array(batch * M * N);
  const scale = new Float64Array(batch * M * N);
  for (let b = 0; b < batch; b++) {
    const ao = (c.broadcastA ? 0 : b) * M * K;
    const bo2 = (c.broadcastB ? 0 : b) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        let t = 0;
        for (let k = 0; k < K; k++) {
          const p = A[ao + i * K + k]! * B[bo2 + k * N + j]!;
          s += p;
          t += Math.abs(p);
        }
        want[(b * M + i) * N + j] = s;
        scale[(b * M + i) * N + j] = t;
      }
    }
  }
  return { got, want, scale };
}

/** float32 accumulation over K: each element within 1e-5·Σ|a·b| of the float64 sum. */
function expectClose(r: Result, what: string): void {
  let worst = -1;
  for (let i = 0; i < r.want.length; i++) {
    const err = Math.abs(r.got[i]! - r.want[i]!);
    if (!(err <= 1e-5 * r.scale[i]! + 1e-30)) {
      worst = i;
      break;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${r.got[worst]}, expected ${r.want[worst]} (Σ|ab| = ${r.scale[worst]})`);
  }
}

const describeCase = (c: Case) =>
  `batch ${c.batch} ${c.M}×${c.K}·${c.K}×${c.N} A:${c.la}${c.broadcastA ? '(bcast)' : ''} B:${c.lb}${c.broadcastB ? '(bcast)' : ''}`;

/** Block sizes far below the default, so small products cross every M, N and K block edge. */
const TINY_BLOCKS: MatmulConfig = { mr: 5, nr: 8, ku: 3, mc: 10, nc: 16, kc: 7, directRows: 12 };

function suite(relaxed: boolean): void {
  // Created when the tests run: a skipped suite's body is still collected.
  let rt!: WasmRuntime;
  beforeAll(() => {
    rt = new WasmRuntime({ relaxed, cacheLimit: 16 });
  });
  const plainCase = (M: number, K: number, N: number, la: Layout = 'row', lb: Layout = 'row'): Case => ({
    batch: 1, M, K, N, la, lb, broadcastA: false, broadcastB: false,
  });

  it('random small shapes, layouts and broadcast batches (fast-check)', () => {
    const dim = fc.oneof(fc.integer({ min: 0, max: 17 }), fc.constantFrom(1, 2, 15, 16, 17, 31, 32, 33));
    const arb = fc.record({
      batch: fc.integer({ min: 0, max: 3 }),
      M: dim, K: dim, N: dim,
      la: fc.constantFrom(...LAYOUTS), lb: fc.constantFrom(...LAYOUTS),
      broadcastA: fc.boolean(), broadcastB: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      tiny: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ seed, tiny, ...c }) => {
        expectClose(runCase(rt, c, seed, tiny ? TINY_BLOCKS : null), describeCase(c));
      }),
      { numRuns: 150, seed: 20240611 },
    );
  });

  it('primes and sizes around the tile edges', () => {
    const sizes = [1, 2, 3, 7, 13, 15, 16, 17, 31, 33, 47];
    let s = 1;
    for (const M of sizes) for (const N of sizes) {
      const K = sizes[(M * 7 + N) % sizes.length]!;
      const c = plainCase(M, K, N, LAYOUTS[s % 3]!, LAYOUTS[(s >> 1) % 3]!);
      expectClose(runCase(rt, c, s++), describeCase(c));
    }
  });

  it('shapes beyond the cache blocks in all three layouts and a strided operand', () => {
    // 300 > mc and 517 > kc; the N = 600 case crosses nc.
    for (const [la, lb] of [['row', 'row'], ['trans', 'row'], ['row', 'trans'], ['strided', 'strided']] as const) {
      const c = plainCase(300, 517, 129, la, lb);
      expectClose(runCase(rt, c, 11), describeCase(c));
    }
    const wide = plainCase(37, 70, 600, 'row', 'strided');
    expectClose(runCase(rt, wide, 12), describeCase(wide));
  });

  it('the MLP shapes (narrow outputs take the swapped orientation)', () => {
    for (const c of [
      plainCase(128, 256, 10), plainCase(256, 128, 10, 'trans', 'row'), plainCase(128, 10, 256, 'row', 'trans'),
      plainCase(10, 64, 128, 'trans', 'strided'),
    ]) expectClose(runCase(rt, c, 21), describeCase(c));
  });

  it('few rows: B read in place, its ragged last panel packed', () => {
    for (const c of [
      plainCase(1, 600, 70), plainCase(3, 5, 33, 'trans', 'row'), plainCase(31, 517, 47, 'strided', 'row'),
      { batch: 3, M: 5, K: 40, N: 19, la: 'row', lb: 'row', broadcastA: false, broadcastB: false } satisfies Case,
      { batch: 3, M: 5, K: 40, N: 19, la: 'trans', lb: 'row', broadcastA: false, broadcastB: true } satisfies Case,
    ]) expectClose(runCase(rt, c, 71), describeCase(c));
  });

  it('a broadcast B packed right behind a packed A whose size is a whole number of 64-byte lines (regression)', () => {
    // M = 15, K odd: packed A is 16·K floats and its ragged last panel's zero-fill once
    // ran 8 bytes past it, into the first columns of B's packed tail panel, which a
    // broadcast B does not repack for later batch elements (they came out 0).
    for (const K of [1, 3, 5, 7]) for (const N of [99, 100, 101, 103]) for (const M of [15, 13, 31]) {
      const c: Case = { batch: 3, M, K, N, la: 'row', lb: 'row', broadcastA: false, broadcastB: true };
      expectClose(runCase(rt, c, 41), describeCase(c));
    }
  });

  it('batches with a broadcast operand on either side', () => {
    for (const [bA, bB] of [[true, false], [false, true], [true, true], [false, false]] as const) {
      const c: Case = { batch: 4, M: 19, K: 33, N: 21, la: 'trans', lb: 'strided', broadcastA: bA, broadcastB: bB };
      expectClose(runCase(rt, c, 31), describeCase(c));
    }
  });

  it('empty dimensions: nothing for M, N or batch 0; zeros for K = 0', () => {
    for (const [batch, M, K, N] of [[0, 3, 3, 3], [2, 0, 3, 3], [2, 3, 3, 0], [2, 3, 0, 4], [1, 1, 0, 1]] as const) {
      const c: Case = { batch, M, K, N, la: 'row', lb: 'trans', broadcastA: false, broadcastB: true };
      const r = runCase(rt, c, 41);
      expect(Array.from(r.got)).toEqual(Array.from(r.want));
    }
  });

  it('gives the same bits for any tile and block sizes (a sum per element, in k order)', () => {
    // The contract a multi-threaded driver relies on: how output tiles are cut and
    // visited never changes an element's accumulation order.
    const configs: MatmulConfig[] = [
      DEFAULT_MATMUL_CONFIG, TINY_BLOCKS,
      { mr: 4, nr: 8, ku: 1, mc: 8, nc: 8, kc: 64, directRows: 0 },
      { mr: 3, nr: 12, ku: 2, mc: 96, nc: 504, kc: 3, directRows: 1000 },
    ];
    for (const c of [
      plainCase(45, 150, 37, 'trans', 'row'), plainCase(40, 100, 6, 'row', 'strided'), plainCase(7, 600, 45, 'row', 'row'),
    ]) {
      const ref = runCase(rt, c, 51, configs[0]).got;
      for (const cfg of configs.slice(1)) expect(runCase(rt, c, 51, cfg).got).toEqual(ref);
    }
  });

  it('reuses one compiled kernel for every shape and layout', () => {
    const before = rt.cacheStats().compiled;
    for (const c of [plainCase(5, 6, 7), plainCase(70, 3, 9, 'trans', 'trans'), plainCase(2, 90, 40, 'strided', 'row')]) {
      runCase(rt, c, 61);
    }
    expect(rt.cacheStats().compiled).toBe(before);
  });
}

describe('wasm matmulF32 (SIMD mul + add)', () => suite(false));

describe.skipIf(!detectFeatures().relaxedSimd)('wasm matmulF32 (relaxed-SIMD madd)', () => suite(true));
