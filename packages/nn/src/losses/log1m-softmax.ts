import { Tensor, arange, argmax, exp, gt, log1p, logSoftmax, logSumExp, mul, neg, sub, where } from '@tsgrad/tensor';

const LOG_HALF = -Math.LN2;

/**
 * log(1 − softmax(x)) along `dim`, stable for any finite logits and with no epsilon.
 *
 * Where p_c ≤ 1/2, log1p(−p_c) is well conditioned. At most one class per position
 * (the argmax) can have p_c > 1/2, and there 1 − p_c = Σ_{k≠c} p_k, so
 * log(1 − p_c) = logSumExp_{k≠c}(x_k) − logSumExp(x): the masked row (x_c replaced by
 * −∞ with `where`) keeps full relative precision even when p_c rounds to 1. The branch
 * not taken is fed a harmless constant, so its gradient is 0, never 0·∞, and second
 * derivatives stay finite. Needs at least 2 classes (with one, log(1 − p) is −∞).
 *
 * @param x logits
 * @param dim the class dim (default 1, the losses' convention)
 * @param logp logSoftmax(x, dim) when the caller has it already
 */
export function log1mSoftmax(x: Tensor, dim = 1, logp: Tensor = logSoftmax(x, dim)): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  const C = x.shape[d]!;
  // The argmax test makes "one class per position" hold even when two near-tied
  // probabilities both round above 1/2.
  const classes = arange(C).reshape(x.shape.map((_, i) => (i === d ? C : 1)));
  const large = mul(argmax(x, d, true).eq(classes), gt(logp, LOG_HALF));
  const othersLogSum = logSumExp(where(large, -Infinity, x), d, true);
  const viaOthers = sub(othersLogSum, logSumExp(x, d, true));
  const small = log1p(neg(exp(where(large, LOG_HALF, logp))));
  return where(large, viaOthers, small);
}
