/**
 * Smoke tests of the example trainers: each runs the real script with a tiny budget
 * and a fixed seed, checks every output file, and checks that the trained model beats
 * the majority-class baseline. Plus: a trainable γ moves and stays in its bounds, and
 * the same seed gives the same numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputs, outputFiles, removeTempDirs, runExample, tempDir, type ScriptResult } from './examples-helpers.js';

afterAll(removeTempDirs);

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
