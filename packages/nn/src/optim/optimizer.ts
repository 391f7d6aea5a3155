import { Tensor, DTypeError, ShapeError, ValueError, describeValue, enableGrad, isTensor, keep, noGrad, releaseToScope, tidyUpdates } from '@tsgrad/tensor';

/** A parameter group as given to a constructor: tensors plus per-group option overrides. */
export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;

/**
 * A live parameter group: its tensors and every option resolved against the
 * optimiser's defaults. Options may be changed between steps (learning-rate
 * schedules); `step()` validates them again.
 */
export type ParamGroup<O> = { params: Tensor[] } & O;

/** What an optimiser accepts: tensors (one group), or parameter groups. */
export type Params<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/**
 * Base class of optimisers, like `torch.optim.Optimizer`: parameter groups with their
 * own options, per-parameter state in a Map, `zeroGrad()` and `step()`.
 *
 * `step()` runs under `noGrad`, skips parameters whose `.grad` is null, and writes each
 * new value with `p.assign_(…)`, so the parameter object (and the Module that owns it)
 * keeps its identity. Updates are whole-tensor ops: no per-element JS here.
 *
 * A step leaks no device memory: it runs in its own memory scope (`tidyUpdates`), so its
 * temporaries and the optimiser state it replaces are freed when it returns; state
 * is kept (`keep`) and a parameter's previous storage is freed by the enclosing scope
 * (the garbage collector outside any scope). This holds for subclasses too: tensors
 * in a parameter's state object after `updateParameter` are kept, and those it held
 * before and no longer does are freed with the step.
 */
export abstract class Optimizer<O extends object, S> {
  /** The constructor's options with defaults filled in; new groups inherit them. */
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moment estimates), created on first update. */
  readonly state = new Map<Tensor, S>();
  private readonly optimizerName: string;

  /**
   * @param defaults every option, resolved against the subclass's defaults
   * @param given the options object the user passed (checked for unknown and null
   *   entries, which the resolved `defaults` can no longer show)
   */
  protected constructor(name: string, params: Params<O>, defaults: O, given?: object) {
    this.optimizerName = name;
    checkGivenOptions(name, given, Object.keys(defaults));
    this.validateOptions(defaults, name);
    this.defaults = Object.freeze({ ...defaults });
    if (!params || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function' || params instanceof Tensor) {
      throw new ValueError(`${name}: argument 'params' expected an array of Tensors or of parameter groups, got ${String(params)}`);
    }
    const items: unknown[] = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new ValueError(`${name}: got an empty parameter list`);
    if (items.every((x) => x instanceof Tensor)) {
      this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<O>);
    } else if (items.every((x) => x !== null && typeof x === 'object' && !(x instanceof Tensor) && 'params' in x)) {
      for (const g of items as ParamGroupInput<O>[]) this.addParamGroup(g);
    } else {
      throw new ValueError(`${name}: argument 'params' must be all Tensors or all parameter groups ({ params, ...options }), not a mix`);
    }
  }

  /** Throws a ValueError naming `where` and the option when an option is invalid. */
  protected abstract validateOptions(opts: O, where: string): void;

  /** Updates one parameter from its gradient (called under noGrad). */
  protected abstract updateParameter(param: Tensor, grad: Tensor, group: ParamGroup<O>): void;

  /**
   * Adds a group; options it leaves out come from `defaults`. A tensor may belong to
   * one group only; repeats inside a group are dropped.
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const name = this.optimizerName;
    const where = `${name}: parameter group ${this.paramGroups.length}`;
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new ValueError(`${where}: expected an object { params, ...options }, got ${String(group)}`);
    }
    const raw = group.params instanceof Tensor ? [group.params] : group.params;
    if (!raw || typeof (raw as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`${where}: 'params' expected an array of Tensors, got ${String(raw)}`);
    }
    const params: Tensor[] = [];
    const inGroup = new Set<Tensor>();
    let i = 0;
    for (const p of raw as Iterable<unknown>) {
      if (!(p instanceof Tensor)) throw new ValueError(`${where}: params[${i}] expected a Tensor, got ${String(p)}`);
      if (p.dtype !== 'float32' && p.dtype !== 'float64') {
        throw new DTypeError(`${where}: params[${i}] expected a float32 or float64 tensor, got ${p.dtype}`);
      }
      if (!p.isLeaf) throw new ValueError(`${where}: params[${i}] is not a leaf tensor (it was computed by an operation); optimise the leaf it came from`);
      if (!inGroup.has(p)) {
        inGroup.add(p);
        params.push(p);
      }
      i++;
    }
    for (const g of this.paramGroups) {
      if (g.params.some((p) => inGroup.has(p))) throw new ValueError(`${where}: some parameters appear in more than one parameter group`);
    }
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(group)) {
      if (k === 'params') continue;
      if (!Object.prototype.hasOwnProperty.call(this.defaults, k)) {
        throw new ValueError(`${where}: unknown option '${k}' (known: ${Object.keys(this.defaults).join(', ')})`);
      }
      if (v !== undefined) options[k] = v;
    }
    const resolved = { ...this.defaults, ...options } as O;
    this.validateOptions(resolved, where);
    this.paramGroups.push({ ...resolved, params });
  }

  /** Every parameter of every group, in order. */
  parameters(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Sets `.grad = null` on every parameter (PyTorch's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /**
   * One update of every parameter that has a gradient. The optional closure (re-)computes
   * the loss with gradients recorded and its result is returned, as in PyTorch.
   * Options are validated for every group before any parameter changes.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    if (closure !== undefined && typeof closure !== 'function') {
      throw new ValueError(`${this.optimizerName}.step: argument 'closure' expected a function returning the loss, got ${describeValue(closure)}`);
    }
    const loss = closure ? enableGrad(closure) : undefined;
    this.paramGroups.forEach((g, i) => this.validateOptions(g, `${this.optimizerName}: parameter group ${i}`));
    // Every gradient is checked before any parameter (or step counter) changes.
    this.paramGroups.forEach((g, i) => g.params.forEach((p, j) => checkGradient(`${this.optimizerName}.step`, i, j, p)));
    noGrad(() =>
      tidyUpdates(() => {
        for (const g of this.paramGroups) {
          for (const p of g.params) {
            if (p.grad === null) continue;
            const before = stateTensors(this.state.get(p));
            this.updateParameter(p, p.grad.detach(), g);
            // New state outlives the step's scope; the state it replaced is freed with it.
            const after = stateTensors(this.state.get(p));
            for (const t of after) keep(t);
            const kept = new Set(after.map((t) => t.storage));
            for (const t of before) if (!kept.has(t.storage)) releaseToScope(t);
          }
        }
      }),
    );
    return loss;
  }
}

/** The tensors held directly by a parameter's state object. */
function stateTensors(state: unknown): Tensor[] {
  if (state === null || typeof state !== 'object') return [];
  return Object.values(state).filter((v): v is Tensor => v instanceof Tensor);
}

/** Rejects option names the optimiser does not know (a typo would otherwise keep the default) and null values. */
function checkGivenOptions(name: string, given: object | undefined, known: readonly string[]): void {
  if (given === undefined) return;
  if (given === null || typeof given !== 'object' || Array.isArray(given) || given instanceof Tensor) {
    throw new ValueError(`${name}: argument 'options' expected an options object, got ${describeValue(given)}`);
  }
  for (const [k, v] of Object.entries(given)) {
    if (!known.includes(k)) throw new ValueError(`${name}: unknown option '${k}' (known: ${known.join(', ')})`);
    if (v === null) throw new ValueError(`${name}: option '${k}' expected a value or undefined, got null`);
  }
}

/** A gradient the update can use: a Tensor of the parameter's exact shape and dtype (a broadcastable shape is not enough). */
function checkGradient(where: string, group: number, index: number, p: Tensor): void {
  const g: unknown = p.grad;
  if (g === null) return;
  const at = `parameter group ${group}, params[${index}]`;
  if (!isTensor(g)) throw new DTypeError(`${where}: the gradient of ${at} expected a Tensor or null, got ${describeValue(g)}`);
  if (g.shape.length !== p.shape.length || g.shape.some((d, i) => d !== p.shape[i])) {
    throw new ShapeError(`${where}: the gradient of ${at} expected the parameter's shape [${p.shape.join(', ')}], got [${g.shape.join(', ')}]`);
  }
  if (g.dtype !== p.dtype) throw new DTypeError(`${where}: the gradient of ${at} expected the parameter's dtype ${p.dtype}, got ${g.dtype}`);
}

/**
 * The direction PyTorch's SGD, RMSprop and Adagrad start from: the gradient (negated
 * with `maximize`) plus coupled L2 weight decay `weightDecay · p`.
 */
export function decayedGradient(p: Tensor, grad: Tensor, maximize: boolean, weightDecay: number): Tensor {
  const d = maximize ? grad.neg() : grad;
  return weightDecay !== 0 ? d.add(p.mul(weightDecay)) : d;
}

/** Shared option checks: each names the option, what it expects and what came. */
export function checkNonNegative(where: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ValueError(`${where}: option '${name}' expected a non-negative finite number, got ${String(v)}`);
  }
}

export function checkBoolean(where: string, name: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new ValueError(`${where}: option '${name}' expected a boolean, got ${String(v)}`);
}
