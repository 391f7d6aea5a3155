/**
 * examples/segmentation.ts run for real with tiny settings: every output file, better
 * than the all-background baseline, the same seed gives the same numbers, --save
 * writes torch.nn-named safetensors files, and --load starts from them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors } from '@tsgrad/nn';
import { checkOutputs, outputFiles, removeTempDirs, runExample, tempDir, type ScriptResult } from './examples-helpers.js';

afterAll(removeTempDirs);

interface SegmentationMetrics {
  config: { load: string | null; width: number };
  baseline: { meanIou: number; iou: number[] };
  results: {
    loss: string;
    test: { iou: number[]; meanIou: number; pixelAccuracy: number };
    history: { epoch: number; loss: number; testMeanIou: number }[];
    gammaTrajectory: { step: number; gamma: number }[];
  }[];
  checkpoints: { loss: string; path: string }[];
  files: string[];
}

const TINY = ['--epochs', '4', '--images', '32', '--size', '16', '--width', '4', '--batch-size', '8', '--seed', '1'];

describe('examples/segmentation.ts', () => {
  const dir = tempDir('segmentation');
  const save = join(dir, 'model.safetensors');
  let first: ScriptResult, second: ScriptResult;
  beforeAll(() => {
    first = runExample('segmentation', ['--loss', 'ce,dual-focal-trainable', ...TINY, '--save', save, '--out', join(dir, 'a')], 120_000);
    second = runExample('segmentation', ['--loss', 'ce,dual-focal-trainable', ...TINY, '--out', join(dir, 'b')], 120_000);
  }, 240_000);

  it('trains, writes every output, and beats the all-background baseline', () => {
    expect(first.stderr).not.toContain('failed');
    expect(first.status).toBe(0);
    const metrics = checkOutputs(join(dir, 'a'), outputFiles(['loss-curves', 'test-miou', 'iou-per-class', 'gamma-trajectory', 'masks'])) as unknown as SegmentationMetrics;
    checkOutputs(join(dir, 'a'), metrics.files);
    expect(metrics.results.map((r) => r.loss)).toEqual(['ce', 'dual-focal-trainable']);
    for (const r of metrics.results) {
      expect(r.test.iou).toHaveLength(5);
      expect(r.test.meanIou).toBeGreaterThan(metrics.baseline.meanIou + 0.05);
      expect(r.history).toHaveLength(4);
      expect(r.history[3]!.loss).toBeLessThan(r.history[0]!.loss);
    }
    const trainable = metrics.results.find((r) => r.loss === 'dual-focal-trainable')!;
    expect(trainable.gammaTrajectory.length).toBe(4 * 4 + 1);
    expect(first.stdout).toContain('IoU speck');
    expect(first.stdout).toContain('all background');
  });

  it('gives the same numbers for the same seed', () => {
    expect(second.status).toBe(0);
    const a = checkOutputs(join(dir, 'a'), ['metrics.json']) as unknown as SegmentationMetrics;
    const b = checkOutputs(join(dir, 'b'), ['metrics.json']) as unknown as SegmentationMetrics;
    expect(b.results).toEqual(a.results);
  });

  it('--save writes one safetensors file per loss with torch.nn names and layouts', () => {
    const metrics = checkOutputs(join(dir, 'a'), ['metrics.json']) as unknown as SegmentationMetrics;
    expect(metrics.checkpoints.map((c) => c.loss)).toEqual(['ce', 'dual-focal-trainable']);
    const ce = join(dir, 'model-ce.safetensors');
    expect(existsSync(ce)).toBe(true);
    expect(existsSync(join(dir, 'model-dual-focal-trainable.safetensors'))).toBe(true);
    const state = loadSafetensors(ce);
    expect(state['enc1.0.weight']!.shape).toEqual([4, 3, 3, 3]);
    expect(state['enc1.1.running_var']!.shape).toEqual([4]);
    expect(state['enc1.1.num_batches_tracked']!.shape).toEqual([]);
    expect(state['enc1.1.num_batches_tracked']!.item()).toBe(16);
    expect(state['head.weight']!.shape).toEqual([5, 4, 1, 1]);
  });

  it('--load starts from the saved weights (far better after one slow epoch than a fresh start)', () => {
    const ce = join(dir, 'model-ce.safetensors');
    const slow = ['--loss', 'ce', '--epochs', '1', '--lr', '1e-4', '--images', '32', '--size', '16', '--width', '4', '--batch-size', '8', '--seed', '1'];
    const loaded = runExample('segmentation', [...slow, '--load', ce, '--out', join(dir, 'c')], 120_000);
    expect(loaded.status, loaded.stderr).toBe(0);
    const fresh = runExample('segmentation', [...slow, '--out', join(dir, 'd')], 120_000);
    expect(fresh.status, fresh.stderr).toBe(0);
    const c = checkOutputs(join(dir, 'c'), ['metrics.json']) as unknown as SegmentationMetrics;
    const d = checkOutputs(join(dir, 'd'), ['metrics.json']) as unknown as SegmentationMetrics;
    const saved = checkOutputs(join(dir, 'a'), ['metrics.json']) as unknown as SegmentationMetrics;
    expect(c.config.load).toBe(ce);
    expect(c.results[0]!.test.meanIou).toBeGreaterThan(d.results[0]!.test.meanIou + 0.05);
    expect(Math.abs(c.results[0]!.test.meanIou - saved.results[0]!.test.meanIou)).toBeLessThan(0.05);
  }, 240_000);
});
