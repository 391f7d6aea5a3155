/**
 * One small panel per loss with a metric over epochs. Losses live on different
 * scales (a focal loss is far smaller than cross-entropy), so each panel has its own
 * y axis.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface CurvePoint {
  readonly series: string;
  readonly epoch: number;
  readonly value: number;
}

export function trainingCurvesChart(points: readonly CurvePoint[], opts: { title: string; subtitle?: string; yTitle: string; sharedY?: boolean }): TopLevelSpec {
  const series = [...new Set(points.map((p) => p.series))];
  return {
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    data: { values: points.map((p) => ({ ...p })) },
    facet: { field: 'series', type: 'nominal', title: null, sort: series, header: { labelFontWeight: 'bold' } },
    columns: Math.min(series.length, 4),
    spec: {
      width: 210,
      height: 170,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: opts.yTitle, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: 'loss', sort: series },
      },
    },
    resolve: { scale: { y: opts.sharedY ? 'shared' : 'independent' } },
  } as TopLevelSpec;
}
