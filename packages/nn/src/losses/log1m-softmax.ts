import { Tensor, arange, argmax, exp, gather, gt, log1p, logSoftmax, logSumExp, mul, neg, sub, where } from '@tsgrad/tensor';

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
  const top = argmax(x, d, true);
  const large = mul(top.eq(classes), gt(logp, LOG_HALF));
  const othersLogSum = logSumExp(where(large, -Infinity, x), d, true);
  // logSumExp(x) = x_c − log p_c for any c: read it at the argmax instead of reducing again.
  const viaOthers = sub(othersLogSum, sub(gather(x, d, top), gather(logp, d, top)));
  const small = log1p(neg(exp(where(large, LOG_HALF, logp))));
  return where(large, viaOthers, small);
}

/**
 * log(1 − p_t) at one class per position (`index`, int32 [N, d1, …]): what the focal
 * losses need, without building log(1 − p) for every class. Same two regimes as
 * `log1mSoftmax`: log1p(−p_t) while p_t ≤ 1/2, and logSumExp over the other classes
 * minus logSumExp over all of them when p_t > 1/2 (only the target is masked, so the
 * masked row is one `where` and one reduction). Returns [N, d1, …].
 *
 * @param x logits [N, C, d1, …]
 * @param logpT logSoftmax(x, 1) picked at `index`, [N, d1, …]
 * @param mask the one-hot mask of `index`, bool [N, C, d1, …]
 */
export function log1mSoftmaxAt(x: Tensor, logpT: Tensor, mask: Tensor): Tensor {
  const large = gt(logpT, LOG_HALF);
  // logSumExp(x) = x_t − log p_t, so the full row is reduced only once (with x_t masked).
  const xT = where(mask, x, 0).sum(1);
  const viaOthers = sub(logSumExp(where(mask, -Infinity, x), 1), sub(xT, logpT));
  const small = log1p(neg(exp(where(large, LOG_HALF, logpT))));
  return where(large, viaOthers, small);
}
