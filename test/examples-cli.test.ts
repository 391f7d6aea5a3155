/**
 * The example scripts' command line: --help, and bad input (unknown flags, bad
 * values, an output folder that is a file, a backend that is not installed) gives
 * one line naming the flag and what it accepts, exit code 2, and writes nothing.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, ROOT, runExample, tempDir } from './examples-helpers.js';

afterAll(removeTempDirs);

const EXAMPLES = ['imbalanced-mnist', 'dense-detection', 'spirals', 'segmentation'] as const;

function expectUsageError(r: { status: number | null; stderr: string; stdout: string }, ...mentions: string[]) {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const m of mentions) expect(lines[0]).toContain(m);
  expect(r.stdout).toBe('');
}

describe('example scripts: --help', () => {
  it.each(EXAMPLES)('%s --help lists the shared flags and exits 0', (name) => {
    const r = runExample(name, ['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--loss', '--epochs', '--batch-size', '--lr', '--seed', '--backend', '--out', '--help']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain(`examples/${name}.ts`);
    // The library's own default backend (wasm where WebAssembly SIMD runs), not the slow JS reference.
    expect(r.stdout).toMatch(/--backend <value> .*\(one of auto, wasm, cpu, gpu; default auto\)/);
  });

  it('imbalanced-mnist --help offers --model mlp (the default) and cnn', () => {
    const r = runExample('imbalanced-mnist', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--model <value> .*\(one of mlp, cnn; default mlp\)/);
    expect(r.stdout).toMatch(/--channels <value> .*default 8\)/);
  });
});

describe('example scripts: bad input', () => {
  it('rejects an unknown --loss with the allowed values, writing nothing (not even the default runs/ folder)', () => {
    const before = existsSync(join(ROOT, 'runs')) ? readdirSync(join(ROOT, 'runs')) : [];
    const r = runExample('imbalanced-mnist', ['--loss', 'foo']);
    expectUsageError(r, '--loss', 'ce, focal, dual-focal, dual-focal-trainable', "'foo'");
    const after = existsSync(join(ROOT, 'runs')) ? readdirSync(join(ROOT, 'runs')) : [];
    expect(after.filter((d) => d.startsWith('imbalanced-mnist-') && !before.includes(d))).toEqual([]);
  });

  it.each([
    ['imbalanced-mnist', ['--epochs', '-3'], ['--epochs', 'integer ≥ 1', "'-3'"]],
    ['imbalanced-mnist', ['--epochs=0'], ['--epochs', 'integer ≥ 1']],
    ['imbalanced-mnist', ['--batch-size', 'ten'], ['--batch-size', 'integer ≥ 1']],
    ['imbalanced-mnist', ['--lr', '-0.1'], ['--lr', 'number > 0']],
    ['imbalanced-mnist', ['--minority', '3,11'], ['--minority', 'integers from 0 to 9']],
    ['imbalanced-mnist', ['--backend', 'tpu'], ['--backend', 'one of auto, wasm, cpu, gpu']],
    ['imbalanced-mnist', ['--model', 'resnet'], ['--model', 'one of mlp, cnn']],
    ['imbalanced-mnist', ['--channels', '0'], ['--channels', 'integer from 1 to 256']],
    ['imbalanced-mnist', ['--frobnicate'], ['unknown flag --frobnicate', '--loss']],
    ['imbalanced-mnist', ['stray'], ["unexpected argument 'stray'"]],
    ['imbalanced-mnist', ['--seed'], ['--seed needs a value']],
    ['dense-detection', ['--loss', 'ce'], ['--loss', 'bce, focal']],
    ['dense-detection', ['--epochs', '-1'], ['--epochs', 'integer ≥ 1']],
    ['spirals', ['--rare-arm', '5', '--arms', '4'], ['--rare-arm', 'from 0 to 3']],
    ['spirals', ['--loss', 'focal,nope'], ['--loss', 'dual-focal-trainable']],
    ['spirals', ['--load', '/nonexistent/model.safetensors'], ['--load must be an existing .safetensors file', 'does not exist']],
    ['segmentation', ['--size', '15'], ['--size', 'even']],
    ['segmentation', ['--loss', 'bce'], ['--loss', 'ce, focal, dual-focal, dual-focal-trainable']],
    ['segmentation', ['--width', '0'], ['--width', 'integer from 1 to 256']],
  ] as const)('%s %j → exit 2 naming the flag', (name, args, mentions) => {
    const out = join(tempDir('bad'), 'out');
    const r = runExample(name, [...args, '--out', out]);
    expectUsageError(r, ...mentions);
    expect(existsSync(out)).toBe(false);
  });

  it.each(EXAMPLES)('%s: an --out that is a file → exit 2 naming --out, file untouched', (name) => {
    const dir = tempDir('outfile');
    const file = join(dir, 'not-a-folder.txt');
    writeFileSync(file, 'keep me');
    const r = runExample(name, ['--epochs', '1', '--out', file]);
    expectUsageError(r, '--out', 'is a file');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readdirSync(dir)).toEqual(['not-a-folder.txt']);
  });

  // The "not installed" message itself is unit-tested in examples-lib.test.ts; here the
  // gpu package is part of the workspace, so --backend gpu must really train on it.
  it('--backend gpu trains on the gpu backend and reports the gpu.js mode that ran', () => {
    const out = join(tempDir('gpu'), 'out');
    const r = runExample('spirals', ['--backend', 'gpu', '--loss', 'ce', '--epochs', '1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      config: { backend: string };
      backend?: string;
    };
    expect(metrics.config.backend).toBe('gpu');
    expect(JSON.stringify(metrics)).toMatch(/gpu \(mode=(webasm|headlessgl)/);
  });
});

describe('examples/gamma-study.ts command line', () => {
  it('--help lists its flags; a grid value out of [0, 5] or an unknown family is one line, exit 2, nothing written', () => {
    const help = runExample('gamma-study', ['--help']);
    expect(help.status).toBe(0);
    for (const flag of ['--dataset', '--families', '--grid', '--seeds', '--epochs', '--val-per-class', '--tune-every', '--hyper-lr', '--out']) expect(help.stdout).toContain(flag);
    expect(help.stdout).toMatch(/--backend <value> .*\(one of auto, wasm, cpu, gpu; default auto\)/);
    const out = join(tempDir('bad-study'), 'out');
    expectUsageError(runExample('gamma-study', ['--grid', '0,7', '--out', out]), '--grid', 'numbers from 0 to 5', "'0,7'");
    expectUsageError(runExample('gamma-study', ['--families', 'ce', '--out', out]), '--families', 'dual-focal, focal');
    expect(existsSync(out)).toBe(false);
  });
});

describe('example scripts: --save and --load (safetensors)', () => {
  it.each(EXAMPLES)('%s --help lists --save and --load', (name) => {
    const r = runExample(name, ['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--save <value>', '--load <value>', 'safetensors']) expect(r.stdout).toContain(flag);
  });

  it.each(EXAMPLES)('%s: a --save that is a folder → exit 2 naming --save, nothing written', (name) => {
    const dir = tempDir('save-folder');
    const out = join(dir, 'out');
    expectUsageError(runExample(name, ['--epochs', '1', '--save', dir, '--out', out]), '--save must be a file path', 'is a folder');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a malformed --load file, or one for another architecture → exit 2 naming --load, nothing written', async () => {
    const { Linear, ReLU, Sequential, saveSafetensors } = await import('@tsgrad/nn');
    const dir = tempDir('load-bad');
    const out = join(dir, 'out');
    writeFileSync(join(dir, 'junk.safetensors'), 'definitely not safetensors');
    expectUsageError(runExample('imbalanced-mnist', ['--load', join(dir, 'junk.safetensors'), '--out', out]), '--load file', 'is not a valid safetensors file');
    // spirals' default MLP is 2→64→64→4; this file is 2→8→8→4.
    saveSafetensors(new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 8), new ReLU(), new Linear(8, 4)).stateDict(), join(dir, 'small.safetensors'));
    expectUsageError(runExample('spirals', ['--load', join(dir, 'small.safetensors'), '--out', out]), '--load', 'does not fit this model', '0.weight: expected [64, 2], got [8, 2]');
    expect(existsSync(out)).toBe(false);
  });

  it('spirals --save writes a file that --load then starts from (same flags)', () => {
    const dir = tempDir('save-load');
    const model = join(dir, 'spirals.safetensors');
    const saved = runExample('spirals', ['--loss', 'ce', '--epochs', '2', '--hidden', '16', '--save', model, '--out', join(dir, 'a')]);
    expect(saved.status, saved.stderr).toBe(0);
    expect(saved.stderr).toContain(`saved the ce model to ${model}`);
    expect(existsSync(model)).toBe(true);
    const loaded = runExample('spirals', ['--loss', 'ce,focal', '--epochs', '1', '--hidden', '16', '--load', model, '--save', model, '--out', join(dir, 'b')]);
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b', 'spirals-ce.safetensors', 'spirals-focal.safetensors', 'spirals.safetensors']);
  });
});
