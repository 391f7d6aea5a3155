import { Tensor, tensor } from '@tsgrad/tensor';
import { checkClassInput, checkIndexTarget, numClassesOf } from '../losses/class-target.js';
import { crossEntropy } from '../losses/cross-entropy.js';

/**
 * Class-balanced cross-entropy: the mean, over the classes present in `target`, of each
 * class's mean cross-entropy. It is `crossEntropy(input, target, { weight })` with
 * w_c = 1 / (number of positions of class c in this target) (0 for an absent class),
 * whose weighted mean divides by Σ w_t = the number of classes present. Every class in
 * the batch counts equally, however rare: the default validation objective of
 * {@link HyperTuner}, where a balanced held-out batch measures what a rare class gets.
 *
 * `input` is logits `[N, C, d1, …]` (or `[C]`), `target` int32 class indices
 * `[N, d1, …]`. The weights are constants (they come from counting the target, on the
 * host), so the gradient is that of a weighted cross-entropy.
 */
export function balancedCrossEntropy(input: Tensor, target: Tensor): Tensor {
  const fn = 'balancedCrossEntropy';
  const x = checkClassInput(fn, input);
  checkIndexTarget(fn, x, target, null);
  const C = numClassesOf(x);
  const counts = new Array<number>(C).fill(0);
  const labels = target.dataSync();
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  const weight = tensor(counts.map((n) => (n > 0 ? 1 / n : 0)), { dtype: x.dtype });
  return crossEntropy(x, target, { weight });
}
