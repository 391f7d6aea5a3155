/*
 * Independent float64 references for the regression losses and the KL divergence:
 * plain loops over flat arrays, straight from PyTorch's documented formulas (with the
 * branch, as documented — unlike the implementation's branch-free form).
 */

export type KlReduction = 'mean' | 'sum' | 'none' | 'batchmean';

function reduce(values: number[], reduction: KlReduction, batch = 1): number[] {
  if (reduction === 'none') return values;
  let s = 0;
  for (const v of values) s += v;
  if (reduction === 'sum') return [s];
  return [reduction === 'mean' ? s / values.length : s / batch];
}

export function refMse(x: readonly number[], y: readonly number[], reduction: KlReduction): number[] {
  return reduce(x.map((xi, i) => (xi - y[i]!) * (xi - y[i]!)), reduction);
}

export function refL1(x: readonly number[], y: readonly number[], reduction: KlReduction): number[] {
  return reduce(x.map((xi, i) => Math.abs(xi - y[i]!)), reduction);
}

/** PyTorch: |d| < β ? 0.5·d²/β : |d| − 0.5·β (β = 0: |d|). */
export function refSmoothL1(x: readonly number[], y: readonly number[], beta: number, reduction: KlReduction): number[] {
  return reduce(
    x.map((xi, i) => {
      const d = Math.abs(xi - y[i]!);
      if (beta === 0) return d;
      return d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
    }),
    reduction,
  );
}

/** PyTorch: |d| < δ ? 0.5·d² : δ·(|d| − 0.5·δ). */
export function refHuber(x: readonly number[], y: readonly number[], delta: number, reduction: KlReduction): number[] {
  return reduce(
    x.map((xi, i) => {
      const d = Math.abs(xi - y[i]!);
      return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    }),
    reduction,
  );
}

/** PyTorch: logTarget ? e^t·(t − x) : xlogy(t, t) − t·x, with xlogy(0, ·) = 0. */
export function refKlDiv(x: readonly number[], t: readonly number[], logTarget: boolean, reduction: KlReduction, batch: number): number[] {
  return reduce(
    x.map((xi, i) => {
      const ti = t[i]!;
      if (logTarget) return Math.exp(ti) * (ti - xi);
      return (ti === 0 ? 0 : ti * Math.log(ti)) - ti * xi;
    }),
    reduction,
    batch,
  );
}
