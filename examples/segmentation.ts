/**
 * Semantic segmentation, the task the Dual Focal Loss was proposed for: a small fully
 * convolutional network (conv, batch norm, max pooling, nearest upsampling, one skip
 * connection) labels every pixel of synthetic images — shapes on a textured
 * background, with one small and rare class — trained with cross-entropy, softmax
 * focal loss and Dual Focal loss (fixed and trainable γ) on [N, C, H, W] logits.
 * Reports per-class IoU and mIoU on held-out images, prediction masks next to the
 * ground truth, and loss curves.
 *
 *   npx tsx examples/segmentation.ts
 *   npx tsx examples/segmentation.ts --help
 */
import { activeBackendName, selectBackend } from './lib/backend.js';
import { gammaTrajectoryChart } from './lib/charts/gamma-trajectory.js';
import { perClassBarsChart } from './lib/charts/per-class-bars.js';
import { trainingCurvesChart } from './lib/charts/training-curves.js';
import { checkpointFlags, checkSavePath, readCheckpoint, saveCheckpoints, withCheckpoint } from './lib/checkpoint.js';
import { choiceListFlag, integerFlag, UsageError } from './lib/cli.js';
import { DEFAULT_GAMMA } from './lib/classification-losses.js';
import { commonFlags, gammaLrFlag } from './lib/common-flags.js';
import { runMain } from './lib/main.js';
import { checkOutDir, createOutDir, defaultOutDir } from './lib/output-dir.js';
import { renderChart } from './lib/render-chart.js';
import { SeededRandom } from './lib/rng.js';
import { commandLine, writeJson, writeMarkdown } from './lib/run-files.js';
import { CHANNELS, classPixelCounts, generateSegmentationSet, SEGMENTATION_CLASSES, SPECK_CLASS } from './lib/segmentation-data.js';
import { scoreMasks } from './lib/segmentation-metrics.js';
import { describeTinyUNet, TinyUNet, torchSource } from './lib/segmentation-model.js';
import { writeMaskFigure } from './lib/segmentation-render.js';
import { fmt, formatTable, markdownTable, type Cell, type Column } from './lib/table.js';
import { trainSegmenter, type SegmenterRun } from './lib/train-segmenter.js';

const NAME = 'segmentation';
const LOSSES = ['ce', 'focal', 'dual-focal', 'dual-focal-trainable'] as const;
const TEST_IMAGES = 64;
const MASK_ROWS = 6;
const CLASSES = SEGMENTATION_CLASSES.length;

const program = {
  name: NAME,
  summary:
    'Train one small fully convolutional network (a two-level U-Net: conv, batch norm, max pooling, nearest upsampling)\n' +
    'per loss (cross-entropy, focal, Dual Focal with fixed and with trainable γ) on synthetic segmentation images —\n' +
    `discs, boxes and bars on a textured background plus a small, rare "speck" class; report per-class IoU and mIoU on\n` +
    `${TEST_IMAGES} held-out images, and draw the predicted masks next to the ground truth.`,
  flags: {
    ...commonFlags({ example: NAME, losses: LOSSES, epochs: 14, batchSize: 8, lr: 1e-2 }),
    loss: choiceListFlag('Losses to train with, one fresh network each', LOSSES, LOSSES),
    images: integerFlag('Training images', 192, { min: 1, max: 20_000 }),
    size: integerFlag('Image side in pixels (even)', 24, { min: 12, max: 256 }),
    width: integerFlag('Channels of the first layer (the network is w, 2w, w channels wide)', 8, { min: 1, max: 256 }),
    gammaLr: gammaLrFlag(),
    ...checkpointFlags(),
  },
  epilog: [
    'Examples:',
    '  npx tsx examples/segmentation.ts                                # all four losses',
    '  npx tsx examples/segmentation.ts --loss ce,dual-focal --epochs 20 --save runs/seg.safetensors',
    '  npx tsx examples/segmentation.ts --loss ce --load runs/seg-ce.safetensors --epochs 5',
  ],
};

runMain(program, async (args) => {
  if (args.size % 2 !== 0) throw new UsageError(`--size must be an even integer from 12 to 256 (the network pools by 2); got '${args.size}'`);
  const outDir = checkOutDir(args.out ?? defaultOutDir(NAME));
  checkSavePath(args.save);
  const backend = await selectBackend(args.backend);
  const started = performance.now();
  const gamma = DEFAULT_GAMMA;
  const makeModel = () => new TinyUNet(CHANNELS, args.width, CLASSES);
  const loaded = readCheckpoint(args.load, makeModel);

  const rng = new SeededRandom(args.seed);
  const train = generateSegmentationSet({ images: args.images, size: args.size }, rng);
  const test = generateSegmentationSet({ images: TEST_IMAGES, size: args.size }, rng);
  const trainPixels = classPixelCounts(train.masks, CLASSES);
  const testPixels = classPixelCounts(test.masks, CLASSES);
  const share = (counts: number[], k: number) => counts[k]! / counts.reduce((a, b) => a + b, 0);
  process.stderr.write(
    `${NAME}: ${train.count} training images ${args.size}×${args.size} (speck pixels ${(100 * share(trainPixels, SPECK_CLASS)).toFixed(2)} %), ${test.count} test images; backend ${backend}; seed ${args.seed}\n`,
  );

  createOutDir(outDir);
  const runs: SegmenterRun[] = [];
  for (const loss of args.loss) {
    runs.push(
      trainSegmenter({
        loss, gamma,
        makeModel: withCheckpoint(makeModel, loaded),
        numClasses: CLASSES,
        train, test,
        epochs: args.epochs,
        batchSize: args.batchSize,
        lr: args.lr,
        gammaLr: args.gammaLr,
        seed: args.seed,
        watchClass: SPECK_CLASS,
      }),
    );
  }
  const saved = saveCheckpoints(args.save, runs, { example: NAME, architecture: describeTinyUNet(CHANNELS, args.width, CLASSES), seed: String(args.seed) });

  // The all-background baseline: IoU of the background = its pixel share, every other class 0.
  const baseline = scoreMasks(test.masks, new Int32Array(test.masks.length), CLASSES);

  // ---------- tables ----------
  const iouColumns: Column[] = [
    { header: 'loss' },
    ...SEGMENTATION_CLASSES.map((c) => ({ header: `IoU ${c}`, align: 'right' as const })),
    { header: 'mIoU', align: 'right' }, { header: 'mIoU fg', align: 'right' }, { header: 'pixel acc', align: 'right' },
    { header: 'recall speck', align: 'right' }, { header: 'train s', align: 'right' },
  ];
  const row = (label: string, s: typeof baseline, seconds: string): Cell[] => [
    label, ...s.iou.map((v) => fmt(v)), fmt(s.meanIou), fmt(s.foregroundMeanIou), fmt(s.pixelAccuracy), fmt(s.recall[SPECK_CLASS]!), seconds,
  ];
  const iouRows: Cell[][] = [...runs.map((r) => row(r.label, r.test, r.seconds.toFixed(1))), row('all background', baseline, '—')];
  const dataColumns: Column[] = [{ header: 'class' }, { header: 'train pixels', align: 'right' }, { header: 'train share', align: 'right' }, { header: 'test pixels', align: 'right' }, { header: 'test share', align: 'right' }];
  const dataRows: Cell[][] = SEGMENTATION_CLASSES.map((c, k) => [c, trainPixels[k]!, `${(100 * share(trainPixels, k)).toFixed(2)} %`, testPixels[k]!, `${(100 * share(testPixels, k)).toFixed(2)} %`]);

  // ---------- charts and masks ----------
  const context = `${train.count} training images ${args.size}×${args.size}, speck ${(100 * share(trainPixels, SPECK_CLASS)).toFixed(2)} % of pixels, ${args.epochs} epochs, seed ${args.seed}`;
  const charts = [
    {
      name: 'loss-curves', caption: 'Mean training loss per epoch, one panel per loss (each on its own scale).',
      spec: trainingCurvesChart(runs.flatMap((r) => r.history.map((h) => ({ series: r.label, epoch: h.epoch, value: h.loss }))), { title: 'Training loss per epoch', subtitle: context, yTitle: 'mean training loss' }),
    },
    {
      name: 'test-miou', caption: 'Mean IoU over the classes on the held-out images after each epoch (monitoring only).',
      spec: trainingCurvesChart(runs.flatMap((r) => r.history.map((h) => ({ series: r.label, epoch: h.epoch, value: h['testMeanIou'] ?? NaN }))), { title: 'Test mIoU per epoch', subtitle: context, yTitle: 'mIoU', sharedY: true }),
    },
    {
      name: 'iou-per-class', caption: 'Per-class IoU on the held-out images; speck is the small, rare class.',
      spec: perClassBarsChart(runs.flatMap((r) => r.test.iou.map((v, k) => ({ className: SEGMENTATION_CLASSES[k]!, series: r.label, value: Number.isNaN(v) ? 0 : v }))), { title: 'Per-class IoU (held-out images)', subtitle: context, yTitle: 'IoU', xTitle: 'class' }),
    },
  ];
  const trainable = runs.filter((r) => r.gammaTrajectory.length > 0);
  if (trainable.length) {
    charts.push({
      name: 'gamma-trajectory', caption: `The trainable γ of the Dual Focal loss over optimiser steps, inside its bounds [${gamma.min}, ${gamma.max}].`,
      spec: gammaTrajectoryChart(trainable.flatMap((r) => r.gammaTrajectory.map((p) => ({ series: r.label, step: p.step, gamma: p.gamma }))), { min: gamma.min, max: gamma.max, init: gamma.gamma }, { title: 'Trainable γ during training', subtitle: context }),
    });
  }
  for (const c of charts) await renderChart(c.spec, outDir, c.name);

  // Images with specks first (the rare class is what the figure is about), then the rest, in order.
  const plane = args.size * args.size;
  const hasSpeck = (i: number) => test.masks.subarray(i * plane, (i + 1) * plane).includes(SPECK_CLASS);
  const indices = Array.from({ length: test.count }, (_, i) => i);
  const shown = [...indices.filter(hasSpeck).slice(0, Math.ceil(MASK_ROWS / 2)), ...indices.filter((i) => !hasSpeck(i))].slice(0, MASK_ROWS).sort((a, b) => a - b);
  const scale = Math.max(2, Math.round(160 / args.size));
  writeMaskFigure({
    title: 'Predicted masks next to the ground truth (held-out images)',
    subtitle: context,
    classes: SEGMENTATION_CLASSES,
    predictionTitles: runs.map((r) => r.label),
    rows: shown.map((i) => ({
      label: `test #${i}`,
      image: test.images.subarray(i * CHANNELS * plane, (i + 1) * CHANNELS * plane),
      truth: test.masks.subarray(i * plane, (i + 1) * plane),
      predictions: runs.map((r) => r.predicted.subarray(i * plane, (i + 1) * plane)),
    })),
    size: args.size,
    scale,
  }, outDir, 'masks');
  const images = [...charts.map((c) => ({ name: c.name, caption: c.caption })), { name: 'masks', caption: 'Input, ground truth and each loss\'s predicted mask for held-out images (those with specks first).' }];

  // ---------- files ----------
  const wallSeconds = (performance.now() - started) / 1000;
  const command = commandLine(`examples/${NAME}.ts`);
  const architecture = describeTinyUNet(CHANNELS, args.width, CLASSES);
  writeJson(outDir, 'metrics.json', {
    example: NAME,
    command,
    config: {
      losses: args.loss, epochs: args.epochs, batchSize: args.batchSize, lr: args.lr, gammaLr: args.gammaLr, seed: args.seed, backend: activeBackendName(),
      images: args.images, size: args.size, width: args.width, gamma, model: architecture, load: args.load, save: args.save,
    },
    dataset: { source: 'synthetic (examples/lib/segmentation-data.ts)', classes: SEGMENTATION_CLASSES, trainImages: train.count, testImages: test.count, trainPixels, testPixels },
    baseline: { rule: 'predict background everywhere', iou: baseline.iou, meanIou: baseline.meanIou, pixelAccuracy: baseline.pixelAccuracy },
    results: runs.map((r) => ({
      loss: r.loss, label: r.label, description: r.description,
      test: { iou: r.test.iou, meanIou: r.test.meanIou, foregroundMeanIou: r.test.foregroundMeanIou, pixelAccuracy: r.test.pixelAccuracy, recall: r.test.recall, confusion: r.test.confusion },
      history: r.history,
      gammaTrajectory: r.gammaTrajectory,
      steps: r.steps,
    })),
    checkpoints: saved,
    timing: { backend, wallSeconds, trainSeconds: Object.fromEntries(runs.map((r) => [r.loss, r.seconds])) },
    files: ['metrics.json', 'report.md', ...images.flatMap((i) => [`${i.name}.svg`, `${i.name}.png`])],
  });

  const gammaLines = trainable.map((r) => `${r.label}: γ ${r.gammaTrajectory[0]!.gamma.toFixed(2)} → ${r.gammaTrajectory[r.gammaTrajectory.length - 1]!.gamma.toFixed(2)} after ${r.steps} steps (bounds [${gamma.min}, ${gamma.max}])`);
  writeMarkdown(outDir, 'report.md', [
    `# Semantic segmentation — ${runs.map((r) => r.label).join(' vs ')}`,
    '',
    `Command: \`${command}\`  `,
    `Date: ${new Date().toISOString()} · backend ${backend} · wall time ${wallSeconds.toFixed(1)} s`,
    '',
    `Model: ${architecture}; Adam lr ${args.lr} (the trainable γ in its own param group, lr ${args.gammaLr}), both cosine-annealed to 0 over the epochs, batch ${args.batchSize} images, ${args.epochs} epochs, seed ${args.seed}. Every loss starts from the same initial weights${args.load ? ` (loaded from ${args.load})` : ''} and sees the same batch order. Logits are [N, ${CLASSES}, ${args.size}, ${args.size}], targets int32 [N, ${args.size}, ${args.size}].`,
    '',
    `Data: ${train.count} training and ${test.count} held-out synthetic images (examples/lib/segmentation-data.ts): discs, boxes and bars on a coloured grating with per-pixel noise; specks are 3×3 squares in about 40 % of the images.`,
    '',
    '## Pixels per class',
    '',
    markdownTable(dataColumns, dataRows),
    '',
    '## IoU on the held-out images',
    '',
    markdownTable(iouColumns, iouRows),
    '',
    'mIoU is the mean over the classes present in the truth or the predictions; mIoU fg leaves out the background.',
    '',
    ...(gammaLines.length ? ['## Trainable γ', '', ...gammaLines.map((l) => `- ${l}`), ''] : []),
    '## Losses',
    '',
    ...runs.map((r) => `- **${r.label}**: ${r.description}`),
    '',
    ...(saved.length
      ? ['## Saved models', '', ...saved.map((s) => `- ${s.loss}: \`${s.path}\``), '', 'Load one in PyTorch (same architecture, torch.nn names):', '', '```python', torchSource(CHANNELS, args.width, CLASSES), '```', '']
      : []),
    '## Charts',
    '',
    ...images.flatMap((i) => [`![${i.caption}](${i.name}.png)`, '', `*${i.caption}*`, '']),
  ]);

  process.stdout.write(
    [
      '',
      `IoU on ${test.count} held-out images (${test.count * plane} pixels):`,
      formatTable(iouColumns, iouRows),
      '',
      ...(gammaLines.length ? [...gammaLines, ''] : []),
      `Wrote ${outDir}/ (metrics.json, report.md, ${images.length * 2} images) in ${wallSeconds.toFixed(1)} s`,
      '',
    ].join('\n'),
  );
});
