/** Grouped bars: one group per class, one bar per loss (per-class recall, precision, …). */
import type { TopLevelSpec } from 'vega-lite';

export interface ClassBar {
  readonly className: string;
  readonly series: string;
  readonly value: number;
}

export function perClassBarsChart(bars: readonly ClassBar[], opts: { title: string; subtitle?: string; yTitle: string; xTitle: string }): TopLevelSpec {
  const classes = [...new Set(bars.map((b) => b.className))];
  const series = [...new Set(bars.map((b) => b.series))];
  return {
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    width: Math.max(420, classes.length * series.length * 14),
    height: 260,
    data: { values: bars.map((b) => ({ ...b })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'className', type: 'nominal', title: opts.xTitle, sort: classes, axis: { labelAngle: 0 } },
      xOffset: { field: 'series', type: 'nominal', sort: series },
      y: { field: 'value', type: 'quantitative', title: opts.yTitle, scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: 'loss', sort: series },
      tooltip: [{ field: 'className' }, { field: 'series' }, { field: 'value', format: '.3f' }],
    },
  } as TopLevelSpec;
}
