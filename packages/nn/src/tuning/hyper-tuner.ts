import { Tensor, ValueError, describeValue, enableGrad, grad, noGrad } from '@tsgrad/tensor';
import { functionalCall, withSubstitutes } from '../functional-call.js';
import { GammaLoss } from '../losses/modules.js';
import { Module, Parameter } from '../module.js';
import { Adam } from '../optim/adam.js';
import { Optimizer } from '../optim/optimizer.js';
import { balancedCrossEntropy } from './balanced-cross-entropy.js';

/** A batch of inputs and their int32 class targets. */
export interface LabelledBatch {
  x: Tensor;
  y: Tensor;
}

/** A scalar objective of logits and targets, such as `crossEntropy` or `balancedCrossEntropy`. */
export type LogitsObjective = (logits: Tensor, target: Tensor) => Tensor;

/** Any optimiser (SGD, Adam, AdamW, or a subclass of `Optimizer`). */
export type AnyOptimizer = Optimizer<object, unknown>;

/** Default learning rate of the hyper-optimiser (Adam on the hyper-parameters). */
export const DEFAULT_HYPER_LR = 0.05;

export interface HyperTunerOptions {
  /** The model whose look-ahead step is differentiated. */
  model: Module;
  /**
   * The loss modules whose Parameters are the hyper-parameters: the trainable γ's θ
   * (`gammaTheta` of `DualFocalLoss`, `SoftmaxFocalLoss`, `SigmoidFocalLoss`) and any other
   * Parameter a loss owns (an α or class weights passed as a `Parameter`).
   */
  losses: readonly Module[];
  /** The model's optimiser: `step()` uses it, and its learning rates are the default look-ahead rates. */
  optimizer: AnyOptimizer;
  /** Take a hyper-step every `every` calls of `step()` (k; default 1). */
  every?: number;
  /**
   * η of the look-ahead w' = w − η·∇w L_train. Default: each parameter's current `lr` in
   * `optimizer` (read at every hyper-step, so schedules apply).
   */
  lookaheadLr?: number;
  /** L_val(logits, target) on the validation batch. Default {@link balancedCrossEntropy}. */
  valObjective?: LogitsObjective;
  /** L_train(logits, target). Default: the sum of the losses' `forward(logits, target)`. */
  trainObjective?: LogitsObjective;
  /**
   * Updates the hyper-parameters from their hypergradients. Default
   * `new Adam(hyperParameters, { lr: 0.05 })`. When given, its parameters are the ones tuned
   * (each must belong to one of `losses`).
   */
  hyperOptimizer?: AnyOptimizer;
  /**
   * [min, max] of hyper-parameters that are not a σ-bounded θ, by hyper-parameter name
   * (`'0.alpha'`); they are clamped after every update. Default [0, ∞): α and class weights
   * must not go negative. A trainable γ needs no bound here: γ = min + (max − min)·σ(θ).
   */
  bounds?: Readonly<Record<string, readonly [number, number]>>;
}

/** What one hyper-step did. */
export interface HyperStepResult {
  /** L_val(w') at the look-ahead weights, before the update. */
  valObjective: number;
  /** ∂L_val(w')/∂h for every hyper-parameter leaf h (θ for a trainable γ), by name. */
  hypergradients: Record<string, Tensor>;
  /** ∂L_val(w')/∂γ of each loss (null for a loss without a trainable γ). */
  gammaGradients: (number | null)[];
  /** γ of each loss after the update (null for a loss without γ). */
  gammas: (number | null)[];
  /** Wall time of the hyper-step in milliseconds. */
  ms: number;
}

/** What one `step()` did. */
export interface TunerStepResult {
  /** The training loss of the model step. */
  loss: number;
  /** The hyper-step taken before it, or null on the calls in between. */
  hyper: HyperStepResult | null;
}

/** Cost accounting, in milliseconds of wall time. */
export interface HyperTunerStats {
  modelSteps: number;
  hyperSteps: number;
  /** Mean wall time of a plain model step (forward, backward, optimiser). */
  meanModelStepMs: number;
  /** Mean wall time of a hyper-step. */
  meanHyperStepMs: number;
  /** meanHyperStepMs / meanModelStepMs: what one hyper-step costs in plain steps. */
  hyperStepCost: number;
  /** Total hyper-step time / total model-step time: the overhead on training, with `every` included. */
  overhead: number;
}

const fn = 'HyperTuner';

function checkBatch(where: string, arg: string, b: unknown): LabelledBatch {
  if (b === null || typeof b !== 'object' || !((b as LabelledBatch).x instanceof Tensor) || !((b as LabelledBatch).y instanceof Tensor)) {
    throw new ValueError(`${where}: argument '${arg}' expected { x: Tensor, y: Tensor }, got ${String(b)}`);
  }
  return b as LabelledBatch;
}

function isOptimizer(o: unknown): o is AnyOptimizer {
  return o instanceof Optimizer;
}

/**
 * Tunes the hyper-parameters of loss modules (the focusing γ above all) by the
 * **hypergradient of a held-out objective through one unrolled model step**.
 *
 * Trained on the training loss, a trainable γ only grows: for Dual Focal Loss
 * ∂l/∂γ = α·Σ|y − p|^γ·log|y − p| ≤ 0, so γ drifts to its upper bound. What a user wants
 * is the γ under which the *model* does best on held-out data. Every k model steps the
 * tuner, on the current training batch, takes the look-ahead
 *
 *     w' = w − η·∇w L_train(w, γ)          (createGraph: true, so w' depends on γ)
 *
 * evaluates L_val(w') on a validation batch (through {@link functionalCall}, the model
 * untouched), and backpropagates to γ: dL_val/dγ = −η·∇w'L_valᵀ·∂²L_train/∂w∂γ, a mixed
 * second derivative. Its own optimiser (default Adam, lr {@link DEFAULT_HYPER_LR}) then
 * updates γ's θ; the σ-reparametrisation keeps γ inside [min, max].
 *
 * The look-ahead is one plain gradient step even when the model trains with Adam: its
 * size scales the hypergradient, and the default Adam hyper-optimiser normalises that
 * scale away, so only its direction matters. The validation batch should come from data
 * the model does not train on (carved out of the training set, never the test set).
 *
 * Cost: a hyper-step runs a forward and a double backward on the training batch plus a
 * forward and backward on the validation batch: 1.6–1.9× a plain step for the spirals
 * example's MLP (examples/README.md); {@link HyperTuner.stats} measures it on yours, and
 * `every` divides the overhead.
 *
 * Caveat, measured in examples/gamma-study.ts: a one-step look-ahead judges γ by how much
 * the *next* step lowers L_val, which is not what the finished model scores, and on the
 * spirals γ drifted below the grid search's best γ (short-horizon bias).
 *
 * @example
 * const dfl = new DualFocalLoss({ gamma: { init: 2, min: 0, max: 5 } });
 * const opt = new Adam(model.parameters(), { lr: 1e-2 });     // γ is not in it
 * const tuner = new HyperTuner({ model, losses: [dfl], optimizer: opt, every: 5 });
 * for (const [x, y] of batches) {
 *   const { loss } = tuner.step({ x, y }, { x: xVal, y: yVal }); // model step (+ a γ step every 5th call)
 * }
 * dfl.gamma;            // where γ went
 * tuner.stats();        // ms per step and the overhead
 */
export class HyperTuner {
  readonly model: Module;
  readonly losses: readonly Module[];
  readonly optimizer: AnyOptimizer;
  readonly hyperOptimizer: AnyOptimizer;
  readonly every: number;
  readonly lookaheadLr: number | null;
  readonly valObjective: LogitsObjective;
  readonly trainObjective: LogitsObjective;
  private readonly hyper: { name: string; loss: number; local: string; param: Parameter; bounds: readonly [number, number] | null }[];
  private calls = 0;
  private modelMs = 0;
  private hyperMs = 0;
  private modelSteps = 0;
  private hyperSteps = 0;

  constructor(options: HyperTunerOptions) {
    if (options === null || typeof options !== 'object') throw new ValueError(`${fn}: argument 'options' expected an object, got ${String(options)}`);
    const known = ['model', 'losses', 'optimizer', 'every', 'lookaheadLr', 'valObjective', 'trainObjective', 'hyperOptimizer', 'bounds'];
    for (const k of Object.keys(options)) {
      if (!known.includes(k)) throw new ValueError(`${fn}: unknown option '${k}', expected one of ${known.map((n) => `'${n}'`).join(', ')}`);
    }
    const { model, losses, optimizer } = options;
    if (!(model instanceof Module)) throw new ValueError(`${fn}: option 'model' expected a Module, got ${String(model)}`);
    if (!Array.isArray(losses) || losses.length === 0 || !losses.every((l) => l instanceof Module)) {
      throw new ValueError(`${fn}: option 'losses' expected a non-empty array of loss Modules, got ${String(losses)}`);
    }
    if (!isOptimizer(optimizer)) throw new ValueError(`${fn}: option 'optimizer' expected the model's Optimizer, got ${String(optimizer)}`);
    const every = options.every === undefined ? 1 : options.every;
    if (!Number.isInteger(every) || every < 1) throw new ValueError(`${fn}: option 'every' expected a positive integer, got ${String(every)}`);
    const lr = options.lookaheadLr;
    if (lr !== undefined && (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0)) {
      throw new ValueError(`${fn}: option 'lookaheadLr' expected a positive finite number, got ${String(lr)}`);
    }
    for (const k of ['valObjective', 'trainObjective'] as const) {
      if (options[k] !== undefined && typeof options[k] !== 'function') throw new ValueError(`${fn}: option '${k}' expected a function (logits, target) => Tensor, got ${String(options[k])}`);
    }
    if (options.hyperOptimizer !== undefined && !isOptimizer(options.hyperOptimizer)) {
      throw new ValueError(`${fn}: option 'hyperOptimizer' expected an Optimizer, got ${String(options.hyperOptimizer)}`);
    }

    // Every Parameter of every loss, named `${lossIndex}.${name}`.
    const owned = new Map<Parameter, { name: string; loss: number; local: string }>();
    losses.forEach((l, i) => {
      for (const [local, p] of l.namedParameters()) if (!owned.has(p)) owned.set(p, { name: `${i}.${local}`, loss: i, local });
    });
    let chosen: Parameter[];
    if (options.hyperOptimizer) {
      chosen = [];
      options.hyperOptimizer.parameters().forEach((p, i) => {
        if (!(p instanceof Parameter) || !owned.has(p)) {
          throw new ValueError(`${fn}: option 'hyperOptimizer' parameter ${i} is not a Parameter of any of 'losses'; the tuner can only tune what the training loss depends on`);
        }
        chosen.push(p);
      });
    } else {
      chosen = [...owned.keys()];
    }
    if (chosen.length === 0) {
      throw new ValueError(
        `${fn}: option 'losses' has no trainable hyper-parameters; give a loss a trainable γ, e.g. new DualFocalLoss({ gamma: { init: 2, min: 0, max: 5 } })`,
      );
    }
    const modelParams = new Set<Tensor>(model.parameters());
    const modelOptParams = new Set<Tensor>(optimizer.parameters());
    const bounds = options.bounds === undefined ? {} : options.bounds;
    if (bounds === null || typeof bounds !== 'object') throw new ValueError(`${fn}: option 'bounds' expected an object of [min, max] pairs, got ${String(bounds)}`);
    const names = new Set(chosen.map((p) => owned.get(p)!.name));
    for (const [k, b] of Object.entries(bounds)) {
      if (!names.has(k)) throw new ValueError(`${fn}: option 'bounds' names '${k}', which is not a tuned hyper-parameter; expected one of [${[...names].join(', ')}]`);
      const ok = Array.isArray(b) && b.length === 2 && typeof b[0] === 'number' && typeof b[1] === 'number' && Number.isFinite(b[0]) && b[1] !== -Infinity && b[0] <= b[1];
      if (!ok) throw new ValueError(`${fn}: option 'bounds' entry '${k}' expected [min, max] numbers with min finite and min ≤ max (max may be Infinity), got ${describeValue(b)}`);
    }
    this.hyper = chosen.map((p) => {
      const o = owned.get(p)!;
      if (modelParams.has(p)) throw new ValueError(`${fn}: hyper-parameter '${o.name}' is also a parameter of 'model'`);
      if (modelOptParams.has(p)) {
        throw new ValueError(
          `${fn}: hyper-parameter '${o.name}' is also in option 'optimizer', which would train it on the training loss; leave the losses' parameters out of the model's optimiser`,
        );
      }
      const loss = losses[o.loss]!;
      const sigmoidBounded = loss instanceof GammaLoss && loss.gammaTheta === p;
      return { ...o, param: p, bounds: sigmoidBounded && !bounds[o.name] ? null : (bounds[o.name] ?? [0, Infinity]) };
    });

    this.model = model;
    this.losses = [...losses];
    this.optimizer = optimizer;
    this.every = every;
    this.lookaheadLr = lr ?? null;
    this.valObjective = options.valObjective ?? balancedCrossEntropy;
    this.trainObjective =
      options.trainObjective ?? ((logits, target) => this.losses.map((l) => l.forward(logits, target)).reduce((a, b) => a.add(b)));
    this.hyperOptimizer = options.hyperOptimizer ?? new Adam(chosen, { lr: DEFAULT_HYPER_LR });
  }

  /** The tuned hyper-parameters by name (`'0.gammaTheta'`: loss 0's θ). */
  namedHyperParameters(): [string, Parameter][] {
    return this.hyper.map((h) => [h.name, h.param]);
  }

  /** γ of each loss (null for a loss without γ). */
  gammas(): (number | null)[] {
    return this.losses.map((l) => (l instanceof GammaLoss ? l.gamma : null));
  }

  /**
   * The unrolled validation objective L_val(w − η·∇w L_train(w, h)) as a graph tensor
   * that reaches the hyper-parameters h (and, through the look-ahead, the model's
   * parameters). `hyper` replaces hyper-parameters by name for this evaluation (for
   * finite differences or `gradcheck`), as `functionalCall` does for the model. The model,
   * the losses and every `.grad` are left as they were.
   */
  lookaheadObjective(train: LabelledBatch, val: LabelledBatch, hyper: Readonly<Record<string, Tensor>> = {}): Tensor {
    const where = `${fn}.lookaheadObjective`;
    checkBatch(where, 'train', train);
    checkBatch(where, 'val', val);
    if (hyper === null || typeof hyper !== 'object') throw new ValueError(`${where}: argument 'hyper' expected an object of Tensors keyed by hyper-parameter name, got ${String(hyper)}`);
    const perLoss: Record<string, Tensor>[] = this.losses.map(() => ({}));
    for (const [k, v] of Object.entries(hyper)) {
      const h = this.hyper.find((e) => e.name === k);
      if (!h) throw new ValueError(`${where}: argument 'hyper' has '${k}', which is not a tuned hyper-parameter; expected some of [${this.hyper.map((e) => e.name).join(', ')}]`);
      perLoss[h.loss]![h.local] = v;
    }
    const run = (i: number): Tensor =>
      i === this.losses.length ? this.unrolled(train, val) : withSubstitutes(where, 'hyper', this.losses[i]!, perLoss[i]!, () => run(i + 1));
    return enableGrad(() => run(0));
  }

  private lookaheadRates(): Map<Tensor, number> {
    const rates = new Map<Tensor, number>();
    for (const g of this.optimizer.paramGroups) {
      const lr = this.lookaheadLr ?? (g as { lr?: unknown }).lr;
      if (typeof lr !== 'number' || !Number.isFinite(lr)) {
        throw new ValueError(`${fn}: the model optimiser's parameter group has no numeric 'lr'; pass option 'lookaheadLr'`);
      }
      for (const p of g.params) rates.set(p, lr);
    }
    return rates;
  }

  private unrolled(train: LabelledBatch, val: LabelledBatch): Tensor {
    const rates = this.lookaheadRates();
    const named = this.model.namedParameters().filter(([, p]) => rates.has(p));
    const lTrain = this.trainObjective(this.model.forward(train.x), train.y);
    if (!(lTrain instanceof Tensor) || lTrain.numel !== 1) throw new ValueError(`${fn}: option 'trainObjective' must return a scalar Tensor`);
    const grads = named.length ? grad(lTrain, named.map(([, p]) => p), { createGraph: true, allowUnused: true }) : [];
    const lookahead: Record<string, Tensor> = {};
    named.forEach(([name, p], i) => {
      const g = grads[i];
      if (g) lookahead[name] = p.sub(g.mul(rates.get(p)!));
    });
    const lVal = this.valObjective(functionalCall(this.model, lookahead, val.x), val.y);
    if (!(lVal instanceof Tensor) || lVal.numel !== 1) throw new ValueError(`${fn}: option 'valObjective' must return a scalar Tensor`);
    return lVal;
  }

  /**
   * ∂L_val(w')/∂h for every tuned hyper-parameter, with the objective's value; nothing is
   * updated. A hyper-parameter the objective does not reach gets a zero gradient.
   */
  hypergradient(train: LabelledBatch, val: LabelledBatch): { value: number; grads: Record<string, Tensor> } {
    checkBatch(`${fn}.hypergradient`, 'train', train);
    checkBatch(`${fn}.hypergradient`, 'val', val);
    const objective = this.lookaheadObjective(train, val);
    const params = this.hyper.map((h) => h.param);
    const gs = objective.requiresGrad ? grad(objective, params, { allowUnused: true }) : params.map(() => null);
    const grads: Record<string, Tensor> = {};
    this.hyper.forEach((h, i) => {
      const g = gs[i];
      grads[h.name] = g ? g.detach().to(h.param.dtype) : noGrad(() => h.param.mul(0));
    });
    return { value: objective.item(), grads };
  }

  /** One hyper-step now, on these batches: the hypergradient, then one update of the hyper-optimiser. */
  hyperStep(train: LabelledBatch, val: LabelledBatch): HyperStepResult {
    const t0 = performance.now();
    checkBatch(`${fn}.hyperStep`, 'train', train);
    checkBatch(`${fn}.hyperStep`, 'val', val);
    const { value, grads } = this.hypergradient(train, val);
    const gammaGradients = this.losses.map((l, i) => {
      if (!(l instanceof GammaLoss) || !l.gammaTheta) return null;
      const h = this.hyper.find((e) => e.loss === i && e.param === l.gammaTheta);
      if (!h) return null;
      // ∂L/∂γ = (∂L/∂θ) / (dγ/dθ), dγ/dθ by autograd through the loss's own mapping.
      const dGamma = enableGrad(() => grad(l.gammaValue() as Tensor, l.gammaTheta!)[0]!).item();
      return grads[h.name]!.item() / dGamma;
    });
    const saved = this.hyper.map((h) => h.param.grad);
    try {
      this.hyper.forEach((h) => (h.param.grad = grads[h.name]!));
      this.hyperOptimizer.step();
    } finally {
      this.hyper.forEach((h, i) => (h.param.grad = saved[i]!));
    }
    noGrad(() => {
      for (const h of this.hyper) if (h.bounds) h.param.assign_(h.param.clamp(h.bounds[0], Number.isFinite(h.bounds[1]) ? h.bounds[1] : null));
    });
    const ms = performance.now() - t0;
    this.hyperMs += ms;
    this.hyperSteps += 1;
    return { valObjective: value, hypergradients: grads, gammaGradients, gammas: this.gammas(), ms };
  }

  /**
   * One training step of the model — zeroGrad, L_train on `train`, backward, the model
   * optimiser's step — preceded, on every `every`-th call (the first included), by a
   * hyper-step at the current weights on the same batch and `val`. The losses'
   * hyper-parameters get no gradient from the training loss here (their `.grad` is left
   * as it was).
   */
  step(train: LabelledBatch, val: LabelledBatch): TunerStepResult {
    checkBatch(`${fn}.step`, 'train', train);
    checkBatch(`${fn}.step`, 'val', val);
    const hyper = this.calls % this.every === 0 ? this.hyperStep(train, val) : null;
    this.calls += 1;
    const t0 = performance.now();
    const saved = this.hyper.map((h) => h.param.grad);
    this.optimizer.zeroGrad();
    const loss = enableGrad(() => this.trainObjective(this.model.forward(train.x), train.y));
    loss.backward();
    this.hyper.forEach((h, i) => (h.param.grad = saved[i]!));
    this.optimizer.step();
    const value = loss.item();
    this.modelMs += performance.now() - t0;
    this.modelSteps += 1;
    return { loss: value, hyper };
  }

  /** Time spent so far: mean ms per model step and per hyper-step, and their ratios. */
  stats(): HyperTunerStats {
    const meanModelStepMs = this.modelSteps ? this.modelMs / this.modelSteps : NaN;
    const meanHyperStepMs = this.hyperSteps ? this.hyperMs / this.hyperSteps : NaN;
    return {
      modelSteps: this.modelSteps,
      hyperSteps: this.hyperSteps,
      meanModelStepMs,
      meanHyperStepMs,
      hyperStepCost: meanHyperStepMs / meanModelStepMs,
      overhead: this.modelMs > 0 ? this.hyperMs / this.modelMs : NaN,
    };
  }
}
