/** Losses: every one a composition of tensor ops, so autograd supplies all gradients. */
export type { Reduction } from './reduction.js';
export type { ScalarLike } from './validate.js';
export { crossEntropy, type CrossEntropyOptions } from './cross-entropy.js';
export { nllLoss, type NllLossOptions } from './nll-loss.js';
export {
  binaryCrossEntropy, binaryCrossEntropyWithLogits,
  type BinaryCrossEntropyOptions, type BinaryCrossEntropyWithLogitsOptions,
} from './binary-cross-entropy.js';
export { softMarginLoss, type SoftMarginLossOptions } from './soft-margin-loss.js';
export { sigmoidFocalLoss, type SigmoidFocalLossOptions } from './sigmoid-focal-loss.js';
export { softmaxFocalLoss, type SoftmaxFocalLossOptions } from './softmax-focal-loss.js';
export { dualFocalLoss, type DualFocalLossOptions } from './dual-focal-loss.js';
export { log1mSoftmax } from './log1m-softmax.js';
export type { TrainableScalarOptions, ScalarOption } from './trainable-scalar.js';
export {
  CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, SoftMarginLoss,
  GammaLoss, SigmoidFocalLoss, SoftmaxFocalLoss, DualFocalLoss,
  type CrossEntropyLossOptions, type SigmoidFocalLossModuleOptions, type SoftmaxFocalLossModuleOptions,
  type DualFocalLossModuleOptions,
} from './modules.js';
export {
  mseLoss, l1Loss, smoothL1Loss, huberLoss,
  type RegressionLossOptions, type SmoothL1LossOptions, type HuberLossOptions,
} from './regression.js';
export { klDiv, type KlDivOptions, type KlDivReduction } from './kl-div.js';
export { MSELoss, L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss } from './regression-modules.js';
