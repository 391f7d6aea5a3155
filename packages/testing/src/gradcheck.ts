import { DTypeError, Tensor, ValueError, grad, isContiguous, tensor } from '@tsgrad/tensor';
import { GradcheckError } from './errors.js';
import { fmtIndex, fmtNumber, unravelIndex } from './format.js';
import { projectionWeights, seededUniform } from './rng.js';

/** A function under test: any number of tensor arguments, one tensor or a list of tensors out. */
export type DifferentiableFn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

/** Options of {@link gradcheck} (and {@link gradgradcheck}); defaults match `torch.autograd.gradcheck`. */
export interface GradcheckOptions {
  /** Step of the central differences (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, relative to the numerical value (default 1e-3). */
  rtol?: number;
  /**
   * The analytical gradient is computed twice; the two results may differ by at most
   * this much (default 0: backward must be deterministic).
   */
  nondetTol?: number;
  /** Also require each gradient to have its input's dtype (default false; the shape is always checked). */
  checkGradDtypes?: boolean;
  /** Seed of the random projection of the outputs (default 0). */
  seed?: number;
  /** Throw a {@link GradcheckError} on a mismatch (default true); `false` returns false instead. */
  raiseException?: boolean;
}

interface Resolved {
  eps: number;
  atol: number;
  rtol: number;
  nondetTol: number;
  checkGradDtypes: boolean;
  seed: number;
  raiseException: boolean;
}

/** How the shared checker names things in its messages. */
export interface CheckContext {
  op: string;
  /** What is compared, e.g. 'gradient' or 'second-order gradient'. */
  what: string;
  /** The name of input `i` in messages. */
  label: (i: number) => string;
}

function resolveOptions(op: string, o: GradcheckOptions): Resolved {
  const r: Resolved = {
    eps: o.eps ?? 1e-6,
    atol: o.atol ?? 1e-5,
    rtol: o.rtol ?? 1e-3,
    nondetTol: o.nondetTol ?? 0,
    checkGradDtypes: o.checkGradDtypes ?? false,
    seed: o.seed ?? 0,
    raiseException: o.raiseException ?? true,
  };
  if (!(Number.isFinite(r.eps) && r.eps > 0)) throw new ValueError(`${op}: option 'eps' expected a positive finite number, got ${o.eps}`);
  for (const k of ['atol', 'rtol', 'nondetTol'] as const) {
    if (!(r[k] >= 0)) throw new ValueError(`${op}: option '${k}' expected a non-negative number, got ${o[k]}`);
  }
  if (!Number.isFinite(r.seed)) throw new ValueError(`${op}: option 'seed' expected a finite number, got ${o.seed}`);
  return r;
}

function isFloatDType(t: Tensor): boolean {
  return t.dtype === 'float32' || t.dtype === 'float64';
}

/**
 * Validates `inputs` (Tensors, float64, at least one requiring grad, no tensor passed
 * twice) and returns the positions of those that require grad.
 */
export function validateInputs(op: string, inputs: readonly Tensor[]): number[] {
  if (!Array.isArray(inputs)) throw new ValueError(`${op}: argument 'inputs' expected an array of Tensors, got ${typeof inputs}`);
  const checked: number[] = [];
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`${op}: argument 'inputs[${i}]' expected a Tensor, got ${typeof t}`);
    if (t.dtype !== 'float64') {
      throw new DTypeError(
        `${op}: argument 'inputs[${i}]' expected dtype float64, got ${t.dtype}; finite differences need double precision, so cast with .to('float64') (float32 and int inputs cannot be checked)`,
      );
    }
    if (t.requiresGrad) {
      if (inputs.indexOf(t) !== i) {
        throw new ValueError(`${op}: argument 'inputs[${i}]' is the same tensor as inputs[${inputs.indexOf(t)}]; pass each differentiable tensor once`);
      }
      checked.push(i);
    }
  });
  if (checked.length === 0) {
    throw new ValueError(`${op}: no input requires grad, so there is nothing to check; create the inputs with { requiresGrad: true }`);
  }
  return checked;
}

/** Normalises fn's result to a list, rejecting anything that is not a Tensor. */
export function outputsOf(op: string, result: Tensor | readonly Tensor[]): Tensor[] {
  const list = result instanceof Tensor ? [result] : result;
  if (!Array.isArray(list)) throw new ValueError(`${op}: fn must return a Tensor or an array of Tensors, got ${typeof result}`);
  list.forEach((t: unknown, k: number) => {
    if (!(t instanceof Tensor)) throw new ValueError(`${op}: fn must return Tensors, but output ${k} is ${typeof t}`);
  });
  return [...(list as readonly Tensor[])];
}

function contiguousCopy(t: Tensor): Tensor {
  return tensor(Float64Array.from(t.dataSync()), { dtype: 'float64', shape: [...t.shape], requiresGrad: t.requiresGrad });
}

function toFloat64(t: Tensor): Float64Array {
  const d = t.dataSync();
  return d instanceof Float64Array ? d : Float64Array.from(d);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * The shared engine of gradcheck and gradgradcheck. The (possibly non-scalar) outputs
 * are reduced to the scalar L = Σₖ⟨vₖ, outₖ⟩ with fixed random weights vₖ; the
 * gradient of L with respect to every element of every input that requires grad is
 * then estimated by central differences and compared with autograd's. That is the
 * full vector–Jacobian product vᵀJ, so a wrong Jacobian entry goes unnoticed only if
 * errors cancel exactly for this random v (probability zero).
 */
export function checkGradients(ctx: CheckContext, fn: DifferentiableFn, inputs: readonly Tensor[], options: GradcheckOptions): boolean {
  const { op, what, label } = ctx;
  if (typeof fn !== 'function') throw new ValueError(`${op}: argument 'fn' expected a function, got ${typeof fn}`);
  const o = resolveOptions(op, options);
  const checked = validateInputs(op, inputs);
  const fail = (message: string): false => {
    if (o.raiseException) throw new GradcheckError(`${op}: ${message}`);
    return false;
  };

  // ---- forward on the inputs as given (possibly strided views) ----
  const outs = outputsOf(op, fn(...inputs));
  const next = seededUniform(o.seed);
  // A single scalar output needs no projection: weight 1 makes the reported values the
  // plain derivative.
  const scalar = outs.filter(isFloatDType).reduce((n, t) => n + t.numel, 0) === 1;
  const weights: (Float64Array | null)[] = outs.map((t) => {
    if (!isFloatDType(t)) return null;
    if (scalar) return new Float64Array(t.numel).fill(1);
    // Round the weights to the output dtype, so the numerical side projects with
    // exactly the gradOutputs that autograd receives.
    const w = projectionWeights(t.numel, next);
    return toFloat64(tensor(w, { dtype: t.dtype, shape: [...t.shape] }));
  });

  // ---- analytical: vᵀJ by autograd, twice (determinism) ----
  const live = outs.map((t, k) => k).filter((k) => weights[k] !== null && outs[k]!.requiresGrad);
  const targets = checked.map((i) => inputs[i]!);
  const analyticalOnce = (retainGraph: boolean): Float64Array[] | string => {
    if (live.length === 0) return targets.map((t) => new Float64Array(t.numel));
    const gs = grad(
      live.map((k) => outs[k]!),
      targets,
      {
        gradOutputs: live.map((k) => tensor(weights[k]!, { dtype: outs[k]!.dtype, shape: [...outs[k]!.shape] })),
        allowUnused: true,
        retainGraph,
      },
    );
    const res: Float64Array[] = [];
    for (let n = 0; n < gs.length; n++) {
      const g = gs[n];
      const x = targets[n]!;
      if (!g) {
        res.push(new Float64Array(x.numel));
        continue;
      }
      if (!sameShape(g.shape, x.shape)) {
        return `${what} for ${label(checked[n]!)} has shape ${fmtShape(g.shape)}, expected the input's shape ${fmtShape(x.shape)}`;
      }
      if (o.checkGradDtypes && g.dtype !== x.dtype) {
        return `${what} for ${label(checked[n]!)} has dtype ${g.dtype}, expected the input's dtype ${x.dtype}`;
      }
      res.push(toFloat64(g));
    }
    return res;
  };
  const analytical = analyticalOnce(true);
  if (typeof analytical === 'string') return fail(analytical);
  const again = analyticalOnce(false);
  if (typeof again === 'string') return fail(again);
  for (let n = 0; n < analytical.length; n++) {
    const a = analytical[n]!;
    const b = again[n]!;
    for (let j = 0; j < a.length; j++) {
      const d = Math.abs(a[j]! - b[j]!);
      if (d > o.nondetTol || (Number.isNaN(a[j]!) !== Number.isNaN(b[j]!))) {
        const x = targets[n]!;
        return fail(
          `backward is not reproducible for ${label(checked[n]!)} (shape ${fmtShape(x.shape)}) at index ${fmtIndex(unravelIndex(j, x.shape))}: ${fmtNumber(a[j]!)} then ${fmtNumber(b[j]!)} (nondetTol ${o.nondetTol})`,
        );
      }
    }
  }

  // ---- strided inputs: the forward must not depend on the memory layout ----
  const strided = inputs.map((t, i) => i).filter((i) => !isContiguous(inputs[i]!.shape, inputs[i]!.strides));
  if (strided.length > 0) {
    const outsC = outputsOf(op, fn(...inputs.map((t, i) => (strided.includes(i) ? contiguousCopy(t) : t))));
    if (outsC.length !== outs.length) throw new ValueError(`${op}: fn returned ${outsC.length} outputs for contiguous copies of the inputs but ${outs.length} before`);
    for (let k = 0; k < outs.length; k++) {
      const a = toFloat64(outs[k]!);
      const b = toFloat64(outsC[k]!);
      for (let e = 0; e < a.length; e++) {
        const x = a[e]!;
        const y = b[e]!;
        const bothNaN = Number.isNaN(x) && Number.isNaN(y);
        if (!bothNaN && !(x === y || Math.abs(x - y) <= o.atol + o.rtol * Math.abs(y))) {
          return fail(
            `fn gives different outputs for the non-contiguous ${strided.map(label).join(', ')} and a contiguous copy: output ${k} at index ${fmtIndex(unravelIndex(e, outs[k]!.shape))} is ${fmtNumber(x)} vs ${fmtNumber(y)}`,
          );
        }
      }
    }
  }

  // ---- numerical: central differences of L, one element at a time ----
  const evalOutputs = (args: Tensor[]): Float64Array[] => {
    const res = outputsOf(op, fn(...args));
    if (res.length !== outs.length) throw new ValueError(`${op}: fn returned ${res.length} outputs for perturbed inputs but ${outs.length} before`);
    return res.map((t, k) => {
      if (!sameShape(t.shape, outs[k]!.shape)) {
        throw new ValueError(`${op}: fn returned output ${k} of shape ${fmtShape(t.shape)} for perturbed inputs but ${fmtShape(outs[k]!.shape)} before`);
      }
      return weights[k] ? toFloat64(t) : new Float64Array(0);
    });
  };
  for (let n = 0; n < checked.length; n++) {
    const pos = checked[n]!;
    const x = inputs[pos]!;
    const shape = [...x.shape];
    const data = Float64Array.from(x.dataSync());
    const numerical = new Float64Array(data.length);
    const args = [...inputs];
    const at = (): Float64Array[] => {
      args[pos] = tensor(data, { dtype: 'float64', shape, requiresGrad: true });
      return evalOutputs(args);
    };
    for (let j = 0; j < data.length; j++) {
      const orig = data[j]!;
      const hi = orig + o.eps;
      const lo = orig - o.eps;
      data[j] = hi;
      const plus = at();
      data[j] = lo;
      const minus = at();
      data[j] = orig;
      let s = 0;
      for (let k = 0; k < outs.length; k++) {
        const w = weights[k];
        if (!w) continue;
        const p = plus[k]!;
        const m = minus[k]!;
        for (let e = 0; e < w.length; e++) s += w[e]! * (p[e]! - m[e]!);
      }
      // Divide by the step actually taken (hi − lo is not exactly 2·eps in floating point).
      numerical[j] = s / (hi - lo);
    }

    const a = analytical[n]!;
    let worst = -1;
    let worstExcess = -Infinity;
    let bad = 0;
    for (let j = 0; j < data.length; j++) {
      const num = numerical[j]!;
      const ana = a[j]!;
      const tol = o.atol + o.rtol * Math.abs(num);
      const diff = Math.abs(ana - num);
      const excess = Number.isNaN(diff) ? Infinity : diff - tol;
      if (excess > 0) bad++;
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = j;
      }
    }
    if (bad > 0) {
      const num = numerical[worst]!;
      const ana = a[worst]!;
      const tol = o.atol + o.rtol * Math.abs(num);
      return fail(
        `${what} mismatch for ${label(pos)} (shape ${fmtShape(shape)}) at index ${fmtIndex(unravelIndex(worst, shape))}: numerical ${fmtNumber(num)} vs analytical ${fmtNumber(ana)}; ` +
          `|difference| ${fmtNumber(Math.abs(ana - num))} exceeds atol ${o.atol} + rtol ${o.rtol} × |numerical| = ${fmtNumber(tol)} (${bad} of ${data.length} elements out of tolerance)`,
      );
    }
  }
  return true;
}

/**
 * Checks autograd's gradient of `fn` against central finite differences, like
 * `torch.autograd.gradcheck`.
 *
 * Every input must be float64; only those with `requiresGrad` are checked. A
 * non-scalar (or multi-tensor) result is reduced by a fixed random projection
 * Σ⟨v, out⟩, and the gradient of that scalar with respect to *every element* of each
 * checked input is compared, elementwise, with `|analytical − numerical| ≤ atol +
 * rtol·|numerical|`. Non-contiguous inputs are used as given for the analytical
 * gradient (exercising the strided kernels) and perturbed through contiguous copies.
 *
 * @param fn the function under test; it may return a Tensor or an array of Tensors
 * @param inputs its arguments, float64; pass distinct tensors
 * @returns true when the gradients agree
 * @throws GradcheckError naming the input, the worst element's index and both values;
 *   DTypeError / ValueError for unusable arguments
 *
 * @example
 * const x = tensor([[0.5, 1.5]], { dtype: 'float64', requiresGrad: true });
 * gradcheck((t) => t.mul(t.sigmoid()), [x]); // true
 */
export function gradcheck(fn: DifferentiableFn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  return checkGradients({ op: 'gradcheck', what: 'gradient', label: (i) => `input ${i}` }, fn, inputs, opts);
}
