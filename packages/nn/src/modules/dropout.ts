import { Tensor, ValueError, checkArg, rand, spec } from '@tsgrad/tensor';

const INPUT = spec.tensor();
const TRAINING = spec.bool();
import { Module } from '../module.js';

function checkP(op: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new ValueError(`${op}: argument 'p' expected a probability in [0, 1), got ${String(p)}`);
  }
}

/**
 * Inverted dropout: in training each element is zeroed with probability p and the
 * survivors are scaled by 1/(1 − p), so the expected value is unchanged and
 * evaluation needs no rescaling. The mask comes from the seeded global generator
 * (`manualSeed`). With `training = false` or p = 0 the input itself is returned.
 */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  checkArg('dropout', 'input', INPUT, input);
  checkP('dropout', p);
  checkArg('dropout', 'training', TRAINING, training);
  if (!training || p === 0) return input;
  const x = input.dtype === 'float32' || input.dtype === 'float64' ? input : input.to('float32');
  // An element is kept when u ≥ p, u ~ U[0, 1): probability exactly 1 − p.
  const keep = rand(x.shape, { dtype: x.dtype }).ge(p);
  return x.mul(keep.to(x.dtype).mul(1 / (1 - p)));
}

/** `dropout` as a module: active in `train()` mode, the identity after `eval()`. */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super();
    checkP('Dropout', p);
    this.p = p;
  }

  forward(input: Tensor): Tensor {
    checkArg('Dropout', 'input', INPUT, input);
    return dropout(input, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
