/**
 * Trains one multi-class model with one loss and measures it on the test split: the
 * shared core of the MNIST and spirals examples. Every loss starts from the same
 * initial weights (manualSeed(seed) right before the model is built) and sees the
 * same minibatch order (a generator seeded the same way), so the loss is the only
 * difference between runs.
 */
import { Adam, HyperTuner, type Module } from '@tsgrad/nn';
import { manualSeed, tensor } from '@tsgrad/tensor';
import { takeRows } from './batches.js';
import { lossAwareAdam, makeClassificationLoss, type ClassificationLossName, type GammaSettings } from './classification-losses.js';
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
  /**
   * The shape one example is fed to the model in, e.g. [1, 28, 28] for a CNN (batches
   * go in as [batch, ...inputShape]); its elements multiply to `features`. Default [features].
   */
  readonly inputShape?: readonly number[];
  readonly numClasses: number;
  readonly train: LabelledSet;
  readonly test: LabelledSet;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** lr of the loss's own parameter group (the trainable γ). */
  readonly gammaLr: number;
  readonly seed: number;
  /** The balanced validation split (carved out of training) that a tuned γ is tuned on. */
  readonly val?: LabelledSet;
  /** A tuned γ takes a hyper-step every this many model steps (default 5). */
  readonly tuneEvery?: number;
  /** lr of the HyperTuner's Adam on θ (default: HyperTuner's). */
  readonly hyperLr?: number;
}

/** What tuning γ cost, from HyperTuner.stats(). */
export interface TuningRecord {
  readonly every: number;
  readonly valExamples: number;
  readonly hyperSteps: number;
  readonly meanModelStepMs: number;
  readonly meanHyperStepMs: number;
  /** One hyper-step in plain model steps. */
  readonly hyperStepCost: number;
  /** Hyper-step time over model-step time for the whole run. */
  readonly overhead: number;
}

export interface ClassifierRun {
  readonly loss: ClassificationLossName;
  readonly label: string;
  readonly description: string;
  readonly history: EpochRecord[];
  /** γ after every optimiser step (step 0 = initial value); empty for a fixed γ. */
  readonly gammaTrajectory: { step: number; gamma: number }[];
  /** [min, max] of a trainable or tuned γ, else null. */
  readonly gammaBounds: { min: number; max: number } | null;
  /** For a tuned γ: what the HyperTuner cost; else null. */
  readonly tuning: TuningRecord | null;
  readonly confusion: ConfusionMatrix;
  readonly test: ClassificationSummary;
  readonly steps: number;
  readonly seconds: number;
  readonly model: Module;
}

export function trainClassifier(o: ClassifierRunOptions): ClassifierRun {
  const inputShape = o.inputShape ?? [o.features];
  if (inputShape.reduce((a, b) => a * b, 1) !== o.features) {
    throw new Error(`trainClassifier: inputShape [${inputShape.join(', ')}] does not hold ${o.features} features`);
  }
  manualSeed(o.seed);
  const model = o.makeModel();
  const loss = makeClassificationLoss(o.loss, o.gamma);
  const optimizer = lossAwareAdam(model, loss, o.lr, o.gammaLr);
  const tuner = loss.tuned
    ? new HyperTuner({
        model, losses: [loss.tuned], optimizer, every: o.tuneEvery ?? 5,
        ...(o.hyperLr !== undefined ? { hyperOptimizer: new Adam(loss.tuned.parameters(), { lr: o.hyperLr }) } : {}),
      })
    : null;
  if (tuner && !o.val) throw new Error(`${o.loss}: a tuned γ needs a validation split (option 'val')`);
  const valBatch = tuner && o.val
    ? { x: tensor(o.val.x, { shape: [o.val.y.length, ...inputShape] }), y: tensor(o.val.y, { dtype: 'int32' }) }
    : null;
  const gammaTrajectory: { step: number; gamma: number }[] = [];
  const g0 = loss.trainableGamma();
  if (g0 !== null) gammaTrajectory.push({ step: 0, gamma: g0 });

  const evaluate = () => {
    model.eval();
    const predicted = predictClasses(model, o.test.x, inputShape);
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
      const x = tensor(takeRows(o.train.x, o.features, indices), { shape: [indices.length, ...inputShape] });
      const y = tensor(takeRows(o.train.y, 1, indices), { dtype: 'int32' });
      let value: number;
      if (tuner && valBatch) {
        value = tuner.step({ x, y }, valBatch).loss;
      } else {
        optimizer.zeroGrad();
        const l = loss.forward(model.forward(x), y);
        l.backward();
        optimizer.step();
        value = l.item();
      }
      const g = loss.trainableGamma();
      if (g !== null) gammaTrajectory.push({ step: stepNumber, gamma: g });
      return value;
    },
    displayNames: { testBalancedAccuracy: 'test bal-acc', testMacroF1: 'test macro-F1', gamma: 'γ' },
    afterEpoch() {
      const s = summarize(evaluate());
      const g = loss.trainableGamma();
      return { testBalancedAccuracy: s.balancedAccuracy, testMacroF1: s.macroF1, ...(g !== null ? { gamma: g } : {}) };
    },
  });

  const confusion = evaluate();
  const stats = tuner?.stats();
  return {
    loss: o.loss,
    label: loss.label,
    description: loss.description,
    history: result.history,
    gammaTrajectory,
    gammaBounds: loss.gammaBounds,
    tuning: tuner && stats && o.val
      ? {
          every: tuner.every, valExamples: o.val.y.length, hyperSteps: stats.hyperSteps, meanModelStepMs: stats.meanModelStepMs,
          meanHyperStepMs: stats.meanHyperStepMs, hyperStepCost: stats.hyperStepCost, overhead: stats.overhead,
        }
      : null,
    confusion,
    test: summarize(confusion),
    steps: result.steps,
    seconds: result.seconds,
    model,
  };
}
