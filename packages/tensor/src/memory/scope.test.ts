import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BackendError, ValueError, WasmBackend, getBackend, keep, registerBackend, releaseToScope, setBackend, tensor, tidy, tidyUpdates,
  inScope, zeros, type Tensor,
} from '../index.js';
import { sizeClass } from '../wasm/heap.js';

/*
 * Memory scopes on a backend with device memory: a WebAssembly backend of its own
 * (exact heap counts). Whether a tensor was freed is observable: reading a disposed
 * tensor throws a BackendError, and the heap's live bytes fall back.
 */

const wasm = new WasmBackend({ name: 'wasm-scope-test' });
registerBackend(wasm);
let previous = '';
beforeEach(() => {
  previous = getBackend().name;
  setBackend(wasm.name);
});
afterEach(() => setBackend(previous));

function freed(t: Tensor): boolean {
  try {
    t.dataSync();
    return false;
  } catch (e) {
    if (e instanceof BackendError) return true;
    throw e;
  }
}

const live = () => wasm.stats().liveBytes;
const vec = (n: number, start = 1) => tensor(Float32Array.from({ length: n }, (_, i) => start + i));

describe('tidy', () => {
  it('frees every tensor created inside except the one it returns; live memory falls back', () => {
    const a = vec(64);
    const before = live();
    let inner: Tensor[] = [];
    const out = tidy(() => {
      const b = a.mul(2);
      const c = b.add(1).mul(0.01).exp(); // lazy chains and computed blocks alike
      const s = c.sum();
      inner = [b, c, s];
      return a.mul(3).add(s.mul(0));
    });
    expect(inner.every(freed)).toBe(true);
    expect(freed(out)).toBe(false);
    expect(Array.from(out.dataSync())).toEqual(Array.from({ length: 64 }, (_, i) => 3 * (i + 1)));
    expect(freed(a)).toBe(false);
    // Only the returned tensor's block remains.
    expect(live() - before).toBe(sizeClass(64 * 4));
    out.dispose();
    expect(live()).toBe(before);
  });

  it('never frees tensors made outside, nor their views made inside (shared storage)', () => {
    const w = vec(12).reshape([3, 4]);
    const p = vec(4).requiresGrad_();
    tidy(() => {
      w.T.contiguous().sum();
      p.detach().mul(2);
      w.reshape([12]).slice(0, 2, 8);
    });
    expect(freed(w)).toBe(false);
    expect(freed(p)).toBe(false);
    expect(p.toArray()).toEqual([1, 2, 3, 4]);
  });

  it('a returned view keeps its base memory; arrays, records and Maps of tensors are returned too', () => {
    const x = vec(6);
    const r = tidy(() => {
      const y = x.mul(10);
      return { view: y.reshape([2, 3]), list: [x.add(1), 7], map: new Map([['m', x.neg()]]), label: 'ok' };
    });
    expect(r.view.toArray()).toEqual([[10, 20, 30], [40, 50, 60]]);
    expect(r.list[0] && (r.list[0] as Tensor).toArray()).toEqual([2, 3, 4, 5, 6, 7]);
    expect(r.map.get('m')!.toArray()).toEqual([-1, -2, -3, -4, -5, -6]);
    expect(r.label).toBe('ok');
  });

  it('nested scopes: an inner result belongs to the outer scope and is freed when it ends unless returned', () => {
    const x = vec(8);
    let fromInner: Tensor | null = null;
    let dropped: Tensor | null = null;
    const out = tidy(() => {
      expect(inScope()).toBe(true);
      fromInner = tidy(() => x.mul(2).add(1));
      dropped = tidy(() => x.mul(5));
      expect(freed(fromInner)).toBe(false);
      expect(freed(dropped)).toBe(false);
      return fromInner.mul(2);
    });
    expect(inScope()).toBe(false);
    expect(freed(fromInner!)).toBe(true);
    expect(freed(dropped!)).toBe(true);
    expect(out.toArray()).toEqual([6, 10, 14, 18, 22, 26, 30, 34]);
  });

  it('keep() survives every enclosing scope', () => {
    const x = vec(4);
    let kept: Tensor | null = null;
    tidy(() => {
      tidy(() => {
        kept = keep(x.mul(x).add(x));
      });
    });
    expect(kept!.toArray()).toEqual([2, 6, 12, 20]);
  });

  it('on an error the scope frees its tensors and the error propagates', () => {
    const x = vec(4);
    let made: Tensor | null = null;
    expect(() =>
      tidy(() => {
        made = x.exp();
        made.dataSync();
        throw new RangeError('boom');
      }),
    ).toThrow(RangeError);
    expect(freed(made!)).toBe(true);
    expect(inScope()).toBe(false);
  });

  it('rejects an async function and a non-function, naming the argument', () => {
    const x = vec(2);
    let made: Tensor | null = null;
    expect(() => tidy(async () => {
      made = x.add(1);
      return made;
    })).toThrow(/tidy: argument 'fn' returned a Promise; a memory scope must be synchronous/);
    expect(freed(made!)).toBe(true);
    expect(() => tidy(null as unknown as () => void)).toThrow(ValueError);
    expect(() => tidy(3 as unknown as () => void)).toThrow(/tidy: argument 'fn' expected a function, got 3/);
  });
});

describe('tidy and autograd', () => {
  it('backward inside the scope: leaf gradients survive, the graph and the temporaries are freed', () => {
    const w = vec(5).requiresGrad_();
    const before = live();
    const lossValue = tidy(() => {
      const loss = w.mul(w).mul(0.5).sum();
      loss.backward();
      return loss.item();
    });
    expect(lossValue).toBeCloseTo(27.5, 5);
    expect(w.grad!.toArray()).toEqual([1, 2, 3, 4, 5]);
    // The gradient's block, nothing else.
    expect(live() - before).toBe(sizeClass(5 * 4));
  });

  it('a loss returned from a scope keeps the graph it needs: backward() outside works', () => {
    const w = vec(3).requiresGrad_();
    const x = vec(3, 10);
    const loss = tidy(() => w.mul(x).exp().mul(1e-5).sum());
    loss.backward();
    const g = Array.from(w.grad!.dataSync());
    const expected = [10, 11, 12].map((xi, i) => 1e-5 * xi * Math.exp((i + 1) * xi));
    g.forEach((v, i) => expect(v / expected[i]!).toBeCloseTo(1, 5));
  });

  it('keep() of a loss with a live graph keeps that graph past every scope: backward() afterwards works', () => {
    const w = vec(3).requiresGrad_();
    let loss: Tensor | null = null;
    tidy(() => {
      tidy(() => {
        loss = keep(w.mul(w).exp().mul(1e-3).sum());
      });
    });
    loss!.backward();
    const expected = [1, 2, 3].map((v) => 1e-3 * 2 * v * Math.exp(v * v));
    Array.from(w.grad!.dataSync()).forEach((g, i) => expect(g / expected[i]!).toBeCloseTo(1, 5));
  });

  it("a returned loss's graph is freed with the enclosing scope (no leak once backward ran)", () => {
    const w = vec(16).requiresGrad_();
    const before = live();
    tidy(() => {
      const loss = tidy(() => w.mul(2).exp().mul(1e-9).sum());
      loss.backward();
      w.grad = null; // cleared inside the scope: freed with it
    });
    expect(live()).toBe(before);
  });

  it('a gradient replaced inside a scope (accumulation, zeroGrad) is freed when it ends', () => {
    const w = vec(4).requiresGrad_();
    tidy(() => w.mul(3).sum().backward());
    const first = w.grad!;
    tidy(() => w.mul(2).sum().backward()); // accumulates: a new gradient tensor
    expect(freed(first)).toBe(true);
    expect(w.grad!.toArray()).toEqual([5, 5, 5, 5]);
    const second = w.grad!;
    tidy(() => {
      w.grad = null;
    });
    expect(freed(second)).toBe(true);
  });

  it('in-place updates keep the parameter readable; the storage they replace is freed with the scope', () => {
    const p = vec(4);
    const before = live();
    for (let i = 0; i < 5; i++) {
      tidy(() => {
        p.assign_(p.add(1).mul(2));
      });
    }
    expect(p.toArray()).toEqual([94, 126, 158, 190]);
    expect(live()).toBe(before);
  });

  it('assign_ inside tidyUpdates writes through the storage (a view taken before follows it); releaseToScope frees old state in the innermost scope', () => {
    const p = vec(3);
    const view = p.detach();
    const lazyBefore = p.mul(10); // recorded outside every scope, reads the old block
    tidyUpdates(() => {
      p.assign_(p.mul(2));
    });
    // As PyTorch's copy_: every tensor sharing the storage sees the new values, and an op
    // recorded before the update still computes from the old ones.
    expect(view.toArray()).toEqual([2, 4, 6]);
    expect(lazyBefore.toArray()).toEqual([10, 20, 30]);
    let state = keep(zeros([3]));
    const old = state;
    tidy(() => {
      tidyUpdates(() => {
        state = keep(releaseToScope(state).add(p));
        p.assign_(p.add(1));
      });
      expect(freed(old)).toBe(true); // released to the innermost scope: freed when the step ended
    });
    expect(state.toArray()).toEqual([2, 4, 6]);
    expect(p.toArray()).toEqual([3, 5, 7]);
    expect(view.toArray()).toEqual([3, 5, 7]);
    expect(freed(view)).toBe(false);
  });
});

describe('copies taken before a scope frees the original', () => {
  it('clone() is computed at once: it keeps its values after a scope frees the memory it copied (released state, replaced storage)', () => {
    const p = vec(64);
    const state = vec(64, 100);
    const copyOfLazy = p.mul(2).clone();
    const copy = p.clone();
    const stateCopy = state.clone();
    tidy(() => {
      p.assign_(p.add(1000)); // p's old storage: freed with the scope
      releaseToScope(state); // like an optimiser's replaced state
    });
    // Reuse the freed blocks, so a copy still reading them would see other numbers.
    tidy(() => {
      for (let i = 0; i < 4; i++) tensor(new Float32Array(64).fill(-7)).mul(3).dataSync();
    });
    expect(Array.from(copyOfLazy.dataSync())).toEqual(Array.from({ length: 64 }, (_, i) => 2 * (1 + i)));
    expect(Array.from(copy.dataSync())).toEqual(Array.from({ length: 64 }, (_, i) => 1 + i));
    expect(Array.from(stateCopy.dataSync())).toEqual(Array.from({ length: 64 }, (_, i) => 100 + i));
    expect(Array.from(p.dataSync())).toEqual(Array.from({ length: 64 }, (_, i) => 1001 + i));
    for (const t of [p, copyOfLazy, copy, stateCopy]) t.dispose();
  });

  it('a result recorded (lazily) before the scope from memory the scope adopts still reads that memory afterwards', () => {
    const p = vec(64);
    const state = vec(64, 100);
    // Recorded, not computed: they read p's and state's current blocks when they run.
    const twice = p.mul(2);
    const shifted = state.add(1);
    tidy(() => {
      p.assign_(p.add(1000));
      releaseToScope(state);
    });
    tidy(() => {
      for (let i = 0; i < 4; i++) tensor(new Float32Array(64).fill(-7)).mul(3).dataSync();
    });
    expect(Array.from(twice.dataSync())).toEqual(Array.from({ length: 64 }, (_, i) => 2 * (1 + i)));
    expect(Array.from(shifted.dataSync())).toEqual(Array.from({ length: 64 }, (_, i) => 101 + i));
    for (const t of [p, twice, shifted]) t.dispose();
  });

  it('memory adopted and read only inside the scope is still freed when it ends (an optimiser-style loop stays flat)', () => {
    const p = vec(64);
    let s = vec(64, 5);
    const step = () => tidy(() => {
      const next = s.mul(0.5).add(p.mul(0.1)); // reads s and p inside the scope
      releaseToScope(s);
      s = keep(next);
      p.assign_(p.sub(next.mul(0.01)));
    });
    for (let i = 0; i < 5; i++) step();
    const before = live();
    for (let i = 0; i < 50; i++) step();
    expect(live()).toBe(before);
    for (const t of [p, s]) t.dispose();
  });
});
