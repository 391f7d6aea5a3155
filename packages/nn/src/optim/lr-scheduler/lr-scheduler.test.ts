import { describe, expect, it } from 'vitest';
import { ValueError, tensor } from '@tsgrad/tensor';
import {
  Adagrad, Adam, CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR, OneCycleLR, Parameter, RMSprop, SGD, StepLR, type LRScheduler,
} from '../../index.js';

/*
 * Every scheduler step by step against its closed form (PyTorch's documentation), written
 * here independently as a function of the epoch. The implementations are PyTorch's
 * recursive forms, so the comparison is to rounding (relative 1e-13 over ~100 steps).
 */

const param = () => new Parameter(tensor([1, 2]));
const sgd = (lrs: number[] = [0.1], extra: Record<string, number> = {}) =>
  new SGD(lrs.map((lr) => ({ params: [param()], lr })), { momentum: 0.9, ...extra });

function lrsOver(s: LRScheduler, steps: number): number[][] {
  const out = [s.getLastLr()];
  for (let t = 1; t <= steps; t++) {
    s.step();
    out.push(s.getLastLr());
    // The groups carry exactly what getLastLr reports.
    expect(s.optimizer.paramGroups.map((g) => g.lr)).toEqual(out[t]);
  }
  return out;
}

function expectSchedule(got: number[][], closed: (t: number, base: number, group: number) => number, bases: number[], rtol = 1e-13): void {
  got.forEach((lrs, t) =>
    lrs.forEach((lr, i) => {
      const want = closed(t, bases[i]!, i);
      if (!(Math.abs(lr - want) <= 1e-300 + rtol * Math.abs(want))) expect.fail(`epoch ${t}, group ${i}: got ${lr}, expected ${want}`);
    }),
  );
}

describe('StepLR, MultiStepLR, ExponentialLR: closed forms step by step', () => {
  it('StepLR: base·γ^⌊t/stepSize⌋', () => {
    const s = new StepLR(sgd([0.1, 0.5]), 3, { gamma: 0.5 });
    expectSchedule(lrsOver(s, 20), (t, b) => b * 0.5 ** Math.floor(t / 3), [0.1, 0.5]);
    expect(new StepLR(sgd(), 2).gamma).toBe(0.1);
  });
  it('MultiStepLR: base·γ^(milestones ≤ t), a repeated milestone counts twice, unsorted input', () => {
    const milestones = [7, 2, 5, 5];
    const s = new MultiStepLR(sgd([1, 0.3]), milestones, { gamma: 0.3 });
    expectSchedule(lrsOver(s, 12), (t, b) => b * 0.3 ** milestones.filter((m) => m <= t).length, [1, 0.3]);
  });
  it('ExponentialLR: base·γ^t', () => {
    expectSchedule(lrsOver(new ExponentialLR(sgd([0.2]), 0.9), 40), (t, b) => b * 0.9 ** t, [0.2]);
  });
});

describe('CosineAnnealingLR', () => {
  const closed = (tMax: number, etaMin: number) => (t: number, b: number) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2;
  for (const [tMax, etaMin] of [[10, 0], [7, 0.001], [1, 0.01], [25, 0.05]] as [number, number][]) {
    it(`tMax ${tMax}, etaMin ${etaMin}: the closed form for 4·tMax steps (down, back up through the special step, down again)`, () => {
      expectSchedule(lrsOver(new CosineAnnealingLR(sgd([0.1, 1]), tMax, { etaMin }), 4 * tMax), closed(tMax, etaMin), [0.1, 1], 1e-12);
    });
  }
  it('reaches etaMin at tMax (to rounding) and the recursion is PyTorch’s, not the closed form', () => {
    const s = new CosineAnnealingLR(sgd([0.1]), 10, { etaMin: 0.001 });
    const lrs = lrsOver(s, 10).map((l) => l[0]!);
    expect(Math.abs(lrs[10]! - 0.001)).toBeLessThan(1e-15);
    // A plain loop of PyTorch's recursive update gives the very same numbers (bit for bit).
    let lr = 0.1;
    for (let t = 1; t <= 10; t++) {
      lr = ((1 + Math.cos((Math.PI * t) / 10)) / (1 + Math.cos((Math.PI * (t - 1)) / 10))) * (lr - 0.001) + 0.001;
      expect(lrs[t]).toBe(lr);
    }
  });
  it('carries a hand-set learning rate forward (the recursive form), unlike the closed form', () => {
    const opt = sgd([1]);
    const s = new CosineAnnealingLR(opt, 10);
    s.step();
    opt.paramGroups[0]!.lr *= 0.5;
    s.step();
    const ratio = (1 + Math.cos((2 * Math.PI) / 10)) / (1 + Math.cos(Math.PI / 10));
    expect(s.getLastLr()[0]).toBeCloseTo(0.5 * closed(10, 0)(1, 1) * ratio, 15);
  });
});

describe('LinearLR', () => {
  for (const [start, end, total] of [[1 / 3, 1, 5], [0.5, 0.1, 4], [1, 0, 10], [0.25, 0.25, 3]] as [number, number, number][]) {
    it(`start ${start}, end ${end}, totalIters ${total}: base·(start + (end − start)·min(t, total)/total)`, () => {
      expectSchedule(
        lrsOver(new LinearLR(sgd([0.1, 2]), { startFactor: start, endFactor: end, totalIters: total }), 3 * total),
        (t, b) => b * (start + ((end - start) * Math.min(t, total)) / total),
        [0.1, 2],
      );
    });
  }
  it('defaults: startFactor 1/3, endFactor 1, totalIters 5', () => {
    const s = new LinearLR(sgd([0.3]));
    expect([s.startFactor, s.endFactor, s.totalIters]).toEqual([1 / 3, 1, 5]);
    expect(s.getLastLr()[0]).toBeCloseTo(0.1, 15);
  });
});

describe('OneCycleLR', () => {
  /** The documented schedule, from the step number alone. */
  function closedOneCycle(o: { total: number; maxLr: number; pct: number; div: number; finalDiv: number; three: boolean; cos: boolean; lo: number; hi: number }) {
    const init = o.maxLr / o.div;
    const min = init / o.finalDiv;
    const anneal = (a: number, b: number, p: number) => (o.cos ? b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1) : a + (b - a) * p);
    const ends = o.three ? [o.pct * o.total - 1, 2 * o.pct * o.total - 2, o.total - 1] : [o.pct * o.total - 1, o.total - 1];
    const lrPts = o.three ? [[init, o.maxLr], [o.maxLr, init], [init, min]] : [[init, o.maxLr], [o.maxLr, min]];
    const mPts = o.three ? [[o.hi, o.lo], [o.lo, o.hi], [o.hi, o.hi]] : [[o.hi, o.lo], [o.lo, o.hi]];
    return (t: number): [number, number] => {
      let k = ends.findIndex((e) => t <= e);
      if (k < 0) k = ends.length - 1;
      const s = k === 0 ? 0 : ends[k - 1]!;
      const p = (t - s) / (ends[k]! - s);
      return [anneal(lrPts[k]![0]!, lrPts[k]![1]!, p), anneal(mPts[k]![0]!, mPts[k]![1]!, p)];
    };
  }

  const cases = [
    { name: 'defaults (cos, two phases), SGD momentum', total: 100, pct: 0.3, three: false, cos: true, div: 25, finalDiv: 1e4, lo: 0.85, hi: 0.95 },
    { name: 'linear, three phases', total: 50, pct: 0.25, three: true, cos: false, div: 10, finalDiv: 100, lo: 0.8, hi: 0.9 },
    { name: 'cos, three phases, odd total', total: 37, pct: 0.4, three: true, cos: true, div: 25, finalDiv: 1e4, lo: 0.85, hi: 0.95 },
  ];
  for (const c of cases) {
    it(`${c.name}: lr and momentum at every step, including the last (step totalSteps)`, () => {
      const opt = sgd([0.05]);
      const s = new OneCycleLR(opt, 0.5, {
        totalSteps: c.total, pctStart: c.pct, threePhase: c.three, annealStrategy: c.cos ? 'cos' : 'linear',
        divFactor: c.div, finalDivFactor: c.finalDiv, baseMomentum: c.lo, maxMomentum: c.hi,
      });
      const ref = closedOneCycle({ ...c, maxLr: 0.5 });
      for (let t = 0; t <= c.total; t++) {
        if (t > 0) s.step();
        const [lr, m] = ref(t);
        expect(s.getLastLr()[0]).toBeCloseTo(lr, 14);
        expect(opt.paramGroups[0]!.momentum).toBeCloseTo(m, 14);
      }
      expect(() => s.step()).toThrow(/tried to step 101 times|tried to step 51 times|tried to step 38 times/);
      expect(s.lastEpoch).toBe(c.total);
    });
  }

  it('starts at maxLr/divFactor, peaks at maxLr, ends at maxLr/(divFactor·finalDivFactor)', () => {
    const s = new OneCycleLR(sgd([1]), 0.1, { epochs: 5, stepsPerEpoch: 20 });
    const lrs = lrsOver(s, 99).map((l) => l[0]!);
    expect(lrs[0]).toBeCloseTo(0.004, 15);
    expect(Math.max(...lrs)).toBeCloseTo(0.1, 15);
    expect(lrs.indexOf(Math.max(...lrs))).toBe(29);
    expect(lrs[99]).toBeCloseTo(0.004 / 1e4, 18);
  });

  it('cycles Adam’s β₁ (keeping β₂), per-group maxLr; RMSprop’s momentum; Adagrad needs cycleMomentum: false', () => {
    const adam = new Adam([{ params: [param()] }, { params: [param()] }], { betas: [0.9, 0.99] });
    const s = new OneCycleLR(adam, [0.01, 0.1], { totalSteps: 10 });
    expect(adam.paramGroups.map((g) => g.betas)).toEqual([[0.95, 0.99], [0.95, 0.99]]);
    expect(s.getLastLr()[1]).toBeCloseTo(0.004, 15);
    s.step();
    s.step();
    expect(adam.paramGroups[0]!.betas[0]).toBeCloseTo(0.85, 15);
    expect(adam.paramGroups[0]!.betas[1]).toBe(0.99);
    const rms = new RMSprop([param()]);
    new OneCycleLR(rms, 0.1, { totalSteps: 10 });
    expect(rms.paramGroups[0]!.momentum).toBe(0.95);
    const ada = new Adagrad([param()]);
    expect(() => new OneCycleLR(ada, 0.1, { totalSteps: 10 })).toThrow(/cycleMomentum/);
    expect(ada.paramGroups[0]!.lr).toBe(0.01);
    new OneCycleLR(ada, 0.1, { totalSteps: 10, cycleMomentum: false });
    expect(ada.paramGroups[0]!.lr).toBeCloseTo(0.004, 15);
  });

  it('rejects bad options before touching the optimiser', () => {
    const opt = sgd([0.05]);
    expect(() => new OneCycleLR(opt, 0.1)).toThrow(/totalSteps/);
    expect(() => new OneCycleLR(opt, 0.1, { totalSteps: 10, pctStart: 1.5 })).toThrow(/pctStart/);
    expect(() => new OneCycleLR(opt, 0.1, { totalSteps: 10, annealStrategy: 'exp' as 'cos' })).toThrow(/annealStrategy/);
    expect(() => new OneCycleLR(opt, [0.1, 0.2], { totalSteps: 10 })).toThrow(/2 values|expected 1 values/);
    expect(() => new OneCycleLR(opt, 0.1, { totalSteps: 10, pctStart: 0.1 })).toThrow(/zero length/);
    expect(() => new OneCycleLR(opt, 0.1, { total_steps: 10 } as never)).toThrow(/unknown option 'total_steps'/);
    expect(opt.paramGroups[0]!.lr).toBe(0.05);
    expect(opt.paramGroups[0]!.momentum).toBe(0.9);
  });
});

describe('scheduler state, composition and errors', () => {
  it('stateDict / loadStateDict resume a schedule exactly', () => {
    const a = new CosineAnnealingLR(sgd([0.1]), 8, { etaMin: 0.01 });
    for (let i = 0; i < 3; i++) a.step();
    const state = a.stateDict();
    expect(state['lastEpoch']).toBe(3);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    const optB = sgd([0.1]);
    const b = new CosineAnnealingLR(optB, 8, { etaMin: 0.01 });
    b.loadStateDict(state);
    optB.paramGroups[0]!.lr = a.getLastLr()[0]!;
    for (let i = 0; i < 6; i++) {
      a.step();
      b.step();
      expect(b.getLastLr()).toEqual(a.getLastLr());
    }
    expect(() => b.loadStateDict({ last_epoch: 2 })).toThrow(/unexpected entries \[last_epoch\]/);
  });
  it('two schedulers on one optimiser compose (chainable forms) and share the initial lr', () => {
    const opt = sgd([1]);
    const warm = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const decay = new ExponentialLR(opt, 0.9);
    expect(decay.baseLrs).toEqual([1]);
    const got: number[] = [opt.paramGroups[0]!.lr];
    for (let t = 1; t <= 5; t++) {
      warm.step();
      decay.step();
      got.push(opt.paramGroups[0]!.lr);
    }
    got.forEach((lr, t) => expect(lr).toBeCloseTo((0.5 + 0.5 * Math.min(t, 2) / 2) * 0.9 ** t, 14));
  });
  it('validates its arguments', () => {
    expect(() => new StepLR(sgd(), 0)).toThrow(/StepLR: argument 'stepSize' expected a positive integer/);
    expect(() => new StepLR({} as never, 1)).toThrow(/StepLR: argument 'optimizer'/);
    expect(() => new MultiStepLR(sgd(), [1, -2])).toThrow(/milestones/);
    expect(() => new ExponentialLR(sgd(), NaN)).toThrow(ValueError);
    expect(() => new CosineAnnealingLR(sgd(), 10, { eta_min: 0 } as never)).toThrow(/unknown option 'eta_min'/);
    expect(() => new LinearLR(sgd(), { startFactor: 0 })).toThrow(/startFactor/);
    expect(() => new LinearLR(sgd(), { endFactor: 1.5 })).toThrow(/endFactor/);
    const duck = { paramGroups: [{ lr: 0.1 }], defaults: {} };
    expect(() => new ExponentialLR(duck as never, 0.9)).toThrow(/ExponentialLR: argument 'optimizer' expected an Optimizer/);
    expect(duck.paramGroups[0]!.lr).toBe(0.1);
  });
  it('a rejected constructor records nothing: a later scheduler takes the lr of its own time as the initial lr', () => {
    const opt = sgd([0.1]);
    expect(() => new StepLR(opt, 0)).toThrow(ValueError);
    expect(() => new OneCycleLR(opt, 1, { totalSteps: 10, pctStart: 2 })).toThrow(ValueError);
    opt.paramGroups[0]!.lr = 0.4;
    expect(new ExponentialLR(opt, 0.5).baseLrs).toEqual([0.4]);
    expect(new StepLR(opt, 2).baseLrs).toEqual([0.4]);
  });
  it('step(epoch) is an error, not silently ignored', () => {
    const s = new StepLR(sgd([0.1]), 1);
    expect(() => (s.step as (e: number) => void)(5)).toThrow(/StepLR.step: expected no arguments/);
    expect(s.lastEpoch).toBe(0);
  });
  it('loadStateDict checks every entry against the field it replaces before writing any', () => {
    const s = new CosineAnnealingLR(sgd([0.1, 0.2]), 8);
    const good = s.stateDict();
    for (const bad of [{ lastEpoch: '3' }, { lastEpoch: 1.5 }, { lastEpoch: -1 }, { baseLrs: [0.1] }, { baseLrs: [0.1, Number.NaN] }, { tMax: null }, { schedulerName: 'StepLR' }]) {
      expect(() => s.loadStateDict({ ...good, etaMin: 0.5, ...bad }), JSON.stringify(bad)).toThrow(/CosineAnnealingLR.loadStateDict: argument 'state'/);
      expect(s.etaMin).toBe(0);
    }
    const m = new MultiStepLR(sgd(), [3]);
    m.loadStateDict({ ...m.stateDict(), milestones: [1, 2, 2] });
    expect(m.milestones).toEqual([1, 2, 2]);
  });
});
