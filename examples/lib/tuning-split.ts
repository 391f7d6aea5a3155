/**
 * The examples' validation split for the tuned-γ losses: when any `-tuned` loss is
 * requested, a balanced split is carved out of the training set (never the test set)
 * and every run of the invocation trains without it, so the rows stay comparable.
 */
import { isTunedLoss, type ClassificationLossName } from './classification-losses.js';
import { SeededRandom } from './rng.js';
import type { LabelledSet } from './train-classifier.js';
import { carveValidation } from './validation-split.js';

export interface TuningSplit {
  readonly train: LabelledSet;
  readonly val: LabelledSet | undefined;
  /** One sentence for the report, '' without a split. */
  readonly note: string;
}

export function tuningSplit(losses: readonly ClassificationLossName[], train: LabelledSet, features: number, numClasses: number, valPerClass: number, seed: number): TuningSplit {
  if (!losses.some(isTunedLoss)) return { train, val: undefined, note: '' };
  // Its own generator, so the data, the initial weights and the batch streams are unchanged.
  const split = carveValidation(train, features, numClasses, valPerClass, new SeededRandom(seed + 7919));
  return {
    train: split.train,
    val: split.val,
    note: `Validation (for the tuned γ): ${split.perClass} examples per class (${split.val.y.length} in all) carved out of the training split; every loss in this run trains on the remaining ${split.train.y.length}.`,
  };
}
