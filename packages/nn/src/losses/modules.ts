import { Tensor } from '@tsgrad/tensor';
import { Module, Parameter } from '../module.js';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, checkBinaryOptions } from './binary-cross-entropy.js';
import { checkCrossEntropyOptions, crossEntropy } from './cross-entropy.js';
import { checkDualFocalOptions, dualFocalLoss } from './dual-focal-loss.js';
import { checkNllOptions, nllLoss } from './nll-loss.js';
import type { Reduction } from './reduction.js';
import { checkSigmoidFocalOptions, sigmoidFocalLoss } from './sigmoid-focal-loss.js';
import { checkSoftMarginOptions, softMarginLoss } from './soft-margin-loss.js';
import { checkSoftmaxFocalOptions, softmaxFocalLoss } from './softmax-focal-loss.js';
import { ModuleScalar, type ScalarOption } from './trainable-scalar.js';
import type { ScalarLike } from './validate.js';

/*
 * Module forms of the losses (like torch.nn.CrossEntropyLoss): they hold their options,
 * checked at construction, and `forward(input, target)` calls the functional loss. The
 * focal modules may own a trainable γ, exposed through parameters() as `gammaTheta`.
 */

/** Options of the class-index losses, as the modules keep them. */
export interface CrossEntropyLossOptions {
  weight?: Tensor;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** `torch.nn.CrossEntropyLoss`: see {@link crossEntropy}. */
export class CrossEntropyLoss extends Module {
  readonly weight: Tensor | undefined;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;

  constructor(options: CrossEntropyLossOptions = {}) {
    super();
    const checked = checkCrossEntropyOptions('CrossEntropyLoss', options);
    this.weight = options.weight;
    this.ignoreIndex = checked.ignoreIndex;
    this.reduction = checked.reduction;
    this.labelSmoothing = checked.labelSmoothing;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/** `torch.nn.NLLLoss`: see {@link nllLoss}. */
export class NLLLoss extends Module {
  readonly weight: Tensor | undefined;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;

  constructor(options: { weight?: Tensor; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super();
    const checked = checkNllOptions('NLLLoss', options);
    this.weight = options.weight;
    this.ignoreIndex = checked.ignoreIndex;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** `torch.nn.BCELoss`: see {@link binaryCrossEntropy}. */
export class BCELoss extends Module {
  readonly weight: Tensor | undefined;
  readonly reduction: Reduction;

  constructor(options: { weight?: Tensor; reduction?: Reduction } = {}) {
    super();
    this.reduction = checkBinaryOptions('BCELoss', options, false);
    this.weight = options.weight;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** `torch.nn.BCEWithLogitsLoss`: see {@link binaryCrossEntropyWithLogits}. */
export class BCEWithLogitsLoss extends Module {
  readonly weight: Tensor | undefined;
  readonly posWeight: Tensor | undefined;
  readonly reduction: Reduction;

  constructor(options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {}) {
    super();
    this.reduction = checkBinaryOptions('BCEWithLogitsLoss', options, true);
    this.weight = options.weight;
    this.posWeight = options.posWeight;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}

/** `torch.nn.SoftMarginLoss`: see {@link softMarginLoss}. */
export class SoftMarginLoss extends Module {
  readonly reduction: Reduction;

  constructor(options: { reduction?: Reduction } = {}) {
    super();
    this.reduction = checkSoftMarginOptions('SoftMarginLoss', options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Base of the losses with a focusing exponent γ, which may be trainable:
 * `{ init, min, max }` makes γ = min + (max − min)·σ(θ) with θ = `gammaTheta`, a
 * Parameter that `parameters()` lists, so any optimiser updates it.
 */
export abstract class GammaLoss extends Module {
  /** θ of a trainable γ; null when γ is fixed. */
  readonly gammaTheta: Parameter | null;
  private readonly gammaScalar: ModuleScalar;

  protected constructor(name: string, gamma: ScalarOption) {
    super();
    this.gammaScalar = new ModuleScalar(name, 'gamma', gamma, 0);
    this.gammaTheta = this.gammaScalar.theta;
  }

  /** The current γ as a number. */
  get gamma(): number {
    return this.gammaScalar.current();
  }

  /** γ for one forward pass: a graph tensor (reaching θ) when trainable. */
  protected gammaValue(): ScalarLike {
    return this.gammaScalar.value();
  }
}

export interface SigmoidFocalLossModuleOptions {
  alpha?: number;
  /** A number, a 0-d tensor, or `{ init, min, max, trainable? }` for a learned γ. Default 2. */
  gamma?: ScalarOption;
  reduction?: Reduction;
}

/** torchvision's sigmoid focal loss as a module: see {@link sigmoidFocalLoss}. Default reduction 'none'. */
export class SigmoidFocalLoss extends GammaLoss {
  readonly alpha: number;
  readonly reduction: Reduction;

  constructor(options: SigmoidFocalLossModuleOptions = {}) {
    super('SigmoidFocalLoss', options.gamma ?? 2);
    const { gamma: _g, ...rest } = options;
    const checked = checkSigmoidFocalOptions('SigmoidFocalLoss', rest);
    this.alpha = checked.alpha;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return sigmoidFocalLoss(input, target, { alpha: this.alpha, gamma: this.gammaValue(), reduction: this.reduction });
  }
}

export interface SoftmaxFocalLossModuleOptions {
  alpha?: number | Tensor;
  /** A number, a 0-d tensor, or `{ init, min, max, trainable? }` for a learned γ. Default 2. */
  gamma?: ScalarOption;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** The multi-class focal loss as a module: see {@link softmaxFocalLoss}. */
export class SoftmaxFocalLoss extends GammaLoss {
  readonly alpha: number | Tensor | undefined;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;

  constructor(options: SoftmaxFocalLossModuleOptions = {}) {
    super('SoftmaxFocalLoss', options.gamma ?? 2);
    const { gamma: _g, ...rest } = options;
    const checked = checkSoftmaxFocalOptions('SoftmaxFocalLoss', rest);
    this.alpha = options.alpha;
    this.ignoreIndex = checked.ignoreIndex;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return softmaxFocalLoss(input, target, { alpha: this.alpha, gamma: this.gammaValue(), ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export interface DualFocalLossModuleOptions {
  alpha?: ScalarLike;
  beta?: ScalarLike;
  rho?: number;
  /** A number, a 0-d tensor, or `{ init, min, max, trainable? }` for a learned γ. Default 1. */
  gamma?: ScalarOption;
  reduction?: Reduction;
}

/**
 * The Dual Focal Loss as a module: see {@link dualFocalLoss}.
 * `new DualFocalLoss({ gamma: { init: 2, min: 0.5, max: 5 } })` learns γ ∈ [0.5, 5].
 */
export class DualFocalLoss extends GammaLoss {
  readonly alpha: ScalarLike;
  readonly beta: ScalarLike;
  readonly rho: number;
  readonly reduction: Reduction;

  constructor(options: DualFocalLossModuleOptions = {}) {
    super('DualFocalLoss', options.gamma ?? 1);
    const { gamma: _g, ...rest } = options;
    const checked = checkDualFocalOptions('DualFocalLoss', rest);
    this.alpha = options.alpha ?? 1;
    this.beta = options.beta ?? 1;
    this.rho = checked.rho;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return dualFocalLoss(input, target, { alpha: this.alpha, beta: this.beta, rho: this.rho, gamma: this.gammaValue(), reduction: this.reduction });
  }
}
