import { Tensor, ValueError, noGrad, sigmoid, tensor, type FloatDType } from '@tsgrad/tensor';
import { Parameter } from '../module.js';
import { checkConstructionScalar as checkFixedScalar, type ScalarLike } from './validate.js';

/**
 * A loss coefficient that the loss module learns: value = min + (max − min)·σ(θ), with
 * θ a Parameter. The sigmoid keeps the value inside [min, max] whatever an optimiser
 * does to θ, and it is smooth, so the gradient reaches θ everywhere (a clamp would
 * stop it dead at the bounds).
 */
export interface TrainableScalarOptions {
  /** Initial value, strictly between min and max. */
  init: number;
  /** Learn the value (default true); false keeps `init` fixed. */
  trainable?: boolean;
  min: number;
  max: number;
  /** dtype of θ. Default float32. */
  dtype?: FloatDType;
}

/** What a loss module accepts for γ: a fixed number, a 0-d tensor, or a trainable spec. */
export type ScalarOption = ScalarLike | TrainableScalarOptions;

function isSpec(v: unknown): v is TrainableScalarOptions {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor);
}

/** @internal A module's coefficient: fixed, or trainable through θ. */
export class ModuleScalar {
  readonly theta: Parameter | null = null;
  private readonly fixed: ScalarLike = 0;
  private readonly min: number = 0;
  private readonly range: number = 0;

  constructor(fn: string, arg: string, option: ScalarOption, lowest = -Infinity) {
    if (!isSpec(option)) {
      // Checked here, at construction, not at the first forward.
      this.fixed = checkFixedScalar(fn, arg, option, lowest);
      return;
    }
    const known = ['init', 'trainable', 'min', 'max', 'dtype'];
    for (const key of Object.keys(option)) {
      if (!known.includes(key)) throw new ValueError(`${fn}: unknown option '${arg}.${key}', expected one of ${known.map((k) => `'${k}'`).join(', ')}`);
    }
    const { init, min, max, trainable = true, dtype = 'float32' } = option;
    for (const [name, v] of [['init', init], ['min', min], ['max', max]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${fn}: argument '${arg}.${name}' expected a finite number, got ${String(v)}`);
    }
    if (min < lowest) throw new ValueError(`${fn}: argument '${arg}.min' expected a number >= ${lowest}, got ${min}`);
    if (!(min < init && init < max)) {
      throw new ValueError(`${fn}: argument '${arg}' expected min < init < max, got min ${min}, init ${init}, max ${max}`);
    }
    if (dtype !== 'float32' && dtype !== 'float64') throw new ValueError(`${fn}: argument '${arg}.dtype' expected 'float32' or 'float64', got ${String(dtype)}`);
    if (!trainable) {
      this.fixed = init;
      return;
    }
    const s = (init - min) / (max - min);
    this.theta = new Parameter(tensor(Math.log(s / (1 - s)), { dtype }));
    this.min = min;
    this.range = max - min;
  }

  /**
   * The coefficient to pass to the functional loss (a graph tensor when trainable).
   * `theta` is the θ to map, by default the own one; the owning module passes what its
   * field holds, so `functionalCall(loss, { gammaTheta: t }, …)` reaches γ.
   */
  value(theta: Tensor | null = this.theta): ScalarLike {
    return this.theta && theta ? sigmoid(theta).mul(this.range).add(this.min) : this.fixed;
  }

  /** The current value as a number. */
  current(): number {
    const v = noGrad(() => this.value());
    return typeof v === 'number' ? v : v.item();
  }
}
