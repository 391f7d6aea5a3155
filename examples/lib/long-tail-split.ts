/**
 * Long-tailed training split + balanced test split: per class, a seeded shuffle; the
 * first `testPerClass` examples go to the test set (so every class is tested equally),
 * the rest to training, where the minority classes keep only a fraction.
 */
import type { SeededRandom } from './rng.js';

export interface SplitIndices {
  readonly train: number[];
  readonly test: number[];
  readonly trainCounts: number[];
  readonly testCounts: number[];
}

export function longTailSplit(
  labels: ArrayLike<number>,
  numClasses: number,
  opts: { testPerClass: number; minority: readonly number[]; keepFraction: number; minKeep?: number },
  rng: SeededRandom,
): SplitIndices {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i);
  const train: number[] = [], test: number[] = [];
  const trainCounts: number[] = [], testCounts: number[] = [];
  byClass.forEach((idx, c) => {
    rng.shuffle(idx);
    const nTest = Math.min(opts.testPerClass, Math.floor(idx.length / 2));
    const rest = idx.slice(nTest);
    const keep = opts.minority.includes(c) ? Math.max(opts.minKeep ?? 1, Math.round(rest.length * opts.keepFraction)) : rest.length;
    test.push(...idx.slice(0, nTest));
    train.push(...rest.slice(0, keep));
    testCounts.push(nTest);
    trainCounts.push(keep);
  });
  // Interleave classes so that nothing downstream depends on the class order.
  rng.shuffle(train);
  rng.shuffle(test);
  return { train, test, trainCounts, testCounts };
}
