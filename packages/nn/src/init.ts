/**
 * Weight initialisers, like `torch.nn.init`, all drawn from tsgrad's seeded global
 * generator (`manualSeed` makes them reproducible).
 *
 * Each takes either a **tensor** — filled in place (like PyTorch's trailing-underscore
 * functions, through `assign_`, outside the graph) and returned — or a **shape** —
 * a new float32 tensor is returned (`{ dtype: 'float64' }` for float64). Random values
 * are drawn in float64 and rounded once to the target dtype.
 */
import { Tensor, DTypeError, ValueError, checkArg, full, noGrad, rand, randn, spec, tensor, type FloatDType } from '@tsgrad/tensor';

const SHAPE = spec.shape();
const INIT_OPTIONS = spec.options({ dtype: spec.any() });
const KAIMING_OPTIONS = spec.options({ a: spec.any(), mode: spec.any(), nonlinearity: spec.any(), dtype: spec.any() });

/** A tensor to fill in place, or the shape of a new tensor to create. */
export type InitTarget = Tensor | readonly number[];

/** Options for initialisers given a shape (ignored when given a tensor). */
export interface InitOptions {
  dtype?: FloatDType;
}

/** Non-linearities `calculateGain` knows, PyTorch's names in camelCase. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

/** Which fan Kaiming initialisation preserves the variance of. */
export type FanMode = 'fanIn' | 'fanOut';

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU after this layer (used only for 'leakyRelu'). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

const LINEAR_LIKE = new Set<string>(['linear', 'conv1d', 'conv2d', 'conv3d', 'convTranspose1d', 'convTranspose2d', 'convTranspose3d', 'sigmoid']);

/**
 * The recommended gain for a non-linearity, as `torch.nn.init.calculate_gain`:
 * 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + slope²)) for
 * leakyRelu (slope = `param`, default 0.01) and 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  return gainAs('calculateGain', nonlinearity, param);
}

/** `calculateGain` reporting errors under the initialiser the user called. */
function gainAs(op: string, nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_LIKE.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new ValueError(`${op}: argument 'param' expected a finite negative slope, got ${String(param)}`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(
        `${op}: argument 'nonlinearity' expected one of ${[...LINEAR_LIKE, 'tanh', 'relu', 'leakyRelu', 'selu'].join(', ')}, got ${String(nonlinearity)}`,
      );
  }
}

function shapeOf(target: InitTarget): readonly number[] {
  return target instanceof Tensor ? target.shape : target;
}

/**
 * Fan-in and fan-out of a weight of this shape, as PyTorch's
 * `_calculate_fan_in_and_fan_out`: dim 1 and dim 0 times the receptive field (the
 * product of dims 2…). Needs at least 2 dims.
 */
export function calculateFanInAndFanOut(target: InitTarget): { fanIn: number; fanOut: number } {
  return fansAs('calculateFanInAndFanOut', target);
}

/** `calculateFanInAndFanOut` reporting errors under the initialiser the user called. */
function fansAs(op: string, target: InitTarget): { fanIn: number; fanOut: number } {
  if (!(target instanceof Tensor)) checkArg(op, 'tensor', SHAPE, target);
  const shape = shapeOf(target);
  if (shape.length < 2) {
    throw new ValueError(
      `${op}: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape [${shape.join(', ')}]`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function targetDType(op: string, target: InitTarget, opts: InitOptions | undefined): FloatDType {
  if (target instanceof Tensor) {
    if (target.dtype !== 'float32' && target.dtype !== 'float64') {
      throw new DTypeError(`${op}: argument 'tensor' expected a float32 or float64 tensor, got ${target.dtype}`);
    }
    return target.dtype;
  }
  if (!Array.isArray(target)) throw new ValueError(`${op}: argument 'tensor' expected a Tensor or a shape array, got ${String(target)}`);
  // The shape is checked here, under the initialiser's name (not rand's), before any draw.
  checkArg(op, 'tensor', SHAPE, target);
  checkArg(op, 'options', INIT_OPTIONS, opts);
  const dtype = opts?.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${op}: option 'dtype' expected float32 or float64, got ${String(dtype)}`);
  }
  return dtype;
}

/** Writes `values` (float64) into the target tensor, or returns them as the new tensor. */
function finish(target: InitTarget, values: Tensor, dtype: FloatDType): Tensor {
  const cast = values.to(dtype);
  if (!(target instanceof Tensor)) {
    // The float64 draw lives on the reference backend; a new float32 tensor belongs on
    // the active one (wasm, gpu), or every op would upload it and every step copy it back.
    const fresh = tensor(cast.dataSync(), { shape: cast.shape, dtype });
    return fresh.device === cast.device ? cast : fresh;
  }
  noGrad(() => target.assign_(cast));
  return target;
}

function checkFinite(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${op}: argument '${name}' expected a finite number, got ${String(v)}`);
}

/** U(low, high) (PyTorch `uniform_(tensor, a=0, b=1)`). */
export function uniform(target: InitTarget, low = 0, high = 1, opts?: InitOptions): Tensor {
  const dtype = targetDType('uniform', target, opts);
  checkFinite('uniform', 'low', low);
  checkFinite('uniform', 'high', high);
  if (low > high) throw new ValueError(`uniform: expected low <= high, got low=${low}, high=${high}`);
  const values = noGrad(() => rand(shapeOf(target), { dtype: 'float64' }).mul(high - low).add(low));
  return finish(target, values, dtype);
}

/** N(mean, std²) (PyTorch `normal_(tensor, mean=0, std=1)`). */
export function normal(target: InitTarget, mean = 0, std = 1, opts?: InitOptions): Tensor {
  const dtype = targetDType('normal', target, opts);
  checkFinite('normal', 'mean', mean);
  checkFinite('normal', 'std', std);
  if (std < 0) throw new ValueError(`normal: argument 'std' expected a non-negative number, got ${std}`);
  const values = noGrad(() => randn(shapeOf(target), { dtype: 'float64' }).mul(std).add(mean));
  return finish(target, values, dtype);
}

/** Every element `value`. */
export function constant(target: InitTarget, value: number, opts?: InitOptions): Tensor {
  return constantAs('constant', target, value, opts);
}

function constantAs(op: string, target: InitTarget, value: number, opts?: InitOptions): Tensor {
  const dtype = targetDType(op, target, opts);
  if (typeof value !== 'number') throw new ValueError(`${op}: argument 'value' expected a number, got ${String(value)}`);
  return finish(target, full(shapeOf(target), value, { dtype: 'float64' }), dtype);
}

/** Every element 0. */
export function zeros(target: InitTarget, opts?: InitOptions): Tensor {
  return constantAs('zeros', target, 0, opts);
}

/** Every element 1. */
export function ones(target: InitTarget, opts?: InitOptions): Tensor {
  return constantAs('ones', target, 1, opts);
}

/** Glorot uniform: U(−b, b), b = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform(target: InitTarget, gain = 1, opts?: InitOptions): Tensor {
  checkFinite('xavierUniform', 'gain', gain);
  targetDType('xavierUniform', target, opts);
  const { fanIn, fanOut } = fansAs('xavierUniform', target);
  const bound = fanIn + fanOut > 0 ? gain * Math.sqrt(6 / (fanIn + fanOut)) : 0;
  return uniform(target, -bound, bound, opts);
}

/** Glorot normal: N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(target: InitTarget, gain = 1, opts?: InitOptions): Tensor {
  checkFinite('xavierNormal', 'gain', gain);
  targetDType('xavierNormal', target, opts);
  const { fanIn, fanOut } = fansAs('xavierNormal', target);
  const std = fanIn + fanOut > 0 ? gain * Math.sqrt(2 / (fanIn + fanOut)) : 0;
  return normal(target, 0, Math.abs(std), opts);
}

function kaimingStd(op: string, target: InitTarget, opts: KaimingOptions, defaultA: number): number {
  checkArg(op, 'options', KAIMING_OPTIONS, opts);
  if (!(target instanceof Tensor)) targetDType(op, target, { dtype: opts.dtype });
  const mode = opts.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new ValueError(`${op}: option 'mode' expected 'fanIn' or 'fanOut', got ${String(mode)}`);
  const a = opts.a ?? defaultA;
  checkFinite(op, 'a', a);
  const gain = gainAs(op, opts.nonlinearity ?? 'leakyRelu', a);
  const fans = fansAs(op, target);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  // PyTorch warns and leaves a zero-element tensor alone; a zero fan means no elements.
  return fan > 0 ? gain / Math.sqrt(fan) : 0;
}

/**
 * He uniform: U(−b, b), b = √3 · gain / √fan, gain from `calculateGain(nonlinearity, a)`.
 *
 * The default `a = √5` (with 'leakyRelu' and 'fanIn') gives b = 1/√fanIn, exactly
 * the init of PyTorch's `nn.Linear` weight — note that `torch.nn.init.kaiming_uniform_`
 * itself defaults to a = 0; pass `{ a: 0 }` or `{ nonlinearity: 'relu' }` for the
 * He et al. init of a ReLU network.
 */
export function kaimingUniform(target: InitTarget, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', target, opts, Math.sqrt(5));
  return uniform(target, -bound, bound, { dtype: opts.dtype });
}

/**
 * He normal: N(0, σ²), σ = gain / √fan. Defaults as `torch.nn.init.kaiming_normal_`:
 * a = 0, 'fanIn', 'leakyRelu' (so gain = √2).
 */
export function kaimingNormal(target: InitTarget, opts: KaimingOptions = {}): Tensor {
  return normal(target, 0, kaimingStd('kaimingNormal', target, opts, 0), { dtype: opts.dtype });
}
