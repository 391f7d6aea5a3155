/**
 * The epoch loop the trainers share: seeded minibatch order, a progress line per
 * epoch, and a history of the mean training loss (plus whatever the caller measures
 * after each epoch). What one step does — forward, loss, backward, optimiser — is the
 * caller's, so the loop fits classifiers and dense detectors alike; each step runs in
 * `tidy`, so its tensors are freed when it returns.
 */
import { tidy } from '@tsgrad/tensor';
import { shuffledBatches } from './batches.js';
import { EpochProgress } from './progress.js';
import type { SeededRandom } from './rng.js';

export interface EpochRecord {
  readonly epoch: number;
  /** Mean training loss over the epoch's examples (batch losses weighted by batch size). */
  readonly loss: number;
  readonly [metric: string]: number;
}

export interface FitOptions {
  /** Shown at the start of each progress line, e.g. `[ce]`. */
  readonly label: string;
  readonly epochs: number;
  readonly numExamples: number;
  readonly batchSize: number;
  readonly rng: SeededRandom;
  /** One optimisation step on these example indices; returns the batch's mean loss. */
  step(indices: Int32Array, stepNumber: number): number;
  /** Called after each epoch; its numbers are recorded and shown on the progress line. */
  afterEpoch?(epoch: number): Record<string, number>;
  /** Short names for afterEpoch's keys on the progress line (`testMacroF1` → `test macro-F1`). */
  readonly displayNames?: Readonly<Record<string, string>>;
}

export interface FitResult {
  readonly history: EpochRecord[];
  readonly steps: number;
  readonly seconds: number;
}

export function fit(opts: FitOptions): FitResult {
  const progress = new EpochProgress(opts.label, opts.epochs);
  const history: EpochRecord[] = [];
  const t0 = performance.now();
  let steps = 0;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const te = performance.now();
    const batches = shuffledBatches(opts.numExamples, opts.batchSize, opts.rng);
    progress.startEpoch(epoch, batches.length);
    let total = 0, seen = 0;
    batches.forEach((indices, b) => {
      // In a memory scope: every tensor the step makes (batch, activations, gradients'
      // temporaries) is freed when it returns, instead of waiting for the garbage
      // collector; parameters, optimiser state and buffers updated in place survive.
      const loss = tidy(() => opts.step(indices, ++steps));
      if (!Number.isFinite(loss)) throw new Error(`${opts.label}: the training loss became ${loss} at epoch ${epoch}, batch ${b + 1}`);
      total += loss * indices.length;
      seen += indices.length;
      progress.update(b + 1, total / seen);
    });
    const extra = opts.afterEpoch?.(epoch) ?? {};
    const record: EpochRecord = { epoch, loss: total / seen, ...extra };
    history.push(record);
    const shown = Object.fromEntries(Object.entries(extra).map(([k, v]) => [opts.displayNames?.[k] ?? k, v]));
    progress.endEpoch(epoch, { loss: record.loss, extra: shown, seconds: (performance.now() - te) / 1000 });
  }
  return { history, steps, seconds: (performance.now() - t0) / 1000 };
}
