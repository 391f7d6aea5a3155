import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, logSoftmax, manualSeed, tensor } from '@tsgrad/tensor';
import { gradcheck, mulberry32 } from '@tsgrad/testing';
import {
  Adam, DualFocalLoss, GammaLoss, HyperTuner, LayerNorm, Linear, Parameter, SGD, Sequential, SoftmaxFocalLoss, Tanh,
  balancedCrossEntropy, functionalCall, type LabelledBatch,
} from '../index.js';
import { data64, expectAllClose } from '../modules/test-helpers.js';

const f64 = { dtype: 'float64' as const };
const GAMMA = { init: 1.5, min: 0, max: 5, dtype: 'float64' as const };

function rand64(shape: number[], seed: number): Tensor {
  const next = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, () => 2 * next() - 1), { dtype: 'float64', shape });
}

function labels(n: number, classes: number, seed: number): Tensor {
  const next = mulberry32(seed);
  return tensor(Int32Array.from({ length: n }, (_, i) => (i < classes ? i : Math.floor(next() * classes))), { dtype: 'int32' });
}

/** An MLP with LayerNorm, float64, and train / validation batches with 4 classes. */
function setup(seed: number) {
  manualSeed(seed);
  const model = new Sequential(new Linear(3, 6, f64), new LayerNorm(6, f64), new Tanh(), new Linear(6, 4, f64));
  const train: LabelledBatch = { x: rand64([10, 3], seed + 1).mul(2), y: labels(10, 4, seed + 2) };
  const val: LabelledBatch = { x: rand64([8, 3], seed + 3).mul(2), y: labels(8, 4, seed + 4) };
  return { model, train, val };
}

/** θ such that min + (max − min)·σ(θ) = γ, as tensor ops (so gradcheck can differentiate through it). */
const thetaOf = (gamma: Tensor) => {
  const s = gamma.sub(GAMMA.min).div(GAMMA.max - GAMMA.min);
  return s.log().sub(s.neg().add(1).log());
};

const lossKinds: [string, () => GammaLoss][] = [
  ['DualFocalLoss', () => new DualFocalLoss({ gamma: GAMMA })],
  ['SoftmaxFocalLoss', () => new SoftmaxFocalLoss({ gamma: GAMMA })],
];

describe.each(lossKinds)('HyperTuner hypergradient through the look-ahead (%s, MLP with LayerNorm, float64)', (_name, makeLoss) => {
  it('gradcheck: d L_val(w − η∇w L_train(w, γ)) / dγ equals central differences in γ', () => {
    const { model, train, val } = setup(1);
    const loss = makeLoss();
    const tuner = new HyperTuner({ model, losses: [loss], optimizer: new SGD(model.parameters(), { lr: 0.7 }) });
    const gamma = tensor(1.5, { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((g) => tuner.lookaheadObjective(train, val, { '0.gammaTheta': thetaOf(g) }), [gamma], { atol: 1e-8, rtol: 1e-6 })).toBe(true);
  });

  it("the tuner's own hypergradients equal central differences of the unrolled objective, in θ and in γ", () => {
    const { model, train, val } = setup(2);
    const loss = makeLoss();
    const tuner = new HyperTuner({ model, losses: [loss], optimizer: new SGD(model.parameters(), { lr: 0.7 }) });
    const objective = (theta: number) => tuner.lookaheadObjective(train, val, { '0.gammaTheta': tensor(theta, f64) }).item();
    const theta0 = loss.gammaTheta!.item();
    const h = 1e-5;
    const fdTheta = (objective(theta0 + h) - objective(theta0 - h)) / (2 * h);
    const { value, grads } = tuner.hypergradient(train, val);
    expect(value).toBe(objective(theta0));
    const hg = grads['0.gammaTheta']!.item();
    expect(Math.abs(hg)).toBeGreaterThan(1e-4); // a real signal, not a vacuous 0 = 0
    expect(Math.abs(hg - fdTheta)).toBeLessThanOrEqual(1e-8 + 1e-6 * Math.abs(fdTheta));

    const byGamma = (g: number) => tuner.lookaheadObjective(train, val, { '0.gammaTheta': thetaOf(tensor(g, f64)) }).item();
    const fdGamma = (byGamma(1.5 + h) - byGamma(1.5 - h)) / (2 * h);
    const step = tuner.hyperStep(train, val);
    expect(Math.abs(step.gammaGradients[0]! - fdGamma)).toBeLessThanOrEqual(1e-8 + 1e-6 * Math.abs(fdGamma));
    expect(step.hypergradients['0.gammaTheta']!.item()).toBe(hg);
  });
});

describe('HyperTuner sanity identity', () => {
  it('with L_val = L_train on the same batch, the hypergradient tends to ∂L_train/∂γ as η → 0 (error O(η))', () => {
    const { model, train } = setup(3);
    const dfl = new DualFocalLoss({ gamma: GAMMA });
    const direct = (() => {
      dfl.gammaTheta!.grad = null;
      dfl.forward(model.forward(train.x), train.y).backward();
      const g = dfl.gammaTheta!.grad!.item();
      dfl.gammaTheta!.grad = null;
      model.zeroGrad();
      return g;
    })();
    expect(Math.abs(direct)).toBeGreaterThan(1e-3);
    const errors = [1e-1, 1e-2, 1e-3, 1e-6].map((eta) => {
      const tuner = new HyperTuner({
        model, losses: [dfl], optimizer: new SGD(model.parameters(), { lr: 1 }), lookaheadLr: eta,
        valObjective: (logits, y) => dfl.forward(logits, y),
      });
      return Math.abs(tuner.hypergradient(train, train).grads['0.gammaTheta']!.item() - direct);
    });
    expect(errors[0]).toBeGreaterThan(1e-6);
    // Linear convergence: each 10× smaller η cuts the error by about 10×.
    for (const i of [0, 1]) {
      expect(errors[i + 1]! / errors[i]!).toBeGreaterThan(0.05);
      expect(errors[i + 1]! / errors[i]!).toBeLessThan(0.2);
    }
    expect(errors[3]).toBeLessThanOrEqual(1e-9 + 1e-6 * Math.abs(direct));
  });
});

describe('HyperTuner steps', () => {
  it('hyperStep: one Adam step of lr 0.05 against the hypergradient, model and grads untouched, γ inside its bounds', () => {
    const { model, train, val } = setup(4);
    const dfl = new DualFocalLoss({ gamma: GAMMA });
    model.parameters().forEach((p, i) => (p.grad = rand64([...p.shape], 100 + i)));
    const before = model.namedParameters().map(([k, p]) => [k, p, Array.from(p.dataSync()), p.grad] as const);
    const sentinel = tensor(123, f64);
    dfl.gammaTheta!.grad = sentinel;
    const tuner = new HyperTuner({ model, losses: [dfl], optimizer: new SGD(model.parameters(), { lr: 0.7 }) });
    const theta0 = dfl.gammaTheta!.item();
    const r = tuner.hyperStep(train, val);
    const hg = r.hypergradients['0.gammaTheta']!.item();
    // Adam's first step: m̂ = g and √v̂ = |g|, so θ moves by lr·g/(|g| + eps).
    expect(dfl.gammaTheta!.item()).toBeCloseTo(theta0 - (0.05 * hg) / (Math.abs(hg) + 1e-8), 13);
    expect(r.gammas[0]).toBe(dfl.gamma);
    expect(Math.sign(dfl.gamma - 1.5)).toBe(-Math.sign(r.gammaGradients[0]!));
    expect(dfl.gammaTheta!.grad).toBe(sentinel);
    model.namedParameters().forEach(([k, p, ], i) => {
      expect([k, p, Array.from(p.dataSync()), p.grad]).toEqual(before[i]);
      expect(p.grad).toBe(before[i]![3]);
    });
    expect(r.ms).toBeGreaterThan(0);
  });

  it('step: the model step is a plain optimiser step on L_train; a hyper-step every k calls; stats count both', () => {
    const a = setup(5);
    const b = setup(5);
    const dflA = new DualFocalLoss({ gamma: GAMMA });
    const optA = new SGD(a.model.parameters(), { lr: 0.1 });
    const tuner = new HyperTuner({ model: a.model, losses: [dflA], optimizer: optA, every: 3 });
    const optB = new SGD(b.model.parameters(), { lr: 0.1 });
    const hyperCalls: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      const r = tuner.step(a.train, a.val);
      hyperCalls.push(r.hyper !== null);
      // Reference: the same model step by hand, with the γ the hyper-step (if any) left.
      const ref = new DualFocalLoss({ gamma: dflA.gamma });
      optB.zeroGrad();
      const l = ref.forward(b.model.forward(b.train.x), b.train.y);
      l.backward();
      optB.step();
      expect(r.loss).toBeCloseTo(l.item(), 12);
    }
    expect(hyperCalls).toEqual([true, false, false, true, false, false, true]);
    a.model.parameters().forEach((p, i) => expectAllClose(data64(p), data64(b.model.parameters()[i]!), 1e-12, 1e-10));
    expect(dflA.gammaTheta!.grad).toBeNull();
    const s = tuner.stats();
    expect([s.modelSteps, s.hyperSteps]).toEqual([7, 3]);
    expect(s.meanModelStepMs).toBeGreaterThan(0);
    expect(s.hyperStepCost).toBeCloseTo(s.meanHyperStepMs / s.meanModelStepMs, 12);
    expect(s.overhead).toBeCloseTo((3 * s.meanHyperStepMs) / (7 * s.meanModelStepMs), 12);
  });

  it('tunes several losses and a raw α Parameter, which is clamped to its bounds', () => {
    const { model, train, val } = setup(6);
    const alpha = new Parameter(tensor(1, f64));
    const dfl = new DualFocalLoss({ alpha, gamma: GAMMA });
    const focal = new SoftmaxFocalLoss({ gamma: GAMMA });
    const tuner = new HyperTuner({
      model, losses: [dfl, focal], optimizer: new Adam(model.parameters(), { lr: 0.3 }), bounds: { '0.alpha': [0.98, 1.02] },
      hyperOptimizer: new SGD([{ params: [alpha], lr: 1e6 }, { params: [dfl.gammaTheta!, focal.gammaTheta!] }], { lr: 10 }),
    });
    expect(tuner.namedHyperParameters().map(([k]) => k)).toEqual(['0.alpha', '0.gammaTheta', '1.gammaTheta']);
    const r = tuner.hyperStep(train, val);
    expect(Object.keys(r.hypergradients)).toEqual(['0.alpha', '0.gammaTheta', '1.gammaTheta']);
    const ga = r.hypergradients['0.alpha']!.item();
    expect(Math.abs(ga)).toBeGreaterThan(1e-5);
    expect(alpha.item()).toBe(ga > 0 ? 0.98 : 1.02); // a big step, clamped
    expect(r.gammas).toEqual([dfl.gamma, focal.gamma]);
    expect(r.gammas.every((g) => g! > 0 && g! < 5)).toBe(true);
  });

  it('does not change the model\'s training flag, and functionalCall leaves nothing swapped behind', () => {
    const { model, train, val } = setup(7);
    model.eval();
    const dfl = new DualFocalLoss({ gamma: GAMMA });
    const tuner = new HyperTuner({ model, losses: [dfl], optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
    const params = model.parameters();
    tuner.hyperStep(train, val);
    expect(model.modules().every((m) => !m.training)).toBe(true);
    expect(model.parameters()).toEqual(params);
    expect(model.parameters().every((p, i) => p === params[i] && p instanceof Parameter)).toBe(true);
    // The look-ahead weights were only ever passed in: evaluating with them differs from the model.
    const la = Object.fromEntries(model.namedParameters().map(([k, p]) => [k, p.add(0.1)]));
    expect(functionalCall(model, la, val.x).sum().item()).not.toBe(model.forward(val.x).sum().item());
  });
});

describe('the README example (float32, as a user would write it)', () => {
  it('runs: model steps every call, a γ step every 5th, γ moves inside its bounds, stats are filled', () => {
    manualSeed(0);
    const model = new Sequential(new Linear(2, 16), new Tanh(), new Linear(16, 3));
    const next = mulberry32(5);
    const batch = (n: number) => ({
      x: tensor(Float32Array.from({ length: 2 * n }, () => 2 * next() - 1), { shape: [n, 2] }),
      y: tensor(Int32Array.from({ length: n }, (_, i) => i % 3), { dtype: 'int32' }),
    });
    const batches = Array.from({ length: 10 }, () => batch(16));
    const { x: xVal, y: yVal } = batch(9);
    const dfl = new DualFocalLoss({ gamma: { init: 2, min: 0, max: 5 } });
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const tuner = new HyperTuner({ model, losses: [dfl], optimizer: opt, every: 5 });
    const w0 = Array.from(model.parameters()[0]!.dataSync());
    for (const { x, y } of batches) tuner.step({ x, y }, { x: xVal, y: yVal });
    expect(dfl.gamma).not.toBe(2);
    expect(Math.abs(dfl.gamma - 2)).toBeLessThan(0.2); // two Adam steps of 0.05 on θ: |Δγ| ≤ 2·0.05·5/4
    expect(Array.from(model.parameters()[0]!.dataSync())).not.toEqual(w0);
    const s = tuner.stats();
    expect([s.modelSteps, s.hyperSteps]).toEqual([10, 2]);
    expect(s.hyperStepCost).toBeGreaterThan(0);
  });
});

describe('HyperTuner errors (before anything changes)', () => {
  it('names the option and what was expected', () => {
    const { model, train } = setup(8);
    const dfl = new DualFocalLoss({ gamma: GAMMA });
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    expect(() => new HyperTuner({ model, losses: [new DualFocalLoss({ gamma: 2 })], optimizer: opt })).toThrow(/option 'losses' has no trainable hyper-parameters/);
    expect(() => new HyperTuner({ model, losses: [dfl], optimizer: new SGD([...model.parameters(), dfl.gammaTheta!], { lr: 0.1 }) })).toThrow(
      /HyperTuner: hyper-parameter '0.gammaTheta' is also in option 'optimizer'/,
    );
    expect(() => new HyperTuner({ model, losses: [dfl], optimizer: opt, every: 0 })).toThrow(/option 'every' expected a positive integer, got 0/);
    expect(() => new HyperTuner({ model, losses: [dfl], optimizer: opt, lookaheadLr: -1 })).toThrow(/option 'lookaheadLr'/);
    expect(() => new HyperTuner({ model, losses: [], optimizer: opt })).toThrow(/option 'losses' expected a non-empty array/);
    expect(() => new HyperTuner({ model, losses: [dfl], optimizer: opt, gamma: 1 } as never)).toThrow(/unknown option 'gamma'/);
    expect(() => new HyperTuner({ model, losses: [dfl], optimizer: opt, bounds: { '0.beta': [0, 1] } })).toThrow(/option 'bounds' names '0.beta'/);
    expect(() => new HyperTuner({ model, losses: [dfl], optimizer: opt, hyperOptimizer: new Adam(model.parameters()) })).toThrow(
      /option 'hyperOptimizer' parameter 0 is not a Parameter of any of 'losses'/,
    );
    const tuner = new HyperTuner({ model, losses: [dfl], optimizer: opt });
    const theta = dfl.gammaTheta!.item();
    expect(() => tuner.step(train, { x: train.x } as never)).toThrow(ValueError);
    expect(() => tuner.step(train, { x: train.x } as never)).toThrow(/HyperTuner.step: argument 'val' expected \{ x: Tensor, y: Tensor \}/);
    expect(() => tuner.lookaheadObjective(train, train, { '0.gamma': tensor(1, f64) })).toThrow(/argument 'hyper' has '0.gamma'/);
    expect(dfl.gammaTheta!.item()).toBe(theta);
    expect(tuner.stats().modelSteps).toBe(0);
  });
});

describe('balancedCrossEntropy', () => {
  it('is the mean over present classes of each class\'s mean cross-entropy', () => {
    const x = rand64([7, 4], 9).mul(3);
    const y = tensor([0, 0, 0, 0, 1, 3, 3], { dtype: 'int32' });
    const lp = data64(logSoftmax(x, 1));
    const yy = Array.from(y.dataSync());
    const perClass = [0, 1, 3].map((c) => {
      const rows = yy.flatMap((t, i) => (t === c ? [i] : []));
      return rows.reduce((s, i) => s - lp[4 * i + c]!, 0) / rows.length;
    });
    const expected = perClass.reduce((a, b) => a + b, 0) / 3;
    expect(balancedCrossEntropy(x, y).item()).toBeCloseTo(expected, 13);
    expect(() => balancedCrossEntropy(x, tensor([0, 1, 2, 3, 4, 0, 0], { dtype: 'int32' }))).toThrow(/balancedCrossEntropy: argument 'target' contains class index 4/);
    const xg = rand64([5, 3], 10);
    const xv = tensor(Float64Array.from(xg.dataSync()), { dtype: 'float64', shape: [5, 3], requiresGrad: true });
    expect(gradcheck((t) => balancedCrossEntropy(t, tensor([0, 1, 1, 2, 2], { dtype: 'int32' })), [xv])).toBe(true);
  });
});
