/**
 * The precision–recall points of a ranking: one point per distinct score threshold at
 * which recall rises, highest threshold first, with tied scores entering together.
 * Empty when there are no positives.
 */
function precisionRecallPoints(scores: ArrayLike<number>, isPositive: ArrayLike<number | boolean>): { recall: number; precision: number }[] {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) positives++;
  if (positives === 0) return [];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const points: { recall: number; precision: number }[] = [];
  let tp = 0, seen = 0, lastTp = 0;
  for (let k = 0; k < n; ) {
    const threshold = scores[order[k]!]!;
    while (k < n && scores[order[k]!]! === threshold) {
      if (isPositive[order[k]!]) tp++;
      seen++;
      k++;
    }
    // Only thresholds that admit a positive change recall (and so AP and the curve's shape).
    if (tp > lastTp) points.push({ recall: tp / positives, precision: tp / seen });
    lastTp = tp;
    if (tp === positives) break;
  }
  return points;
}

/**
 * Average precision of a ranking, as sklearn.metrics.average_precision_score:
 * AP = Σ_k (R_k − R_{k−1}) · P_k over the distinct score thresholds, highest first,
 * with tied scores entering together (so a constant scorer gets AP = positive rate).
 * NaN when there are no positives.
 */
export function averagePrecision(scores: ArrayLike<number>, isPositive: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (isPositive.length !== n) throw new RangeError(`averagePrecision: ${n} scores but ${isPositive.length} labels`);
  const points = precisionRecallPoints(scores, isPositive);
  if (points.length === 0) return Number.NaN;
  let ap = 0, prevRecall = 0;
  for (const { recall, precision } of points) {
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
  }
  return ap;
}

/**
 * The precision–recall curve behind `averagePrecision`: one point per threshold at
 * which recall rises (highest threshold first), thinned to at most `maxPoints`
 * points for plotting.
 */
export function precisionRecallCurve(scores: ArrayLike<number>, isPositive: ArrayLike<number | boolean>, maxPoints = 400): { recall: number; precision: number }[] {
  const curve = precisionRecallPoints(scores, isPositive);
  if (curve.length <= maxPoints) return curve;
  const step = curve.length / maxPoints;
  const thinned = Array.from({ length: maxPoints }, (_, i) => curve[Math.floor(i * step)]!);
  thinned.push(curve[curve.length - 1]!);
  return thinned;
}
