/** Losses: every one a composition of tensor ops, so autograd supplies all gradients. */
export type { Reduction } from './reduction';
export type { ScalarLike } from './validate';
export { crossEntropy, type CrossEntropyOptions } from './cross-entropy';
export { nllLoss, type NllLossOptions } from './nll-loss';
export {
  binaryCrossEntropy, binaryCrossEntropyWithLogits,
  type BinaryCrossEntropyOptions, type BinaryCrossEntropyWithLogitsOptions,
} from './binary-cross-entropy';
export { softMarginLoss, type SoftMarginLossOptions } from './soft-margin-loss';
export { sigmoidFocalLoss, type SigmoidFocalLossOptions } from './sigmoid-focal-loss';
export { softmaxFocalLoss, type SoftmaxFocalLossOptions } from './softmax-focal-loss';
export { dualFocalLoss, type DualFocalLossOptions } from './dual-focal-loss';
export { log1mSoftmax } from './log1m-softmax';
export type { TrainableScalarOptions, ScalarOption } from './trainable-scalar';
export {
  CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, SoftMarginLoss,
  GammaLoss, SigmoidFocalLoss, SoftmaxFocalLoss, DualFocalLoss,
  type CrossEntropyLossOptions, type SigmoidFocalLossModuleOptions, type SoftmaxFocalLossModuleOptions,
  type DualFocalLossModuleOptions,
} from './modules';
