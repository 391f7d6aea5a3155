import { Tensor, DTypeError, ValueError, softmax } from '@tsgrad/tensor';
import { Module } from '../module.js';

/**
 * softmax along `dim` as a module, like `torch.nn.Softmax(dim)`: exp(x − max) / Σ exp(x − max),
 * summing to 1 along `dim`. The dim is required (PyTorch's implicit-dim form is deprecated).
 */
export class Softmax extends Module {
  readonly dim: number;

  constructor(dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new ValueError(`Softmax: argument 'dim' expected an integer, got ${String(dim)}`);
    this.dim = dim;
  }

  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw new DTypeError(`Softmax: argument 'input' expected a Tensor, got ${typeof input}`);
    const n = Math.max(input.ndim, 1);
    if (this.dim < -n || this.dim >= n) {
      throw new ValueError(`Softmax: dim ${this.dim} out of range for input of shape [${input.shape.join(', ')}] (expected a dim in [${-n}, ${n}))`);
    }
    if (input.dtype !== 'float32' && input.dtype !== 'float64') throw new DTypeError(`Softmax: argument 'input' expected a float32 or float64 Tensor, got dtype ${input.dtype}`);
    return softmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
