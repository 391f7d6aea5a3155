import { mulberry32 } from '@tsgrad/testing';
import { describe, expect, it } from 'vitest';
import { ModuleBuilder } from './builder.js';
import type { FunctionBuilder } from './builder.js';
import { emitMath, emitPow, type MathOp } from './math.js';
import { detectFeatures, WasmRuntime } from './runtime.js';

/*
 * Every op against the float64 JS result rounded to float32, over 10^7 float32 inputs each: half
 * spread evenly over every binade of both signs (subnormals included), half over the range where the
 * op is not trivially 0, ±1, inf or NaN, plus the special values. The bound is 2 float32 ulp; zeros
 * must have the right sign everywhere. The relaxed-SIMD path runs too where the engine has it: Node 20
 * needs --experimental-wasm-relaxed-simd, which vitest.relaxed.config.ts passes to its workers (the
 * second half of `npm test`).
 */

const TOTAL = 10_000_000;
const CHUNK = 1 << 20;
const relaxedAvailable = detectFeatures().relaxedSimd;
const variants = relaxedAvailable ? [false, true] : [false];

const f32b = new Float32Array(1);
const i32b = new Int32Array(f32b.buffer);
function bitsToF32(bits: number): number {
  i32b[0] = bits;
  return f32b[0]!;
}
/** Ordered integer of a float32's bits: adjacent floats differ by 1, +0 and -0 are both 0. */
function ord(bits: number): number {
  return bits >= 0 ? bits : -(bits & 0x7fffffff);
}

/** A float32 with a uniformly drawn exponent field (0 = subnormal … 254), mantissa and sign. */
function binadeUniform(rnd: () => number): number {
  const hi = Math.floor(rnd() * 4294967296);
  const e = Math.floor(rnd() * 255);
  return bitsToF32((hi & 0x807fffff) | (e << 23));
}

const SPECIALS = [
  0, -0, Infinity, -Infinity, NaN, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 1.401298464324817e-45, -1.401298464324817e-45,
  1.1754943508222875e-38, -1.1754943508222875e-38, 1.1754942106924411e-38, 3.4028234663852886e38, -3.4028234663852886e38,
  1e-30, -1e-30, 5.960464477539063e-8, -5.960464477539063e-8, 88.72283935546875, 88.72284698486328, -87.33654022216797,
  -103.97207641601562, -103.97208404541016, -104, -150, 89, 100, -100, 20, -20, 9, -9, 1.5707963705062866, 3.1415927410125732,
  -0.9999999403953552, -1.0000001192092896, 16777216, 16777217, -16777216, 1e10, 1e38, -1e38, 2 ** 53, 2 ** 53 + 2 ** 31,
  2 ** 54, 2 ** 29, 2 ** -29, 2 ** -30, 2 ** -53, 2 ** -54,
  // the float32 cores' seams: log's mantissa split at sqrt(1/2) (and log1p's, at u = 1 + x), sigmoid's
  // clamps and its last values below 1, log's subnormal/normal boundary
  0.7071067690849304, 0.7071067094802856, 0.7071068286895752, 1.4142135381698608, 1.4142136573791504,
  -0.2928932309150696, -0.29289326071739197, 0.4142135679721832, 0.41421353816986084, 103.97207641601562,
  -104.00000762939453, 32, 32.000003814697266, 16.635532379150390, 17.32867431640625, 1.1754942106924411e-38,
  1.1754944909521339e-38, 3.4028232635611926e38,
];

/** float32 inputs that land closest to a multiple of pi/2 (exhaustive search over all floats >= pi/4). */
const TRIG_HARD = [
  0x6f79be45, 0x50a3e87f, 0x6ff9be45, 0x5123e87f, 0x437ce5f1, 0x7079be45, 0x6a1976f1, 0x53b146a6, 0x65898498, 0x51a3e87f,
  0x43fce5f1, 0x77584625, 0x4c2332e9, 0x4096cbe4, 0x6c55da58, 0x70f9be45, 0x6a9976f1, 0x5c07bcd0, 0x543146a6, 0x66098498,
  0x5223e87f, 0x474d246f, 0x723fa09a, 0x447ce5f1, 0x4a2562ae, 0x77d84625, 0x642e0733, 0x664e46e4, 0x4e13d4a5, 0x7ebdcda0,
  0x4ca332e9, 0x4116cbe4, 0x6cd5da58, 0x7179be45, 0x6b1976f1, 0x5c87bcd0, 0x54b146a6, 0x66898498, 0x5fe4112c, 0x52a3e87f,
  0x47cd246f, 0x72bfa09a, 0x44fce5f1, 0x4882665e, 0x79407f54, 0x416231d6, 0x6d2063c2, 0x66abe5be, 0x6946e3bb, 0x62ec1b4a,
  0x4aa562ae, 0x56787577, 0x5ccb9b38, 0x78584625, 0x64ae0733, 0x61d3b126, 0x7452de59, 0x3fc90fdb, 0x66ce46e4, 0x4e93d4a5,
  0x7f3dcda0, 0x4d2332e9, 0x78a8b883, 0x4196cbe4,
];

function sigmoidRef(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const REF: Record<MathOp, (x: number) => number> = {
  exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, tanh: Math.tanh, sigmoid: sigmoidRef,
  sin: Math.sin, cos: Math.cos,
};

/** Draws from the range where the op has something to get wrong. */
const INTERESTING: Record<MathOp, (rnd: () => number) => number> = {
  exp: (rnd) => rnd() * 200 - 108,
  expm1: (rnd) => (rnd() < 0.5 ? rnd() * 110 - 105 : (rnd() - 0.5) * 2 ** (-30 * rnd())),
  sigmoid: (rnd) => rnd() * 220 - 110,
  tanh: (rnd) => (rnd() < 0.5 ? (rnd() - 0.5) * 24 : (rnd() - 0.5) * 2 ** (-30 * rnd())),
  log: (rnd) => Math.abs(binadeUniform(rnd)),
  log1p: (rnd) => (rnd() < 0.5 ? rnd() * 4 - 1 : (rnd() - 0.5) * 2 ** (-40 * rnd())),
  sin: (rnd) => (rnd() < 0.5 ? (rnd() - 0.5) * 100 : (rnd() - 0.5) * 2 ** (40 * rnd())),
  cos: (rnd) => (rnd() < 0.5 ? (rnd() - 0.5) * 100 : (rnd() - 0.5) * 2 ** (40 * rnd())),
};

type Kernel = (a: number, b: number, dst: number, bytes: number) => void;

/** One wasm function applying the emitter to every v128 of a buffer (length a multiple of 4). */
function kernel(rt: WasmRuntime, key: string, arity: 1 | 2, emit: (f: FunctionBuilder) => void): Kernel {
  return rt.kernel(key, (m) => {
    m.func('run', ['i32', 'i32', 'i32', 'i32'], [], (f, [a, b, dst, n]) => {
      const i = f.addLocal('i32');
      f.block((done) => f.loop((top) => {
        f.local.get(i);
        f.local.get(n!);
        f.i32.ge_u();
        f.brIf(done);
        f.local.get(dst!);
        f.local.get(i);
        f.i32.add();
        f.local.get(a!);
        f.local.get(i);
        f.i32.add();
        f.v128.load();
        if (arity === 2) {
          f.local.get(b!);
          f.local.get(i);
          f.i32.add();
          f.v128.load();
        }
        emit(f);
        f.v128.store();
        f.local.get(i);
        f.i32.const(16);
        f.i32.add();
        f.local.set(i);
        f.br(top);
      }));
    });
  }).run as Kernel;
}

interface Stats {
  maxUlp: number;
  worst: string;
  failures: string[];
}

/** Compares got against want (float32 bit patterns) and records the worst ulp distance. */
function compare(want: Int32Array, got: Int32Array, n: number, stats: Stats, show: (i: number) => string): void {
  for (let i = 0; i < n; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w === g) continue;
    const wNaN = (w & 0x7fffffff) > 0x7f800000;
    const gNaN = (g & 0x7fffffff) > 0x7f800000;
    let d: number;
    if (wNaN || gNaN) d = wNaN && gNaN ? 0 : Infinity;
    else if ((w & 0x7fffffff) === 0 && (g & 0x7fffffff) === 0) d = Infinity; // a zero of the wrong sign
    else d = Math.abs(ord(w) - ord(g));
    if (d > stats.maxUlp) {
      stats.maxUlp = d;
      stats.worst = `${show(i)}: got ${bitsToF32(g)}, want ${bitsToF32(w)}`;
    }
    if (d > 2 && stats.failures.length < 10) stats.failures.push(`${show(i)}: got ${bitsToF32(g)}, want ${bitsToF32(w)}`);
  }
}

function newStats(): Stats {
  return { maxUlp: 0, worst: '', failures: [] };
}

function report(name: string, all: Stats[], count: number): void {
  const parts = all.map((s, v) => `${variants[v] ? 'relaxed' : 'plain'} ${s.maxUlp} ulp${s.worst ? ` (worst ${s.worst})` : ''}`);
  console.log(`wasm math ${name}: max error over ${count} inputs: ${parts.join('; ')}`);
  for (const s of all) expect(s.failures, s.failures.join('\n')).toEqual([]);
  for (const s of all) expect(s.maxUlp).toBeLessThanOrEqual(2);
}

describe('wasm SIMD float32 math', () => {
  const rt = new WasmRuntime({ relaxed: relaxedAvailable, cacheLimit: 64 });
  const pa = rt.heap.alloc(CHUNK * 4);
  const pb = rt.heap.alloc(CHUNK * 4);
  const pd = rt.heap.alloc(CHUNK * 4);
  const mem = (): Float32Array => new Float32Array(rt.heap.memory.buffer);

  const ops: MathOp[] = ['exp', 'expm1', 'log', 'log1p', 'tanh', 'sigmoid', 'sin', 'cos'];
  ops.forEach((op, opIndex) => {
    it(`${op}: within 2 float32 ulp of the rounded float64 result over ${TOTAL} inputs`, () => {
      const kernels = variants.map((relaxed) => kernel(rt, `math-test-${op}-${relaxed}`, 1, (f) => emitMath(f, op, relaxed)));
      const rnd = mulberry32(0x5eed + opIndex);
      const ref = REF[op];
      const interesting = INTERESTING[op];
      const x = new Float32Array(CHUNK);
      const want = new Float32Array(CHUNK);
      const wantBits = new Int32Array(want.buffer);
      const stats = variants.map(newStats);
      let fixed = [...SPECIALS, ...SPECIALS.map((v) => -v)];
      if (op === 'sin' || op === 'cos') {
        for (const b of TRIG_HARD) for (const d of [-2, -1, 0, 1, 2]) fixed.push(bitsToF32(b + d), -bitsToF32(b + d));
        for (let k = 1; k < 2000; k++) fixed.push(Math.fround((k * Math.PI) / 2));
      }
      // every float32 subnormal exponent pattern and the smallest normals, densely
      for (let i = 1; i < 4096; i++) fixed.push(bitsToF32(i * 2039), bitsToF32(0x80000000 | (i * 2039)));
      fixed = fixed.filter((_, i) => i < CHUNK / 4);
      for (let done = 0; done < TOTAL; done += CHUNK) {
        const n = Math.min(CHUNK, TOTAL - done);
        for (let i = 0; i < n; i++) x[i] = i & 1 ? interesting(rnd) : binadeUniform(rnd);
        if (done === 0) x.set(fixed);
        for (let i = 0; i < n; i++) want[i] = ref(x[i]!);
        mem().set(x.subarray(0, n), pa / 4);
        kernels.forEach((run, v) => {
          run(pa, 0, pd, n * 4);
          const got = new Int32Array(rt.heap.memory.buffer, pd, n);
          compare(wantBits, got, n, stats[v]!, (i) => `${op}(${x[i]})`);
        });
      }
      report(op, stats, TOTAL);
    });
  });

  it(`pow: within 2 float32 ulp of Math.pow over ${TOTAL} (base, exponent) pairs`, () => {
    const kernels = variants.map((relaxed) => kernel(rt, `math-test-pow-${relaxed}`, 2, (f) => emitPow(f, relaxed)));
    const rnd = mulberry32(0x90e5);
    const a = new Float32Array(CHUNK);
    const b = new Float32Array(CHUNK);
    const want = new Float32Array(CHUNK);
    const wantBits = new Int32Array(want.buffer);
    const stats = variants.map(newStats);
    const sp = [
      ...SPECIALS, ...SPECIALS.map((v) => -v), 2.5, -2.5, 0.25, 4, 5, -5, 7, -7, 31, -31, 1 + 2 ** -23, 1 - 2 ** -24,
      -(1 + 2 ** -23), 1e-20, 16777215, -16777215, 1e30, 128, -128, 149, -149, 150, -150, 126, -126, 127, -127,
    ];
    const fixedA: number[] = [];
    const fixedB: number[] = [];
    for (const u of sp) for (const v of sp) {
      fixedA.push(u);
      fixedB.push(v);
    }
    for (let done = 0; done < TOTAL; done += CHUNK) {
      const n = Math.min(CHUNK, TOTAL - done);
      for (let i = 0; i < n; i++) {
        switch (i & 7) {
          case 0: // anything: mostly 0 / inf / NaN results
            a[i] = binadeUniform(rnd);
            b[i] = binadeUniform(rnd);
            break;
          case 1:
          case 2: { // results spread over the whole float32 range and past both ends
            a[i] = binadeUniform(rnd);
            const l2 = Math.log2(Math.abs(a[i]!));
            b[i] = l2 === 0 || !Number.isFinite(l2) ? rnd() * 10 : (rnd() * 310 - 165) / l2;
            break;
          }
          case 3: { // integer exponents, negative bases
            a[i] = (rnd() < 0.5 ? -1 : 1) * 2 ** (rnd() * 16 - 8);
            b[i] = Math.floor(rnd() * 129) - 64;
            break;
          }
          case 4: { // bases next to 1 with huge exponents: needs ln a to ~2^-40
            a[i] = 1 + (Math.floor(rnd() * 64) - 32) * 2 ** -24;
            b[i] = (rnd() - 0.5) * 2 ** (10 + rnd() * 22);
            break;
          }
          case 5: { // negative bases, any exponent (NaN unless integer)
            a[i] = -binadeUniform(rnd) * (rnd() < 0.5 ? 1 : 0) - rnd() * 10;
            b[i] = rnd() < 0.5 ? Math.round((rnd() - 0.5) * 300) : (rnd() - 0.5) * 30;
            break;
          }
          default:
            a[i] = rnd() * 16 - 8;
            b[i] = rnd() * 60 - 30;
        }
      }
      if (done === 0) {
        a.set(fixedA);
        b.set(fixedB);
      }
      for (let i = 0; i < n; i++) want[i] = Math.pow(a[i]!, b[i]!);
      mem().set(a.subarray(0, n), pa / 4);
      mem().set(b.subarray(0, n), pb / 4);
      kernels.forEach((run, v) => {
        run(pa, pb, pd, n * 4);
        const got = new Int32Array(rt.heap.memory.buffer, pd, n);
        compare(wantBits, got, n, stats[v]!, (i) => `pow(${a[i]}, ${b[i]})`);
      });
    }
    report('pow', stats, TOTAL);
  });

  it('special values: zeros keep their sign, infinities and NaN map as IEEE/JS say', () => {
    const cases: [MathOp, number, number][] = [
      ['exp', -Infinity, 0], ['exp', Infinity, Infinity], ['exp', -100, Math.fround(Math.exp(-100))], ['exp', NaN, NaN],
      ['expm1', -0, -0], ['expm1', 0, 0], ['expm1', -Infinity, -1], ['expm1', Infinity, Infinity],
      ['log', 0, -Infinity], ['log', -0, -Infinity], ['log', Infinity, Infinity], ['log', -1, NaN], ['log', 1, 0],
      ['log', -Infinity, NaN], ['log1p', -1, -Infinity], ['log1p', -0, -0], ['log1p', 0, 0], ['log1p', -2, NaN],
      ['log1p', Infinity, Infinity], ['tanh', -0, -0], ['tanh', Infinity, 1], ['tanh', -Infinity, -1],
      ['sigmoid', Infinity, 1], ['sigmoid', -Infinity, 0], ['sigmoid', -100, Math.fround(sigmoidRef(-100))],
      ['sin', -0, -0], ['sin', 0, 0], ['sin', Infinity, NaN], ['sin', -Infinity, NaN], ['cos', Infinity, NaN],
      ['cos', -Infinity, NaN], ['cos', -0, 1],
    ];
    for (const relaxed of variants) {
      for (const [op, x, want] of cases) {
        const m = new ModuleBuilder();
        m.func('f', ['f32'], ['f32'], (f, [p]) => {
          f.local.get(p!);
          f.f32x4.splat();
          emitMath(f, op, relaxed);
          f.f32x4.extract_lane(0);
        });
        const run = new WebAssembly.Instance(new WebAssembly.Module(m.finish() as BufferSource)).exports.f as (v: number) => number;
        expect(run(x), `${op}(${x})`).toBe(want);
      }
      expect(Math.fround(sigmoidRef(-100))).toBeGreaterThan(0);
      const m = new ModuleBuilder();
      m.func('f', ['f32', 'f32'], ['f32'], (f, [p, q]) => {
        f.local.get(p!);
        f.f32x4.splat();
        f.local.get(q!);
        f.f32x4.splat();
        emitPow(f, relaxed);
        f.f32x4.extract_lane(0);
      });
      const pow = new WebAssembly.Instance(new WebAssembly.Module(m.finish() as BufferSource)).exports.f as (u: number, v: number) => number;
      const powCases: [number, number, number][] = [
        [NaN, 0, 1], [NaN, -0, 1], [1, NaN, NaN], [1, Infinity, NaN], [-1, -Infinity, NaN], [-0, 3, -0], [-0, -3, -Infinity],
        [-0, 2, 0], [-0, -0.5, Infinity], [0, -1, Infinity], [-Infinity, 3, -Infinity], [-Infinity, -3, -0], [-Infinity, 0.5, Infinity],
        [-2, 3, -8], [-2, 0.5, NaN], [-2, Infinity, Infinity], [-0.5, Infinity, 0], [2, -Infinity, 0], [0.5, -Infinity, Infinity],
        [-3, -101, -0], [2, 128, Infinity], [2, -149, 1.401298464324817e-45], [2, -150, 0], [10, 38, Math.fround(1e38)],
      ];
      for (const [u, v, want] of powCases) expect(pow(u, v), `pow(${u}, ${v})`).toBe(want);
    }
  });

  it('keeps each op compact (bytes of one wasm function applying it)', () => {
    const sizes: Record<string, number> = {};
    for (const op of ['exp', 'expm1', 'log', 'log1p', 'tanh', 'sigmoid', 'sin', 'cos', 'pow'] as const) {
      const m = new ModuleBuilder();
      m.func('f', ['v128', 'v128'], ['v128'], (f, [p, q]) => {
        f.local.get(p!);
        if (op === 'pow') {
          f.local.get(q!);
          emitPow(f, false);
        } else emitMath(f, op, false);
      });
      const bytes = m.finish();
      sizes[op] = bytes.length;
      expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
    }
    console.log(`wasm math module sizes (bytes): ${JSON.stringify(sizes)}`);
    for (const s of Object.values(sizes)) expect(s).toBeLessThan(1500);
  });
});
