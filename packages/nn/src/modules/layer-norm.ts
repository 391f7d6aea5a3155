import { Tensor, ShapeError, ValueError, DTypeError, checkArg, checkSize, describeValue, ones, spec, zeros, type FloatDType } from '@tsgrad/tensor';

const INPUT = spec.tensor();
const FUNCTIONAL_OPTIONS = spec.options({ weight: spec.nullable(spec.tensor()), bias: spec.nullable(spec.tensor()), eps: spec.any() });
const MODULE_OPTIONS = spec.options({ eps: spec.any(), elementwiseAffine: spec.bool(), bias: spec.bool(), dtype: spec.any() });
import { Module, Parameter } from '../module.js';

export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-element scale (weight, init 1) and shift (bias, init 0); default true. */
  elementwiseAffine?: boolean;
  /** Learn the shift when `elementwiseAffine` (default true, as PyTorch ≥ 2.1). */
  bias?: boolean;
  dtype?: FloatDType;
}

function normShape(op: string, normalizedShape: number | readonly number[]): number[] {
  if (typeof normalizedShape !== 'number' && !Array.isArray(normalizedShape)) {
    throw new ValueError(`${op}: argument 'normalizedShape' expected a positive integer or an array of them, got ${describeValue(normalizedShape)}`);
  }
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ValueError(`${op}: argument 'normalizedShape' expected positive integers, got [${shape.join(', ')}]`);
  }
  checkSize(op, shape, 'normalizedShape');
  return shape;
}

/**
 * Layer normalisation over the trailing dims `normalizedShape`, like
 * `torch.nn.functional.layer_norm`: (x − mean) / √(var + eps) · weight + bias with the
 * biased variance (divide by n), as PyTorch does.
 */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  opts: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  checkArg('layerNorm', 'input', INPUT, input);
  checkArg('layerNorm', 'options', FUNCTIONAL_OPTIONS, opts);
  const shape = normShape('layerNorm', normalizedShape);
  const eps = opts.eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new ValueError(`layerNorm: option 'eps' expected a non-negative number, got ${String(eps)}`);
  const k = shape.length;
  const trailing = input.shape.slice(input.ndim - k);
  if (input.ndim < k || trailing.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      `layerNorm: argument 'input' expected shape [*, ${shape.join(', ')}] (trailing dims = normalizedShape), got [${input.shape.join(', ')}]`,
    );
  }
  const x = input.dtype === 'float32' || input.dtype === 'float64' ? input : input.to('float32');
  const dims = shape.map((_, i) => i - k);
  const centred = x.sub(x.mean(dims, true));
  const variance = centred.square().mean(dims, true);
  let y = centred.mul(variance.add(eps).rsqrt());
  if (opts.weight) y = y.mul(opts.weight);
  if (opts.bias) y = y.add(opts.bias);
  return y;
}

/** `layerNorm` as a module owning its affine weight and bias; see `layerNorm`. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    checkArg('LayerNorm', 'options', MODULE_OPTIONS, opts);
    this.normalizedShape = normShape('LayerNorm', normalizedShape);
    this.eps = opts.eps ?? 1e-5;
    if (typeof this.eps !== 'number' || !(this.eps >= 0)) {
      throw new ValueError(`LayerNorm: option 'eps' expected a non-negative number, got ${String(this.eps)}`);
    }
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`LayerNorm: option 'dtype' expected float32 or float64, got ${String(dtype)}`);
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias = affine && (opts.bias ?? true) ? new Parameter(zeros(this.normalizedShape, { dtype })) : null;
  }

  forward(input: Tensor): Tensor {
    checkArg('LayerNorm', 'input', INPUT, input);
    return layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `normalizedShape=[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}
