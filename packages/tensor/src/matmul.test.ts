import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Tensor, tensor, matmul, type DType } from './index';

/*
 * matmul with PyTorch's rules (1-d promotion, broadcast batch dims) against a triple-loop
 * float64 reference written here, on contiguous, transposed (Aᵀ·B, A·Bᵀ), sliced and
 * expanded operands.
 */

// ---------- reference helpers (test-local on purpose: independent of the library) ----------

interface Ref { shape: number[]; data: Float64Array }

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Calls fn(multiIndex, flatRowMajorIndex) for every element of `shape`. */
function forEachIndex(shape: readonly number[], fn: (idx: number[], flat: number) => void): void {
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** mulberry32: a tiny seeded generator for test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomRef(shape: readonly number[], seed: number, lo: number, hi: number, integers = false): Ref {
  const r = rng(seed);
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = integers ? Math.floor(lo + r() * (hi - lo + 1)) : lo + r() * (hi - lo);
  return { shape: [...shape], data };
}

function roundTo(ref: Ref, dtype: DType): Ref {
  if (dtype !== 'float32') return ref;
  return { shape: ref.shape, data: ref.data.map((v) => Math.fround(v)) };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) throw new Error(`${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

const make = (ref: Ref, dtype: DType): Tensor => tensor(ref.data, { shape: ref.shape, dtype });
/** A non-contiguous view whose logical values are `ref`: phys.permute(q). */
function permutedView(ref: Ref, q: readonly number[], dtype: DType): Tensor {
  const S = ref.shape;
  const P = new Array<number>(S.length);
  q.forEach((p, i) => (P[p] = S[i]!));
  const ps = stridesOf(P);
  const phys = new Float64Array(ref.data.length);
  forEachIndex(S, (idx, flat) => {
    let off = 0;
    for (let i = 0; i < idx.length; i++) off += idx[i]! * ps[q[i]!]!;
    phys[off] = ref.data[flat]!;
  });
  return tensor(phys, { shape: P, dtype }).permute(q);
}

/** A view taking every second element (from offset 1) along `dim` of a padded buffer full of junk. */
function steppedView(ref: Ref, dim: number, dtype: DType): Tensor {
  const S = ref.shape;
  const P = S.map((s, i) => (i === dim ? 2 * s + 1 : s));
  const ps = stridesOf(P);
  const phys = new Float64Array(numel(P)).fill(dtype === 'int32' || dtype === 'bool' ? 77 : 1e30);
  forEachIndex(S, (idx, flat) => {
    let off = 0;
    for (let i = 0; i < idx.length; i++) off += (i === dim ? 2 * idx[i]! + 1 : idx[i]!) * ps[i]!;
    phys[off] = ref.data[flat]!;
  });
  return tensor(phys, { shape: P, dtype }).slice(dim, 1, undefined, 2);
}

/** The same values laid out several ways; `expanded` changes the logical shape (and ref) to [2, ...shape]. */
function layouts(ref: Ref, dtype: DType): { name: string; t: Tensor; ref: Ref }[] {
  const nd = ref.shape.length;
  const out = [{ name: 'contiguous', t: make(ref, dtype), ref }];
  if (nd >= 2) {
    const q = ref.shape.map((_, i) => i);
    [q[nd - 2], q[nd - 1]] = [q[nd - 1]!, q[nd - 2]!];
    out.push({ name: 'transposed', t: permutedView(ref, q, dtype), ref });
  }
  if (nd >= 3) out.push({ name: 'permuted', t: permutedView(ref, ref.shape.map((_, i) => nd - 1 - i), dtype), ref });
  if (nd >= 1) {
    out.push({ name: 'sliced last dim step 2', t: steppedView(ref, nd - 1, dtype), ref });
    out.push({ name: 'sliced dim 0 step 2', t: steppedView(ref, 0, dtype), ref });
  }
  const big: Ref = { shape: [2, ...ref.shape], data: new Float64Array(2 * ref.data.length) };
  big.data.set(ref.data, 0);
  big.data.set(ref.data, ref.data.length);
  out.push({ name: 'expanded', t: make(ref, dtype).unsqueeze(0).expand([2, ...ref.shape]), ref: big });
  return out;
}


/** PyTorch matmul semantics with plain loops; also returns Σ|a||b| per output for tolerances. */
function matmulRef(a: Ref, b: Ref): { out: Ref; scale: Float64Array } {
  const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const b2 = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const M = a2.shape[a2.shape.length - 2]!;
  const K = a2.shape[a2.shape.length - 1]!;
  const N = b2.shape[b2.shape.length - 1]!;
  const ab = a2.shape.slice(0, -2);
  const bb = b2.shape.slice(0, -2);
  const nb = Math.max(ab.length, bb.length);
  const batch = new Array<number>(nb).fill(1);
  for (const s of [ab, bb]) s.forEach((d, i) => { if (d !== 1) batch[nb - s.length + i] = d; });
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
        const at = make(permuteRefT(a), dtype).transpose(); // stored [K, M], used as [M, K]
        const bt = make(permuteRefT(b), dtype).transpose(); // stored [N, K], used as [K, N]
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
        expectMatmul(make(a, dtype).transpose().matmul(make(g, dtype)), permuteRefT(a), g, dtype, `Xᵀ·G ${M}x${K}x${N}`);
        expectMatmul(make(g, dtype).matmul(make(b, dtype).transpose()), g, permuteRefT(b), dtype, `G·Wᵀ ${M}x${K}x${N}`);
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
  const ba = a.length <= 2 ? [] : a.slice(0, -2);
  const bb = b.length <= 2 ? [] : b.slice(0, -2);
  for (let i = 1; i <= Math.min(ba.length, bb.length); i++) {
    const x = ba[ba.length - i]!;
    const y = bb[bb.length - i]!;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** The 2-d transpose of a reference matrix. */
function permuteRefT(x: Ref): Ref {
  const [r, c] = x.shape as [number, number];
  const data = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = x.data[i * c + j]!;
  return { shape: [c, r], data };
}
