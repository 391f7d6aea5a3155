import { Tensor, fullLike, keep, releaseToScope } from '@tsgrad/tensor';
import { decayedGradient, Optimizer, checkBoolean, checkNonNegative, type ParamGroup, type Params } from './optimizer.js';

export interface AdagradOptions {
  /** Learning rate (default 0.01). */
  lr: number;
  /** Learning-rate decay: step t uses lr / (1 + (t − 1)·lrDecay) (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient: g + weightDecay·p (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for stability (default 1e-10). */
  eps: number;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

export interface AdagradState {
  step: number;
  /** Σ g² so far, starting at initialAccumulatorValue. */
  sum: Tensor;
}

/**
 * Adagrad (Duchi, Hazan & Singer 2011) with PyTorch's exact update (`torch.optim.Adagrad`),
 * t = step count, s starting at initialAccumulatorValue:
 *
 *     g ← ∇ + weightDecay·p                 (−∇ with maximize)
 *     clr ← lr / (1 + (t − 1)·lrDecay)
 *     s ← s + g²
 *     p ← p − clr · g / (√s + eps)
 */
export class Adagrad extends Optimizer<AdagradOptions, AdagradState> {
  constructor(params: Params<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, {
      lr: opts?.lr ?? 1e-2,
      lrDecay: opts?.lrDecay ?? 0,
      weightDecay: opts?.weightDecay ?? 0,
      initialAccumulatorValue: opts?.initialAccumulatorValue ?? 0,
      eps: opts?.eps ?? 1e-10,
      maximize: opts?.maximize ?? false,
    }, opts);
  }

  protected override stateKeys(): readonly string[] {
    return ['step', 'sum'];
  }

  protected validateOptions(o: AdagradOptions, where: string): void {
    checkNonNegative(where, 'lr', o.lr);
    checkNonNegative(where, 'lrDecay', o.lrDecay);
    checkNonNegative(where, 'weightDecay', o.weightDecay);
    checkNonNegative(where, 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNonNegative(where, 'eps', o.eps);
    checkBoolean(where, 'maximize', o.maximize);
  }

  protected updateParameter(p: Tensor, grad: Tensor, g: ParamGroup<AdagradOptions>): void {
    const d = decayedGradient(p, grad, g.maximize, g.weightDecay);
    let st = this.state.get(p);
    if (!st) {
      st = { step: 0, sum: keep(fullLike(p, g.initialAccumulatorValue)) };
      this.state.set(p, st);
    }
    st.step += 1;
    const clr = g.lr / (1 + (st.step - 1) * g.lrDecay);
    // State outlives the step's memory scope (keep); what it replaces is freed with it.
    st.sum = keep(releaseToScope(st.sum).add(d.mul(d)));
    p.assign_(p.sub(d.div(st.sum.sqrt().add(g.eps)).mul(clr)));
  }
}
