/**
 * The flags every example trainer shares: which losses, how long, how fast, which
 * seed, which backend, where the outputs go.
 */
import { choiceFlag, choiceListFlag, integerFlag, numberFlag, textFlag } from './cli.js';

/**
 * `auto` keeps @tsgrad/tensor's own choice (TSGRAD_BACKEND, else WebAssembly SIMD where
 * it runs, else the JS reference); `wasm`, `cpu` (the JS float64-capable reference) and
 * `gpu` (@tsgrad/gpu) select one explicitly.
 */
export const BACKENDS = ['auto', 'wasm', 'cpu', 'gpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** --backend, shared by every example. */
export function backendFlag() {
  return choiceFlag(
    'Tensor backend. auto: the library\'s default (TSGRAD_BACKEND, else wasm where WebAssembly SIMD runs, else cpu); cpu: the JS reference; gpu: @tsgrad/gpu. The one that ran is printed',
    BACKENDS,
    'auto',
  );
}

export interface CommonDefaults<L extends string> {
  readonly example: string;
  readonly losses: readonly L[];
  readonly defaultLosses?: readonly L[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed?: number;
}

export function commonFlags<L extends string>(d: CommonDefaults<L>) {
  return {
    loss: choiceListFlag('Losses to train with, one fresh model each', d.losses, d.defaultLosses ?? d.losses),
    epochs: integerFlag('Training epochs per loss', d.epochs, { min: 1 }),
    batchSize: integerFlag('Minibatch size', d.batchSize, { min: 1 }),
    lr: numberFlag('Learning rate of the model parameters (Adam)', d.lr, { greaterThan: 0, max: 10 }),
    seed: integerFlag('Seed for data, initial weights and batch order', d.seed ?? 0, { min: 0, max: 2 ** 31 - 1 }),
    backend: backendFlag(),
    out: textFlag('Output folder (created; files in it are overwritten)', null, `runs/${d.example}-<timestamp>`, 'a folder path, not an existing file'),
  };
}

/** --gamma-lr, shared by the examples that train a Dual Focal Loss with a trainable γ. */
export function gammaLrFlag() {
  return numberFlag('Learning rate of the trainable γ\'s own param group', 1e-2, { greaterThan: 0, max: 10 });
}

/** --val-per-class, --tune-every, --hyper-lr: the tuned-γ losses (`focal-tuned`, `dual-focal-tuned`). */
export function tuningFlags(valPerClass: number) {
  return {
    valPerClass: integerFlag(
      'With a -tuned loss: validation examples per class carved out of the training split (at most a third of the rarest class; every run of the invocation then trains without them)',
      valPerClass,
      { min: 1, max: 1000 },
    ),
    tuneEvery: integerFlag('With a -tuned loss: one hyper-step on γ every this many model steps', 5, { min: 1, max: 10000 }),
    hyperLr: numberFlag('With a -tuned loss: Adam learning rate of the tuner on γ\'s θ', 0.05, { greaterThan: 0, max: 10 }),
  };
}
