import { Tensor, DTypeError, ShapeError, ValueError, describeValue, enableGrad, evaluate, isTensor, keep, noGrad, releaseToScope, tidyUpdates } from '@tsgrad/tensor';
import { sameShape } from '../losses/class-target.js';

/** A parameter group as given to a constructor: tensors plus per-group option overrides. */
export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;

/**
 * What `stateDict()` returns and `loadStateDict()` takes, as `torch.optim.Optimizer`'s
 * `state_dict()`: per-parameter state keyed by the parameter's index over all groups in
 * order (parameters without state are absent), and each group's options with its
 * parameters as those indices. Tensors are copies, not the optimiser's own.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number | null>>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

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

  /**
   * The keys of a parameter's state object (`loadStateDict` accepts only these); null:
   * any key, with the generic value rules. The built-in optimisers list theirs.
   */
  protected stateKeys(): readonly string[] | null {
    return null;
  }

  /**
   * A snapshot of the optimiser, as `torch.optim.Optimizer.state_dict()`: copies of the
   * state tensors (they stay valid after later steps) and of every group's options.
   */
  stateDict(): OptimizerStateDict {
    // Computed in place first (a lazy backend may still hold them as recorded ops): the
    // run that saves then continues from exactly the values a resumed run loads.
    evaluate(...this.parameters(), ...[...this.state.values()].flatMap(stateTensors));
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...options } = g as ParamGroup<O> & Record<string, unknown>;
      const ids = params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return { ...copyOptions(options), params: ids };
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined || st === null || typeof st !== 'object') continue;
      const entry: Record<string, Tensor | number | null> = {};
      for (const [k, v] of Object.entries(st as object)) entry[k] = v instanceof Tensor ? keep(v.detach().clone()) : (v as number | null);
      state[i] = entry;
    }
    return { state, paramGroups };
  }

  /**
   * Restores a snapshot from `stateDict()` (this optimiser's or one of the same kind over
   * parameters of the same shapes), as `load_state_dict`: saved parameter i is this
   * optimiser's i-th parameter over all groups; group options are replaced, and the
   * state is replaced by the saved one (copied; floating tensors cast to the
   * parameter's dtype). Everything is checked before anything changes.
   * @throws ValueError / ShapeError / DTypeError naming `<Optimizer>.loadStateDict` and the entry.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const fn = `${this.optimizerName}.loadStateDict`;
    const arg = `${fn}: argument 'stateDict'`;
    if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict) || stateDict instanceof Tensor) {
      throw new ValueError(`${arg} expected { state, paramGroups } from stateDict(), got ${describeValue(stateDict)}`);
    }
    const extra = Object.keys(stateDict).filter((k) => k !== 'state' && k !== 'paramGroups');
    if (extra.length) throw new ValueError(`${arg} has unexpected entries [${extra.join(', ')}] (expected state and paramGroups)`);
    const { state, paramGroups } = stateDict;
    if (!Array.isArray(paramGroups)) throw new ValueError(`${arg}.paramGroups expected an array, got ${describeValue(paramGroups)}`);
    if (paramGroups.length !== this.paramGroups.length) {
      throw new ValueError(`${arg}.paramGroups has ${paramGroups.length} groups, this optimiser has ${this.paramGroups.length}`);
    }
    // Saved index -> this optimiser's parameter, group by group, position by position.
    const byIndex = new Map<number, Tensor>();
    const newOptions: Record<string, unknown>[] = [];
    paramGroups.forEach((sg: unknown, gi) => {
      const where = `${arg}.paramGroups[${gi}]`;
      if (sg === null || typeof sg !== 'object' || Array.isArray(sg)) throw new ValueError(`${where} expected an object, got ${describeValue(sg)}`);
      const { params, ...options } = sg as Record<string, unknown>;
      const mine = this.paramGroups[gi]!.params;
      if (!Array.isArray(params) || params.length !== mine.length) {
        throw new ValueError(`${where}.params expected ${mine.length} parameter indices, got ${describeValue(params)}`);
      }
      params.forEach((id: unknown, j) => {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || byIndex.has(id)) {
          throw new ValueError(`${where}.params[${j}] expected a new non-negative integer index, got ${describeValue(id)}`);
        }
        byIndex.set(id, mine[j]!);
      });
      for (const k of Object.keys(options)) {
        if (!Object.prototype.hasOwnProperty.call(this.defaults, k)) {
          throw new ValueError(`${where} has an unknown option '${k}' (known: ${Object.keys(this.defaults).join(', ')})`);
        }
      }
      const resolved = { ...this.defaults, ...copyOptions(options) } as O;
      this.validateOptions(resolved, where);
      newOptions.push(resolved as Record<string, unknown>);
    });
    if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new ValueError(`${arg}.state expected an object, got ${describeValue(state)}`);
    const keys = this.stateKeys();
    const checked: [Tensor, Record<string, Tensor | number | null>][] = [];
    for (const [id, entry] of Object.entries(state as object)) {
      const where = `${arg}.state[${id}]`;
      const p = /^(0|[1-9][0-9]*)$/.test(id) ? byIndex.get(Number(id)) : undefined;
      if (!p) throw new ValueError(`${where}: no parameter has index ${id} in paramGroups`);
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ValueError(`${where} expected an object, got ${describeValue(entry)}`);
      const values: Record<string, Tensor | number | null> = {};
      for (const [k, v] of Object.entries(entry as object)) {
        if (keys && !keys.includes(k)) throw new ValueError(`${where} has an unexpected entry '${k}' (expected ${keys.join(', ')})`);
        values[k] = checkStateValue(`${where}.${k}`, k, v, p);
      }
      const missing = keys?.filter((k) => !(k in values)) ?? [];
      if (missing.length) throw new ValueError(`${where} is missing ${missing.join(', ')}`);
      checked.push([p, values]);
    }
    // Everything checked: replace the options and the state.
    this.paramGroups.forEach((g, gi) => Object.assign(g, newOptions[gi]));
    for (const st of this.state.values()) for (const t of stateTensors(st)) releaseToScope(t);
    this.state.clear();
    for (const [p, values] of checked) {
      const st: Record<string, Tensor | number | null> = {};
      for (const [k, v] of Object.entries(values)) st[k] = v instanceof Tensor ? keep(v.detach().to(p.dtype).clone()) : v;
      this.state.set(p, st as S);
    }
  }

  /** Every parameter of every group, in order. */
  parameters(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Sets `.grad = null` on every parameter (PyTorch's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** The update of every parameter with a gradient, inside the step's memory scope (made once: see step()). */
  private readonly updateAll = (): void => {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        const before = stateTensors(this.state.get(p));
        this.updateParameter(p, p.grad.detach(), g);
        // New state outlives the step's scope; the state it replaced is freed with it.
        const after = stateTensors(this.state.get(p));
        const kept = new Set<unknown>();
        for (const t of after) {
          keep(t);
          kept.add(t.storage);
        }
        for (const t of before) if (!kept.has(t.storage)) releaseToScope(t);
      }
    }
  };

  private readonly scopedUpdate = (): void => tidyUpdates(this.updateAll);

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
    const groups = this.paramGroups;
    for (let i = 0; i < groups.length; i++) this.validateOptions(groups[i]!, `${this.optimizerName}: parameter group ${i}`);
    // Every gradient is checked before any parameter (or step counter) changes.
    for (let i = 0; i < groups.length; i++) {
      const params = groups[i]!.params;
      for (let j = 0; j < params.length; j++) checkGradient(`${this.optimizerName}.step`, i, j, params[j]!);
    }
    // Functions made once per optimiser, not per step: V8 re-optimises a closure made per
    // call after every full collection (see exprKey in @tsgrad/tensor's wasm/plan.ts).
    noGrad(this.scopedUpdate);
    return loss;
  }
}

/** Options copied one level deep (arrays such as Adam's betas are not shared). */
function copyOptions(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, Array.isArray(v) ? [...(v as unknown[])] : v]));
}

/** A state value as loadStateDict accepts it: a floating tensor of the parameter's shape, a number (an integer step count), or null. */
function checkStateValue(where: string, key: string, v: unknown, p: Tensor): Tensor | number | null {
  if (v === null) return null;
  if (typeof v === 'number') {
    const step = key === 'step';
    if (!Number.isFinite(v) || (step && (!Number.isInteger(v) || v < 0))) {
      throw new ValueError(`${where} expected ${step ? 'a non-negative integer step count' : 'a finite number'}, got ${describeValue(v)}`);
    }
    return v;
  }
  if (!(v instanceof Tensor)) throw new ValueError(`${where} expected a Tensor, a number or null, got ${describeValue(v)}`);
  if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new DTypeError(`${where} expected a floating point Tensor, got ${v.dtype}`);
  if (v.shape.length !== p.shape.length || v.shape.some((n, i) => n !== p.shape[i])) {
    throw new ShapeError(`${where} expected shape [${p.shape.join(', ')}] (its parameter's), got [${v.shape.join(', ')}]`);
  }
  return v;
}

/** The tensors held directly by a parameter's state object. */
function stateTensors(state: unknown): Tensor[] {
  const out: Tensor[] = [];
  if (state === null || typeof state !== 'object') return out;
  for (const v of Object.values(state)) if (v instanceof Tensor) out.push(v);
  return out;
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
  if (!sameShape(g.shape, p.shape)) {
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
