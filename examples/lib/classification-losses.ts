/**
 * The four losses the multi-class examples compare, by CLI name. Each is a fresh
 * object per run, so a trainable γ starts from its initial value every time.
 */
import { crossEntropy, dualFocalLoss, DualFocalLoss, softmaxFocalLoss, type Parameter } from '@tsgrad/nn';
import type { Tensor } from '@tsgrad/tensor';

export const CLASSIFICATION_LOSSES = ['ce', 'focal', 'dual-focal', 'dual-focal-trainable'] as const;
export type ClassificationLossName = (typeof CLASSIFICATION_LOSSES)[number];

export interface GammaSettings {
  /** γ of the focal loss, the fixed-γ DFL, and the trainable γ's initial value. */
  readonly gamma: number;
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_GAMMA: GammaSettings = { gamma: 2, min: 0.5, max: 5 };

export interface ClassificationLoss {
  readonly name: ClassificationLossName;
  /** Short human label for tables and legends. */
  readonly label: string;
  /** What exactly is computed (for the report). */
  readonly description: string;
  forward(logits: Tensor, targets: Tensor): Tensor;
  /** The loss's own trainable parameters (the trainable γ), for their own param group. */
  parameters(): Parameter[];
  /** The current γ when it is trainable, else null. */
  trainableGamma(): number | null;
}

export function makeClassificationLoss(name: ClassificationLossName, g: GammaSettings = DEFAULT_GAMMA): ClassificationLoss {
  switch (name) {
    case 'ce':
      return {
        name, label: 'cross-entropy',
        description: 'crossEntropy(logits, y), mean over the batch',
        forward: (logits, y) => crossEntropy(logits, y),
        parameters: () => [], trainableGamma: () => null,
      };
    case 'focal':
      return {
        name, label: `focal γ=${g.gamma}`,
        description: `softmaxFocalLoss(logits, y, { gamma: ${g.gamma}, reduction: 'mean' }) = mean of −(1−p_t)^γ log p_t (no α weighting)`,
        forward: (logits, y) => softmaxFocalLoss(logits, y, { gamma: g.gamma, reduction: 'mean' }),
        parameters: () => [], trainableGamma: () => null,
      };
    case 'dual-focal':
      return {
        name, label: `dual focal γ=${g.gamma}`,
        description: `dualFocalLoss(logits, y, { gamma: ${g.gamma} }) with α = β = ρ = 1`,
        forward: (logits, y) => dualFocalLoss(logits, y, { gamma: g.gamma }),
        parameters: () => [], trainableGamma: () => null,
      };
    case 'dual-focal-trainable': {
      const dfl = new DualFocalLoss({ gamma: { init: g.gamma, trainable: true, min: g.min, max: g.max } });
      return {
        name, label: 'dual focal trainable γ',
        description: `new DualFocalLoss({ gamma: { init: ${g.gamma}, trainable: true, min: ${g.min}, max: ${g.max} } }), γ in its own Adam param group`,
        forward: (logits, y) => dfl.forward(logits, y),
        parameters: () => dfl.parameters(),
        trainableGamma: () => dfl.gamma,
      };
    }
  }
}
