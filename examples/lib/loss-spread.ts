/**
 * Where a detection loss comes from: the share of the summed per-element loss
 * contributed by positives, by negatives the model already finds easy (p < 0.1), and
 * by the remaining negatives. This is the quantity behind RetinaNet's argument: with
 * plain BCE the sheer number of easy negatives dominates the total.
 */
export const EASY_NEGATIVE_P = 0.1;

export interface LossSpread {
  readonly totalLoss: number;
  readonly positives: number;
  readonly easyNegatives: number;
  readonly otherNegatives: number;
  readonly shareFromPositives: number;
  readonly shareFromEasyNegatives: number;
  readonly shareFromOtherNegatives: number;
  /** Mean loss of one positive pair divided by mean loss of one easy negative pair. */
  readonly positiveToEasyNegativeRatio: number;
}

/** `losses`, `probabilities` and `targets` are per anchor-class pair, same length. */
export function lossSpread(losses: ArrayLike<number>, probabilities: ArrayLike<number>, targets: ArrayLike<number>): LossSpread {
  let pos = 0, easy = 0, other = 0, nPos = 0, nEasy = 0, nOther = 0;
  for (let i = 0; i < losses.length; i++) {
    const l = losses[i]!;
    if (targets[i]! > 0.5) { pos += l; nPos++; }
    else if (probabilities[i]! < EASY_NEGATIVE_P) { easy += l; nEasy++; }
    else { other += l; nOther++; }
  }
  const total = pos + easy + other;
  const share = (v: number) => (total > 0 ? v / total : 0);
  return {
    totalLoss: total,
    positives: nPos,
    easyNegatives: nEasy,
    otherNegatives: nOther,
    shareFromPositives: share(pos),
    shareFromEasyNegatives: share(easy),
    shareFromOtherNegatives: share(other),
    positiveToEasyNegativeRatio: nPos && nEasy && easy > 0 ? pos / nPos / (easy / nEasy) : Number.NaN,
  };
}
