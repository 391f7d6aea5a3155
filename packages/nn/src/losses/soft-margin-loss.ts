import { DTypeError, Tensor, mul, neg, softplus } from '@tsgrad/tensor';
import { applyReduction, checkReduction, type Reduction } from './reduction.js';
import { checkFloatTensor, checkOptionKeys, checkSameShape, checkTensor } from './validate.js';

export interface SoftMarginLossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

/** @internal */
export function checkSoftMarginOptions(fn: string, options: SoftMarginLossOptions): Reduction {
  checkOptionKeys(fn, options, ['reduction']);
  return checkReduction(fn, options.reduction ?? 'mean');
}

/**
 * The two-class logistic loss for labels y ∈ {−1, 1} (`torch.nn.functional.
 * soft_margin_loss`): l = log(1 + exp(−y·x)), computed as softplus(−y·x) so that it is
 * finite for any logit (PyTorch's log1p(exp(·)) overflows to ∞ for −y·x ≳ 89 in float32).
 * `target` has the input's shape and may be float or int32.
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: SoftMarginLossOptions = {}): Tensor {
  const fn = 'softMarginLoss';
  const reduction = checkSoftMarginOptions(fn, options);
  const x = checkFloatTensor(fn, 'input', input);
  const y = checkTensor(fn, 'target', target);
  if (y.dtype === 'bool') throw new DTypeError(`${fn}: argument 'target' expected labels ±1 as a float or int32 Tensor, got dtype bool`);
  checkSameShape(fn, x, y);
  return applyReduction(softplus(neg(mul(y.to(x.dtype), x))), reduction);
}
