/**
 * The global generator behind rand/randn/randint, dropout and init: xoshiro128**
 * seeded through splitmix32, so `manualSeed(n)` gives the same stream on every
 * platform and run.
 */
import { checked, int } from './validate/index.js';

let s0 = 0, s1 = 0, s2 = 0, s3 = 0;

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Seeds the global generator (like `torch.manual_seed`). The seed is any safe integer
 * (negative ones included); NaN, ±Infinity and fractions are a ValueError, never
 * silently seed 0.
 */
export const manualSeed = checked('manualSeed', [['seed', int()]], manualSeedImpl);

function manualSeedImpl(seed: number): void {
  // Both 32-bit words of the seed count: folding them with a plain xor made 2**32 + 1
  // collide with 0 and -5 with 4. Seeds in [0, 2**32) keep their original stream.
  const s = Math.floor(seed);
  const hi = Math.floor(s / 2 ** 32) >>> 0;
  const sm = splitmix32(s >>> 0);
  s0 = sm(); s1 = sm(); s2 = sm(); s3 = sm();
  if (hi !== 0) {
    const sh = splitmix32(hi ^ 0x5bd1e995);
    s0 ^= sh(); s1 ^= sh(); s2 ^= sh(); s3 ^= sh();
  }
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
}

manualSeedImpl(Date.now() % 2 ** 31);

/** Next 32 random bits as an unsigned integer. */
export function nextUint32(): number {
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  return result;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Uniform in [0, 1) with 53 random bits (exactly representable, never 1). */
export function nextFloat64(): number {
  return ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992;
}

/** Uniform in [0, 1) with 24 random bits: still < 1 after rounding to float32. */
export function nextFloat32(): number {
  return (nextUint32() >>> 8) / 16777216;
}

/** Standard normal by Box–Muller (one value per call; the pair's twin is discarded for simplicity of state). */
export function nextNormal(): number {
  let u = 0;
  while (u === 0) u = nextFloat64();
  const v = nextFloat64();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Uniform integer in [low, high). */
export function nextInt(low: number, high: number): number {
  return low + Math.floor(nextFloat64() * (high - low));
}
