/**
 * Semantic-segmentation scores from a pixel confusion matrix (rows: truth, columns:
 * prediction): per-class intersection over union IoU_k = TP / (TP + FP + FN), their
 * mean (mIoU) over the classes that occur — in the truth or in the predictions, as the
 * usual benchmark code does: a class with an empty union has no IoU (NaN) and is left
 * out of the mean —, pixel accuracy, and per-class recall.
 */
import { confusionMatrix, type ConfusionMatrix } from './confusion-matrix.js';

export interface SegmentationScores {
  /** IoU per class; NaN where the class is neither in the truth nor predicted. */
  readonly iou: number[];
  /** Mean of the defined per-class IoUs. */
  readonly meanIou: number;
  /** Mean IoU over the classes other than class 0 (the background), defined ones only. */
  readonly foregroundMeanIou: number;
  /** Fraction of pixels labelled correctly. */
  readonly pixelAccuracy: number;
  /** TP / (TP + FN) per class; NaN where the class has no true pixels. */
  readonly recall: number[];
  /** True pixels per class. */
  readonly support: number[];
}

const meanOfDefined = (xs: readonly number[]) => {
  const defined = xs.filter((x) => !Number.isNaN(x));
  return defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
};

export function segmentationScores(m: ConfusionMatrix): SegmentationScores {
  const k = m.length;
  const iou: number[] = [];
  const recall: number[] = [];
  const support: number[] = [];
  let correct = 0, total = 0;
  for (let c = 0; c < k; c++) {
    const tp = m[c]![c]!;
    let fn = 0, fp = 0;
    for (let j = 0; j < k; j++) {
      if (j === c) continue;
      fn += m[c]![j]!;
      fp += m[j]![c]!;
    }
    const union = tp + fp + fn;
    iou.push(union === 0 ? NaN : tp / union);
    recall.push(tp + fn === 0 ? NaN : tp / (tp + fn));
    support.push(tp + fn);
    correct += tp;
    total += tp + fn;
  }
  return {
    iou,
    meanIou: meanOfDefined(iou),
    foregroundMeanIou: meanOfDefined(iou.slice(1)),
    pixelAccuracy: total === 0 ? NaN : correct / total,
    recall,
    support,
  };
}

/** Scores of predicted masks against true masks (both flat arrays of class indices). */
export function scoreMasks(truth: Int32Array, predicted: Int32Array, numClasses: number): SegmentationScores & { confusion: ConfusionMatrix } {
  const confusion = confusionMatrix(truth, predicted, numClasses);
  return { ...segmentationScores(confusion), confusion };
}
