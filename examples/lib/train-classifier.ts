/**
 * Trains one multi-class model with one loss and measures it on the test split: the
 * shared core of the MNIST and spirals examples. Every loss starts from the same
 * initial weights (manualSeed(seed) right before the model is built) and sees the
 * same minibatch order (a generator seeded the same way), so the loss is the only
 * difference between runs.
 */
import { Adam, type Module } from '@tsgrad/nn';
import { manualSeed, tensor } from '@tsgrad/tensor';
import { takeRows } from './batches.js';
import { makeClassificationLoss, type ClassificationLossName, type GammaSettings } from './classification-losses.js';
import { summarize, type ClassificationSummary } from './classification-metrics.js';
import { confusionMatrix, type ConfusionMatrix } from './confusion-matrix.js';
import { fit, type EpochRecord } from './fit.js';
import { predictClasses } from './predict.js';
import { SeededRandom } from './rng.js';

export interface LabelledSet {
  /** Row-major [n, features]. */
  readonly x: Float32Array;
  readonly y: Int32Array;
}

export interface ClassifierRunOptions {
  readonly loss: ClassificationLossName;
  readonly gamma: GammaSettings;
  readonly makeModel: () => Module;
  readonly features: number;
  readonly numClasses: number;
  readonly train: LabelledSet;
  readonly test: LabelledSet;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** lr of the loss's own parameter group (the trainable γ). */
  readonly gammaLr: number;
  readonly seed: number;
}

export interface ClassifierRun {
  readonly loss: ClassificationLossName;
  readonly label: string;
  readonly description: string;
  readonly history: EpochRecord[];
  /** γ after every optimiser step (step 0 = initial value); empty for a fixed γ. */
  readonly gammaTrajectory: { step: number; gamma: number }[];
  readonly confusion: ConfusionMatrix;
  readonly test: ClassificationSummary;
  readonly steps: number;
  readonly seconds: number;
  readonly model: Module;
}

export function trainClassifier(o: ClassifierRunOptions): ClassifierRun {
  manualSeed(o.seed);
  const model = o.makeModel();
  const loss = makeClassificationLoss(o.loss, o.gamma);
  const lossParams = loss.parameters();
  const optimizer = new Adam(
    [{ params: model.parameters() }, ...(lossParams.length ? [{ params: lossParams, lr: o.gammaLr }] : [])],
    { lr: o.lr },
  );
  const gammaTrajectory: { step: number; gamma: number }[] = [];
  const g0 = loss.trainableGamma();
  if (g0 !== null) gammaTrajectory.push({ step: 0, gamma: g0 });

  const evaluate = () => {
    model.eval();
    const predicted = predictClasses(model, o.test.x, o.features);
    model.train();
    return confusionMatrix(o.test.y, predicted, o.numClasses);
  };

  const result = fit({
    label: `[${o.loss}]`,
    epochs: o.epochs,
    numExamples: o.train.y.length,
    batchSize: o.batchSize,
    rng: new SeededRandom(o.seed + 1),
    step(indices, stepNumber) {
      const x = tensor(takeRows(o.train.x, o.features, indices), { shape: [indices.length, o.features] });
      const y = tensor(takeRows(o.train.y, 1, indices), { dtype: 'int32' });
      optimizer.zeroGrad();
      const value = loss.forward(model.forward(x), y);
      value.backward();
      optimizer.step();
      const g = loss.trainableGamma();
      if (g !== null) gammaTrajectory.push({ step: stepNumber, gamma: g });
      return value.item();
    },
    displayNames: { testBalancedAccuracy: 'test bal-acc', testMacroF1: 'test macro-F1', gamma: 'γ' },
    afterEpoch() {
      const s = summarize(evaluate());
      const g = loss.trainableGamma();
      return { testBalancedAccuracy: s.balancedAccuracy, testMacroF1: s.macroF1, ...(g !== null ? { gamma: g } : {}) };
    },
  });

  const confusion = evaluate();
  return {
    loss: o.loss,
    label: loss.label,
    description: loss.description,
    history: result.history,
    gammaTrajectory,
    confusion,
    test: summarize(confusion),
    steps: result.steps,
    seconds: result.seconds,
    model,
  };
}
