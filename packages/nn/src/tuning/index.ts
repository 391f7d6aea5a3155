/** Tuning loss hyper-parameters by the hypergradient of a held-out objective. */
export { balancedCrossEntropy } from './balanced-cross-entropy.js';
export {
  HyperTuner, DEFAULT_HYPER_LR,
  type HyperTunerOptions, type HyperStepResult, type TunerStepResult, type HyperTunerStats,
  type LabelledBatch, type LogitsObjective, type AnyOptimizer,
} from './hyper-tuner.js';
