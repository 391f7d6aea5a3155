import { Tensor, exp, log, logSoftmax, mul, neg, sub, sum, where } from '@tsgrad/tensor';
import { checkClassInput, checkIndexTarget, classMask, prepareIndexTarget, unbatch } from './class-target.js';
import { log1mSoftmax } from './log1m-softmax.js';
import { applyReduction, checkReduction, type Reduction } from './reduction.js';
import { checkNumber, checkOptionKeys, checkScalar, type ScalarLike } from './validate.js';

export interface DualFocalLossOptions {
  /** Weight α of the focal term α·Σ_c |y_c − p_c|^γ: a number or a 0-d tensor. Default 1. */
  alpha?: ScalarLike;
  /** Weight β of the negative-class term: a number or a 0-d tensor. Default 1. */
  beta?: ScalarLike;
  /** ρ ≥ 1 in log(ρ − p_c). Default 1 (computed as the stable log(1 − p_c)). */
  rho?: number;
  /** Exponent γ ≥ 0: a number or a 0-d tensor (which receives a gradient). Default 1. */
  gamma?: ScalarLike;
  /** Default 'mean' (over all N·d1·… positions). */
  reduction?: Reduction;
}

/** @internal */
export function checkDualFocalOptions(fn: string, options: DualFocalLossOptions): { rho: number; reduction: Reduction } {
  checkOptionKeys(fn, options, ['alpha', 'beta', 'rho', 'gamma', 'reduction']);
  return {
    rho: checkNumber(fn, 'rho', options.rho ?? 1, { min: 1 }),
    reduction: checkReduction(fn, options.reduction ?? 'mean'),
  };
}

/**
 * The Dual Focal Loss of Hossain, Betts & Paplinski (Neurocomputing 2021), with the
 * sign of the authors' code, on logits [N, C, d1, …] (or unbatched [C]) and int32
 * class indices [N, d1, …]:
 *
 *   l = −Σ_c [ y_c log p_c + β (1 − y_c) log(ρ − p_c) ] + α Σ_c |y_c − p_c|^γ
 *
 * with p = softmax over dim 1 and y the one-hot target; 'mean' averages over all
 * N·d1·… positions, 'none' gives [N, d1, …].
 *
 * No epsilon: log p_c is logSoftmax; with ρ = 1, log(1 − p_c) is the stable log(1 −
 * softmax) (a masked logSumExp where p_c > 1/2); |y_c − p_c| is 1 − p_c on the target
 * class and p_c elsewhere, so |y_c − p_c|^γ = exp(γ·log|y_c − p_c|) with a finite log.
 * Hence any finite logits give a finite loss and finite gradients with respect to the
 * input, α, β and γ (∂/∂γ is 0, not NaN, where |y − p| underflows to 0). For ρ > 1,
 * log(ρ − p_c) is used directly and is finite since p_c ≤ 1 < ρ. Needs C ≥ 2.
 */
export function dualFocalLoss(input: Tensor, target: Tensor, options: DualFocalLossOptions = {}): Tensor {
  const fn = 'dualFocalLoss';
  const { rho, reduction } = checkDualFocalOptions(fn, options);
  const x = checkClassInput(fn, input, 2);
  const count = checkIndexTarget(fn, x, target, null);
  const alpha = checkScalar(fn, 'alpha', options.alpha ?? 1, x.dtype);
  const beta = checkScalar(fn, 'beta', options.beta ?? 1, x.dtype);
  const gamma = checkScalar(fn, 'gamma', options.gamma ?? 1, x.dtype, 0);

  const t = prepareIndexTarget(x, target, null, count);
  const logits = t.input;
  const y = classMask(t.index, t.numClasses);
  const logp = logSoftmax(logits, 1);
  const log1mp = log1mSoftmax(logits, 1, logp);
  // log(ρ − p_c) is only needed off the target class; the target's entry is fed 1 so
  // that the discarded branch never takes log(0).
  const logRhoMinusP = rho === 1 ? log1mp : log(where(y, 1, sub(rho, exp(logp))));
  const targetTerm = sum(where(y, logp, 0), 1);
  const otherTerm = sum(where(y, 0, logRhoMinusP), 1);
  const logAbsDiff = where(y, log1mp, logp);
  const focalTerm = sum(exp(mul(logAbsDiff, gamma)), 1);
  const loss = neg(targetTerm).sub(mul(otherTerm, beta)).add(mul(focalTerm, alpha));
  return reduction === 'none' ? unbatch(loss, t) : applyReduction(loss, reduction);
}
