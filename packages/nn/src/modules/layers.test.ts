import { describe, expect, it } from 'vitest';
import { ValueError, manualSeed, ones, rand, randn } from '@tsgrad/tensor';
import { Dropout, Flatten, Linear, ReLU, Sequential, Tanh, dropout } from '../index.js';
import { data64, expectAllClose } from './test-helpers.js';

describe('Dropout', () => {
  it('zeroes a fraction p and scales the rest by 1/(1 − p), keeping the mean', () => {
    manualSeed(21);
    const n = 200_000;
    for (const p of [0.1, 0.5, 0.8]) {
      const x = ones([n], { dtype: 'float64' });
      const y = data64(new Dropout(p).forward(x));
      let zeros = 0;
      let sum = 0;
      let badScale = 0;
      for (const v of y) {
        if (v === 0) zeros++;
        else if (Math.abs(v - 1 / (1 - p)) > 1e-12) badScale++;
        sum += v;
      }
      expect(badScale).toBe(0);
      const sd = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(zeros / n - p)).toBeLessThan(5 * sd);
      // mean of the output: E = 1, sd = √(p/(1−p)/n)
      expect(Math.abs(sum / n - 1)).toBeLessThan(5 * Math.sqrt(p / (1 - p) / n));
    }
  });

  it('masks independently per element (neighbouring masks are uncorrelated)', () => {
    manualSeed(22);
    const n = 100_000;
    const y = data64(dropout(ones([n], { dtype: 'float64' }), 0.5));
    let both = 0;
    for (let i = 1; i < n; i++) if (y[i] !== 0 && y[i - 1] !== 0) both++;
    expect(Math.abs(both / (n - 1) - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / n));
  });

  it('is the identity in eval() and for p = 0, and follows train() again', () => {
    const d = new Dropout(0.3);
    const x = randn([4, 5]);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(dropout(x, 0.9, false)).toBe(x);
    d.train();
    expect(d.forward(ones([1000])).dataSync().some((v) => v === 0)).toBe(true);
  });

  it('is reproducible under manualSeed and differs across draws', () => {
    const x = ones([64]);
    manualSeed(5);
    const a = dropout(x, 0.5).toArray();
    const b = dropout(x, 0.5).toArray();
    manualSeed(5);
    expect(dropout(x, 0.5).toArray()).toEqual(a);
    expect(b).not.toEqual(a);
  });

  it('back-propagates the same mask, scaled', () => {
    manualSeed(23);
    const x = rand([50], { dtype: 'float64', requiresGrad: true });
    const y = dropout(x, 0.4);
    y.sum().backward();
    const mask = data64(y).map((v) => (v === 0 ? 0 : 1 / 0.6));
    expectAllClose(data64(x.grad!), mask, 1e-15);
  });

  it('validates p in [0, 1)', () => {
    expect(() => new Dropout(1)).toThrow(ValueError);
    expect(() => new Dropout(-0.1)).toThrow(/Dropout: argument 'p' expected a probability in \[0, 1\), got -0.1/);
    expect(() => new Dropout(Number.NaN)).toThrow(ValueError);
    expect(() => dropout(ones([2]), 1.5)).toThrow(/dropout: argument 'p'/);
  });
});

describe('Flatten', () => {
  it('flattens startDim..endDim (default 1..-1)', () => {
    const x = randn([2, 3, 4, 5]);
    expect(new Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new Flatten(0).forward(x).shape).toEqual([120]);
    expect(new Flatten(1, 2).forward(x).shape).toEqual([2, 12, 5]);
    expect(new Flatten(-2).forward(x).shape).toEqual([2, 3, 20]);
    expect(new Flatten().forward(x).toArray()).toEqual(x.reshape([2, 60]).toArray());
  });
});

describe('Sequential', () => {
  it("names children '0', '1', … and parameters '0.weight', … like PyTorch", () => {
    const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    expect(net.namedChildren().map(([k]) => k)).toEqual(['0', '1', '2']);
    expect(net.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(Object.keys(net.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(net.length).toBe(3);
    expect(net.at(-1)).toBeInstanceOf(Linear);
    expect([...net].length).toBe(3);
  });

  it('chains forward calls', () => {
    manualSeed(31);
    const a = new Linear(3, 4, { dtype: 'float64' });
    const b = new Linear(4, 2, { dtype: 'float64' });
    const net = new Sequential(a, new Tanh(), b);
    const x = randn([5, 3], { dtype: 'float64' });
    expectAllClose(data64(net.forward(x)), data64(b.forward(a.forward(x).tanh())), 0);
    expect(new Sequential().forward(x)).toBe(x);
  });

  it('append adds a named child; nesting gives dotted names', () => {
    const inner = new Sequential(new Linear(2, 2));
    const net = new Sequential(new Linear(2, 2)).append(inner);
    expect(net.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '1.0.weight', '1.0.bias']);
    net.eval();
    expect(inner.at(0).training).toBe(false);
  });

  it('rejects non-modules', () => {
    expect(() => new Sequential(new ReLU(), {} as unknown as ReLU)).toThrow(/Sequential: argument 1 expected a Module/);
    expect(() => new Sequential().at(0)).toThrow(ValueError);
  });
});

