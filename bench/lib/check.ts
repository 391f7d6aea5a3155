/** Cross-library correctness: every column's first results against a reference column. */
import type { Outputs } from './types.js';

/** Host copies, so later iterations (in-place updates, reused buffers) cannot change them. */
export function snapshot(outputs: Outputs): Float64Array[] {
  return outputs.map((o) => Float64Array.from(o));
}

/**
 * max |a − ref| / max |ref| over all outputs, each output normalised by its own
 * magnitude; Infinity on a shape mismatch or a NaN/∞ where the reference is finite.
 */
export function maxRelError(got: readonly Float64Array[], ref: readonly Float64Array[]): number {
  if (got.length !== ref.length) return Infinity;
  let worst = 0;
  for (let k = 0; k < ref.length; k++) {
    const a = got[k]!;
    const b = ref[k]!;
    if (a.length !== b.length) return Infinity;
    let scale = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
    scale = Math.max(scale, 1e-30);
    for (let i = 0; i < b.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (Number.isNaN(d) || d === Infinity) {
        if (Number.isFinite(b[i]!) || !Object.is(a[i], b[i])) return Infinity;
        continue;
      }
      worst = Math.max(worst, d / scale);
    }
  }
  return worst;
}
