import { Tensor, ValueError, gt, where } from '@tsgrad/tensor';
import { checkFloatTensor, checkOptionKeys, checkSameShape } from './validate.js';

/** `klDiv`'s reductions: PyTorch's, with 'batchmean' (the sum divided by the batch size). */
export type KlDivReduction = 'mean' | 'sum' | 'none' | 'batchmean';

export interface KlDivOptions {
  /**
   * 'mean' (PyTorch's default) averages over every element; 'batchmean' divides the sum by
   * input.shape[0], which is the true KL divergence per sample; 'sum'; 'none'.
   */
  reduction?: KlDivReduction;
  /** The target is given as log-probabilities too (default false). */
  logTarget?: boolean;
}

/** @internal */
export function checkKlDivOptions(fn: string, options: KlDivOptions): { reduction: KlDivReduction; logTarget: boolean } {
  checkOptionKeys(fn, options, ['reduction', 'logTarget']);
  const reduction = options.reduction ?? 'mean';
  if (!(['mean', 'sum', 'none', 'batchmean'] as unknown[]).includes(reduction)) {
    const got = typeof reduction === 'string' ? `'${reduction}'` : String(reduction);
    throw new ValueError(`${fn}: argument 'reduction' expected 'mean', 'batchmean', 'sum' or 'none', got ${got}`);
  }
  const logTarget = options.logTarget ?? false;
  if (typeof logTarget !== 'boolean') throw new ValueError(`${fn}: option 'logTarget' expected a boolean, got ${String(logTarget)}`);
  return { reduction, logTarget };
}

/**
 * The Kullback–Leibler divergence loss (`torch.nn.functional.kl_div`). `input` holds
 * **log-probabilities** log q (e.g. from `logSoftmax`); `target` holds probabilities p, or
 * log p with `logTarget`. Per element:
 *
 *     l = p·(log p − log q)                 (logTarget false; 0 where p = 0: 0·log 0 = 0, PyTorch's xlogy)
 *     l = exp(log p)·(log p − log q)        (logTarget true)
 *
 * `'batchmean'` gives Σ l / N (N = input.shape[0]; the sum for a 0-d input), the KL
 * divergence averaged over the batch; `'mean'` (the default, as PyTorch) divides by
 * every element instead. Where p = 0 the derivative of p·log p with respect to p is
 * taken as 0 (its one-sided value log p + 1 is −∞ there), so ∂l/∂p = −log q.
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const fn = 'klDiv';
  const { reduction, logTarget } = checkKlDivOptions(fn, options);
  const x = checkFloatTensor(fn, 'input', input);
  const t = checkFloatTensor(fn, 'target', target).to(x.dtype);
  checkSameShape(fn, x, t);
  let loss: Tensor;
  if (logTarget) {
    loss = t.exp().mul(t.sub(x));
  } else {
    // p·log p with p = 0 giving 0 and no 0·∞ in the backward pass: log is taken of a
    // safe value where p ≤ 0 (a negative p is no probability; PyTorch gives NaN there).
    const positive = gt(t, 0);
    const xlogx = where(positive, t.mul(where(positive, t, 1).log()), where(t.eq(0), 0, NaN));
    loss = xlogx.sub(t.mul(x));
  }
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'mean') return loss.mean();
  return x.ndim === 0 ? loss.sum() : loss.sum().div(x.shape[0]!);
}
