import { Tensor, DTypeError, ShapeError, ValueError, noGrad, stack, tensor } from '@tsgrad/tensor';

/** Parameters with a gradient, after checking every one (nothing is changed before this returns). */
function gradientsOf(fn: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list: unknown[] =
    parameters instanceof Tensor ? [parameters] : parameters && typeof (parameters as Iterable<unknown>)[Symbol.iterator] === 'function' ? [...(parameters as Iterable<unknown>)] : [];
  if (!(parameters instanceof Tensor) && (!parameters || typeof (parameters as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
    throw new ValueError(`${fn}: argument 'parameters' expected a Tensor or an iterable of Tensors, got ${String(parameters)}`);
  }
  const out: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ValueError(`${fn}: argument 'parameters' element ${i} expected a Tensor, got ${p === null ? 'null' : typeof p}`);
    const g: unknown = p.grad;
    if (g === null || g === undefined) return;
    if (!(g instanceof Tensor)) throw new DTypeError(`${fn}: parameters[${i}].grad expected a Tensor or null, got ${typeof g}`);
    if (g.dtype !== 'float32' && g.dtype !== 'float64') throw new DTypeError(`${fn}: parameters[${i}].grad expected a float32 or float64 Tensor, got dtype ${g.dtype}`);
    if (g.ndim !== p.ndim || g.shape.some((d, k) => d !== p.shape[k])) {
      throw new ShapeError(`${fn}: parameters[${i}].grad expected the parameter's shape [${p.shape.join(', ')}], got [${g.shape.join(', ')}]`);
    }
    out.push(p);
  });
  return out;
}

/** ‖g‖_p of one gradient as a 0-d float64 tensor (p > 0 or ∞). */
function vectorNorm(g: Tensor, p: number): Tensor {
  const a = g.to('float64').abs();
  if (g.numel === 0) return tensor(0, { dtype: 'float64' });
  if (p === Infinity) return a.max();
  if (p === 2) return a.square().sum().sqrt();
  if (p === 1) return a.sum();
  return a.pow(p).sum().pow(1 / p);
}

/**
 * Rescales the gradients of `parameters` (each `.grad` is replaced by the scaled tensor) so that their total norm (the p-norm of
 * all of them as one vector) is at most `maxNorm`, like `torch.nn.utils.clip_grad_norm_`,
 * and returns that total norm before clipping as a 0-d tensor. As PyTorch:
 *
 *     total = ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p        (max of the max-abs values for p = ∞)
 *     g ← g · min(maxNorm / (total + 1e-6), 1)
 *
 * Parameters whose `.grad` is null are skipped (none at all: returns 0). The norm is
 * accumulated in float64 and returned in the gradients' dtype (float32 unless all are
 * float64). `errorIfNonfinite: true` throws a ValueError, before any gradient changes, if
 * the total is NaN or ±∞; otherwise, as in PyTorch, clipping goes ahead (a total of ∞
 * zeroes the finite gradients and makes the infinite ones NaN; a NaN total makes all NaN). Runs outside the autograd graph.
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): Tensor {
  const fn = 'clipGradNorm_';
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0) {
    throw new ValueError(`${fn}: argument 'maxNorm' expected a non-negative number, got ${String(maxNorm)}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ValueError(`${fn}: argument 'normType' expected a positive number or Infinity, got ${String(normType)}`);
  }
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: argument 'options' expected an object, got ${String(opts)}`);
  for (const k of Object.keys(opts)) if (k !== 'errorIfNonfinite') throw new ValueError(`${fn}: unknown option '${k}', expected 'errorIfNonfinite'`);
  const errorIfNonfinite = opts.errorIfNonfinite ?? false;
  if (typeof errorIfNonfinite !== 'boolean') throw new ValueError(`${fn}: option 'errorIfNonfinite' expected a boolean, got ${String(errorIfNonfinite)}`);
  const params = gradientsOf(fn, parameters);
  const dtype = params.length > 0 && params.every((p) => p.grad!.dtype === 'float64') ? 'float64' : 'float32';
  if (params.length === 0) return tensor(0, { dtype });
  return noGrad(() => {
    const norms = stack(params.map((p) => vectorNorm(p.grad!, normType)));
    const total = normType === Infinity ? norms.max() : vectorNorm(norms, normType);
    if (errorIfNonfinite && !Number.isFinite(total.item())) {
      throw new ValueError(
        `${fn}: the total norm of order ${normType} of the gradients is ${total.item()}, so they cannot be clipped (errorIfNonfinite: true); pass errorIfNonfinite: false to clip anyway`,
      );
    }
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    // A new gradient tensor rather than a write into the old one, which may be a broadcast view.
    for (const p of params) p.grad = p.grad!.mul(coef.to(p.grad!.dtype));
    return total.to(dtype);
  });
}

/**
 * Clamps every gradient of `parameters` into [−clipValue, clipValue] (each `.grad` replaced), like
 * `torch.nn.utils.clip_grad_value_`. Parameters whose `.grad` is null are skipped.
 */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const fn = 'clipGradValue_';
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue) || clipValue < 0) {
    throw new ValueError(`${fn}: argument 'clipValue' expected a non-negative number, got ${String(clipValue)}`);
  }
  const params = gradientsOf(fn, parameters);
  noGrad(() => {
    for (const p of params) p.grad = p.grad!.clamp(-clipValue, clipValue);
  });
}
