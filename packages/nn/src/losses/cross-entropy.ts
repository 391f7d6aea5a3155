import { DTypeError, ShapeError, Tensor, logSoftmax, mul, neg, sum } from '@tsgrad/tensor';
import { checkClassInput, checkIndexTarget, indexShapeOf, numClassesOf, prepareIndexTarget, sameShape } from './class-target.js';
import { checkNllOptions, classWeightView, weightedNll, type NllLossOptions } from './nll-loss.js';
import { applyReduction, type Reduction } from './reduction.js';
import { checkClassVector, checkNumber, checkOptionKeys, checkTensor, fmtShape } from './validate.js';

export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1]: the target mixes (1 − ε)·target with ε/C on every class. Default 0. */
  labelSmoothing?: number;
}

/** @internal Option checks shared by the function and the module. */
export function checkCrossEntropyOptions(fn: string, options: CrossEntropyOptions): { ignoreIndex: number; reduction: Reduction; labelSmoothing: number } {
  checkOptionKeys(fn, options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  const { weight: _w, labelSmoothing: _s, ...nll } = options;
  return {
    ...checkNllOptions(fn, nll),
    labelSmoothing: checkNumber(fn, 'labelSmoothing', options.labelSmoothing ?? 0, { min: 0, max: 1 }),
  };
}

/**
 * Cross-entropy of logits `input` [N, C, d1, …] (or unbatched [C]) — the "softmax
 * loss" — like `torch.nn.functional.cross_entropy`, with classes in dim 1:
 *
 * - int32 class indices `target` [N, d1, …] (0-d when unbatched):
 *   l = (1 − ε)·(−w_t log p_t) + (ε/C)·(−Σ_c w_c log p_c), 0 where target = ignoreIndex;
 *   'mean' divides by the summed weight w_t of the non-ignored targets (their count
 *   without `weight`), for both terms.
 * - float class probabilities `target` of the input's shape:
 *   l = −Σ_c w_c·t'_c·log p_c with t' = (1 − ε)·t + ε/C; 'mean' divides by N·d1·…
 *   (the weights do not enter the denominator).
 *
 * log p = logSoftmax(input, 1), so any finite logits give a finite loss and gradient.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  const { ignoreIndex, reduction, labelSmoothing } = checkCrossEntropyOptions(fn, options);
  const x = checkClassInput(fn, input);
  const C = numClassesOf(x);
  const tgt = checkTensor(fn, 'target', target);
  const indexShape = indexShapeOf(x);
  const probabilities = tgt.dtype === 'float32' || tgt.dtype === 'float64';
  let count = 0;
  if (probabilities) {
    if (!sameShape(tgt.shape, x.shape)) {
      if (sameShape(tgt.shape, indexShape)) {
        throw new DTypeError(`${fn}: argument 'target' expected int32 class indices for a target of shape ${fmtShape(tgt.shape)} (float targets are class probabilities of the input's shape ${fmtShape(x.shape)}), got dtype ${tgt.dtype}`);
      }
      throw new ShapeError(`${fn}: argument 'target' expected float class probabilities of the input's shape ${fmtShape(x.shape)} or int32 class indices of shape ${fmtShape(indexShape)}, got ${tgt.dtype} of shape ${fmtShape(tgt.shape)}`);
    }
  } else {
    count = checkIndexTarget(fn, x, tgt, ignoreIndex, ` (or float class probabilities of shape ${fmtShape(x.shape)})`);
  }
  if (options.weight !== undefined) checkClassVector(fn, 'weight', options.weight, C);

  if (probabilities) return probabilityCrossEntropy(x, tgt, options.weight, reduction, labelSmoothing);
  const t = prepareIndexTarget(x, tgt, ignoreIndex, count);
  return weightedNll(logSoftmax(t.input, 1), t, options.weight, reduction, labelSmoothing);
}

function probabilityCrossEntropy(input: Tensor, target: Tensor, weight: Tensor | undefined, reduction: Reduction, labelSmoothing: number): Tensor {
  const unbatched = input.ndim === 1;
  const x = unbatched ? input.unsqueeze(0) : input;
  const C = x.shape[1]!;
  let t = (unbatched ? target.unsqueeze(0) : target).to(x.dtype);
  if (labelSmoothing > 0) t = t.mul(1 - labelSmoothing).add(labelSmoothing / C);
  let terms = mul(logSoftmax(x, 1), t);
  if (weight) terms = mul(terms, classWeightView(weight.to(x.dtype), x.ndim));
  const loss = neg(sum(terms, 1));
  if (reduction === 'none') return unbatched ? loss.reshape([]) : loss;
  // 'mean' averages over the N·d1·… positions: PyTorch divides by input.numel() / C.
  return applyReduction(loss, reduction);
}
