import { Tensor, checkArg, spec } from '@tsgrad/tensor';

const DIM = spec.int();
const INPUT = spec.tensor();
import { Module } from '../module.js';

/**
 * Flattens dims startDim…endDim into one, like `torch.nn.Flatten` (default keeps the
 * batch dim: [N, C, H, W] → [N, C·H·W]).
 */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    checkArg('Flatten', 'startDim', DIM, startDim);
    checkArg('Flatten', 'endDim', DIM, endDim);
  }

  forward(input: Tensor): Tensor {
    checkArg('Flatten', 'input', INPUT, input);
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
