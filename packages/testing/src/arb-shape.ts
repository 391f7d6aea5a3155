import fc from 'fast-check';
import { ValueError } from '@tsgrad/tensor';

/** Bounds for generated shapes. Defaults keep gradchecks fast: rank ≤ 4, dims ≤ 4, ≤ 64 elements. */
export interface ShapeOptions {
  /** Fewest dims (default 0, i.e. scalars included). */
  minRank?: number;
  /** Most dims (default 4). */
  maxRank?: number;
  /** Smallest dim size (default 1; 0 allows empty tensors). */
  minSize?: number;
  /** Largest dim size (default 4). */
  maxSize?: number;
  /** Most elements in total (default 64): larger draws have their biggest dims shrunk. */
  maxNumel?: number;
}

interface ResolvedShape {
  minRank: number;
  maxRank: number;
  minSize: number;
  maxSize: number;
  maxNumel: number;
}

function nonNegInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ValueError(`${op}: option '${name}' expected a non-negative integer, got ${v}`);
}

export function resolveShapeOptions(op: string, o: ShapeOptions = {}): ResolvedShape {
  const r = { minRank: o.minRank ?? 0, maxRank: o.maxRank ?? 4, minSize: o.minSize ?? 1, maxSize: o.maxSize ?? 4, maxNumel: o.maxNumel ?? 64 };
  nonNegInt(op, 'minRank', r.minRank);
  nonNegInt(op, 'maxRank', r.maxRank);
  nonNegInt(op, 'minSize', r.minSize);
  nonNegInt(op, 'maxSize', r.maxSize);
  if (r.minRank > r.maxRank) throw new ValueError(`${op}: option 'minRank' (${r.minRank}) exceeds 'maxRank' (${r.maxRank})`);
  if (r.minSize > r.maxSize) throw new ValueError(`${op}: option 'minSize' (${r.minSize}) exceeds 'maxSize' (${r.maxSize})`);
  if (!(r.maxNumel >= 0)) throw new ValueError(`${op}: option 'maxNumel' expected a non-negative number, got ${o.maxNumel}`);
  if (r.minSize ** r.minRank > r.maxNumel) {
    throw new ValueError(`${op}: no shape satisfies minSize ${r.minSize}, minRank ${r.minRank} and maxNumel ${r.maxNumel}`);
  }
  return r;
}

/** Shrinks the largest dims (never below minSize) until the shape has at most maxNumel elements. */
function capNumel(shape: number[], minSize: number, maxNumel: number): number[] {
  const s = [...shape];
  let n = s.reduce((a, b) => a * b, 1);
  while (n > maxNumel) {
    let at = 0;
    for (let i = 1; i < s.length; i++) if (s[i]! > s[at]!) at = i;
    if (s[at]! <= minSize) break;
    s[at]!--;
    n = s.reduce((a, b) => a * b, 1);
  }
  return s;
}

/**
 * Tensor shapes: arrays of dim sizes within the given bounds.
 *
 * @example fc.assert(fc.property(arbShape({ minRank: 1 }), (shape) => shape.length >= 1));
 */
export function arbShape(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const r = resolveShapeOptions('arbShape', opts);
  return fc
    .array(fc.integer({ min: r.minSize, max: r.maxSize }), { minLength: r.minRank, maxLength: r.maxRank })
    .map((s) => capNumel(s, r.minSize, r.maxNumel));
}

/**
 * `n` mutually broadcastable shapes. A common result shape is drawn first; each
 * operand then keeps a suffix of its dims (rank differences) and turns some of them
 * into 1 (size-1 broadcasting), so every NumPy broadcasting case is reachable.
 *
 * @example arbBroadcastShapes(2).map(([a, b]) => [a, b]) // e.g. [[3, 1], [2, 1, 4]]
 */
export function arbBroadcastShapes(n: number, opts: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`arbBroadcastShapes: argument 'n' expected a positive integer, got ${n}`);
  return arbShape(opts).chain((out) => {
    const operand = fc
      .record({
        drop: fc.integer({ min: 0, max: out.length }),
        ones: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      })
      .map(({ drop, ones }) => out.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d)));
    return fc.tuple(...Array.from({ length: n }, () => operand));
  });
}

/** A valid dim of a rank-`rank` tensor, negative forms (−rank…−1) included unless `allowNegative` is false. */
export function arbDim(rank: number, opts: { allowNegative?: boolean } = {}): fc.Arbitrary<number> {
  if (!Number.isInteger(rank) || rank < 1) throw new ValueError(`arbDim: argument 'rank' expected a positive integer, got ${rank}`);
  return fc.integer({ min: opts.allowNegative === false ? 0 : -rank, max: rank - 1 });
}

/**
 * A non-empty set of distinct dims of a rank-`rank` tensor (sorted, non-negative), for
 * reductions over several dims at once.
 */
export function arbDims(rank: number, opts: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<number[]> {
  if (!Number.isInteger(rank) || rank < 1) throw new ValueError(`arbDims: argument 'rank' expected a positive integer, got ${rank}`);
  const all = Array.from({ length: rank }, (_, i) => i);
  return fc
    .subarray(all, { minLength: Math.min(rank, opts.minLength ?? 1), maxLength: Math.min(rank, opts.maxLength ?? rank) })
    .map((d) => [...d].sort((a, b) => a - b));
}
