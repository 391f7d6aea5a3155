/**
 * What the multi-class examples report about their runs: the summary table (overall
 * and rare-class numbers per loss), per-class tables, the majority-class baseline,
 * the charts, and the JSON form of a run.
 */
import type { TopLevelSpec } from 'vega-lite';
import { perClassBarsChart } from './charts/per-class-bars.js';
import { gammaTrajectoryChart } from './charts/gamma-trajectory.js';
import { trainingCurvesChart } from './charts/training-curves.js';
import { classCounts, majorityClass, summarize, type ClassificationSummary } from './classification-metrics.js';
import type { GammaSettings } from './classification-losses.js';
import { confusionMatrix } from './confusion-matrix.js';
import { fmt, type Cell, type Column } from './table.js';
import type { ClassifierRun } from './train-classifier.js';

export interface Baseline {
  readonly majorityClass: number;
  readonly test: ClassificationSummary;
}

/** Always predicting the most frequent training class, scored on the test split. */
export function majorityBaseline(trainLabels: Int32Array, testLabels: Int32Array, numClasses: number): Baseline {
  const m = majorityClass(trainLabels, numClasses);
  const test = summarize(confusionMatrix(testLabels, new Int32Array(testLabels.length).fill(m), numClasses));
  return { majorityClass: m, test };
}

export interface TableData {
  readonly columns: Column[];
  readonly rows: Cell[][];
}

/** One row per loss (+ the baseline): accuracy, balanced accuracy, macro-F1, rare-class recall/F1, final γ, time. */
export function summaryTable(runs: readonly ClassifierRun[], baseline: Baseline, rare: readonly number[], classNames: readonly string[]): TableData {
  const columns: Column[] = [
    { header: 'loss' },
    { header: 'accuracy', align: 'right' },
    { header: 'balanced acc', align: 'right' },
    { header: 'macro-F1', align: 'right' },
    ...rare.map((c) => ({ header: `recall ${classNames[c]}`, align: 'right' as const })),
    ...rare.map((c) => ({ header: `F1 ${classNames[c]}`, align: 'right' as const })),
    { header: 'final γ', align: 'right' },
    { header: 'train s', align: 'right' },
  ];
  const row = (label: string, s: ClassificationSummary, gamma: string, secs: string): Cell[] => [
    label, fmt(s.accuracy), fmt(s.balancedAccuracy), fmt(s.macroF1),
    ...rare.map((c) => fmt(s.perClass[c]!.recall)),
    ...rare.map((c) => fmt(s.perClass[c]!.f1)),
    gamma, secs,
  ];
  const rows = runs.map((r) => {
    const g = r.gammaTrajectory.length ? fmt(r.gammaTrajectory[r.gammaTrajectory.length - 1]!.gamma, 2) : '—';
    return row(r.label, r.test, g, r.seconds.toFixed(1));
  });
  rows.push(row(`majority baseline (always ${classNames[baseline.majorityClass]})`, baseline.test, '—', '—'));
  return { columns, rows };
}

/** Losses × classes for one per-class metric. */
export function perClassTable(runs: readonly ClassifierRun[], metric: 'recall' | 'precision' | 'f1', classNames: readonly string[]): TableData {
  return {
    columns: [{ header: `${{ recall: 'recall', precision: 'precision', f1: 'F1' }[metric]} per class` }, ...classNames.map((n) => ({ header: n, align: 'right' as const }))],
    rows: runs.map((r) => [r.label, ...r.test.perClass.map((m) => fmt(m[metric], 2))]),
  };
}

/** Train/test counts per class. */
export function datasetTable(trainLabels: Int32Array, testLabels: Int32Array, classNames: readonly string[]): TableData {
  const tr = classCounts(trainLabels, classNames.length);
  const te = classCounts(testLabels, classNames.length);
  return {
    columns: [{ header: 'split' }, ...classNames.map((n) => ({ header: n, align: 'right' as const })), { header: 'total', align: 'right' }],
    rows: [
      ['train', ...tr, trainLabels.length],
      ['test', ...te, testLabels.length],
    ],
  };
}

export interface NamedChart {
  readonly name: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

/** Loss curves, test balanced accuracy per epoch, per-class recall bars, and γ over training. */
export function classificationCharts(runs: readonly ClassifierRun[], classNames: readonly string[], rare: readonly number[], gamma: GammaSettings, context: string): NamedChart[] {
  const barNames = classNames.map((n, c) => (rare.includes(c) ? `${n} (rare)` : n));
  const charts: NamedChart[] = [
    {
      name: 'loss-curves',
      caption: 'Mean training loss per epoch, one panel per loss (each on its own scale).',
      spec: trainingCurvesChart(
        runs.flatMap((r) => r.history.map((h) => ({ series: r.label, epoch: h.epoch, value: h.loss }))),
        { title: 'Training loss per epoch', subtitle: context, yTitle: 'mean training loss' },
      ),
    },
    {
      name: 'test-balanced-accuracy',
      caption: 'Balanced accuracy on the held-out balanced test split after each epoch (monitoring only, never used to pick a model).',
      spec: trainingCurvesChart(
        runs.flatMap((r) => r.history.map((h) => ({ series: r.label, epoch: h.epoch, value: h['testBalancedAccuracy'] ?? NaN }))),
        { title: 'Balanced test accuracy per epoch', subtitle: context, yTitle: 'balanced accuracy', sharedY: true },
      ),
    },
    {
      name: 'recall-per-class',
      caption: 'Recall of every class on the balanced test split, one bar per loss.',
      spec: perClassBarsChart(
        runs.flatMap((r) => r.test.perClass.map((m, c) => ({ className: barNames[c]!, series: r.label, value: m.recall }))),
        { title: 'Per-class recall on the balanced test split', subtitle: context, yTitle: 'recall', xTitle: 'class' },
      ),
    },
  ];
  const trainable = runs.filter((r) => r.gammaTrajectory.length > 0);
  if (trainable.length) {
    const lo = Math.min(...trainable.map((r) => r.gammaBounds?.min ?? gamma.min));
    const hi = Math.max(...trainable.map((r) => r.gammaBounds?.max ?? gamma.max));
    charts.push({
      name: 'gamma-trajectory',
      caption: `The trainable (or tuned) γ after every optimiser step (init ${gamma.gamma}, bounds [${lo}, ${hi}]).`,
      spec: gammaTrajectoryChart(
        trainable.flatMap((r) => r.gammaTrajectory.map((p) => ({ series: r.label, step: p.step, gamma: p.gamma }))),
        { min: lo, max: hi, init: gamma.gamma },
        { title: 'Trainable and tuned γ during training', subtitle: context },
      ),
    });
  }
  return charts;
}

/** The JSON record of one run (everything but the model and the timing). */
export function runJson(r: ClassifierRun, classNames: readonly string[]) {
  return {
    loss: r.loss,
    label: r.label,
    description: r.description,
    test: {
      accuracy: r.test.accuracy,
      balancedAccuracy: r.test.balancedAccuracy,
      macroF1: r.test.macroF1,
      perClass: r.test.perClass.map((m, c) => ({ class: classNames[c], ...m })),
      confusionMatrix: r.confusion,
    },
    history: r.history,
    gammaTrajectory: r.gammaTrajectory,
    gammaBounds: r.gammaBounds,
    // Timings of the tuner go under metrics.json's `timing`, so this stays the same for a seed.
    tuning: r.tuning ? { every: r.tuning.every, valExamples: r.tuning.valExamples, hyperSteps: r.tuning.hyperSteps } : null,
    steps: r.steps,
  };
}
