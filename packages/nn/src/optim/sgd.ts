import { Tensor, ValueError, keep, releaseToScope } from '@tsgrad/tensor';
import { decayedGradient, Optimizer, checkBoolean, checkNonNegative, type ParamGroup, type Params } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate (default 1e-3, as PyTorch ≥ 2.2). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening of the momentum (default 0). */
  dampening: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov: boolean;
  /** L2 penalty added to the gradient: g + weightDecay·p (default 0). */
  weightDecay: number;
  /** Maximise the objective instead (default false). */
  maximize: boolean;
}

export interface SGDState {
  momentumBuffer: Tensor | null;
}

/**
 * Stochastic gradient descent with PyTorch's exact update rule (`torch.optim.SGD`):
 *
 *     g ← ∇ + weightDecay·p
 *     b ← g on the first step, else momentum·b + (1 − dampening)·g
 *     g ← g + momentum·b (nesterov)  or  b (otherwise)
 *     p ← p − lr·g
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: Params<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    super('SGD', params, {
      lr: opts?.lr ?? 1e-3,
      momentum: opts?.momentum ?? 0,
      dampening: opts?.dampening ?? 0,
      nesterov: opts?.nesterov ?? false,
      weightDecay: opts?.weightDecay ?? 0,
      maximize: opts?.maximize ?? false,
    }, opts);
  }

  protected override stateKeys(): readonly string[] {
    return ['momentumBuffer'];
  }

  protected validateOptions(o: SGDOptions, where: string): void {
    checkNonNegative(where, 'lr', o.lr);
    checkNonNegative(where, 'momentum', o.momentum);
    checkNonNegative(where, 'weightDecay', o.weightDecay);
    if (typeof o.dampening !== 'number' || !Number.isFinite(o.dampening)) {
      throw new ValueError(`${where}: option 'dampening' expected a finite number, got ${String(o.dampening)}`);
    }
    checkBoolean(where, 'nesterov', o.nesterov);
    checkBoolean(where, 'maximize', o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ValueError(
        `${where}: nesterov momentum requires momentum > 0 and dampening = 0, got momentum=${o.momentum}, dampening=${o.dampening}`,
      );
    }
  }

  protected updateParameter(p: Tensor, grad: Tensor, g: ParamGroup<SGDOptions>): void {
    let d = decayedGradient(p, grad, g.maximize, g.weightDecay);
    if (g.momentum !== 0) {
      const st = this.state.get(p);
      let buf: Tensor;
      if (!st || st.momentumBuffer === null) {
        // A copy, as PyTorch's clone: the buffer must not alias the gradient tensor.
        buf = d.mul(1);
      } else {
        buf = st.momentumBuffer.mul(g.momentum);
        buf = buf.add(g.dampening === 0 ? d : d.mul(1 - g.dampening));
      }
      // State outlives the step's memory scope; the buffer it replaces is freed with it.
      if (st?.momentumBuffer) releaseToScope(st.momentumBuffer);
      this.state.set(p, { momentumBuffer: keep(buf) });
      d = g.nesterov ? d.add(buf.mul(g.momentum)) : buf;
    }
    p.assign_(p.sub(d.mul(g.lr)));
  }
}
