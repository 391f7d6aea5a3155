/**
 * mulberry32: a small, fast seeded generator of uniform numbers in [0, 1). The same
 * seed always gives the same stream, so it is the one to draw reproducible test (and
 * benchmark) data from. The seed is taken as an unsigned 32-bit integer (`seed >>> 0`).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A private seeded generator for projection vectors: mulberry32 with the seed mixed
 * (`floor(seed) ^ 0x6d2b79f5`) first. The checks must not draw from tsgrad's global
 * generator: that would shift the user's `manualSeed` stream and make a test's outcome
 * depend on whether a gradcheck ran before it.
 */
export function seededUniform(seed: number): () => number {
  return mulberry32(Math.floor(seed) ^ 0x6d2b79f5);
}

/**
 * `n` weights with magnitude in [0.5, 1.5) and a random sign: every output element
 * contributes to the projection with a weight that is neither tiny nor shared, so an
 * error in any Jacobian entry changes the projected gradient.
 */
export function projectionWeights(n: number, next: () => number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = 0.5 + next();
    v[i] = next() < 0.5 ? -m : m;
  }
  return v;
}
