/**
 * Average precision of a ranking, as sklearn.metrics.average_precision_score:
 * AP = Σ_k (R_k − R_{k−1}) · P_k over the distinct score thresholds, highest first,
 * with tied scores entering together (so a constant scorer gets AP = positive rate).
 * NaN when there are no positives.
 */
export function averagePrecision(scores: ArrayLike<number>, isPositive: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (isPositive.length !== n) throw new RangeError(`averagePrecision: ${n} scores but ${isPositive.length} labels`);
  let positives = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) positives++;
  if (positives === 0) return Number.NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0, seen = 0, ap = 0, prevRecall = 0;
  for (let k = 0; k < n; ) {
    const threshold = scores[order[k]!]!;
    while (k < n && scores[order[k]!]! === threshold) {
      if (isPositive[order[k]!]) tp++;
      seen++;
      k++;
    }
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / seen);
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
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (isPositive[i]) positives++;
  if (positives === 0) return [];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const curve: { recall: number; precision: number }[] = [];
  let tp = 0, seen = 0, lastTp = 0;
  for (let k = 0; k < n; ) {
    const threshold = scores[order[k]!]!;
    while (k < n && scores[order[k]!]! === threshold) {
      if (isPositive[order[k]!]) tp++;
      seen++;
      k++;
    }
    // Only thresholds that admit a positive change the curve's shape.
    if (tp > lastTp) curve.push({ recall: tp / positives, precision: tp / seen });
    lastTp = tp;
    if (tp === positives) break;
  }
  if (curve.length <= maxPoints) return curve;
  const step = curve.length / maxPoints;
  const thinned = Array.from({ length: maxPoints }, (_, i) => curve[Math.floor(i * step)]!);
  thinned.push(curve[curve.length - 1]!);
  return thinned;
}
