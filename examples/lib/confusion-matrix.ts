/**
 * Confusion matrix: `matrix[t][p]` counts examples of true class t predicted as p.
 * Rows are the truth, as in sklearn.metrics.confusion_matrix.
 */
export type ConfusionMatrix = number[][];

export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): ConfusionMatrix {
  if (truth.length !== predicted.length) {
    throw new RangeError(`confusionMatrix: truth has ${truth.length} labels, predicted has ${predicted.length}`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!, p = predicted[i]!;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(`confusionMatrix: label out of range at ${i}: truth ${t}, predicted ${p}, classes ${numClasses}`);
    }
    m[t]![p]!++;
  }
  return m;
}
