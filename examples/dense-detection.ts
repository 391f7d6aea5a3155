/**
 * Dense detection, the RetinaNet setting: thousands of anchors per image, each a set
 * of independent binary problems, about one foreground pair in 1000. The same small
 * head is trained with binaryCrossEntropyWithLogits and with sigmoidFocalLoss; we
 * report the average precision of the rare positives and how each loss is spread over
 * easy negatives.
 *
 *   npx tsx examples/dense-detection.ts
 *   npx tsx examples/dense-detection.ts --help
 */
import { Adam, binaryCrossEntropyWithLogits, init, Linear, ReLU, Sequential, sigmoidFocalLoss, type Module } from '@tsgrad/nn';
import { manualSeed, noGrad, tensor, type Tensor } from '@tsgrad/tensor';
import { averagePrecision, precisionRecallCurve } from './lib/average-precision.js';
import { activeBackendName, selectBackend } from './lib/backend.js';
import { takeRows } from './lib/batches.js';
import { precisionRecallChart } from './lib/charts/precision-recall.js';
import { stackedSharesChart } from './lib/charts/stacked-shares.js';
import { trainingCurvesChart } from './lib/charts/training-curves.js';
import { choiceListFlag, integerFlag, numberFlag } from './lib/cli.js';
import { classPrototypes, generateAnchors, type AnchorSet } from './lib/anchor-data.js';
import { checkpointFlags, checkSavePath, readCheckpoint, saveCheckpoints, withCheckpoint } from './lib/checkpoint.js';
import { commonFlags } from './lib/common-flags.js';
import { fit, type EpochRecord } from './lib/fit.js';
import { EASY_NEGATIVE_P, lossSpread, type LossSpread } from './lib/loss-spread.js';
import { runMain } from './lib/main.js';
import { checkOutDir, createOutDir, defaultOutDir } from './lib/output-dir.js';
import { predictLogits } from './lib/predict.js';
import { renderChart } from './lib/render-chart.js';
import { SeededRandom } from './lib/rng.js';
import { commandLine, writeJson, writeMarkdown } from './lib/run-files.js';
import { fmt, formatTable, markdownTable, type Cell, type Column } from './lib/table.js';

const NAME = 'dense-detection';
const LOSSES = ['bce', 'focal'] as const;
type LossName = (typeof LOSSES)[number];
const FEATURES = 16;
const CLASSES = 3;
const ANCHORS_PER_IMAGE = 1000;
const TEST_IMAGES = 40;
const POSITIVE_RATE = 0.001;
const HARD_NEGATIVE_RATE = 0.01;
const SEPARATION = 4;

const program = {
  name: NAME,
  summary:
    `A small detection head (MLP ${FEATURES}→h→${CLASSES} applied to every anchor) on synthetic dense data: ${ANCHORS_PER_IMAGE} anchors per image,\n` +
    `${CLASSES} independent binary problems per anchor, ~1 positive anchor-class pair in ${Math.round(1 / POSITIVE_RATE)}. Trained with\n` +
    'binaryCrossEntropyWithLogits and with sigmoidFocalLoss (both summed and divided by the number of positives, as\n' +
    'RetinaNet does); reports average precision of the positives and the share of each loss that easy negatives make up.',
  flags: {
    ...commonFlags({ example: NAME, losses: LOSSES, epochs: 12, batchSize: 8, lr: 3e-3 }),
    loss: choiceListFlag('Losses to train with, one fresh head each', LOSSES, LOSSES),
    batchSize: integerFlag(`Images per minibatch (${ANCHORS_PER_IMAGE} anchors each)`, 8, { min: 1 }),
    images: integerFlag('Training images', 120, { min: 1, max: 100_000 }),
    hidden: integerFlag('Hidden units of the head', 32, { min: 1, max: 1024 }),
    alpha: numberFlag('sigmoidFocalLoss α (weight of positives; a negative value disables it)', 0.25, { greaterThan: -1, max: 1 }),
    gamma: numberFlag('sigmoidFocalLoss γ', 2, { min: 0, max: 10 }),
    prior: numberFlag('Initial foreground probability π: final bias = −log((1−π)/π), as RetinaNet', 0.01, { greaterThan: 0, max: 0.5 }),
    ...checkpointFlags(),
  },
  epilog: [
    'Examples:',
    '  npx tsx examples/dense-detection.ts',
    '  npx tsx examples/dense-detection.ts --loss focal --gamma 1 --alpha 0.5 --epochs 20',
  ],
};

interface DetectionRun {
  readonly loss: LossName;
  readonly label: string;
  readonly description: string;
  readonly history: EpochRecord[];
  readonly ap: number[];
  readonly meanAp: number;
  readonly pooledAp: number;
  readonly pr: { recall: number; precision: number }[];
  readonly spread: LossSpread;
  readonly seconds: number;
}

runMain(program, async (args) => {
  const outDir = checkOutDir(args.out ?? defaultOutDir(NAME));
  const backend = await selectBackend(args.backend);
  checkSavePath(args.save);
  const started = performance.now();

  const rng = new SeededRandom(args.seed);
  const prototypes = classPrototypes(CLASSES, FEATURES, SEPARATION, rng);
  const dataConfig = { anchorsPerImage: ANCHORS_PER_IMAGE, features: FEATURES, classes: CLASSES, positiveRate: POSITIVE_RATE, hardNegativeRate: HARD_NEGATIVE_RATE };
  const train = generateAnchors({ ...dataConfig, images: args.images }, prototypes, rng);
  const test = generateAnchors({ ...dataConfig, images: TEST_IMAGES }, prototypes, rng);
  const stats = (s: AnchorSet) => {
    const pairs = s.targets.length;
    const positives = s.targets.reduce((a, b) => a + b, 0);
    return { images: s.config.images, anchors: s.kind.length, pairs, positives, positiveRate: positives / pairs, hardNegativeAnchors: s.kind.filter((k) => k === 1).length };
  };
  const trainStats = stats(train), testStats = stats(test);
  process.stderr.write(
    `${NAME}: ${trainStats.anchors} training anchors × ${CLASSES} classes = ${trainStats.pairs} pairs, ${trainStats.positives} positive (1 in ${Math.round(trainStats.pairs / trainStats.positives)}); ` +
      `${testStats.pairs} test pairs, ${testStats.positives} positive; backend ${backend}; seed ${args.seed}\n`,
  );

  const lossFns: Record<LossName, { label: string; description: string; elementwise(logits: Tensor, targets: Tensor): Tensor }> = {
    bce: {
      label: 'BCE',
      description: 'binaryCrossEntropyWithLogits(logits, t, { reduction: \'none\' }), summed and divided by the number of positive pairs in the batch',
      elementwise: (z, t) => binaryCrossEntropyWithLogits(z, t, { reduction: 'none' }),
    },
    focal: {
      label: `focal α=${args.alpha} γ=${args.gamma}`,
      description: `sigmoidFocalLoss(logits, t, { alpha: ${args.alpha}, gamma: ${args.gamma} }) (torchvision's), summed and divided by the number of positive pairs in the batch`,
      elementwise: (z, t) => sigmoidFocalLoss(z, t, { alpha: args.alpha, gamma: args.gamma, reduction: 'none' }),
    },
  };

  const freshHead = (): Module => {
    manualSeed(args.seed);
    const last = new Linear(args.hidden, CLASSES);
    // RetinaNet's prior: every pair starts at p = π, so the first steps are not swamped by background.
    if (last.bias) init.constant(last.bias, -Math.log((1 - args.prior) / args.prior));
    return new Sequential(new Linear(FEATURES, args.hidden), new ReLU(), last);
  };
  const makeHead = withCheckpoint(freshHead, readCheckpoint(args.load, freshHead));

  // Rankings (AP) use the logits themselves: sigmoid is monotone, and float32
  // probabilities would saturate at 1 and create false ties among confident anchors.
  const logitsOf = (head: Module, set: AnchorSet) => {
    head.eval();
    const { logits } = predictLogits(head, set.x, FEATURES, 8192);
    head.train();
    return logits;
  };
  const apPerClass = (scores: Float32Array, set: AnchorSet) =>
    Array.from({ length: CLASSES }, (_, k) => {
      const s = new Float32Array(set.kind.length), t = new Uint8Array(set.kind.length);
      for (let a = 0; a < set.kind.length; a++) {
        s[a] = scores[a * CLASSES + k]!;
        t[a] = set.targets[a * CLASSES + k]!;
      }
      return averagePrecision(s, t);
    });
  const spreadOf = (head: Module, set: AnchorSet, loss: LossName): LossSpread => {
    const logits = logitsOf(head, set);
    let perPair: Float32Array = new Float32Array(0);
    noGrad(() => {
      const z = tensor(logits, { shape: [set.kind.length, CLASSES] });
      perPair = Float32Array.from(lossFns[loss].elementwise(z, tensor(set.targets, { shape: [set.kind.length, CLASSES] })).dataSync());
    });
    return lossSpread(perPair, Float64Array.from(logits, (v) => 1 / (1 + Math.exp(-v))), set.targets);
  };

  const initialHead = makeHead();
  const spreadAtInit = Object.fromEntries(LOSSES.map((l) => [l, spreadOf(initialHead, train, l)])) as Record<LossName, LossSpread>;

  createOutDir(outDir);
  const runs: DetectionRun[] = [];
  const heads: { loss: LossName; model: Module }[] = [];
  for (const loss of args.loss) {
    const head = makeHead();
    heads.push({ loss, model: head });
    const optimizer = new Adam(head.parameters(), { lr: args.lr });
    const fn = lossFns[loss];
    const result = fit({
      label: `[${loss}]`,
      epochs: args.epochs,
      numExamples: args.images,
      batchSize: args.batchSize,
      rng: new SeededRandom(args.seed + 1),
      step(images) {
        const anchors = new Int32Array(images.length * ANCHORS_PER_IMAGE);
        images.forEach((img, i) => { for (let a = 0; a < ANCHORS_PER_IMAGE; a++) anchors[i * ANCHORS_PER_IMAGE + a] = img * ANCHORS_PER_IMAGE + a; });
        const x = tensor(takeRows(train.x, FEATURES, anchors), { shape: [anchors.length, FEATURES] });
        const targets = takeRows(train.targets, CLASSES, anchors);
        const positives = targets.reduce((a, b) => a + b, 0);
        const t = tensor(targets, { shape: [anchors.length, CLASSES] });
        optimizer.zeroGrad();
        const value = fn.elementwise(head.forward(x), t).sum().div(Math.max(1, positives));
        value.backward();
        optimizer.step();
        return value.item();
      },
      displayNames: { testMeanAp: 'test mAP' },
      afterEpoch: () => {
        const ap = apPerClass(logitsOf(head, test), test);
        return { testMeanAp: ap.reduce((a, b) => a + b, 0) / ap.length };
      },
    });
    const scores = logitsOf(head, test);
    const ap = apPerClass(scores, test);
    runs.push({
      loss, label: fn.label, description: fn.description,
      history: result.history,
      ap,
      meanAp: ap.reduce((a, b) => a + b, 0) / ap.length,
      pooledAp: averagePrecision(scores, test.targets),
      pr: precisionRecallCurve(scores, test.targets),
      spread: spreadOf(head, train, loss),
      seconds: result.seconds,
    });
  }

  saveCheckpoints(args.save, heads, { example: NAME, architecture: `Sequential(Linear(${FEATURES}, ${args.hidden}), ReLU, Linear(${args.hidden}, ${CLASSES}))`, seed: String(args.seed) });

  // The all-background baseline: one constant score for every pair, so AP = positive rate.
  const baselineAp = Array.from({ length: CLASSES }, (_, k) => averagePrecision(new Float32Array(test.kind.length), Array.from(test.kind, (_, a) => test.targets[a * CLASSES + k]!)));
  const baselineMeanAp = baselineAp.reduce((a, b) => a + b, 0) / CLASSES;

  // ---------- tables ----------
  const apColumns: Column[] = [
    { header: 'loss' },
    ...Array.from({ length: CLASSES }, (_, k) => ({ header: `AP class ${k}`, align: 'right' as const })),
    { header: 'mAP', align: 'right' }, { header: 'AP pooled', align: 'right' },
    { header: 'easy-neg share of own loss', align: 'right' }, { header: 'positive share', align: 'right' }, { header: 'train s', align: 'right' },
  ];
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const apRows: Cell[][] = runs.map((r) => [
    r.label, ...r.ap.map((v) => fmt(v)), fmt(r.meanAp), fmt(r.pooledAp), pct(r.spread.shareFromEasyNegatives), pct(r.spread.shareFromPositives), r.seconds.toFixed(1),
  ]);
  apRows.push(['constant score (all background)', ...baselineAp.map((v) => fmt(v)), fmt(baselineMeanAp), fmt(testStats.positiveRate), '—', '—', '—']);

  const spreadColumns: Column[] = [
    { header: 'model' }, { header: 'loss measured' },
    { header: 'positives', align: 'right' }, { header: `easy negatives (p < ${EASY_NEGATIVE_P})`, align: 'right' }, { header: 'other negatives', align: 'right' },
    { header: '# easy negatives', align: 'right' }, { header: 'loss of a positive ÷ loss of an easy negative', align: 'right' },
  ];
  const spreadRow = (model: string, loss: LossName, s: LossSpread): Cell[] => [
    model, lossFns[loss].label, pct(s.shareFromPositives), pct(s.shareFromEasyNegatives), pct(s.shareFromOtherNegatives), s.easyNegatives, fmt(s.positiveToEasyNegativeRatio, 0),
  ];
  const spreadRows: Cell[][] = [
    ...LOSSES.map((l) => spreadRow(`initial head (p ≈ ${args.prior} everywhere)`, l, spreadAtInit[l])),
    ...runs.map((r) => spreadRow(`trained with ${r.label}`, r.loss, r.spread)),
  ];

  // ---------- charts ----------
  const context = `${trainStats.pairs} training pairs, 1 positive in ${Math.round(trainStats.pairs / trainStats.positives)}, ${args.epochs} epochs, seed ${args.seed}`;
  const charts = [
    {
      name: 'loss-curves', caption: 'Training loss per epoch (sum over pairs ÷ number of positives), one panel per loss.',
      spec: trainingCurvesChart(runs.flatMap((r) => r.history.map((h) => ({ series: r.label, epoch: h.epoch, value: h.loss }))), { title: 'Training loss per epoch', subtitle: context, yTitle: 'loss ÷ #positives' }),
    },
    {
      name: 'test-map', caption: 'Mean average precision over classes on the test anchors after each epoch (monitoring only).',
      spec: trainingCurvesChart(runs.flatMap((r) => r.history.map((h) => ({ series: r.label, epoch: h.epoch, value: h['testMeanAp'] ?? NaN }))), { title: 'Test mAP per epoch', subtitle: context, yTitle: 'mean average precision', sharedY: true }),
    },
    {
      name: 'precision-recall', caption: 'Precision–recall of all test anchor-class pairs pooled, one curve per loss.',
      spec: precisionRecallChart(runs.flatMap((r) => r.pr.map((p) => ({ series: `${r.label} (AP ${r.pooledAp.toFixed(3)})`, ...p }))), { title: 'Precision–recall of the rare positives (test, pooled)', subtitle: context }),
    },
    {
      name: 'loss-share', caption: `Where each loss comes from on the training pairs: positives, easy negatives (p < ${EASY_NEGATIVE_P}) and other negatives.`,
      spec: stackedSharesChart(
        [
          ...LOSSES.map((l) => ({ bar: `initial head · ${lossFns[l].label}`, s: spreadAtInit[l] })),
          ...runs.map((r) => ({ bar: `trained · ${r.label}`, s: r.spread })),
        ].flatMap(({ bar, s }) => [
          { bar, part: 'positives', share: s.shareFromPositives },
          { bar, part: `easy negatives (p < ${EASY_NEGATIVE_P})`, share: s.shareFromEasyNegatives },
          { bar, part: 'other negatives', share: s.shareFromOtherNegatives },
        ]),
        { title: 'Share of the total training loss by kind of pair', subtitle: context, xTitle: 'share of the summed loss', yTitle: 'model · loss', partTitle: 'pairs' },
      ),
    },
  ];
  for (const c of charts) await renderChart(c.spec, outDir, c.name);

  const wallSeconds = (performance.now() - started) / 1000;
  const command = commandLine(`examples/${NAME}.ts`);
  writeJson(outDir, 'metrics.json', {
    example: NAME,
    command,
    config: {
      losses: args.loss, epochs: args.epochs, batchSizeImages: args.batchSize, lr: args.lr, seed: args.seed, backend: activeBackendName(),
      hidden: args.hidden, alpha: args.alpha, gamma: args.gamma, prior: args.prior,
      model: `Sequential(Linear(${FEATURES}, ${args.hidden}), ReLU, Linear(${args.hidden}, ${CLASSES})), final bias −log((1−π)/π)`,
      normalisation: 'summed loss ÷ number of positive pairs in the batch (RetinaNet)',
    },
    dataset: { ...dataConfig, separation: SEPARATION, train: trainStats, test: testStats },
    baseline: { rule: 'constant score for every pair (all background)', apPerClass: baselineAp, meanAp: baselineMeanAp, pooledAp: testStats.positiveRate },
    lossSpreadAtInit: spreadAtInit,
    results: runs.map((r) => ({
      loss: r.loss, label: r.label, description: r.description,
      test: { apPerClass: r.ap, meanAp: r.meanAp, pooledAp: r.pooledAp },
      lossSpread: r.spread,
      history: r.history,
    })),
    timing: { backend, wallSeconds, trainSeconds: Object.fromEntries(runs.map((r) => [r.loss, r.seconds])) },
    files: ['metrics.json', 'report.md', ...charts.flatMap((c) => [`${c.name}.svg`, `${c.name}.png`])],
  });

  writeMarkdown(outDir, 'report.md', [
    `# Dense detection — ${runs.map((r) => r.label).join(' vs ')}`,
    '',
    `Command: \`${command}\`  `,
    `Date: ${new Date().toISOString()} · backend ${backend} · wall time ${wallSeconds.toFixed(1)} s`,
    '',
    `Data: ${args.images} training and ${TEST_IMAGES} test "images" of ${ANCHORS_PER_IMAGE} anchors; each anchor has ${FEATURES} features and ${CLASSES} independent binary targets. ` +
      `A pair is positive with probability ${POSITIVE_RATE} (training: ${trainStats.positives} positives in ${trainStats.pairs} pairs); ${HARD_NEGATIVE_RATE * 100} % of anchors are hard negatives (a weak copy of a class prototype), the rest pure noise.`,
    '',
    `Model: MLP ${FEATURES}→${args.hidden}→${CLASSES} (ReLU) applied to every anchor, final bias set to −log((1−π)/π) with π = ${args.prior} (RetinaNet's prior), Adam lr ${args.lr}, ${args.batchSize} images per batch, ${args.epochs} epochs, seed ${args.seed}. Both losses start from the same head and see the same batches.`,
    '',
    '## Average precision of the positives (test)',
    '',
    markdownTable(apColumns, apRows),
    '',
    '## How the loss is spread over the training pairs',
    '',
    markdownTable(spreadColumns, spreadRows),
    '',
    '## Losses',
    '',
    ...runs.map((r) => `- **${r.label}**: ${r.description}`),
    '',
    '## Charts',
    '',
    ...charts.flatMap((c) => [`![${c.caption}](${c.name}.png)`, '', `*${c.caption}*`, '']),
  ]);

  process.stdout.write(
    [
      '',
      `Average precision on ${testStats.pairs} test pairs (${testStats.positives} positive):`,
      formatTable(apColumns, apRows),
      '',
      'Share of the summed training loss by kind of pair:',
      formatTable(spreadColumns, spreadRows),
      '',
      `Wrote ${outDir}/ (metrics.json, report.md, ${charts.length * 2} images) in ${wallSeconds.toFixed(1)} s`,
      '',
    ].join('\n'),
  );
});
