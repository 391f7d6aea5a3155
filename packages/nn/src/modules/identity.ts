import { Tensor, ValueError } from '@tsgrad/tensor';
import { Module } from '../module.js';

/** Returns its input unchanged (the same tensor), like `torch.nn.Identity`: a placeholder layer. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw new ValueError(`Identity: argument 'input' expected a Tensor, got ${typeof input}`);
    return input;
  }
}
