import { Tensor, exp, indexSelect, logSoftmax, mul, neg } from '@tsgrad/tensor';
import { checkClassInput, checkIndexTarget, classMask, numClassesOf, pickClass, prepareIndexTarget, unbatch, zeroIgnored } from './class-target.js';
import { log1mSoftmaxAt } from './log1m-softmax.js';
import { checkReduction, type Reduction } from './reduction.js';
import { checkClassVector, checkNumber, checkOptionKeys, checkScalar, type ScalarLike } from './validate.js';

export interface SoftmaxFocalLossOptions {
  /** α_t: one number for every class, or a per-class tensor [C]. Default: no α factor. */
  alpha?: number | Tensor;
  /** Focusing exponent γ ≥ 0: a number or a 0-d tensor (which receives a gradient). Default 2. */
  gamma?: ScalarLike;
  /** Targets equal to this value contribute 0 and are left out of the mean. Default -100. */
  ignoreIndex?: number;
  /** Default 'mean' (over the non-ignored positions). */
  reduction?: Reduction;
}

/** @internal */
export function checkSoftmaxFocalOptions(fn: string, options: SoftmaxFocalLossOptions): { ignoreIndex: number; reduction: Reduction } {
  checkOptionKeys(fn, options, ['alpha', 'gamma', 'ignoreIndex', 'reduction']);
  if (typeof options.alpha === 'number') checkNumber(fn, 'alpha', options.alpha);
  return {
    ignoreIndex: checkNumber(fn, 'ignoreIndex', options.ignoreIndex ?? -100, { integer: true }),
    reduction: checkReduction(fn, options.reduction ?? 'mean'),
  };
}

/**
 * Multi-class focal loss (Lin et al. 2017) on logits [N, C, d1, …] (or unbatched [C])
 * with int32 class indices: l = −α_t·(1 − p_t)^γ·log p_t, p = softmax over dim 1.
 * log p_t comes from logSoftmax and (1 − p_t)^γ = exp(γ·log(1 − p_t)) from the stable
 * log(1 − softmax), so saturated logits give finite values and gradients (also ∂/∂γ).
 * 'mean' divides by the number of non-ignored positions. With γ = 0 and no α this is
 * `crossEntropy`. Needs C ≥ 2.
 */
export function softmaxFocalLoss(input: Tensor, target: Tensor, options: SoftmaxFocalLossOptions = {}): Tensor {
  const fn = 'softmaxFocalLoss';
  const { ignoreIndex, reduction } = checkSoftmaxFocalOptions(fn, options);
  const x = checkClassInput(fn, input, 2);
  const C = numClassesOf(x);
  const count = checkIndexTarget(fn, x, target, ignoreIndex);
  const gamma = checkScalar(fn, 'gamma', options.gamma ?? 2, x.dtype, 0);
  let alpha: ScalarLike | undefined;
  if (options.alpha instanceof Tensor && options.alpha.ndim > 0) alpha = checkClassVector(fn, 'alpha', options.alpha, C).to(x.dtype);
  else if (options.alpha !== undefined) alpha = checkScalar(fn, 'alpha', options.alpha, x.dtype);

  const t = prepareIndexTarget(x, target, ignoreIndex, count);
  const logp = logSoftmax(t.input, 1);
  const logpT = pickClass(logp, t.index);
  const log1mpT = log1mSoftmaxAt(t.input, logpT, classMask(t.index, C));
  let loss = neg(mul(exp(mul(log1mpT, gamma)), logpT));
  if (alpha instanceof Tensor && alpha.ndim === 1) loss = mul(loss, indexSelect(alpha, 0, t.index.reshape([-1])).reshape(t.index.shape));
  else if (alpha !== undefined) loss = mul(loss, alpha);
  loss = zeroIgnored(loss, t.valid);
  if (reduction === 'none') return unbatch(loss, t);
  if (reduction === 'sum') return loss.sum();
  return loss.sum().div(t.count);
}
