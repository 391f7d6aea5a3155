import { Tensor, ValueError, mul, sigmoid, neg, sub } from '@tsgrad/tensor';
import { bceWithLogitsTerms } from './binary-cross-entropy.js';
import { applyReduction, checkReduction, type Reduction } from './reduction.js';
import { safePow } from './safe-pow.js';
import { checkFloatTensor, checkNumber, checkOptionKeys, checkSameShape, checkScalar, type ScalarLike } from './validate.js';

export interface SigmoidFocalLossOptions {
  /** Weight of the positive class in [0, 1]; a negative value disables the weighting (> 1 is a ValueError). Default 0.25. */
  alpha?: number;
  /** Focusing exponent γ ≥ 0: a number or a 0-d tensor (which receives a gradient). Default 2. */
  gamma?: ScalarLike;
  /** Default 'none', as in torchvision. */
  reduction?: Reduction;
}

/** α in [0, 1], or negative to switch the weighting off (torchvision's convention); α > 1 would give negative losses. */
function checkSigmoidFocalAlpha(fn: string, alpha: unknown): number {
  const a = checkNumber(fn, 'alpha', alpha);
  if (a > 1) throw new ValueError(`${fn}: argument 'alpha' expected a number in [0, 1] (or < 0 to disable the weighting), got ${a}`);
  return a;
}

/** @internal */
export function checkSigmoidFocalOptions(fn: string, options: SigmoidFocalLossOptions): { alpha: number; reduction: Reduction } {
  checkOptionKeys(fn, options, ['alpha', 'gamma', 'reduction']);
  return {
    alpha: checkSigmoidFocalAlpha(fn, options.alpha ?? 0.25),
    reduction: checkReduction(fn, options.reduction ?? 'none'),
  };
}

/**
 * The focal loss of RetinaNet on logits, exactly `torchvision.ops.sigmoid_focal_loss`:
 * p = σ(x), ce = BCEWithLogits(x, t), p_t = p·t + (1 − p)(1 − t),
 * l = ce·(1 − p_t)^γ, times α·t + (1 − α)(1 − t) when α ≥ 0. Default reduction 'none'.
 *
 * 1 − p_t is formed as σ(x)(1 − t) + σ(−x)·t (the same number without the cancellation),
 * and the power is masked at 0 so every gradient, including ∂/∂γ, stays finite.
 */
export function sigmoidFocalLoss(input: Tensor, target: Tensor, options: SigmoidFocalLossOptions = {}): Tensor {
  const fn = 'sigmoidFocalLoss';
  const { alpha, reduction } = checkSigmoidFocalOptions(fn, options);
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkFloatTensor(fn, 'target', target, 'a floating point Tensor of targets in [0, 1]');
  checkSameShape(fn, x, t);
  const gamma = checkScalar(fn, 'gamma', options.gamma ?? 2, x.dtype, 0);
  const tt = t.to(x.dtype);
  const ce = bceWithLogitsTerms(x, tt);
  const oneMinusPt = mul(sigmoid(x), sub(1, tt)).add(mul(sigmoid(neg(x)), tt));
  let loss = mul(ce, safePow(oneMinusPt, gamma));
  if (alpha >= 0) loss = mul(loss, mul(tt, alpha).add(mul(sub(1, tt), 1 - alpha)));
  return applyReduction(loss, reduction);
}
