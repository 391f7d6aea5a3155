/*
 * Helpers for the nn tests (not exported from the package): float64 references and a
 * central-difference gradient that works on any leaf, Parameters included, by writing
 * perturbed values in with assign_.
 */
import { Tensor, noGrad, tensor } from '@tsgrad/tensor';
import { expect } from 'vitest';

/** d f / d t by central differences; f must return a one-element tensor. */
export function numericGrad(f: () => Tensor, t: Tensor, eps = 1e-6): Float64Array {
  const base = Float64Array.from(t.dataSync());
  const out = new Float64Array(base.length);
  const set = (data: Float64Array) => noGrad(() => t.assign_(tensor(data, { dtype: t.dtype, shape: [...t.shape] })));
  const evalAt = (i: number, h: number) => {
    const d = Float64Array.from(base);
    d[i] = d[i]! + h;
    set(d);
    return noGrad(() => f().item());
  };
  for (let i = 0; i < base.length; i++) out[i] = (evalAt(i, eps) - evalAt(i, -eps)) / (2 * eps);
  set(base);
  return out;
}

/**
 * Compares autograd's gradient of a scalar `f()` with central differences for every
 * tensor in `wrt` (all float64 leaves that require grad).
 */
export function expectGradsMatch(f: () => Tensor, wrt: readonly Tensor[], tol = 1e-7): void {
  for (const t of wrt) t.grad = null;
  f().backward();
  for (const t of wrt) {
    const analytic = t.grad ? t.grad.dataSync() : new Float64Array(t.numel);
    const numeric = numericGrad(f, t);
    expectAllClose(analytic, numeric, tol, tol);
  }
}

/** |a − b| ≤ atol + rtol·|b| elementwise, with the first offending index in the message. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    const ok = a === b || Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) expect.fail(`element ${i}: got ${a}, expected ${b} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Row-major float64 copy of a tensor's data. */
export function data64(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync());
}

/**
 * Independent float64 erfc for the references: the everywhere-positive series
 * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) (no cancellation; erfc = 1 − erf below 1) and
 * the continued fraction of erfc beyond 1. Accurate to a few ulp.
 */
export function refErfc(x: number): number {
  if (x < 0) return 2 - refErfc(-x);
  if (x < 1) return 1 - refErf(x);
  // erfc(x) = e^(−x²)/√π · 1/(x + 1/2 / (x + 1 / (x + 3/2 / (x + …)))), evaluated bottom-up.
  let f = x;
  for (let k = 4000; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function refErf(x: number): number {
  if (x < 0) return -refErf(-x);
  if (x >= 1) return 1 - refErfc(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** Exact GELU x·Φ(x), Φ from refErfc (relative accuracy kept for x < 0). */
export function refGelu(x: number): number {
  return x * 0.5 * refErfc(-x / Math.SQRT2);
}
