/*
 * Independent float64 reference implementations of every loss, written with plain JS
 * loops over flat arrays straight from the formulas (PyTorch / torchvision / the DFL
 * paper) — no tsgrad ops — so the tests compare the implementation against something
 * it shares no code with. Each returns the per-element losses for 'none' and a
 * one-element array otherwise. Inputs are assumed moderate (|logit| ≲ 20), so the
 * naive formulas are accurate here.
 */

export type Reduction = 'mean' | 'sum' | 'none';

/** [C] (unbatched) or [N, C, d1, …]: N positions-per-sample S = d1·d2·…. */
export interface Layout {
  N: number;
  C: number;
  S: number;
}

export function layoutOf(shape: readonly number[]): Layout {
  if (shape.length === 1) return { N: 1, C: shape[0]!, S: 1 };
  return { N: shape[0]!, C: shape[1]!, S: shape.slice(2).reduce((a, b) => a * b, 1) };
}

/** The logits of position (n, s) across classes. */
export function rowAt(x: readonly number[], L: Layout, n: number, s: number): number[] {
  const row: number[] = [];
  for (let c = 0; c < L.C; c++) row.push(x[(n * L.C + c) * L.S + s]!);
  return row;
}

export function logSoftmaxRow(row: readonly number[]): number[] {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return row.map((v) => v - lse);
}

export function softmaxRow(row: readonly number[]): number[] {
  return logSoftmaxRow(row).map(Math.exp);
}

function finish(values: number[], reduction: Reduction, denominator: number): number[] {
  if (reduction === 'none') return values;
  let s = 0;
  for (const v of values) s += v;
  return [reduction === 'sum' ? s : s / denominator];
}

/**
 * The per-position losses of a class-index target over layout L, reduced: a position
 * whose target is `ignoreIndex` has loss 0 and adds nothing to the 'mean' denominator;
 * any other gets [loss, weight] from `at(n, s, t)`, its weight added to the denominator.
 */
function overTargets(
  L: Layout, target: readonly number[], ignoreIndex: number, reduction: Reduction,
  at: (n: number, s: number, t: number) => [loss: number, weight: number],
): number[] {
  const out: number[] = [];
  let denominator = 0;
  for (let n = 0; n < L.N; n++) {
    for (let s = 0; s < L.S; s++) {
      const t = target[n * L.S + s]!;
      if (t === ignoreIndex) {
        out.push(0);
        continue;
      }
      const [loss, weight] = at(n, s, t);
      out.push(loss);
      denominator += weight;
    }
  }
  return finish(out, reduction, denominator);
}

/** Broadcasts a row-major array of `from` to `to` (NumPy rules), for weights. */
export function broadcastTo(values: readonly number[], from: readonly number[], to: readonly number[]): number[] {
  const n = to.reduce((a, b) => a * b, 1);
  const out = new Array<number>(n);
  const off = to.length - from.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    let stride = 1;
    const idx: number[] = new Array(to.length);
    for (let d = to.length - 1; d >= 0; d--) {
      idx[d] = rem % to[d]!;
      rem = Math.floor(rem / to[d]!);
    }
    for (let d = from.length - 1; d >= 0; d--) {
      const k = from[d] === 1 ? 0 : idx[d + off]!;
      src += k * stride;
      stride *= from[d]!;
    }
    out[i] = values[src]!;
  }
  return out;
}

export interface ClassRefOptions {
  weight?: readonly number[];
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** torch.nn.functional.cross_entropy with class-index targets (ATen's label smoothing path). */
export function refCrossEntropy(x: readonly number[], shape: readonly number[], target: readonly number[], o: ClassRefOptions = {}): number[] {
  const L = layoutOf(shape);
  const { weight, ignoreIndex = -100, reduction = 'mean', labelSmoothing: eps = 0 } = o;
  return overTargets(L, target, ignoreIndex, reduction, (n, s, t) => {
    const lp = logSoftmaxRow(rowAt(x, L, n, s));
    const wt = weight ? weight[t]! : 1;
    let smooth = 0;
    for (let c = 0; c < L.C; c++) smooth -= (weight ? weight[c]! : 1) * lp[c]!;
    return [(1 - eps) * (-wt * lp[t]!) + (eps / L.C) * smooth, wt];
  });
}

/** torch.nn.functional.cross_entropy with class-probability targets (same layout as x). */
export function refCrossEntropyProbs(x: readonly number[], shape: readonly number[], probs: readonly number[], o: ClassRefOptions = {}): number[] {
  const L = layoutOf(shape);
  const { weight, reduction = 'mean', labelSmoothing: eps = 0 } = o;
  const out: number[] = [];
  for (let n = 0; n < L.N; n++) {
    for (let s = 0; s < L.S; s++) {
      const lp = logSoftmaxRow(rowAt(x, L, n, s));
      let l = 0;
      for (let c = 0; c < L.C; c++) {
        const t = probs[(n * L.C + c) * L.S + s]! * (1 - eps) + eps / L.C;
        l -= (weight ? weight[c]! : 1) * t * lp[c]!;
      }
      out.push(l);
    }
  }
  return finish(out, reduction, L.N * L.S);
}

/** torch.nn.functional.nll_loss on log-probabilities. */
export function refNllLoss(x: readonly number[], shape: readonly number[], target: readonly number[], o: ClassRefOptions = {}): number[] {
  const L = layoutOf(shape);
  const { weight, ignoreIndex = -100, reduction = 'mean' } = o;
  return overTargets(L, target, ignoreIndex, reduction, (n, s, t) => {
    const wt = weight ? weight[t]! : 1;
    return [-wt * x[(n * L.C + t) * L.S + s]!, wt];
  });
}

/** torch.nn.functional.binary_cross_entropy: logs clamped at −100. `weight` already broadcast. */
export function refBinaryCrossEntropy(p: readonly number[], t: readonly number[], weight: readonly number[] | undefined, reduction: Reduction = 'mean'): number[] {
  const out = p.map((pi, i) => {
    const ti = t[i]!;
    const l = -(ti * Math.max(Math.log(pi), -100) + (1 - ti) * Math.max(Math.log(1 - pi), -100));
    return weight ? weight[i]! * l : l;
  });
  return finish(out, reduction, out.length);
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** torch.nn.functional.binary_cross_entropy_with_logits, written as −[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))]. */
export function refBinaryCrossEntropyWithLogits(
  x: readonly number[], t: readonly number[], weight: readonly number[] | undefined, posWeight: readonly number[] | undefined, reduction: Reduction = 'mean',
): number[] {
  const out = x.map((xi, i) => {
    const ti = t[i]!;
    const pw = posWeight ? posWeight[i]! : 1;
    const l = -(pw * ti * Math.log(sigmoid(xi)) + (1 - ti) * Math.log(1 - sigmoid(xi)));
    return weight ? weight[i]! * l : l;
  });
  return finish(out, reduction, out.length);
}

/** torch.nn.functional.soft_margin_loss. */
export function refSoftMarginLoss(x: readonly number[], y: readonly number[], reduction: Reduction = 'mean'): number[] {
  const out = x.map((xi, i) => Math.log(1 + Math.exp(-y[i]! * xi)));
  return finish(out, reduction, out.length);
}

/** torchvision.ops.sigmoid_focal_loss, line by line. */
export function refSigmoidFocalLoss(x: readonly number[], t: readonly number[], alpha = 0.25, gamma = 2, reduction: Reduction = 'none'): number[] {
  const out = x.map((xi, i) => {
    const ti = t[i]!;
    const p = sigmoid(xi);
    const ce = -(ti * Math.log(p) + (1 - ti) * Math.log(1 - p));
    const pt = p * ti + (1 - p) * (1 - ti);
    let loss = ce * Math.pow(1 - pt, gamma);
    if (alpha >= 0) loss *= alpha * ti + (1 - alpha) * (1 - ti);
    return loss;
  });
  return finish(out, reduction, out.length);
}

export interface FocalRefOptions {
  alpha?: number | readonly number[];
  gamma?: number;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** −α_t (1 − p_t)^γ log p_t over a softmax; 'mean' over non-ignored positions. */
export function refSoftmaxFocalLoss(x: readonly number[], shape: readonly number[], target: readonly number[], o: FocalRefOptions = {}): number[] {
  const L = layoutOf(shape);
  const { alpha, gamma = 2, ignoreIndex = -100, reduction = 'mean' } = o;
  // 'mean' counts the non-ignored positions: each has weight 1.
  return overTargets(L, target, ignoreIndex, reduction, (n, s, t) => {
    const p = softmaxRow(rowAt(x, L, n, s));
    const a = alpha === undefined ? 1 : typeof alpha === 'number' ? alpha : alpha[t]!;
    return [-a * Math.pow(1 - p[t]!, gamma) * Math.log(p[t]!), 1];
  });
}

export interface DualFocalRefOptions {
  alpha?: number;
  beta?: number;
  gamma?: number;
  rho?: number;
  reduction?: Reduction;
}

/** Hossain et al.: −Σ_c [y_c log p_c + β(1 − y_c) log(ρ − p_c)] + α Σ_c |y_c − p_c|^γ, mean over positions. */
export function refDualFocalLoss(x: readonly number[], shape: readonly number[], target: readonly number[], o: DualFocalRefOptions = {}): number[] {
  const L = layoutOf(shape);
  const { alpha = 1, beta = 1, gamma = 1, rho = 1, reduction = 'mean' } = o;
  const out: number[] = [];
  for (let n = 0; n < L.N; n++) {
    for (let s = 0; s < L.S; s++) {
      const t = target[n * L.S + s]!;
      const p = softmaxRow(rowAt(x, L, n, s));
      let l = 0;
      for (let c = 0; c < L.C; c++) {
        const y = c === t ? 1 : 0;
        const pc = p[c]!;
        if (y === 1) l -= Math.log(pc);
        else l -= beta * Math.log(rho - pc);
        l += alpha * Math.pow(Math.abs(y - pc), gamma);
      }
      out.push(l);
    }
  }
  return finish(out, reduction, L.N * L.S);
}
