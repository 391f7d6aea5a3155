import { DTypeError, Tensor, ValueError, grad, tensor, zeros } from '@tsgrad/tensor';
import { checkGradients, outputsOf, validateInputs, type DifferentiableFn, type GradcheckOptions } from './gradcheck.js';
import { projectionWeights, seededUniform } from './rng.js';

/** Options of {@link gradgradcheck}: those of gradcheck plus the first-order seeds. */
export interface GradgradcheckOptions extends GradcheckOptions {
  /**
   * The gradients fed to the first backward pass, one float64 tensor per differentiable
   * output of `fn` (default: seeded random tensors that themselves require grad, so
   * the check also covers the second derivative with respect to them).
   */
  gradOutputs?: readonly Tensor[];
  /** Make the default gradOutputs strided views, exercising strided kernels in backward (default false). */
  nonContiguousGradOutputs?: boolean;
}

/** Seeds must not repeat the projection's stream. */
const GRAD_OUTPUT_STREAM = 0x5bd1e995;

function randomGradOutput(shape: readonly number[], next: () => number, strided: boolean): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const w = projectionWeights(n, next);
  if (!strided || shape.length === 0) return tensor(w, { dtype: 'float64', shape: [...shape], requiresGrad: true });
  // Interleave with junk and take every other element of the last dim: a leaf view with stride 2.
  const last = shape[shape.length - 1]!;
  const base = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    base[2 * i] = w[i]!;
    base[2 * i + 1] = Number.NaN;
  }
  const wide = tensor(base, { dtype: 'float64', shape: [...shape.slice(0, -1), 2 * last] });
  return wide.slice(-1, 0, undefined, 2).requiresGrad_();
}

/**
 * Checks second derivatives, like `torch.autograd.gradgradcheck`: the first-order
 * gradients G(x, v) = vᵀ·∂fn/∂x, computed by autograd with `createGraph: true`, are
 * themselves gradchecked — their autograd gradient (a second backward pass through the
 * recorded first one) against finite differences of G. The seeds `v` require grad, so
 * the derivative of G with respect to them (the first-order Jacobian) is checked too.
 *
 * @param fn the function under test (one Tensor or a list of Tensors out)
 * @param inputs float64 arguments; those with `requiresGrad` are checked
 * @returns true when the second derivatives agree
 * @throws GradcheckError naming `input i` (or `gradOutputs[k]`), the worst element's
 *   index and both values
 */
export function gradgradcheck(fn: DifferentiableFn, inputs: readonly Tensor[], opts: GradgradcheckOptions = {}): boolean {
  const op = 'gradgradcheck';
  if (typeof fn !== 'function') throw new ValueError(`${op}: argument 'fn' expected a function, got ${typeof fn}`);
  const checked = validateInputs(op, inputs);
  const outs = outputsOf(op, fn(...inputs));
  const diff = outs.map((t, k) => k).filter((k) => {
    const t = outs[k]!;
    return (t.dtype === 'float32' || t.dtype === 'float64') && t.requiresGrad;
  });
  if (diff.length === 0) throw new ValueError(`${op}: no output of fn depends differentiably on the inputs that require grad`);

  let seeds: Tensor[];
  if (opts.gradOutputs) {
    seeds = [...opts.gradOutputs];
    if (seeds.length !== diff.length) {
      throw new ValueError(`${op}: option 'gradOutputs' expected ${diff.length} tensors (one per differentiable output), got ${seeds.length}`);
    }
    seeds.forEach((s, k) => {
      const target = outs[diff[k]!]!;
      if (!(s instanceof Tensor)) throw new ValueError(`${op}: option 'gradOutputs[${k}]' expected a Tensor`);
      if (s.dtype !== 'float64') throw new DTypeError(`${op}: option 'gradOutputs[${k}]' expected dtype float64, got ${s.dtype}`);
      if (s.shape.length !== target.shape.length || s.shape.some((d, i) => d !== target.shape[i])) {
        throw new ValueError(`${op}: option 'gradOutputs[${k}]' expected shape [${target.shape.join(', ')}], got [${s.shape.join(', ')}]`);
      }
    });
  } else {
    const next = seededUniform((opts.seed ?? 0) ^ GRAD_OUTPUT_STREAM);
    seeds = diff.map((k) => randomGradOutput(outs[k]!.shape, next, opts.nonContiguousGradOutputs ?? false));
  }

  const n = inputs.length;
  const firstOrder = (...args: Tensor[]): Tensor[] => {
    const xs = args.slice(0, n);
    const vs = args.slice(n);
    const o = outputsOf(op, fn(...xs));
    const targets = checked.map((i) => xs[i]!);
    const gs = grad(diff.map((k) => o[k]!), targets, { gradOutputs: vs, createGraph: true, allowUnused: true });
    // An unused input has gradient zero, whatever the point.
    return gs.map((g, k) => g ?? zeros(targets[k]!.shape, { dtype: 'float64' }));
  };
  const label = (i: number) => (i < n ? `input ${i}` : `gradOutputs[${i - n}]`);
  const { gradOutputs: _g, nonContiguousGradOutputs: _s, ...rest } = opts;
  return checkGradients({ op, what: 'second-order gradient', label }, firstOrder, [...inputs, ...seeds], rest);
}
