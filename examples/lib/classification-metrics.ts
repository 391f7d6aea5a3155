/**
 * Per-class precision / recall / F1 and the imbalance-aware summaries (macro-F1,
 * balanced accuracy) from a confusion matrix. A class never predicted has precision 0
 * and a class absent from the truth has recall 0, as sklearn does with
 * zero_division=0 — so a model that ignores a class is not flattered.
 */
import type { ConfusionMatrix } from './confusion-matrix.js';

export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** True examples of the class. */
  readonly support: number;
  /** Examples predicted as the class. */
  readonly predicted: number;
}

export interface ClassificationSummary {
  readonly accuracy: number;
  /** Mean per-class recall over the classes present in the truth. */
  readonly balancedAccuracy: number;
  /** Unweighted mean of per-class F1 over the classes present in the truth. */
  readonly macroF1: number;
  readonly perClass: readonly ClassMetrics[];
}

export function perClassMetrics(cm: ConfusionMatrix): ClassMetrics[] {
  const n = cm.length;
  return Array.from({ length: n }, (_, c) => {
    const tp = cm[c]![c]!;
    const support = cm[c]!.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < n; t++) predicted += cm[t]![c]!;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support, predicted };
  });
}

export function summarize(cm: ConfusionMatrix): ClassificationSummary {
  const perClass = perClassMetrics(cm);
  const present = perClass.filter((m) => m.support > 0);
  const total = perClass.reduce((a, m) => a + m.support, 0);
  const correct = cm.reduce((a, row, c) => a + row[c]!, 0);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    accuracy: total ? correct / total : 0,
    balancedAccuracy: mean(present.map((m) => m.recall)),
    macroF1: mean(present.map((m) => m.f1)),
    perClass,
  };
}

/** The majority-class baseline: always predict the most frequent training class. */
export function majorityClass(trainLabels: ArrayLike<number>, numClasses: number): number {
  const counts = classCounts(trainLabels, numClasses);
  return counts.indexOf(Math.max(...counts));
}

export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}
