/**
 * The output folder: validated before anything runs (so bad input writes nothing),
 * created only once training is about to start.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './cli.js';

/** `runs/<example>-<YYYY-MM-DDTHH-MM-SS>` relative to the working directory. */
export function defaultOutDir(example: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
  return `runs/${example}-${stamp}`;
}

/** Throws a UsageError naming --out when `path`, or a folder above it, is not a folder. */
export function checkOutDir(path: string): string {
  const full = resolve(path);
  let probe = full;
  for (;;) {
    if (existsSync(probe)) {
      if (!statSync(probe).isDirectory()) {
        const what = probe === full ? `'${path}' is a file` : `'${probe}' (above it) is a file`;
        throw new UsageError(`--out must be a folder path (existing folder or one to create); ${what}`);
      }
      return full;
    }
    const parent = dirname(probe);
    if (parent === probe) return full;
    probe = parent;
  }
}

export function createOutDir(path: string): string {
  const full = checkOutDir(path);
  mkdirSync(full, { recursive: true });
  return full;
}
