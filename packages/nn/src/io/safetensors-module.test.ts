/**
 * Modules through safetensors: a trained MLP saved to a file and loaded into a fresh
 * one gives identical outputs; the names and layouts are torch.nn's (what
 * `model.load_state_dict(load_file(path))` in PyTorch needs); and a file for another
 * architecture is refused by loadStateDict without changing the model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShapeError, ValueError, manualSeed, randint, randn } from '@tsgrad/tensor';
import { Adam, Linear, ReLU, Sequential, crossEntropy, type Module } from '../index.js';
import { deserializeSafetensors, loadSafetensors, parseSafetensorsHeader, saveSafetensors, serializeSafetensors } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-safetensors-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mlp = (hidden: number, dtype: 'float32' | 'float64' = 'float32') =>
  new Sequential(new Linear(6, hidden, { dtype }), new ReLU(), new Linear(hidden, 3, { dtype }));

function train(model: Module, steps: number): void {
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const x = randn([32, 6]);
  const y = randint(0, 3, [32]);
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    crossEntropy(model.forward(x), y).backward();
    opt.step();
  }
}

describe('Module state through safetensors', () => {
  it('a trained MLP saved to a file and loaded into a fresh one gives identical outputs', () => {
    manualSeed(1);
    const trained = mlp(8);
    const before = mlp(8).stateDict();
    train(trained, 20);
    const path = join(dir, 'mlp.safetensors');
    saveSafetensors(trained.stateDict(), path, { format: 'pt' });

    manualSeed(2);
    const fresh = mlp(8);
    const x = randn([10, 6]);
    expect(Array.from(fresh.forward(x).dataSync())).not.toEqual(Array.from(trained.forward(x).dataSync()));
    fresh.loadStateDict(loadSafetensors(path));
    expect(Array.from(fresh.forward(x).dataSync())).toEqual(Array.from(trained.forward(x).dataSync()));
    // Training really moved the weights, so the test above compares trained values.
    expect(Array.from(trained.stateDict()['0.weight']!.dataSync())).not.toEqual(Array.from(before['0.weight']!.dataSync()));
  });

  it('uses torch.nn names and layouts: Sequential indices, Linear weight [out, in], bias [out]', () => {
    manualSeed(0);
    const h = parseSafetensorsHeader(serializeSafetensors(mlp(5).stateDict()));
    expect(Object.fromEntries(Object.entries(h.tensors).map(([k, v]) => [k, `${v.dtype}[${v.shape.join(',')}]`]))).toEqual({
      '0.weight': 'F32[5,6]', '0.bias': 'F32[5]', '2.weight': 'F32[3,5]', '2.bias': 'F32[3]',
    });
  });

  it('keeps float64 parameters float64', () => {
    manualSeed(4);
    const model = mlp(4, 'float64');
    train(model, 3);
    const back = deserializeSafetensors(serializeSafetensors(model.stateDict()));
    expect(back['0.weight']!.dtype).toBe('float64');
    const copy = mlp(4, 'float64');
    copy.loadStateDict(back);
    const x = randn([5, 6], { dtype: 'float64' });
    expect(Array.from(copy.forward(x).dataSync())).toEqual(Array.from(model.forward(x).dataSync()));
  });

  it('a file for another architecture is refused and leaves the model unchanged', () => {
    manualSeed(5);
    const path = join(dir, 'wide.safetensors');
    saveSafetensors(mlp(16).stateDict(), path);
    const narrow = mlp(8);
    const snapshot = narrow.stateDict();
    expect(() => narrow.loadStateDict(loadSafetensors(path))).toThrow(ShapeError);
    const deeper = new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 8), new ReLU(), new Linear(8, 3));
    expect(() => deeper.loadStateDict(loadSafetensors(join(dir, 'wide.safetensors')))).toThrow(ValueError);
    for (const [k, t] of Object.entries(narrow.stateDict())) expect(Array.from(t.dataSync())).toEqual(Array.from(snapshot[k]!.dataSync()));
  });
});
