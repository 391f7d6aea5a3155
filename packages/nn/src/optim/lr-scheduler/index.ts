export { LRScheduler, type SchedulableOptimizer, type SchedulerState } from './scheduler.js';
export { StepLR, MultiStepLR, ExponentialLR } from './step-lr.js';
export { CosineAnnealingLR } from './cosine-annealing-lr.js';
export { LinearLR, type LinearLROptions } from './linear-lr.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle-lr.js';
