/** Minibatches: a seeded shuffle per epoch, and copying the chosen rows out. */
import type { SeededRandom } from './rng.js';

/** Example indices for one epoch, shuffled, in batches of `batchSize` (the last may be smaller). */
export function shuffledBatches(numExamples: number, batchSize: number, rng: SeededRandom): Int32Array[] {
  const order = rng.permutation(numExamples);
  const out: Int32Array[] = [];
  for (let start = 0; start < numExamples; start += batchSize) out.push(Int32Array.from(order.slice(start, start + batchSize)));
  return out;
}

/** Rows `indices` of a row-major [n, rowLength] array, as a new [indices.length, rowLength] array. */
export function takeRows<A extends Float32Array | Int32Array>(data: A, rowLength: number, indices: ArrayLike<number>): A {
  const out = new (data.constructor as { new (n: number): A })(indices.length * rowLength);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * rowLength;
    out.set(data.subarray(src, src + rowLength), i * rowLength);
  }
  return out;
}
