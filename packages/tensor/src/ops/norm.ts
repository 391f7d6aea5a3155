import { DTypeError, ValueError } from '../errors.js';
import { isFloat } from '../dtype.js';
import { normalizeDims } from '../shape.js';
import { Tensor } from '../tensor.js';
import { abs, eq, mul, ne, pow, sqrt, square, where } from './elementwise.js';
import { max, min, sum, variance } from './reduce.js';
import { bool, checked, dims, finite, floatTensor, literal, number, oneOf, optional, options, tensor } from '../validate/index.js';

/*
 * std and norm are compositions of primitives (gradients of any order for free).
 */

/** Options of {@link std}, as `torch.std`. */
export interface StdOptions {
  /** Subtracted from the count in the divisor (default 1, Bessel's correction). */
  correction?: number;
  /** PyTorch's older spelling: true = correction 1, false = correction 0. */
  unbiased?: boolean;
  keepdim?: boolean;
}

/** Standard deviation over `dim` (all dims when omitted): √var, like `torch.std`. */
export const std = checked(
  'std',
  [['input', tensor()], ['dim', dims()], ['options', options({ correction: finite({ min: 0 }), unbiased: bool(), keepdim: bool() })]],
  stdImpl,
);

function stdImpl(x: Tensor, dim?: number | number[], opts: StdOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`std: argument 'input' expected a Tensor, got ${typeof x}`);
  if (opts.correction !== undefined && opts.unbiased !== undefined) {
    throw new ValueError("std: options 'correction' and 'unbiased' expected at most one of them, got both");
  }
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  if (!Number.isFinite(correction) || correction < 0) {
    throw new ValueError(`std: option 'correction' expected a non-negative number, got ${String(opts.correction)}`);
  }
  normalizeDims('std', dim, x.ndim);
  return sqrt(variance(x, dim, { correction, keepdim: opts.keepdim ?? false }));
}

/** The order of a vector norm: a number (±Infinity included) or 'fro' (= 2). */
export type NormOrder = number | 'fro';

/**
 * `s^(1/p)` that is 0 with a zero gradient where s == 0, as PyTorch's norm backward
 * defines it (the plain composition would give 0·∞ = NaN there): the root is taken of
 * a value kept away from 0, and `where` routes no gradient into the unused branch.
 */
function safeRoot(s: Tensor, p: number): Tensor {
  const zero = eq(s, 0);
  const safe = where(zero, 1, s);
  return where(zero, 0, p === 2 ? sqrt(safe) : pow(safe, 1 / p));
}

/**
 * Vector norm over `dim` (all elements when omitted), like `torch.linalg.vector_norm`
 * and `torch.norm`: p = 2 (default) or 'fro' √Σx², 1 Σ|x|, Infinity max|x|,
 * −Infinity min|x|, 0 the count of non-zeros, any other p (Σ|x|^p)^(1/p). Floating
 * point inputs only. The gradient at x = 0 is 0 (PyTorch's subgradient); at a tie of
 * the largest |x| (p = ∞) it is split evenly, as PyTorch does.
 */
export const norm = checked(
  'norm',
  [['input', floatTensor()], ['p', optional(oneOf(number(), literal('fro')))], ['dim', dims()], ['keepdim', optional(bool())]],
  normImpl,
);

function normImpl(x: Tensor, p: NormOrder = 2, dim?: number | number[], keepdim = false): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`norm: argument 'input' expected a Tensor, got ${typeof x}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`norm: argument 'input' expected a floating point dtype (float32 or float64), got ${x.dtype}`);
  if (p !== 'fro' && (typeof p !== 'number' || Number.isNaN(p))) {
    throw new ValueError(`norm: argument 'p' expected a number (Infinity allowed) or 'fro', got ${String(p)}`);
  }
  const axes = normalizeDims('norm', dim, x.ndim);
  const order = p === 'fro' ? 2 : p;
  if (order === Infinity || order === -Infinity) {
    if (x.numel === 0) throw new ValueError(`norm: cannot compute the ${String(order)}-norm of an empty tensor`);
    return order > 0 ? max(abs(x), axes, keepdim) : min(abs(x), axes, keepdim);
  }
  if (order === 0) {
    // Counts, connected to the graph with a zero gradient (x·0 feeds the unused branch).
    return sum(where(ne(x, 0), 1, mul(x, 0)), axes, keepdim);
  }
  if (order === 1) return sum(abs(x), axes, keepdim);
  if (order === 2) return safeRoot(sum(square(x), axes, keepdim), 2);
  return safeRoot(sum(pow(abs(x), order), axes, keepdim), order);
}
