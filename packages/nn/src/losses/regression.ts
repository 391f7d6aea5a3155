import { Tensor, ValueError, minimum } from '@tsgrad/tensor';
import { applyReduction, checkReduction, type Reduction } from './reduction.js';
import { checkFloatTensor, checkNumber, checkOptionKeys, checkSameShape } from './validate.js';

/*
 * The regression losses of torch.nn.functional: per-element functions of d = input − target,
 * reduced as PyTorch does ('mean' over all elements by default). Compositions of tensor ops,
 * so the gradient reaches the target as well as the input, and second derivatives work.
 */

export interface RegressionLossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

export interface SmoothL1LossOptions extends RegressionLossOptions {
  /** Where the quadratic part turns linear (default 1, ≥ 0; 0 gives the L1 loss). */
  beta?: number;
}

export interface HuberLossOptions extends RegressionLossOptions {
  /** Where the quadratic part turns linear (default 1, > 0). */
  delta?: number;
}

/** @internal */
export function checkRegressionOptions(fn: string, options: RegressionLossOptions): Reduction {
  checkOptionKeys(fn, options, ['reduction']);
  return checkReduction(fn, options.reduction ?? 'mean');
}

/** @internal */
export function checkSmoothL1Options(fn: string, options: SmoothL1LossOptions): { reduction: Reduction; beta: number } {
  checkOptionKeys(fn, options, ['reduction', 'beta']);
  return { reduction: checkReduction(fn, options.reduction ?? 'mean'), beta: checkNumber(fn, 'beta', options.beta ?? 1, { min: 0 }) };
}

/** @internal */
export function checkHuberOptions(fn: string, options: HuberLossOptions): { reduction: Reduction; delta: number } {
  checkOptionKeys(fn, options, ['reduction', 'delta']);
  const delta = checkNumber(fn, 'delta', options.delta ?? 1, { min: 0 });
  if (delta === 0) throw new ValueError(`${fn}: argument 'delta' expected a positive number (PyTorch rejects δ ≤ 0), got 0`);
  return { reduction: checkReduction(fn, options.reduction ?? 'mean'), delta };
}

/** input − target, both float of one shape (the target cast to the input's dtype). */
function difference(fn: string, input: Tensor, target: Tensor): Tensor {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkFloatTensor(fn, 'target', target);
  checkSameShape(fn, x, t);
  return x.sub(t.to(x.dtype));
}

/**
 * Mean squared error (`torch.nn.functional.mse_loss`): l = (x − y)². `target` must have
 * the input's shape (PyTorch broadcasts with a warning; here a mismatch is a ShapeError).
 */
export function mseLoss(input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const reduction = checkRegressionOptions('mseLoss', options);
  return applyReduction(difference('mseLoss', input, target).square(), reduction);
}

/** Mean absolute error (`torch.nn.functional.l1_loss`): l = |x − y|; its gradient at x = y is 0, as PyTorch's. */
export function l1Loss(input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const reduction = checkRegressionOptions('l1Loss', options);
  return applyReduction(difference('l1Loss', input, target).abs(), reduction);
}

/**
 * `torch.nn.functional.smooth_l1_loss`, d = x − y:
 *
 *     l = 0.5·d²/β  if |d| < β,   |d| − 0.5·β  otherwise       (β = 0: l = |d|, as PyTorch)
 *
 * computed without a branch as 0.5·z²/β + (|d| − z) with z = min(|d|, β), so no
 * unselected branch can overflow. Equal to huberLoss(δ = β) / β.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const { reduction, beta } = checkSmoothL1Options('smoothL1Loss', options);
  const a = difference('smoothL1Loss', input, target).abs();
  if (beta === 0) return applyReduction(a, reduction);
  const z = minimum(a, beta);
  return applyReduction(z.square().mul(0.5 / beta).add(a.sub(z)), reduction);
}

/**
 * `torch.nn.functional.huber_loss`, d = x − y:
 *
 *     l = 0.5·d²  if |d| < δ,   δ·(|d| − 0.5·δ)  otherwise
 *
 * computed as 0.5·z² + δ·(|d| − z) with z = min(|d|, δ). δ must be positive (as PyTorch).
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const { reduction, delta } = checkHuberOptions('huberLoss', options);
  const a = difference('huberLoss', input, target).abs();
  const z = minimum(a, delta);
  return applyReduction(z.square().mul(0.5).add(a.sub(z).mul(delta)), reduction);
}
