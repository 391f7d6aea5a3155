/**
 * The flags every example trainer shares: which losses, how long, how fast, which
 * seed, which backend, where the outputs go.
 */
import { choiceFlag, choiceListFlag, integerFlag, numberFlag, textFlag } from './cli.js';

export const BACKENDS = ['cpu', 'gpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

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
    backend: choiceFlag('Tensor backend', BACKENDS, 'cpu'),
    out: textFlag('Output folder (created; files in it are overwritten)', null, `runs/${d.example}-<timestamp>`, 'a folder path, not an existing file'),
  };
}

/** --gamma-lr, shared by the examples that train a Dual Focal Loss with a trainable γ. */
export function gammaLrFlag() {
  return numberFlag('Learning rate of the trainable γ\'s own param group', 1e-2, { greaterThan: 0, max: 10 });
}
