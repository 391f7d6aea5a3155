import { describe, expect, it } from 'vitest';
import { Tensor, grad, logSoftmax, tensor } from '@tsgrad/tensor';
import { mulberry32 } from '@tsgrad/testing';
import { crossEntropy, nllLoss, type CrossEntropyOptions } from './index.js';
import { expectMatchesReference, f64, i32, ints, numel, param, uniform, assertClose } from './test-support/harness.js';
import { refCrossEntropy, refCrossEntropyProbs, refNllLoss, type Reduction } from './test-support/reference.js';

const SHAPES: number[][] = [[4, 3], [2, 3, 4], [2, 4, 2, 3], [5]];
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

function indexShape(shape: number[]): number[] {
  return shape.length === 1 ? [] : [shape[0]!, ...shape.slice(2)];
}

/** Targets with roughly a quarter of them set to ignoreIndex (never all of them). */
function targets(next: () => number, shape: number[], ignoreIndex: number | null): number[] {
  const C = shape.length === 1 ? shape[0]! : shape[1]!;
  const t = ints(next, numel(indexShape(shape)), 0, C);
  if (ignoreIndex !== null) for (let i = 1; i < t.length; i += 4) t[i] = ignoreIndex;
  return t;
}

describe('crossEntropy with class indices matches PyTorch semantics', () => {
  const cases: { name: string; opts: { weight?: boolean; ignoreIndex?: number; labelSmoothing?: number } }[] = [
    { name: 'plain', opts: {} },
    { name: 'weight', opts: { weight: true } },
    { name: 'ignoreIndex -100', opts: { ignoreIndex: -100 } },
    { name: 'ignoreIndex inside [0, C)', opts: { ignoreIndex: 1 } },
    { name: 'labelSmoothing', opts: { labelSmoothing: 0.2 } },
    { name: 'weight + labelSmoothing + ignored', opts: { weight: true, ignoreIndex: -100, labelSmoothing: 0.3 } },
    { name: 'labelSmoothing 1', opts: { labelSmoothing: 1, weight: true } },
  ];
  for (const shape of SHAPES) {
    for (const c of cases) {
      for (const reduction of REDUCTIONS) {
        it(`${c.name}, shape [${shape.join(', ')}], ${reduction}`, () => {
          const next = mulberry32(numel(shape) * 7 + reduction.length);
          const C = shape.length === 1 ? shape[0]! : shape[1]!;
          const ignore = c.opts.ignoreIndex ?? null;
          const t = shape.length === 1 ? [ignore === 1 ? 0 : 1] : targets(next, shape, ignore);
          const weight = c.opts.weight ? uniform(next, C, 0.2, 2) : undefined;
          const x = uniform(next, numel(shape));
          const opts = { ignoreIndex: c.opts.ignoreIndex, labelSmoothing: c.opts.labelSmoothing, reduction };
          expectMatchesReference({
            label: `crossEntropy ${c.name}`,
            params: weight ? [param(x, shape), param(weight, [C])] : [param(x, shape)],
            impl: ([xt, wt]) => crossEntropy(xt!, i32(t, indexShape(shape)), { ...opts, ...(wt ? { weight: wt } : {}) } as CrossEntropyOptions),
            ref: ([xv, wv]) => refCrossEntropy(xv!, shape, t, { ...opts, ...(wv ? { weight: wv } : {}) }),
          });
        });
      }
    }
  }

  it("gives 'none' the target's shape, exactly 0 at ignored positions", () => {
    const x = f64(uniform(mulberry32(3), 2 * 3 * 4), [2, 3, 4]);
    const t = i32([0, -100, 2, 1, -100, -100, 0, 2], [2, 4]);
    const l = crossEntropy(x, t, { reduction: 'none', labelSmoothing: 0.1 });
    expect(l.shape).toEqual([2, 4]);
    const d = l.dataSync();
    expect([d[1], d[4], d[5]]).toEqual([0, 0, 0]);
  });

  it('unbatched [C] input with a 0-d target gives a 0-d loss for every reduction', () => {
    const x = f64([0.5, -1, 2], [3]);
    for (const reduction of REDUCTIONS) {
      const l = crossEntropy(x, i32([2], []), { reduction });
      expect(l.shape).toEqual([]);
      expect(l.item()).toBeCloseTo(refCrossEntropy([0.5, -1, 2], [3], [2])[0]!, 12);
    }
  });

  it("'mean' with every target ignored is NaN (0/0), like PyTorch; 'sum' is 0", () => {
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const t = i32([-100, -100], [2]);
    expect(Number.isNaN(crossEntropy(x, t).item())).toBe(true);
    expect(crossEntropy(x, t, { reduction: 'sum' }).item()).toBe(0);
  });

  it('matches a hand-computed PyTorch value', () => {
    // torch.nn.functional.cross_entropy(torch.tensor([[1., 2., 3.]]), torch.tensor([0])) = 2.4076059644443806
    expect(crossEntropy(f64([1, 2, 3], [1, 3]), i32([0], [1])).item()).toBeCloseTo(2.4076059644443806, 12);
    // weight [1, 2, 3], targets [0, 2]: (w0·nll0 + w2·nll1) / (w0 + w2)
    const x = f64([1, 2, 3, 3, 2, 1], [2, 3]);
    const l = crossEntropy(x, i32([0, 2], [2]), { weight: f64([1, 2, 3], [3]) }).item();
    expect(l).toBeCloseTo((1 * 2.4076059644443806 + 3 * 2.4076059644443806) / 4, 12);
  });
});

describe('crossEntropy with class probabilities', () => {
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      for (const opts of [{}, { weight: true }, { labelSmoothing: 0.25 }, { weight: true, labelSmoothing: 0.1 }] as { weight?: boolean; labelSmoothing?: number }[]) {
        it(`shape [${shape.join(', ')}], ${reduction}, ${JSON.stringify(opts)}`, () => {
          const next = mulberry32(numel(shape) + 99);
          const C = shape.length === 1 ? shape[0]! : shape[1]!;
          const x = uniform(next, numel(shape));
          const probs = uniform(next, numel(shape), 0, 1);
          const weight = opts.weight ? uniform(next, C, 0.2, 2) : undefined;
          const params = [param(x, shape), param(probs, shape), ...(weight ? [param(weight, [C])] : [])];
          expectMatchesReference({
            label: 'crossEntropy(probabilities)',
            params,
            impl: ([xt, pt, wt]) => crossEntropy(xt!, pt!, { reduction, labelSmoothing: opts.labelSmoothing, ...(wt ? { weight: wt } : {}) }),
            ref: ([xv, pv, wv]) => refCrossEntropyProbs(xv!, shape, pv!, { reduction, labelSmoothing: opts.labelSmoothing, ...(wv ? { weight: wv } : {}) }),
          });
        });
      }
    }
  }

  it('one-hot probability targets equal index targets (with weights and label smoothing)', () => {
    const shape = [3, 4, 2];
    const next = mulberry32(5);
    const x = uniform(next, numel(shape));
    const t = ints(next, 6, 0, 4);
    const oneHot = new Array<number>(numel(shape)).fill(0);
    t.forEach((c, i) => (oneHot[(Math.floor(i / 2) * 4 + c) * 2 + (i % 2)] = 1));
    const weight = f64([0.5, 1, 2, 1.5], [4]);
    for (const [reduction, w] of [['none', weight], ['sum', weight], ['mean', undefined]] as const) {
      for (const labelSmoothing of [0, 0.2]) {
        const xa = f64(x, shape, true);
        const xb = f64(x, shape, true);
        const a = crossEntropy(xa, i32(t, [3, 2]), { reduction, labelSmoothing, weight: w });
        const b = crossEntropy(xb, f64(oneHot, shape), { reduction, labelSmoothing, weight: w });
        assertClose(a.dataSync(), b.dataSync(), 1e-12, `one-hot ${reduction}`);
        a.sum().backward();
        b.sum().backward();
        assertClose(xa.grad!.dataSync(), xb.grad!.dataSync(), 1e-12, `one-hot gradient ${reduction}`);
      }
    }
  });
});

describe('nllLoss', () => {
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      for (const opts of [{}, { weight: true }, { ignoreIndex: -100 }, { weight: true, ignoreIndex: 2 }] as { weight?: boolean; ignoreIndex?: number }[]) {
        it(`shape [${shape.join(', ')}], ${reduction}, ${JSON.stringify(opts)}`, () => {
          const next = mulberry32(numel(shape) + 5);
          const C = shape.length === 1 ? shape[0]! : shape[1]!;
          const t = shape.length === 1 ? [0] : targets(next, shape, opts.ignoreIndex ?? null);
          const x = uniform(next, numel(shape), -4, 0);
          const weight = opts.weight ? uniform(next, C, 0.2, 2) : undefined;
          expectMatchesReference({
            label: 'nllLoss',
            params: weight ? [param(x, shape), param(weight, [C])] : [param(x, shape)],
            impl: ([xt, wt]) => nllLoss(xt!, i32(t, indexShape(shape)), { reduction, ignoreIndex: opts.ignoreIndex, ...(wt ? { weight: wt } : {}) }),
            ref: ([xv, wv]) => refNllLoss(xv!, shape, t, { reduction, ignoreIndex: opts.ignoreIndex, ...(wv ? { weight: wv } : {}) }),
          });
        });
      }
    }
  }

  it('crossEntropy(indices) equals nllLoss(logSoftmax(input)) in value and gradient', () => {
    const shape = [3, 5, 2];
    const next = mulberry32(11);
    const x = uniform(next, numel(shape));
    const t = targets(next, shape, -100);
    const weight = f64(uniform(next, 5, 0.5, 2), [5]);
    for (const reduction of REDUCTIONS) {
      const xa = f64(x, shape, true);
      const xb = f64(x, shape, true);
      const a = crossEntropy(xa, i32(t, [3, 2]), { weight, reduction });
      const b = nllLoss(logSoftmax(xb, 1), i32(t, [3, 2]), { weight, reduction });
      assertClose(a.dataSync(), b.dataSync(), 1e-14, 'value');
      const [ga] = grad([a.sum()], [xa]);
      const [gb] = grad([b.sum()], [xb]);
      assertClose(ga!.dataSync(), gb!.dataSync(), 1e-14, 'gradient');
    }
  });

  it('keeps float32 in, float32 out', () => {
    const l = crossEntropy(tensor([[1, 2, 3]]), i32([1], [1]));
    expect(l.dtype).toBe('float32');
    expect(l.item()).toBeCloseTo(1.4076059644443806, 5);
  });

  it('passes a gradient to a class weight that requires grad', () => {
    const w: Tensor = f64([1, 2, 3], [3], true);
    const l = crossEntropy(f64([1, 2, 3, 3, 2, 1], [2, 3]), i32([0, 1], [2]), { weight: w, reduction: 'sum' });
    l.backward();
    // d/dw_c Σ −w_t log p_t = −Σ_{t = c} log p_t
    assertClose(w.grad!.dataSync(), [2.4076059644443806, 1.4076059644443806, 0], 1e-12, 'weight gradient');
  });
});
