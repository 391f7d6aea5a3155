import { Tensor, ValueError, clamp, gt, log, log1p, lt, mul, neg, softplus, sub, where } from '@tsgrad/tensor';
import { applyReduction, checkReduction, type Reduction } from './reduction.js';
import { checkBroadcastsTo, checkFloatTensor, checkOptionKeys, checkSameShape, fmtShape } from './validate.js';

export interface BinaryCrossEntropyOptions {
  /** Rescales each element's loss; broadcasts to the input's shape. */
  weight?: Tensor;
  /** Default 'mean'. */
  reduction?: Reduction;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term, one per class along the last dim (broadcasts to the input). */
  posWeight?: Tensor;
}

/** @internal */
export function checkBinaryOptions(fn: string, options: BinaryCrossEntropyWithLogitsOptions, withPosWeight: boolean): Reduction {
  checkOptionKeys(fn, options, withPosWeight ? ['weight', 'posWeight', 'reduction'] : ['weight', 'reduction']);
  return checkReduction(fn, options.reduction ?? 'mean');
}

/** Float input and float target of the same shape. */
function checkBinaryPair(fn: string, input: unknown, target: unknown): [Tensor, Tensor] {
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkFloatTensor(fn, 'target', target, 'a floating point Tensor of targets in [0, 1]');
  checkSameShape(fn, x, t);
  return [x, t];
}

/** max(log v, −100), with log never evaluated at 0 (so its gradient there is 0, not 0·∞). */
function clampedLog(v: Tensor, log1pOfNeg: boolean): Tensor {
  // v is p (log p) or, with log1pOfNeg, the p of log(1 − p) = log1p(−p).
  const finite = log1pOfNeg ? lt(v, 1) : gt(v, 0);
  const safe = where(finite, v, log1pOfNeg ? 0 : 1);
  const l = log1pOfNeg ? log1p(neg(safe)) : log(safe);
  return where(finite, clamp(l, -100), -100);
}

/**
 * Binary cross-entropy on probabilities `input` ∈ [0, 1] (`torch.nn.functional.
 * binary_cross_entropy`): l = −w·[t·log p + (1 − t)·log(1 − p)], each log clamped at
 * −100 as PyTorch does, so p = 0 or 1 gives a finite loss. Input and target must lie
 * in [0, 1] (checked, as PyTorch does). The gradient is that of
 * this clamped function (0 where a log is clamped); PyTorch instead divides by
 * max(p(1 − p), 1e-12) there. Prefer `binaryCrossEntropyWithLogits` on logits.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const fn = 'binaryCrossEntropy';
  const reduction = checkBinaryOptions(fn, options, false);
  const [x, t] = checkBinaryPair(fn, input, target);
  const weight = options.weight === undefined ? undefined : checkBroadcastsTo(fn, 'weight', options.weight, x.shape);
  // PyTorch checks both ranges too ("all elements of input/target should be between 0 and 1").
  for (const [arg, v, hint] of [['input', x, '; pass logits to binaryCrossEntropyWithLogits instead'], ['target', t, '']] as const) {
    const data = v.dataSync();
    for (let i = 0; i < data.length; i++) {
      const p = data[i]!;
      if (!(p >= 0 && p <= 1)) {
        throw new ValueError(`${fn}: argument '${arg}' expected probabilities in [0, 1], got ${p} (element ${i} of shape ${fmtShape(v.shape)})${hint}`);
      }
    }
  }
  const tt = t.to(x.dtype);
  let loss = neg(mul(tt, clampedLog(x, false)).add(mul(sub(1, tt), clampedLog(x, true))));
  if (weight) loss = mul(loss, weight.to(x.dtype));
  return applyReduction(loss, reduction);
}

/** @internal The unchecked, unreduced BCE-with-logits (also the ce term of the sigmoid focal loss). */
export function bceWithLogitsTerms(x: Tensor, t: Tensor, posWeight?: Tensor): Tensor {
  if (!posWeight) {
    // softplus(x) − x·t = max(x, 0) − x·t + log1p(exp(−|x|)): stable for any logit.
    return sub(softplus(x), mul(x, t));
  }
  // PyTorch's form: (1 − t)·x + (1 + (pw − 1)·t)·(log1p(exp(−|x|)) + max(−x, 0)),
  // and log1p(exp(−|x|)) + max(−x, 0) = softplus(−x).
  const coeff = mul(posWeight.sub(1), t).add(1);
  return mul(sub(1, t), x).add(mul(coeff, softplus(neg(x))));
}

/**
 * Binary cross-entropy on logits (`torch.nn.functional.binary_cross_entropy_with_logits`)
 * — the "logistic loss" for 0/1 (or soft) targets:
 * l = w·[max(x, 0) − x·t + log1p(exp(−|x|))], and with `posWeight`
 * l = w·[(1 − t)·x + (1 + (pw − 1)·t)·(log1p(exp(−|x|)) + max(−x, 0))]. Finite for any
 * finite logit.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  const reduction = checkBinaryOptions(fn, options, true);
  const [x, t] = checkBinaryPair(fn, input, target);
  const weight = options.weight === undefined ? undefined : checkBroadcastsTo(fn, 'weight', options.weight, x.shape);
  const last = x.shape[x.ndim - 1];
  const posWeight = options.posWeight === undefined ? undefined
    : checkBroadcastsTo(fn, 'posWeight', options.posWeight, x.shape, last === undefined ? '' : ` (one weight per class along the last dim: length ${last})`);
  let loss = bceWithLogitsTerms(x, t.to(x.dtype), posWeight?.to(x.dtype));
  if (weight) loss = mul(loss, weight.to(x.dtype));
  return applyReduction(loss, reduction);
}
