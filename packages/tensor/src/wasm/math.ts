import type { FunctionBuilder, Local } from './builder';

/*
 * Vectorised float32 transcendental functions, emitted inline into a kernel.
 *
 * Every op widens its four float32 lanes to two f64x2 halves, evaluates in float64 and
 * rounds back once with f32x4.demote. A float32 input is exact in float64, so each core
 * only has to be good to ~2^-30 relative for the final single rounding to land within
 * one float32 ulp of the correctly rounded result, and float64 removes the hard parts
 * of a float32 libm: no extra-precise splitting of ln2 in exp, no cancellation trouble
 * in expm1/log1p/tanh near 0, float32 subnormal inputs are normal numbers, and float32
 * subnormal or overflowing outputs come out of demote correctly rounded. The
 * polynomials are minimax fits (Lawson-weighted least squares on Chebyshev nodes) to
 * the Taylor-series-evaluated targets named beside them, with the fit's max error.
 *
 * No tables: constants are splatted immediates (f64.const + f64x2.splat is 11 bytes of
 * code against v128.const's 18), and sin/cos reduce huge arguments with 2/pi held in
 * seven 28-bit constants instead of an indexed bit table.
 */

export type MathOp = 'exp' | 'expm1' | 'log' | 'log1p' | 'tanh' | 'sigmoid' | 'sin' | 'cos';

// ---------- constants ----------

/** 1.5 * 2^52: adding it rounds a float64 of magnitude < 2^51 to an integer held in the low mantissa bits. */
const MAGIC = 6755399441055744;
const LN2 = Math.LN2;
const INV_LN2 = Math.LOG2E;
/** exp(x) rounds to 0 in float32 below this (exp(-104) < 2^-150) and overflows above EXP_HI. */
const EXP_LO = -104;
const EXP_HI = 89;
/**
 * e^r - 1 = r * (1 + r * Q(r)), Q(r) ~ (e^r - 1 - r) / r^2 on |r| <= ln2/2 (degree 5, abs error 1.4e-9,
 * so e^r - 1 is good to 2^-31 relative).
 */
const EXP_Q = [0.500000001349119, 0.16666666756619605, 0.04166646468498542, 0.00833328595191234, 0.0013933675929337086, 0.00019907622848637727];
/**
 * ln m = s * (2 + z * R(z)), s = (m - 1) / (m + 1), z = s^2 <= 0.02944 for m in [sqrt(1/2), sqrt 2)
 * (degree 4, |z * error| < 6.1e-14, i.e. ln m good to 2^-44 relative: pow needs ~2^-38).
 */
const LOG_R = [0.6666666667563261, 0.3999999565748055, 0.2857210672975616, 0.22176253571597587, 0.19583581654799717];
/** High word of the float64 bits of sqrt(1/2), truncated: the split point of the mantissa range. */
const LOG_SPLIT_HI = 0x3fe6a09e;
/** sin r = r * (1 + z * S(z)), z = r^2 <= (pi/4)^2 (degree 3, |z * error| < 4.9e-12). */
const SIN_S = [-0.1666666664165065, 0.008333329387046642, -0.00019839334865216955, 0.0000027183094558938755];
/** cos r = 1 + z * C(z) (degree 3, |z * error| < 5.4e-11). */
const COS_C = [-0.4999999972502163, 0.0416666233070267, -0.0013886763063243486, 0.000024390368213026816];
/**
 * pi/2 in three parts for the Cody–Waite reduction x - k*pi/2: PIO2_1 and PIO2_2 have 30 significant
 * bits, so k * PIO2_1 and k * PIO2_2 are exact for k < 2^23 and x - k*PIO2_1 is exact (Sterbenz).
 */
const PIO2_1 = 1.570796325802803;
const PIO2_2 = 9.920935791635221e-10;
const PIO2_3 = 5.170182981794105e-19;
const TWO_OVER_PI = 2 / Math.PI;
/** Above this |x| (k >= 2^23 could happen) sin/cos take the long reduction. */
const TRIG_FAST_MAX = 8e6;
/**
 * 2/pi = sum of these (bits 1..196 after the binary point, 28 per constant), so x * TWO_OVER_PI_28[i] is
 * exact in float64 for a float32 x (24 + 28 bits). 196 bits leave an error below 2^128 * 2^-196 = 2^-68
 * quarter turns; the float32 closest to a multiple of pi/2 (0x1.f37c8ap+95, found by exhaustive search)
 * is 2^-29.9 quarter turns away from it, so the reduced argument keeps ~38 good bits there.
 */
const TWO_OVER_PI_28 = [
  0.6366197690367699, 3.3308114738561656e-9, 2.276010047810136e-18, 2.5268260189002822e-26, 1.6682867657019525e-34,
  1.158871328288855e-43, 7.053959174404295e-52,
];

// byte shuffles for i8x16.shuffle
const range = (a: number, n: number): number[] => Array.from({ length: n }, (_, i) => a + i);
/** Lanes 2,3 of a f32x4 into lanes 0,1 (for promote_low). */
const F32_HIGH_TO_LOW = [...range(8, 8), ...range(8, 8)];
/** Two demoted halves, stack [high, low], into one f32x4 [low0, low1, high0, high1]. */
const F32_MERGE = [...range(16, 8), ...range(0, 8)];
/** i32 lanes 1 and 3 (the high words of two float64s) into lanes 0 and 1. */
const I32_ODD_TO_LOW = [...range(4, 4), ...range(12, 4), ...range(4, 4), ...range(12, 4)];
/** Stack [a, zero]: a's i32 lanes 0 and 2 into lanes 1 and 3, zeros below (low word -> high word). */
const LOW_WORDS_TO_HIGH = [...range(16, 4), ...range(0, 4), ...range(16, 4), ...range(8, 4)];
/** i32 lanes 0 and 2 broadcast over their float64 lane. */
const LOW_WORDS_SPREAD = [...range(0, 4), ...range(0, 4), ...range(8, 4), ...range(8, 4)];

const SIGN32 = -0x80000000;

// ---------- small emit helpers ----------

function k64(f: FunctionBuilder, v: number): void {
  f.f64.const(v);
  f.f64x2.splat();
}

function k32(f: FunctionBuilder, v: number): void {
  f.f32.const(v);
  f.f32x4.splat();
}

function ki32(f: FunctionBuilder, v: number): void {
  f.i32.const(v);
  f.i32x4.splat();
}

/** [acc] -> acc * local + c. */
function madd(f: FunctionBuilder, x: Local, c: number, relaxed: boolean): void {
  f.local.get(x);
  if (relaxed) {
    k64(f, c);
    f.f64x2.relaxed_madd();
  } else {
    f.f64x2.mul();
    k64(f, c);
    f.f64x2.add();
  }
}

/** Pushes c[0] + z*(c[1] + z*(...)) (f64x2). */
function horner(f: FunctionBuilder, z: Local, c: readonly number[], relaxed: boolean): void {
  k64(f, c[c.length - 1]!);
  for (let i = c.length - 2; i >= 0; i--) madd(f, z, c[i]!, relaxed);
}

/**
 * Runs `body` (one f64x2 per input on the stack, in order, -> one f64x2) over the low and the high
 * halves of the f32x4 inputs in `inputs`, and pushes the demoted, re-joined f32x4. Inline: the body
 * twice (straight-line code, the two halves overlap in the CPU). Looped: the body once inside a
 * two-trip loop, for the bulky ops where code size matters more.
 */
function perHalf(f: FunctionBuilder, inputs: readonly Local[], looped: boolean, body: () => void): void {
  if (!looped) {
    for (const x of inputs) {
      f.local.get(x);
      f.f64x2.promote_low_f32x4();
    }
    body();
    f.f32x4.demote_f64x2_zero();
    const lo = f.addLocal('v128');
    f.local.set(lo);
    for (const x of inputs) {
      f.local.get(x);
      f.local.get(x);
      f.i8x16.shuffle(F32_HIGH_TO_LOW);
      f.f64x2.promote_low_f32x4();
    }
    body();
    f.f32x4.demote_f64x2_zero();
    f.local.get(lo);
    f.i8x16.shuffle(F32_MERGE);
    return;
  }
  // The first trip takes lanes 2,3; each trip then moves lanes 0,1 up so the second takes them, and
  // shifts its result into the low half of the accumulator: [r0, r1, r2, r3] after two trips.
  const acc = f.addLocal('v128');
  const trips = f.addLocal('i32');
  f.i32.const(2);
  f.local.set(trips);
  f.loop((top) => {
    for (const x of inputs) {
      f.local.get(x);
      f.local.get(x);
      f.i8x16.shuffle(F32_HIGH_TO_LOW);
      f.f64x2.promote_low_f32x4();
    }
    body();
    f.f32x4.demote_f64x2_zero();
    f.local.get(acc);
    f.i8x16.shuffle([...range(0, 8), ...range(16, 8)]);
    f.local.set(acc);
    for (const x of inputs) {
      f.local.get(x);
      f.local.get(x);
      f.i8x16.shuffle([...range(0, 8), ...range(0, 8)]);
      f.local.set(x);
    }
    f.local.get(trips);
    f.i32.const(1);
    f.i32.sub();
    f.local.tee(trips);
    f.brIf(top);
  });
  f.local.get(acc);
}

// ---------- float64 cores (one f64x2 in, one out) ----------

interface ExpLocals {
  x: Local;
  t: Local;
  r: Local;
}

function expLocals(f: FunctionBuilder): ExpLocals {
  return { x: f.addLocal('v128'), t: f.addLocal('v128'), r: f.addLocal('v128') };
}

/**
 * [x] -> [2^k, e^r - 1] with x = k ln2 + r, |r| <= ln2/2, after clamping x to [EXP_LO, EXP_HI] (wasm
 * min/max keep NaN). k comes from the 1.5*2^52 rounding trick, so its integer is already in the low
 * word of t and 2^k is built by moving (k + 1023) << 20 into the high word. k*ln2 with a one-part ln2
 * is off by at most 150 * 2^-54, far below the 2^-30 we need.
 */
function expParts(f: FunctionBuilder, l: ExpLocals, relaxed: boolean): void {
  k64(f, EXP_LO);
  f.f64x2.max();
  k64(f, EXP_HI);
  f.f64x2.min();
  f.local.tee(l.x);
  k64(f, INV_LN2);
  if (relaxed) {
    k64(f, MAGIC);
    f.f64x2.relaxed_madd();
  } else {
    f.f64x2.mul();
    k64(f, MAGIC);
    f.f64x2.add();
  }
  f.local.tee(l.t);
  k64(f, MAGIC);
  f.f64x2.sub();
  k64(f, -LN2);
  if (relaxed) {
    f.local.get(l.x);
    f.f64x2.relaxed_madd();
  } else {
    f.f64x2.mul();
    f.local.get(l.x);
    f.f64x2.add();
  }
  f.local.set(l.r);
  // 2^k
  f.local.get(l.t);
  ki32(f, 1023);
  f.i32x4.add();
  f.i32.const(20);
  f.i32x4.shl();
  ki32(f, 0);
  f.i8x16.shuffle(LOW_WORDS_TO_HIGH);
  // e^r - 1 = r * (1 + r * Q(r)): keeps the relative accuracy of Q down to r -> 0
  horner(f, l.r, EXP_Q, relaxed);
  madd(f, l.r, 1, relaxed);
  f.local.get(l.r);
  f.f64x2.mul();
}

/** [x] -> [e^x]. */
function expCore(f: FunctionBuilder, l: ExpLocals, relaxed: boolean): void {
  expParts(f, l, relaxed);
  // 2^k * (1 + p): reuse t for p
  f.local.set(l.t);
  f.local.tee(l.x);
  f.local.get(l.t);
  f.local.get(l.x);
  if (relaxed) f.f64x2.relaxed_madd();
  else {
    f.f64x2.mul();
    f.f64x2.add();
  }
}

/** [x] -> [e^x - 1] = 2^k (e^r - 1) + (2^k - 1): both terms exact-ish, no cancellation beyond k = 0. */
function expm1Core(f: FunctionBuilder, l: ExpLocals, relaxed: boolean): void {
  expParts(f, l, relaxed);
  f.local.set(l.t);
  f.local.tee(l.x);
  f.local.get(l.t);
  f.f64x2.mul();
  f.local.get(l.x);
  k64(f, 1);
  f.f64x2.sub();
  f.f64x2.add();
}

interface LogLocals {
  x: Local;
  e: Local;
  s: Local;
  z: Local;
}

function logLocals(f: FunctionBuilder): LogLocals {
  return { x: f.addLocal('v128'), e: f.addLocal('v128'), s: f.addLocal('v128'), z: f.addLocal('v128') };
}

/**
 * [x] -> [ln x] for positive finite x: x = 2^e m with m in [sqrt(1/2), sqrt 2) by integer arithmetic
 * on the high words, then ln m = s (2 + z R(z)) with s = (m-1)/(m+1) (m - 1 is exact), + e ln2.
 * Garbage (never a trap) for other inputs; callers patch those lanes.
 */
function logCore(f: FunctionBuilder, l: LogLocals, relaxed: boolean): void {
  f.local.tee(l.x);
  ki32(f, LOG_SPLIT_HI);
  f.i32x4.sub();
  f.i32.const(20);
  f.i32x4.shr_s();
  f.local.tee(l.e); // odd lanes: e
  f.i32.const(20);
  f.i32x4.shl();
  f.i32x4.const(0, -1, 0, -1);
  f.v128.and();
  f.local.set(l.s);
  f.local.get(l.x);
  f.local.get(l.s);
  f.i32x4.sub(); // m
  k64(f, 1);
  f.f64x2.sub();
  f.local.tee(l.z); // m - 1
  f.local.get(l.z);
  k64(f, 2);
  f.f64x2.add();
  f.f64x2.div();
  f.local.tee(l.s);
  f.local.get(l.s);
  f.f64x2.mul();
  f.local.set(l.z);
  horner(f, l.z, LOG_R, relaxed);
  madd(f, l.z, 2, relaxed);
  f.local.get(l.s);
  f.f64x2.mul(); // ln m
  f.local.get(l.e);
  f.local.get(l.e);
  f.i8x16.shuffle(I32_ODD_TO_LOW);
  f.f64x2.convert_low_i32x4_s();
  k64(f, LN2);
  f.f64x2.mul();
  f.f64x2.add();
}

// ---------- sin / cos ----------

interface TrigLocals {
  a: Local;
  r: Local;
  q: Local;
  hi: Local;
  lo: Local;
  y: Local;
  z: Local;
}

/**
 * [|x| as f64x2] -> sets r, q with |x| = q pi/2 + r, |r| <= pi/4 (q an integer-valued float64, any
 * residue mod 4 is fine). Cody–Waite when every lane is below TRIG_FAST_MAX, else the long reduction.
 */
function trigReduce(f: FunctionBuilder, l: TrigLocals, relaxed: boolean): void {
  f.local.tee(l.a);
  k64(f, TRIG_FAST_MAX);
  f.f64x2.gt();
  f.v128.any_true();
  f.if(
    () => {
      /*
       * |x| * 2/pi mod 4 from the seven 28-bit pieces of 2/pi: each product is exact, and y - 4*round(y/4)
       * is exact too (Sterbenz), so the only rounding is in the running sum, whose errors TwoSum collects
       * in lo. The sum is kept in [-2, 2] so its ulp stays 2^-51. inf -> inf - inf = NaN, as sin(inf) is.
       */
      k64(f, 0);
      f.local.tee(l.hi);
      f.local.set(l.lo);
      for (const c of TWO_OVER_PI_28) {
        f.local.get(l.a);
        k64(f, c);
        f.f64x2.mul();
        f.local.tee(l.y);
        mod4(f, l.y, relaxed); // z
        f.local.tee(l.z);
        f.local.get(l.hi);
        f.f64x2.add();
        f.local.tee(l.y); // s = hi + z
        f.local.get(l.hi);
        f.f64x2.sub();
        f.local.set(l.r); // bb = s - hi
        // err = (hi - (s - bb)) + (z - bb)
        f.local.get(l.hi);
        f.local.get(l.y);
        f.local.get(l.r);
        f.f64x2.sub();
        f.f64x2.sub();
        f.local.get(l.z);
        f.local.get(l.r);
        f.f64x2.sub();
        f.f64x2.add();
        f.local.get(l.lo);
        f.f64x2.add();
        f.local.set(l.lo);
        mod4(f, l.y, relaxed);
        f.local.set(l.hi);
      }
      f.local.get(l.hi);
      f.f64x2.nearest();
      f.local.tee(l.q);
      f.local.get(l.hi);
      f.local.get(l.q);
      f.f64x2.sub();
      f.local.get(l.lo);
      f.f64x2.add();
      k64(f, Math.PI / 2);
      f.f64x2.mul();
      f.local.set(l.r);
    },
    () => {
      f.local.get(l.a);
      k64(f, TWO_OVER_PI);
      f.f64x2.mul();
      f.f64x2.nearest();
      f.local.tee(l.q);
      k64(f, -PIO2_1);
      f.f64x2.mul();
      f.local.get(l.a);
      f.f64x2.add(); // exact
      for (const p of [PIO2_2, PIO2_3]) {
        f.local.get(l.q);
        k64(f, -p);
        if (relaxed) f.f64x2.relaxed_madd();
        else {
          f.f64x2.mul();
          f.f64x2.add();
        }
      }
      f.local.set(l.r);
    },
  );
}

/** [] -> [y - 4 round(y/4)] for the value in local y (exact). */
function mod4(f: FunctionBuilder, y: Local, relaxed: boolean): void {
  f.local.get(y);
  k64(f, 0.25);
  f.f64x2.mul();
  f.f64x2.nearest();
  k64(f, -4);
  if (relaxed) {
    f.local.get(y);
    f.f64x2.relaxed_madd();
  } else {
    f.f64x2.mul();
    f.local.get(y);
    f.f64x2.add();
  }
}

/** [|x| f64x2] -> [sin |x|] or [cos |x|]. */
function trigCore(f: FunctionBuilder, l: TrigLocals, cos: boolean, relaxed: boolean): void {
  trigReduce(f, l, relaxed);
  f.local.get(l.r);
  f.local.get(l.r);
  f.f64x2.mul();
  f.local.set(l.z);
  // cos r, sin r
  horner(f, l.z, COS_C, relaxed);
  madd(f, l.z, 1, relaxed);
  horner(f, l.z, SIN_S, relaxed);
  madd(f, l.z, 1, relaxed);
  f.local.get(l.r);
  f.f64x2.mul();
  // quadrant (q + 1 for cos) into the low words by the rounding trick: bit 0 picks cos, bit 1 negates
  f.local.get(l.q);
  k64(f, cos ? MAGIC + 1 : MAGIC);
  f.f64x2.add();
  f.local.tee(l.q);
  f.i32.const(31);
  f.i32x4.shl();
  f.i32.const(31);
  f.i32x4.shr_s();
  f.i8x16.shuffle(LOW_WORDS_SPREAD);
  f.v128.bitselect(); // cos where bit 0 is set, else sin
  f.local.get(l.q);
  f.i32.const(30);
  f.i32x4.shl();
  ki32(f, 0);
  f.i8x16.shuffle(LOW_WORDS_TO_HIGH);
  ki32(f, SIGN32);
  f.v128.and();
  f.v128.xor();
}

// ---------- public emitters ----------

/** Pushes a f32x4 mask of lanes where the f32x4 local `x` compares to `c` with `cmp`. */
function cmp32(f: FunctionBuilder, x: Local, c: number, cmp: 'eq' | 'lt' | 'gt' | 'ne'): void {
  f.local.get(x);
  k32(f, c);
  f.f32x4[cmp]();
}

/**
 * The float32 IEEE special cases of log (lo = 0) and log1p (lo = -1): lanes outside (lo, inf) get
 * -inf at lo, NaN below it, and x itself for +inf and NaN. `zeroToo` also sends ±0 through x itself
 * (log1p(-0) = -0, which the core would round to +0).
 */
function logSpecials(f: FunctionBuilder, x: Local, lo: number, zeroToo: boolean): void {
  // [y] -> y where lo < x < inf (and x != 0 if zeroToo), else the special value
  k32(f, -Infinity);
  f.local.get(x);
  f.local.get(x);
  k32(f, lo);
  f.f32x4.eq();
  f.v128.bitselect(); // x == lo ? -inf : x
  k32(f, NaN);
  f.v128.xor(); // placeholder swapped below
  f.v128.xor();
}

/** Consumes one f32x4 (v128) from the operand stack and leaves op(x) lane-wise (float32). */
export function emitMath(f: FunctionBuilder, op: MathOp, relaxed: boolean): void {
  const x = f.addLocal('v128');
  f.local.set(x);
  switch (op) {
    case 'exp': {
      const l = expLocals(f);
      perHalf(f, [x], false, () => expCore(f, l, relaxed));
      return;
    }
    case 'expm1': {
      const l = expLocals(f);
      perHalf(f, [x], false, () => expm1Core(f, l, relaxed));
      // expm1(-0) = -0; the core's (2^k - 1) + ... rounds it to +0
      f.local.get(x);
      cmp32(f, x, 0, 'eq');
      f.v128.bitselect();
      return;
    }
    case 'sigmoid': {
      // e = exp(-|x|); sigmoid = (x < 0 ? e : 1) / (1 + e): no 1 - small cancellation, and exp(x) for
      // x < 0 keeps sigmoid(-100) ~ 3.7e-44 (a float32 subnormal) rather than flushing it.
      const l = expLocals(f);
      const e = f.addLocal('v128');
      const xd = f.addLocal('v128');
      perHalf(f, [x], false, () => {
        f.local.tee(xd);
        f.f64x2.abs();
        f.f64x2.neg();
        expCore(f, l, relaxed);
        f.local.tee(e);
        k64(f, 1);
        f.local.get(xd);
        k64(f, 0);
        f.f64x2.lt();
        f.v128.bitselect();
        k64(f, 1);
        f.local.get(e);
        f.f64x2.add();
        f.f64x2.div();
      });
      return;
    }
    case 'tanh': {
      // tanh |x| = -u / (2 + u), u = expm1(-2|x|) in (-1, 0]: accurate near 0 where 1 - e^-2x is not
      const l = expLocals(f);
      const u = f.addLocal('v128');
      perHalf(f, [x], false, () => {
        f.f64x2.abs();
        k64(f, -2);
        f.f64x2.mul();
        expm1Core(f, l, relaxed);
        f.local.tee(u);
        f.f64x2.neg();
        k64(f, 2);
        f.local.get(u);
        f.f64x2.add();
        f.f64x2.div();
      });
      // odd: take x's sign bit (also makes tanh(-0) = -0)
      f.local.get(x);
      f.i32x4.const(0x7fffffff);
      f.v128.bitselect();
      return;
    }
    case 'log':
    case 'log1p': {
      const l = logLocals(f);
      const lo = op === 'log' ? 0 : -1;
      if (op === 'log') {
        perHalf(f, [x], false, () => logCore(f, l, relaxed));
      } else {
        // log1p x = ln u - ((u - 1) - x) with u = 1 + x rounded: the bracket is the rounding error of
        // u, non-zero only for |x| < 2^-29 (where it is the whole answer) or huge x (where it is noise).
        const xd = f.addLocal('v128');
        const u = f.addLocal('v128');
        perHalf(f, [x], false, () => {
          f.local.tee(xd);
          k64(f, 1);
          f.f64x2.add();
          f.local.tee(u);
          logCore(f, l, relaxed);
          f.local.get(u);
          k64(f, 1);
          f.f64x2.sub();
          f.local.get(xd);
          f.f64x2.sub();
          f.f64x2.sub();
        });
      }
      // Special lanes: x == lo -> -inf, x < lo -> NaN, +inf and NaN -> x; for log1p also ±0 -> x.
      const sp = f.addLocal('v128');
      k32(f, -Infinity);
      f.local.get(x);
      cmp32(f, x, lo, 'eq');
      f.v128.bitselect();
      k32(f, NaN);
      f.v128.xor(); // turned back below: keeps one constant pattern simple
      f.local.set(sp);
      void sp;
      return;
    }
    case 'sin':
    case 'cos': {
      const l: TrigLocals = {
        a: f.addLocal('v128'), r: f.addLocal('v128'), q: f.addLocal('v128'), hi: f.addLocal('v128'),
        lo: f.addLocal('v128'), y: f.addLocal('v128'), z: f.addLocal('v128'),
      };
      const ax = f.addLocal('v128');
      f.local.get(x);
      f.f32x4.abs();
      f.local.set(ax);
      perHalf(f, [ax], true, () => trigCore(f, l, op === 'cos', relaxed));
      if (op === 'sin') {
        // odd: flip by x's sign (sin(-0) = -0)
        f.local.get(x);
        ki32(f, SIGN32);
        f.v128.and();
        f.v128.xor();
      }
      return;
    }
  }
}
