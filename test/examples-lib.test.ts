/** The examples' shared helpers: metrics against hand-computed values, CLI parsing, seeded randomness. */
import { describe, expect, it } from 'vitest';
import { averagePrecision, precisionRecallCurve } from '../examples/lib/average-precision.js';
import { summarize } from '../examples/lib/classification-metrics.js';
import { choiceListFlag, integerFlag, numberFlag, parseCommandLine, UsageError } from '../examples/lib/cli.js';
import { confusionMatrix } from '../examples/lib/confusion-matrix.js';
import { longTailSplit } from '../examples/lib/long-tail-split.js';
import { lossSpread } from '../examples/lib/loss-spread.js';
import { SeededRandom } from '../examples/lib/rng.js';
import { formatTable, markdownTable } from '../examples/lib/table.js';
import { carveValidation } from '../examples/lib/validation-split.js';

describe('classification metrics', () => {
  it('match hand-computed precision, recall, F1, macro-F1 and balanced accuracy', () => {
    // truth:    0 0 0 0 1 1 2 2
    // predicted 0 0 0 1 1 0 2 2
    const cm = confusionMatrix([0, 0, 0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 0, 2, 2], 3);
    expect(cm).toEqual([[3, 1, 0], [1, 1, 0], [0, 0, 2]]);
    const s = summarize(cm);
    expect(s.accuracy).toBeCloseTo(6 / 8, 12);
    expect(s.perClass[0]!.precision).toBeCloseTo(3 / 4, 12);
    expect(s.perClass[0]!.recall).toBeCloseTo(3 / 4, 12);
    expect(s.perClass[1]!.precision).toBeCloseTo(1 / 2, 12);
    expect(s.perClass[1]!.recall).toBeCloseTo(1 / 2, 12);
    expect(s.balancedAccuracy).toBeCloseTo((3 / 4 + 1 / 2 + 1) / 3, 12);
    expect(s.macroF1).toBeCloseTo((3 / 4 + 1 / 2 + 1) / 3, 12);
  });

  it('give a never-predicted class precision 0 (not NaN)', () => {
    const s = summarize(confusionMatrix([0, 1, 1], [0, 0, 0], 2));
    expect(s.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 2, predicted: 0 });
    expect(s.balancedAccuracy).toBeCloseTo(0.5, 12);
  });
});

describe('averagePrecision', () => {
  it('matches sklearn.metrics.average_precision_score', () => {
    // sklearn docs example: 0.8333…
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333333, 9);
    expect(averagePrecision([0.9, 0.8, 0.7], [1, 1, 1])).toBe(1);
    expect(averagePrecision([0.2, 0.1], [0, 0])).toBeNaN();
  });

  it('treats ties together, so a constant score gets AP = positive rate', () => {
    expect(averagePrecision(new Float32Array(1000), Array.from({ length: 1000 }, (_, i) => (i < 3 ? 1 : 0)))).toBeCloseTo(0.003, 12);
  });

  it('has a precision–recall curve ending at recall 1', () => {
    const curve = precisionRecallCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(curve).toEqual([{ recall: 0.5, precision: 1 }, { recall: 1, precision: 2 / 3 }]);
  });
});

describe('lossSpread', () => {
  it('splits the summed loss into positives, easy negatives and other negatives', () => {
    const s = lossSpread([2, 1, 1, 4], [0.9, 0.05, 0.01, 0.5], [1, 0, 0, 0]);
    expect(s.shareFromPositives).toBeCloseTo(0.25, 12);
    expect(s.shareFromEasyNegatives).toBeCloseTo(0.25, 12);
    expect(s.shareFromOtherNegatives).toBeCloseTo(0.5, 12);
    expect(s.positiveToEasyNegativeRatio).toBeCloseTo(2, 12);
  });
});

describe('parseCommandLine', () => {
  const program = {
    name: 'demo',
    summary: 'demo',
    flags: {
      loss: choiceListFlag('losses', ['ce', 'focal'] as const, ['ce', 'focal']),
      epochs: integerFlag('epochs', 3, { min: 1 }),
      lr: numberFlag('lr', 0.1, { greaterThan: 0 }),
    },
  };
  const values = (argv: string[]) => {
    const r = parseCommandLine(program, argv);
    if (r.kind !== 'run') throw new Error('expected values');
    return r.values;
  };

  it('fills defaults and parses kebab flags, with or without =', () => {
    expect(values([])).toEqual({ loss: ['ce', 'focal'], epochs: 3, lr: 0.1 });
    expect(values(['--loss', 'focal', '--epochs=5', '--lr', '1e-3'])).toEqual({ loss: ['focal'], epochs: 5, lr: 0.001 });
    expect(values(['--loss', 'all']).loss).toEqual(['ce', 'focal']);
  });

  it('names the flag and the allowed values on bad input', () => {
    expect(() => values(['--epochs', '-2'])).toThrow(new UsageError("--epochs must be an integer ≥ 1; got '-2'"));
    expect(() => values(['--epochs', '2.5'])).toThrow(/--epochs must be an integer/);
    expect(() => values(['--lr', '0'])).toThrow(/--lr must be a number > 0/);
    expect(() => values(['--loss', 'x'])).toThrow(/--loss must be all, or a comma-separated list of ce, focal; got 'x'/);
    expect(() => values(['--nope'])).toThrow(/unknown flag --nope \(allowed flags: --loss, --epochs, --lr, --help\)/);
  });

  it('returns help text listing each flag with its default', () => {
    const r = parseCommandLine(program, ['--help']);
    expect(r.kind).toBe('help');
    if (r.kind === 'help') expect(r.text).toMatch(/--epochs <value>\s+epochs \(an integer ≥ 1; default 3\)/);
  });
});

describe('seeded data helpers', () => {
  it('SeededRandom repeats for a seed and differs across seeds', () => {
    const a = new SeededRandom(5), b = new SeededRandom(5), c = new SeededRandom(6);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(new SeededRandom(1).permutation(10).sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('longTailSplit keeps the test split balanced and shrinks only the minority classes', () => {
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const s = longTailSplit(labels, 3, { testPerClass: 20, minority: [2], keepFraction: 0.1 }, new SeededRandom(0));
    expect(s.testCounts).toEqual([20, 20, 20]);
    expect(s.trainCounts).toEqual([80, 80, 8]);
    expect(new Set([...s.train, ...s.test]).size).toBe(s.train.length + s.test.length);
  });
});

describe('tables', () => {
  it('align numbers right in text and in Markdown', () => {
    const cols = [{ header: 'loss' }, { header: 'F1', align: 'right' as const }];
    expect(formatTable(cols, [['ce', '0.5'], ['focal', '0.25']]).split('\n')[2]).toBe('ce      0.5');
    expect(markdownTable(cols, [['a|b', 1]])).toBe('| loss | F1 |\n|:---|---:|\n| a\\|b | 1 |');
  });
});

describe('selectBackend', () => {
  it('turns a missing @tsgrad/gpu into a one-line usage error', async () => {
    const { selectBackend } = await import('../examples/lib/backend.js');
    const missing = Object.assign(new Error("Cannot find package '@tsgrad/gpu' imported from x.ts"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(selectBackend('gpu', () => Promise.reject(missing))).rejects.toThrow(
      new UsageError('--backend gpu: the gpu backend is not installed (package @tsgrad/gpu not found); install it or use --backend cpu'),
    );
    const broken = new Error("Cannot find module 'gpu.js'\n  at somewhere");
    await expect(selectBackend('gpu', () => Promise.reject(broken))).rejects.toThrow(/could not be loaded: Cannot find module 'gpu.js'; use --backend cpu$/);
  });

  it('selects the cpu backend', async () => {
    const { selectBackend } = await import('../examples/lib/backend.js');
    expect(await selectBackend('cpu')).toMatch(/^cpu/);
  });

  it('auto keeps the backend the library picked and says why; wasm and cpu are selected by name', async () => {
    const { activeBackendName, selectBackend } = await import('../examples/lib/backend.js');
    const { backendInfo, setBackend } = await import('@tsgrad/tensor');
    const before = backendInfo().backend;
    try {
      const auto = await selectBackend('auto');
      expect(activeBackendName()).toBe(before);
      expect(auto.startsWith(`${before} (`)).toBe(true);
      expect(auto).toContain(`reason=${backendInfo().reason}`);
      expect(await selectBackend('wasm')).toMatch(/^wasm \(mode=wasm-(relaxed-)?simd, .*reason=setBackend\('wasm'\)\)$/);
      expect(activeBackendName()).toBe('wasm');
      expect(await selectBackend('cpu')).toMatch(/^cpu \(mode=js, .*reason=setBackend\('cpu'\)\)$/);
      expect(await selectBackend('auto')).toMatch(/^cpu /); // auto never overrides an explicit choice
    } finally {
      setBackend(before);
    }
  });

  it('auto with TSGRAD_BACKEND=gpu loads the gpu package first, and says so when it is missing', async () => {
    const { selectBackend } = await import('../examples/lib/backend.js');
    const missing = Object.assign(new Error("Cannot find package '@tsgrad/gpu' imported from x.ts"), { code: 'ERR_MODULE_NOT_FOUND' });
    const saved = process.env['TSGRAD_BACKEND'];
    process.env['TSGRAD_BACKEND'] = 'gpu';
    try {
      await expect(selectBackend('auto', () => Promise.reject(missing))).rejects.toThrow(
        new UsageError('--backend auto (TSGRAD_BACKEND=gpu): the gpu backend is not installed (package @tsgrad/gpu not found); install it or use --backend cpu'),
      );
    } finally {
      if (saved === undefined) delete process.env['TSGRAD_BACKEND'];
      else process.env['TSGRAD_BACKEND'] = saved;
    }
  });
});

describe('carveValidation', () => {
  it('takes the same number of every class out of the training set, at most a third of the rarest, disjoint from the rest', () => {
    const counts = [30, 30, 10];
    const y = Int32Array.from(counts.flatMap((n, c) => Array.from({ length: n }, () => c)));
    const x = Float32Array.from({ length: y.length * 2 }, (_, i) => i); // row i holds (2i, 2i + 1)
    const split = carveValidation({ x, y }, 2, 3, 5, new SeededRandom(3));
    expect(split.perClass).toBe(3); // floor(10 / 3), below the 5 asked for
    expect(Array.from({ length: 3 }, (_, c) => split.val.y.filter((v) => v === c).length)).toEqual([3, 3, 3]);
    expect(split.train.y.length).toBe(70 - 9);
    const rowsOf = (s: { x: Float32Array }) => Array.from({ length: s.x.length / 2 }, (_, i) => s.x[2 * i]! / 2);
    const valRows = rowsOf(split.val), trainRows = rowsOf(split.train);
    expect(new Set([...valRows, ...trainRows]).size).toBe(70);
    valRows.forEach((r, i) => expect(split.val.y[i]).toBe(y[r]));
    expect(carveValidation({ x, y }, 2, 3, 5, new SeededRandom(3)).val).toEqual(split.val);
  });
});
