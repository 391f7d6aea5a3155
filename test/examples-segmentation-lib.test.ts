/**
 * The segmentation example's parts, in process: the seeded data generator, IoU/mIoU,
 * the nearest upsampling and the network's torch.nn state-dict layout, and the mask
 * figure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manualSeed, randn, tensor } from '@tsgrad/tensor';
import { SeededRandom } from '../examples/lib/rng.js';
import { CHANNELS, classPixelCounts, generateSegmentationSet, SEGMENTATION_CLASSES, SPECK_CLASS } from '../examples/lib/segmentation-data.js';
import { scoreMasks, segmentationScores } from '../examples/lib/segmentation-metrics.js';
import { NearestUpsample, TinyUNet, torchSource } from '../examples/lib/segmentation-model.js';
import { MASK_PALETTE, maskFigureSvg, writeMaskFigure } from '../examples/lib/segmentation-render.js';
import { removeTempDirs, tempDir } from './examples-helpers.js';

afterAll(removeTempDirs);

describe('generateSegmentationSet', () => {
  const set = generateSegmentationSet({ images: 96, size: 32 }, new SeededRandom(5));
  const plane = 32 * 32;

  it('gives images [N, 3, H, W] and int32 masks [N, H, W] of the five classes', () => {
    expect(set.images).toBeInstanceOf(Float32Array);
    expect(set.images.length).toBe(96 * CHANNELS * plane);
    expect(set.masks).toBeInstanceOf(Int32Array);
    expect(set.masks.length).toBe(96 * plane);
    expect(SEGMENTATION_CLASSES).toHaveLength(5);
    expect(set.masks.every((k) => k >= 0 && k < 5)).toBe(true);
    expect(set.images.every(Number.isFinite)).toBe(true);
  });

  it('is deterministic per seed, and different seeds give different images', () => {
    const again = generateSegmentationSet({ images: 96, size: 32 }, new SeededRandom(5));
    expect(Buffer.from(again.images.buffer).equals(Buffer.from(set.images.buffer))).toBe(true);
    expect(Buffer.from(again.masks.buffer).equals(Buffer.from(set.masks.buffer))).toBe(true);
    const other = generateSegmentationSet({ images: 96, size: 32 }, new SeededRandom(6));
    expect(Buffer.from(other.masks.buffer).equals(Buffer.from(set.masks.buffer))).toBe(false);
  });

  it('makes the speck class small and rare: in some images only, well under 1 % of pixels, 3×3 blobs', () => {
    const counts = classPixelCounts(set.masks, 5);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(counts[SPECK_CLASS]! / total).toBeLessThan(0.01);
    for (let k = 1; k < SPECK_CLASS; k++) expect(counts[k]!).toBeGreaterThan(5 * counts[SPECK_CLASS]!);
    expect(counts[0]! / total).toBeGreaterThan(0.6);
    const withSpeck = Array.from({ length: 96 }, (_, i) => set.masks.subarray(i * plane, (i + 1) * plane).includes(SPECK_CLASS)).filter(Boolean).length;
    expect(withSpeck).toBeGreaterThan(96 * 0.2);
    expect(withSpeck).toBeLessThan(96 * 0.6);
    // Each image's specks: 9 or 18 pixels unless two overlap.
    for (let i = 0; i < 96; i++) {
      const n = set.masks.subarray(i * plane, (i + 1) * plane).filter((k) => k === SPECK_CLASS).length;
      expect(n === 0 || (n >= 9 && n <= 18)).toBe(true);
    }
  });

  it('colours objects differently from the background on average, but noisily per pixel', () => {
    const mean = (k: number, c: number) => {
      let s = 0, n = 0;
      for (let i = 0; i < 96; i++) {
        for (let p = 0; p < plane; p++) {
          if (set.masks[i * plane + p] === k) {
            s += set.images[(i * CHANNELS + c) * plane + p]!;
            n++;
          }
        }
      }
      return s / n;
    };
    expect(mean(1, 0)).toBeGreaterThan(mean(0, 0) + 0.4); // discs are red
    expect(mean(2, 1)).toBeGreaterThan(mean(0, 1) + 0.4); // boxes are green
    expect(mean(3, 2)).toBeGreaterThan(mean(0, 2) + 0.4); // bars are blue
    expect(mean(SPECK_CLASS, 0)).toBeGreaterThan(mean(0, 0) + 0.4); // specks are yellow
    expect(mean(SPECK_CLASS, 1)).toBeGreaterThan(mean(0, 1) + 0.4);
  });

  it('rejects a bad size or count', () => {
    expect(() => generateSegmentationSet({ images: 2, size: 8 }, new SeededRandom(0))).toThrow(RangeError);
    expect(() => generateSegmentationSet({ images: -1, size: 16 }, new SeededRandom(0))).toThrow(RangeError);
  });
});

describe('segmentationScores', () => {
  it('computes IoU = TP / (TP + FP + FN), mIoU over defined classes, pixel accuracy and recall', () => {
    // truth:     0 0 0 1 1 2
    // predicted: 0 0 1 1 2 2
    const s = scoreMasks(Int32Array.from([0, 0, 0, 1, 1, 2]), Int32Array.from([0, 0, 1, 1, 2, 2]), 4);
    expect(s.confusion).toEqual([[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]);
    expect(s.iou[0]).toBeCloseTo(2 / 3);
    expect(s.iou[1]).toBeCloseTo(1 / 3);
    expect(s.iou[2]).toBeCloseTo(1 / 2);
    expect(s.iou[3]).toBeNaN(); // neither in the truth nor predicted: left out of the mean
    expect(s.meanIou).toBeCloseTo((2 / 3 + 1 / 3 + 1 / 2) / 3);
    expect(s.foregroundMeanIou).toBeCloseTo((1 / 3 + 1 / 2) / 2);
    expect(s.pixelAccuracy).toBeCloseTo(4 / 6);
    expect(s.recall[0]).toBeCloseTo(2 / 3);
    expect(s.recall[3]).toBeNaN();
    expect(s.support).toEqual([3, 2, 1, 0]);
  });

  it('a class predicted but absent from the truth counts with IoU 0', () => {
    const s = segmentationScores([[3, 1], [0, 0]]);
    expect(s.iou).toEqual([0.75, 0]);
    expect(s.meanIou).toBeCloseTo(0.375);
  });

  it('perfect predictions give 1 everywhere', () => {
    const truth = Int32Array.from([0, 1, 2, 3, 4, 4, 0]);
    const s = scoreMasks(truth, truth, 5);
    expect(s.iou).toEqual([1, 1, 1, 1, 1]);
    expect(s.meanIou).toBe(1);
    expect(s.pixelAccuracy).toBe(1);
  });
});

describe('NearestUpsample and TinyUNet', () => {
  it('repeats every pixel s×s times, and its gradient sums each block', () => {
    const x = tensor([[[[1, 2], [3, 4]]]], { requiresGrad: true });
    const y = new NearestUpsample(2).forward(x);
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(y.toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    const w = tensor(Array.from({ length: 16 }, (_, i) => i), { shape: [1, 1, 4, 4] });
    y.mul(w).sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]]]);
  });

  it('maps [N, 3, H, W] to logits [N, classes, H, W] with torch.nn state-dict names and layouts', () => {
    manualSeed(0);
    const net = new TinyUNet(3, 4, 5);
    expect(net.forward(randn([2, 3, 12, 16])).shape).toEqual([2, 5, 12, 16]);
    const shapes = Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, t.shape]));
    const bn = (prefix: string, c: number) => ({ [`${prefix}.weight`]: [c], [`${prefix}.bias`]: [c], [`${prefix}.running_mean`]: [c], [`${prefix}.running_var`]: [c], [`${prefix}.num_batches_tracked`]: [] });
    expect(shapes).toEqual({
      'enc1.0.weight': [4, 3, 3, 3], 'enc1.0.bias': [4], ...bn('enc1.1', 4),
      'enc2.1.weight': [8, 4, 3, 3], 'enc2.1.bias': [8], ...bn('enc2.2', 8),
      'enc2.4.weight': [8, 8, 3, 3], 'enc2.4.bias': [8], ...bn('enc2.5', 8),
      'dec.0.weight': [4, 12, 3, 3], 'dec.0.bias': [4], ...bn('dec.1', 4),
      'head.weight': [5, 4, 1, 1], 'head.bias': [5],
    });
    const src = torchSource(3, 4, 5);
    for (const name of ['self.enc1 = nn.Sequential', 'self.enc2 = nn.Sequential(nn.MaxPool2d(2)', 'self.dec', 'self.head = nn.Conv2d(w, classes, 1)', 'load_state_dict(load_file(']) expect(src).toContain(name);
  });

  it('rejects odd sides (the network pools by 2)', () => {
    expect(() => new TinyUNet(3, 2, 5).forward(randn([1, 3, 7, 8]))).toThrow(/TinyUNet: argument 'x' expected shape \[N, 3, H, W\] with even H and W, got \[1, 3, 7, 8\]/);
  });
});

describe('mask figure', () => {
  const size = 4;
  const truth = Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 4, 0, 0, 0, 0, 0, 0, 0]);
  const prediction = Int32Array.from([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const figure = {
    title: 'Masks <test>', subtitle: 'tiny', classes: SEGMENTATION_CLASSES, predictionTitles: ['cross-entropy', 'dual focal'],
    rows: [{ label: 'test #0', image: new Float32Array(3 * size * size).fill(0.2), truth, predictions: [prediction, truth] }],
    size, scale: 10,
  };

  it('draws input, truth and one column per prediction, with a legend, escaping text', () => {
    const svg = maskFigureSvg(figure);
    for (const text of ['input', 'ground truth', 'cross-entropy', 'dual focal', 'test #0', ...SEGMENTATION_CLASSES]) expect(svg).toContain(`>${text}</text>`);
    expect(svg).toContain('Masks &lt;test&gt;');
    // Runs of one class per row: the truth has 2+2+2+1 = 7 runs, the prediction 2+2+1+1 = 6, the second prediction (the truth) 7.
    const maskRects = svg.match(new RegExp(`fill="(${MASK_PALETTE.slice(0, 5).join('|')})"/>`, 'g')) ?? [];
    expect(maskRects.length).toBe(7 + 6 + 7);
    expect(svg).toContain(`fill="${MASK_PALETTE[4]}"`); // the speck pixel is drawn in its own colour
    // 16 input pixels, one rect each, all the same grey-ish colour for 0.2.
    expect(svg.match(/fill="rgb\(153,153,153\)"/g)).toHaveLength(16);
  });

  it('writes an SVG and a PNG', () => {
    const dir = tempDir('masks');
    const { svg, png } = writeMaskFigure(figure, dir, 'masks');
    expect(readFileSync(svg, 'utf8')).toContain('<svg');
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(join(dir, 'masks.png')).toBe(png);
  });
});
