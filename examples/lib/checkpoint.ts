/**
 * --save and --load: trained models as .safetensors files, the format PyTorch and the
 * Hugging Face ecosystem read (`safetensors.torch.load_file`), so a model trained
 * here can be continued at scale in PyTorch with the matching torch.nn architecture.
 * Both flags are validated before anything runs: a --load file that is missing,
 * malformed or for another architecture, and a --save path that cannot be a file, are
 * one-line usage errors (exit code 2) naming the flag.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadSafetensors, saveSafetensors, type Module } from '@tsgrad/nn';
import type { Tensor } from '@tsgrad/tensor';
import { textFlag, UsageError } from './cli.js';

/** The --save and --load flags, to spread into a program's flag table. */
export function checkpointFlags() {
  return {
    save: textFlag(
      'Save each trained model as safetensors (PyTorch: load_file + load_state_dict); with several losses one file per loss, <name>-<loss>.safetensors',
      null, 'no file', 'a file path such as model.safetensors',
    ),
    load: textFlag(
      'Start every model from the weights in this safetensors file (same architecture and flags) instead of fresh initial weights',
      null, 'fresh weights', 'an existing .safetensors file',
    ),
  };
}

/** Throws a UsageError naming --save when `path` is a folder or lies under a file. */
export function checkSavePath(path: string | null): string | null {
  if (path === null) return null;
  const full = resolve(path);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`--save must be a file path; '${path}' is a folder`);
  for (let probe = dirname(full); ; probe = dirname(probe)) {
    if (existsSync(probe)) {
      if (!statSync(probe).isDirectory()) throw new UsageError(`--save must be a file path; '${probe}' (above it) is a file`);
      return full;
    }
    if (dirname(probe) === probe) return full;
  }
}

/**
 * Reads the --load file and checks that it fits the model `makeModel` builds (names,
 * shapes), so a wrong file stops the run before anything is written. Returns the
 * tensors, or null without --load.
 */
export function readCheckpoint(path: string | null, makeModel: () => Module): Record<string, Tensor> | null {
  if (path === null) return null;
  if (!existsSync(path)) throw new UsageError(`--load must be ${checkpointFlags().load.allowed}; '${path}' does not exist`);
  if (statSync(path).isDirectory()) throw new UsageError(`--load must be ${checkpointFlags().load.allowed}; '${path}' is a folder`);
  let state: Record<string, Tensor>;
  try {
    state = loadSafetensors(path);
  } catch (err) {
    throw new UsageError(`--load ${(err as Error).message.replace(/^loadSafetensors: /, '')}`);
  }
  try {
    makeModel().loadStateDict(state);
  } catch (err) {
    throw new UsageError(`--load '${path}' does not fit this model (check the architecture flags): ${(err as Error).message.replace(/^loadStateDict: /, '')}`);
  }
  return state;
}

/** `makeModel`, followed by loading the checkpoint when there is one. */
export function withCheckpoint<M extends Module>(makeModel: () => M, state: Record<string, Tensor> | null): () => M {
  return () => {
    const model = makeModel();
    if (state !== null) model.loadStateDict(state);
    return model;
  };
}

/** Where the model trained with `loss` goes: `path` itself, or `<stem>-<loss><ext>` when several losses are trained. */
export function checkpointPath(path: string, loss: string, several: boolean): string {
  if (!several) return path;
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}-${loss}${ext || '.safetensors'}`);
}

export interface SavedCheckpoint {
  readonly loss: string;
  readonly path: string;
}

/**
 * Saves each run's model (its state dict, torch.nn names and layouts) under --save;
 * returns what was written. `metadata` lands in the file's `__metadata__` (strings),
 * with `format: 'pt'` as PyTorch's writers set it.
 */
export function saveCheckpoints(
  path: string | null,
  runs: readonly { readonly loss: string; readonly model: Module }[],
  metadata: Readonly<Record<string, string>> = {},
): SavedCheckpoint[] {
  if (path === null) return [];
  const saved: SavedCheckpoint[] = [];
  for (const r of runs) {
    const file = checkpointPath(path, r.loss, runs.length > 1);
    mkdirSync(dirname(resolve(file)), { recursive: true });
    saveSafetensors(r.model.stateDict(), file, { format: 'pt', producer: 'tsgrad', loss: r.loss, ...metadata });
    process.stderr.write(`saved the ${r.loss} model to ${file}\n`);
    saved.push({ loss: r.loss, path: file });
  }
  return saved;
}
