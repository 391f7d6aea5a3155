import { Tensor, ShapeError, ValueError, DTypeError, checkArg, checkSize, spec, type FloatDType } from '@tsgrad/tensor';

const LINEAR_OPTIONS = spec.options({ bias: spec.bool(), dtype: spec.dtype('float32', 'float64') });
const INPUT = spec.tensor();
import { Module, Parameter } from '../module.js';
import { kaimingUniform, uniform } from '../init.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** dtype of the weight and bias (default float32). */
  dtype?: FloatDType;
}

function checkFeatures(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ValueError(`Linear: argument '${name}' expected a non-negative integer, got ${String(v)}`);
}

/**
 * y = x·Wᵀ + b for inputs of shape [*, inFeatures], like `torch.nn.Linear`. The weight
 * is stored [outFeatures, inFeatures]. Initialised as PyTorch does: weight by
 * `kaimingUniform(a = √5)` and bias from the same U(−1/√in, 1/√in), both drawn from
 * the seeded global generator, weight first.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkFeatures('inFeatures', inFeatures);
    checkFeatures('outFeatures', outFeatures);
    checkArg('Linear', 'options', LINEAR_OPTIONS, opts);
    // Before anything is drawn from the generator: the weight must be allocatable.
    checkSize('Linear', [outFeatures, inFeatures], 'weight shape');
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`Linear: option 'dtype' expected float32 or float64, got ${String(dtype)}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(kaimingUniform([outFeatures, inFeatures], { a: Math.sqrt(5), dtype }));
    if (opts.bias ?? true) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      this.bias = new Parameter(uniform([outFeatures], -bound, bound, { dtype }));
    } else {
      this.bias = null;
    }
  }

  forward(input: Tensor): Tensor {
    checkArg('Linear', 'input', INPUT, input);
    const last = input.ndim > 0 ? input.shape[input.ndim - 1] : undefined;
    if (last !== this.inFeatures) {
      throw new ShapeError(
        `Linear: argument 'input' expected shape [*, ${this.inFeatures}] (last dim = inFeatures), got [${input.shape.join(', ')}]`,
      );
    }
    const out = input.matmul(this.weight.T);
    return this.bias ? out.add(this.bias) : out;
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
