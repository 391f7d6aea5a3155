import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor, WasmBackend, getBackend, registerBackend, setBackend, tensor, tidy } from '@tsgrad/tensor';
import { Adagrad, Adam, AdamW, Optimizer, RMSprop, SGD, type ParamGroup } from '../index.js';

/*
 * Optimiser steps leak no device memory: on a WebAssembly backend of its own (exact
 * heap counts), steps inside `tidy` keep the live heap exactly flat for every
 * optimiser and option that keeps state, with no finalizer run, and the state stays
 * readable — also for a subclass that never calls keep() or releaseToScope().
 */

const wasm = new WasmBackend({ name: 'wasm-optim-memory' });
registerBackend(wasm);
let previous = '';
beforeAll(() => {
  previous = getBackend().name;
  setBackend(wasm.name);
});
afterAll(() => setBackend(previous));

/** A quadratic bowl: loss = Σ (p − target)², so every step has a gradient. */
function steps(make: (params: Tensor[]) => Optimizer<object, unknown>, n: number): { live: number[]; finalized: number; p: Tensor; opt: Optimizer<object, unknown> } {
  const p = tensor(Float32Array.from({ length: 40 }, (_, i) => Math.sin(i))).requiresGrad_();
  const target = tensor(Float32Array.from({ length: 40 }, (_, i) => Math.cos(i)));
  const opt = make([p]);
  const f0 = wasm.stats().finalized;
  const live: number[] = [];
  for (let i = 1; i <= n; i++) {
    tidy(() => {
      opt.zeroGrad();
      p.sub(target).square().sum().backward();
      opt.step();
    });
    if (i >= 5) live.push(wasm.stats().liveBytes);
  }
  return { live, finalized: wasm.stats().finalized - f0, p, opt };
}

class PlainMomentum extends Optimizer<{ lr: number }, { buf: Tensor }> {
  constructor(params: Tensor[]) {
    super('PlainMomentum', params, { lr: 0.1 });
  }
  protected validateOptions(): void {}
  protected updateParameter(p: Tensor, grad: Tensor, g: ParamGroup<{ lr: number }>): void {
    const st = this.state.get(p);
    // No keep(), no releaseToScope(): the base class keeps the new state and frees the old.
    const buf = st ? st.buf.mul(0.9).add(grad) : grad.mul(1);
    this.state.set(p, { buf });
    p.assign_(p.sub(buf.mul(g.lr)));
  }
}

describe('optimiser steps inside tidy hold device memory flat', () => {
  const cases: [string, (ps: Tensor[]) => Optimizer<object, unknown>][] = [
    ['SGD, momentum + nesterov + weight decay', (ps) => new SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ['Adam, amsgrad', (ps) => new Adam(ps, { lr: 0.01, amsgrad: true })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.01 })],
    ['RMSprop, centered + momentum', (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.9 })],
    ['Adagrad', (ps) => new Adagrad(ps, { lr: 0.1 })],
    ['a subclass that never calls keep()', (ps) => new PlainMomentum(ps)],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const r = steps(make, 40);
      expect(new Set(r.live).size, `live bytes from step 5 to 40: ${r.live.join(', ')}`).toBe(1);
      expect(r.finalized).toBe(0);
      // The parameter and every state tensor are still readable, and the bowl was descended.
      expect(Array.from(r.p.dataSync()).every(Number.isFinite)).toBe(true);
      for (const st of r.opt.state.values()) {
        for (const v of Object.values(st as object)) if (v instanceof Tensor) expect(v.dataSync().length).toBe(40);
      }
    });
  }
});
