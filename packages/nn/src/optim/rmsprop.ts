import { Tensor, keep, releaseToScope, zerosLike } from '@tsgrad/tensor';
import { decayedGradient, Optimizer, checkBoolean, checkNonNegative, type ParamGroup, type Params } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate (default 0.01). */
  lr: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient: g + weightDecay·p (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalise by the estimated variance (v − ḡ²) instead of the raw second moment (default false). */
  centered: boolean;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

export interface RMSpropState {
  step: number;
  squareAvg: Tensor;
  /** The momentum buffer (momentum > 0), else null. */
  momentumBuffer: Tensor | null;
  /** The gradient average ḡ (centered), else null. */
  gradAvg: Tensor | null;
}

/**
 * RMSprop (Hinton's lecture 6e) with PyTorch's exact update (`torch.optim.RMSprop`);
 * v, ḡ and b start at 0:
 *
 *     g ← ∇ + weightDecay·p                      (−∇ with maximize)
 *     v ← α·v + (1 − α)·g²
 *     d ← √(v − ḡ²) + eps   with ḡ ← α·ḡ + (1 − α)·g    (centered)
 *     d ← √v + eps                                       (otherwise)
 *     b ← momentum·b + g/d,  p ← p − lr·b       (momentum > 0)
 *     p ← p − lr·g/d                            (otherwise)
 *
 * eps is added **outside** the square root (as PyTorch; TF.js adds it inside).
 */
export class RMSprop extends Optimizer<RMSpropOptions, RMSpropState> {
  constructor(params: Params<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, {
      lr: opts?.lr ?? 1e-2,
      alpha: opts?.alpha ?? 0.99,
      eps: opts?.eps ?? 1e-8,
      weightDecay: opts?.weightDecay ?? 0,
      momentum: opts?.momentum ?? 0,
      centered: opts?.centered ?? false,
      maximize: opts?.maximize ?? false,
    }, opts);
  }

  protected override stateKeys(): readonly string[] {
    return ['step', 'squareAvg', 'momentumBuffer', 'gradAvg'];
  }

  protected validateOptions(o: RMSpropOptions, where: string): void {
    checkNonNegative(where, 'lr', o.lr);
    checkNonNegative(where, 'alpha', o.alpha);
    checkNonNegative(where, 'eps', o.eps);
    checkNonNegative(where, 'weightDecay', o.weightDecay);
    checkNonNegative(where, 'momentum', o.momentum);
    checkBoolean(where, 'centered', o.centered);
    checkBoolean(where, 'maximize', o.maximize);
  }

  protected updateParameter(p: Tensor, grad: Tensor, g: ParamGroup<RMSpropOptions>): void {
    const d = decayedGradient(p, grad, g.maximize, g.weightDecay);
    let st = this.state.get(p);
    if (!st) {
      st = { step: 0, squareAvg: keep(zerosLike(p)), momentumBuffer: null, gradAvg: null };
      this.state.set(p, st);
    }
    st.step += 1;
    // State outlives the step's memory scope (keep); what it replaces is freed with it.
    st.squareAvg = keep(releaseToScope(st.squareAvg).mul(g.alpha).add(d.mul(d).mul(1 - g.alpha)));
    let avg: Tensor;
    if (g.centered) {
      const prev = st.gradAvg ? releaseToScope(st.gradAvg) : zerosLike(p);
      st.gradAvg = keep(prev.mul(g.alpha).add(d.mul(1 - g.alpha)));
      avg = st.squareAvg.sub(st.gradAvg.mul(st.gradAvg)).sqrt();
    } else {
      avg = st.squareAvg.sqrt();
    }
    avg = avg.add(g.eps);
    if (g.momentum > 0) {
      const prev = st.momentumBuffer ? releaseToScope(st.momentumBuffer) : zerosLike(p);
      st.momentumBuffer = keep(prev.mul(g.momentum).add(d.div(avg)));
      p.assign_(p.sub(st.momentumBuffer.mul(g.lr)));
    } else {
      p.assign_(p.sub(d.div(avg).mul(g.lr)));
    }
  }
}
