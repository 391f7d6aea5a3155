import { Tensor } from '@tsgrad/tensor';
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
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
}
