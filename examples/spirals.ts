/**
 * Spirals: K interleaved 2-D spiral arms, one of them rare in training, learnt by a
 * small MLP with each loss; a decision-region image per loss shows where the rare arm
 * wins space (or does not).
 *
 *   npx tsx examples/spirals.ts
 *   npx tsx examples/spirals.ts --help
 */
import { Linear, ReLU, Sequential } from '@tsgrad/nn';
import { activeBackendName, selectBackend } from './lib/backend.js';
import { decisionRegionsChart } from './lib/charts/decision-regions.js';
import { checkpointFlags, checkSavePath, readCheckpoint, saveCheckpoints, withCheckpoint } from './lib/checkpoint.js';
import { integerFlag, numberFlag, UsageError } from './lib/cli.js';
import { CLASSIFICATION_LOSSES, DEFAULT_CLASSIFICATION_LOSSES, DEFAULT_GAMMA } from './lib/classification-losses.js';
import { writeClassificationOutputs } from './lib/classification-outputs.js';
import { majorityBaseline, type NamedChart } from './lib/classification-report.js';
import { commonFlags, gammaLrFlag, tuningFlags } from './lib/common-flags.js';
import { decisionGrid } from './lib/decision-grid.js';
import { runMain } from './lib/main.js';
import { checkOutDir, createOutDir, defaultOutDir } from './lib/output-dir.js';
import { SeededRandom } from './lib/rng.js';
import { shuffleSet, spiralPoints } from './lib/spiral-data.js';
import { trainClassifier, type ClassifierRun } from './lib/train-classifier.js';
import { tuningSplit } from './lib/tuning-split.js';

const NAME = 'spirals';
const TRAIN_PER_ARM = 400;
const TEST_PER_ARM = 200;
const GRID = 70;

const program = {
  name: NAME,
  summary:
    'Train one MLP per loss on interleaved 2-D spiral arms where one arm is rare in training; report per-class\n' +
    `metrics on a balanced test set (${TEST_PER_ARM} points per arm) and draw each model's decision regions.`,
  flags: {
    ...commonFlags({ example: NAME, losses: CLASSIFICATION_LOSSES, defaultLosses: DEFAULT_CLASSIFICATION_LOSSES, epochs: 60, batchSize: 64, lr: 1e-2 }),
    arms: integerFlag('Number of spiral arms (classes)', 4, { min: 2, max: 8 }),
    rareArm: integerFlag('Which arm is rare in training (0-based; must be < --arms)', 3, { min: 0, max: 7 }),
    keep: numberFlag(`Fraction of the rare arm's ${TRAIN_PER_ARM} training points kept`, 0.025, { greaterThan: 0, max: 1 }),
    hidden: integerFlag('Hidden units of both hidden layers of the MLP 2→h→h→arms', 64, { min: 1, max: 1024 }),
    gammaLr: gammaLrFlag(),
    ...tuningFlags(3),
    ...checkpointFlags(),
  },
  epilog: [
    'Examples:',
    '  npx tsx examples/spirals.ts                                  # ce, focal, dual-focal, dual-focal-trainable',
    '  npx tsx examples/spirals.ts --loss ce,dual-focal-tuned,focal-tuned   # γ tuned on a validation split',
    '  npx tsx examples/spirals.ts --loss ce,focal --arms 3 --rare-arm 0 --keep 0.02',
  ],
};

runMain(program, async (args) => {
  if (args.rareArm >= args.arms) throw new UsageError(`--rare-arm must be an integer from 0 to ${args.arms - 1} (--arms ${args.arms}); got '${args.rareArm}'`);
  const outDir = checkOutDir(args.out ?? defaultOutDir(NAME));
  const backend = await selectBackend(args.backend);
  const mlp = () => new Sequential(new Linear(2, args.hidden), new ReLU(), new Linear(args.hidden, args.hidden), new ReLU(), new Linear(args.hidden, args.arms));
  checkSavePath(args.save);
  const loaded = readCheckpoint(args.load, mlp);
  const started = performance.now();
  const gamma = DEFAULT_GAMMA;
  const classNames = Array.from({ length: args.arms }, (_, k) => `arm ${k}`);

  const rng = new SeededRandom(args.seed);
  const trainCounts = classNames.map((_, k) => (k === args.rareArm ? Math.max(2, Math.round(TRAIN_PER_ARM * args.keep)) : TRAIN_PER_ARM));
  const fullTrain = shuffleSet(spiralPoints(trainCounts, rng), rng);
  const test = shuffleSet(spiralPoints(classNames.map(() => TEST_PER_ARM), rng), rng);
  const { train, val, note: valNote } = tuningSplit(args.loss, fullTrain, 2, args.arms, args.valPerClass, args.seed);
  process.stderr.write(
    `${NAME}: ${train.y.length} training points (rare arm ${args.rareArm}: ${trainCounts[args.rareArm]}), ${test.y.length} balanced test points; backend ${backend}; seed ${args.seed}\n`,
  );

  createOutDir(outDir);
  const runs: ClassifierRun[] = [];
  for (const loss of args.loss) {
    runs.push(
      trainClassifier({
        loss, gamma,
        makeModel: withCheckpoint(mlp, loaded),
        features: 2,
        numClasses: args.arms,
        train, test,
        epochs: args.epochs,
        batchSize: args.batchSize,
        lr: args.lr,
        gammaLr: args.gammaLr,
        seed: args.seed,
        val, tuneEvery: args.tuneEvery, hyperLr: args.hyperLr,
      }),
    );
  }

  const points = Array.from(train.y, (label, i) => ({ x: train.x[2 * i]!, y: train.x[2 * i + 1]!, label: classNames[label]! }));
  saveCheckpoints(args.save, runs, { example: NAME, architecture: `Sequential(Linear(2, ${args.hidden}), ReLU, Linear(${args.hidden}, ${args.hidden}), ReLU, Linear(${args.hidden}, ${args.arms}))`, seed: String(args.seed) });

  const regionCharts: NamedChart[] = runs.map((r) => ({
    name: `decision-regions-${r.loss}`,
    caption: `Decision regions of the model trained with ${r.label} (shaded: predicted arm; dots: training points, arm ${args.rareArm} is rare).`,
    spec: decisionRegionsChart(decisionGrid(r.model, { min: -1.15, max: 1.15 }, GRID, classNames), points, {
      title: `Decision regions — ${r.label}`,
      subtitle: `rare ${classNames[args.rareArm]} (${trainCounts[args.rareArm]} training points) · test recall ${r.test.perClass[args.rareArm]!.recall.toFixed(2)} · balanced acc ${r.test.balancedAccuracy.toFixed(2)}`,
      classes: classNames,
    }),
  }));

  await writeClassificationOutputs({
    example: NAME,
    title: `Spirals with a rare arm — ${runs.map((r) => r.label).join(' vs ')}`,
    outDir, backend, started, runs, classNames, gamma, train, test,
    baseline: majorityBaseline(train.y, test.y, args.arms),
    rare: [args.rareArm],
    context: `${args.arms} spiral arms, arm ${args.rareArm} at ${(args.keep * 100).toFixed(1)} %, ${args.epochs} epochs, seed ${args.seed}`,
    setup: [
      `Model: MLP 2→${args.hidden}→${args.hidden}→${args.arms} (ReLU), Adam lr ${args.lr} (the trainable γ in its own param group, lr ${args.gammaLr}), batch ${args.batchSize}, ${args.epochs} epochs, seed ${args.seed}. Every loss starts from the same initial weights and sees the same batch order.`,
      `Data: ${args.arms} interleaved spiral arms (one turn each, angular noise). Training: ${TRAIN_PER_ARM} points per arm except arm ${args.rareArm} with ${trainCounts[args.rareArm]}; test: ${TEST_PER_ARM} per arm, drawn independently.`,
      ...(valNote ? [`${valNote} Tuned γ: a hyper-step every ${args.tuneEvery} model steps, Adam lr ${args.hyperLr} on θ.`] : []),
    ],
    config: {
      losses: args.loss, epochs: args.epochs, batchSize: args.batchSize, lr: args.lr, gammaLr: args.gammaLr,
      seed: args.seed, backend: activeBackendName(), hidden: args.hidden, arms: args.arms, rareArm: args.rareArm, keepFraction: args.keep, gamma,
      ...(val ? { valPerClass: val.y.length / args.arms, tuneEvery: args.tuneEvery, hyperLr: args.hyperLr } : {}),
      model: `Sequential(Linear(2, ${args.hidden}), ReLU, Linear(${args.hidden}, ${args.hidden}), ReLU, Linear(${args.hidden}, ${args.arms}))`,
    },
    dataset: { source: 'synthetic spirals (examples/lib/spiral-data.ts)', classes: classNames, trainCounts, testCounts: classNames.map(() => TEST_PER_ARM) },
    extraCharts: regionCharts,
  });
});
