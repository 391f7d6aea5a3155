import type { Tensor } from '../tensor.js';
import type { PrimitiveName } from '../ops/primitives.js';

/*
 * In-place writes versus the autograd graph (PyTorch's version counters, by epochs).
 *
 * A recorded op keeps its input tensors; its VJP reads some of their values later, in
 * backward(). If one of them was overwritten in place in between — `assign_` (an
 * optimiser step, loadStateDict), `fill_`, `zero_`, through any view of the storage —
 * the gradient would be computed from the new values: silently wrong. So every
 * in-place write advances a global epoch and stamps what it changed; every recorded
 * op remembers the epoch it was recorded at; backward() checks, before it changes
 * anything, that nothing a VJP will read was stamped after its op was recorded.
 *
 * A write stamps the storage it writes (every tensor sharing it — views, `detach()` —
 * sees the change); `assign_` writes through the storage too, as PyTorch's `copy_`.
 *
 * Cost: one number per recorded op; backward() looks stamps up only for ops recorded
 * before the latest in-place write (none in a loop that updates after backward()).
 */

let epoch = 0;
const storageStamps = new WeakMap<object, number>();

/** The epoch a recorded op stores: in-place writes after it have larger stamps. */
export function currentEpoch(): number {
  return epoch;
}

/** `t`'s storage is about to be written in place (every view of it changes). */
export function noteStorageWrite(t: Tensor): void {
  storageStamps.set(t.storage, ++epoch);
}

/** Whether `t` reads other values than it did at `since` (an op's recording epoch). */
export function modifiedSince(t: Tensor, since: number): boolean {
  if (since === epoch) return false;
  return (storageStamps.get(t.storage) ?? 0) > since;
}

/** Whether any in-place write happened after `since`: the fast path of the check. */
export function anyWriteSince(since: number): boolean {
  return since !== epoch;
}

/**
 * What each primitive's VJP reads the *values* of (shapes never change in place):
 * input indices, given which inputs want a gradient, and whether it reads its output.
 * Derived from `VJP` in ../ops/primitives.ts — keep the two together. Ops absent here
 * (add, sub, neg, sum, reshape, permute, expand, slice, cat, cast, …) read no values,
 * so overwriting their inputs after recording is fine, as in PyTorch.
 */
export interface Saved {
  inputs: readonly number[];
  out: boolean;
}

const NONE: Saved = { inputs: [], out: false };
const IN0: Saved = { inputs: [0], out: false };
const OUT: Saved = { inputs: [], out: true };
const IN0_OUT: Saved = { inputs: [0], out: true };
const BOTH: Saved = { inputs: [0, 1], out: false };
const BOTH_OUT: Saved = { inputs: [0, 1], out: true };

type SavedRule = Saved | ((needs: readonly boolean[]) => Saved);

const SAVED: Partial<Record<PrimitiveName, SavedRule>> = {
  abs: IN0, exp: OUT, expm1: OUT, log: IN0, log1p: IN0, sqrt: OUT, rsqrt: IN0_OUT, square: IN0,
  reciprocal: OUT, sin: IN0, cos: IN0, tanh: OUT, sigmoid: OUT, relu: IN0,
  // a·b: ∂/∂a reads b, ∂/∂b reads a (matmul alike).
  mul: (n) => ({ inputs: [...(n[1] ? [0] : []), ...(n[0] ? [1] : [])], out: false }),
  matmul: (n) => ({ inputs: [...(n[1] ? [0] : []), ...(n[0] ? [1] : [])], out: false }),
  // a/b: ∂/∂a reads b; ∂/∂b reads b and the output.
  div: (n) => (n[1] ? { inputs: [1], out: true } : { inputs: [1], out: false }),
  pow: (n) => (n[1] ? BOTH_OUT : BOTH),
  maximum: BOTH, minimum: BOTH,
  where: IN0,
  max: IN0_OUT, min: IN0_OUT, logSumExp: IN0_OUT,
  gather: (n) => (n[0] ? { inputs: [1], out: false } : NONE),
  scatterAdd: (n) => (n[2] ? { inputs: [1], out: false } : NONE),
};

export function savedBy(op: PrimitiveName, needs: readonly boolean[]): Saved {
  const rule = SAVED[op];
  if (rule === undefined) return NONE;
  return typeof rule === 'function' ? rule(needs) : rule;
}
