/**
 * Trains one segmentation network with one loss on [N, C, H, W] logits and [N, H, W]
 * int32 masks, and scores it on held-out images. As in train-classifier.ts, every loss
 * starts from the same initial weights (manualSeed(seed) right before the model is
 * built) and sees the same minibatch order, so the loss is the only difference. The
 * learning rate follows a cosine from `lr` down to 0 over the epochs, so the final
 * epoch's weights — the ones scored — are not a snapshot of a noisy high-lr walk.
 */
import { CosineAnnealingLR, type Module } from '@tsgrad/nn';
import { manualSeed, noGrad, tensor } from '@tsgrad/tensor';
import { takeRows } from './batches.js';
import { lossAwareAdam, makeClassificationLoss, type ClassificationLossName, type GammaSettings } from './classification-losses.js';
import { fit, type EpochRecord } from './fit.js';
import { SeededRandom } from './rng.js';
import { CHANNELS, type SegmentationSet } from './segmentation-data.js';
import { scoreMasks, type SegmentationScores } from './segmentation-metrics.js';
import type { ConfusionMatrix } from './confusion-matrix.js';

export interface SegmenterRunOptions {
  readonly loss: ClassificationLossName;
  readonly gamma: GammaSettings;
  readonly makeModel: () => Module;
  readonly numClasses: number;
  readonly train: SegmentationSet;
  readonly test: SegmentationSet;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** lr of the loss's own parameter group (the trainable γ). */
  readonly gammaLr: number;
  readonly seed: number;
  /** Class whose IoU is shown on the progress line (the rare one). */
  readonly watchClass: number;
}

export interface SegmenterRun {
  readonly loss: ClassificationLossName;
  readonly label: string;
  readonly description: string;
  readonly history: EpochRecord[];
  /** γ after every optimiser step (step 0 = initial value); empty for a fixed γ. */
  readonly gammaTrajectory: { step: number; gamma: number }[];
  readonly test: SegmentationScores & { confusion: ConfusionMatrix };
  /** Predicted test masks, [N, H, W]. */
  readonly predicted: Int32Array;
  readonly steps: number;
  readonly seconds: number;
  readonly model: Module;
}

/** Predicted class per pixel for every image of `set`, in chunks, without a graph, in eval mode. */
export function predictMasks(model: Module, set: SegmentationSet, chunk = 32): Int32Array {
  const plane = set.size * set.size;
  const out = new Int32Array(set.count * plane);
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let start = 0; start < set.count; start += chunk) {
      const n = Math.min(chunk, set.count - start);
      const x = tensor(set.images.subarray(start * CHANNELS * plane, (start + n) * CHANNELS * plane), { shape: [n, CHANNELS, set.size, set.size] });
      out.set(model.forward(x).argmax(1).dataSync() as Int32Array, start * plane);
    }
  });
  model.train(wasTraining);
  return out;
}

export function trainSegmenter(o: SegmenterRunOptions): SegmenterRun {
  manualSeed(o.seed);
  const model = o.makeModel();
  const loss = makeClassificationLoss(o.loss, o.gamma);
  const optimizer = lossAwareAdam(model, loss, o.lr, o.gammaLr);
  const schedule = new CosineAnnealingLR(optimizer, o.epochs);
  const gammaTrajectory: { step: number; gamma: number }[] = [];
  const g0 = loss.trainableGamma();
  if (g0 !== null) gammaTrajectory.push({ step: 0, gamma: g0 });
  const { size } = o.train;
  const plane = size * size;

  const result = fit({
    label: `[${o.loss}]`,
    epochs: o.epochs,
    numExamples: o.train.count,
    batchSize: o.batchSize,
    rng: new SeededRandom(o.seed + 1),
    step(indices, stepNumber) {
      const x = tensor(takeRows(o.train.images, CHANNELS * plane, indices), { shape: [indices.length, CHANNELS, size, size] });
      const y = tensor(takeRows(o.train.masks, plane, indices), { shape: [indices.length, size, size], dtype: 'int32' });
      optimizer.zeroGrad();
      const value = loss.forward(model.forward(x), y);
      value.backward();
      optimizer.step();
      const g = loss.trainableGamma();
      if (g !== null) gammaTrajectory.push({ step: stepNumber, gamma: g });
      return value.item();
    },
    displayNames: { testMeanIou: 'test mIoU', testWatchIou: 'test IoU rare', gamma: 'γ' },
    afterEpoch() {
      schedule.step();
      const s = scoreMasks(o.test.masks, predictMasks(model, o.test), o.numClasses);
      const g = loss.trainableGamma();
      return { testMeanIou: s.meanIou, testWatchIou: s.iou[o.watchClass] ?? NaN, ...(g !== null ? { gamma: g } : {}) };
    },
  });

  const predicted = predictMasks(model, o.test);
  return {
    loss: o.loss,
    label: loss.label,
    description: loss.description,
    history: result.history,
    gammaTrajectory,
    test: scoreMasks(o.test.masks, predicted, o.numClasses),
    predicted,
    steps: result.steps,
    seconds: result.seconds,
    model,
  };
}
