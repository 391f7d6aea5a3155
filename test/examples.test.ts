/**
 * Smoke tests of the example trainers: each runs the real script with a tiny budget
 * and a fixed seed, checks every output file, and checks that the trained model beats
 * the majority-class baseline. Plus: a trainable γ moves and stays in its bounds, and
 * the same seed gives the same numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, parseSafetensorsHeader } from '@tsgrad/nn';
import { checkOutputs, outputFiles, removeTempDirs, runExample, tempDir, type ScriptResult } from './examples-helpers.js';

afterAll(removeTempDirs);

/**
 * Without --backend the examples keep the library's own choice: TSGRAD_BACKEND when set
 * (`npm run test:cpu` sets it to cpu), else the WebAssembly backend.
 */
const DEFAULT_BACKEND = process.env['TSGRAD_BACKEND'] || 'wasm';
const DEFAULT_BACKEND_LINE = new RegExp(
  `; backend ${DEFAULT_BACKEND} \\(.*reason=(default: WebAssembly SIMD is available|TSGRAD_BACKEND=${DEFAULT_BACKEND})\\); seed`,
);

interface ClassificationMetrics {
  baseline: { balancedAccuracy: number; macroF1: number; accuracy: number };
  results: {
    loss: string;
    test: { balancedAccuracy: number; macroF1: number; accuracy: number; perClass: { recall: number }[] };
    gammaTrajectory: { step: number; gamma: number }[];
    history: { epoch: number; loss: number }[];
  }[];
  config: { gamma: { gamma: number; min: number; max: number } };
  files: string[];
}

describe('examples/imbalanced-mnist.ts', () => {
  const out = tempDir('mnist');
  let run: ScriptResult;
  // One short run serves the smoke test and the trainable-γ test (each spawn costs seconds on 2 cores).
  beforeAll(() => {
    run = runExample('imbalanced-mnist', ['--loss', 'ce,dual-focal-trainable', '--epochs', '1', '--seed', '1', '--out', out]);
  }, 60_000);

  it('trains, writes every output, and beats the majority-class baseline', () => {
    expect(run.stderr).not.toContain('failed');
    expect(run.status).toBe(0);
    const metrics = checkOutputs(out, outputFiles(['loss-curves', 'test-balanced-accuracy', 'recall-per-class', 'gamma-trajectory'])) as unknown as ClassificationMetrics;
    checkOutputs(out, metrics.files);
    expect(metrics.results.map((r) => r.loss)).toEqual(['ce', 'dual-focal-trainable']);
    for (const r of metrics.results) {
      expect(r.test.balancedAccuracy).toBeGreaterThan(metrics.baseline.balancedAccuracy + 0.3);
      expect(r.test.macroF1).toBeGreaterThan(metrics.baseline.macroF1 + 0.3);
      expect(r.test.perClass).toHaveLength(10);
    }
    expect(run.stdout).toContain('balanced acc');
    expect(run.stdout).toContain('majority baseline');
  });

  it('runs the MLP on the library\'s default backend and says which model and backend ran', () => {
    const metrics = checkOutputs(out, ['metrics.json']) as unknown as { config: { backend: string; modelKind: string; hidden: number; model: string } };
    expect(run.stderr).toContain('; model mlp;');
    expect(run.stderr).toMatch(DEFAULT_BACKEND_LINE);
    expect(metrics.config).toMatchObject({ backend: DEFAULT_BACKEND, modelKind: 'mlp', hidden: 128, model: 'Sequential(Linear(784, 128), ReLU, Linear(128, 10))' });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/^# Imbalanced MNIST \(MLP\) — [\s\S]*Model \(--model mlp\): MLP 784→128→10/);
  });

  it('moves the trainable γ during a short run and keeps it inside its bounds', () => {
    const metrics = checkOutputs(out, ['metrics.json']) as unknown as ClassificationMetrics;
    const { gamma, min, max } = metrics.config.gamma;
    const trajectory = metrics.results.find((r) => r.loss === 'dual-focal-trainable')!.gammaTrajectory;
    expect(trajectory.length - 1).toBeGreaterThan(10); // one entry per optimiser step, plus the initial value
    expect(trajectory[0]!.gamma).toBeCloseTo(gamma, 5);
    const last = trajectory[trajectory.length - 1]!.gamma;
    expect(Math.abs(last - gamma)).toBeGreaterThan(1e-2);
    for (const p of trajectory) {
      expect(p.gamma).toBeGreaterThanOrEqual(min);
      expect(p.gamma).toBeLessThanOrEqual(max);
    }
    // Fixed-γ losses record no trajectory.
    expect(metrics.results.find((r) => r.loss === 'ce')!.gammaTrajectory).toEqual([]);
  });
});

describe('examples/imbalanced-mnist.ts --model cnn', () => {
  const dir = tempDir('mnist-cnn');
  const out = join(dir, 'a');
  const save = join(dir, 'cnn.safetensors');
  let run: ScriptResult;
  // Every loss (the tuned ones too) through the CNN, one epoch, a narrow CNN (c = 2) and a larger lr so that it learns in one epoch.
  const TINY = ['--model', 'cnn', '--channels', '2', '--lr', '0.02', '--epochs', '1', '--seed', '1'];
  beforeAll(() => {
    run = runExample('imbalanced-mnist', [...TINY, '--loss', 'all', '--save', save, '--out', out], 180_000);
  }, 180_000);

  it('trains the CNN with every loss, writes every output, beats the baseline, and says which model ran', () => {
    expect(run.stderr).not.toContain('failed');
    expect(run.status, run.stderr).toBe(0);
    const metrics = checkOutputs(out, outputFiles(['loss-curves', 'test-balanced-accuracy', 'recall-per-class', 'gamma-trajectory'])) as unknown as ClassificationMetrics & {
      config: { backend: string; modelKind: string; channels: number; model: string; hidden?: number };
    };
    checkOutputs(out, metrics.files);
    expect(metrics.results.map((r) => r.loss)).toEqual(['ce', 'focal', 'dual-focal', 'dual-focal-trainable', 'focal-tuned', 'dual-focal-tuned']);
    for (const r of metrics.results) {
      expect(r.test.balancedAccuracy).toBeGreaterThan(metrics.baseline.balancedAccuracy + 0.3);
      expect(r.test.perClass).toHaveLength(10);
    }
    expect(metrics.config).toMatchObject({
      backend: DEFAULT_BACKEND, modelKind: 'cnn', channels: 2,
      model: 'Sequential(Conv2d(1, 2, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(2, 4, 3, padding=1), ReLU, MaxPool2d(2), Flatten, Linear(196, 10))',
    });
    expect(metrics.config.hidden).toBeUndefined();
    expect(run.stderr).toContain('; model cnn;');
    expect(run.stderr).toMatch(DEFAULT_BACKEND_LINE);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/^# Imbalanced MNIST \(CNN\) — /);
    expect(report).toContain('Model (--model cnn): CNN conv 3×3 1→2');
    expect(report).toContain('`nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(196, 10))`, fed the digits as [N, 1, 28, 28]');
    expect(run.stdout).toContain('majority baseline');
  });

  it('--save writes one file per loss with torch.nn names and shapes; --load starts the CNN from one, and the MLP refuses it', () => {
    expect(run.status, run.stderr).toBe(0);
    const losses = ['ce', 'focal', 'dual-focal', 'dual-focal-trainable', 'focal-tuned', 'dual-focal-tuned'];
    expect(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort()).toEqual(losses.map((l) => `cnn-${l}.safetensors`).sort());
    const file = join(dir, 'cnn-focal.safetensors');
    const state = loadSafetensors(file);
    expect(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, [...t.shape]]))).toEqual({
      '0.weight': [2, 1, 3, 3], '0.bias': [2], '3.weight': [4, 2, 3, 3], '3.bias': [4], '7.weight': [10, 196], '7.bias': [10],
    });
    expect(parseSafetensorsHeader(readFileSync(file)).metadata).toMatchObject({ format: 'pt', example: 'imbalanced-mnist', loss: 'focal', model: 'cnn', seed: '1' });

    const loaded = runExample('imbalanced-mnist', [...TINY, '--loss', 'ce', '--load', file, '--out', join(dir, 'b')], 120_000);
    expect(loaded.status, loaded.stderr).toBe(0);
    // Started from a model already trained for an epoch, its first epoch's loss is below the fresh cross-entropy run's.
    const [fresh, fromFile] = [out, join(dir, 'b')].map((d) => (checkOutputs(d, ['metrics.json']) as unknown as ClassificationMetrics).results[0]!);
    expect(fresh!.loss).toBe('ce');
    expect(fromFile!.history[0]!.loss).toBeLessThan(fresh!.history[0]!.loss);
    const refused = runExample('imbalanced-mnist', ['--load', file, '--out', join(dir, 'c')]);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('does not fit this model');
    expect(readdirSync(dir).sort()).toEqual(['a', 'b', ...losses.map((l) => `cnn-${l}.safetensors`)].sort());
  });
});

describe('examples/dense-detection.ts', () => {
  it('trains BCE and focal heads, writes every output, and beats the constant-score baseline', () => {
    const out = tempDir('dense');
    const run = runExample('dense-detection', ['--epochs', '3', '--images', '24', '--batch-size', '2', '--seed', '1', '--out', out]);
    expect(run.stderr).not.toContain('failed');
    expect(run.status).toBe(0);
    const metrics = checkOutputs(out, outputFiles(['loss-curves', 'test-map', 'precision-recall', 'loss-share'])) as unknown as {
      baseline: { meanAp: number; apPerClass: number[] };
      lossSpreadAtInit: Record<string, { shareFromEasyNegatives: number }>;
      results: { loss: string; test: { meanAp: number; apPerClass: number[] }; lossSpread: { shareFromEasyNegatives: number } }[];
    };
    expect(metrics.results.map((r) => r.loss)).toEqual(['bce', 'focal']);
    for (const r of metrics.results) {
      expect(r.test.meanAp).toBeGreaterThan(5 * metrics.baseline.meanAp);
      r.test.apPerClass.forEach((ap, k) => expect(ap).toBeGreaterThan(metrics.baseline.apPerClass[k]!));
    }
    // The point of the focal loss: at the same (initial) predictions, easy negatives carry far less of it.
    expect(metrics.lossSpreadAtInit['focal']!.shareFromEasyNegatives).toBeLessThan(metrics.lossSpreadAtInit['bce']!.shareFromEasyNegatives);
    expect(run.stdout).toContain('mAP');
  });
});

describe('examples/spirals.ts', () => {
  it('trains, writes decision-region images per loss, and beats the majority-class baseline', () => {
    const out = tempDir('spirals');
    const run = runExample('spirals', ['--loss', 'ce,focal', '--epochs', '8', '--seed', '1', '--out', out]);
    expect(run.stderr).not.toContain('failed');
    expect(run.status).toBe(0);
    const metrics = checkOutputs(
      out,
      outputFiles(['loss-curves', 'test-balanced-accuracy', 'recall-per-class', 'decision-regions-ce', 'decision-regions-focal']),
    ) as unknown as ClassificationMetrics;
    expect(metrics.files).not.toContain('gamma-trajectory.png');
    for (const r of metrics.results) expect(r.test.balancedAccuracy).toBeGreaterThan(metrics.baseline.balancedAccuracy + 0.1);
  });

  it('gives the same numbers for the same --seed', () => {
    const args = ['--loss', 'dual-focal-trainable', '--epochs', '2', '--seed', '7'];
    const [a, b] = [tempDir('spirals-a'), tempDir('spirals-b')];
    expect(runExample('spirals', [...args, '--out', a]).status).toBe(0);
    expect(runExample('spirals', [...args, '--out', b]).status).toBe(0);
    const ma = checkOutputs(a, ['metrics.json']) as { results: unknown; baseline: unknown; dataset: unknown };
    const mb = checkOutputs(b, ['metrics.json']) as { results: unknown; baseline: unknown; dataset: unknown };
    expect(mb.results).toEqual(ma.results);
    expect(mb.dataset).toEqual(ma.dataset);
    expect(mb.baseline).toEqual(ma.baseline);
  });
});

describe('the tuned-γ losses (HyperTuner on a validation split carved out of training)', () => {
  interface TunedMetrics extends ClassificationMetrics {
    config: ClassificationMetrics['config'] & { valPerClass?: number; tuneEvery?: number };
    results: (ClassificationMetrics['results'][number] & {
      gammaBounds: { min: number; max: number } | null;
      tuning: { every: number; valExamples: number; hyperSteps: number } | null;
    })[];
    timing: { tuning: Record<string, { hyperStepCost: number; overhead: number }> };
  }

  it('spirals: dual-focal-tuned and focal-tuned move γ inside [0, 5], report the cost, and beat the baseline', () => {
    const out = tempDir('spirals-tuned');
    const run = runExample('spirals', ['--loss', 'ce,focal-tuned,dual-focal-tuned', '--epochs', '4', '--seed', '2', '--tune-every', '2', '--out', out]);
    expect(run.stderr).not.toContain('failed');
    expect(run.status).toBe(0);
    const metrics = checkOutputs(out, outputFiles(['loss-curves', 'gamma-trajectory', 'decision-regions-dual-focal-tuned'])) as unknown as TunedMetrics;
    expect(metrics.results.map((r) => r.loss)).toEqual(['ce', 'focal-tuned', 'dual-focal-tuned']);
    expect(metrics.config.valPerClass).toBe(3);
    for (const r of metrics.results.slice(1)) {
      expect(r.gammaBounds).toEqual({ min: 0, max: 5 });
      const steps = r.gammaTrajectory.length - 1;
      expect(r.tuning!.every).toBe(2);
      expect(r.tuning!.valExamples).toBe(12);
      expect(r.tuning!.hyperSteps).toBe(Math.ceil(steps / 2));
      expect(metrics.timing.tuning[r.loss]!.hyperStepCost).toBeGreaterThan(0);
      expect(metrics.timing.tuning[r.loss]!.overhead).toBeGreaterThan(0);
      expect(r.gammaTrajectory[0]!.gamma).toBeCloseTo(2, 5);
      expect(Math.abs(r.gammaTrajectory[steps]!.gamma - 2)).toBeGreaterThan(0.05);
      for (const p of r.gammaTrajectory) expect(p.gamma > 0 && p.gamma < 5).toBe(true);
      expect(r.test.balancedAccuracy).toBeGreaterThan(metrics.baseline.balancedAccuracy + 0.1);
    }
    expect(metrics.results[0]!.tuning).toBeNull();
    // Every run of the invocation trains without the 12 validation points (1210 − 12).
    expect(run.stderr).toContain('1198 training points');
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/Validation \(for the tuned γ\): 3 examples per class \(12 in all\) carved out of the training split/);
    expect(run.stdout).toMatch(/dual focal tuned γ: γ 2\.00 \(start\) → .*bounds \[0, 5\]; tuned every 2 steps on 12 validation examples: \d+ hyper-steps/);
  });

  it('gives the same results (γ trajectory included) for the same --seed; only timings differ', () => {
    const args = ['--loss', 'dual-focal-tuned', '--epochs', '1', '--seed', '4', '--tune-every', '3'];
    const [a, b] = [tempDir('tuned-a'), tempDir('tuned-b')];
    expect(runExample('spirals', [...args, '--out', a]).status).toBe(0);
    expect(runExample('spirals', [...args, '--out', b]).status).toBe(0);
    const ma = checkOutputs(a, ['metrics.json']) as unknown as TunedMetrics;
    const mb = checkOutputs(b, ['metrics.json']) as unknown as TunedMetrics;
    expect(mb.results).toEqual(ma.results);
    expect(ma.results[0]!.gammaTrajectory.length).toBeGreaterThan(10);
  });

  it('examples/gamma-study.ts: grid and tuned runs per seed and family, with a Markdown table', () => {
    const out = tempDir('gamma-study');
    const run = runExample('gamma-study', ['--seeds', '0,1', '--epochs', '2', '--grid', '0,2', '--families', 'dual-focal', '--out', out]);
    expect(run.stderr).not.toContain('failed');
    expect(run.status).toBe(0);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/^# γ study — spirals\n[\s\S]*\| grid pick by val/);
    const study = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as {
      records: { family: string; seed: number; gamma: number | null; finalGamma: number; val: { balancedCrossEntropy: number } }[];
      summaries: Record<string, { gridPick: number[]; tunedFinal: number[] }>;
    };
    expect(study.records.map((r) => [r.seed, r.gamma])).toEqual([[0, 0], [0, 2], [0, null], [1, 0], [1, 2], [1, null]]);
    for (const s of [0, 1]) {
      const grid = study.records.filter((r) => r.seed === s && r.gamma !== null);
      const best = grid.reduce((a, r) => (r.val.balancedCrossEntropy < a.val.balancedCrossEntropy ? r : a));
      expect(study.summaries['dual-focal']!.gridPick[s]).toBe(best.gamma);
    }
    expect(run.stdout).toMatch(/\| grid pick by val \([02] \/ [02]\) \|/);
    expect(run.stdout).toMatch(/\| tuned → \d\.\d\d \/ \d\.\d\d \|/);
  });
});
