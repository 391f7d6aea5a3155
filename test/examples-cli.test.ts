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

const EXAMPLES = ['imbalanced-mnist', 'dense-detection', 'spirals'] as const;

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
    ['imbalanced-mnist', ['--backend', 'tpu'], ['--backend', 'cpu, gpu']],
    ['imbalanced-mnist', ['--frobnicate'], ['unknown flag --frobnicate', '--loss']],
    ['imbalanced-mnist', ['stray'], ["unexpected argument 'stray'"]],
    ['imbalanced-mnist', ['--seed'], ['--seed needs a value']],
    ['dense-detection', ['--loss', 'ce'], ['--loss', 'bce, focal']],
    ['dense-detection', ['--epochs', '-1'], ['--epochs', 'integer ≥ 1']],
    ['spirals', ['--rare-arm', '5', '--arms', '4'], ['--rare-arm', 'from 0 to 3']],
    ['spirals', ['--loss', 'focal,nope'], ['--loss', 'dual-focal-trainable']],
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
