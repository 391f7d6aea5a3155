import type { FunctionBuilder, Local } from './builder.js';

/*
 * Vectorised float32 transcendental functions, emitted inline into a kernel.
 *
 * exp, sigmoid, log and log1p run in float32 lanes (twice the lanes of float64, no widening
 * and re-joining), with the usual float32-libm care: two-part ln2 reductions, exact mantissa
 * splitting by integer arithmetic, rounding errors arranged to be scaled down, and subnormal
 * inputs and outputs handled without a second scaling step. Each was checked over every float32
 * input, plain and relaxed: exp, log and log1p within 1 ulp, sigmoid within 2.
 * The rest widen the four float32 lanes to two f64x2 halves, evaluate in float64 and round back
 * once with f32x4.demote. A float32 input is exact in float64, so each float64 core only has to be
 * good to ~2^-30 relative for the final single rounding to land within one float32 ulp of the
 * correctly rounded result, and float64 removes the hard parts of a float32 libm: no cancellation
 * trouble in expm1/tanh near 0, no multi-word arithmetic in the sin/cos reduction, float32
 * subnormal inputs are normal numbers, and float32 subnormal or overflowing outputs come out of
 * demote correctly rounded.
 * The polynomials are minimax fits (Lawson-weighted least squares on Chebyshev nodes)
 * to the Taylor-series-evaluated targets named beside them, with the fit's max error.
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
/** Below this, e^x is under half the smallest subnormal: it rounds to +0 in float32. */
const EXP_ZERO = -103.97282;
const EXP_HI = 89;
/**
 * float32 exp: ln2 = EXP32_LN2_HI + EXP32_LN2_LO, the high part with 12 significant bits so k * it is exact
 * for |k| <= 150; e^r = 1 + r + r^2 * EXP32_Q(r) on |r| <= ln2/2 (degree 4, |r^2 * error| < 3.2e-9).
 */
const EXP32_LN2_HI = 0.693115234375;
const EXP32_LN2_LO = 0.00003194618329871446;
const EXP32_Q = [0.5000000095330532, 0.1666651868074433, 0.041666205340251596, 0.008368908415236437, 0.0013950521870049934];
/** 1.5 * 2^23, the float32 rounding constant: t = x + it holds round(x) + 2^22 + 2^23 in its bits. */
const MAGIC32 = 12582912;
/** The same bounds for 2^x. */
const EXP2_LO = -151;
const EXP2_HI = 129;
/** float32 bits of sqrt(1/2) (rounded up), the split point of logF32's mantissa range. */
const LOG32_SPLIT = 0x3f3504f3;
/** z R(z) ~ ln((1+s)/(1-s)) - 2s with R(z) = 2/3 + 2z/5 + ... on z = s^2 <= 0.0295 (degree 2, |z * error| < 1.7e-9). */
const LOG32_R = [0.6666677709916808, 0.39977443306675536, 0.298745996611946];
/**
 * sigmoid (see sigmoidF32): the clamp of x, the scale 2^SIG_K of E and O, and e1, o1 of
 * tanh(q/2)/q ~ (1/2 + o1 z) / (1 + e1 z) on |q| <= ln2/2 (rel error of the e^q it gives < 2^-32).
 */
const SIG_LO = -104;
const SIG_HI = 32;
const SIG_K = -30;
const SIG_EO = [0.09997862319050463, 0.008322681820459159];
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
 * pow's float64 body runs in a two-trip loop: inline twice it is ~1.45 KB of code (~25% faster).
 * sin/cos always loop (~1.7 KB inline with the long reduction).
 */
const POW_LOOPED = true;
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

function f64Pair(a: number, b: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const dv = new DataView(bytes.buffer);
  dv.setFloat64(0, a, true);
  dv.setFloat64(8, b, true);
  return bytes;
}

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
  // the trips rotate their own copies: callers may still need the inputs
  inputs = inputs.map((x) => {
    const c = f.addLocal('v128');
    f.local.get(x);
    f.local.set(c);
    return c;
  });
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

// ---------- float32 exp (four lanes at once) ----------

interface Exp32Locals {
  x: Local;
  t: Local;
  k: Local;
  r: Local;
}

/**
 * [x f32x4] -> [e^x f32x4] in float32 arithmetic, twice the lanes of the float64 cores. Cody–Waite
 * with a two-part ln2 leaves r with less than half an ulp of error, 1 + r*(1 + r*Q) rounds
 * well under an ulp in all (the error of the r^2 Q tail is scaled down by r^2 <= 0.12), and 2^k is
 * applied as 2^(k>>1) * 2^(k - (k>>1)): the first product is exact, so results in the subnormal
 * range (k down to -150) and up to FLT_MAX (k = 128) are rounded once.
 */
function expF32(f: FunctionBuilder, l: Exp32Locals, relaxed: boolean): void {
  // Lanes whose result rounds to 0 (x below EXP_ZERO, −Inf included) are computed at
  // x = 0 and zeroed at the end: scaling them down to 0 would take the CPU's slow
  // subnormal path (≈ 4× the time of a whole exp) on every such vector — and masked
  // logits (−Inf) and far-off log-probabilities are common in losses.
  const zero = f.addLocal('v128');
  f.local.tee(l.x);
  k32(f, EXP_ZERO);
  f.f32x4.lt();
  f.local.set(zero);
  f.local.get(l.x);
  f.local.get(zero);
  f.v128.andnot();
  k32(f, EXP_LO);
  f.f32x4.pmax();
  k32(f, EXP_HI);
  f.f32x4.pmin();
  f.local.tee(l.x);
  k32(f, INV_LN2);
  if (relaxed) {
    k32(f, MAGIC32);
    f.f32x4.relaxed_madd();
  } else {
    f.f32x4.mul();
    k32(f, MAGIC32);
    f.f32x4.add();
  }
  f.local.tee(l.t);
  k32(f, MAGIC32);
  f.f32x4.sub();
  f.local.tee(l.k);
  k32(f, -EXP32_LN2_HI);
  f.f32x4.mul();
  f.local.get(l.x);
  f.f32x4.add(); // exact: k * LN2_HI is exact and within a factor 2 of x
  f.local.set(l.r);
  f.local.get(l.k);
  k32(f, -EXP32_LN2_LO);
  if (relaxed) {
    f.local.get(l.r);
    f.f32x4.relaxed_madd();
  } else {
    f.f32x4.mul();
    f.local.get(l.r);
    f.f32x4.add();
  }
  f.local.set(l.r);
  k32(f, EXP32_Q[EXP32_Q.length - 1]!);
  for (let i = EXP32_Q.length - 2; i >= 0; i--) madd32(f, l.r, EXP32_Q[i]!, relaxed);
  madd32(f, l.r, 1, relaxed);
  madd32(f, l.r, 1, relaxed);
  // k from t's bits (locals k and x reused as integers); 2^(k>>1) and 2^(k - (k>>1))
  f.local.get(l.t);
  ki32(f, 0x4b400000);
  f.i32x4.sub();
  f.local.tee(l.k);
  f.i32.const(1);
  f.i32x4.shr_s();
  f.local.tee(l.x);
  ki32(f, 127);
  f.i32x4.add();
  f.i32.const(23);
  f.i32x4.shl();
  f.f32x4.mul();
  f.local.get(l.k);
  f.local.get(l.x);
  f.i32x4.sub();
  ki32(f, 127);
  f.i32x4.add();
  f.i32.const(23);
  f.i32x4.shl();
  f.f32x4.mul();
  f.local.get(zero);
  f.v128.andnot();
}

/** [acc] -> acc * local + c, float32 lanes. */
function madd32(f: FunctionBuilder, x: Local, c: number, relaxed: boolean): void {
  f.local.get(x);
  if (relaxed) {
    k32(f, c);
    f.f32x4.relaxed_madd();
  } else {
    f.f32x4.mul();
    k32(f, c);
    f.f32x4.add();
  }
}

/**
 * [] -> [sigmoid x f32x4] for the f32x4 local x, all in float32 lanes, as D / (D + 2^k N) where
 * N / D = e^-q, x = -k ln2 + q (|q| <= ln2/2; two-part ln2 as in expF32, k = round(-x / ln2)).
 * e^-q = (E - qO) / (E + qO), E(z) = 1 + e1 z, O(z) = 1/2 + o1 z, z = q^2: the rational form of
 * e^q = (1 + tanh(q/2)) / (1 - tanh(q/2)) with tanh(q/2)/q ~ O/E (SIG_EO: degree [3/3], rel
 * error < 2^-32). Cheaper than the degree-6 polynomial exp needs, because the division is there
 * anyway; N, D, the sum and the quotient are the only roundings that count (<= 2 ulp over all
 * float32 inputs, checked exhaustively).
 * No |x| and no select: 1 / (1 + e^-x) has no cancellation for either sign. x is clamped to
 * [SIG_LO, SIG_HI]: below, sigmoid < 2^-150 rounds to 0; above, it rounds to 1. E and O carry a
 * factor 2^SIG_K (in their coefficients, exact) so that 2^k N, applied by adding k to N's exponent
 * field, stays a normal float32 for k in [-46, 150]: sigmoid down to the smallest subnormal then
 * comes out of the one division correctly rounded, with no second scaling step.
 */
function sigmoidF32(f: FunctionBuilder, x: Local, relaxed: boolean): void {
  const v = f.addLocal('v128');
  const t = f.addLocal('v128');
  const q = f.addLocal('v128');
  const z = f.addLocal('v128');
  const d = f.addLocal('v128');
  const [e1, o1] = SIG_EO as [number, number];
  const sc = 2 ** SIG_K;
  /** [p, r] -> p * r + local. */
  const mulAdd = (c: Local): void => {
    if (relaxed) {
      f.local.get(c);
      f.f32x4.relaxed_madd();
    } else {
      f.f32x4.mul();
      f.local.get(c);
      f.f32x4.add();
    }
  };
  f.local.get(x);
  k32(f, SIG_LO);
  f.f32x4.pmax(); // pmax/pmin keep a NaN x
  k32(f, SIG_HI);
  f.f32x4.pmin();
  f.local.tee(v);
  k32(f, -INV_LN2);
  if (relaxed) {
    k32(f, MAGIC32);
    f.f32x4.relaxed_madd();
  } else {
    f.f32x4.mul();
    k32(f, MAGIC32);
    f.f32x4.add();
  }
  f.local.tee(t); // bits: 0x4b400000 + k
  k32(f, MAGIC32);
  f.f32x4.sub();
  f.local.tee(z); // k
  k32(f, EXP32_LN2_HI);
  mulAdd(v); // x + k LN2_HI, exact
  f.local.set(q);
  f.local.get(z);
  k32(f, EXP32_LN2_LO);
  mulAdd(q);
  f.local.tee(q);
  f.local.get(q);
  f.f32x4.mul();
  f.local.set(z);
  k32(f, e1 * sc);
  madd32(f, z, sc, relaxed);
  f.local.set(v); // E
  // qO = q/2 + (qz) o1: q/2 is exact and the rounding of the small second term hardly counts, so qO
  // is rounded once, fused or not (with O rounded first, the maximum error over all inputs was 3 ulp)
  f.local.get(q);
  f.local.get(z);
  f.f32x4.mul();
  k32(f, o1 * sc);
  if (relaxed) {
    f.local.get(q);
    k32(f, sc / 2);
    f.f32x4.mul();
    f.f32x4.relaxed_madd();
  } else {
    f.f32x4.mul();
    f.local.get(q);
    k32(f, sc / 2);
    f.f32x4.mul();
    f.f32x4.add();
  }
  f.local.set(q); // qO
  f.local.get(v);
  f.local.get(q);
  f.f32x4.add();
  f.local.tee(d); // D
  f.local.get(v);
  f.local.get(q);
  f.f32x4.sub(); // N
  f.local.get(t);
  f.i32.const(23);
  f.i32x4.shl(); // k << 23: the magic's bits shift out
  f.i32x4.add(); // 2^k N
  f.local.get(d);
  f.f32x4.add();
  f.f32x4.div();
}

/**
 * [] -> [ln x f32x4] for the f32x4 local x, in float32 lanes. x = 2^e m, m in [sqrt(1/2), sqrt 2)
 * by integer arithmetic on the bits (a subnormal x is first scaled by 2^31, exact), f = m - 1
 * (exact), ln m = f - s (f - z R(z)) (lnMantissa: f is exact and the rest is small, so ln m
 * is good to ~0.6 ulp even for f near 0); then + e ln2 with a two-part ln2 (e LN2_HI is exact).
 * Lanes that are not positive finite get the IEEE values: -inf for ±0, +inf for +inf, NaN for
 * negatives and NaN. Within 1 ulp over all float32 inputs (checked exhaustively, plain and relaxed).
 */
function logF32(f: FunctionBuilder, x: Local, relaxed: boolean): void {
  const xs = f.addLocal('v128');
  const sub = f.addLocal('v128');
  const e = f.addLocal('v128');
  const m = f.addLocal('v128');
  const s = f.addLocal('v128');
  const z = f.addLocal('v128');
  const h = f.addLocal('v128');
  // subnormal x: scaled by 2^31, and the exponent takes 31 off: the mask >>> 27, no constant
  f.local.get(x);
  k32(f, 2 ** 31);
  f.f32x4.mul();
  f.local.get(x);
  cmp32(f, x, 2 ** -126, 'lt');
  f.local.tee(sub);
  f.v128.bitselect();
  f.local.tee(xs);
  ki32(f, LOG32_SPLIT);
  f.i32x4.sub();
  f.i32.const(23);
  f.i32x4.shr_s();
  f.local.tee(e);
  f.local.get(sub);
  f.i32.const(27);
  f.i32x4.shr_u();
  f.i32x4.sub();
  f.f32x4.convert_i32x4_s();
  f.local.get(xs);
  f.local.get(e);
  f.i32.const(23);
  f.i32x4.shl();
  f.i32x4.sub();
  f.local.tee(s); // m, for lnMantissa
  k32(f, 1);
  f.f32x4.sub();
  f.local.set(m); // f
  f.local.set(e); // e as float32
  lnMantissa(f, { m, s, z }, relaxed);
  logAddExponent(f, e, h, relaxed);
  // specials: y = x, or NaN where x is negative; -inf where x is ±0; only where not positive finite
  k32(f, -Infinity);
  f.local.get(x);
  f.local.get(x);
  f.i32.const(31);
  f.i32x4.shr_s();
  f.v128.or();
  cmp32(f, x, 0, 'eq');
  f.v128.bitselect();
  f.local.get(x);
  ki32(f, 1);
  f.i32x4.sub();
  ki32(f, 0x7f7fffff);
  f.i32x4.lt_u(); // 0 < bits(x) < bits(inf)
  f.v128.bitselect();
}

/**
 * [] -> [ln(1 + x) f32x4] for the f32x4 local x, in float32 lanes: u = 1 + x rounded, then
 * ln u - c/u with c = (u - 1) - x the rounding error of u (exact where it matters: u - 1 is exact
 * for u <= 2, and above that c/u is below 2^-24 against a result over 0.69). ln u as in logF32
 * (u >= 2^-24 is never subnormal), with c/u folded into the small part of ln m: for |x| < 2^-25
 * that makes the answer x itself. Specials as logSpecials. Within 1 ulp over all float32 inputs.
 */
function log1pF32(f: FunctionBuilder, x: Local, relaxed: boolean): void {
  const u = f.addLocal('v128');
  const c = f.addLocal('v128');
  const e = f.addLocal('v128');
  const m = f.addLocal('v128');
  const s = f.addLocal('v128');
  const z = f.addLocal('v128');
  const h = f.addLocal('v128');
  f.local.get(x);
  k32(f, 1);
  f.f32x4.add();
  f.local.tee(u);
  k32(f, 1);
  f.f32x4.sub();
  f.local.get(x);
  f.f32x4.sub();
  f.local.get(u);
  f.f32x4.div();
  f.local.set(c);
  f.local.get(u);
  ki32(f, LOG32_SPLIT);
  f.i32x4.sub();
  f.i32.const(23);
  f.i32x4.shr_s();
  f.local.tee(e);
  f.f32x4.convert_i32x4_s();
  f.local.get(u);
  f.local.get(e);
  f.i32.const(23);
  f.i32x4.shl();
  f.i32x4.sub();
  f.local.tee(s); // m, for lnMantissa
  k32(f, 1);
  f.f32x4.sub();
  f.local.set(m); // f
  f.local.set(e); // e as float32
  lnMantissa(f, { m, s, z, c }, relaxed);
  logAddExponent(f, e, h, relaxed);
  logSpecials(f, x, -1, true);
}

/**
 * [] -> [ln(1 + f) - c] for f = m - 1 in local m (f in [sqrt(1/2) - 1, sqrt 2 - 1]) and a small c
 * (local, or none), subtracted before the final rounding; local s holds m on entry.
 * ln(1 + f) = 2s + s z R(z) = f - s (f - z R(z)) with s = f / (2 + f), z = s^2. The roundings of
 * 2 + f and of the division (~2^-23 of s) only reach the result through s (f - zR) ~ f^2/2, i.e.
 * scaled by f/2 <= 0.21 against ln(1 + f).
 */
function lnMantissa(f: FunctionBuilder, l: { m: Local; s: Local; z: Local; c?: Local }, relaxed: boolean): void {
  f.local.get(l.m);
  f.local.get(l.m);
  f.local.get(l.s);
  k32(f, 1);
  f.f32x4.add(); // m + 1 = f + 2 (one constant fewer)
  f.f32x4.div();
  f.local.tee(l.s);
  f.local.get(l.s);
  f.f32x4.mul();
  f.local.set(l.z);
  f.local.get(l.m);
  k32(f, LOG32_R[LOG32_R.length - 1]!);
  for (let i = LOG32_R.length - 2; i >= 0; i--) madd32(f, l.z, LOG32_R[i]!, relaxed);
  f.local.get(l.z);
  f.f32x4.mul();
  f.f32x4.sub(); // f - zR
  f.local.get(l.s);
  f.f32x4.mul();
  if (l.c) {
    f.local.get(l.c);
    f.f32x4.add();
  }
  f.f32x4.sub();
}

/** [ln m] -> [ln m + e ln2] for the exponent e (f32x4 local), ln2 in two parts so e LN2_HI is exact. */
function logAddExponent(f: FunctionBuilder, e: Local, tmp: Local, relaxed: boolean): void {
  f.local.set(tmp);
  for (const c of [EXP32_LN2_LO, EXP32_LN2_HI]) {
    f.local.get(e);
    k32(f, c);
    if (relaxed) {
      f.local.get(tmp);
      f.f32x4.relaxed_madd();
    } else {
      f.f32x4.mul();
      f.local.get(tmp);
      f.f32x4.add();
    }
    if (c === EXP32_LN2_LO) f.local.set(tmp);
  }
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
 * [x] -> [2^k, e^r - 1] with x = k ln2 + r, |r| <= ln2/2, after clamping x to [EXP_LO, EXP_HI]
 * (or, base2, x = k + r/ln2 within [EXP2_LO, EXP2_HI]). k comes from the 1.5*2^52 rounding trick,
 * so its integer is already in the low word of t, and 2^k is built by moving (k + 1023) << 20 into
 * the high word. k*ln2 with a one-part ln2 is off by at most 150 * 2^-54, far below the 2^-30 we need.
 */
function expParts(f: FunctionBuilder, l: ExpLocals, relaxed: boolean, base2 = false): void {
  // pmax/pmin (x < c ? c : x) are one instruction each and keep a NaN x; max/min are not
  k64(f, base2 ? EXP2_LO : EXP_LO);
  f.f64x2.pmax();
  k64(f, base2 ? EXP2_HI : EXP_HI);
  f.f64x2.pmin();
  f.local.tee(l.x);
  if (base2) {
    // 2^x: k = round(x) and r = (x - k) ln2, with x - k exact, so 2^integer comes out exact
    k64(f, MAGIC);
    f.f64x2.add();
    f.local.tee(l.t);
    k64(f, MAGIC);
    f.f64x2.sub();
    f.f64x2.neg();
    f.local.get(l.x);
    f.f64x2.add();
    k64(f, LN2);
    f.f64x2.mul();
  } else {
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

/** [x] -> [2^x] (pow's float64 core). */
function exp2Core(f: FunctionBuilder, l: ExpLocals, relaxed: boolean): void {
  expParts(f, l, relaxed, true);
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
 * [x] -> [log2 x] for positive finite x (pow's float64 core): x = 2^e m with m in [sqrt(1/2), sqrt 2)
 * by integer arithmetic on the high words, then ln m = s (2 + z R(z)) with s = (m-1)/(m+1) (m - 1 is
 * exact), and log2 x = e + (ln m) / ln2 (exact for powers of two).
 * Garbage (never a trap) for other inputs; callers patch those lanes.
 */
function log2Core(f: FunctionBuilder, l: LogLocals, relaxed: boolean): void {
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
  k64(f, INV_LN2);
  f.f64x2.mul();
  f.local.get(l.e);
  f.local.get(l.e);
  f.i8x16.shuffle(I32_ODD_TO_LOW);
  f.f64x2.convert_low_i32x4_s();
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
  queue: Local[];
  n: Local;
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
      // The pieces wait in a queue of four locals, two per v128, and a loop takes one per trip: seven
      // unrolled trips would cost ~1 KB of code for a path that only huge arguments take.
      for (let i = 0; i < 4; i++) {
        f.v128.const(f64Pair(TWO_OVER_PI_28[2 * i] ?? 0, TWO_OVER_PI_28[2 * i + 1] ?? 0));
        f.local.set(l.queue[i]!);
      }
      f.i32.const(TWO_OVER_PI_28.length);
      f.local.set(l.n);
      f.loop((top) => {
        f.local.get(l.a);
        f.local.get(l.queue[0]!);
        f.local.get(l.queue[0]!);
        f.i8x16.shuffle([...range(0, 8), ...range(0, 8)]);
        f.f64x2.mul();
        f.local.set(l.y);
        mod4(f, l.y, relaxed);
        f.local.tee(l.z);
        f.local.get(l.hi);
        f.f64x2.add();
        f.local.tee(l.y); // s = hi + z
        f.local.get(l.hi);
        f.f64x2.sub();
        f.local.set(l.r); // bb = s - hi
        // TwoSum error: (hi - (s - bb)) + (z - bb)
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
        for (let i = 0; i < 4; i++) {
          f.local.get(l.queue[i]!);
          f.local.get(l.queue[Math.min(i + 1, 3)]!);
          f.i8x16.shuffle([...range(8, 8), ...range(16, 8)]);
          f.local.set(l.queue[i]!);
        }
        f.local.get(l.n);
        f.i32.const(1);
        f.i32.sub();
        f.local.tee(l.n);
        f.brIf(top);
      });
      f.local.get(l.hi);
      f.f64x2.nearest();
      f.local.set(l.q);
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
        f.local.set(l.r);
        f.local.get(l.q);
        k64(f, -p);
        if (relaxed) {
          f.local.get(l.r);
          f.f64x2.relaxed_madd();
        } else {
          f.f64x2.mul();
          f.local.get(l.r);
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
  f.local.tee(l.y);
  f.local.get(l.y);
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
 * [y] -> y on lanes with lo < x < inf (and x != 0 if `zeroToo`), else the IEEE special value of log
 * (lo = 0) or log1p (lo = -1): -inf at lo, NaN below it, x itself for +inf and NaN, and for log1p ±0
 * itself (log1p(-0) = -0, which the core would round to +0).
 */
function logSpecials(f: FunctionBuilder, x: Local, lo: number, zeroToo: boolean): void {
  k32(f, NaN);
  k32(f, -Infinity);
  f.local.get(x);
  cmp32(f, x, lo, 'eq');
  f.v128.bitselect();
  cmp32(f, x, lo, 'lt');
  f.v128.bitselect();
  cmp32(f, x, lo, 'gt');
  cmp32(f, x, Infinity, 'lt');
  f.v128.and();
  if (zeroToo) {
    cmp32(f, x, 0, 'ne');
    f.v128.and();
  }
  f.v128.bitselect();
}

/** Consumes one f32x4 (v128) from the operand stack and leaves op(x) lane-wise (float32). */
export function emitMath(f: FunctionBuilder, op: MathOp, relaxed: boolean): void {
  const x = f.addLocal('v128');
  f.local.set(x);
  switch (op) {
    case 'exp': {
      f.local.get(x);
      expF32(f, { x: f.addLocal('v128'), t: f.addLocal('v128'), k: f.addLocal('v128'), r: f.addLocal('v128') }, relaxed);
      return;
    }
    case 'expm1': {
      const l = expLocals(f);
      perHalf(f, [x], false, () => expm1Core(f, l, relaxed));
      // expm1(-0) = -0; the core's (2^k - 1) + ... rounds it to +0
      f.local.get(x);
      cmp32(f, x, 0, 'ne');
      f.v128.bitselect();
      return;
    }
    case 'sigmoid': {
      sigmoidF32(f, x, relaxed);
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
      if (op === 'log') logF32(f, x, relaxed);
      else log1pF32(f, x, relaxed);
      return;
    }
    case 'sin':
    case 'cos': {
      const l: TrigLocals = {
        a: f.addLocal('v128'), r: f.addLocal('v128'), q: f.addLocal('v128'), hi: f.addLocal('v128'),
        lo: f.addLocal('v128'), y: f.addLocal('v128'), z: f.addLocal('v128'),
        queue: [0, 1, 2, 3].map(() => f.addLocal('v128')), n: f.addLocal('i32'),
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

/**
 * Consumes base then exponent (two f32x4, base pushed first), leaves Math.pow(base, exponent)
 * lane-wise in float32 (JS special cases).
 *
 * |a|^b = 2^(b log2|a|) in float64: log2|a| is good to 2^-44 relative, so b log2|a| (at most ~150 in
 * magnitude where the result is neither 0 nor inf in float32) is off by < 2^-36 and the exp core
 * then adds its 2^-31. Base 2 rather than e keeps exact cases exact: log2 of a power of two is its
 * integer exponent, b times it is exact, and 2^integer has r = 0 (pow(2, -150) is the tie 2^-150,
 * which must round to 0). log2 0 = -inf and log2 inf = inf are patched in before the product, so
 * the zero, infinite and overflow cases fall out of exp's clamp, and 0 * inf = NaN gives
 * pow(±1, ±inf) = NaN as JS has it. The sign (negative base, odd integer exponent), NaN (negative
 * finite base, non-integer exponent; NaN base) and exponent ±0 are fixed on the four float32 lanes
 * at the end.
 */
export function emitPow(f: FunctionBuilder, relaxed: boolean): void {
  const b = f.addLocal('v128');
  const a = f.addLocal('v128');
  f.local.set(b);
  f.local.set(a);
  const ll = logLocals(f);
  const el = expLocals(f);
  const bd = f.addLocal('v128');
  const ad = f.addLocal('v128');
  const t = f.addLocal('v128');
  perHalf(f, [a, b], POW_LOOPED, () => {
    f.local.set(bd);
    f.f64x2.abs();
    f.local.tee(ad);
    log2Core(f, ll, relaxed);
    for (const v of [0, Infinity]) {
      f.local.set(t);
      k64(f, v === 0 ? -Infinity : Infinity);
      f.local.get(t);
      f.local.get(ad);
      k64(f, v);
      f.f64x2.eq();
      f.v128.bitselect();
    }
    f.local.get(bd);
    f.f64x2.mul();
    exp2Core(f, el, relaxed);
  });
  // odd integer exponent: trunc(b) == b and trunc(b/2) != b/2 (b/2 is exact where it matters)
  const isInt = f.addLocal('v128');
  f.local.get(a);
  f.local.get(b);
  f.f32x4.trunc();
  f.local.get(b);
  f.f32x4.eq();
  f.local.tee(isInt);
  f.local.get(b);
  k32(f, 0.5);
  f.f32x4.mul();
  f.local.tee(t);
  f.f32x4.trunc();
  f.local.get(t);
  f.f32x4.ne();
  f.v128.and();
  f.v128.and();
  ki32(f, SIGN32);
  f.v128.and();
  f.v128.or(); // base's sign onto the result for odd exponents
  // NaN lanes, set to all-ones (a NaN): negative finite base with a non-integer exponent, NaN base
  cmp32(f, a, 0, 'lt');
  cmp32(f, a, -Infinity, 'gt');
  f.v128.and();
  f.local.get(isInt);
  f.v128.andnot();
  f.local.get(a);
  f.local.get(a);
  f.f32x4.ne();
  f.v128.or();
  f.v128.or();
  // pow(x, ±0) = 1, even for NaN x
  k32(f, 1);
  cmp32(f, b, 0, 'ne');
  f.v128.bitselect();
}
