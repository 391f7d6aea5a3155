/**
 * Everything a multi-class example leaves behind once its runs are trained: the
 * charts (SVG + PNG), metrics.json, report.md, and the summary tables on stdout.
 */
import type { GammaSettings } from './classification-losses.js';
import {
  classificationCharts, datasetTable, perClassTable, runJson, summaryTable, type Baseline, type NamedChart,
} from './classification-report.js';
import { renderChart } from './render-chart.js';
import { commandLine, writeJson, writeMarkdown } from './run-files.js';
import { formatTable, markdownTable } from './table.js';
import type { ClassifierRun, LabelledSet } from './train-classifier.js';

export interface ClassificationOutputs {
  readonly example: string;
  readonly title: string;
  readonly outDir: string;
  readonly backend: string;
  /** performance.now() when the script started (for the wall time). */
  readonly started: number;
  readonly runs: readonly ClassifierRun[];
  readonly baseline: Baseline;
  readonly classNames: readonly string[];
  readonly rare: readonly number[];
  readonly gamma: GammaSettings;
  readonly train: LabelledSet;
  readonly test: LabelledSet;
  /** Subtitle of every chart: what was run. */
  readonly context: string;
  /** Markdown paragraphs on the setup (model, optimiser, data). */
  readonly setup: readonly string[];
  readonly config: Record<string, unknown>;
  readonly dataset: Record<string, unknown>;
  /** Example-specific charts (e.g. decision regions). */
  readonly extraCharts?: readonly NamedChart[];
}

export async function writeClassificationOutputs(o: ClassificationOutputs): Promise<void> {
  const charts = [...classificationCharts(o.runs, o.classNames, o.rare, o.gamma, o.context), ...(o.extraCharts ?? [])];
  const images: { name: string; caption: string }[] = [];
  for (const c of charts) {
    await renderChart(c.spec, o.outDir, c.name);
    images.push(c);
  }

  const summary = summaryTable(o.runs, o.baseline, o.rare, o.classNames);
  const recall = perClassTable(o.runs, 'recall', o.classNames);
  const precision = perClassTable(o.runs, 'precision', o.classNames);
  const f1 = perClassTable(o.runs, 'f1', o.classNames);
  const data = datasetTable(o.train.y, o.test.y, o.classNames);
  const gammaLines = o.runs
    .filter((r) => r.gammaTrajectory.length > 0)
    .map((r) => {
      // At most ~10 epochs, evenly spaced, always including the last.
      const every = Math.ceil(r.history.length / 10);
      const shown = r.history.filter((h, i) => (i + 1) % every === 0 || i === r.history.length - 1);
      const values = shown.map((h) => `${(h['gamma'] ?? NaN).toFixed(2)} (epoch ${h.epoch})`);
      const bounds = r.gammaBounds ?? o.gamma;
      const cost = r.tuning
        ? `; tuned every ${r.tuning.every} steps on ${r.tuning.valExamples} validation examples: ${r.tuning.hyperSteps} hyper-steps of ${r.tuning.meanHyperStepMs.toFixed(1)} ms = ${r.tuning.hyperStepCost.toFixed(1)}× a plain step (${r.tuning.meanModelStepMs.toFixed(1)} ms), +${(100 * r.tuning.overhead).toFixed(0)} % training time`
        : '';
      return `${r.label}: γ ${r.gammaTrajectory[0]!.gamma.toFixed(2)} (start) → ${values.join(' → ')}; bounds [${bounds.min}, ${bounds.max}]${cost}`;
    });
  const wallSeconds = (performance.now() - o.started) / 1000;
  const command = commandLine(`examples/${o.example}.ts`);

  writeJson(o.outDir, 'metrics.json', {
    example: o.example,
    command,
    config: o.config,
    dataset: o.dataset,
    baseline: {
      rule: `always predict the most frequent training class (${o.classNames[o.baseline.majorityClass]})`,
      majorityClass: o.baseline.majorityClass,
      accuracy: o.baseline.test.accuracy,
      balancedAccuracy: o.baseline.test.balancedAccuracy,
      macroF1: o.baseline.test.macroF1,
    },
    results: o.runs.map((r) => runJson(r, o.classNames)),
    timing: {
      backend: o.backend, wallSeconds, trainSeconds: Object.fromEntries(o.runs.map((r) => [r.loss, r.seconds])),
      ...(o.runs.some((r) => r.tuning)
        ? {
            tuning: Object.fromEntries(o.runs.flatMap((r) => (r.tuning ? [[r.loss, {
              meanModelStepMs: r.tuning.meanModelStepMs, meanHyperStepMs: r.tuning.meanHyperStepMs,
              hyperStepCost: r.tuning.hyperStepCost, overhead: r.tuning.overhead,
            }]] : []))),
          }
        : {}),
    },
    files: ['metrics.json', 'report.md', ...images.flatMap((i) => [`${i.name}.svg`, `${i.name}.png`])],
  });

  writeMarkdown(o.outDir, 'report.md', [
    `# ${o.title}`,
    '',
    `Command: \`${command}\`  `,
    `Date: ${new Date().toISOString()} · backend ${o.backend} · wall time ${wallSeconds.toFixed(1)} s`,
    '',
    ...o.setup.flatMap((p) => [p, '']),
    '## Data (examples per class)',
    '',
    markdownTable(data.columns, data.rows),
    '',
    '## Results on the balanced test split',
    '',
    markdownTable(summary.columns, summary.rows),
    '',
    '### Recall per class',
    '',
    markdownTable(recall.columns, recall.rows),
    '',
    '### Precision per class',
    '',
    markdownTable(precision.columns, precision.rows),
    '',
    '### F1 per class',
    '',
    markdownTable(f1.columns, f1.rows),
    '',
    ...(gammaLines.length ? ['## Trainable and tuned γ', '', ...gammaLines.map((l) => `- ${l}`), ''] : []),
    '## Losses',
    '',
    ...o.runs.map((r) => `- **${r.label}**: ${r.description}`),
    '',
    '## Charts',
    '',
    ...images.flatMap((i) => [`![${i.caption}](${i.name}.png)`, '', `*${i.caption}*`, '']),
  ]);

  process.stdout.write(
    [
      '',
      `Results on the balanced test split (${o.test.y.length} examples):`,
      formatTable(summary.columns, summary.rows),
      '',
      formatTable(recall.columns, recall.rows),
      '',
      ...(gammaLines.length ? [...gammaLines, ''] : []),
      `Wrote ${o.outDir}/ (metrics.json, report.md, ${images.length * 2} images) in ${wallSeconds.toFixed(1)} s`,
      '',
    ].join('\n'),
  );
}
