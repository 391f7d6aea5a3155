/**
 * Deterministic host inputs shared by every column, so all libraries see the same
 * numbers and the correctness check can compare their outputs.
 */
import { mulberry32 } from '@tsgrad/testing';

const cache = new Map<string, Float32Array | Int32Array>();

function cached<T extends Float32Array | Int32Array>(key: string, make: () => T): T {
  let v = cache.get(key);
  if (!v) {
    v = make();
    cache.set(key, v);
  }
  return v as T;
}

/** Standard normal samples times `scale` (Box–Muller). Cached by (n, seed, scale). */
export function normal(n: number, seed: number, scale = 1): Float32Array {
  return cached(`normal:${n}:${seed}:${scale}`, () => {
    const r = mulberry32(seed);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = 1 - r();
      const v = r();
      const m = Math.sqrt(-2 * Math.log(u)) * scale;
      out[i] = m * Math.cos(2 * Math.PI * v);
      if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
    }
    return out;
  });
}

/** Uniform integers in [0, high). */
export function labels(n: number, high: number, seed: number): Int32Array {
  return cached(`labels:${n}:${high}:${seed}`, () => {
    const r = mulberry32(seed);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(r() * high);
    return out;
  });
}

/** Row-major one-hot float32 matrix [n, classes] (tfjs' softmaxCrossEntropy wants it). */
export function oneHot(target: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(target.length * classes);
  for (let i = 0; i < target.length; i++) out[i * classes + target[i]!] = 1;
  return out;
}
