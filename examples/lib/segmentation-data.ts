/**
 * A seeded synthetic semantic-segmentation set, generated in the repo: RGB images
 * [N, 3, H, W] of shapes on a textured background, with int32 masks [N, H, W] of
 * class indices. Four object classes on top of the background:
 *
 *   disc   filled circles, radius 12–22 % of the side
 *   box    filled axis-aligned squares
 *   bar    thin horizontal or vertical bars
 *   speck  tiny 3×3 squares, in only some images — the small, rare class (about
 *          1 % of the pixels at 24×24, 0.45 % at 32×32; the others 4–6 % each, the
 *          background 83–86 %), the case Dual Focal Loss was made for
 *
 * Every class has its own mean colour, but each object's shade is jittered, the
 * background is a coloured grating with random orientation, frequency and colours,
 * and every pixel gets Gaussian noise, so a single pixel is ambiguous and the network
 * must look at its neighbourhood. Later objects occlude earlier ones; specks are drawn
 * last. The same seed gives the same images, bit for bit.
 */
import type { SeededRandom } from './rng.js';

export const SEGMENTATION_CLASSES = ['background', 'disc', 'box', 'bar', 'speck'] as const;
export const SPECK_CLASS = 4;
export const CHANNELS = 3;

/** Mean RGB of each object class in [−1, 1] (index 0, the background, is drawn as a texture instead). */
const CLASS_COLOUR: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [0.85, -0.45, -0.35],
  [-0.4, 0.8, -0.3],
  [-0.35, -0.3, 0.85],
  [0.9, 0.85, -0.6],
];

export interface SegmentationDataOptions {
  readonly images: number;
  /** Height = width in pixels (≥ 12). */
  readonly size: number;
  /** Probability that an image has specks (default 0.4). */
  readonly speckRate?: number;
  /** Standard deviation of the per-pixel noise (default 0.3). */
  readonly noise?: number;
}

export interface SegmentationSet {
  /** Row-major [N, 3, H, W]. */
  readonly images: Float32Array;
  /** Row-major [N, H, W], class indices. */
  readonly masks: Int32Array;
  readonly count: number;
  readonly size: number;
}

/** Draws `opts.images` images and masks from `rng`. */
export function generateSegmentationSet(opts: SegmentationDataOptions, rng: SeededRandom): SegmentationSet {
  const { images: n, size } = opts;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`generateSegmentationSet: images must be an integer ≥ 0, got ${n}`);
  if (!Number.isInteger(size) || size < 12) throw new RangeError(`generateSegmentationSet: size must be an integer ≥ 12, got ${size}`);
  const speckRate = opts.speckRate ?? 0.4;
  const noise = opts.noise ?? 0.3;
  const plane = size * size;
  const images = new Float32Array(n * CHANNELS * plane);
  const masks = new Int32Array(n * plane);
  const shade = new Float32Array(plane);
  for (let i = 0; i < n; i++) {
    const mask = masks.subarray(i * plane, (i + 1) * plane);
    shade.fill(1);
    drawObjects(mask, shade, size, rng, speckRate);

    // Background: a grating of two random colours at a random angle and period.
    const angle = rng.uniform(0, Math.PI);
    const period = rng.uniform(3, 9);
    const phase = rng.uniform(0, 2 * Math.PI);
    const colourA = [0, 1, 2].map(() => rng.uniform(-0.5, 0.5));
    const colourB = [0, 1, 2].map(() => rng.uniform(-0.5, 0.5));
    const cos = Math.cos(angle), sin = Math.sin(angle);
    // Per-object colour jitter: one shade per class per image.
    const jitter = CLASS_COLOUR.map(() => [0, 1, 2].map(() => rng.uniform(-0.2, 0.2)));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = y * size + x;
        const k = mask[p]!;
        const wave = 0.5 + 0.5 * Math.sin((2 * Math.PI * (x * cos + y * sin)) / period + phase);
        for (let c = 0; c < CHANNELS; c++) {
          const value = k === 0
            ? colourA[c]! * wave + colourB[c]! * (1 - wave)
            : (CLASS_COLOUR[k]![c]! + jitter[k]![c]!) * shade[p]! + 0.25 * (wave - 0.5);
          images[((i * CHANNELS + c) * size + y) * size + x] = value + noise * rng.normal();
        }
      }
    }
  }
  return { images, masks, count: n, size };
}

function drawObjects(mask: Int32Array, shade: Float32Array, size: number, rng: SeededRandom, speckRate: number): void {
  const objects = 1 + rng.int(3);
  for (let o = 0; o < objects; o++) {
    const kind = 1 + rng.int(3);
    const brightness = rng.uniform(0.75, 1.15);
    if (kind === 1) {
      const r = rng.uniform(0.12, 0.22) * size;
      const cx = rng.uniform(r, size - r), cy = rng.uniform(r, size - r);
      fill(mask, shade, size, 1, brightness, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);
    } else if (kind === 2) {
      const side = Math.round(rng.uniform(0.2, 0.38) * size);
      const x0 = rng.int(size - side + 1), y0 = rng.int(size - side + 1);
      fill(mask, shade, size, 2, brightness, (x, y) => x >= x0 && x < x0 + side && y >= y0 && y < y0 + side);
    } else {
      const length = Math.round(rng.uniform(0.45, 0.8) * size);
      const width = 2 + rng.int(2);
      const horizontal = rng.next() < 0.5;
      const [w, h] = horizontal ? [length, width] : [width, length];
      const x0 = rng.int(size - w + 1), y0 = rng.int(size - h + 1);
      fill(mask, shade, size, 3, brightness, (x, y) => x >= x0 && x < x0 + w && y >= y0 && y < y0 + h);
    }
  }
  if (rng.next() < speckRate) {
    const specks = 1 + rng.int(2);
    for (let s = 0; s < specks; s++) {
      const cx = 1 + rng.int(size - 2), cy = 1 + rng.int(size - 2);
      fill(mask, shade, size, SPECK_CLASS, rng.uniform(0.9, 1.1), (x, y) => Math.abs(x - cx) <= 1 && Math.abs(y - cy) <= 1);
    }
  }
}

function fill(mask: Int32Array, shade: Float32Array, size: number, k: number, brightness: number, inside: (x: number, y: number) => boolean): void {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (inside(x, y)) {
        mask[y * size + x] = k;
        shade[y * size + x] = brightness;
      }
    }
  }
}

/** Pixels per class over a set of masks. */
export function classPixelCounts(masks: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const k of masks) counts[k]!++;
  return counts;
}
