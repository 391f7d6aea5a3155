export { Optimizer, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type Params } from './optimizer.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamState } from './adam.js';
export { RMSprop, type RMSpropOptions, type RMSpropState } from './rmsprop.js';
export { Adagrad, type AdagradOptions, type AdagradState } from './adagrad.js';
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR,
  type SchedulableOptimizer, type SchedulerState, type LinearLROptions, type OneCycleLROptions,
} from './lr-scheduler/index.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
