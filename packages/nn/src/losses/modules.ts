import { ShapeError, Tensor, ValueError, describeValue } from '@tsgrad/tensor';
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
import { checkConstructionScalar, checkFloatTensor, type ScalarLike } from './validate.js';

/**
 * A weight tensor given to a loss module's constructor: floating point, and 1-d (one
 * value per class) unless `anyShape` (BCE weights broadcast against the input, which is
 * checked at forward). The class count is only known at forward, where it is checked too.
 */
/** The γ option of a focal-loss module's options, after checking that the options are an object. */
function gammaOption(fn: string, options: unknown, fallback: number): ScalarOption {
  if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Tensor) {
    throw new ValueError(`${fn}: argument 'options' expected an options object, got ${describeValue(options)}`);
  }
  const gamma = (options as { gamma?: ScalarOption | null }).gamma;
  if (gamma === null) throw new ValueError(`${fn}: argument 'gamma' expected a value or undefined (left out for the default), got null`);
  return gamma ?? fallback;
}

function checkWeightOption(fn: string, arg: string, value: Tensor | undefined, anyShape = false): Tensor | undefined {
  if (value === undefined) return undefined;
  const t = checkFloatTensor(fn, arg, value);
  if (!anyShape && t.ndim !== 1) throw new ShapeError(`${fn}: argument '${arg}' expected a 1-d Tensor (one value per class), got shape [${t.shape.join(', ')}]`);
  return t;
}

/** `name=value, …` for a loss module's printed form (tensors as their shape, strings quoted). */
function reprOptions(options: Record<string, unknown>): string {
  return Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v instanceof Tensor ? `Tensor[${v.shape.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v)}`)
    .join(', ');
}

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
    this.weight = checkWeightOption('CrossEntropyLoss', 'weight', options.weight);
    this.ignoreIndex = checked.ignoreIndex;
    this.reduction = checked.reduction;
    this.labelSmoothing = checked.labelSmoothing;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }

  override extraRepr(): string {
    return reprOptions({ weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
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
    this.weight = checkWeightOption('NLLLoss', 'weight', options.weight);
    this.ignoreIndex = checked.ignoreIndex;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }

  override extraRepr(): string {
    return reprOptions({ weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** `torch.nn.BCELoss`: see {@link binaryCrossEntropy}. */
export class BCELoss extends Module {
  readonly weight: Tensor | undefined;
  readonly reduction: Reduction;

  constructor(options: { weight?: Tensor; reduction?: Reduction } = {}) {
    super();
    this.reduction = checkBinaryOptions('BCELoss', options, false);
    this.weight = checkWeightOption('BCELoss', 'weight', options.weight, true);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }

  override extraRepr(): string {
    return reprOptions({ weight: this.weight, reduction: this.reduction });
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
    this.weight = checkWeightOption('BCEWithLogitsLoss', 'weight', options.weight, true);
    this.posWeight = checkWeightOption('BCEWithLogitsLoss', 'posWeight', options.posWeight, true);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }

  override extraRepr(): string {
    return reprOptions({ weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
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

  override extraRepr(): string {
    return reprOptions({ reduction: this.reduction });
  }
}

/**
 * Base of the losses with a focusing exponent γ, which may be trainable:
 * `{ init, min, max }` makes γ = min + (max − min)·σ(θ) with θ = `gammaTheta`, a
 * Parameter that `parameters()` lists, so any optimiser updates it.
 *
 * **Trained on the training loss, γ drifts to its upper bound.** Raising γ shrinks the
 * focal factor of every position, so the loss only falls: for Dual Focal Loss
 * ∂l/∂γ = α·Σ_c |y_c − p_c|^γ·log|y_c − p_c| ≤ 0 (each |y_c − p_c| ≤ 1), and for the
 * focal losses ∂l/∂γ = −α_t·(1 − p_t)^γ·log(1 − p_t)·log p_t ≤ 0 likewise. Gradient
 * descent on that loss therefore raises γ monotonically until σ saturates near `max`;
 * the mode stays (the authors' learnable scaling), but it does not find a γ that helps
 * the model. To tune γ for what you care about — held-out performance — use
 * {@link HyperTuner}: it follows the hypergradient of a validation objective through
 * one look-ahead step of the model.
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

  /** γ for one forward pass: a graph tensor (reaching θ) when trainable, else the fixed γ. */
  gammaValue(): ScalarLike {
    return this.gammaScalar.value(this.gammaTheta);
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
    super('SigmoidFocalLoss', gammaOption('SigmoidFocalLoss', options, 2));
    const { gamma: _g, ...rest } = options;
    const checked = checkSigmoidFocalOptions('SigmoidFocalLoss', rest);
    this.alpha = checked.alpha;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return sigmoidFocalLoss(input, target, { alpha: this.alpha, gamma: this.gammaValue(), reduction: this.reduction });
  }

  override extraRepr(): string {
    return reprOptions({ alpha: this.alpha, gamma: this.gamma, reduction: this.reduction });
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
    super('SoftmaxFocalLoss', gammaOption('SoftmaxFocalLoss', options, 2));
    const { gamma: _g, ...rest } = options;
    const checked = checkSoftmaxFocalOptions('SoftmaxFocalLoss', rest);
    this.alpha = options.alpha instanceof Tensor && options.alpha.ndim === 1
      ? checkWeightOption('SoftmaxFocalLoss', 'alpha', options.alpha)
      : options.alpha === undefined ? undefined : checkConstructionScalar('SoftmaxFocalLoss', 'alpha', options.alpha);
    this.ignoreIndex = checked.ignoreIndex;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return softmaxFocalLoss(input, target, { alpha: this.alpha, gamma: this.gammaValue(), ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }

  override extraRepr(): string {
    return reprOptions({ alpha: this.alpha, gamma: this.gamma, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
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
 * `new DualFocalLoss({ gamma: { init: 2, min: 0.5, max: 5 } })` learns γ ∈ [0.5, 5]:
 * put `gammaTheta` in an optimiser and γ drifts to 5 (see {@link GammaLoss}); give the
 * loss to a {@link HyperTuner} instead and γ follows a validation objective.
 */
export class DualFocalLoss extends GammaLoss {
  readonly alpha: ScalarLike;
  readonly beta: ScalarLike;
  readonly rho: number;
  readonly reduction: Reduction;

  constructor(options: DualFocalLossModuleOptions = {}) {
    super('DualFocalLoss', gammaOption('DualFocalLoss', options, 1));
    const { gamma: _g, ...rest } = options;
    const checked = checkDualFocalOptions('DualFocalLoss', rest);
    this.alpha = checkConstructionScalar('DualFocalLoss', 'alpha', options.alpha ?? 1);
    this.beta = checkConstructionScalar('DualFocalLoss', 'beta', options.beta ?? 1);
    this.rho = checked.rho;
    this.reduction = checked.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return dualFocalLoss(input, target, { alpha: this.alpha, beta: this.beta, rho: this.rho, gamma: this.gammaValue(), reduction: this.reduction });
  }

  override extraRepr(): string {
    return reprOptions({ alpha: this.alpha, beta: this.beta, rho: this.rho, gamma: this.gamma, reduction: this.reduction });
  }
}
