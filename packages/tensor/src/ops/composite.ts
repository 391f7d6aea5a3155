import { Tensor } from '../tensor.js';
import { abs, add, exp, log1p, neg, sub, where, lt, gt, maximum, minimum } from './elementwise.js';
import { logSumExp, max as reduceMax } from './reduce.js';
import { normalizeDim } from '../shape.js';
import { floatResult, isFloat } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { checked, dim as dimSpec, nullable, operand, tensor, isTensor } from '../validate/index.js';

/*
 * Compositions of primitives: their gradients (of any order) come from the primitives'
 * VJPs, so nothing here has a backward of its own.
 */

function asFloat(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : x.to(floatResult(x.dtype));
}

/** log softmax along `dim`: x − logSumExp(x) — stable for any logits. */
export const logSoftmax = checked('logSoftmax', [['input', tensor()], ['dim', dimSpec()]], logSoftmaxImpl);

function logSoftmaxImpl(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('logSoftmax', dim, x.ndim);
  const xf = asFloat(x);
  // Shift by the (detached) max first, as PyTorch's kernel does: x − lse(x) would round
  // lse at the logits' magnitude (1 ulp of 1e4 is ~1e-3 in float32) before cancelling.
  const shifted = xf.shape[d] === 0 ? xf : sub(xf, reduceMax(xf, d, true).detach());
  return sub(shifted, logSumExp(shifted, d, true));
}

/** softmax along `dim`, as exp(logSoftmax): never overflows, rows sum to 1. */
export const softmax = checked('softmax', [['input', tensor()], ['dim', dimSpec()]], softmaxImpl);

function softmaxImpl(x: Tensor, dim: number): Tensor {
  return exp(logSoftmax(x, normalizeDim('softmax', dim, x.ndim)));
}

/** log(1 + eˣ) as max(x, 0) + log1p(e^{−|x|}): exact for large |x| in both directions. */
export const softplus = checked('softplus', [['input', tensor()]], softplusImpl);

function softplusImpl(x: Tensor): Tensor {
  const xf = asFloat(x);
  // maximum (not relu) so that the gradient at 0 is the true 1/2.
  return add(maximum(xf, 0), log1p(exp(neg(abs(xf)))));
}

/** log σ(x) = min(x, 0) − log1p(e^{−|x|}). */
export const logSigmoid = checked('logSigmoid', [['input', tensor()]], logSigmoidImpl);

function logSigmoidImpl(x: Tensor): Tensor {
  const xf = asFloat(x);
  return sub(minimum(xf, 0), log1p(exp(neg(abs(xf)))));
}

/**
 * Clamps into [min, max] (either bound optional). Written with `where`, so like PyTorch
 * the gradient is 1 on the closed interval and 0 outside.
 */
export const clamp = checked('clamp', [['input', tensor()], ['min', nullable(operand())], ['max', nullable(operand())]], clampImpl);

function clampImpl(x: Tensor, min?: number | Tensor | null, max?: number | Tensor | null): Tensor {
  // Shapes are checked here so that a mismatch is reported as clamp's, not as lt's.
  broadcastShapes('clamp', x.shape, isTensor(min) ? min.shape : [], isTensor(max) ? max.shape : []);
  let out = x;
  if (min !== undefined && min !== null) out = where(lt(out, min), min, out);
  if (max !== undefined && max !== null) out = where(gt(out, max), max, out);
  return out;
}
