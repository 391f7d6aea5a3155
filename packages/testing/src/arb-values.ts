import fc from 'fast-check';
import { ValueError, type DType } from '@tsgrad/tensor';

/** The range of generated element values. */
export interface ValueOptions {
  /** Smallest value (default −3). */
  min?: number;
  /** Largest value (default 3). */
  max?: number;
  /**
   * Keep |x| ≥ minAbs (default 0): stay clear of a kink at 0 (abs, relu, sign) or of
   * a pole (log, reciprocal) when gradchecking.
   */
  minAbs?: number;
  /**
   * Make every element distinct, at least (length of the allowed range)/(2·numel)
   * apart (default false): no ties for max/min/maximum/minimum, whose gradients split
   * at ties and so are not differentiable there.
   */
  distinct?: boolean;
}

type Segment = readonly [number, number];

function segmentsOf(op: string, o: ValueOptions): { segs: Segment[]; min: number; max: number } {
  const min = o.min ?? -3;
  const max = o.max ?? 3;
  const minAbs = o.minAbs ?? 0;
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new ValueError(`${op}: options 'min' and 'max' expected finite numbers, got ${min} and ${max}`);
  if (min > max) throw new ValueError(`${op}: option 'min' (${min}) exceeds 'max' (${max})`);
  if (!(minAbs >= 0)) throw new ValueError(`${op}: option 'minAbs' expected a non-negative number, got ${o.minAbs}`);
  const segs: Segment[] = [];
  if (minAbs === 0) segs.push([min, max]);
  else {
    if (min <= -minAbs) segs.push([min, Math.min(max, -minAbs)]);
    if (max >= minAbs) segs.push([Math.max(min, minAbs), max]);
  }
  if (segs.length === 0) throw new ValueError(`${op}: no value in [${min}, ${max}] has |x| >= minAbs ${minAbs}`);
  return { segs, min, max };
}

/** Maps p ∈ [0, 1) linearly onto the union of the segments (a piecewise isometry). */
function placeFloat(segs: readonly Segment[], p: number): number {
  const total = segs.reduce((a, [lo, hi]) => a + (hi - lo), 0);
  let t = p * total;
  for (const [lo, hi] of segs) {
    if (t <= hi - lo) return lo + t;
    t -= hi - lo;
  }
  return segs[segs.length - 1]![1];
}

/** Integers in the segments, as an index → value map and a count. */
function intDomain(segs: readonly Segment[]): { count: number; at: (k: number) => number } {
  const ranges = segs.map(([lo, hi]) => [Math.ceil(lo), Math.floor(hi)] as const).filter(([a, b]) => a <= b);
  const count = ranges.reduce((a, [lo, hi]) => a + (hi - lo + 1), 0);
  return {
    count,
    at: (k) => {
      for (const [lo, hi] of ranges) {
        if (k <= hi - lo) return lo + k;
        k -= hi - lo + 1;
      }
      return ranges[ranges.length - 1]![1];
    },
  };
}

/**
 * Uniform in [0, 1), centred: fast-check's default bias would pile values onto the
 * range's ends (ties, and exactly the bounds), and shrinking moves towards the middle
 * of the range rather than onto its lower end.
 */
const unit = fc.noBias(fc.integer({ min: 0, max: 2 ** 31 - 1 })).map((k) => ((k / 2 ** 31) + 0.5) % 1);

/** `n` element values of `dtype` (bool as 0/1) honouring the range options. */
export function arbValues(op: string, n: number, dtype: DType, o: ValueOptions = {}): fc.Arbitrary<number[]> {
  if (dtype === 'bool') {
    if (o.distinct && n > 2) throw new ValueError(`${op}: cannot draw ${n} distinct bool values`);
    return o.distinct
      ? fc.shuffledSubarray([0, 1], { minLength: n, maxLength: n })
      : fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((b) => b.map(Number));
  }
  const { segs } = segmentsOf(op, o);
  if (dtype === 'int32') {
    const dom = intDomain(segs);
    if (dom.count === 0) throw new ValueError(`${op}: no int32 value satisfies the range options`);
    if (o.distinct) {
      if (dom.count < n) throw new ValueError(`${op}: cannot draw ${n} distinct int32 values from only ${dom.count} allowed ones`);
      return fc.uniqueArray(fc.integer({ min: 0, max: dom.count - 1 }), { minLength: n, maxLength: n }).map((ks) => ks.map(dom.at));
    }
    return fc.array(fc.integer({ min: 0, max: dom.count - 1 }), { minLength: n, maxLength: n }).map((ks) => ks.map(dom.at));
  }
  if (o.distinct) {
    const total = segs.reduce((a, [lo, hi]) => a + (hi - lo), 0);
    if (n > 1 && total === 0) throw new ValueError(`${op}: cannot draw ${n} distinct values from a single point`);
    // Slot k of n for each element (a permutation) plus jitter inside the middle half
    // of its slot: neighbours are always at least half a slot apart.
    const slots = Array.from({ length: n }, (_, i) => i);
    return fc
      .tuple(fc.shuffledSubarray(slots, { minLength: n, maxLength: n }), fc.array(unit, { minLength: n, maxLength: n }))
      .map(([perm, jitter]) => perm.map((k, i) => placeFloat(segs, (k + 0.25 + 0.5 * jitter[i]!) / n)));
  }
  return fc.array(unit, { minLength: n, maxLength: n }).map((ps) => ps.map((p) => placeFloat(segs, p)));
}
