import { Tensor, indexSelect, mul, neg, sum } from '@tsgrad/tensor';
import { checkClassInput, checkIndexTarget, numClassesOf, pickClass, prepareIndexTarget, unbatch, zeroIgnored, type IndexTarget } from './class-target.js';
import { checkReduction, type Reduction } from './reduction.js';
import { checkClassVector, checkNumber, checkOptionKeys } from './validate.js';

export interface NllLossOptions {
  /** A rescaling weight per class, shape [C]. */
  weight?: Tensor;
  /** Targets equal to this value contribute 0 and are left out of the mean. Default -100. */
  ignoreIndex?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
}

/** @internal Option checks shared by the function and the module. */
export function checkNllOptions(fn: string, options: NllLossOptions): { ignoreIndex: number; reduction: Reduction } {
  checkOptionKeys(fn, options, ['weight', 'ignoreIndex', 'reduction']);
  return {
    ignoreIndex: checkNumber(fn, 'ignoreIndex', options.ignoreIndex ?? -100, { integer: true }),
    reduction: checkReduction(fn, options.reduction ?? 'mean'),
  };
}

/** The class weight broadcast over [N, C, d1, …]. */
export function classWeightView(weight: Tensor, ndim: number): Tensor {
  return weight.reshape([1, weight.shape[0]!, ...new Array<number>(ndim - 2).fill(1)]);
}

/**
 * @internal The weighted negative log-likelihood of index targets, with PyTorch's
 * label smoothing term and normalisation:
 *   l = (1 − ε)·(−w_t log p_t) + (ε / C)·(−Σ_c w_c log p_c),   0 at ignored positions,
 *   'mean' = Σ l / Σ_{non-ignored} w_t   (the count of non-ignored positions without weights).
 * Both terms share the denominator, as in ATen's cross_entropy_loss_label_smoothing.
 */
export function weightedNll(logp: Tensor, t: IndexTarget, weight: Tensor | undefined, reduction: Reduction, labelSmoothing = 0): Tensor {
  const w = weight?.to(logp.dtype);
  const picked = pickClass(logp, t.index);
  const targetWeight = w ? indexSelect(w, 0, t.index.reshape([-1])).reshape(t.index.shape) : null;
  let loss = targetWeight ? neg(mul(picked, targetWeight)) : neg(picked);
  if (labelSmoothing > 0) {
    const smooth = neg(sum(w ? mul(logp, classWeightView(w, logp.ndim)) : logp, 1));
    loss = loss.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing / t.numClasses));
  }
  loss = zeroIgnored(loss, t.valid);
  if (reduction === 'none') return unbatch(loss, t);
  if (reduction === 'sum') return loss.sum();
  // With every target ignored this is 0/0 = NaN, as in PyTorch.
  const denominator = targetWeight ? zeroIgnored(targetWeight, t.valid).sum() : t.count;
  return loss.sum().div(denominator);
}

/**
 * The negative log-likelihood loss (`torch.nn.functional.nll_loss`) on log-probabilities
 * `input` [N, C, d1, …] (or unbatched [C]) with int32 class indices `target` [N, d1, …]
 * (or 0-d): l = −w_t·input[t]. 'mean' divides by the summed weight of the non-ignored
 * targets.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const fn = 'nllLoss';
  const { ignoreIndex, reduction } = checkNllOptions(fn, options);
  const x = checkClassInput(fn, input);
  const C = numClassesOf(x);
  const count = checkIndexTarget(fn, x, target, ignoreIndex);
  if (options.weight !== undefined) checkClassVector(fn, 'weight', options.weight, C);
  const t = prepareIndexTarget(x, target, ignoreIndex, count);
  return weightedNll(t.input, t, options.weight, reduction);
}
