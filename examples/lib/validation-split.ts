/**
 * A balanced validation split carved out of the *training* set (the test split is never
 * touched): the same number of examples of every class, at most a third of the rarest
 * class, so the rare classes keep most of their few training examples.
 */
import type { SeededRandom } from './rng.js';
import type { LabelledSet } from './train-classifier.js';
import { takeRows } from './batches.js';

export interface ValidationSplit {
  /** The training set without the validation examples (row order otherwise kept). */
  readonly train: LabelledSet;
  /** perClass examples of every class, in a seeded random order. */
  readonly val: LabelledSet;
  readonly perClass: number;
}

export function carveValidation(set: LabelledSet, features: number, numClasses: number, wantPerClass: number, rng: SeededRandom): ValidationSplit {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  set.y.forEach((c, i) => byClass[c]!.push(i));
  const rarest = Math.min(...byClass.map((rows) => rows.length));
  const perClass = Math.max(1, Math.min(wantPerClass, Math.floor(rarest / 3)));
  if (rarest < 2) throw new Error(`carveValidation: a class has ${rarest} training examples; a validation split needs at least 2`);
  const valRows: number[] = [];
  for (const rows of byClass) valRows.push(...rng.shuffle([...rows]).slice(0, perClass));
  rng.shuffle(valRows);
  const inVal = new Set(valRows);
  const trainRows = Array.from(set.y.keys()).filter((i) => !inVal.has(i));
  return {
    train: { x: takeRows(set.x, features, trainRows), y: takeRows(set.y, 1, trainRows) },
    val: { x: takeRows(set.x, features, valRows), y: takeRows(set.y, 1, valRows) },
    perClass,
  };
}
