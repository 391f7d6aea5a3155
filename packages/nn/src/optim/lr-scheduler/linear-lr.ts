import { LRScheduler, checkFinite, checkOptionNames, checkPositiveInt, type SchedulableOptimizer } from './scheduler.js';

export interface LinearLROptions {
  /** Factor of the base lr at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor reached at `totalIters`, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the ramp (default 5). */
  totalIters?: number;
}

/**
 * Ramps the learning rate linearly from startFactor·base to endFactor·base over
 * `totalIters` epochs and holds it there, like `torch.optim.lr_scheduler.LinearLR`
 * (a warm-up with the defaults). Closed form:
 *
 *     lr_t = base·(startFactor + (endFactor − startFactor)·min(t, totalIters)/totalIters)
 *
 * computed recursively as PyTorch does: lr_0 = startFactor·lr, and for 0 < t ≤ totalIters
 * lr_t = lr_{t−1}·(1 + (end − start)/(totalIters·start + (t − 1)·(end − start))).
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: SchedulableOptimizer, opts: LinearLROptions = {}) {
    super('LinearLR', optimizer);
    checkOptionNames('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters']);
    this.startFactor = checkFinite('LinearLR', 'startFactor', opts.startFactor ?? 1 / 3, { min: 0, max: 1, minExclusive: true });
    this.endFactor = checkFinite('LinearLR', 'endFactor', opts.endFactor ?? 1, { min: 0, max: 1 });
    this.totalIters = checkPositiveInt('LinearLR', 'totalIters', opts.totalIters ?? 5);
    this.initialStep();
  }

  protected getLr(): number[] {
    const t = this.lastEpoch;
    const lrs = this.optimizer.paramGroups.map((g) => g.lr);
    if (t === 0) return lrs.map((lr) => lr * this.startFactor);
    if (t > this.totalIters) return lrs;
    const d = this.endFactor - this.startFactor;
    return lrs.map((lr) => lr * (1 + d / (this.totalIters * this.startFactor + (t - 1) * d)));
  }
}
