import { Tensor, grad, tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';

/*
 * Test helpers: seeded data, and a comparison of a loss (values and gradients, in
 * float64) with an independent reference, whose gradients come from central finite
 * differences of the reference itself.
 */

export function uniform(next: () => number, n: number, lo = -3, hi = 3): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * next());
}

export function ints(next: () => number, n: number, lo: number, hiExclusive: number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor((hiExclusive - lo) * next()));
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A differentiable argument: flat row-major data and its shape ([] for a scalar). */
export interface Param {
  data: number[];
  shape: number[];
}

export const param = (data: number[], shape: number[]): Param => ({ data, shape });

export function f64(data: readonly number[], shape: readonly number[], requiresGrad = false): Tensor {
  return tensor(Float64Array.from(data), { dtype: 'float64', shape: [...shape], requiresGrad });
}

export function i32(data: readonly number[], shape: readonly number[]): Tensor {
  return tensor(Int32Array.from(data), { dtype: 'int32', shape: [...shape] });
}

function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= tol * (1 + Math.abs(b));
}

export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    if (!close(got[i]!, want[i]!, tol)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (tol ${tol}·(1 + |expected|))`);
    }
  }
}

export interface ReferenceCheck {
  /** The loss under test on float64 leaves (one per Param, in order). */
  impl: (args: Tensor[]) => Tensor;
  /** The reference on the same numbers. */
  ref: (args: number[][]) => number[];
  params: Param[];
  valueTol?: number;
  gradTol?: number;
  /** Finite-difference step. */
  h?: number;
  label?: string;
}

/**
 * Values of impl equal ref's; and the gradient of Σ v·impl (v fixed random weights)
 * with respect to every Param equals the central difference of Σ v·ref.
 */
export function expectMatchesReference(c: ReferenceCheck): void {
  const { impl, ref, params, valueTol = 1e-10, gradTol = 1e-6, h = 1e-5, label = 'loss' } = c;
  const leaves = params.map((p) => f64(p.data, p.shape, true));
  const out = impl(leaves);
  if (out.dtype !== 'float64') throw new Error(`${label}: result dtype ${out.dtype}, expected float64`);
  const want = ref(params.map((p) => [...p.data]));
  assertClose(out.dataSync(), want, valueTol, `${label} value`);

  const next = mulberry32(1234);
  const v = Array.from({ length: out.numel }, () => 0.5 + next());
  const projected = (vals: number[]) => vals.reduce((s, x, i) => s + v[i]! * x, 0);
  const total = out.mul(f64(v, out.shape)).sum();
  const grads = grad([total], leaves, { allowUnused: true });
  params.forEach((p, k) => {
    const numeric = p.data.map((_, j) => {
      const args = params.map((q) => [...q.data]);
      args[k]![j] = p.data[j]! + h;
      const plus = projected(ref(args));
      args[k]![j] = p.data[j]! - h;
      const minus = projected(ref(args));
      return (plus - minus) / (2 * h);
    });
    const g = grads[k];
    const analytic = g ? g.dataSync() : new Float64Array(p.data.length);
    assertClose(analytic, numeric, gradTol, `${label} gradient of argument ${k}`);
  });
}

/** Every element finite. */
export function allFinite(t: Tensor | null | undefined): boolean {
  if (!t) return false;
  const d = t.dataSync();
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return false;
  return true;
}
