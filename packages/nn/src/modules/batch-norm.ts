import { Tensor, DTypeError, ShapeError, ValueError, noGrad, ones, tensor, zeros, type FloatDType } from '@tsgrad/tensor';
import { Module, Parameter } from '../module.js';

/** Options of `BatchNorm1d` / `BatchNorm2d` (PyTorch's, camelCase). */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the current batch in the running statistics (default 0.1):
   * running ← (1 − momentum)·running + momentum·batch. `null` uses the cumulative
   * average instead: momentum = 1 / numBatchesTracked.
   */
  momentum?: number | null;
  /** Learn a per-channel scale (weight, init 1) and shift (bias, init 0); default true. */
  affine?: boolean;
  /** Keep running statistics and use them in `eval()` (default true). */
  trackRunningStats?: boolean;
  /** dtype of the weight, bias and running statistics (default float32). */
  dtype?: FloatDType;
}

const OPTION_KEYS = ['eps', 'momentum', 'affine', 'trackRunningStats', 'dtype'];

/** Options of the functional `batchNorm`. */
export interface BatchNormFunctionalOptions {
  /** Per-channel scale `[C]` (none by default). */
  weight?: Tensor | null;
  /** Per-channel shift `[C]` (none by default). */
  bias?: Tensor | null;
  /** Normalise with the batch statistics and update the running ones (default false). */
  training?: boolean;
  /** Running-statistics update weight (default 0.1). */
  momentum?: number;
  /** Default 1e-5. */
  eps?: number;
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkChannelVector(fn: string, arg: string, t: unknown, c: number): Tensor | null {
  if (t === undefined || t === null) return null;
  if (!(t instanceof Tensor)) throw new DTypeError(`${fn}: argument '${arg}' expected a Tensor or null, got ${typeof t}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(`${fn}: argument '${arg}' expected a float32 or float64 Tensor, got dtype ${t.dtype}`);
  if (t.ndim !== 1 || t.shape[0] !== c) throw new ShapeError(`${fn}: argument '${arg}' expected shape [${c}] (one value per channel), got ${fmt(t.shape)}`);
  return t;
}

/**
 * Batch normalisation over every dim but the channel dim 1, like
 * `torch.nn.functional.batch_norm(input, running_mean, running_var, weight, bias,
 * training, momentum, eps)`:
 *
 *     y = (x − mean) / √(var + eps) · weight + bias
 *
 * In training (or without running statistics) mean and var are the batch's, the
 * variance **biased** (÷ n, n = N·L or N·H·W values per channel); the running
 * statistics, when given, are then updated in place (outside the graph) as PyTorch does,
 * with the **unbiased** batch variance (÷ (n − 1)):
 *
 *     running_mean ← (1 − momentum)·running_mean + momentum·mean
 *     running_var  ← (1 − momentum)·running_var  + momentum·var·n/(n − 1)
 *
 * Otherwise the running statistics normalise. Gradients flow through the batch
 * statistics (it is a composition of tensor ops). Training needs n > 1, as in PyTorch.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts: BatchNormFunctionalOptions = {},
): Tensor {
  const fn = 'batchNorm';
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new ValueError(`${fn}: argument 'options' expected an options object, got ${String(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (!['weight', 'bias', 'training', 'momentum', 'eps'].includes(k)) throw new ValueError(`${fn}: unknown option '${k}', expected one of 'weight', 'bias', 'training', 'momentum', 'eps'`);
  }
  const training = opts.training ?? false;
  if (typeof training !== 'boolean') throw new ValueError(`${fn}: option 'training' expected a boolean, got ${String(training)}`);
  return normalize(fn, input, {
    runningMean: runningMean ?? null,
    runningVar: runningVar ?? null,
    weight: opts.weight ?? null,
    bias: opts.bias ?? null,
    useBatchStats: training || !runningMean || !runningVar,
    momentum: checkMomentum(fn, opts.momentum ?? 0.1) ?? 0.1,
    eps: checkEps(fn, opts.eps ?? 1e-5),
    minDims: 2,
    maxDims: Infinity,
  });
}

function checkEps(fn: string, eps: unknown): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new ValueError(`${fn}: option 'eps' expected a non-negative finite number, got ${String(eps)}`);
  return eps;
}

function checkMomentum(fn: string, m: unknown): number | null {
  if (m === null) return null;
  if (typeof m !== 'number' || !(m >= 0 && m <= 1)) throw new ValueError(`${fn}: option 'momentum' expected a number in [0, 1] or null, got ${String(m)}`);
  return m;
}

interface NormalizeArgs {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  weight: Tensor | null;
  bias: Tensor | null;
  useBatchStats: boolean;
  /** Update factor of the running statistics (already resolved for a cumulative average). */
  momentum: number;
  eps: number;
  minDims: number;
  maxDims: number;
}

function normalize(fn: string, input: Tensor, a: NormalizeArgs): Tensor {
  if (!(input instanceof Tensor)) throw new DTypeError(`${fn}: argument 'input' expected a Tensor, got ${typeof input}`);
  if (input.dtype !== 'float32' && input.dtype !== 'float64') throw new DTypeError(`${fn}: argument 'input' expected a float32 or float64 Tensor, got dtype ${input.dtype}`);
  if (input.ndim < a.minDims || input.ndim > a.maxDims) {
    const want = a.maxDims === Infinity ? `at least ${a.minDims} dims [N, C, …]` : a.minDims === a.maxDims ? `${a.minDims}-d input` : `${a.minDims}-d or ${a.maxDims}-d input`;
    throw new ShapeError(`${fn}: argument 'input' expected ${want}, got shape ${fmt(input.shape)}`);
  }
  const c = input.shape[1]!;
  const weight = checkChannelVector(fn, 'weight', a.weight, c);
  const bias = checkChannelVector(fn, 'bias', a.bias, c);
  const rm = checkChannelVector(fn, 'runningMean', a.runningMean, c);
  const rv = checkChannelVector(fn, 'runningVar', a.runningVar, c);
  const dims = input.shape.map((_, i) => i).filter((i) => i !== 1);
  const n = input.numel / Math.max(c, 1);
  if (a.useBatchStats && n <= 1) {
    throw new ValueError(`${fn}: expected more than 1 value per channel when training, got input shape ${fmt(input.shape)}`);
  }
  const perChannel = input.shape.map((d, i) => (i === 1 ? d : 1));
  const x = input;
  let mean: Tensor;
  let variance: Tensor;
  if (a.useBatchStats) {
    mean = x.mean(dims, true);
    variance = x.sub(mean).square().mean(dims, true);
    if (rm && rv) {
      const f = a.momentum;
      noGrad(() => {
        const bm = mean.detach().reshape([c]).to(rm.dtype);
        const bv = variance.detach().reshape([c]).mul(n / (n - 1)).to(rv.dtype);
        rm.assign_(rm.mul(1 - f).add(bm.mul(f)));
        rv.assign_(rv.mul(1 - f).add(bv.mul(f)));
      });
    }
  } else {
    mean = rm!.detach().to(x.dtype).reshape(perChannel);
    variance = rv!.detach().to(x.dtype).reshape(perChannel);
  }
  let y = x.sub(mean).mul(variance.add(a.eps).rsqrt());
  if (weight) y = y.mul(weight.to(x.dtype).reshape(perChannel));
  if (bias) y = y.add(bias.to(x.dtype).reshape(perChannel));
  return y;
}

/**
 * Shared implementation of `BatchNorm1d` and `BatchNorm2d` (PyTorch's `_BatchNorm`).
 * Buffers, under PyTorch's state-dict names: `running_mean` (zeros), `running_var`
 * (ones) and `num_batches_tracked` — an **int32** 0-d tensor here (int64 in PyTorch,
 * which tsgrad does not have). Without `trackRunningStats` there are no buffers and
 * the batch statistics are used in `eval()` too.
 */
export abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  /** Running-statistics update weight; null = cumulative average. May be changed between steps. */
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  private readonly dimsAllowed: readonly number[];

  protected constructor(name: string, dimsAllowed: readonly number[], numFeatures: number, opts: BatchNormOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw new ValueError(`${name}: argument 'options' expected an object, got ${String(opts)}`);
    for (const k of Object.keys(opts)) {
      if (!OPTION_KEYS.includes(k)) throw new ValueError(`${name}: unknown option '${k}', expected one of ${OPTION_KEYS.map((o) => `'${o}'`).join(', ')}`);
    }
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new ValueError(`${name}: argument 'numFeatures' expected a positive integer, got ${String(numFeatures)}`);
    this.numFeatures = numFeatures;
    this.eps = checkEps(name, opts.eps ?? 1e-5);
    this.momentum = checkMomentum(name, opts.momentum === undefined ? 0.1 : opts.momentum);
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    if (typeof this.affine !== 'boolean') throw new ValueError(`${name}: option 'affine' expected a boolean, got ${String(this.affine)}`);
    if (typeof this.trackRunningStats !== 'boolean') throw new ValueError(`${name}: option 'trackRunningStats' expected a boolean, got ${String(this.trackRunningStats)}`);
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`${name}: option 'dtype' expected float32 or float64, got ${String(dtype)}`);
    this.dimsAllowed = dimsAllowed;
    this.weight = this.affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    this.registerBuffer('running_mean', this.trackRunningStats ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? tensor(0, { dtype: 'int32' }) : null);
  }

  /** The running mean `[numFeatures]` (buffer `running_mean`), null without `trackRunningStats`. */
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  /** The running (unbiased) variance `[numFeatures]` (buffer `running_var`), null without `trackRunningStats`. */
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  /** Training batches seen (buffer `num_batches_tracked`, int32), null without `trackRunningStats`. */
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  /** Running mean 0, running variance 1, batch count 0 (`reset_running_stats`). */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() => {
      this.runningMean!.assign_(zeros([this.numFeatures], { dtype: this.runningMean!.dtype }));
      this.runningVar!.assign_(ones([this.numFeatures], { dtype: this.runningVar!.dtype }));
      this.numBatchesTracked!.assign_(tensor(0, { dtype: 'int32' }));
    });
  }

  forward(input: Tensor): Tensor {
    const name = this.constructor.name;
    const useBatchStats = this.training || !this.trackRunningStats;
    const updating = this.training && this.trackRunningStats;
    // Validate before the batch counter moves, so a rejected call changes nothing.
    if (input instanceof Tensor && !this.dimsAllowed.includes(input.ndim)) {
      const want = this.dimsAllowed.length === 1 ? `${this.dimsAllowed[0]}-d input` : `${this.dimsAllowed.join('-d or ')}-d input`;
      throw new ShapeError(`${name}: argument 'input' expected ${want}, got shape ${fmt(input.shape)}`);
    }
    if (input instanceof Tensor && input.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${name}: argument 'input' expected ${this.numFeatures} channels in dim 1 (numFeatures), got shape ${fmt(input.shape)}`);
    }
    if (input instanceof Tensor && useBatchStats && input.numel / this.numFeatures <= 1) {
      throw new ValueError(`${name}: expected more than 1 value per channel when training, got input shape ${fmt(input.shape)}`);
    }
    checkMomentum(name, this.momentum);
    let factor = this.momentum ?? 0;
    if (updating && input instanceof Tensor && (input.dtype === 'float32' || input.dtype === 'float64')) {
      const count = this.numBatchesTracked!.item() + 1;
      noGrad(() => this.numBatchesTracked!.assign_(tensor(count, { dtype: 'int32' })));
      factor = this.momentum ?? 1 / count;
    }
    return normalize(name, input, {
      runningMean: updating || !useBatchStats ? this.runningMean : null,
      runningVar: updating || !useBatchStats ? this.runningVar : null,
      weight: this.weight,
      bias: this.bias,
      useBatchStats,
      momentum: factor,
      eps: this.eps,
      minDims: Math.min(...this.dimsAllowed),
      maxDims: Math.max(...this.dimsAllowed),
    });
  }

  override extraRepr(): string {
    return `numFeatures=${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/**
 * Batch normalisation of `[N, C]` or `[N, C, L]` inputs over N (and L) per channel, like
 * `torch.nn.BatchNorm1d(numFeatures, eps=1e-5, momentum=0.1, affine=True,
 * track_running_stats=True)`; see {@link batchNorm} for the formulas and
 * {@link BatchNormBase} for the buffers. `train()` normalises with the batch statistics
 * and updates the running ones; `eval()` uses the running statistics.
 */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm1d', [2, 3], numFeatures, opts);
  }
}

/**
 * Batch normalisation of `[N, C, H, W]` inputs over N, H and W per channel, like
 * `torch.nn.BatchNorm2d`; see {@link BatchNorm1d}.
 */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm2d', [4], numFeatures, opts);
  }
}
