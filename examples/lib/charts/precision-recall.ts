/** Precision–recall curves, one line per series (loss), with AP in the legend. */
import type { TopLevelSpec } from 'vega-lite';

export interface PrPoint {
  readonly series: string;
  readonly recall: number;
  readonly precision: number;
}

export function precisionRecallChart(points: readonly PrPoint[], opts: { title: string; subtitle?: string }): TopLevelSpec {
  const series = [...new Set(points.map((p) => p.series))];
  return {
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    width: 420,
    height: 300,
    data: { values: points.map((p, i) => ({ ...p, i })) },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'recall', type: 'quantitative', title: 'recall', scale: { domain: [0, 1] } },
      y: { field: 'precision', type: 'quantitative', title: 'precision', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: 'loss (AP)', sort: series },
      order: { field: 'i', type: 'quantitative' },
    },
  } as TopLevelSpec;
}
