import type { Tensor } from '../tensor.js';
import type { PrimitiveName, PrimitiveParams } from '../ops/primitives.js';
import { isGradEnabled } from './grad-mode.js';
import { isFloat } from '../dtype.js';
import { currentEpoch } from './version.js';

/** One recorded primitive application: the edge list of the graph. */
export interface GradNode<K extends PrimitiveName = PrimitiveName> {
  readonly op: K;
  readonly inputs: readonly Tensor[];
  readonly params: PrimitiveParams[K];
  /** Set once backward() has run through it without retainGraph. */
  freed: boolean;
  /** When it was recorded, against in-place writes (./version.ts). */
  readonly epoch: number;
}

/**
 * Attaches `out` to the graph when recording is on, some input requires grad and the
 * output is floating point (comparisons, argmax and casts to int are not differentiable).
 */
export function record<K extends PrimitiveName>(out: Tensor, op: K, inputs: readonly Tensor[], params: PrimitiveParams[K]): Tensor {
  if (!isGradEnabled() || !isFloat(out.dtype)) return out;
  let any = false;
  for (const t of inputs) if (t.requiresGrad) any = true;
  if (!any) return out;
  out.requiresGrad = true;
  out.gradFn = { op, inputs, params, freed: false, epoch: currentEpoch() } as GradNode;
  return out;
}
