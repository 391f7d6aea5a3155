import { Tensor } from '@tsgrad/tensor';
import { Module } from '../module.js';
import { checkKlDivOptions, klDiv, type KlDivOptions, type KlDivReduction } from './kl-div.js';
import type { Reduction } from './reduction.js';
import {
  checkHuberOptions, checkRegressionOptions, checkSmoothL1Options, huberLoss, l1Loss, mseLoss, smoothL1Loss,
  type HuberLossOptions, type RegressionLossOptions, type SmoothL1LossOptions,
} from './regression.js';

/*
 * Module forms of the regression losses and the KL divergence (like torch.nn.MSELoss):
 * options checked at construction, `forward(input, target)` calls the function.
 */

/** `torch.nn.MSELoss`: see {@link mseLoss}. */
export class MSELoss extends Module {
  readonly reduction: Reduction;

  constructor(options: RegressionLossOptions = {}) {
    super();
    this.reduction = checkRegressionOptions('MSELoss', options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** `torch.nn.L1Loss`: see {@link l1Loss}. */
export class L1Loss extends Module {
  readonly reduction: Reduction;

  constructor(options: RegressionLossOptions = {}) {
    super();
    this.reduction = checkRegressionOptions('L1Loss', options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** `torch.nn.SmoothL1Loss`: see {@link smoothL1Loss}. */
export class SmoothL1Loss extends Module {
  readonly reduction: Reduction;
  readonly beta: number;

  constructor(options: SmoothL1LossOptions = {}) {
    super();
    ({ reduction: this.reduction, beta: this.beta } = checkSmoothL1Options('SmoothL1Loss', options));
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }

  override extraRepr(): string {
    return `beta=${this.beta}, reduction='${this.reduction}'`;
  }
}

/** `torch.nn.HuberLoss`: see {@link huberLoss}. */
export class HuberLoss extends Module {
  readonly reduction: Reduction;
  readonly delta: number;

  constructor(options: HuberLossOptions = {}) {
    super();
    ({ reduction: this.reduction, delta: this.delta } = checkHuberOptions('HuberLoss', options));
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }

  override extraRepr(): string {
    return `delta=${this.delta}, reduction='${this.reduction}'`;
  }
}

/** `torch.nn.KLDivLoss`: see {@link klDiv}. `forward(input, target)`: input log-probabilities. */
export class KLDivLoss extends Module {
  readonly reduction: KlDivReduction;
  readonly logTarget: boolean;

  constructor(options: KlDivOptions = {}) {
    super();
    ({ reduction: this.reduction, logTarget: this.logTarget } = checkKlDivOptions('KLDivLoss', options));
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}', logTarget=${this.logTarget}`;
  }
}
