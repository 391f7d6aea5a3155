import { LRScheduler, checkFinite, checkOptionNames, checkPositiveInt, type SchedulableOptimizer } from './scheduler.js';

/**
 * Cosine annealing from each group's base lr down to `etaMin` over `tMax` epochs, like
 * `torch.optim.lr_scheduler.CosineAnnealingLR` (no restarts). Closed form, with t = lastEpoch:
 *
 *     lr_t = etaMin + (base − etaMin)·(1 + cos(π·t / tMax)) / 2
 *
 * which keeps following the cosine past tMax (back up to base at 2·tMax, period 2·tMax).
 * Like PyTorch, each step is computed **recursively** from the current lr:
 *
 *     lr_t = etaMin + (lr_{t−1} − etaMin)·(1 + cos(π·t/tMax)) / (1 + cos(π·(t − 1)/tMax))
 *
 * except one step past each minimum ((t − 1 − tMax) mod 2·tMax = 0), where that ratio
 * would divide by 0 and lr_t = lr_{t−1} + (base − etaMin)·(1 − cos(π/tMax))/2 instead.
 * Both equal the closed form exactly in real arithmetic; in floating point the recursion
 * accumulates rounding (relative differences of order 1e-15 per step), and it carries
 * forward any learning rate set by hand or by another scheduler, which the closed form
 * would overwrite.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: SchedulableOptimizer, tMax: number, opts: { etaMin?: number } = {}) {
    super('CosineAnnealingLR', optimizer);
    checkOptionNames('CosineAnnealingLR', opts, ['etaMin']);
    this.tMax = checkPositiveInt('CosineAnnealingLR', 'tMax', tMax);
    this.etaMin = checkFinite('CosineAnnealingLR', 'etaMin', opts.etaMin ?? 0, { min: 0 });
    this.initialStep();
  }

  protected getLr(): number[] {
    const t = this.lastEpoch;
    const groups = this.optimizer.paramGroups;
    if (t === 0) return groups.map((g) => g.lr);
    if ((t - 1 - this.tMax) % (2 * this.tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i]! - this.etaMin) * (1 - Math.cos(Math.PI / this.tMax))) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * t) / this.tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / this.tMax))) * (g.lr - this.etaMin) + this.etaMin,
    );
  }
}
