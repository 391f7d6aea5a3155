/**
 * SLOT — not implemented yet: the @tsgrad/nn losses, forward + backward w.r.t. the
 * logits, once that package exports them. Planned rows (group 'nn-losses'):
 *
 *   nn-losses/cross-entropy-2d      crossEntropy        [512, 1000] logits, int targets
 *   nn-losses/cross-entropy-4d      crossEntropy        [8, 5, 128, 128] (K-dim, class dim 1)
 *   nn-losses/softmax-focal-2d|4d   softmaxFocalLoss    same two shapes (gamma 2)
 *   nn-losses/dual-focal-2d|4d      dualFocalLoss       same two shapes (defaults; also a
 *                                                       tensor gamma with requiresGrad)
 *
 * Each is a `Workload` like `cross-entropy/fwd-bwd` (see cross-entropy.ts): the
 * tsgrad impl calls the nn function and `loss.backward()`; peers that have the loss
 * (tfjs: softmaxCrossEntropy only) get an impl, the rest are left out and print
 * "n/a" with a reason in `naReason`. The plain column can reuse
 * `softmaxCrossEntropyLoop` for the [512,1000] cross-entropy.
 */
import type { Workload } from '../lib/types';

export const nnLossWorkloads: Workload[] = [];
