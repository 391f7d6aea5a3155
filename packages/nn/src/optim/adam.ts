import { Tensor, ValueError, keep, releaseToScope, zerosLike } from '@tsgrad/tensor';
import { Optimizer, checkBoolean, checkNonNegative, type ParamGroup, type Params } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay p ← p(1 − lr·wd). */
  weightDecay: number;
  /** Use the running maximum of the second moment (AMSGrad; default false). */
  amsgrad: boolean;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

export interface AdamState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  maxExpAvgSq: Tensor | null;
}

function checkBetas(where: string, betas: unknown): void {
  const ok =
    Array.isArray(betas) &&
    betas.length === 2 &&
    betas.every((b) => typeof b === 'number' && b >= 0 && b < 1);
  if (!ok) throw new ValueError(`${where}: option 'betas' expected two numbers in [0, 1), got ${Array.isArray(betas) ? `[${betas.join(', ')}]` : String(betas)}`);
}

/**
 * Adam (Kingma & Ba) with PyTorch's exact update (`torch.optim.Adam`), t = step count:
 *
 *     g ← ∇ + weightDecay·p                        (Adam's L2; AdamW decays p instead)
 *     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²   (v̂ ← max(v̂, v) with amsgrad)
 *     p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  /** AdamW's decoupled weight decay instead of Adam's L2 term. */
  protected readonly decoupledWeightDecay: boolean;

  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    // AdamW (and its subclasses) reuse this constructor with decoupled decay.
    const decoupled = new.target === AdamW || new.target.prototype instanceof AdamW;
    super(decoupled ? 'AdamW' : 'Adam', params, {
      lr: opts?.lr ?? 1e-3,
      betas: opts?.betas ?? [0.9, 0.999],
      eps: opts?.eps ?? 1e-8,
      weightDecay: opts?.weightDecay ?? (decoupled ? 0.01 : 0),
      amsgrad: opts?.amsgrad ?? false,
      maximize: opts?.maximize ?? false,
    }, opts);
    this.decoupledWeightDecay = decoupled;
  }

  protected override stateKeys(): readonly string[] {
    return ['step', 'expAvg', 'expAvgSq', 'maxExpAvgSq'];
  }

  protected validateOptions(o: AdamOptions, where: string): void {
    checkNonNegative(where, 'lr', o.lr);
    checkNonNegative(where, 'eps', o.eps);
    checkNonNegative(where, 'weightDecay', o.weightDecay);
    checkBetas(where, o.betas);
    checkBoolean(where, 'amsgrad', o.amsgrad);
    checkBoolean(where, 'maximize', o.maximize);
  }

  protected updateParameter(p: Tensor, grad: Tensor, g: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = g.betas;
    let d = g.maximize ? grad.neg() : grad;
    let param: Tensor = p;
    if (g.weightDecay !== 0) {
      if (this.decoupledWeightDecay) param = p.mul(1 - g.lr * g.weightDecay);
      else d = d.add(p.mul(g.weightDecay));
    }
    let st = this.state.get(p);
    if (!st) {
      st = { step: 0, expAvg: keep(zerosLike(p)), expAvgSq: keep(zerosLike(p)), maxExpAvgSq: g.amsgrad ? keep(zerosLike(p)) : null };
      this.state.set(p, st);
    }
    st.step += 1;
    // State outlives the step's memory scope (keep); what it replaces is freed with it.
    st.expAvg = keep(releaseToScope(st.expAvg).mul(beta1).add(d.mul(1 - beta1)));
    st.expAvgSq = keep(releaseToScope(st.expAvgSq).mul(beta2).add(d.mul(d).mul(1 - beta2)));
    const stepSize = g.lr / (1 - beta1 ** st.step);
    const bias2Sqrt = Math.sqrt(1 - beta2 ** st.step);
    let second = st.expAvgSq;
    if (g.amsgrad) {
      st.maxExpAvgSq = keep((st.maxExpAvgSq ? releaseToScope(st.maxExpAvgSq) : zerosLike(p)).maximum(st.expAvgSq));
      second = st.maxExpAvgSq;
    }
    const denom = second.sqrt().div(bias2Sqrt).add(g.eps);
    p.assign_(param.sub(st.expAvg.div(denom).mul(stepSize)));
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, p ← p·(1 − lr·wd)
 * before the Adam step, as `torch.optim.AdamW`; default weightDecay 0.01.
 */
export class AdamW extends Adam {
  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, opts);
  }
}
