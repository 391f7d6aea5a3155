import { ValueError } from '@tsgrad/tensor';
import { LRScheduler, checkFinite, checkOptionNames, checkPositiveInt, setInitialLr, type SchedulableOptimizer } from './scheduler.js';

export interface OneCycleLROptions {
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch` (total = their product). */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear' annealing between the phase end points. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum inversely to the lr (default true): SGD/RMSprop `momentum`, Adam's β₁. */
  cycleMomentum?: boolean;
  /** Lowest momentum, reached at the lr peak (default 0.85; a number or one per group). */
  baseMomentum?: number | readonly number[];
  /** Highest momentum, at the start and the end (default 0.95; a number or one per group). */
  maxMomentum?: number | readonly number[];
  /** Starting lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = starting lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the starting lr, then down to the final lr) instead of two (default false). */
  threePhase?: boolean;
}

const KEYS = ['totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'];

type Bound = 'initialLr' | 'maxLr' | 'minLr' | 'maxMomentum' | 'baseMomentum';

interface Phase {
  endStep: number;
  startLr: Bound;
  endLr: Bound;
  startMomentum: Bound;
  endMomentum: Bound;
}

interface GroupBounds {
  initialLr: number;
  maxLr: number;
  minLr: number;
  maxMomentum: number;
  baseMomentum: number;
}

/** cos annealing from start (pct = 0) to end (pct = 1), in PyTorch's arithmetic. */
function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2.0) * cosOut;
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

function perGroup(where: string, arg: string, v: unknown, n: number, range: { min?: number; minExclusive?: boolean }): number[] {
  if (Array.isArray(v)) {
    if (v.length !== n) throw new ValueError(`${where}: argument '${arg}' expected ${n} values (one per parameter group), got ${v.length}`);
    return v.map((x, i) => checkFinite(where, `${arg}[${i}]`, x, range));
  }
  return Array<number>(n).fill(checkFinite(where, arg, v, range));
}

/**
 * The 1cycle policy (Smith & Topin 2018), like `torch.optim.lr_scheduler.OneCycleLR`;
 * step it after every batch. With i = lastEpoch and two phases (the default):
 *
 *     phase 1, i ≤ pctStart·total − 1:  lr from maxLr/divFactor up to maxLr
 *     phase 2, up to total − 1:          lr from maxLr down to maxLr/(divFactor·finalDivFactor)
 *
 * each as anneal(start, end, pct), pct = (i − phaseStart)/(phaseEnd − phaseStart), with
 * cos: end + (start − end)/2·(1 + cos(π·pct)) or linear: start + (end − start)·pct.
 * `threePhase` goes up over pctStart·total − 1 steps, back down to the starting lr by
 * 2·pctStart·total − 2, then to the final lr at total − 1. With `cycleMomentum` the
 * momentum (SGD's and RMSprop's `momentum`, or Adam's β₁) runs the other way, between
 * maxMomentum and baseMomentum; the constructor sets it to maxMomentum. Stepping past
 * `totalSteps` is an error, as in PyTorch. The schedule is computed from the step number
 * (not recursively), so it matches PyTorch's numbers exactly.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  /** Adam-style `betas` (β₁ cycled) rather than a `momentum` option. */
  readonly useBeta1: boolean;
  readonly phases: Phase[];
  readonly groupBounds: GroupBounds[];

  constructor(optimizer: SchedulableOptimizer, maxLr: number | readonly number[], opts: OneCycleLROptions = {}) {
    super('OneCycleLR', optimizer);
    const where = 'OneCycleLR';
    checkOptionNames(where, opts, KEYS);
    let total: number;
    if (opts.totalSteps !== undefined) {
      total = checkPositiveInt(where, 'totalSteps', opts.totalSteps);
    } else if (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined) {
      total = checkPositiveInt(where, 'epochs', opts.epochs) * checkPositiveInt(where, 'stepsPerEpoch', opts.stepsPerEpoch);
    } else {
      throw new ValueError(`${where}: expected option 'totalSteps', or both 'epochs' and 'stepsPerEpoch'`);
    }
    this.totalSteps = total;
    const pctStart = checkFinite(where, 'pctStart', opts.pctStart ?? 0.3, { min: 0, max: 1 });
    const anneal = opts.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new ValueError(`${where}: option 'annealStrategy' expected 'cos' or 'linear', got ${String(anneal)}`);
    this.annealStrategy = anneal;
    const divFactor = checkFinite(where, 'divFactor', opts.divFactor ?? 25, { min: 0, minExclusive: true });
    const finalDivFactor = checkFinite(where, 'finalDivFactor', opts.finalDivFactor ?? 1e4, { min: 0, minExclusive: true });
    const threePhase = opts.threePhase ?? false;
    const cycleMomentum = opts.cycleMomentum ?? true;
    if (typeof threePhase !== 'boolean') throw new ValueError(`${where}: option 'threePhase' expected a boolean, got ${String(threePhase)}`);
    if (typeof cycleMomentum !== 'boolean') throw new ValueError(`${where}: option 'cycleMomentum' expected a boolean, got ${String(cycleMomentum)}`);
    const groups = optimizer.paramGroups;
    const n = groups.length;
    const maxLrs = perGroup(where, 'maxLr', maxLr, n, { min: 0 });
    const maxMomentums = perGroup(where, 'maxMomentum', opts.maxMomentum ?? 0.95, n, { min: 0 });
    const baseMomentums = perGroup(where, 'baseMomentum', opts.baseMomentum ?? 0.85, n, { min: 0 });
    const defaults = optimizer.defaults as Record<string, unknown>;
    if (cycleMomentum && !('momentum' in defaults) && !('betas' in defaults)) {
      throw new ValueError(`${where}: option 'cycleMomentum' needs an optimiser with a 'momentum' or 'betas' option; pass cycleMomentum: false`);
    }
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = 'betas' in defaults;
    this.phases = threePhase
      ? [
          { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pctStart * total - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: total - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pctStart * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: total - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.phases.forEach((ph, i) => {
      const start = i === 0 ? 0 : this.phases[i - 1]!.endStep;
      if (ph.endStep === start) {
        throw new ValueError(`${where}: phase ${i + 1} of the schedule has zero length (pctStart = ${pctStart}, totalSteps = ${total}); PyTorch fails with a division by zero there`);
      }
    });
    // Every check is done: only now touch the optimiser's groups.
    this.groupBounds = maxLrs.map((m, i) => {
      const initialLr = m / divFactor;
      return { initialLr, maxLr: m, minLr: initialLr / finalDivFactor, maxMomentum: maxMomentums[i]!, baseMomentum: baseMomentums[i]! };
    });
    groups.forEach((g, i) => setInitialLr(g, this.groupBounds[i]!.initialLr));
    this.baseLrs = this.groupBounds.map((b) => b.initialLr);
    if (cycleMomentum) groups.forEach((g, i) => this.setMomentum(g, this.groupBounds[i]!.maxMomentum));
    this.initialStep();
  }

  private setMomentum(group: { lr: number }, m: number): void {
    const g = group as unknown as Record<string, unknown>;
    if (this.useBeta1) {
      const betas = g['betas'] as readonly number[];
      g['betas'] = [m, ...betas.slice(1)];
    } else {
      g['momentum'] = m;
    }
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ValueError(`OneCycleLR.step: tried to step ${step} times, the specified number of total steps is ${this.totalSteps}`);
    }
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    const lrs: number[] = [];
    const momentums: number[] = [];
    for (const b of this.groupBounds) {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i]!;
        if (step <= phase.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (phase.endStep - start);
          lrs.push(anneal(b[phase.startLr], b[phase.endLr], pct));
          momentums.push(anneal(b[phase.startMomentum], b[phase.endMomentum], pct));
          break;
        }
        start = phase.endStep;
      }
    }
    if (this.cycleMomentum) this.optimizer.paramGroups.forEach((g, i) => this.setMomentum(g, momentums[i]!));
    return lrs;
  }
}
