import { Tensor, ValueError } from '@tsgrad/tensor';

/** How a loss folds its per-element values: PyTorch's `reduction` argument. */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Validates a `reduction` option, naming the function that received it. */
export function checkReduction(fn: string, reduction: unknown): Reduction {
  if (typeof reduction === 'string' && (REDUCTIONS as readonly string[]).includes(reduction)) return reduction as Reduction;
  const got = typeof reduction === 'string' ? `'${reduction}'` : String(reduction);
  throw new ValueError(`${fn}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${got}`);
}

/** 'mean' averages every element, 'sum' adds them, 'none' keeps the per-element losses. */
export function applyReduction(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}
