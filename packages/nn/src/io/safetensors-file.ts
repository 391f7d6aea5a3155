/*
 * The Node file forms of safetensors I/O. `node:fs` is reached through
 * `process.getBuiltinModule` (tsgrad's `nodeBuiltin`), never a static import, so
 * @tsgrad/nn still bundles for browsers, where these two functions throw and
 * `serializeSafetensors` / `deserializeSafetensors` are the way.
 */
import { BackendError, ValueError, nodeBuiltin, type Tensor } from '@tsgrad/tensor';
import type * as NodeFs from 'node:fs';
import { decode, encode } from './safetensors.js';

function fileSystem(op: string, instead: string): typeof NodeFs {
  const fs = nodeBuiltin<typeof NodeFs>('node:fs');
  if (!fs) throw new BackendError(`${op}: needs Node's file system (node:fs), which this runtime does not provide; use ${instead} instead`);
  return fs;
}

function checkPath(op: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new ValueError(`${op}: argument 'path' expected a non-empty file path, got ${typeof path === 'string' ? "''" : String(path)}`);
  return path;
}

/**
 * Writes tensors (a `Module.stateDict()`) to a `.safetensors` file that
 * `safetensors.torch.load_file` reads in Python — `model.load_state_dict(load_file(path))`
 * continues training in PyTorch when the architecture matches (tsgrad's parameter names
 * and layouts are torch.nn's). The bytes are those of `serializeSafetensors`. Node only.
 *
 * The file is written next to its final name and renamed into place, so an
 * interrupted save never leaves a half-written file under `path`. Bad input throws
 * before anything is written (see `serializeSafetensors`); a write failure (missing
 * folder, no permission) is rethrown as a `ValueError` naming the path.
 */
export function saveSafetensors(stateDict: Readonly<Record<string, Tensor>>, path: string, metadata?: Readonly<Record<string, string>>): void {
  const op = 'saveSafetensors';
  checkPath(op, path);
  const fs = fileSystem(op, 'serializeSafetensors (bytes)');
  const bytes = encode(op, stateDict, metadata);
  const temporary = `${path}.${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.partial`;
  try {
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, path);
  } catch (err) {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // The original error is the one worth reporting.
    }
    throw new ValueError(`${op}: argument 'path' '${path}' could not be written: ${(err as Error).message}`);
  }
}

/**
 * Reads a `.safetensors` file into tensors keyed by name — for
 * `model.loadStateDict(loadSafetensors(path))`. Reads files written by tsgrad,
 * `safetensors.torch.save_file` or any other writer of the format; dtypes and
 * conversions as `deserializeSafetensors`. Node only.
 *
 * A file that cannot be read, or is malformed or truncated, throws a `ValueError`
 * naming the path and the problem, and nothing is loaded.
 */
export function loadSafetensors(path: string): Record<string, Tensor> {
  const op = 'loadSafetensors';
  checkPath(op, path);
  const fs = fileSystem(op, 'deserializeSafetensors (bytes)');
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    throw new ValueError(`${op}: argument 'path' '${path}' could not be read: ${(err as Error).message}`);
  }
  return decode(op, `file '${path}'`, bytes);
}
