import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '@tsgrad/testing';
import {
  cat, getBackend, setBackend, stack, tensor, wasm, where, ValueError, type DType, type Tensor,
} from '../index.js';
import { make, numel, permutedView, steppedView, type Ref } from '../test-support/reference.js';

/*
 * The WebAssembly backend against the JS reference backend ('cpu'), op by op: the
 * same input is built on each backend (identical views: permuted, stepped slices,
 * expanded), the op runs on each, and the results must agree —
 *  - bit for bit (NaN positions and the sign of zero included) for arithmetic,
 *    comparisons, where, casts, copies and indexing: the float32 results of + − × ÷ √
 *    are correctly rounded on both (the cpu's float64-then-round double rounding is
 *    innocuous for them);
 *  - within a few float32 ulps for transcendental functions (wasm ≤ 2 ulp of the
 *    correctly rounded result, the cpu ≈ 0.5 ulp);
 *  - within n·2⁻²⁴·Σ|x| for float32 sums (wasm accumulates float32 lanes).
 * Shapes use sizes 0–17 and the primes 37, 101, 257 so every SIMD tail length and
 * empty tensors occur; values include subnormals, ±0, ±Inf, NaN and extreme magnitudes.
 * Divergences found while writing this file are the cases at the end: fixed ones kept as regressions, each
 * one reported.
 */

// ---------- running on both backends ----------

/** Runs `fn` with `name` as the active backend, restoring the previous one afterwards. */
function on<T>(name: string, fn: () => T): T {
  const previous = getBackend().name;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

interface Pair {
  cpu: Tensor;
  wasm: Tensor;
}

/** The same computation on both backends. */
function both(fn: () => Tensor): Pair {
  return { cpu: on('cpu', fn), wasm: on('wasm', fn) };
}

/** Asserts the wasm result really ran on wasm (not a silent fallback) when wasm supports it. */
function expectOnWasm(t: Tensor, what: string): void {
  expect(t.device, `${what}: device`).toBe('wasm');
}

// ---------- comparisons ----------

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
/** A float32's position on the number line in ulps (±0 both map to 0). */
function ulpKey(x: number): number {
  F32[0] = x;
  const i = I32[0]!;
  return i < 0 ? -0x80000000 - i : i;
}

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

function fail(what: string, i: number, got: number, want: number, extra = ''): never {
  throw new Error(`${what}: element ${i}: wasm ${show(got)}, cpu ${show(want)}${extra}`);
}

/** Same shape, same dtype, every element bit-identical (NaN ≡ NaN, -0 ≢ +0). */
function expectExact(p: Pair, what: string): void {
  expect(p.wasm.shape, `${what}: shape`).toEqual(p.cpu.shape);
  expect(p.wasm.dtype, `${what}: dtype`).toBe(p.cpu.dtype);
  const w = p.wasm.dataSync();
  const c = p.cpu.dataSync();
  expect(w.length, `${what}: length`).toBe(c.length);
  for (let i = 0; i < c.length; i++) {
    const a = w[i]!, b = c[i]!;
    if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) fail(what, i, a, b);
  }
}

/** Float32 results within `ulps` of each other; NaN and infinities must coincide. */
function expectUlps(p: Pair, ulps: number, what: string): void {
  expect(p.wasm.shape, `${what}: shape`).toEqual(p.cpu.shape);
  expect(p.wasm.dtype, `${what}: dtype`).toBe(p.cpu.dtype);
  const w = p.wasm.dataSync();
  const c = p.cpu.dataSync();
  for (let i = 0; i < c.length; i++) {
    const a = w[i]!, b = c[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (!(Number.isNaN(a) && Number.isNaN(b))) fail(what, i, a, b);
    } else if (Math.abs(ulpKey(a) - ulpKey(b)) > ulps) fail(what, i, a, b, ` (${Math.abs(ulpKey(a) - ulpKey(b))} ulps > ${ulps})`);
  }
}

/** |wasm − cpu| ≤ bound[i] elementwise; non-finite cpu values must match exactly. */
function expectWithin(p: Pair, bound: ArrayLike<number>, what: string): void {
  expect(p.wasm.shape, `${what}: shape`).toEqual(p.cpu.shape);
  const w = p.wasm.dataSync();
  const c = p.cpu.dataSync();
  for (let i = 0; i < c.length; i++) {
    const a = w[i]!, b = c[i]!;
    if (!Number.isFinite(b)) {
      if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) fail(what, i, a, b);
    } else if (!(Math.abs(a - b) <= bound[i]!)) fail(what, i, a, b, ` (|err| ${Math.abs(a - b)} > ${bound[i]})`);
  }
}

// ---------- inputs ----------

/** Sizes 0–17 (every SIMD tail, empty) and a few primes. */
const arbSize = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 17 }), weight: 8 }, { arbitrary: fc.constantFrom(37, 101, 257), weight: 2 });
const arbShape = (maxRank = 3, maxNumel = 3000) =>
  fc.array(arbSize, { maxLength: maxRank }).filter((s) => numel(s) <= maxNumel);

type Layout = 'contiguous' | 'transposed' | 'permuted' | 'stepped' | 'expanded';
const arbLayout = fc.constantFrom<Layout>('contiguous', 'transposed', 'permuted', 'stepped', 'expanded');

/** How values are drawn. */
type Kind =
  | 'any' // every float32: specials, extremes, subnormals
  | 'sum' // finite |x| ≤ 1e30 plus ±Inf/NaN (no float32 overflow inside a sum)
  | 'finite' // finite, |x| ≤ 1e4 (matmul, gradients, fused chains)
  | 'castable' // finite with |x| < 2^31 (float → int32 is defined on both)
  | 'int' // full int32 range
  | 'int24' // |x| ≤ 2^24: exact in float32, products of two exact in float64
  | 'bool';

const FLOAT_SPECIALS = [
  0, -0, 1e-40, -1e-40, 1.4e-45, -1.4e-45, 1.1754944e-38, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 1e30, -1e30,
  1e-30, 1, -1, 0.5, -0.5, 2, 88.72, -87.33, -103.97, 89, 1e-7, 3.1415927, 1e4, -1e4, 16777217,
];
const INT_SPECIALS = [0, 1, -1, 2, -2, 2147483647, -2147483648, 16777216, -16777216, 46340, 7, -7];

function genValues(n: number, seed: number, kind: Kind): Float64Array {
  const r = mulberry32(seed);
  const out = new Float64Array(n);
  const maxAbs = kind === 'sum' ? 1e30 : kind === 'finite' ? 1e4 : kind === 'castable' ? 2 ** 31 - 129 : kind === 'int24' ? 2 ** 24 : Infinity;
  for (let i = 0; i < n; i++) {
    const u = r();
    if (kind === 'bool') {
      out[i] = u < 0.5 ? 1 : 0;
    } else if (kind === 'int' || kind === 'int24') {
      const pool = INT_SPECIALS.filter((v) => Math.abs(v) <= maxAbs);
      if (u < 0.2) out[i] = pool[Math.floor(r() * pool.length)]!;
      else if (u < 0.5) out[i] = Math.floor((r() * 2 - 1) * Math.min(maxAbs, 2 ** 31 - 1));
      else out[i] = Math.floor(r() * 201) - 100;
    } else {
      const allowNonFinite = kind === 'any' || kind === 'sum';
      const pool = FLOAT_SPECIALS.filter((v) => Number.isNaN(v) ? allowNonFinite : !Number.isFinite(v) ? allowNonFinite : Math.abs(v) <= maxAbs);
      if (u < 0.15) out[i] = pool[Math.floor(r() * pool.length)]!;
      else if (u < 0.45) {
        // Wide magnitudes: sign · 2^e · (1 + f), e up to the kind's bound.
        const top = Number.isFinite(maxAbs) ? Math.log2(maxAbs) - 1 : 127;
        const e = -140 + r() * (top + 140);
        out[i] = (r() < 0.5 ? -1 : 1) * 2 ** e * (1 + r());
      } else out[i] = Math.round((r() * 2 - 1) * 8 * 64) / 64; // moderate, some exact ties
    }
  }
  return out;
}

const DEFAULT_KIND: Record<DType, Kind> = { float32: 'any', int32: 'int', bool: 'bool', float64: 'any' };

interface InputSpec {
  shape: number[];
  layout: Layout;
  pick: number;
  seed: number;
}
const arbInput = (maxRank = 3, maxNumel = 3000) =>
  fc.record({ shape: arbShape(maxRank, maxNumel), layout: arbLayout, pick: fc.nat(), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }) });

/** The layout actually used for a rank (falls back to contiguous when it needs more dims). */
function layoutFor(s: InputSpec): Layout {
  const nd = s.shape.length;
  if (s.layout === 'transposed' && nd < 2) return 'contiguous';
  if (s.layout === 'permuted' && nd < 3) return 'contiguous';
  if ((s.layout === 'stepped' || s.layout === 'expanded') && nd < 1) return 'contiguous';
  return s.layout;
}

/** Builds the input on the active backend; logical shape `s.shape`, values from `s.seed`. */
function build(s: InputSpec, dtype: DType, kind: Kind = DEFAULT_KIND[dtype]): Tensor {
  const S = s.shape;
  const nd = S.length;
  const ref: Ref = { shape: [...S], data: genValues(numel(S), s.seed, kind) };
  switch (layoutFor(s)) {
    case 'contiguous':
      return make(ref, dtype);
    case 'transposed': {
      const q = S.map((_, i) => i);
      [q[nd - 2], q[nd - 1]] = [q[nd - 1]!, q[nd - 2]!];
      return permutedView(ref, q, dtype);
    }
    case 'permuted':
      return permutedView(ref, S.map((_, i) => nd - 1 - i), dtype);
    case 'stepped':
      return steppedView(ref, s.pick % nd, dtype);
    case 'expanded': {
      // One row of values repeated along dim 0 (stride 0).
      const inner = S.slice(1);
      return make({ shape: [1, ...inner], data: genValues(numel(inner), s.seed, kind) }, dtype).expand(S);
    }
  }
}

/** A shape `out` broadcasts from: some leading dims dropped, some dims set to 1 (per `mask`). */
function broadcastFrom(out: readonly number[], drop: number, mask: number): number[] {
  return out.slice(Math.min(drop, out.length)).map((d, i) => ((mask >> i) & 1 ? 1 : d));
}

const describeSpec = (s: InputSpec, dtype: DType) => `${dtype} [${s.shape.join(',')}] ${layoutFor(s)} seed ${s.seed}`;

const RUNS = { numRuns: 25 };

// ---------- elementwise ----------

const UNARY = ['neg', 'abs', 'sign', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'square', 'reciprocal'] as const;
type UnaryName = (typeof UNARY)[number];
/** Correctly rounded on both backends (or exact): must be bit-identical. */
const UNARY_EXACT: ReadonlySet<UnaryName> = new Set(['neg', 'abs', 'sign', 'sqrt', 'relu', 'square', 'reciprocal']);
/** wasm ≤ 2 ulp of correctly rounded, cpu ≈ 0.5 ulp (float64 then rounded); rsqrt rounds twice on wasm. */
const TRANSCENDENTAL_ULPS = 4;

const applyUnary = (x: Tensor, op: UnaryName): Tensor => x[op]();

describe('unary ops: wasm matches cpu', () => {
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    it(`every unary op on ${dtype} (views, 0-d, empty, SIMD tails)`, () => {
      fc.assert(fc.property(arbInput(), (s) => {
        // Float-valued ops of ints convert first on wasm, exactly in float64 on cpu: stay
        // within 2^24 where both are the same number (the divergence is its own case below).
        const kind: Kind = dtype === 'int32' ? 'int24' : DEFAULT_KIND[dtype];
        const x = both(() => build(s, dtype, kind));
        for (const op of UNARY) {
          const what = `${op} ${describeSpec(s, dtype)}`;
          const y: Pair = { cpu: applyUnary(x.cpu, op), wasm: applyUnary(x.wasm, op) };
          expectOnWasm(y.wasm, what);
          if (y.cpu.dtype !== 'float32' || UNARY_EXACT.has(op)) expectExact(y, what);
          else expectUlps(y, TRANSCENDENTAL_ULPS, what);
        }
      }), RUNS);
    });
  }

  it('int32 extremes for the int-valued ops (neg/abs/sign/relu wrap exactly like the reference)', () => {
    fc.assert(fc.property(arbInput(2, 600), (s) => {
      const x = both(() => build(s, 'int32', 'int'));
      for (const op of ['neg', 'abs', 'sign', 'relu'] as const) {
        expectExact({ cpu: x.cpu[op](), wasm: x.wasm[op]() }, `${op} ${describeSpec(s, 'int32')}`);
      }
    }), { numRuns: 15 });
  });
});

const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

const arbBinary = fc.record({
  a: arbInput(3, 2000),
  dropB: fc.integer({ min: 0, max: 3 }),
  maskB: fc.nat({ max: 7 }),
  maskA: fc.nat({ max: 7 }),
  seedB: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  transposeB: fc.boolean(),
});

describe('binary ops: wasm matches cpu, with NumPy broadcasting', () => {
  const pairs: [DType, DType][] = [
    ['float32', 'float32'], ['int32', 'int32'], ['bool', 'bool'], ['int32', 'float32'], ['bool', 'float32'], ['bool', 'int32'],
  ];
  for (const [da, db] of pairs) {
    it(`every binary op on ${da} × ${db}`, () => {
      fc.assert(fc.property(arbBinary, (c) => {
        const out = c.a.shape;
        // a: maybe itself broadcast (dims set to 1 then expanded by the op); b: fewer dims / ones.
        const aSpec: InputSpec = c.maskA % 3 === 0 ? { ...c.a, shape: out.map((d, i) => ((c.maskA >> i) & 1 ? 1 : d)) } : c.a;
        const bShape = broadcastFrom(out, c.dropB, c.maskB);
        const bSpec: InputSpec = { shape: bShape, layout: c.transposeB ? 'transposed' : 'contiguous', pick: 0, seed: c.seedB };
        // Ints within 2^24: exact in float32 (mixed dtypes compute in float32) and their
        // products exact in float64 (the cpu's int32 mul); both limits are reported cases below.
        const kindOf = (d: DType): Kind => (d === 'int32' ? 'int24' : DEFAULT_KIND[d]);
        const a = both(() => build(aSpec, da, kindOf(da)));
        const b = both(() => build(bSpec, db, kindOf(db)));
        for (const op of BINARY) {
          const what = `${op} a=${describeSpec(aSpec, da)} b=${describeSpec(bSpec, db)}`;
          const y: Pair = { cpu: a.cpu[op](b.cpu), wasm: a.wasm[op](b.wasm) };
          const outDtype = y.cpu.dtype;
          if (wasm.supports(op, [da, db, outDtype])) expectOnWasm(y.wasm, what);
          if (op === 'pow' && outDtype === 'float32') expectUlps(y, TRANSCENDENTAL_ULPS, what);
          else expectExact(y, what);
        }
      }), RUNS);
    });
  }

  it('int32 add/sub/maximum/minimum/comparisons over the full int32 range (wrap-around included)', () => {
    fc.assert(fc.property(arbBinary, (c) => {
      const a = both(() => build(c.a, 'int32', 'int'));
      const bSpec: InputSpec = { shape: broadcastFrom(c.a.shape, c.dropB, c.maskB), layout: 'contiguous', pick: 0, seed: c.seedB };
      const b = both(() => build(bSpec, 'int32', 'int'));
      for (const op of ['add', 'sub', 'maximum', 'minimum', 'eq', 'lt', 'ge'] as const) {
        expectExact({ cpu: a.cpu[op](b.cpu), wasm: a.wasm[op](b.wasm) }, `${op} ${describeSpec(c.a, 'int32')}`);
      }
    }), { numRuns: 15 });
  });

  it('scalar operands (weak-typed constants) and 0-d tensors', () => {
    fc.assert(fc.property(arbInput(2, 600), fc.constantFrom(0, 1, -1, 0.5, 3, -2.25, 1e-40, Infinity, NaN, 1e30), (s, k) => {
      const x = both(() => build(s, 'float32'));
      const zero = both(() => tensor(k, { dtype: 'float32' }));
      for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'lt', 'eq'] as const) {
        const what = `${op} ${k} ${describeSpec(s, 'float32')}`;
        expectExact({ cpu: x.cpu[op](k), wasm: x.wasm[op](k) }, `${what} (scalar)`);
        expectExact({ cpu: x.cpu[op](zero.cpu), wasm: x.wasm[op](zero.wasm) }, `${what} (0-d)`);
      }
      const xi = both(() => build(s, 'int32', 'int24'));
      for (const op of ['add', 'mul', 'div', 'gt'] as const) {
        expectExact({ cpu: xi.cpu[op](3), wasm: xi.wasm[op](3) }, `${op} int32 3`);
        expectExact({ cpu: xi.cpu[op](0.5), wasm: xi.wasm[op](0.5) }, `${op} int32 0.5`);
      }
    }), { numRuns: 15 });
  });
});

describe('where and casts', () => {
  it('where(cond, a, b) with broadcasting, over float32 / int32 / bool values', () => {
    fc.assert(fc.property(arbBinary, fc.constantFrom<DType>('float32', 'int32', 'bool'), (c, dtype) => {
      const cond = both(() => build(c.a, 'bool'));
      const aSpec: InputSpec = { shape: broadcastFrom(c.a.shape, c.dropB, c.maskB), layout: 'contiguous', pick: 0, seed: c.seedB };
      const bSpec: InputSpec = { shape: broadcastFrom(c.a.shape, 0, c.maskA), layout: c.transposeB ? 'transposed' : 'contiguous', pick: 0, seed: c.seedB + 1 };
      const a = both(() => build(aSpec, dtype));
      const b = both(() => build(bSpec, dtype));
      const y: Pair = { cpu: where(cond.cpu, a.cpu, b.cpu), wasm: where(cond.wasm, a.wasm, b.wasm) };
      expectOnWasm(y.wasm, 'where');
      expectExact(y, `where ${describeSpec(c.a, 'bool')} ${dtype}`);
      // A scalar branch.
      expectExact({ cpu: where(cond.cpu, a.cpu, 0), wasm: where(cond.wasm, a.wasm, 0) }, 'where scalar b');
    }), RUNS);
  });

  it('.to() between float32, int32 and bool, both ways, on views', () => {
    const dtypes: DType[] = ['float32', 'int32', 'bool'];
    fc.assert(fc.property(arbInput(), (s) => {
      for (const from of dtypes) {
        // float32 → int32 of ±Inf or |x| ≥ 2^31 diverges (its own failing case below).
        const x = both(() => build(s, from, from === 'float32' ? 'castable' : DEFAULT_KIND[from]));
        for (const to of dtypes) {
          const what = `${from}→${to} ${describeSpec(s, from)}`;
          const y: Pair = { cpu: x.cpu.to(to), wasm: x.wasm.to(to) };
          expectOnWasm(y.wasm, what);
          expectExact(y, what);
        }
      }
      // NaN → int32 and NaN → bool are defined on both: 0 and true.
      const nan = both(() => build(s, 'float32', 'any'));
      expectExact({ cpu: nan.cpu.to('bool'), wasm: nan.wasm.to('bool') }, `any float32 → bool ${describeSpec(s, 'float32')}`);
    }), RUNS);
  });
});

// ---------- reductions ----------

const arbReduce = fc.record({ x: arbInput(3, 3000), dims: fc.nat({ max: 7 }), all: fc.boolean(), keepdim: fc.boolean() });

/** The dims a bit mask selects (undefined: all dims). */
function dimsOf(rank: number, mask: number, all: boolean): number[] | undefined {
  if (all || rank === 0) return undefined;
  const d = [...Array(rank).keys()].filter((i) => (mask >> i) & 1);
  return d.length > 0 ? d : [mask % rank];
}

/** Elements summed into each output: n for the error bound. */
function reducedCount(shape: readonly number[], dims: number[] | undefined): number {
  return dims === undefined ? numel(shape) : numel(dims.map((d) => shape[d]!));
}

/** Sum bound n·2⁻²⁴·Σ|x| + 2⁻²³·|sum| (the last: both results rounded to float32), Σ|x| from the cpu. */
function sumBound(xCpu: Tensor, dims: number[] | undefined, keepdim: boolean, n: number): Float64Array {
  const absSum = xCpu.abs().sum(dims, keepdim).dataSync();
  const s = xCpu.sum(dims, keepdim).dataSync();
  return Float64Array.from(absSum, (v, i) => 1.01 * n * 2 ** -24 * v + 2 ** -23 * Math.abs(s[i]!));
}

/** Checks one reduction on a pair of inputs; max/min/argmax/argmin over an empty dim must throw on both. */
function checkReduction(op: 'sum' | 'max' | 'min' | 'argmax' | 'argmin' | 'logSumExp', x: Pair, dims: number[] | undefined, keepdim: boolean, what: string): void {
  const n = reducedCount(x.cpu.shape, dims);
  const run = (t: Tensor): Tensor => {
    if (op === 'argmax' || op === 'argmin') return t[op](dims?.[0], keepdim);
    return t[op](dims, keepdim);
  };
  if (op !== 'sum' && op !== 'logSumExp' && n === 0) {
    expect(() => run(x.cpu), what).toThrow(ValueError);
    expect(() => run(x.wasm), what).toThrow(ValueError);
    return;
  }
  const y: Pair = { cpu: run(x.cpu), wasm: run(x.wasm) };
  expectOnWasm(y.wasm, what);
  if (op === 'sum' && x.cpu.dtype === 'float32') {
    expectWithin(y, sumBound(x.cpu, dims, keepdim, n), what);
  } else if (op === 'logSumExp' && n === 0) {
    expectExact(y, what); // −Inf on both
  } else if (op === 'logSumExp') {
    // Σ exp(x − m) in float32 lanes: ≤ ~2n·2⁻²⁴ absolute in the log, plus a few ulps of |result| and |m|.
    const m = x.cpu.max(dims, keepdim).dataSync();
    const c = y.cpu.dataSync();
    expectWithin(y, Float64Array.from(c, (v, i) => 4 * (n + 4) * 2 ** -24 + 8 * 2 ** -24 * (Math.abs(v) + Math.abs(m[i]!))), what);
  } else if (op === 'max' || op === 'min') {
    // Value-equal (±0 compare equal: which zero a max of {−0, +0} returns differs, reported below).
    const w = y.wasm.dataSync();
    const c = y.cpu.dataSync();
    expect(y.wasm.shape, `${what}: shape`).toEqual(y.cpu.shape);
    for (let i = 0; i < c.length; i++) {
      if (!(w[i] === c[i] || (Number.isNaN(w[i]!) && Number.isNaN(c[i]!)))) fail(what, i, w[i]!, c[i]!);
    }
  } else {
    expectExact(y, what);
  }
}

describe('reductions: wasm matches cpu', () => {
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    it(`sum max min argmax argmin${dtype === 'float32' ? ' logSumExp' : ''} of ${dtype}: one dim, several, all; keepdim; views`, () => {
      fc.assert(fc.property(arbReduce, (c) => {
        const x = both(() => build(c.x, dtype, dtype === 'float32' ? 'sum' : DEFAULT_KIND[dtype]));
        const dims = dimsOf(c.x.shape.length, c.dims, c.all);
        const ops = ['sum', 'max', 'min', 'argmax', 'argmin', ...(dtype === 'float32' ? ['logSumExp' as const] : [])] as const;
        for (const op of ops) {
          // argmax/argmin take one dim (or none).
          const d = op === 'argmax' || op === 'argmin' ? (dims ? [dims[0]!] : undefined) : dims;
          checkReduction(op, x, d, c.keepdim, `${op}(${d ? `[${d}]` : 'all'}, keepdim ${c.keepdim}) ${describeSpec(c.x, dtype)}`);
        }
      }), RUNS);
    });
  }

  it('column order: reducing a non-innermost dim of a contiguous tensor (kept inner dim ≥ 4), and the innermost dim', () => {
    const arb = fc.record({
      outer: fc.constantFrom(1, 2, 3),
      rows: arbSize,
      cols: fc.oneof(fc.integer({ min: 4, max: 17 }), fc.constantFrom(37, 101, 257)),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      dtype: fc.constantFrom<DType>('float32', 'int32', 'bool'),
    });
    fc.assert(fc.property(arb, (c) => {
      const shape = [c.outer, c.rows, c.cols];
      const s: InputSpec = { shape, layout: 'contiguous', pick: 0, seed: c.seed };
      const x = both(() => build(s, c.dtype, c.dtype === 'float32' ? 'sum' : DEFAULT_KIND[c.dtype]));
      for (const op of ['sum', 'max', 'min'] as const) {
        checkReduction(op, x, [1], false, `${op} over dim 1 ${describeSpec(s, c.dtype)}`);
        checkReduction(op, x, [0, 1], true, `${op} over dims 0,1 ${describeSpec(s, c.dtype)}`);
        checkReduction(op, x, [2], false, `${op} over dim 2 ${describeSpec(s, c.dtype)}`);
      }
      if (c.dtype === 'float32') {
        // A fused chain as the column reduction's input (operands of the full shape).
        const y = both(() => build({ ...s, seed: c.seed + 1 }, 'float32', 'sum'));
        const f: Pair = { cpu: x.cpu.mul(0.5).add(y.cpu).abs(), wasm: x.wasm.mul(0.5).add(y.wasm).abs() };
        checkReduction('sum', f, [1], false, `sum over dim 1 of |x/2 + y| ${describeSpec(s, 'float32')}`);
        checkReduction('max', f, [0, 1], false, `max over dims 0,1 of |x/2 + y| ${describeSpec(s, 'float32')}`);
      }
    }), { numRuns: 30 });
  });
});

// ---------- fusion: chains of elementwise ops feeding a consumer ----------

/** Elementwise steps that are exact on both backends (so a chain must be bit-identical). */
const CHAIN_STEPS: ((t: Tensor, y: Tensor) => Tensor)[] = [
  (t) => t.neg(), (t) => t.abs(), (t) => t.mul(3), (t) => t.add(0.75), (t, y) => t.sub(y), (t, y) => t.mul(y),
  (t, y) => t.maximum(y), (t, y) => t.minimum(y), (t) => t.square(), (t) => t.relu(), (t, y) => t.div(y.abs().add(1)),
  (t) => t.sign(), (t, y) => where(t.lt(y), t, y), (t) => t.sqrt(),
];

describe('fused elementwise chains', () => {
  it('random exact chains (broadcast operand, views of recorded results) match bit for bit', () => {
    const arb = fc.record({
      x: arbInput(3, 2000),
      steps: fc.array(fc.nat({ max: CHAIN_STEPS.length - 1 }), { minLength: 2, maxLength: 30 }),
      seedY: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      maskY: fc.nat({ max: 7 }),
      viewAt: fc.nat({ max: 31 }),
    });
    fc.assert(fc.property(arb, (c) => {
      const ySpec: InputSpec = { shape: broadcastFrom(c.x.shape, 0, c.maskY), layout: 'contiguous', pick: 0, seed: c.seedY };
      const run = () => {
        let t = build(c.x, 'float32', 'any');
        const y = build(ySpec, 'float32', 'any');
        c.steps.forEach((k, i) => {
          t = CHAIN_STEPS[k]!(t, y);
          // Read a recorded result through a view once: permuted (composed) or stepped (materialized).
          if (i === c.viewAt && t.ndim >= 2) t = t.transpose(0, 1).neg().transpose(0, 1);
          else if (i === c.viewAt && t.ndim === 1) t = cat([t.slice(0, 0, undefined, 2), t.slice(0, 1, undefined, 2)]);
        });
        return t;
      };
      const p = both(run);
      expectOnWasm(p.wasm, 'chain');
      expectExact(p, `chain [${c.steps.join(',')}] ${describeSpec(c.x, 'float32')}`);
    }), { numRuns: 40 });
  });

  it('x.sub(x.max(1, true)).exp().sum(1) and the softmax pattern, on rows of every length', () => {
    const arb = fc.record({ rows: fc.integer({ min: 1, max: 9 }), cols: arbSize.filter((n) => n > 0), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }), transposed: fc.boolean() });
    fc.assert(fc.property(arb, (c) => {
      const s: InputSpec = { shape: [c.rows, c.cols], layout: c.transposed ? 'transposed' : 'contiguous', pick: 0, seed: c.seed };
      const x = both(() => build(s, 'float32', 'finite'));
      const e: Pair = { cpu: x.cpu.sub(x.cpu.max(1, true)).exp(), wasm: x.wasm.sub(x.wasm.max(1, true)).exp() };
      const sums: Pair = { cpu: e.cpu.sum(1), wasm: e.wasm.sum(1) };
      // Terms within 4 ulps (exp) then summed: (4·2⁻²³ + n·2⁻²⁴)·Σ terms.
      const bound = Float64Array.from(sums.cpu.dataSync(), (v) => 1.01 * (4 * 2 ** -23 + c.cols * 2 ** -24) * Math.abs(v) + 2 ** -126);
      expectWithin(sums, bound, `exp-sum ${describeSpec(s, 'float32')}`);
      const sm: Pair = { cpu: x.cpu.softmax(1), wasm: x.wasm.softmax(1) };
      expectWithin(sm, Float64Array.from(sm.cpu.dataSync(), (v) => 8 * c.cols * 2 ** -24 * (Math.abs(v) + 2 ** -24)), 'softmax');
    }), { numRuns: 30 });
  });

  it('a chain longer than the fusion limit (materialized part-way) still matches', () => {
    const s: InputSpec = { shape: [5, 37], layout: 'transposed', pick: 0, seed: 99 };
    const p = both(() => {
      let t = build(s, 'float32', 'finite');
      for (let i = 0; i < 40; i++) t = i % 3 === 0 ? t.mul(1.5) : i % 3 === 1 ? t.add(-0.25) : t.neg();
      return t.sum(0);
    });
    expectWithin(p, Float64Array.from(p.cpu.dataSync(), (v) => 5 * 2 ** -22 * (Math.abs(v) + 1e4)), 'long chain');
  });
});

// ---------- matmul ----------

describe('matmul', () => {
  it('float32 2-d, batched, broadcast batch, transposed operands', () => {
    const arb = fc.record({
      M: arbSize, K: arbSize, N: arbSize, batch: fc.constantFrom(0, 1, 2, 3),
      broadcastB: fc.boolean(), transA: fc.boolean(), transB: fc.boolean(), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    }).filter((c) => c.M * c.K + c.K * c.N + c.M * c.N <= 20000);
    fc.assert(fc.property(arb, (c) => {
      const lead = c.batch === 0 ? [] : [c.batch];
      const aSpec: InputSpec = { shape: [...lead, c.M, c.K], layout: c.transA ? 'transposed' : 'contiguous', pick: 0, seed: c.seed };
      const bSpec: InputSpec = { shape: [...(c.broadcastB ? [] : lead), c.K, c.N], layout: c.transB ? 'transposed' : 'contiguous', pick: 0, seed: c.seed + 1 };
      const a = both(() => build(aSpec, 'float32', 'finite'));
      const b = both(() => build(bSpec, 'float32', 'finite'));
      const y: Pair = { cpu: a.cpu.matmul(b.cpu), wasm: a.wasm.matmul(b.wasm) };
      const what = `matmul a=${describeSpec(aSpec, 'float32')} b=${describeSpec(bSpec, 'float32')}`;
      if (y.cpu.numel > 0) expectOnWasm(y.wasm, what);
      // Dot products of K terms: |err| ≤ 2K·2⁻²⁴·(|A||B|)ij (float32 accumulation, FMA or not).
      const scale = a.cpu.abs().matmul(b.cpu.abs()).dataSync();
      expectWithin(y, Float64Array.from(scale, (v) => 1.01 * 2 * Math.max(1, c.K) * 2 ** -24 * v), what);
    }), RUNS);
  });
});

// ---------- indexing, copies, concatenation ----------

describe('gather, scatterAdd, contiguous, cat, stack', () => {
  it('gather and scatterAdd along each dim, on views, for every dtype', () => {
    const arb = fc.record({ x: arbInput(3, 1500), dim: fc.nat(), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }), dtype: fc.constantFrom<DType>('float32', 'int32', 'bool') });
    fc.assert(fc.property(arb, (c) => {
      const S = c.x.shape;
      if (S.length === 0) return;
      const d = c.dim % S.length;
      if (S[d] === 0) return;
      const r = mulberry32(c.seed);
      // Index shape: ≤ S in every dim but `d`, where it may be longer (repeats).
      const iShape = S.map((n, i) => (i === d ? Math.floor(r() * 2 * n) : Math.floor(r() * (n + 1))));
      const idx = Int32Array.from({ length: numel(iShape) }, () => Math.floor(r() * S[d]!));
      const x = both(() => build(c.x, c.dtype, c.dtype === 'float32' ? 'finite' : c.dtype === 'int32' ? 'int24' : 'bool'));
      const index = both(() => tensor(idx, { shape: iShape, dtype: 'int32' }));
      const what = `dim ${d} index [${iShape}] ${describeSpec(c.x, c.dtype)}`;
      const g: Pair = { cpu: x.cpu.gather(d, index.cpu), wasm: x.wasm.gather(d, index.wasm) };
      expectExact(g, `gather ${what}`);
      // scatterAdd into a contiguous base of x's shape; src the gathered values (duplicate targets add up in order).
      const sa: Pair = { cpu: x.cpu.contiguous().scatterAdd(d, index.cpu, g.cpu), wasm: x.wasm.contiguous().scatterAdd(d, index.wasm, g.wasm) };
      if (sa.cpu.numel > 0) expectOnWasm(sa.wasm, what);
      expectExact(sa, `scatterAdd ${what}`);
    }), RUNS);
  });

  it('gather from a recorded (lazy) expression: evaluated at the gathered elements only, same values', () => {
    const arb = fc.record({ x: arbInput(3, 1500), dim: fc.nat(), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }), full: fc.boolean() });
    fc.assert(fc.property(arb, (c) => {
      const S = c.x.shape;
      if (S.length === 0) return;
      const d = c.dim % S.length;
      if (S[d] === 0) return;
      const r = mulberry32(c.seed);
      // Index as large as x in the other dims (the fused path) or smaller (computed into memory first).
      const iShape = S.map((n, i) => (i === d ? Math.floor(r() * 2 * n) : c.full ? n : Math.floor(r() * (n + 1))));
      const idx = Int32Array.from({ length: numel(iShape) }, () => Math.floor(r() * S[d]!));
      const x = both(() => build(c.x, 'float32', 'finite'));
      const y = both(() => build({ ...c.x, layout: 'contiguous', seed: c.seed + 1 }, 'float32', 'finite'));
      const index = both(() => tensor(idx, { shape: iShape, dtype: 'int32' }));
      // A chain with a broadcast operand (a per-dim-d max, like logSoftmax's) and a view (transpose back and forth).
      const lazy = (t: Tensor, u: Tensor) => t.mul(0.5).sub(u.max(d, true)).add(u).abs();
      const g: Pair = { cpu: lazy(x.cpu, y.cpu).gather(d, index.cpu), wasm: lazy(x.wasm, y.wasm).gather(d, index.wasm) };
      if (g.cpu.numel > 0) expectOnWasm(g.wasm, 'gather of a lazy chain');
      expectExact(g, `gather of a lazy chain, dim ${d} index [${iShape}] ${describeSpec(c.x, 'float32')}`);
    }), RUNS);
  });

  it('a gather along a dim of extent 1 and the same chain without a gather get different kernels (regression)', () => {
    // The gathered leaf's stride along that dim is 0; the gather's kernel was once keyed
    // like the plain chain's although it takes one more operand (the index), so whichever
    // ran second called the other's kernel with the wrong arguments (garbage or NaN).
    const lazy = (t: Tensor, u: Tensor) => t.mul(0.5).sub(u.max(0, true)).add(u).abs();
    for (const order of ['plain first', 'gather first'] as const) {
      for (const shape of [[1, 11], [1, 2], [1, 3, 5]]) {
        wasm.clearKernelCache();
        const seed = shape.length * 7 + shape[1]!;
        const x = both(() => build({ shape, layout: 'contiguous', pick: 0, seed }, 'float32', 'finite'));
        const y = both(() => build({ shape, layout: 'contiguous', pick: 0, seed: seed + 1 }, 'float32', 'finite'));
        const index = both(() => tensor(new Int32Array(numel(shape)), { shape, dtype: 'int32' }));
        const plain = (): Pair => ({ cpu: lazy(x.cpu, y.cpu), wasm: lazy(x.wasm, y.wasm) });
        const gathered = (): Pair => ({ cpu: lazy(x.cpu, y.cpu).gather(0, index.cpu), wasm: lazy(x.wasm, y.wasm).gather(0, index.wasm) });
        const runs = order === 'plain first' ? [plain, gathered] : [gathered, plain];
        for (const run of runs) expectExact(run(), `${order}, [${shape}]`);
      }
    }
  });

  it('contiguous() of every view layout, every dtype', () => {
    fc.assert(fc.property(arbInput(), fc.constantFrom<DType>('float32', 'int32', 'bool'), (s, dtype) => {
      const x = both(() => build(s, dtype));
      const y: Pair = { cpu: x.cpu.contiguous(), wasm: x.wasm.contiguous() };
      expect(y.wasm.isContiguous()).toBe(true);
      expectExact(y, `contiguous ${describeSpec(s, dtype)}`);
      // A slice of a slice (offset + step) copied out.
      if (s.shape.length > 0 && s.shape[0]! > 2) {
        const z: Pair = { cpu: x.cpu.slice(0, 1, undefined, 2).contiguous(), wasm: x.wasm.slice(0, 1, undefined, 2).contiguous() };
        expectExact(z, `slice(0, 1, :, 2) ${describeSpec(s, dtype)}`);
      }
    }), RUNS);
  });

  it('cat and stack of views with mixed dtypes (promotion), along each dim', () => {
    fc.assert(fc.property(arbInput(3, 1000), fc.nat(), fc.integer({ min: 0, max: 5 }), (s, dimPick, extra) => {
      const nd = s.shape.length;
      if (nd === 0) return;
      const d = dimPick % nd;
      const other = s.shape.map((n, i) => (i === d ? extra : n));
      const parts = () => [
        build(s, 'float32'),
        build({ shape: other, layout: 'contiguous', pick: 0, seed: s.seed + 1 }, 'int32', 'int24'),
        build({ ...s, seed: s.seed + 2, layout: 'expanded' }, 'bool'),
      ];
      const c = both(() => cat(parts(), d));
      expectOnWasm(c.wasm, 'cat');
      expectExact(c, `cat dim ${d} ${describeSpec(s, 'float32')}`);
      const st = both(() => stack([build(s, 'int32'), build({ ...s, seed: s.seed + 3 }, 'int32')], d));
      expectExact(st, `stack dim ${d} ${describeSpec(s, 'int32')}`);
    }), RUNS);
  });

  it('slice, cat and stack backward (embedSlice and the slicing of gradients) match bit for bit', () => {
    fc.assert(fc.property(arbInput(3, 1000), fc.nat(), fc.integer({ min: 1, max: 3 }), (s, dimPick, step) => {
      const nd = s.shape.length;
      if (nd === 0) return;
      const d = dimPick % nd;
      const grads = (): Tensor[] => {
        const x = build({ ...s, layout: 'contiguous' }, 'float32', 'finite').requiresGrad_();
        const y = build({ ...s, seed: s.seed + 1, layout: 'contiguous' }, 'float32', 'finite').requiresGrad_();
        const sl = x.slice(d, 1, undefined, step);
        const w = build({ shape: [...sl.shape], layout: 'contiguous', pick: 0, seed: s.seed + 2 }, 'float32', 'finite');
        const loss = sl.mul(w).sum().add(cat([x, y], d).mul(cat([y, x], d)).sum()).add(stack([x, y], d).square().sum());
        loss.backward();
        return [x.grad!, y.grad!];
      };
      const g = { cpu: on('cpu', grads), wasm: on('wasm', grads) };
      // Products of finite values and sums of at most 3 terms: rounded identically on both.
      expectWithin({ cpu: g.cpu[0]!, wasm: g.wasm[0]! }, Float64Array.from(g.cpu[0]!.dataSync(), (v) => 4 * 2 ** -24 * (Math.abs(v) + 1)), `x.grad dim ${d} step ${step}`);
      expectExact({ cpu: g.cpu[1]!, wasm: g.wasm[1]! }, `y.grad dim ${d}`);
    }), { numRuns: 20 });
  });
});

// ---------- gradients of a small model ----------

describe('gradients', () => {
  /**
   * Gradients of w1, b1, w2, b2 of the model on both backends, each with the float64
   * magnitude of the terms its elements sum (below).
   */
  function mlpGrads(c: { batch: number; hidden: number; classes: number; seed: number }): { pairs: Pair[]; magnitudes: Float64Array[] } {
    const IN = 5;
    const r = mulberry32(c.seed);
    const rnd = (n: number, scale: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
    const xs = rnd(c.batch * IN, 2), w1s = rnd(IN * c.hidden, 0.7), b1s = rnd(c.hidden, 0.2), w2s = rnd(c.hidden * c.classes, 0.7), b2s = rnd(c.classes, 0.2);
    const ys = Int32Array.from({ length: c.batch }, () => Math.floor(r() * c.classes));
    const grads = (): Tensor[] => {
      const x = tensor(xs, { shape: [c.batch, IN] });
      const y = tensor(ys, { shape: [c.batch, 1], dtype: 'int32' });
      const ps = [
        tensor(w1s, { shape: [IN, c.hidden] }), tensor(b1s, { shape: [c.hidden] }),
        tensor(w2s, { shape: [c.hidden, c.classes] }), tensor(b2s, { shape: [c.classes] }),
      ].map((p) => p.requiresGrad_());
      const logits = x.matmul(ps[0]!).add(ps[1]!).relu().matmul(ps[2]!).add(ps[3]!);
      logits.logSoftmax(1).gather(1, y).mean().neg().backward();
      return ps.map((p) => p.grad!);
    };
    const cpu = on('cpu', grads);
    const w = on('wasm', grads);
    // The logits' gradient is (softmax − onehot) / batch: near a confident prediction
    // p ≈ 1 it cancels to a small number whose absolute error is a few float32 ulps of 1
    // (the ≤ 2-ulp exp/log of each backend), however small the result. Each gradient
    // element sums such terms times |h| (w2), 1 (b2), or |x|·|w2| through the relu (w1,
    // b1): those float64 sums bound what the cancellation can leave in it.
    const B = c.batch, H = c.hidden, C = c.classes;
    const mw1 = new Float64Array(IN * H), mb1 = new Float64Array(H), mw2 = new Float64Array(H * C), mb2 = new Float64Array(C).fill(1);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        let pre = b1s[j]!;
        for (let i = 0; i < IN; i++) pre += xs[b * IN + i]! * w1s[i * H + j]!;
        const h = Math.max(pre, 0);
        let w2row = 0;
        for (let k = 0; k < C; k++) {
          mw2[j * C + k]! += h / B;
          w2row += Math.abs(w2s[j * C + k]!);
        }
        if (pre <= 0) continue;
        mb1[j]! += w2row / B;
        for (let i = 0; i < IN; i++) mw1[i * H + j]! += (Math.abs(xs[b * IN + i]!) * w2row) / B;
      }
    }
    return { pairs: cpu.map((g, i) => ({ cpu: g, wasm: w[i]! })), magnitudes: [mw1, mb1, mw2, mb2] };
  }

  /** 1e-4 of the largest gradient, plus 16 float32 ulps of 1 per unit of cancelled magnitude. */
  function expectGradsClose(g: { pairs: Pair[]; magnitudes: Float64Array[] }, what: string): void {
    ['w1', 'b1', 'w2', 'b2'].forEach((name, i) => {
      const gc = g.pairs[i]!.cpu.dataSync();
      const scale = Math.max(...Array.from(gc, Math.abs), 1e-3);
      const m = g.magnitudes[i]!;
      expectOnWasm(g.pairs[i]!.wasm, `grad ${name}`);
      expectWithin(g.pairs[i]!, Float64Array.from(m, (v) => 1e-4 * scale + 16 * 2 ** -24 * v), `grad ${name} ${what}`);
    });
  }

  const arbModel = (classes: fc.Arbitrary<number>) =>
    fc.record({ batch: fc.integer({ min: 1, max: 17 }), hidden: fc.constantFrom(3, 8, 37), classes, seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }) });

  it('a float32 MLP (matmul + relu + logSoftmax + gather + mean), 2–3 classes: backward on wasm matches cpu', () => {
    fc.assert(fc.property(arbModel(fc.integer({ min: 2, max: 3 })), (c) => {
      expectGradsClose(mlpGrads(c), JSON.stringify(c));
    }), { numRuns: 15 });
  });

  // BUG (reported, the column-reduction bug below): with ≥ 4 classes the bias gradient
  // b2 = Σ_batch (softmax − onehot) is reduced in column order from a chain reading the
  // broadcast row log-sum-exp, and comes out wrong (e.g. batch 2, hidden 3, classes 4,
  // seed 1: b2[1] wasm 0.1252 vs cpu 0.2602).
  it('the same MLP with 4–9 classes: backward on wasm matches cpu', () => {
    fc.assert(fc.property(arbModel(fc.integer({ min: 4, max: 9 })), (c) => {
      expectGradsClose(mlpGrads(c), JSON.stringify(c));
    }), { numRuns: 15 });
  });
});

// ---------- divergences found while writing this file: fixed, kept as regressions, or documented ----------

describe('divergences found by this suite', () => {
  // Was a bug (fixed): a reduction vectorised across outputs read an operand broadcast
  // along the kept (SIMD) dim as a 4-wide vector; lane c got index r + c instead of r.
  it('x.sub(m).sum(0) with m broadcast along the kept dim (column reduction)', () => {
    const p = both(() => {
      const x = tensor(Float32Array.from({ length: 32 }, (_, i) => i), { shape: [8, 4] });
      const m = tensor(Float32Array.from({ length: 8 }, (_, i) => 100 * (i + 1)), { shape: [8, 1] });
      return x.sub(m).sum(0);
    });
    expect(Array.from(p.cpu.dataSync())).toEqual([-3488, -3480, -3472, -3464]);
    expectExact(p, 'x.sub(m).sum(0)'); // wasm: [-3488, -3380, -3172, -2864]
  });

  // Was a bug (fixed): constants were memoized by String(value), and String(-0) === '0'.
  it('a fused chain with both a -0 and a +0 constant: x.mul(-0).add(0) is +0', () => {
    const y = on('wasm', () => tensor([1, 2, 3.5], { dtype: 'float32' }).mul(-0).add(0).reciprocal());
    expect(Array.from(y.dataSync())).toEqual([Infinity, Infinity, Infinity]); // wasm: -Infinity
  });

  // Was a bug of the cpu reference (fixed): CpuBackend.full skipped the fill for -0.
  it('a scalar -0 operand keeps its sign on both backends', () => {
    const p = both(() => tensor([-0, -0, 1], { dtype: 'float32' }).add(-0));
    expectExact(p, 'x.add(-0)'); // cpu [0, 0, 1], wasm [-0, -0, 1]
  });

  // Was a divergence (resolved): out-of-range float → int32 casts saturate on both
  // backends (NaN → 0), as WebAssembly's trunc_sat does; the cpu used to wrap mod 2^32.
  it('float32 → int32 casts of ±Inf and out-of-range values agree (saturating)', () => {
    const p = both(() => tensor([Infinity, -Infinity, 3e9, -3e9, 2 ** 31, NaN, -2.5], { dtype: 'float32' }).to('int32'));
    expectExact(p, 'to(int32)');
    expect(Array.from(p.cpu.dataSync())).toEqual([2147483647, -2147483648, 2147483647, -2147483648, 2147483647, 0, -2]);
  });

  // Was a bug of the cpu reference (fixed): int32 mul rounded the float64 product above
  // 2^53 before wrapping; both now wrap exactly (Math.imul).
  it('int32 multiplication wraps exactly (Math.imul) on both backends', () => {
    const a = [2147483647, 123456789, -2147483648, 65537];
    const b = [2147483647, 987654321, 3, 65537];
    const p = both(() => tensor(a, { dtype: 'int32' }).mul(tensor(b, { dtype: 'int32' })));
    expect(Array.from(p.wasm.dataSync())).toEqual(a.map((v, i) => Math.imul(v, b[i]!)));
    expect(Array.from(p.cpu.dataSync())).toEqual(a.map((v, i) => Math.imul(v, b[i]!)));
  });

  // Was a divergence (resolved): an int32 operand of a float32 op is converted to
  // float32 first on both backends, as PyTorch does (16777217 + 0.5 → 16777216).
  it('int32 values beyond 2^24 promoted to float32 agree (add, sin, eq)', () => {
    const i = () => tensor([16777217, 2147483647], { dtype: 'int32' });
    expectExact(both(() => i().add(0.5)), 'int32 + 0.5');
    expectUlps(both(() => i().sin()), TRANSCENDENTAL_ULPS, 'sin(int32)');
    expectExact(both(() => i().eq(tensor([16777216, 2147483648], { dtype: 'float32' }))), 'int32 == float32');
  });

  // A documented difference: which zero a max/min reduction returns over {−0, +0} is
  // unspecified (PyTorch does not specify it either). cpu keeps the first of equal
  // values; wasm combines SIMD lanes with IEEE max/min. Both give a zero.
  it('max/min reductions over ±0 give a zero on both backends (its sign is unspecified)', () => {
    const p = () => tensor([[-0, 0, 0, 0, 0], [0, -0, -0, -0, -0]], { dtype: 'float32' });
    for (const r of [both(() => p().max(1)), both(() => p().min(1))]) {
      expect(Array.from(r.cpu.dataSync(), (v) => v === 0)).toEqual([true, true]);
      expect(Array.from(r.wasm.dataSync(), (v) => v === 0)).toEqual([true, true]);
    }
  });
});
