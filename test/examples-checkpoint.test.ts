/**
 * examples/lib/checkpoint.ts: --save/--load validation (one-line usage errors naming
 * the flag, before anything runs), file naming with several losses, and that a model
 * rebuilt from a saved file computes exactly what the saved one did.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Linear, loadSafetensors, parseSafetensorsHeader, ReLU, saveSafetensors, Sequential } from '@tsgrad/nn';
import { manualSeed, rand, randn } from '@tsgrad/tensor';
import { mnistModel } from '../examples/lib/mnist-models.js';
import { checkpointFlags, checkpointPath, checkSavePath, readCheckpoint, saveCheckpoints, withCheckpoint } from '../examples/lib/checkpoint.js';
import { UsageError } from '../examples/lib/cli.js';
import { removeTempDirs, tempDir } from './examples-helpers.js';

afterAll(removeTempDirs);

const mlp = (hidden: number) => new Sequential(new Linear(4, hidden), new ReLU(), new Linear(hidden, 3));

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('expected a UsageError');
}

describe('checkpoint flags', () => {
  it('declares --save and --load with no default file', () => {
    const flags = checkpointFlags();
    expect(flags.save.defaultValue).toBeNull();
    expect(flags.load.defaultValue).toBeNull();
    expect(flags.save.parse('model.safetensors')).toBe('model.safetensors');
    expect(flags.load.parse(' ')).toBeUndefined();
  });

  it('names one file per loss only when several losses are trained', () => {
    expect(checkpointPath('runs/model.safetensors', 'ce', false)).toBe('runs/model.safetensors');
    expect(checkpointPath('runs/model.safetensors', 'ce', true)).toBe(join('runs', 'model-ce.safetensors'));
    expect(checkpointPath('model', 'dual-focal', true)).toBe(join('.', 'model-dual-focal.safetensors'));
  });
});

describe('checkSavePath', () => {
  it('accepts a new file, also in folders still to be created', () => {
    const dir = tempDir('save');
    expect(checkSavePath(null)).toBeNull();
    expect(checkSavePath(join(dir, 'a', 'b', 'm.safetensors'))).toBe(resolve(dir, 'a', 'b', 'm.safetensors'));
  });

  it('rejects a folder, and a path under a file, naming --save', () => {
    const dir = tempDir('save-bad');
    expect(usageError(() => checkSavePath(dir))).toMatch(/^--save must be a file path; '.*' is a folder$/);
    writeFileSync(join(dir, 'file'), 'x');
    expect(usageError(() => checkSavePath(join(dir, 'file', 'm.safetensors')))).toMatch(/^--save must be a file path; '.*file' \(above it\) is a file$/);
  });
});

describe('readCheckpoint', () => {
  it('returns null without --load', () => {
    expect(readCheckpoint(null, () => mlp(5))).toBeNull();
  });

  it('rejects a missing file, a folder, a malformed file and another architecture, naming --load', () => {
    const dir = tempDir('load-bad');
    expect(usageError(() => readCheckpoint(join(dir, 'missing.safetensors'), () => mlp(5)))).toMatch(/^--load must be an existing \.safetensors file; '.*missing\.safetensors' does not exist$/);
    mkdirSync(join(dir, 'folder'));
    expect(usageError(() => readCheckpoint(join(dir, 'folder'), () => mlp(5)))).toContain('is a folder');
    writeFileSync(join(dir, 'junk.safetensors'), 'not safetensors');
    expect(usageError(() => readCheckpoint(join(dir, 'junk.safetensors'), () => mlp(5)))).toMatch(/^--load file '.*junk\.safetensors' is not a valid safetensors file: .*nothing was loaded$/);
    saveSafetensors(mlp(7).stateDict(), join(dir, 'wide.safetensors'));
    const message = usageError(() => readCheckpoint(join(dir, 'wide.safetensors'), () => mlp(5)));
    expect(message).toMatch(/^--load '.*wide\.safetensors' does not fit this model \(check the architecture flags\): /);
    expect(message).toContain('0.weight: expected [5, 4], got [7, 4]');
  });

  it('a model rebuilt from saved runs computes exactly what the trained one did', () => {
    const dir = tempDir('load-good');
    manualSeed(3);
    const a = mlp(6), b = mlp(6);
    const saved = saveCheckpoints(join(dir, 'nested', 'm.safetensors'), [{ loss: 'ce', model: a }, { loss: 'focal', model: b }], { example: 'test' });
    expect(saved.map((s) => s.loss)).toEqual(['ce', 'focal']);
    expect(readdirSync(join(dir, 'nested')).sort()).toEqual(['m-ce.safetensors', 'm-focal.safetensors']);
    expect(parseSafetensorsHeader(readFileSync(saved[1]!.path)).metadata).toEqual({ format: 'pt', producer: 'tsgrad', loss: 'focal', example: 'test' });

    const state = readCheckpoint(saved[1]!.path, () => mlp(6));
    manualSeed(99);
    const rebuilt = withCheckpoint(() => mlp(6), state)();
    const x = randn([5, 4]);
    expect(Array.from(rebuilt.forward(x).dataSync())).toEqual(Array.from(b.forward(x).dataSync()));
    expect(Array.from(rebuilt.forward(x).dataSync())).not.toEqual(Array.from(a.forward(x).dataSync()));
    expect(Object.keys(loadSafetensors(saved[0]!.path))).toEqual(expect.arrayContaining(['0.weight', '0.bias', '2.weight', '2.bias']));
  });

  it('saves nothing without --save', () => {
    expect(saveCheckpoints(null, [{ loss: 'ce', model: mlp(2) }])).toEqual([]);
    expect(existsSync('null')).toBe(false);
  });
});

describe('the MNIST models (--model mlp | cnn)', () => {
  const shapes = (state: Record<string, { shape: readonly number[] }>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, [...t.shape]]));

  it('the CNN has torch.nn.Sequential\'s parameter names and layouts, takes [N, 1, 28, 28] and gives [N, 10]', () => {
    const cnn = mnistModel('cnn', { hidden: 128, channels: 8 });
    expect(cnn.inputShape).toEqual([1, 28, 28]);
    manualSeed(0);
    const model = cnn.make();
    // nn.Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(784, 10))
    expect(shapes(model.stateDict())).toEqual({
      '0.weight': [8, 1, 3, 3], '0.bias': [8], '3.weight': [16, 8, 3, 3], '3.bias': [16], '7.weight': [10, 784], '7.bias': [10],
    });
    expect(model.forward(rand([3, 1, 28, 28])).shape).toEqual([3, 10]);
    expect(cnn.torchSource).toBe(
      'nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(784, 10))',
    );
    const mlp = mnistModel('mlp', { hidden: 32, channels: 8 });
    expect(mlp.inputShape).toEqual([784]);
    expect(shapes(mlp.make().stateDict())).toEqual({ '0.weight': [32, 784], '0.bias': [32], '2.weight': [10, 32], '2.bias': [10] });
  });

  it('a saved CNN loads back into the same CNN and computes the same logits, and does not fit the MLP or another width', () => {
    const dir = tempDir('cnn');
    const cnn = mnistModel('cnn', { hidden: 128, channels: 2 });
    manualSeed(5);
    const trained = cnn.make();
    const [saved] = saveCheckpoints(join(dir, 'cnn.safetensors'), [{ loss: 'ce', model: trained }], { model: cnn.name, architecture: cnn.architecture });
    const state = readCheckpoint(saved!.path, cnn.make);
    manualSeed(6);
    const rebuilt = withCheckpoint(cnn.make, state)();
    const x = rand([2, 1, 28, 28]);
    expect(Array.from(rebuilt.forward(x).dataSync())).toEqual(Array.from(trained.forward(x).dataSync()));
    expect(usageError(() => readCheckpoint(saved!.path, mnistModel('mlp', { hidden: 128, channels: 2 }).make))).toContain('does not fit this model');
    expect(usageError(() => readCheckpoint(saved!.path, mnistModel('cnn', { hidden: 128, channels: 4 }).make))).toContain('0.weight: expected [4, 1, 3, 3], got [2, 1, 3, 3]');
  });
});
