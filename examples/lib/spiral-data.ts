/**
 * Points on K interleaved spiral arms in the plane (the CS231n toy problem): arm k
 * starts at angle 2πk/K and winds one turn outwards; radius r ∈ (0, 1], angle
 * jittered in proportion to r. Labels are the arm index.
 */
import type { SeededRandom } from './rng.js';

export interface SpiralSet {
  /** Row-major [n, 2]. */
  readonly x: Float32Array;
  readonly y: Int32Array;
}

/** `counts[k]` points on arm k, in arm order (shuffle afterwards if order matters). */
export function spiralPoints(counts: readonly number[], rng: SeededRandom, noise = 0.3, turns = 1): SpiralSet {
  const arms = counts.length;
  const n = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  let i = 0;
  counts.forEach((count, arm) => {
    for (let j = 0; j < count; j++, i++) {
      const r = 0.08 + 0.92 * rng.next();
      const angle = (2 * Math.PI * arm) / arms + 2 * Math.PI * turns * r + noise * r * rng.normal();
      x[2 * i] = r * Math.cos(angle);
      x[2 * i + 1] = r * Math.sin(angle);
      y[i] = arm;
    }
  });
  return { x, y };
}

/** The same rows in a seeded random order. */
export function shuffleSet(set: SpiralSet, rng: SeededRandom): SpiralSet {
  const order = rng.permutation(set.y.length);
  const x = new Float32Array(set.x.length);
  const y = new Int32Array(set.y.length);
  order.forEach((src, dst) => {
    x[2 * dst] = set.x[2 * src]!;
    x[2 * dst + 1] = set.x[2 * src + 1]!;
    y[dst] = set.y[src]!;
  });
  return { x, y };
}
