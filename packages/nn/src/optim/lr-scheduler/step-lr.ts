import { ValueError } from '@tsgrad/tensor';
import { LRScheduler, checkFinite, checkOptionNames, checkPositiveInt, type SchedulableOptimizer } from './scheduler.js';

/**
 * Multiplies the learning rate by `gamma` every `stepSize` epochs, like
 * `torch.optim.lr_scheduler.StepLR` (gamma default 0.1). Closed form:
 * lr_t = base·gamma^⌊t / stepSize⌋.
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, stepSize: number, opts: { gamma?: number } = {}) {
    super('StepLR', optimizer);
    checkOptionNames('StepLR', opts, ['gamma']);
    this.stepSize = checkPositiveInt('StepLR', 'stepSize', stepSize);
    this.gamma = checkFinite('StepLR', 'gamma', opts.gamma ?? 0.1, { min: 0 });
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
}

/**
 * Multiplies the learning rate by `gamma` at each milestone epoch, like
 * `torch.optim.lr_scheduler.MultiStepLR` (a milestone listed k times multiplies by
 * gamma^k). Closed form: lr_t = base·gamma^(number of milestones ≤ t).
 */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, milestones: readonly number[], opts: { gamma?: number } = {}) {
    super('MultiStepLR', optimizer);
    checkOptionNames('MultiStepLR', opts, ['gamma']);
    if (!Array.isArray(milestones) || !milestones.every((m) => Number.isInteger(m) && m >= 0)) {
      throw new ValueError(`MultiStepLR: argument 'milestones' expected an array of non-negative integers, got ${String(milestones)}`);
    }
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = checkFinite('MultiStepLR', 'gamma', opts.gamma ?? 0.1, { min: 0 });
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    if (count === 0) return lrs;
    return lrs.map((lr) => lr * this.gamma ** count);
  }
}

/**
 * Multiplies the learning rate by `gamma` every epoch, like
 * `torch.optim.lr_scheduler.ExponentialLR`. Closed form: lr_t = base·gamma^t.
 */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, gamma: number) {
    super('ExponentialLR', optimizer);
    this.gamma = checkFinite('ExponentialLR', 'gamma', gamma, { min: 0 });
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }
}
