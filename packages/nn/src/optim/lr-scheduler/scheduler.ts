import { ValueError, describeValue } from '@tsgrad/tensor';
import { Optimizer } from '../optimizer.js';

/**
 * What a scheduler needs of an optimiser: parameter groups with a learning rate (and, for
 * `OneCycleLR` with `cycleMomentum`, a `momentum` or `betas` option). The constructors
 * require a tsgrad `Optimizer` (SGD, Adam, AdamW, RMSprop, Adagrad or a subclass): an
 * object that merely looks like one is a ValueError.
 */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly { lr: number }[];
  readonly defaults: Readonly<object>;
}

/** A scheduler's state: plain numbers and arrays (JSON-serialisable), keyed by field name. */
export type SchedulerState = Record<string, unknown>;

/**
 * Each group's learning rate before any scheduler touched it, shared by every scheduler
 * of the optimiser (PyTorch keeps it as `group['initial_lr']`, set by the first one).
 */
const INITIAL_LR = new WeakMap<object, number>();

/** @internal */
export function initialLrOf(group: { lr: number }): number {
  let v = INITIAL_LR.get(group);
  if (v === undefined) INITIAL_LR.set(group, (v = group.lr));
  return v;
}

/** @internal OneCycleLR sets the starting lr itself (maxLr / divFactor). */
export function setInitialLr(group: { lr: number }, lr: number): void {
  INITIAL_LR.set(group, lr);
}

/** @internal */
export function checkPositiveInt(where: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ValueError(`${where}: argument '${arg}' expected a positive integer, got ${String(v)}`);
  return v;
}

/** @internal */
export function checkFinite(where: string, arg: string, v: unknown, range: { min?: number; max?: number; minExclusive?: boolean } = {}): number {
  const { min, max, minExclusive = false } = range;
  const ok =
    typeof v === 'number' && Number.isFinite(v) && (min === undefined || (minExclusive ? v > min : v >= min)) && (max === undefined || v <= max);
  if (!ok) {
    const bounds = min !== undefined || max !== undefined ? ` in ${minExclusive ? '(' : '['}${min ?? '-inf'}, ${max ?? 'inf'}]` : '';
    throw new ValueError(`${where}: argument '${arg}' expected a finite number${bounds}, got ${String(v)}`);
  }
  return v as number;
}

/** @internal */
export function checkOptionNames(where: string, opts: object, known: readonly string[]): void {
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${where}: argument 'options' expected an object, got ${String(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new ValueError(`${where}: unknown option '${k}', expected one of ${known.map((n) => `'${n}'`).join(', ')}`);
  }
}

/**
 * Why `v` cannot replace a scheduler field holding `current` (null when it can): the same
 * kind of value throughout — finite numbers for numbers, arrays of such for arrays (an
 * empty array holds numbers), objects with the same keys.
 */
function stateMismatch(current: unknown, v: unknown): string | null {
  const got = `, got ${describeValue(v)}`;
  if (typeof current === 'number') return typeof v === 'number' && (Number.isFinite(v) || !Number.isFinite(current)) ? null : `expected a finite number${got}`;
  if (typeof current === 'string' || typeof current === 'boolean') return typeof v === typeof current ? null : `expected a ${typeof current}${got}`;
  if (current === null) return v === null ? null : `expected null${got}`;
  if (Array.isArray(current)) {
    if (!Array.isArray(v)) return `expected an array${got}`;
    for (let i = 0; i < v.length; i++) {
      const bad = stateMismatch(current.length ? current[Math.min(i, current.length - 1)] : 0, v[i]);
      if (bad !== null) return `element ${i} ${bad}`;
    }
    return null;
  }
  if (typeof current === 'object') {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return `expected an object${got}`;
    const keys = Object.keys(current as object);
    const extra = Object.keys(v).filter((k) => !keys.includes(k));
    const missing = keys.filter((k) => !Object.prototype.hasOwnProperty.call(v, k));
    if (extra.length || missing.length) return `expected an object with keys [${keys.join(', ')}]${got}`;
    for (const k of keys) {
      const bad = stateMismatch((current as Record<string, unknown>)[k], (v as Record<string, unknown>)[k]);
      if (bad !== null) return `key '${k}' ${bad}`;
    }
    return null;
  }
  return null;
}

/**
 * Base class of the learning-rate schedulers, like `torch.optim.lr_scheduler.LRScheduler`.
 * Construction performs the first step (epoch 0, which sets each group's starting lr);
 * each `step()` then advances `lastEpoch` by one and writes the new learning rate into
 * every parameter group. Call it after `optimizer.step()`, once per epoch (or per batch
 * for `OneCycleLR`).
 *
 * The schedules are PyTorch's **recursive** ("chainable") forms: each step updates the
 * group's current lr, so schedulers on one optimiser compose and a learning rate changed
 * by hand is carried forward. Their values equal the documented closed forms up to
 * rounding (tests check both).
 */
export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** Each group's learning rate before any scheduler changed it. */
  baseLrs: number[];
  /** Steps taken since construction: 0 after the constructor's initial step. */
  lastEpoch = -1;
  /** The learning rates set by the latest step. */
  protected lastLr: number[] = [];
  protected readonly schedulerName: string;

  protected constructor(name: string, optimizer: SchedulableOptimizer) {
    this.schedulerName = name;
    // A tsgrad Optimizer (not merely something with `paramGroups`): its options were
    // validated at construction, so every group has a finite, non-negative lr.
    const groups = optimizer instanceof Optimizer ? (optimizer.paramGroups as unknown[]) : null;
    if (!groups || groups.length === 0 || !groups.every((g) => g !== null && typeof g === 'object' && typeof (g as { lr?: unknown }).lr === 'number' && Number.isFinite((g as { lr: number }).lr))) {
      throw new ValueError(`${name}: argument 'optimizer' expected an Optimizer with parameter groups (SGD, Adam, …), got ${describeValue(optimizer)}`);
    }
    this.optimizer = optimizer;
    // Read, not yet recorded: the shared initial lr is recorded by initialStep(), once the
    // subclass has validated its arguments, so a rejected constructor changes nothing.
    this.baseLrs = optimizer.paramGroups.map((g) => INITIAL_LR.get(g) ?? g.lr);
  }

  /** The learning rates of step `lastEpoch` from the groups' current ones (the recursive form). */
  protected abstract getLr(): number[];

  /** Runs the first step; subclasses call it at the end of their constructor. */
  protected initialStep(): void {
    for (const g of this.optimizer.paramGroups) initialLrOf(g);
    this.step();
  }

  /**
   * Advances one epoch and sets every group's learning rate. Takes no arguments:
   * PyTorch's deprecated `step(epoch)` is an error here rather than silently ignored.
   */
  step(...args: never[]): void {
    if (args.length > 0) {
      throw new ValueError(`${this.schedulerName}.step: expected no arguments (step(epoch) is not supported: set lastEpoch through loadStateDict), got ${args.length}`);
    }
    const groups = this.optimizer.paramGroups as { lr: number }[];
    if (groups.length !== this.baseLrs.length) {
      throw new ValueError(`${this.schedulerName}.step: the optimiser has ${groups.length} parameter groups, the scheduler was built for ${this.baseLrs.length}`);
    }
    this.lastEpoch += 1;
    let lrs: number[];
    try {
      lrs = this.getLr();
    } catch (e) {
      this.lastEpoch -= 1;
      throw e;
    }
    groups.forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = [...lrs];
  }

  /** The learning rates the latest step set, one per group (`get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Every field but the optimiser, copied (PyTorch's `state_dict()`: the scheduler's `__dict__`). */
  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'optimizer') out[k] = structuredClone(v);
    return out;
  }

  /** Restores fields saved by `stateDict()`; names the scheduler does not have are errors. */
  loadStateDict(state: SchedulerState): void {
    const where = `${this.schedulerName}.loadStateDict`;
    if (state === null || typeof state !== 'object') throw new ValueError(`${where}: argument 'state' expected an object, got ${String(state)}`);
    const own = new Set(Object.keys(this).filter((k) => k !== 'optimizer'));
    const unknown = Object.keys(state).filter((k) => !own.has(k));
    if (unknown.length) throw new ValueError(`${where}: argument 'state' has unexpected entries [${unknown.join(', ')}]`);
    // Every entry is checked against the field it replaces before any is written.
    const self = this as unknown as Record<string, unknown>;
    const groups = this.optimizer.paramGroups.length;
    for (const [k, v] of Object.entries(state)) {
      const bad = stateMismatch(self[k], v);
      if (bad !== null) throw new ValueError(`${where}: argument 'state' entry '${k}' ${bad}`);
      if (k === 'lastEpoch' && !(Number.isSafeInteger(v) && (v as number) >= 0)) {
        throw new ValueError(`${where}: argument 'state' entry 'lastEpoch' expected an integer >= 0, got ${describeValue(v)}`);
      }
      if ((k === 'baseLrs' || k === 'lastLr') && (v as unknown[]).length !== groups) {
        throw new ValueError(`${where}: argument 'state' entry '${k}' expected ${groups} values (one per parameter group), got ${(v as unknown[]).length}`);
      }
      if (k === 'schedulerName' && v !== this.schedulerName) {
        throw new ValueError(`${where}: argument 'state' is the state of a ${describeValue(v)} scheduler, expected ${this.schedulerName}'s`);
      }
      if (k === 'annealStrategy' && v !== 'cos' && v !== 'linear') {
        throw new ValueError(`${where}: argument 'state' entry 'annealStrategy' expected 'cos' or 'linear', got ${describeValue(v)}`);
      }
    }
    for (const [k, v] of Object.entries(state)) self[k] = structuredClone(v);
  }
}
