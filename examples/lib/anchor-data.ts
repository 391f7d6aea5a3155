/**
 * Synthetic dense detection, the RetinaNet setting without the image: every "image"
 * has many anchors, each anchor a feature vector and K independent binary questions
 * ("is this anchor an object of class k?"), with about one positive per 1000
 * anchor-class pairs. Most anchors are easy background (pure noise); a few are hard
 * negatives that partly overlap an object (a weak copy of a class prototype); the
 * positives carry a strong, noisy copy of their class's prototype.
 */
import type { SeededRandom } from './rng.js';

/** What an anchor is, for the loss-spread analysis. */
export const ANCHOR_KIND = { background: 0, hardNegative: 1, positive: 2 } as const;

export interface AnchorDataConfig {
  readonly images: number;
  readonly anchorsPerImage: number;
  readonly features: number;
  readonly classes: number;
  /** Probability that an anchor is a positive of a given class (so ~rate·K positive anchors). */
  readonly positiveRate: number;
  /** Probability that an anchor is a hard negative (a weak copy of a random class prototype). */
  readonly hardNegativeRate: number;
}

export interface AnchorSet {
  readonly config: AnchorDataConfig;
  /** Row-major [images·anchors, features]. */
  readonly x: Float32Array;
  /** Row-major [images·anchors, classes], 0/1. */
  readonly targets: Float32Array;
  /** ANCHOR_KIND per anchor. */
  readonly kind: Uint8Array;
}

/** Class prototypes: random directions of length `separation` (shared by train and test). */
export function classPrototypes(classes: number, features: number, separation: number, rng: SeededRandom): Float32Array[] {
  return Array.from({ length: classes }, () => {
    const v = Float32Array.from({ length: features }, () => rng.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => (x / norm) * separation);
  });
}

export function generateAnchors(config: AnchorDataConfig, prototypes: readonly Float32Array[], rng: SeededRandom): AnchorSet {
  const n = config.images * config.anchorsPerImage;
  const D = config.features, K = config.classes;
  const x = new Float32Array(n * D);
  const targets = new Float32Array(n * K);
  const kind = new Uint8Array(n);
  for (let a = 0; a < n; a++) {
    for (let d = 0; d < D; d++) x[a * D + d] = rng.normal();
    const u = rng.next();
    let cls = -1, strength = 0;
    if (u < config.positiveRate * K) {
      cls = Math.floor(u / config.positiveRate);
      strength = rng.uniform(0.6, 1.2);
      kind[a] = ANCHOR_KIND.positive;
      targets[a * K + cls] = 1;
    } else if (u < config.positiveRate * K + config.hardNegativeRate) {
      cls = rng.int(K);
      strength = rng.uniform(0.3, 0.6);
      kind[a] = ANCHOR_KIND.hardNegative;
    }
    if (cls >= 0) {
      const p = prototypes[cls]!;
      for (let d = 0; d < D; d++) x[a * D + d] += strength * p[d]!;
    }
  }
  return { config, x, targets, kind };
}
