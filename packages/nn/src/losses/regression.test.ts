import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTypeError, ShapeError, ValueError, logSoftmax, tensor } from '@tsgrad/tensor';
import { gradcheck, gradgradcheck, mulberry32 } from '@tsgrad/testing';
import {
  HuberLoss, KLDivLoss, L1Loss, MSELoss, SmoothL1Loss, huberLoss, klDiv, l1Loss, mseLoss, smoothL1Loss, type KlDivReduction, type Reduction,
} from './index.js';
import { allFinite, assertClose, expectMatchesReference, f64, numel, param, uniform } from './test-support/harness.js';
import { refHuber, refKlDiv, refL1, refMse, refSmoothL1 } from './test-support/regression-reference.js';

const SHAPES: number[][] = [[], [5], [3, 4], [2, 3, 2]];
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

/** Inputs and targets whose differences stay clear of the kinks (|d| = 0, |d| = β) by more than the finite-difference step. */
function pair(seed: number, n: number, kinks: number[]): [number[], number[]] {
  const next = mulberry32(seed);
  const x = uniform(next, n, -3, 3);
  const y = x.map((xi) => {
    for (;;) {
      const yi = xi + (next() - 0.5) * 6;
      if (kinks.every((k) => Math.abs(Math.abs(xi - yi) - k) > 1e-3)) return yi;
    }
  });
  return [x, y];
}

describe('regression losses against float64 loops of PyTorch’s formulas (values and gradients for input and target)', () => {
  for (const shape of SHAPES) {
    for (const reduction of REDUCTIONS) {
      it(`mseLoss, l1Loss, smoothL1Loss (β = 1, 0.5, 2, 0), huberLoss (δ = 1, 0.3, 2.5): shape [${shape}], ${reduction}`, () => {
        const n = numel(shape);
        const [x, y] = pair(n * 7 + REDUCTIONS.indexOf(reduction), n, [0, 0.3, 0.5, 1, 2, 2.5]);
        const params = [param(x, shape), param(y, shape)];
        expectMatchesReference({ label: 'mseLoss', params, impl: ([a, b]) => mseLoss(a!, b!, { reduction }), ref: ([a, b]) => refMse(a!, b!, reduction) });
        expectMatchesReference({ label: 'l1Loss', params, impl: ([a, b]) => l1Loss(a!, b!, { reduction }), ref: ([a, b]) => refL1(a!, b!, reduction) });
        for (const beta of [1, 0.5, 2, 0]) {
          expectMatchesReference({
            label: `smoothL1Loss β=${beta}`, params,
            impl: ([a, b]) => smoothL1Loss(a!, b!, { reduction, beta }), ref: ([a, b]) => refSmoothL1(a!, b!, beta, reduction),
          });
        }
        for (const delta of [1, 0.3, 2.5]) {
          expectMatchesReference({
            label: `huberLoss δ=${delta}`, params,
            impl: ([a, b]) => huberLoss(a!, b!, { reduction, delta }), ref: ([a, b]) => refHuber(a!, b!, delta, reduction),
          });
        }
      });
    }
  }

  it('defaults: mean reduction, β = δ = 1; smoothL1 = huber / β; huber = δ·smoothL1(β = δ)', () => {
    const [x, y] = pair(3, 12, [0, 1, 0.7]);
    const a = f64(x, [3, 4]);
    const b = f64(y, [3, 4]);
    assertClose(mseLoss(a, b).dataSync(), refMse(x, y, 'mean'), 1e-14, 'mse default');
    assertClose(smoothL1Loss(a, b).dataSync(), refSmoothL1(x, y, 1, 'mean'), 1e-14, 'smoothL1 default');
    assertClose(huberLoss(a, b).dataSync(), refHuber(x, y, 1, 'mean'), 1e-14, 'huber default');
    assertClose(smoothL1Loss(a, b, { beta: 0.7 }).mul(0.7).dataSync(), huberLoss(a, b, { delta: 0.7 }).dataSync(), 1e-14, 'huber = β·smoothL1');
  });

  it('the gradient of l1Loss at x = y is 0 (PyTorch’s sign(0)), smoothL1/huber are C¹ at |d| = β', () => {
    const x = f64([1, 2, -1, 3], [4], true);
    l1Loss(x, f64([1, 2, -1, 3], [4]), { reduction: 'sum' }).backward();
    assertClose(x.grad!.dataSync(), [0, 0, 0, 0], 0, 'l1 at 0');
    const z = f64([1.5, -0.5], [2], true);
    smoothL1Loss(z, f64([0.5, 0.5], [2]), { reduction: 'sum', beta: 1 }).backward();
    assertClose(z.grad!.dataSync(), [1, -1], 1e-15, 'smoothL1 at |d| = β');
  });
});

describe('klDiv against a float64 loop', () => {
  const cases: [number[], KlDivReduction][] = [
    [[4], 'none'], [[3, 4], 'batchmean'], [[3, 4], 'mean'], [[2, 3, 2], 'sum'], [[2, 3, 2], 'batchmean'], [[], 'batchmean'], [[5], 'mean'],
  ];
  for (const [shape, reduction] of cases) {
    for (const logTarget of [false, true]) {
      it(`shape [${shape}], ${reduction}, logTarget ${logTarget}`, () => {
        const n = numel(shape);
        const next = mulberry32(n * 13 + (logTarget ? 1 : 0));
        const x = uniform(next, n, -4, 0);
        const t = logTarget ? uniform(next, n, -4, 0) : uniform(next, n, 0.01, 1);
        const batch = shape.length === 0 ? 1 : shape[0]!;
        expectMatchesReference({
          label: 'klDiv', params: [param(x, shape), param(t, shape)],
          impl: ([a, b]) => klDiv(a!, b!, { reduction, logTarget }), ref: ([a, b]) => refKlDiv(a!, b!, logTarget, reduction, batch),
        });
      });
    }
  }

  it('0·log 0 = 0 for a zero target (no NaN in the value or the gradients); the input gradient is −p', () => {
    const x = f64([-1, -2, -0.5, -3], [2, 2], true);
    const t = f64([0, 1, 0.5, 0], [2, 2], true);
    const l = klDiv(x, t, { reduction: 'batchmean' });
    assertClose(l.dataSync(), refKlDiv([-1, -2, -0.5, -3], [0, 1, 0.5, 0], false, 'batchmean', 2), 1e-15, 'value');
    l.backward();
    assertClose(x.grad!.dataSync(), [0, -0.5, -0.25, 0], 1e-15, 'input gradient');
    // ∂/∂p = log p + 1 − x, with the p·log p part taken as 0 where p = 0 (its one-sided value is −∞).
    assertClose(t.grad!.dataSync(), [(0 + 1) / 2, (Math.log(1) + 1 + 2) / 2, (Math.log(0.5) + 1 + 0.5) / 2, (0 + 3) / 2], 1e-15, 'target gradient');
  });

  it('KL(p‖q) of two distributions: ≥ 0, zero iff equal; logTarget gives the same value', () => {
    const logits = f64([0.3, -1, 2, 0.5, 0.5, 0.5], [2, 3]);
    const q = logSoftmax(logits, 1);
    const p = logSoftmax(f64([1, 0, -1, 2, 0, 0], [2, 3]), 1);
    const a = klDiv(q, p.exp(), { reduction: 'batchmean' }).item();
    const b = klDiv(q, p, { reduction: 'batchmean', logTarget: true }).item();
    expect(a).toBeGreaterThan(0);
    expect(Math.abs(a - b)).toBeLessThan(1e-15);
    expect(Math.abs(klDiv(q, q.exp(), { reduction: 'sum' }).item())).toBeLessThan(1e-15);
  });
});

describe('gradcheck (float64, random shapes and options), gradgradcheck', () => {
  const arb = fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 2 ** 30 }),
    reduction: fc.constantFrom<Reduction>('mean', 'sum', 'none'),
    beta: fc.constantFrom(0.25, 1, 1.7),
  });
  it('every regression loss w.r.t. input and target', () => {
    fc.assert(
      fc.property(arb, ({ shape, seed, reduction, beta }) => {
        const [x, y] = pair(seed, numel(shape), [0, beta]);
        const a = f64(x, shape, true);
        const b = f64(y, shape, true);
        gradcheck((u, v) => mseLoss(u!, v!, { reduction }), [a, b]);
        gradcheck((u, v) => l1Loss(u!, v!, { reduction }), [a, b]);
        gradcheck((u, v) => smoothL1Loss(u!, v!, { reduction, beta }), [a, b]);
        gradcheck((u, v) => huberLoss(u!, v!, { reduction, delta: beta }), [a, b]);
      }),
      { numRuns: 40 },
    );
  });
  it('klDiv w.r.t. input and target, both target forms and every reduction', () => {
    fc.assert(
      fc.property(arb, fc.boolean(), fc.constantFrom<KlDivReduction>('mean', 'sum', 'none', 'batchmean'), ({ shape, seed }, logTarget, reduction) => {
        const next = mulberry32(seed);
        const n = numel(shape);
        const x = f64(uniform(next, n, -3, 0), shape, true);
        const t = f64(logTarget ? uniform(next, n, -3, 0) : uniform(next, n, 0.05, 1), shape, true);
        gradcheck((u, v) => klDiv(u!, v!, { reduction, logTarget }), [x, t]);
      }),
      { numRuns: 40 },
    );
  });
  it('second derivatives: mseLoss, huberLoss, klDiv', () => {
    const [x, y] = pair(5, 6, [0, 1]);
    gradgradcheck((u, v) => mseLoss(u!, v!), [f64(x, [2, 3], true), f64(y, [2, 3], true)]);
    gradgradcheck((u, v) => huberLoss(u!, v!, { reduction: 'sum' }), [f64(x, [2, 3], true), f64(y, [2, 3], true)]);
    gradgradcheck((u, v) => klDiv(u!, v!, { reduction: 'batchmean' }), [f64([-1, -2, -0.3], [3], true), f64([0.2, 0.3, 0.5], [3], true)]);
  });
});

describe('extreme inputs stay finite (float32)', () => {
  it('differences of ±1e30 and tiny ones: values and gradients finite', () => {
    const x = () => tensor([1e30, -1e30, 1e-30, 3, 0], { requiresGrad: true });
    const y = tensor([-1e30 / 4, 1e30 / 4, 0, 3, -1e-30]);
    for (const loss of [
      (a: typeof y) => l1Loss(a, y, { reduction: 'none' }),
      (a: typeof y) => smoothL1Loss(a, y, { reduction: 'none', beta: 0.5 }),
      (a: typeof y) => huberLoss(a, y, { reduction: 'none', delta: 2 }),
    ]) {
      const a = x();
      const l = loss(a);
      expect(allFinite(l)).toBe(true);
      l.sum().backward();
      expect(allFinite(a.grad)).toBe(true);
    }
    const a = tensor([1e18, -1e18, 0], { requiresGrad: true });
    const l = mseLoss(a, tensor([0, 0, 1e-30]), { reduction: 'none' });
    expect(allFinite(l)).toBe(true);
    l.sum().backward();
    expect(allFinite(a.grad)).toBe(true);
  });
  it('klDiv with log-probabilities of −1e4 and zero targets', () => {
    const x = tensor([[-1e4, 0], [-1e-30, -1e4]], { requiresGrad: true });
    const t = tensor([[0, 1], [1, 0]], { requiresGrad: true });
    const l = klDiv(x, t, { reduction: 'batchmean' });
    expect(allFinite(l)).toBe(true);
    l.backward();
    expect(allFinite(x.grad) && allFinite(t.grad)).toBe(true);
    const lt = klDiv(x, tensor([[-1e4, 0], [0, -1e4]]), { reduction: 'sum', logTarget: true });
    expect(allFinite(lt)).toBe(true);
  });
});

describe('module forms and errors', () => {
  it('modules equal their functions and check options at construction', () => {
    const [x, y] = pair(9, 6, [0, 1, 0.4]);
    const a = f64(x, [2, 3]);
    const b = f64(y, [2, 3]);
    assertClose(new MSELoss({ reduction: 'sum' }).forward(a, b).dataSync(), mseLoss(a, b, { reduction: 'sum' }).dataSync(), 0, 'MSELoss');
    assertClose(new L1Loss().forward(a, b).dataSync(), l1Loss(a, b).dataSync(), 0, 'L1Loss');
    assertClose(new SmoothL1Loss({ beta: 0.4 }).forward(a, b).dataSync(), smoothL1Loss(a, b, { beta: 0.4 }).dataSync(), 0, 'SmoothL1Loss');
    assertClose(new HuberLoss({ delta: 0.4, reduction: 'none' }).forward(a, b).dataSync(), huberLoss(a, b, { delta: 0.4, reduction: 'none' }).dataSync(), 0, 'HuberLoss');
    const q = f64([-1, -2, -0.5, -1], [2, 2]);
    const p = f64([0.5, 0.5, 0.1, 0.9], [2, 2]);
    assertClose(new KLDivLoss({ reduction: 'batchmean' }).forward(q, p).dataSync(), klDiv(q, p, { reduction: 'batchmean' }).dataSync(), 0, 'KLDivLoss');
    expect(String(new HuberLoss())).toBe("HuberLoss(delta=1, reduction='mean')");
    expect(() => new SmoothL1Loss({ beta: -1 })).toThrow(/SmoothL1Loss: argument 'beta'/);
    expect(() => new HuberLoss({ delta: 0 })).toThrow(/HuberLoss: argument 'delta' expected a positive number/);
    expect(() => new MSELoss({ reduction: 'batchmean' as Reduction })).toThrow(ValueError);
    expect(() => new KLDivLoss({ log_target: true } as never)).toThrow(/unknown option 'log_target'/);
    expect(() => new KLDivLoss({ reduction: 'avg' as KlDivReduction })).toThrow(/KLDivLoss: argument 'reduction'/);
  });
  it('functions reject non-float tensors and mismatched shapes', () => {
    expect(() => mseLoss(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => l1Loss(tensor([1, 2], { dtype: 'int32' }), tensor([1, 2]))).toThrow(DTypeError);
    expect(() => klDiv(tensor([1, 2]), tensor([[1, 2]]))).toThrow(/klDiv: argument 'target' expected the shape of input \[2\]/);
    expect(() => huberLoss(tensor([1]), tensor([1]), { delta: NaN })).toThrow(/huberLoss: argument 'delta'/);
  });
});
