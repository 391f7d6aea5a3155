import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor, tensor, matmul, type DType } from './index.js';
import {
  type Ref, numel, stridesOf, forEachIndex, randomRef, roundTo, expectClose, make, layouts, broadcastable, broadcastRef, permuteRef,
} from './test-support/reference.js';

/*
 * matmul with PyTorch's rules (1-d promotion, broadcast batch dims) against a triple-loop
 * float64 reference written here, on contiguous, transposed (Aᵀ·B, A·Bᵀ), sliced and
 * expanded operands.
 */

/** PyTorch matmul semantics with plain loops; also returns Σ|a||b| per output for tolerances. */
function matmulRef(a: Ref, b: Ref): { out: Ref; scale: Float64Array } {
  const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const b2 = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const M = a2.shape[a2.shape.length - 2]!;
  const K = a2.shape[a2.shape.length - 1]!;
  const N = b2.shape[b2.shape.length - 1]!;
  const ab = a2.shape.slice(0, -2);
  const bb = b2.shape.slice(0, -2);
  const batch = broadcastRef([ab, bb]);
  const nb = batch.length;
  const full = [...batch, M, N];
  const out = new Float64Array(numel(full));
  const scale = new Float64Array(numel(full));
  const as = stridesOf(a2.shape);
  const bs = stridesOf(b2.shape);
  forEachIndex(full, (idx, flat) => {
    const i = idx[nb]!;
    const j = idx[nb + 1]!;
    let pa = 0;
    let pb = 0;
    ab.forEach((d, t) => (pa += (d === 1 ? 0 : idx[nb - ab.length + t]!) * as[t]!));
    bb.forEach((d, t) => (pb += (d === 1 ? 0 : idx[nb - bb.length + t]!) * bs[t]!));
    let s = 0;
    let sa = 0;
    for (let k = 0; k < K; k++) {
      const x = a2.data[pa + i * K + k]!;
      const y = b2.data[pb + k * N + j]!;
      s += x * y;
      sa += Math.abs(x * y);
    }
    out[flat] = s;
    scale[flat] = sa;
  });
  let shape = full;
  if (a.shape.length === 1 && b.shape.length === 1) shape = [];
  else if (a.shape.length === 1) shape = [...batch, N];
  else if (b.shape.length === 1) shape = [...batch, M];
  return { out: { shape, data: out }, scale };
}

function expectMatmul(out: Tensor, a: Ref, b: Ref, dtype: DType, what: string): void {
  const { out: e, scale } = matmulRef(a, b);
  expect(out.shape, `${what}: shape`).toEqual(e.shape);
  const got = out.dataSync();
  const rtol = dtype === 'float64' ? 1e-12 : 1e-6;
  got.forEach((g, i) => expectClose([g], [dtype === 'float32' ? Math.fround(e.data[i]!) : e.data[i]!], rtol, scale[i]! * rtol * 0.1, `${what} at ${i}`));
}

/** Operand shapes following PyTorch's rules: optional 1-d operands, broadcastable batch dims. */
const arbMatmulCase = fc
  .record({
    M: fc.integer({ min: 1, max: 9 }),
    K: fc.integer({ min: 1, max: 9 }),
    N: fc.integer({ min: 1, max: 9 }),
    batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    dropA: fc.nat({ max: 2 }),
    dropB: fc.nat({ max: 2 }),
    onesA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
    onesB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
    vecA: fc.boolean(),
    vecB: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ M, K, N, batch, dropA, dropB, onesA, onesB, vecA, vecB, seed }) => {
    const mk = (drop: number, ones: boolean[]) => {
      const k = Math.min(drop, batch.length);
      return batch.slice(k).map((d, i) => (ones[i + k] ? 1 : d));
    };
    const a = vecA ? [K] : [...mk(dropA, onesA), M, K];
    const b = vecB ? [K] : [...mk(dropB, onesB), K, N];
    return { a, b, seed };
  });

describe('matmul: forward values with PyTorch rules', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`random shapes (1-d operands, broadcast batch dims), ${dtype}, every layout pair`, () => {
      fc.assert(
        fc.property(arbMatmulCase, ({ a: sa, b: sb, seed }) => {
          const a = roundTo(randomRef(sa, seed, -2, 2), dtype);
          const b = roundTo(randomRef(sb, seed + 1, -2, 2), dtype);
          const la = layouts(a, dtype);
          const lb = layouts(b, dtype);
          for (const x of la) {
            for (const y of lb) {
              // The expanded layout adds a leading batch dim of 2: skip pairs where that no longer broadcasts.
              // (Expanding a 1-d operand would turn it into a matrix: skip that too.)
              if ((x.name === 'expanded' && sa.length === 1) || (y.name === 'expanded' && sb.length === 1)) continue;
              if (!batchesBroadcast(x.ref.shape, y.ref.shape)) continue;
              let out: Tensor;
              try {
                out = matmul(x.t, y.t);
              } catch (e) {
                throw new Error(`matmul threw for ${x.name} [${x.t.shape}] · ${y.name} [${y.t.shape}]: ${(e as Error).message}`);
              }
              expect(out.dtype).toBe(dtype);
              expectMatmul(out, x.ref, y.ref, dtype, `${x.name} [${x.ref.shape}] · ${y.name} [${y.ref.shape}]`);
            }
          }
        }),
        { numRuns: 20 },
      );
    });
  }

  it('1-d · 1-d is a dot product giving a 0-d tensor', () => {
    const out = matmul(tensor([1, 2, 3], { dtype: 'float64' }), tensor([4, 5, 6], { dtype: 'float64' }));
    expect(out.shape).toEqual([]);
    expect(out.ndim).toBe(0);
    expect(out.toArray()).toBe(32);
  });

  it('1-d · 2-d, 2-d · 1-d, 1-d · 3-d and 3-d · 1-d drop the promoted dim', () => {
    const v = tensor([1, 2], { dtype: 'float64' });
    const m = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(matmul(v, m).toArray()).toEqual([9, 12, 15]);
    expect(matmul(m, tensor([1, 0, -1], { dtype: 'float64' })).toArray()).toEqual([-2, -2]);
    const b3 = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 2]], [[0, 1], [1, 0]]], { dtype: 'float64' }); // [3, 2, 2]
    expect(matmul(v, b3).shape).toEqual([3, 2]);
    expect(matmul(v, b3).toArray()).toEqual([[1, 2], [2, 4], [2, 1]]);
    expect(matmul(b3, v).toArray()).toEqual([[1, 2], [2, 4], [2, 1]]);
  });

  it('batched with broadcast batch dims: [2,1,3,4] · [5,4,2] → [2,5,3,2]', () => {
    const a = randomRef([2, 1, 3, 4], 11, -1, 1);
    const b = randomRef([5, 4, 2], 12, -1, 1);
    const out = matmul(make(a, 'float64'), make(b, 'float64'));
    expect(out.shape).toEqual([2, 5, 3, 2]);
    expectMatmul(out, a, b, 'float64', '[2,1,3,4]·[5,4,2]');
    // the same product transposed, from views: (A·B)ᵀ = Bᵀ·Aᵀ with batch dims [1,5] and [2,1]
    const t = matmul(make(b, 'float64').transpose(-1, -2).unsqueeze(0), make(a, 'float64').transpose(-1, -2));
    expect(t.shape).toEqual([2, 5, 2, 3]);
    expect(Array.from(t.transpose(-1, -2).contiguous().dataSync())).toEqual(Array.from(out.dataSync()));
  });

  it('Aᵀ·B, A·Bᵀ and Aᵀ·Bᵀ built with .transpose() match the reference, including sizes past the 4×2 tiles and 64-column blocks', () => {
    for (const [M, K, N] of [[1, 1, 1], [3, 5, 2], [4, 8, 2], [7, 3, 9], [9, 17, 70], [33, 2, 65]] as [number, number, number][]) {
      for (const dtype of ['float64', 'float32'] as const) {
        const a = roundTo(randomRef([M, K], M * 100 + K, -1, 1), dtype);
        const b = roundTo(randomRef([K, N], N * 100 + K, -1, 1), dtype);
        const at = make(permuteRef(a, [1, 0]), dtype).transpose(); // stored [K, M], used as [M, K]
        const bt = make(permuteRef(b, [1, 0]), dtype).transpose(); // stored [N, K], used as [K, N]
        expect(at.isContiguous()).toBe(M === 1 || K === 1);
        for (const [name, x, y] of [
          ['A·B', make(a, dtype), make(b, dtype)],
          ['Aᵀ·B', at, make(b, dtype)],
          ['A·Bᵀ', make(a, dtype), bt],
          ['Aᵀ·Bᵀ', at, bt],
        ] as const) {
          expectMatmul(matmul(x, y), a, b, dtype, `${name} ${M}x${K}x${N} ${dtype}`);
        }
        // the classic gradient layouts: Xᵀ·G and G·Wᵀ
        const g = roundTo(randomRef([M, N], 7, -1, 1), dtype);
        expectMatmul(make(a, dtype).transpose().matmul(make(g, dtype)), permuteRef(a, [1, 0]), g, dtype, `Xᵀ·G ${M}x${K}x${N}`);
        expectMatmul(make(g, dtype).matmul(make(b, dtype).transpose()), g, permuteRef(b, [1, 0]), dtype, `G·Wᵀ ${M}x${K}x${N}`);
      }
    }
  });

  it('expanded operands (stride-0 rows and batch dims) and strided slices', () => {
    const row = randomRef([1, 4], 3, -1, 1);
    const rowRepeated: Ref = { shape: [3, 4], data: new Float64Array([...row.data, ...row.data, ...row.data]) };
    const b = randomRef([4, 5], 4, -1, 1);
    expectMatmul(matmul(make(row, 'float64').expand([3, 4]), make(b, 'float64')), rowRepeated, b, 'float64', 'expanded rows');
    const bBatch: Ref = { shape: [2, 4, 5], data: new Float64Array([...b.data, ...b.data]) };
    expectMatmul(matmul(make(rowRepeated, 'float64'), make(b, 'float64').expand([2, 4, 5])), rowRepeated, bBatch, 'float64', 'expanded batch');
    const big = randomRef([6, 10], 5, -1, 1);
    const sl = make(big, 'float64').slice(0, 1, 6, 2).slice(1, 0, 10, 3); // [3, 4], both strides non-unit
    const slRef: Ref = { shape: [3, 4], data: new Float64Array(12) };
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) slRef.data[i * 4 + j] = big.data[(1 + 2 * i) * 10 + 3 * j]!;
    expectMatmul(matmul(sl, make(b, 'float64')), slRef, b, 'float64', 'double-strided slice');
  });

  it('int32 and mixed dtypes; empty dims', () => {
    const a = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    const out = matmul(a, a);
    expect(out.dtype).toBe('int32');
    expect(out.toArray()).toEqual([[7, 10], [15, 22]]);
    expect(matmul(a, tensor([[0.5], [1]])).dtype).toBe('float32');
    expect(matmul(a, tensor([[0.5], [1]], { dtype: 'float64' })).toArray()).toEqual([[2.5], [5.5]]);
    expect(matmul(tensor(new Float32Array(0), { shape: [2, 0] }), tensor(new Float32Array(0), { shape: [0, 3] })).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(matmul(tensor(new Float32Array(0), { shape: [0, 2] }), tensor([[1], [2]])).shape).toEqual([0, 1]);
  });
});

/** Whether two matmul operands' batch dims (1-d operands have none) broadcast. */
function batchesBroadcast(a: readonly number[], b: readonly number[]): boolean {
  const batchDims = (s: readonly number[]) => (s.length <= 2 ? [] : s.slice(0, -2));
  return broadcastable(batchDims(a), batchDims(b));
}
