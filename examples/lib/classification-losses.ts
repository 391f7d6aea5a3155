/**
 * The losses the multi-class examples compare, by CLI name. Each is a fresh object per
 * run, so a trainable γ starts from its initial value every time. The `-tuned` losses
 * own a γ that a HyperTuner moves by the hypergradient of a balanced validation
 * objective (never by the training loss).
 */
import { Adam, crossEntropy, dualFocalLoss, DualFocalLoss, softmaxFocalLoss, SoftmaxFocalLoss, type GammaLoss, type Module, type Parameter } from '@tsgrad/nn';
import type { Tensor } from '@tsgrad/tensor';

export const CLASSIFICATION_LOSSES = ['ce', 'focal', 'dual-focal', 'dual-focal-trainable', 'focal-tuned', 'dual-focal-tuned'] as const;
export type ClassificationLossName = (typeof CLASSIFICATION_LOSSES)[number];
/** What `--loss` trains when not given: the four losses without a validation split. */
export const DEFAULT_CLASSIFICATION_LOSSES: readonly ClassificationLossName[] = ['ce', 'focal', 'dual-focal', 'dual-focal-trainable'];

/** True for the losses whose γ is tuned on a validation split. */
export function isTunedLoss(name: ClassificationLossName): boolean {
  return name.endsWith('-tuned');
}

export interface GammaSettings {
  /** γ of the focal loss, the fixed-γ DFL, and the trainable γ's initial value. */
  readonly gamma: number;
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_GAMMA: GammaSettings = { gamma: 2, min: 0.5, max: 5 };

/** The tuned γ's range: [0, 5] spans the grid γ ∈ {0, 0.5, 1, 2, 3, 5} it is compared with. */
export const TUNED_GAMMA_RANGE = { min: 0, max: 5 } as const;

export interface ClassificationLoss {
  readonly name: ClassificationLossName;
  /** Short human label for tables and legends. */
  readonly label: string;
  /** What exactly is computed (for the report). */
  readonly description: string;
  forward(logits: Tensor, targets: Tensor): Tensor;
  /** The loss's own trainable parameters (the trainable γ), for their own param group. */
  parameters(): Parameter[];
  /** The current γ when it is trainable or tuned, else null. */
  trainableGamma(): number | null;
  /** [min, max] of a trainable or tuned γ (null for a fixed γ). */
  readonly gammaBounds: { min: number; max: number } | null;
  /** The loss module whose γ a HyperTuner tunes (the `-tuned` losses), else null. */
  readonly tuned: GammaLoss | null;
}

export function makeClassificationLoss(name: ClassificationLossName, g: GammaSettings = DEFAULT_GAMMA): ClassificationLoss {
  switch (name) {
    case 'ce':
      return {
        name, label: 'cross-entropy',
        description: 'crossEntropy(logits, y), mean over the batch',
        forward: (logits, y) => crossEntropy(logits, y),
        parameters: () => [], trainableGamma: () => null, gammaBounds: null, tuned: null,
      };
    case 'focal':
      return {
        name, label: `focal γ=${g.gamma}`,
        description: `softmaxFocalLoss(logits, y, { gamma: ${g.gamma}, reduction: 'mean' }) = mean of −(1−p_t)^γ log p_t (no α weighting)`,
        forward: (logits, y) => softmaxFocalLoss(logits, y, { gamma: g.gamma, reduction: 'mean' }),
        parameters: () => [], trainableGamma: () => null, gammaBounds: null, tuned: null,
      };
    case 'dual-focal':
      return {
        name, label: `dual focal γ=${g.gamma}`,
        description: `dualFocalLoss(logits, y, { gamma: ${g.gamma} }) with α = β = ρ = 1`,
        forward: (logits, y) => dualFocalLoss(logits, y, { gamma: g.gamma }),
        parameters: () => [], trainableGamma: () => null, gammaBounds: null, tuned: null,
      };
    case 'dual-focal-trainable': {
      const dfl = new DualFocalLoss({ gamma: { init: g.gamma, trainable: true, min: g.min, max: g.max } });
      return {
        name, label: 'dual focal trainable γ',
        description: `new DualFocalLoss({ gamma: { init: ${g.gamma}, trainable: true, min: ${g.min}, max: ${g.max} } }), γ in its own Adam param group`,
        forward: (logits, y) => dfl.forward(logits, y),
        parameters: () => dfl.parameters(),
        trainableGamma: () => dfl.gamma,
        gammaBounds: { min: g.min, max: g.max },
        tuned: null,
      };
    }
    case 'focal-tuned':
    case 'dual-focal-tuned': {
      const { min, max } = TUNED_GAMMA_RANGE;
      const spec = { init: g.gamma, trainable: true, min, max };
      const dual = name === 'dual-focal-tuned';
      const module: GammaLoss = dual ? new DualFocalLoss({ gamma: spec }) : new SoftmaxFocalLoss({ gamma: spec, reduction: 'mean' });
      const ctor = dual ? 'DualFocalLoss' : 'SoftmaxFocalLoss';
      return {
        name, label: `${dual ? 'dual focal' : 'focal'} tuned γ`,
        description: `new ${ctor}({ gamma: { init: ${g.gamma}, min: ${min}, max: ${max} } }), γ tuned by HyperTuner: the hypergradient of the class-balanced cross-entropy on a balanced validation split (carved out of the training data) through one look-ahead step of the model`,
        forward: (logits, y) => module.forward(logits, y),
        parameters: () => [],
        trainableGamma: () => module.gamma,
        gammaBounds: { min, max },
        tuned: module,
      };
    }
  }
}

/** Adam over the model's parameters, plus the loss's own (a trainable γ) in a group with its own lr. */
export function lossAwareAdam(model: Module, loss: ClassificationLoss, lr: number, gammaLr: number): Adam {
  const lossParams = loss.parameters();
  return new Adam([{ params: model.parameters() }, ...(lossParams.length ? [{ params: lossParams, lr: gammaLr }] : [])], { lr });
}
