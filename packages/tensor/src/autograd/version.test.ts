import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AutogradError, grad, noGrad, tensor, type Tensor } from '../index.js';
import { arbShape } from '../test-support/reference.js';

/*
 * In-place writes after an op was recorded (./version.ts): backward() throws before
 * changing anything when a value its VJPs read was overwritten; it never refuses
 * writes to values no VJP reads (PyTorch's rule), and it is never silently wrong.
 */

const f64 = (data: number[] | Float64Array, shape?: number[], requiresGrad = true): Tensor =>
  tensor(data, { shape, dtype: 'float64', requiresGrad });

const grads = (...ts: Tensor[]): (number[] | null)[] => ts.map((t) => (t.grad ? Array.from(t.grad.dataSync()) : null));

describe('in-place writes versus backward', () => {
  it('assign_ of a leaf whose values a VJP reads makes backward throw, before any gradient is written', () => {
    const w = f64([1, 2, 3]);
    const y = w.mul(w).sum();
    noGrad(() => w.assign_(f64([10, 20, 30], undefined, false)));
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/backward: .*input [01] of 'mul' \(float64, shape \[3\]\) was overwritten/);
    // Nothing changed: no gradient, and the graph was not freed (the same error again,
    // not "backward through the graph a second time").
    expect(w.grad).toBeNull();
    expect(() => y.backward()).toThrow(/modified in place/);
  });

  it('a write through another view of the storage (fill_ of detach(), of a reshape) is seen too', () => {
    const x = f64([1, 2, 3, 4], [2, 2], false);
    const w = f64([0.5, -1, 2, 3], [2, 2]);
    const y = x.matmul(w).sum();
    x.reshape([4]).fill_(7);
    expect(() => y.backward()).toThrow(/input 0 of 'matmul'/);
    expect(w.grad).toBeNull();

    const v = f64([1, 2]);
    const e = v.exp();
    const z = e.sum();
    e.detach().zero_();
    expect(() => z.backward()).toThrow(/the output of 'exp'/);
    expect(v.grad).toBeNull();
  });

  it('does not refuse writes to values no VJP reads (add, sum, reshape), and their gradients are right', () => {
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    const y = a.add(b).mul(2).reshape([2, 1]).sum();
    noGrad(() => {
      a.assign_(f64([100, 100], undefined, false));
      b.fill_(-5);
    });
    y.backward();
    expect(grads(a, b)).toEqual([[2, 2], [2, 2]]);
  });

  it('the usual loop (forward, backward, update, forward again) is untouched; retained graphs are checked', () => {
    const w = f64([1, -2]);
    const x = f64([3, 4], undefined, false);
    for (let step = 0; step < 3; step++) {
      const loss = x.mul(w.sin()).sum();
      loss.backward();
      noGrad(() => w.assign_(w.sub(w.grad!.mul(0.01))));
      w.grad = null;
    }
    const loss = x.mul(w.sin()).sum();
    loss.backward(undefined, { retainGraph: true });
    noGrad(() => w.assign_(w.sub(w.grad!.mul(0.01))));
    const before = grads(w);
    expect(() => loss.backward()).toThrow(AutogradError);
    expect(grads(w)).toEqual(before);
  });

  it('grad() and a second-order pass are checked and name the call', () => {
    const x = f64([0.5, 1.5]);
    const y = x.sin().sum();
    const [g] = grad(y, x, { createGraph: true });
    noGrad(() => x.fill_(2));
    expect(() => grad(g!.sum(), x)).toThrow(/^grad: .*input 0 of 'cos'/);
    const x2 = f64([0.5, 1.5]);
    const y2 = x2.sin().sum();
    noGrad(() => x2.assign_(f64([1, 1], undefined, false)));
    expect(() => grad(y2, x2)).toThrow(/^grad: .*input 0 of 'sin'/);
  });

  it("assign_ writes through the storage, as PyTorch's copy_: views taken before see the new values, and a backward reading the old ones through them throws", () => {
    const w = f64([1, 2, 3, 4], [2, 2]);
    const wt = w.T;
    const x = f64([1, -1], [1, 2]);
    const y = x.matmul(wt).sum(); // ∂/∂x reads wᵀ
    noGrad(() => w.assign_(f64([9, 8, 7, 6], [2, 2], false)));
    expect(wt.toArray()).toEqual([[9, 7], [8, 6]]);
    expect(() => y.backward()).toThrow(/input 1 of 'matmul'/);
    expect(grads(x, w)).toEqual([null, null]);
    // ∂/∂w of Σ x·wᵀ reads only x: updating w before backward is fine.
    const w2 = f64([1, 2, 3, 4], [2, 2]);
    const x2 = f64([1, -1], [1, 2], false);
    const y2 = x2.matmul(w2.T).sum();
    noGrad(() => w2.assign_(f64([9, 9, 9, 9], [2, 2], false)));
    y2.backward();
    expect(grads(w2)).toEqual([[1, -1, 1, -1]]);
  });
});

// ---------- the property: never silently wrong, never refusing a value nobody reads ----------

interface OpCase {
  name: string;
  arity: 1 | 2;
  fn: (...xs: Tensor[]) => Tensor;
  /** VJP reads no input or output values: writes must never be refused. */
  readsNothing?: boolean;
}

const CASES: OpCase[] = [
  { name: 'neg', arity: 1, fn: (x) => x.neg(), readsNothing: true },
  { name: 'sum', arity: 1, fn: (x) => x.sum(-1), readsNothing: true },
  { name: 'reshape', arity: 1, fn: (x) => x.reshape([-1]), readsNothing: true },
  { name: 'transpose', arity: 1, fn: (x) => x.T, readsNothing: true },
  { name: 'sign', arity: 1, fn: (x) => x.sign(), readsNothing: true },
  { name: 'add', arity: 2, fn: (a, b) => a.add(b), readsNothing: true },
  { name: 'sub', arity: 2, fn: (a, b) => a.sub(b), readsNothing: true },
  { name: 'abs', arity: 1, fn: (x) => x.abs() },
  { name: 'exp', arity: 1, fn: (x) => x.exp() },
  { name: 'expm1', arity: 1, fn: (x) => x.expm1() },
  { name: 'log', arity: 1, fn: (x) => x.log() },
  { name: 'log1p', arity: 1, fn: (x) => x.log1p() },
  { name: 'sqrt', arity: 1, fn: (x) => x.sqrt() },
  { name: 'rsqrt', arity: 1, fn: (x) => x.rsqrt() },
  { name: 'square', arity: 1, fn: (x) => x.square() },
  { name: 'reciprocal', arity: 1, fn: (x) => x.reciprocal() },
  { name: 'sin', arity: 1, fn: (x) => x.sin() },
  { name: 'cos', arity: 1, fn: (x) => x.cos() },
  { name: 'tanh', arity: 1, fn: (x) => x.tanh() },
  { name: 'sigmoid', arity: 1, fn: (x) => x.sigmoid() },
  { name: 'relu', arity: 1, fn: (x) => x.sub(1.2).relu() },
  { name: 'max', arity: 1, fn: (x) => x.max(-1) },
  { name: 'logSumExp', arity: 1, fn: (x) => x.logSumExp(-1) },
  { name: 'mul', arity: 2, fn: (a, b) => a.mul(b) },
  { name: 'div', arity: 2, fn: (a, b) => a.div(b) },
  { name: 'pow', arity: 2, fn: (a, b) => a.pow(b) },
  { name: 'maximum', arity: 2, fn: (a, b) => a.maximum(b) },
  { name: 'matmul', arity: 2, fn: (a, b) => a.matmul(b.T) },
];

type How = 'assign' | 'assignStrided' | 'fillDetached' | 'fillOutput';

describe('in-place writes versus backward: property over ops, shapes, values and ways of writing', () => {
  it('backward either throws an AutogradError before changing anything or gives the gradient of the recorded values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CASES),
        arbShape(2, 4).filter((s) => s.length === 2),
        fc.integer({ min: 0, max: 1 }),
        fc.constantFrom<How>('assign', 'assignStrided', 'fillDetached', 'fillOutput'),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.25, max: 3, noNaN: true }),
        (op, shape, which, how, seed, value) => {
          const n = shape[0]! * shape[1]!;
          let s = seed;
          const rand = () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 + 0.5; // (0.5, 2.5): log, sqrt, pow safe
          const data = Array.from({ length: op.arity }, () => Array.from({ length: n }, rand));
          const build = () => data.map((d) => f64(d, shape));
          // Reference: nothing written.
          const ref = build();
          op.fn(...ref).sum().backward();
          const expected = grads(...ref);

          const xs = build();
          const out = op.fn(...xs);
          const loss = out.sum();
          const k = Math.min(which, op.arity - 1);
          noGrad(() => {
            if (how === 'assign') xs[k]!.assign_(f64(Array.from({ length: n }, () => value), shape, false));
            else if (how === 'assignStrided') xs[k]!.T.assign_(f64(Array.from({ length: n }, () => value), [shape[1]!, shape[0]!], false));
            else if (how === 'fillDetached') xs[k]!.detach().fill_(value);
            else out.detach().fill_(value);
          });
          let threw: unknown = null;
          try {
            loss.backward();
          } catch (e) {
            threw = e;
          }
          if (threw !== null) {
            expect(threw).toBeInstanceOf(AutogradError);
            expect((threw as Error).message).toMatch(/^backward: a tensor the gradient needs was modified in place/);
            expect(op.readsNothing ?? false).toBe(false);
            expect(grads(...xs)).toEqual(xs.map(() => null));
          } else {
            expect(grads(...xs)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
