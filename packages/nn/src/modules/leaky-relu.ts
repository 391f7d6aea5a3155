import { Tensor, DTypeError, ValueError, where } from '@tsgrad/tensor';
import { Module } from '../module.js';

function checkSlope(fn: string, s: unknown): number {
  if (typeof s !== 'number' || !Number.isFinite(s)) throw new ValueError(`${fn}: argument 'negativeSlope' expected a finite number, got ${String(s)}`);
  return s;
}

/**
 * x for x > 0, negativeSlope·x otherwise, like `torch.nn.functional.leaky_relu`
 * (default slope 0.01). The derivative at 0 is negativeSlope, as in PyTorch.
 */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  const slope = checkSlope('leakyRelu', negativeSlope);
  return apply('leakyRelu', input, slope);
}

function apply(fn: string, input: Tensor, slope: number): Tensor {
  if (!(input instanceof Tensor)) throw new DTypeError(`${fn}: argument 'input' expected a Tensor, got ${typeof input}`);
  if (input.dtype !== 'float32' && input.dtype !== 'float64') throw new DTypeError(`${fn}: argument 'input' expected a float32 or float64 Tensor, got dtype ${input.dtype}`);
  return where(input.gt(0), input, input.mul(slope));
}

/** `leakyRelu` as a module, like `torch.nn.LeakyReLU(negativeSlope = 0.01)`. */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkSlope('LeakyReLU', negativeSlope);
  }

  forward(input: Tensor): Tensor {
    return apply('LeakyReLU', input, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}
