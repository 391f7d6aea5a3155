import { Tensor, ValueError, checkArg, spec, where } from '@tsgrad/tensor';

const INPUT = spec.tensor();
const GELU_OPTIONS = spec.options({ approximate: spec.any() });
import { Module } from '../module.js';
import { erfcNonNegative } from './erf.js';

/** How GELU computes Φ(x): exactly through erfc (PyTorch's default) or with tanh. */
export type GeluApproximate = 'none' | 'tanh';

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU(x) = x·Φ(x), Φ the standard normal CDF.
 *
 * `approximate: 'none'` (the default, as in PyTorch) is the exact form through our
 * erfc composition (see `erfc`): relative error ≤ 1e-15 + x²·ε in float64
 * (ε = 2.2e-16; the x² term is Φ's conditioning in the far negative tail: rounding
 * x/√2 by ε costs x²·ε, 2e-14 at x = −10, for any float implementation) and
 * ≤ 1e-6 + x²·ε in float32 (ε = 1.2e-7). Φ is taken as
 * 1 − erfc(x/√2)/2 for x ≥ 0 and erfc(−x/√2)/2 for x < 0, so negative inputs keep
 * their relative accuracy deep into the tail (no 1 − (1 − tiny) cancellation).
 *
 * `approximate: 'tanh'` is 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), PyTorch's
 * `approximate='tanh'` (Hendrycks & Gimpel); it differs from the exact GELU by up to
 * about 5e-4 (absolute) and is cheaper (a handful of ops instead of ~60).
 */
export function gelu(x: Tensor, opts: { approximate?: GeluApproximate } = {}): Tensor {
  checkArg('gelu', 'input', INPUT, x);
  checkArg('gelu', 'options', GELU_OPTIONS, opts);
  const approximate = opts.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new ValueError(`gelu: option 'approximate' expected 'none' or 'tanh', got ${String(approximate)}`);
  }
  const xf = x.dtype === 'float64' || x.dtype === 'float32' ? x : x.to('float32');
  if (approximate === 'tanh') {
    const inner = xf.add(xf.mul(xf).mul(xf).mul(0.044715)).mul(SQRT_2_OVER_PI);
    return xf.mul(inner.tanh().add(1)).mul(0.5);
  }
  const nonNeg = xf.ge(0);
  // s = ±1 as a constant: z = |x|/√2 then has derivative 1/√2 at x = 0, giving the
  // true Φ'(0) rather than the 0 that abs' subgradient would give.
  const s = where(nonNeg, 1, -1).to(xf.dtype);
  const e = erfcNonNegative(xf.mul(s).mul(SQRT1_2));
  const half = e.mul(0.5);
  const cdf = where(nonNeg, half.neg().add(1), half);
  return xf.mul(cdf);
}

/** max(x, 0), elementwise. */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    checkArg('ReLU', 'input', INPUT, input);
    return input.relu();
  }
}

/** 1 / (1 + e⁻ˣ), elementwise. */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    checkArg('Sigmoid', 'input', INPUT, input);
    return input.sigmoid();
  }
}

/** tanh(x), elementwise. */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    checkArg('Tanh', 'input', INPUT, input);
    return input.tanh();
  }
}

/** GELU, exact (erf form, PyTorch's default) or `{ approximate: 'tanh' }`; see `gelu`. */
export class GELU extends Module {
  readonly approximate: GeluApproximate;

  constructor(opts: { approximate?: GeluApproximate } = {}) {
    super();
    checkArg('GELU', 'options', GELU_OPTIONS, opts);
    const approximate = opts.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new ValueError(`GELU: option 'approximate' expected 'none' or 'tanh', got ${String(approximate)}`);
    }
    this.approximate = approximate;
  }

  forward(input: Tensor): Tensor {
    checkArg('GELU', 'input', INPUT, input);
    return gelu(input, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
